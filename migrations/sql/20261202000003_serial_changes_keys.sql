-- Issue 11, target 3: the keys of serial_changes (20261202000001), measured again with history in it.
--
-- Keyed by (company, serial, version), every serial a change touches dirtied a leaf page of its own
-- in a large index: with 4.5 million rows of history (45 changes per serial of a 100,000-serial
-- contract), writing one change of 10,000 serials dirtied 10,123 pages and read 9,776 from outside
-- the buffer cache (122 ms); of 100,000 serials, 35,033 pages dirtied, 32,686 read (691 ms), each
-- dirtied page a full-page image in the WAL after a checkpoint. Keyed by (company, change, serial),
-- a change's rows go to the end of the primary key, and "what happened to this serial" uses a
-- non-unique index on (company, serial), which deduplicates (one key and a list of row pointers per
-- serial: 43 MB instead of 354 MB for those 4.5 million rows, so it stays cached): 4,872 pages
-- dirtied, 2 read, 61 ms for 10,000 serials; 3,403 dirtied, 2 read, 477 ms for 100,000.
--
-- What this gives up: the database no longer refuses a second row for the same version of a serial
-- (the chain of versions is checked by the soak's invariants and the tests instead); it does refuse a
-- serial recorded twice in one change.
alter table serial_changes drop constraint serial_changes_pkey;
drop index serial_changes_change_idx;
alter table serial_changes add constraint serial_changes_pkey primary key (company_id, change_id, serial_id);
create index serial_changes_serial_idx on serial_changes (company_id, serial_id);
