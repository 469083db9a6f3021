//! Resolves the session cookie into the caller (`Actor`) for every request that is not a static
//! file, and sends anonymous visitors of a page to the sign-in page.

use super::cookies;
use crate::startup::AppState;
use app::ssr::auth::{resolve_session, SESSION_COOKIE};
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

fn is_static(path: &str) -> bool {
    path.starts_with("/pkg/") || path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}

pub async fn resolve(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if is_static(&path) {
        return next.run(request).await;
    }
    let token = cookies::read(request.headers(), SESSION_COOKIE);
    let actor = match &token {
        Some(token) => match resolve_session(&state.pool, token, state.sessions).await {
            Ok(actor) => actor,
            Err(error) => {
                let reference = app::ssr::internal(error);
                return (StatusCode::SERVICE_UNAVAILABLE, reference.to_string()).into_response();
            }
        },
        None => None,
    };
    let is_page = request.method() == Method::GET && !path.starts_with("/api/") && !path.starts_with("/auth/");
    match actor {
        Some(actor) => {
            if is_page && path == "/login" {
                return Redirect::to("/").into_response();
            }
            request.extensions_mut().insert(actor);
            next.run(request).await
        }
        // The sign-in page and invitation links are for people who are not signed in yet.
        None if is_page && path != "/login" && !path.starts_with("/invitations/") => {
            let target = if token.is_some() { "/login?notice=expired" } else { "/login" };
            let mut response = Redirect::to(target).into_response();
            if token.is_some() {
                response.headers_mut().insert(header::SET_COOKIE, cookies::cleared(state.cookie_secure));
            }
            response
        }
        None => next.run(request).await,
    }
}
