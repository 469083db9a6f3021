//! Drives the real application router in memory against the test's own database (each
//! `#[sqlx::test]` gets a freshly migrated one), the way a browser or curl would.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use server::config::Config;
use server::seed::{self, SeedOptions};
use server::startup::{build_router, AppState};
use sqlx::PgPool;
use tower::ServiceExt;

pub const PASSWORD: &str = seed::DEMO_PASSWORD;
pub const CM: &str = "cm@acme.example";
pub const HOST: &str = "127.0.0.1:3000";

pub fn config() -> Config {
    let mut config = Config::from_env().expect("test configuration");
    config.login_max_failures = 3;
    config
}

pub fn app_with(pool: PgPool, config: &Config) -> Router {
    // Internal errors are logged with their cause; show them in the failing test's output.
    let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("warn,server=info,app=info").try_init();
    let options = LeptosOptions::builder().output_name("seatkeeper").build();
    build_router(AppState::new(pool, options, config))
}

pub fn app(pool: PgPool) -> Router {
    app_with(pool, &config())
}

/// The demo data with few serials: two companies, people in every role.
pub async fn seed_small(pool: &PgPool) {
    seed::run(pool, &SeedOptions { serials: 30, if_empty: false, progress: false }).await.expect("seeding");
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    pub fn set_cookie(&self) -> Option<String> {
        self.headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).map(str::to_string)
    }
}

pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.expect("the router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("a body").to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

pub fn post(path: &str, cookie: Option<&str>, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::ORIGIN, format!("http://{HOST}"))
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, content_type);
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    builder.body(body.into()).expect("a request")
}

pub fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder().method(Method::GET).uri(path).header(header::HOST, HOST);
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    builder.body(Body::empty()).expect("a request")
}

/// Calls a server function the way the browser does (a JSON POST).
pub async fn call(app: &Router, endpoint: &str, cookie: Option<&str>, args: serde_json::Value) -> Reply {
    send(app, post(&format!("/api/{endpoint}"), cookie, "application/json", args.to_string())).await
}

pub async fn sign_in_reply(app: &Router, email: &str, password: &str) -> Reply {
    let form = format!("email={}&password={}", email.replace('@', "%40"), password);
    send(app, post("/auth/login", None, "application/x-www-form-urlencoded", form)).await
}

/// Signs in and returns the `name=value` of the session cookie.
pub async fn sign_in(app: &Router, email: &str) -> String {
    let reply = sign_in_reply(app, email, PASSWORD).await;
    assert!(matches!(reply.location(), "/" | "/reseller"), "sign-in of {email} should succeed: {}", reply.location());
    let cookie = reply.set_cookie().expect("a session cookie");
    cookie.split(';').next().unwrap().to_string()
}

// ---- Added for the access matrix and the hostile-input tests (issue 9) ----

/// Sends a request and turns a panic in the application, or a body that breaks off, into an `Err`
/// naming what happened, so one bad cell is reported with its input instead of aborting the test.
pub async fn try_send(app: &Router, request: Request<Body>) -> Result<Reply, String> {
    let app = app.clone();
    let task = tokio::spawn(async move {
        let response = match app.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.map_err(|e| format!("the body broke off: {e}"))?.to_bytes();
        Ok(Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() })
    });
    match task.await {
        Ok(reply) => reply,
        Err(error) if error.is_panic() => {
            let payload = error.into_panic();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".into());
            Err(format!("the server panicked (a dropped connection for a browser): {message}"))
        }
        Err(error) => Err(format!("the request task failed: {error}")),
    }
}

/// Every table whose rows a request may change, except `sessions` and `sign_in_failures` (touched by
/// signing in and by using a session, which is not a change of the company's records).
pub const RECORD_TABLES: [&str; 15] = [
    "resellers",
    "reseller_agents",
    "companies",
    "company_resellers",
    "people",
    "contracts",
    "serial_numbers",
    "shipping_locations",
    "service_assignments",
    "invitations",
    "support_cases",
    "audit_events",
    "serial_changes",
    "outgoing_emails",
    "products",
];

/// A fingerprint of every record table: (table, row count, md5 of its rows in a fixed order). Two
/// equal snapshots mean nothing changed in between.
pub async fn snapshot(pool: &PgPool) -> Vec<(&'static str, i64, String)> {
    let columns: Vec<String> = RECORD_TABLES
        .iter()
        .map(|t| format!("(select row(count(*), md5(coalesce(string_agg(x::text, '|' order by x::text), '')))::text from {t} x)"))
        .collect();
    let row: Vec<String> = sqlx::query_scalar(&format!("select array[{}]", columns.join(", ")))
        .fetch_one(pool)
        .await
        .expect("a snapshot of the record tables");
    RECORD_TABLES
        .iter()
        .zip(row)
        .map(|(table, cell)| {
            // `(count,md5)`
            let inner = cell.trim_start_matches('(').trim_end_matches(')');
            let (count, hash) = inner.split_once(',').unwrap_or(("0", inner));
            (*table, count.parse().unwrap_or(-1), hash.to_string())
        })
        .collect()
}

/// The tables that differ between two snapshots, with their row counts before and after.
pub fn changed_tables(before: &[(&'static str, i64, String)], after: &[(&'static str, i64, String)]) -> Vec<String> {
    before
        .iter()
        .zip(after)
        .filter(|(a, b)| a.2 != b.2)
        .map(|(a, b)| format!("{} ({} -> {} rows)", a.0, a.1, b.1))
        .collect()
}

/// A text cut to `n` characters for a failure message.
pub fn clip(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        text.to_string()
    } else {
        format!("{}… ({} characters)", text.chars().take(n).collect::<String>(), text.chars().count())
    }
}

/// The tables whose rows belong to one company (R25).
pub const COMPANY_TABLES: [&str; 11] = [
    "company_resellers",
    "people",
    "contracts",
    "serial_numbers",
    "shipping_locations",
    "service_assignments",
    "invitations",
    "support_cases",
    "audit_events",
    "serial_changes",
    "outgoing_emails",
];

/// A fingerprint of every row one company owns, named as in the demo data ("Acme Engineering",
/// "Globex Architects"): equal before and after means nothing of that company changed.
pub async fn company_fingerprint(pool: &PgPool, company: &str) -> String {
    let parts: Vec<String> = COMPANY_TABLES
        .iter()
        .map(|t| format!("(select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from {t} x where x.company_id = c.id)"))
        .collect();
    sqlx::query_scalar(&format!("select concat_ws(',', {}) from companies c where c.name = $1", parts.join(", ")))
        .bind(company)
        .fetch_one(pool)
        .await
        .expect("a company's fingerprint")
}
