-- Issue 11, target 3: "select all matching" over a piece of a serial number (`like '%-10001%'`, the
-- filter people use to pick a range of serials) scanned the whole contract before locking what it
-- found: 21-28 ms of a 1,000-serial bulk action at 100,000 serials. A trigram index finds them in
-- 2-5 ms (measured in psql, bench database). It holds only `serial`, which no bulk action changes,
-- so coordinator and group changes stay HOT updates (20261202000001).
--
-- pg_trgm ships with PostgreSQL and is a trusted extension (PostgreSQL 13+): the database's owner
-- may create it without being a superuser.
create extension if not exists pg_trgm;
create index serial_numbers_serial_trgm_idx on serial_numbers using gin (serial gin_trgm_ops);
