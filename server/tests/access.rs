//! Edit Access (issue 5): R18 assign all or one by one, R19 three users a licence (also under a
//! race), R22 a seat never grants downloads, R14.

mod common;

use axum::http::StatusCode;
use axum::Router;
use common::*;
use serde_json::json;
use shared::people::ServiceAccess;
use sqlx::PgPool;
use uuid::Uuid;

async fn id_of(pool: &PgPool, email: &str) -> Uuid {
    sqlx::query_scalar("select id from people where email = $1").bind(email).fetch_one(pool).await.unwrap()
}

async fn access(app: &Router, cookie: &str, person: Uuid) -> Vec<ServiceAccess> {
    let reply = call(app, "access/get", Some(cookie), json!({ "person": person })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

async fn save(app: &Router, cookie: &str, person: Uuid, services: &[Uuid]) -> Reply {
    call(app, "access/set", Some(cookie), json!({ "person": person, "services": services })).await
}

/// Acme keeps a single Fusion serial of quantity 1: its services have 3 seats in all.
async fn one_fusion_licence(pool: &PgPool) -> Vec<Uuid> {
    sqlx::query(
        "with fusion as (select s.id, row_number() over (order by s.serial) as n from serial_numbers s
                           join products p on p.id = s.product_id
                           join companies c on c.id = s.company_id
                          where p.name = 'Fusion' and c.name = 'Acme Engineering')
         update serial_numbers s set
             product_id = case when f.n = 1 then s.product_id else (select id from products where name = 'AutoCAD' and release = '2026') end,
             quantity = case when f.n = 1 then 1 else s.quantity end
           from fusion f where s.id = f.id",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query_scalar("select cs.id from cloud_services cs join products p on p.id = cs.product_id where p.name = 'Fusion' order by cs.name")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r18_every_service_can_be_assigned_at_once_or_on_its_own_and_r22_no_download_right(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cm = sign_in(&app, CM).await;
    let user = id_of(&pool, "user10@acme.example").await;
    let list = access(&app, &cm, user).await;
    assert_eq!(list.len(), 6, "two services of each multi-user product: {list:?}");
    assert!(list.iter().all(|s| !s.assigned && s.seats_total > 0));
    let all: Vec<Uuid> = list.iter().map(|s| s.service_id).collect();
    let reply = save(&app, &cm, user, &all).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body.contains("6 added, 0 removed"), "{}", reply.body);
    assert!(access(&app, &cm, user).await.iter().all(|s| s.assigned));
    let reply = save(&app, &cm, user, &all[1..]).await;
    assert!(reply.body.contains("0 added, 1 removed"), "{}", reply.body);
    let download: bool = sqlx::query_scalar("select may_download from people where id = $1").bind(user).fetch_one(&pool).await.unwrap();
    assert!(!download, "R22: a seat never grants download rights");
    let audited: i64 = sqlx::query_scalar("select count(*) from audit_events where action like 'access.%'").fetch_one(&pool).await.unwrap();
    assert_eq!(audited, 7);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r19_a_licence_serves_three_people_and_the_fourth_is_refused_with_the_numbers(pool: PgPool) {
    seed_small(&pool).await;
    let services = one_fusion_licence(&pool).await;
    let app = app(pool.clone());
    let cm = sign_in(&app, CM).await;
    for email in ["user10@acme.example", "user11@acme.example", "user13@acme.example"] {
        let reply = save(&app, &cm, id_of(&pool, email).await, &services[..1]).await;
        assert_eq!(reply.status, StatusCode::OK, "{email}: {}", reply.body);
    }
    // A second service for someone already seated takes no new seat.
    assert_eq!(save(&app, &cm, id_of(&pool, "user10@acme.example").await, &services).await.status, StatusCode::OK);
    let reply = save(&app, &cm, id_of(&pool, "user14@acme.example").await, &services[..1]).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert!(reply.body.contains("all 3 seats are taken (1 licence on 1 multi-user serial, 3 users each)"), "{}", reply.body);
    let seated: i64 = sqlx::query_scalar("select count(distinct person_id) from service_assignments sa join cloud_services cs on cs.id = sa.service_id join products p on p.id = cs.product_id where p.name = 'Fusion'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(seated, 3);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r19_two_admins_taking_the_last_seat_at_once_exactly_one_wins(pool: PgPool) {
    seed_small(&pool).await;
    let services = one_fusion_licence(&pool).await;
    let app = app(pool.clone());
    let cm = sign_in(&app, CM).await;
    let sc1 = sign_in(&app, "sc1@acme.example").await; // an SC with the right to manage users
    for email in ["user10@acme.example", "user11@acme.example"] {
        assert_eq!(save(&app, &cm, id_of(&pool, email).await, &services[..1]).await.status, StatusCode::OK);
    }
    let (a, b) = (id_of(&pool, "user13@acme.example").await, id_of(&pool, "user14@acme.example").await);
    let (first, second) = tokio::join!(save(&app, &cm, a, &services[..1]), save(&app, &sc1, b, &services[..1]));
    let mut statuses = [first.status, second.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{} / {}", first.body, second.body);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r14_only_user_managers_edit_access(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let user = sign_in(&app, "user01@acme.example").await;
    let target = id_of(&pool, "user10@acme.example").await;
    assert_eq!(call(&app, "access/get", Some(&user), json!({ "person": target })).await.status, StatusCode::FORBIDDEN);
    assert_eq!(save(&app, &user, target, &[]).await.status, StatusCode::FORBIDDEN);
    let globex = sign_in(&app, "cm@globex.example").await;
    assert_eq!(call(&app, "access/get", Some(&globex), json!({ "person": target })).await.status, StatusCode::NOT_FOUND, "R25");
}
