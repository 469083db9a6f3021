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

fn sign_in_from(address: &str, email: &str, password: &str) -> axum::http::Request<axum::body::Body> {
    let form = format!("email={}&password={password}", email.replace('@', "%40"));
    let mut request = post("/auth/login", None, "application/x-www-form-urlencoded", form);
    let peer: std::net::SocketAddr = format!("{address}:40000").parse().unwrap();
    request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
    request
}

/// Issue 9, finding 2: the count lives in PostgreSQL, so a second server instance on the same
/// database refuses what the first one counted.
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn failed_sign_ins_counted_by_one_server_instance_are_refused_by_another(pool: PgPool) {
    seed_small(&pool).await;
    let (first, second) = (app(pool.clone()), app(pool.clone())); // three failures allowed
    for app in [&first, &second, &first] {
        assert!(sign_in_reply(app, CM, "guess").await.location().contains("error=invalid"));
    }
    assert!(sign_in_reply(&second, CM, PASSWORD).await.location().contains("error=throttled"));
}

/// Issue 9, finding 2: checking and counting are one step, so twenty guesses sent at once for one
/// email get no more evaluations than the limit allows.
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn twenty_parallel_guesses_for_one_email_get_at_most_the_allowed_evaluations(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone()); // three failures allowed
    let guesses = (0..20).map(|i| {
        let app = app.clone();
        tokio::spawn(async move { sign_in_reply(&app, CM, &format!("guess-{i}")).await.location().to_string() })
    });
    let mut evaluated = 0;
    for guess in guesses {
        let location = guess.await.unwrap();
        if location.contains("error=invalid") {
            evaluated += 1;
        } else {
            assert!(location.contains("error=throttled"), "{location}");
        }
    }
    assert_eq!(evaluated, 3);
}

/// Issue 9, finding 2: one password sprayed over many emails from one address is slowed too, and
/// another address is not affected.
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn one_password_sprayed_over_many_emails_from_one_address_is_refused(pool: PgPool) {
    seed_small(&pool).await;
    let mut config = config();
    config.login_max_failures_per_address = 5;
    let app = app_with(pool.clone(), &config);
    for n in 1..=5 {
        let reply = send(&app, sign_in_from("203.0.113.7", &format!("user{n:02}@acme.example"), "Summer2026!")).await;
        assert!(reply.location().contains("error=invalid"), "{}", reply.location());
    }
    let sixth = send(&app, sign_in_from("203.0.113.7", "user06@acme.example", PASSWORD)).await;
    assert!(sixth.location().contains("error=throttled"), "even the right password: {}", sixth.location());
    let elsewhere = send(&app, sign_in_from("198.51.100.1", "user06@acme.example", PASSWORD)).await;
    assert!(elsewhere.set_cookie().is_some(), "{}", elsewhere.location());
    // A forged X-Forwarded-For changes nothing unless the server is told to trust a proxy.
    let mut forged = sign_in_from("203.0.113.7", "user07@acme.example", PASSWORD);
    forged.headers_mut().insert("x-forwarded-for", "198.51.100.9".parse().unwrap());
    assert!(send(&app, forged).await.location().contains("error=throttled"));
    config.trust_proxy = true;
    let behind_proxy = app_with(pool.clone(), &config);
    let mut forwarded = sign_in_from("10.0.0.1", "user07@acme.example", PASSWORD);
    forwarded.headers_mut().insert("x-forwarded-for", "203.0.113.7, 198.51.100.9".parse().unwrap());
    assert!(send(&behind_proxy, forwarded).await.set_cookie().is_some(), "the proxy's last entry is the client");
}

/// Issue 9, finding 2: what is kept of a failure is small whatever was posted (the body may be
/// 2 MB), and failures older than the window are forgotten.
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn a_failed_sign_in_keeps_a_bounded_record_whatever_was_posted(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let huge = format!("{}@acme.example", "a".repeat(1_500_000));
    let reply = sign_in_reply(&app, &huge, "guess").await;
    assert!(reply.location().starts_with("/login?error=invalid"), "{}", &reply.location()[..60.min(reply.location().len())]);
    assert!(reply.location().len() < 200, "the email is not echoed back");
    sign_in_reply(&app, "nobody@acme.example", "guess").await;
    let longest: Option<i32> = sqlx::query_scalar("select max(length(subject)) from sign_in_failures").fetch_one(&pool).await.unwrap();
    assert!(longest.unwrap_or(0) <= 100, "{longest:?}");
    sqlx::query("update sign_in_failures set failed_at = now() - interval '16 minutes'").execute(&pool).await.unwrap();
    let forgotten = server::web::throttle::forget_expired(&pool, std::time::Duration::from_secs(15 * 60)).await.unwrap();
    assert!(forgotten >= 1);
    let left: i64 = sqlx::query_scalar("select count(*) from sign_in_failures").fetch_one(&pool).await.unwrap();
    assert_eq!(left, 0);
}

