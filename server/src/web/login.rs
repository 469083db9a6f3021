//! Sign-in and sign-out as plain form posts: they work without JavaScript, answer with redirects, and
//! a failed sign-in says why on the sign-in page.

use super::cookies;
use crate::startup::AppState;
use app::ssr::auth::{create_session, end_session, verify_credentials, SESSION_COOKIE};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
}

/// Counts failed sign-ins per email; past the limit further tries are refused until the window
/// passes, whatever the password (a brute-force guard, not a lock-out that needs an admin).
pub struct LoginLimiter {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    pub fn new(max_failures: usize, window: Duration) -> Self {
        Self { max_failures, window, failures: Mutex::new(HashMap::new()) }
    }

    fn recent(&self, key: &str, now: Instant) -> usize {
        let mut map = self.failures.lock().expect("limiter lock");
        let Some(times) = map.get_mut(key) else { return 0 };
        while times.front().is_some_and(|t| now.duration_since(*t) > self.window) {
            times.pop_front();
        }
        times.len()
    }

    pub fn is_blocked(&self, key: &str) -> bool {
        self.recent(key, Instant::now()) >= self.max_failures
    }

    pub fn record_failure(&self, key: &str) {
        let mut map = self.failures.lock().expect("limiter lock");
        if map.len() > 100_000 {
            map.clear(); // bounded memory under a spray of made-up emails
        }
        map.entry(key.to_string()).or_default().push_back(Instant::now());
    }

    pub fn forget(&self, key: &str) {
        self.failures.lock().expect("limiter lock").remove(key);
    }
}

fn back_to_sign_in(error: &str, email: &str) -> Response {
    let email: String = email
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    Redirect::to(&format!("/login?error={error}&email={email}")).into_response()
}

pub async fn sign_in(State(state): State<AppState>, Form(form): Form<SignInForm>) -> Response {
    let email = form.email.trim();
    if email.is_empty() || form.password.is_empty() {
        return back_to_sign_in("missing", email);
    }
    let key = email.to_lowercase();
    if state.limiter.is_blocked(&key) {
        tracing::warn!(email = %key, "sign-in refused: too many failures");
        return back_to_sign_in("throttled", email);
    }
    let principal = match verify_credentials(&state.pool, email, &form.password).await {
        Ok(principal) => principal,
        Err(error) => {
            let _ = app::ssr::internal(error);
            return back_to_sign_in("unavailable", email);
        }
    };
    let Some(principal) = principal else {
        state.limiter.record_failure(&key);
        return back_to_sign_in("invalid", email);
    };
    state.limiter.forget(&key);
    match create_session(&state.pool, principal).await {
        Ok(token) => {
            // A reseller agent's work starts on the contracts they serve.
            let home = if matches!(principal, shared::Principal::ResellerAgent { .. }) { "/reseller" } else { "/" };
            let mut response = Redirect::to(home).into_response();
            let cookie = cookies::session(&token, state.cookie_secure, state.sessions.absolute.as_secs());
            response.headers_mut().insert(header::SET_COOKIE, cookie);
            response
        }
        Err(error) => {
            let _ = app::ssr::internal(error);
            back_to_sign_in("unavailable", email)
        }
    }
}

pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = cookies::read(&headers, SESSION_COOKIE) {
        if let Err(error) = end_session(&state.pool, &token).await {
            let _ = app::ssr::internal(error);
        }
    }
    let mut response = Redirect::to("/login?notice=signed-out").into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookies::cleared(state.cookie_secure));
    response
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub confirm: String,
}

/// The invitation's form (R17): set a password, become active, and be signed in. A plain form post,
/// like sign-in, so it works without JavaScript.
pub async fn accept_invitation(State(state): State<AppState>, Form(form): Form<AcceptForm>) -> Response {
    let token: String = form.token.chars().filter(char::is_ascii_hexdigit).collect();
    let back = |error: &str| Redirect::to(&format!("/invitations/{token}?error={error}")).into_response();
    if form.password != form.confirm {
        return back("mismatch");
    }
    let principal = match app::ssr::invitations::accept(&state.pool, &token, &form.password).await {
        Ok(principal) => principal,
        Err(app::AppError::Invalid(_)) => return back("short"),
        Err(app::AppError::Conflict(_)) => return back("unusable"),
        Err(_) => return back("unavailable"),
    };
    match create_session(&state.pool, principal).await {
        Ok(session) => {
            let mut response = Redirect::to("/").into_response();
            let cookie = cookies::session(&session, state.cookie_secure, state.sessions.absolute.as_secs());
            response.headers_mut().insert(header::SET_COOKIE, cookie);
            response
        }
        Err(error) => {
            let _ = app::ssr::internal(error);
            Redirect::to("/login").into_response()
        }
    }
}
