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
