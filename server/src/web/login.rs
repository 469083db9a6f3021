//! Sign-in and sign-out as plain form posts: they work without JavaScript, answer with redirects, and
//! a failed sign-in says why on the sign-in page.

use super::cookies;
use crate::state::AppState;
use app::ssr::auth::{create_session, end_session, verify_credentials, SESSION_COOKIE};
use super::throttle;
use app::routes::{self, HOME, RESELLER, SIGN_IN};
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
}

/// The client's address for the throttle: the peer, or behind a trusted proxy the address the
/// proxy added last to X-Forwarded-For (earlier entries are whatever the client claimed).
pub fn client_address(request: &Request, trust_proxy: bool) -> Option<IpAddr> {
    if trust_proxy {
        let forwarded = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .last()
            .and_then(|last| last.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())
}

fn back_to_sign_in(error: &str, email: &str) -> Response {
    let email: String = email
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    Redirect::to(&format!("{SIGN_IN}?error={error}&email={email}")).into_response()
}

pub async fn sign_in(State(state): State<AppState>, request: Request) -> Response {
    let address = client_address(&request, state.trust_proxy);
    let Ok(Form(form)) = Form::<SignInForm>::from_request(request, &state).await else {
        return back_to_sign_in("missing", "");
    };
    let email = form.email.trim();
    if email.is_empty() || form.password.is_empty() {
        return back_to_sign_in("missing", email);
    }
    // No account has a longer email (R23): refused before anything is counted or looked up.
    if email.chars().count() > shared::email::MAX_EMAIL_LEN || email.contains('\0') || form.password.len() > 1024 {
        return back_to_sign_in("invalid", "");
    }
    let attempt = match throttle::begin(&state.pool, state.throttle, email, address).await {
        Ok(Some(attempt)) => attempt,
        Ok(None) => {
            tracing::warn!(?address, "sign-in refused: too many failures for this email or address");
            return back_to_sign_in("throttled", email);
        }
        Err(error) => {
            let _ = app::ssr::internal(error);
            return back_to_sign_in("unavailable", email);
        }
    };
    let principal = match verify_credentials(&state.pool, email, &form.password).await {
        Ok(principal) => principal,
        Err(error) => {
            let _ = app::ssr::internal(error);
            return back_to_sign_in("unavailable", email);
        }
    };
    // A wrong password leaves its attempt counted as a failure.
    let Some(principal) = principal else {
        return back_to_sign_in("invalid", email);
    };
    if let Err(error) = throttle::succeeded(&state.pool, attempt).await {
        let _ = app::ssr::internal(error);
    }
    match create_session(&state.pool, principal).await {
        Ok(token) => {
            // A reseller agent's work starts on the contracts they serve.
            let home = if matches!(principal, shared::Principal::ResellerAgent { .. }) { RESELLER } else { HOME };
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
    let mut response = Redirect::to(&format!("{SIGN_IN}?notice=signed-out")).into_response();
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
    let back = |error: &str| Redirect::to(&format!("{}?error={error}", routes::invitation(&token))).into_response();
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
            let mut response = Redirect::to(HOME).into_response();
            let cookie = cookies::session(&session, state.cookie_secure, state.sessions.absolute.as_secs());
            response.headers_mut().insert(header::SET_COOKIE, cookie);
            response
        }
        Err(error) => {
            let _ = app::ssr::internal(error);
            Redirect::to(SIGN_IN).into_response()
        }
    }
}
