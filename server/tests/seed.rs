//! The demo and benchmark data generator (issue 2, item 5).

mod common;

use server::seed::{self, SeedOptions};
use sqlx::PgPool;

/// A fingerprint of every seeded row, leaving out the timestamps (which follow the clock).
async fn fingerprint(pool: &PgPool) -> String {
    let tables = [
        "resellers", "reseller_agents", "companies", "company_resellers", "people", "contracts", "products",
        "serial_numbers", "cloud_services", "service_assignments", "invitations", "support_cases", "audit_events",
        "serial_changes",
    ];
    let mut parts = Vec::new();
    for table in tables {
        let digest: Option<String> = sqlx::query_scalar(&format!(
            "select md5(string_agg(r, '|' order by r)) from (
               select (to_jsonb(t) - array['created_at', 'updated_at', 'expires_at', 'occurred_at'])::text as r
                 from {table} t) rows"
        ))
        .fetch_one(pool)
        .await
        .unwrap();
        parts.push(format!("{table}:{}", digest.unwrap_or_default()));
    }
    parts.join(",")
}

async fn wipe(pool: &PgPool) {
    sqlx::query(
        "truncate resellers, reseller_agents, companies, company_resellers, people, contracts, products,
                  serial_numbers, shipping_locations, cloud_services, service_assignments, invitations,
                  support_cases, audit_events, serial_changes, outgoing_emails, sessions",
    )
    .execute(pool)
    .await
    .unwrap();
}

fn quiet(serials: u32) -> SeedOptions {
    SeedOptions { serials, if_empty: false, progress: false }
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn the_seed_generator_is_deterministic(pool: PgPool) {
    seed::run(&pool, &quiet(500)).await.unwrap();
    let first = fingerprint(&pool).await;
    wipe(&pool).await;
    seed::run(&pool, &quiet(500)).await.unwrap();
    assert_eq!(first, fingerprint(&pool).await);
    wipe(&pool).await;
    seed::run(&pool, &quiet(501)).await.unwrap();
    assert_ne!(first, fingerprint(&pool).await, "the fingerprint does see the data");
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn the_demo_has_two_companies_every_role_licence_type_and_expired_invitations(pool: PgPool) {
    seed::run(&pool, &SeedOptions { progress: false, ..SeedOptions::default() }).await.unwrap();
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap() }
    };
    assert_eq!(count("select count(*) from companies").await, 2);
    let serials = count("select count(*) from serial_numbers").await;
    assert!((1_800..=2_500).contains(&serials), "about 2,000 serials in the demo, got {serials}");
    assert_eq!(count("select count(distinct licence_type) from products").await, 3);
    assert!(count("select count(*) from serial_numbers where coordinator_id is not null").await > 0, "some serials have an SC");
    assert!(count("select count(*) from serial_numbers where coordinator_id is null").await > 0, "some follow their CM");
    assert!(count("select count(*) from invitations where expires_at < now()").await > 0, "some invitations expired");
    assert!(count("select count(*) from invitations where expires_at > now()").await > 0, "some are still open");
    assert_eq!(count("select count(*) from reseller_agents").await, 1);
    // Every coordinator of a serial belongs to the serial's company (R25); the schema ensures it,
    // and the generator must not trip over it.
    assert_eq!(count("select count(distinct company_id) from contracts").await, 2);
    // The small licence the seat-cap end-to-end test fills: one serial of quantity 1, Globex only.
    assert_eq!(
        count("select count(*) from serial_numbers s join products p on p.id = s.product_id
                where p.name = 'ReCap Pro' and s.quantity = 1 and s.serial = '777-29000001'").await,
        1
    );
    assert_eq!(count("select count(*) from serial_numbers s join products p on p.id = s.product_id where p.name = 'ReCap Pro'").await, 1);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn seeding_twice_is_refused_unless_only_if_empty(pool: PgPool) {
    seed::run(&pool, &quiet(10)).await.unwrap();
    let error = seed::run(&pool, &quiet(10)).await.unwrap_err();
    assert!(error.contains("already holds data"), "{error}");
    seed::run(&pool, &SeedOptions { if_empty: true, ..quiet(10) }).await.unwrap();
}

/// Seeding is set-based: 20,000 serials are a handful of INSERT statements (10,000 rows each), not
/// one statement a serial.
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn a_benchmark_contract_of_20000_serials_is_loaded_by_a_handful_of_inserts(pool: PgPool) {
    // The database counts the INSERT statements itself (a statement trigger on this test's own
    // database): counting sqlx's log events through a thread's tracing subscriber missed them now
    // and then when other tests of this file ran at the same time.
    sqlx::raw_sql(
        "create table inserts_seen (statements int not null);
         insert into inserts_seen values (0);
         create function count_insert() returns trigger language plpgsql as
           $$ begin update inserts_seen set statements = statements + 1; return null; end $$;
         create trigger count_inserts after insert on serial_numbers for each statement execute function count_insert();",
    )
    .execute(&pool)
    .await
    .unwrap();
    seed::run(&pool, &quiet(20_000)).await.unwrap();
    let on_main: i64 = sqlx::query_scalar(
        "select count(*) from serial_numbers s join contracts c on c.company_id = s.company_id and c.id = s.contract_id
          where c.contract_number = '110000001'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(on_main, 20_000);
    let inserts: i32 = sqlx::query_scalar("select statements from inserts_seen").fetch_one(&pool).await.unwrap();
    assert!((1..=8).contains(&inserts), "{inserts} INSERT statements into serial_numbers for about 20,000 rows");
}
