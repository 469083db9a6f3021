//! Sign-in, sessions and the refusals every request gets (issue 2, item 6).

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::{json, Value};
use sqlx::PgPool;

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn anonymous_calls_to_a_server_function_are_refused_with_401(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool);
    let reply = call(&app, "viewer", None, json!({})).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply.body.contains("Unauthenticated"), "{}", reply.body);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn anonymous_page_visits_are_sent_to_sign_in(pool: PgPool) {
    let app = app(pool);
    let reply = send(&app, get("/management/users", None)).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location(), "/login");
    let page = send(&app, get("/login", None)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("action=\"/auth/login\""), "the sign-in form posts without JavaScript");
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn a_signed_in_contract_manager_gets_their_roles(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool);
    let cookie = sign_in(&app, CM).await;
    let reply = call(&app, "viewer", Some(&cookie), json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let viewer: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(viewer["email"], CM);
    assert_eq!(viewer["company_name"], "Acme Engineering");
    assert_eq!(viewer["managed_contracts"].as_array().unwrap().len(), 2, "cm@ manages two of Acme's contracts");
    assert_eq!(viewer["may_manage_users"], true);

    let page = send(&app, get("/", Some(&cookie))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Manage Software Coordinators"));
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn sign_in_sets_an_httponly_samesite_cookie_and_a_new_session_each_time(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let first = sign_in_reply(&app, CM, PASSWORD).await;
    let cookie = first.set_cookie().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let second = sign_in(&app, "CM@Acme.Example").await;
    assert_ne!(cookie.split(';').next().unwrap(), second, "a new session id at every sign-in");
    let stored: Vec<String> = sqlx::query_scalar("select token_hash from sessions").fetch_all(&pool).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|h| !cookie.contains(h.as_str())), "only the token's hash is stored");
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn a_wrong_password_goes_back_to_sign_in_with_a_reason_and_no_cookie(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool);
    let reply = sign_in_reply(&app, CM, "wrong").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location(), "/login?error=invalid&email=cm%40acme.example");
    assert!(reply.set_cookie().is_none());
    let unknown = sign_in_reply(&app, "nobody@acme.example", PASSWORD).await;
    assert!(unknown.location().starts_with("/login?error=invalid"), "unknown emails get the same answer");
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn repeated_failures_are_throttled_even_with_the_right_password(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool); // three failures allowed (common::config)
    for _ in 0..3 {
        assert!(sign_in_reply(&app, CM, "guess").await.location().contains("error=invalid"));
    }
    let reply = sign_in_reply(&app, CM, PASSWORD).await;
    assert!(reply.location().contains("error=throttled"), "{}", reply.location());
    assert!(reply.set_cookie().is_none());
    // Another person is not affected.
    assert!(sign_in_reply(&app, "cm2@acme.example", PASSWORD).await.set_cookie().is_some());
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn a_cross_origin_post_is_refused_with_403_and_changes_nothing(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cookie = sign_in(&app, CM).await;

    let mut forged = post("/auth/logout", Some(&cookie), "application/x-www-form-urlencoded", "");
    forged.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
    forged.headers_mut().insert("sec-fetch-site", "cross-site".parse().unwrap());
    assert_eq!(send(&app, forged).await.status, StatusCode::FORBIDDEN);
    // Still signed in: the forged sign-out did nothing.
    assert_eq!(call(&app, "viewer", Some(&cookie), json!({})).await.status, StatusCode::OK);

    let sessions: i64 = sqlx::query_scalar("select count(*) from sessions").fetch_one(&pool).await.unwrap();
    let mut forged_login = post("/auth/login", None, "application/x-www-form-urlencoded", format!("email=cm%40acme.example&password={PASSWORD}"));
    forged_login.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
    forged_login.headers_mut().remove("sec-fetch-site");
    assert_eq!(send(&app, forged_login).await.status, StatusCode::FORBIDDEN);
    let after: i64 = sqlx::query_scalar("select count(*) from sessions").fetch_one(&pool).await.unwrap();
    assert_eq!(sessions, after);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn nothing_changes_on_get(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool);
    let cookie = sign_in(&app, CM).await;
    let reply = send(&app, get("/auth/logout", Some(&cookie))).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(call(&app, "viewer", Some(&cookie), json!({})).await.status, StatusCode::OK);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn signing_out_ends_the_session(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool);
    let cookie = sign_in(&app, CM).await;
    let reply = send(&app, post("/auth/logout", Some(&cookie), "application/x-www-form-urlencoded", "")).await;
    assert_eq!(reply.location(), "/login?notice=signed-out");
    assert!(reply.set_cookie().unwrap().contains("Max-Age=0"));
    assert_eq!(call(&app, "viewer", Some(&cookie), json!({})).await.status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn a_session_expires_after_30_idle_minutes_and_after_12_hours_in_all(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let idle = sign_in(&app, CM).await;
    let old = sign_in(&app, "cm2@acme.example").await;
    sqlx::query("update sessions set last_seen_at = now() - interval '31 minutes' where person_id = (select id from people where email = 'cm@acme.example')")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("update sessions set created_at = now() - interval '12 hours 1 minute' where person_id = (select id from people where email = 'cm2@acme.example')")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(call(&app, "viewer", Some(&idle), json!({})).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&app, "viewer", Some(&old), json!({})).await.status, StatusCode::UNAUTHORIZED);
    let page = send(&app, get("/", Some(&idle))).await;
    assert_eq!(page.location(), "/login?notice=expired");
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn a_removed_person_can_no_longer_use_their_session(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cookie = sign_in(&app, "user01@acme.example").await;
    sqlx::query("update people set status = 'removed' where email = 'user01@acme.example'").execute(&pool).await.unwrap();
    assert_eq!(call(&app, "viewer", Some(&cookie), json!({})).await.status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn an_internal_fault_answers_with_a_reference_and_never_sql(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cookie = sign_in(&app, CM).await;
    sqlx::query("alter table companies rename to companies_gone").execute(&pool).await.unwrap();
    let reply = call(&app, "viewer", Some(&cookie), json!({})).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(reply.body.contains("Internal"), "{}", reply.body);
    for leak in ["relation", "companies", "select", "sqlx", "panicked"] {
        assert!(!reply.body.to_lowercase().contains(leak), "the answer leaks {leak:?}: {}", reply.body);
    }
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn an_unknown_page_answers_404(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool);
    let cookie = sign_in(&app, CM).await;
    let reply = send(&app, get("/no-such-page", Some(&cookie))).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.body.contains("Page not found"));
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn using_a_session_keeps_it_alive(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cookie = sign_in(&app, CM).await;
    sqlx::query("update sessions set last_seen_at = now() - interval '20 minutes'").execute(&pool).await.unwrap();
    assert_eq!(call(&app, "viewer", Some(&cookie), json!({})).await.status, StatusCode::OK);
    let idle: f64 = sqlx::query_scalar("select extract(epoch from now() - last_seen_at)::float8 from sessions").fetch_one(&pool).await.unwrap();
    assert!(idle < 60.0, "the call touched the session: idle {idle} s");
}
