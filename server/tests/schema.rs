//! The schema itself enforces the rules it can (issue 2, item 4): a rule held by a constraint holds
//! whatever code runs against the database.

mod common;

use common::seed_small;
use server::seed::id;
use sqlx::PgPool;

fn violated(result: Result<sqlx::postgres::PgQueryResult, sqlx::Error>) -> (String, Option<String>) {
    match result {
        Err(sqlx::Error::Database(db)) => (db.code().unwrap_or_default().to_string(), db.constraint().map(str::to_string)),
        other => panic!("expected a constraint violation, got {other:?}"),
    }
}

const ACME: u32 = 1;
const GLOBEX: u32 = 2;

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r1_a_contract_cannot_be_without_a_contract_manager(pool: PgPool) {
    seed_small(&pool).await;
    let result = sqlx::query("update contracts set manager_id = null where contract_number = '110000001'").execute(&pool).await;
    assert_eq!(violated(result).0, "23502", "not-null: never no CM");
}

/// R1: two reseller agents making two different people the CM at the same moment leave the
/// contract with exactly one CM, and the audit trail chains the two changes (the second change's
/// "before" is the first one's "after"): no CM is lost or doubled.
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r1_a_contract_has_exactly_one_contract_manager_when_two_agents_change_it_at_once(pool: PgPool) {
    seed_small(&pool).await;
    let app = common::app(pool.clone());
    let first = common::sign_in(&app, "agent@northwind.example").await;
    let second = common::sign_in(&app, "agent@northwind.example").await;
    let contract: uuid::Uuid = sqlx::query_scalar("select id from contracts where contract_number = '110000001'").fetch_one(&pool).await.unwrap();
    let person = |email: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, uuid::Uuid>("select id from people where email = $1").bind(email).fetch_one(&pool).await.unwrap() }
    };
    let (sc1, sc2) = (person("sc1@acme.example").await, person("sc2@acme.example").await);
    let original = person("cm@acme.example").await.to_string();
    let change = |cookie: String, to: uuid::Uuid| {
        let app = app.clone();
        tokio::spawn(async move {
            let reply = common::call(&app, "reseller/change-manager", Some(&cookie), serde_json::json!({ "contract_id": contract, "person": to })).await;
            (reply.status, reply.body)
        })
    };
    let (a, b) = (change(first, sc1), change(second, sc2));
    for reply in [a.await.unwrap(), b.await.unwrap()] {
        assert_eq!(reply.0, axum::http::StatusCode::OK, "{}", reply.1);
    }
    let managers: Vec<uuid::Uuid> = sqlx::query_scalar("select manager_id from contracts where id = $1").bind(contract).fetch_all(&pool).await.unwrap();
    assert_eq!(managers.len(), 1);
    assert!(managers[0] == sc1 || managers[0] == sc2);
    let chain: Vec<(String, String)> = sqlx::query_as(
        "select before ->> 'manager_id', after ->> 'manager_id' from audit_events
          where entity_id = $1 and action = 'contract.change_manager'",
    )
    .bind(contract)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(chain.len(), 2);
    let first = chain.iter().find(|(before, _)| *before == original).expect("one change starts from the original CM");
    let second = chain.iter().find(|(before, _)| *before == first.1).expect("the other starts from the first one's CM");
    assert_eq!(second.1, managers[0].to_string(), "and ends at the CM the contract has");
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r25_a_contract_manager_must_be_a_person_of_the_same_company(pool: PgPool) {
    seed_small(&pool).await;
    let result = sqlx::query(
        "update contracts set manager_id = (select id from people where email = 'cm@globex.example')
          where contract_number = '110000001'",
    )
    .execute(&pool)
    .await;
    assert_eq!(violated(result).1.as_deref(), Some("contracts_manager_fk"));
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn an_email_differing_only_in_case_is_a_duplicate_within_a_company(pool: PgPool) {
    seed_small(&pool).await;
    let insert = |company: u32, n: u32, email: &'static str| {
        sqlx::query("insert into people (company_id, id, email, first_name, last_name) values ($1, $2, $3, 'Ann', 'Lee')")
            .bind(id(3, company))
            .bind(id(900, n))
            .bind(email)
            .execute(&pool)
    };
    insert(ACME, 1, "Ann.Lee@Example.com").await.unwrap();
    let (code, constraint) = violated(insert(ACME, 2, "ann.lee@EXAMPLE.COM").await);
    assert_eq!((code.as_str(), constraint.as_deref()), ("23505", Some("people_company_email_key")));
    // Another company may know the same address.
    insert(GLOBEX, 3, "ann.lee@example.com").await.unwrap();
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r25_a_serial_cannot_be_coordinated_by_a_person_of_another_company(pool: PgPool) {
    seed_small(&pool).await;
    let result = sqlx::query(
        "update serial_numbers set coordinator_id = (select id from people where email = 'sc1@globex.example')
          where serial = (select min(serial) from serial_numbers where company_id = $1)",
    )
    .bind(id(3, ACME))
    .execute(&pool)
    .await;
    assert_eq!(violated(result).1.as_deref(), Some("serial_numbers_coordinator_fk"));
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn serial_shape_group_length_and_country_codes_are_checked(pool: PgPool) {
    seed_small(&pool).await;
    let first = "(select min(serial) from serial_numbers)";
    let bad_serial = sqlx::query(&format!("update serial_numbers set serial = '12-345' where serial = {first}")).execute(&pool).await;
    assert_eq!(violated(bad_serial).1.as_deref(), Some("serial_numbers_serial_shape"));
    let long_group = sqlx::query(&format!("update serial_numbers set group_name = repeat('x', 81) where serial = {first}")).execute(&pool).await;
    assert_eq!(violated(long_group).1.as_deref(), Some("serial_numbers_group_name_length"));
    sqlx::query(&format!("update serial_numbers set group_name = repeat('x', 80) where serial = {first}")).execute(&pool).await.unwrap();
    let bad_country = sqlx::query(
        "insert into shipping_locations (company_id, contract_id, person_id, recipient, address_line1, city, postal_code, country)
         select c.company_id, c.id, c.manager_id, 'R', 'L1', 'C', '1000', 'uk' from contracts c limit 1",
    )
    .execute(&pool)
    .await;
    assert_eq!(violated(bad_country).1.as_deref(), Some("shipping_locations_country_shape"));
}

/// Issue 11: a change of coordinator or group touches no index of `serial_numbers` (so it can be a
/// HOT update), and the table leaves room on each page for a second version of every row.
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn coordinator_and_group_changes_touch_no_index_and_pages_leave_room(pool: PgPool) {
    let indexed: Vec<String> = sqlx::query_scalar(
        "select i.relname from pg_index x join pg_class i on i.oid = x.indexrelid
          where x.indrelid = 'serial_numbers'::regclass
            and (pg_get_indexdef(x.indexrelid) ~ '(coordinator_id|group_name|version|updated_at)')",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(indexed.is_empty(), "indexes holding a column bulk actions change: {indexed:?}");
    let options: Option<Vec<String>> = sqlx::query_scalar("select reloptions from pg_class where oid = 'serial_numbers'::regclass")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(options, Some(vec!["fillfactor=45".to_string()]));

    // Measured: a whole contract's change is HOT for every row.
    common::seed_small(&pool).await;
    sqlx::query("vacuum full serial_numbers").execute(&pool).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    let changed = sqlx::query("update serial_numbers set group_name = 'Lab', coordinator_id = null, version = version + 1, updated_at = now()")
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    let (updated, hot): (i64, i64) =
        sqlx::query_as("select n_tup_upd, n_tup_hot_upd from pg_stat_xact_user_tables where relname = 'serial_numbers'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!((updated, hot), (changed as i64, changed as i64));
}

/// Issue 11: "all matching" a piece of a serial number (`like '%-10001%'`) is found through a trigram
/// index instead of a scan of the contract; the index holds nothing a bulk action changes (above).
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn serial_fragments_are_found_through_a_trigram_index(pool: PgPool) {
    let definitions: Vec<String> = sqlx::query_scalar(
        "select pg_get_indexdef(x.indexrelid) from pg_index x where x.indrelid = 'serial_numbers'::regclass",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        definitions.iter().any(|d| d.contains("USING gin (serial gin_trgm_ops)")),
        "no trigram index on serial_numbers.serial: {definitions:?}"
    );
    common::seed_small(&pool).await;
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("set local enable_seqscan = off").execute(&mut *tx).await.unwrap();
    sqlx::query("set local enable_indexscan = off").execute(&mut *tx).await.unwrap();
    let plan: Vec<String> = sqlx::query_scalar("explain select id from serial_numbers where serial like '%-0000%'")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert!(plan.iter().any(|l| l.contains("serial_numbers_serial_trgm_idx")), "{plan:#?}");
}

/// R24: a serial is recorded once per change (a change cannot say two things about one serial).
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r24_a_serial_is_recorded_once_per_change(pool: PgPool) {
    common::seed_small(&pool).await;
    let (company, serial): (uuid::Uuid, uuid::Uuid) = sqlx::query_as("select company_id, id from serial_numbers limit 1").fetch_one(&pool).await.unwrap();
    let change = uuid::Uuid::new_v4();
    let insert = "insert into serial_changes (company_id, change_id, serial_id, version) values ($1, $2, $3, 2)";
    sqlx::query(insert).bind(company).bind(change).bind(serial).execute(&pool).await.unwrap();
    let again = sqlx::query(insert).bind(company).bind(change).bind(serial).execute(&pool).await;
    assert_eq!(violated(again).1.as_deref(), Some("serial_changes_pkey"));
}

/// Issue 11: history written before serial changes got their own table moves to it whole: one event
/// per change with its count, one row per serial with its values before and after (an old undo's
/// "before" is the values the serial's previous change left), other events untouched.
#[sqlx::test(migrations = false)]
async fn r24_serial_history_written_before_the_bulk_speed_migration_is_kept_whole(pool: PgPool) {
    for earlier in [
        include_str!("../../migrations/sql/20261122000001_schema.sql"),
        include_str!("../../migrations/sql/20261122000002_change_ids.sql"),
        include_str!("../../migrations/sql/20261201000001_trust.sql"),
    ] {
        sqlx::raw_sql(earlier).execute(&pool).await.unwrap();
    }
    sqlx::raw_sql(
        r#"insert into companies (id, name) values ('00000000-0000-0000-0000-00000000000c', 'C');
        insert into audit_events (company_id, id, occurred_at, actor_person_id, action, entity, entity_id, before, after, change_id)
        select '00000000-0000-0000-0000-00000000000c', gen_random_uuid(), now() - make_interval(hours => 5 - k), 'aaaaaaaa-0000-0000-0000-000000000001',
               action, entity, entity_id::uuid, before::jsonb, after::jsonb, change_id::uuid
          from (values
            (1, 'serial.assign', 'serial_number', '51000000-0000-0000-0000-000000000001', '{"coordinator_id": null, "group_name": "G", "version": 1}',
             '{"coordinator_id": "b0000000-0000-0000-0000-000000000001", "group_name": "G", "version": 2}', 'a0000000-0000-0000-0000-00000000000a'),
            (1, 'serial.assign', 'serial_number', '51000000-0000-0000-0000-000000000002', '{"coordinator_id": "b0000000-0000-0000-0000-000000000002", "group_name": null, "version": 1}',
             '{"coordinator_id": "b0000000-0000-0000-0000-000000000001", "group_name": null, "version": 2}', 'a0000000-0000-0000-0000-00000000000a'),
            (2, 'serial.undo', 'serial_number', '51000000-0000-0000-0000-000000000001', '{"undoes": "a0000000-0000-0000-0000-00000000000a"}',
             '{"coordinator_id": null, "group_name": "G", "version": 3}', 'a0000000-0000-0000-0000-00000000000b'),
            (2, 'serial.undo', 'serial_number', '51000000-0000-0000-0000-000000000002', '{"undoes": "a0000000-0000-0000-0000-00000000000a"}',
             '{"coordinator_id": "b0000000-0000-0000-0000-000000000002", "group_name": null, "version": 3}', 'a0000000-0000-0000-0000-00000000000b'),
            (3, 'serial.rename_group', 'serial_number', '51000000-0000-0000-0000-000000000001', '{"coordinator_id": null, "group_name": "G", "version": 3}',
             '{"coordinator_id": null, "group_name": "H", "version": 4}', null),
            (4, 'person.add', 'person', 'b0000000-0000-0000-0000-000000000003', null, '{"email": "x@example.com"}', null)
          ) as e(k, action, entity, entity_id, before, after, change_id);"#,
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::raw_sql(include_str!("../../migrations/sql/20261202000001_bulk_speed.sql")).execute(&pool).await.unwrap();

    let rows: Vec<(String, i64, Option<String>, Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
        "select right(serial_id::text, 1), version, right(coordinator_before::text, 1), group_before,
                right(coordinator_after::text, 1), group_after
           from serial_changes order by serial_id, version",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        rows,
        [
            ("1".into(), 2, None, s("G"), s("1"), s("G")),
            ("1".into(), 3, s("1"), s("G"), None, s("G")),
            ("1".into(), 4, None, s("G"), None, s("H")),
            ("2".into(), 2, s("2"), None, s("1"), None),
            ("2".into(), 3, s("1"), None, s("2"), None),
        ]
    );
    let events: Vec<(String, Option<uuid::Uuid>, Option<i64>)> = sqlx::query_as(
        "select action, entity_id, (after ->> 'serials')::int8 from audit_events order by occurred_at",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let person: uuid::Uuid = "b0000000-0000-0000-0000-000000000003".parse().unwrap();
    assert_eq!(
        events,
        [
            ("serial.assign".into(), None, Some(2)),
            ("serial.undo".into(), None, Some(2)),
            ("serial.rename_group".into(), None, Some(1)),
            ("person.add".into(), Some(person), None),
        ]
    );
}
