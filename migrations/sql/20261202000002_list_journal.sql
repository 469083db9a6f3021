-- The change journal of the Products list cache (app/src/ssr/products/cache.rs).
--
-- Every statement that changes what a contract's Products list shows, filters or sorts on writes one
-- row per company it touched, in its own transaction, with that transaction's id. A cached list was
-- computed in a snapshot; it is still exact while no journal row is committed that the snapshot did
-- not see:
--   exists (select 1 from list_changes
--            where company_id in ($company, nil) and txid >= pg_snapshot_xmin($snapshot)
--              and not pg_visible_in_snapshot(txid, $snapshot))
-- A row of a transaction still in flight is invisible to that check, as its changes are invisible to
-- every reader; a rolled-back transaction's row never becomes visible. Writers need no change: the
-- triggers below journal every INSERT, UPDATE, DELETE and TRUNCATE.
--
-- company_id = the nil uuid means "every company" (a catalogue product changed, or a TRUNCATE).
-- Rows are pruned by the cache (old enough that every live cached snapshot has seen them).

create table list_changes (
    company_id  uuid not null,
    txid        xid8 not null default pg_current_xact_id(),
    at          timestamptz not null default now()
);
create index list_changes_company_txid_idx on list_changes (company_id, txid);

-- Serials: every change of a serial changes a row of the list (its version at least). A bulk action
-- changes 100,000 serials in one statement, so this is a BEFORE ROW trigger whose WHEN skips every row
-- of a company already journaled in this transaction (remembered in a transaction-local setting):
-- the function runs once per company and transaction, and the WHEN costs about 0.2 us a row (a
-- statement trigger with a transition table costs 4 times as much: it copies every row aside).
-- A savepoint rolled back takes its journal row and the setting back together.
create function list_changes_serials() returns trigger language plpgsql as $$
declare
    company uuid := case when tg_op = 'DELETE' then old.company_id else new.company_id end;
begin
    insert into list_changes (company_id) values (company);
    perform set_config('seatkeeper.list_journaled', company::text, true);
    if tg_op = 'UPDATE' and old.company_id is distinct from new.company_id then
        -- A serial moved to another company (never done): the old company's list changed too.
        insert into list_changes (company_id) values (old.company_id);
    end if;
    return case when tg_op = 'DELETE' then old else new end;
end $$;

create trigger serial_numbers_list_insert before insert on serial_numbers for each row
    when (current_setting('seatkeeper.list_journaled', true) is distinct from new.company_id::text)
    execute function list_changes_serials();
create trigger serial_numbers_list_update before update on serial_numbers for each row
    when (current_setting('seatkeeper.list_journaled', true) is distinct from new.company_id::text
          or old.company_id is distinct from new.company_id)
    execute function list_changes_serials();
create trigger serial_numbers_list_delete before delete on serial_numbers for each row
    when (current_setting('seatkeeper.list_journaled', true) is distinct from old.company_id::text)
    execute function list_changes_serials();

-- People: names and email are shown, searched and sorted on (a coordinator, or the CM by default,
-- R3), status too. Other columns (privileges, password) change nothing in the list.
create function list_changes_people() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        insert into list_changes (company_id) select distinct company_id from new_rows;
    elsif tg_op = 'DELETE' then
        insert into list_changes (company_id) select distinct company_id from old_rows;
    else
        insert into list_changes (company_id)
        select n.company_id from new_rows n left join old_rows o on o.company_id = n.company_id and o.id = n.id
         where o.id is null
            or (o.first_name, o.last_name, o.email, o.status) is distinct from (n.first_name, n.last_name, n.email, n.status)
        union
        select o.company_id from old_rows o left join new_rows n on n.company_id = o.company_id and n.id = o.id
         where n.id is null;
    end if;
    return null;
end $$;

create trigger people_list_insert after insert on people
    referencing new table as new_rows for each statement execute function list_changes_people();
create trigger people_list_update after update on people
    referencing old table as old_rows new table as new_rows for each statement execute function list_changes_people();
create trigger people_list_delete after delete on people
    referencing old table as old_rows for each statement execute function list_changes_people();

-- Contracts: the CM is every unassigned serial's coordinator (R3); the number names the list.
create function list_changes_contracts() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        insert into list_changes (company_id) select distinct company_id from new_rows;
    elsif tg_op = 'DELETE' then
        insert into list_changes (company_id) select distinct company_id from old_rows;
    else
        insert into list_changes (company_id)
        select company_id from new_rows union select company_id from old_rows;
    end if;
    return null;
end $$;

create trigger contracts_list_insert after insert on contracts
    referencing new table as new_rows for each statement execute function list_changes_contracts();
create trigger contracts_list_update after update on contracts
    referencing old table as old_rows new table as new_rows for each statement execute function list_changes_contracts();
create trigger contracts_list_delete after delete on contracts
    referencing old table as old_rows for each statement execute function list_changes_contracts();

-- Products are a shared catalogue: a renamed product changes the lists of every company holding it,
-- journaled as the nil company (every company). A new product is on no list until a serial names it.
create function list_changes_everyone() returns trigger language plpgsql as $$
begin
    insert into list_changes (company_id) values ('00000000-0000-0000-0000-000000000000');
    return null;
end $$;

create trigger products_list_change after update or delete on products
    for each statement execute function list_changes_everyone();
create trigger serial_numbers_list_truncate after truncate on serial_numbers
    for each statement execute function list_changes_everyone();
create trigger people_list_truncate after truncate on people
    for each statement execute function list_changes_everyone();
create trigger contracts_list_truncate after truncate on contracts
    for each statement execute function list_changes_everyone();
create trigger products_list_truncate after truncate on products
    for each statement execute function list_changes_everyone();
