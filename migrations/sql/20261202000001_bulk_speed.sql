-- Issue 11, target 3: a bulk action over 100,000 serials in well under 3 s, with its audit trail and
-- Undo intact (R8, R24).

-- 1. Coordinator and group changes are HOT updates.
--
-- An UPDATE is HOT (no new entry in any index, the new row version on the same page) only when no
-- indexed column changes and the page has room for the new version. The three indexes that held
-- coordinator_id or group_name made every bulk change insert into all seven indexes of the table:
-- about 29 buffer hits per row, 5-7 s for 100,000 serials. The Products list no longer sorts or
-- facets through them (it keeps a cached ordered id list), Remove From All (R13) scans the company's
-- serials, and the Software Coordinators tab counts the contract's serials by coordinator in one scan.
drop index serial_numbers_contract_group_idx;
drop index serial_numbers_contract_coordinator_idx;
drop index serial_numbers_coordinator_idx;

-- Fillfactor 45: a bulk action changes every serial of a contract in ONE transaction, so each page
-- must hold a second version of every row on it until that transaction ends (the old versions are
-- pruned afterwards, on the next visit of the page). 45% full leaves 55%: a copy of every row, plus
-- ~20% growth for rows that gain a group name. Measured with 100,000 serials (psql, one UPDATE of the
-- whole contract, three runs each):
--   fillfactor 100: 0-97 HOT of 100,000, 1.9-2.3 s
--   fillfactor  70: 42,000-81,000 HOT, 0.87-1.8 s
--   fillfactor  50: 100,000 HOT for a same-size change, 0.38-0.48 s; 67% HOT when every row gains an
--                   80-character group name
--   fillfactor  45: 100,000 HOT for a same-size change, 0.38-0.51 s; 83% HOT when every row gains an
--                   80-character group name
-- The price is room: 34 MB instead of 16 MB for 100,000 serials, still cached whole.
alter table serial_numbers set (fillfactor = 45);
-- Rewrite the rows now so existing pages get the room (in the lock order: company, id).
cluster serial_numbers using serial_numbers_pkey;

-- 2. A serial change is stored as one audit event for the whole change (who, when, what, how many:
-- `audit_events`, entity 'serial_number', entity_id null, change_id) plus one narrow row per serial
-- changed here, with its values before and after. Measured with 100,000 serials, written in the same
-- statement as the UPDATE: one jsonb audit_events row per serial 7.7-12.5 s (4 indexes, ~500 bytes
-- a row); this table 3.4-6.4 s; arrays in one row with a GIN index 3.6-7.2 s; the UPDATE alone
-- 2.0-2.7 s (all on a machine loaded by four builds; the audit write alone: this table 0.55-0.83 s,
-- arrays 0.19-0.55 s, jsonb rows 4-9 s). Arrays were a little cheaper to write but "what happened to
-- this serial" would detoast every change's whole arrays; here it is one index range.
create table serial_changes (
    company_id          uuid not null,
    change_id           uuid not null,
    serial_id           uuid not null,
    -- The serial's version after this change; it had version - 1 before (every change bumps it by one).
    version             bigint not null,
    coordinator_before  uuid,
    group_before        text,
    coordinator_after   uuid,
    group_after         text,
    -- One change per version of a serial: a lost update cannot be recorded twice. Also answers "what
    -- happened to this serial", newest first.
    constraint serial_changes_pkey primary key (company_id, serial_id, version)
);
-- Undo finds the rows of one change (every row of a change shares the key: deduplicated, cheap).
create index serial_changes_change_idx on serial_changes (company_id, change_id);
-- No foreign keys: written only by the audit recorder in the statement that writes its event, and a
-- per-row key check would cost as much as the rest of the write (about 0.35 s for 100,000 rows).

-- 3. History written before this migration moves to the new form: one event per change, one row per
-- serial. An undo's old events kept only {"undoes": id} as before; the values before an undo are
-- the values after the serial's previous change (an undo happened only while its serials were
-- unchanged since).
insert into serial_changes (company_id, change_id, serial_id, version, coordinator_before, group_before, coordinator_after, group_after)
select a.company_id, coalesce(a.change_id, a.id), a.entity_id, (a.after ->> 'version')::int8,
       case when a.before ? 'coordinator_id' then (a.before ->> 'coordinator_id')::uuid else (p.after ->> 'coordinator_id')::uuid end,
       case when a.before ? 'group_name' then a.before ->> 'group_name' else p.after ->> 'group_name' end,
       (a.after ->> 'coordinator_id')::uuid, a.after ->> 'group_name'
  from audit_events a
  left join audit_events p on p.company_id = a.company_id and p.entity = 'serial_number' and p.entity_id = a.entity_id
                          and (p.after ->> 'version')::int8 = (a.after ->> 'version')::int8 - 1
 where a.entity = 'serial_number' and a.entity_id is not null;

insert into audit_events (company_id, id, occurred_at, actor_person_id, actor_agent_id, action, entity, entity_id, before, after, change_id)
select company_id, gen_random_uuid(), min(occurred_at), (array_agg(actor_person_id))[1], (array_agg(actor_agent_id))[1], action,
       'serial_number', null, null,
       jsonb_build_object('serials', count(*))
       || case action when 'serial.rename_group' then jsonb_build_object('group_name', min(after ->> 'group_name'))
                      when 'serial.undo' then jsonb_build_object('undoes', min(before ->> 'undoes'))
                      else jsonb_build_object('coordinator_id', min(after ->> 'coordinator_id')) end,
       coalesce(change_id, id)
  from audit_events
 where entity = 'serial_number' and entity_id is not null
 group by company_id, action, coalesce(change_id, id);

delete from audit_events where entity = 'serial_number' and entity_id is not null;
