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

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r1_a_contract_cannot_have_a_second_contract_manager(pool: PgPool) {
    seed_small(&pool).await;
    // The CM is one column of the contract row: a second CM can only be attempted as a second row
    // for the same contract, which the key refuses.
    let result = sqlx::query(
        "insert into contracts (company_id, id, contract_number, reseller_id, manager_id, starts_on, ends_on)
         select company_id, id, contract_number || '-b', reseller_id,
                (select id from people where email = 'cm2@acme.example'), starts_on, ends_on
           from contracts where contract_number = '110000001'",
    )
    .execute(&pool)
    .await;
    assert_eq!(violated(result).1.as_deref(), Some("contracts_pkey"));
    let managers: i64 = sqlx::query_scalar("select count(distinct manager_id) from contracts where contract_number like '110000001%'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(managers, 1);
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