/// Issue 9, finding 4: pages carry a Content-Security-Policy whose nonce is the one on their inline
/// scripts, and every answer forbids framing and sniffing and keeps links out of Referer headers.
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn every_answer_carries_the_security_headers_and_pages_a_nonce_policy(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cookie = sign_in(&app, CM).await;
    let page = send(&app, get("/", Some(&cookie))).await;
    assert_eq!(page.status, StatusCode::OK);
    let policy = page.headers.get("content-security-policy").expect("a policy").to_str().unwrap().to_string();
    let nonce = policy.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a nonce in the policy");
    assert!(nonce.len() >= 16, "{policy}");
    assert!(page.body.contains(&format!("nonce=\"{nonce}\"")), "the hydration script carries the nonce");
    assert!(policy.contains("'wasm-unsafe-eval'") && policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.contains("'unsafe-inline'") && !policy.contains("'unsafe-eval'"), "{policy}");
    let again = send(&app, get("/", Some(&cookie))).await;
    assert!(!again.headers.get("content-security-policy").unwrap().to_str().unwrap().contains(nonce), "a new nonce each time");

    let api = call(&app, "viewer", Some(&cookie), json!({})).await;
    let refused = call(&app, "viewer", None, json!({})).await;
    let sign_in_page = send(&app, get("/login", None)).await;
    for reply in [&page, &api, &refused, &sign_in_page] {
        assert_eq!(reply.headers.get("x-frame-options").map(|v| v.to_str().unwrap()), Some("DENY"));
        assert_eq!(reply.headers.get("x-content-type-options").map(|v| v.to_str().unwrap()), Some("nosniff"));
        assert_eq!(reply.headers.get("referrer-policy").map(|v| v.to_str().unwrap()), Some("same-origin"));
        assert!(reply.headers.get("content-security-policy").is_some());
        assert!(reply.headers.get("strict-transport-security").is_none(), "no HSTS over plain HTTP");
    }
    let mut secure = config();
    secure.cookie_secure = true;
    let https = app_with(pool, &secure);
    let reply = send(&https, get("/login", None)).await;
    assert!(reply.headers.get("strict-transport-security").is_some(), "HSTS when the cookie is Secure");
}

/// Issue 9, finding 6: password hashing and checking run on the blocking pool. On a runtime with a
/// single worker thread, another task still runs while a hash is computed and checked.
#[tokio::test(flavor = "current_thread")]
async fn password_hashing_leaves_the_async_worker_free_for_other_requests() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let ticks = Arc::new(AtomicU64::new(0));
    let ticker = {
        let ticks = ticks.clone();
        tokio::spawn(async move {
            loop {
                ticks.fetch_add(1, Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        })
    };
    let hash = app::ssr::auth::hash_password_off_thread("correct horse battery").await;
    let while_hashing = ticks.swap(0, Ordering::Relaxed);
    let found = app::ssr::auth::first_matching_hash_off_thread("correct horse battery", vec!["x".into(), hash]).await;
    let while_checking = ticks.load(Ordering::Relaxed);
    ticker.abort();
    assert_eq!(found, Some(1));
    assert!(while_hashing > 0, "the other task ran while hashing");
    assert!(while_checking > 0, "the other task ran while checking");
}

/// Issue 9, finding 5 (R23): a body that is not the function's arguments is the caller's mistake:
/// 400 with the reason and the argument it concerns, never a 500.
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn a_body_that_does_not_decode_is_a_400_naming_the_argument(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool);
    let cookie = sign_in(&app, CM).await;
    for body in ["42", "{", "null", "not json"] {
        let reply = send(&app, post("/api/viewer", Some(&cookie), "application/json", body)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {}", reply.body);
        assert!(reply.body.contains("BadRequest"), "{}", reply.body);
    }
    let reply = call(&app, "history", Some(&cookie), json!({ "page": "three" })).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body.contains("page"), "the argument is named: {}", reply.body);
}
