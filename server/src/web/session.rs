//! Resolves the session cookie into the caller (`Actor`) for every request that is not a static
//! file, and sends anonymous visitors of a page to the sign-in page.

use app::routes::{HOME, INVITATION_PREFIX, SIGN_IN};
use super::cookies;
use crate::state::AppState;
use app::ssr::auth::{resolve_session, SESSION_COOKIE};
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use crate::database::Availability;
use app::AppError;

fn is_static(path: &str) -> bool {
    path.starts_with("/pkg/") || path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}

pub async fn resolve(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if is_static(&path) {
        return next.run(request).await;
    }
    let is_page = request.method() == Method::GET && !path.starts_with("/api/") && !path.starts_with("/auth/");
    // While the database is known to be down, answer at once instead of letting every request wait
    // for a connection (database.rs).
    if !Availability::check(&state.pool).await {
        return refusal(&path, is_page, AppError::Unavailable);
    }
    let token = cookies::read(request.headers(), SESSION_COOKIE);
    let actor = match &token {
        Some(token) => match resolve_session(&state.pool, token, state.sessions).await {
            Ok(actor) => actor,
            Err(error) if app::ssr::db::is_unavailable(&error) => {
                tracing::warn!(%error, "cannot resolve the session: the database is unavailable");
                Availability::note_unavailable(&state.pool).await;
                return refusal(&path, is_page, AppError::Unavailable);
            }
            Err(error) => return refusal(&path, is_page, app::ssr::internal(error)),
        },
        None => None,
    };
    match actor {
        Some(actor) => {
            if is_page && path == SIGN_IN {
                return Redirect::to(HOME).into_response();
            }
            request.extensions_mut().insert(actor);
            noting_outages(&state, next.run(request).await).await
        }
        // The sign-in page and invitation links are for people who are not signed in yet.
        None if is_page && path != SIGN_IN && !path.starts_with(INVITATION_PREFIX) => {
            let target = if token.is_some() { format!("{SIGN_IN}?notice=expired") } else { SIGN_IN.to_string() };
            let mut response = Redirect::to(&target).into_response();
            if token.is_some() {
                response.headers_mut().insert(header::SET_COOKIE, cookies::cleared(state.cookie_secure));
            }
            response
        }
        None => noting_outages(&state, next.run(request).await).await,
    }
}

/// A 503 from further in (a server function that met the database unavailable) tells the next
/// requests not to wait for it.
async fn noting_outages(state: &AppState, response: Response) -> Response {
    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
        Availability::note_unavailable(&state.pool).await;
    }
    response
}

/// The answer when the request cannot go ahead: for a server function the `AppError` its caller
/// decodes (the browser shows its text), for a page a page that says it, otherwise the text. A 503
/// says when to try again.
fn refusal(path: &str, is_page: bool, error: AppError) -> Response {
    let status = error.status();
    let text = error.to_string();
    let mut response = if path.starts_with("/api/") {
        ([(header::CONTENT_TYPE, "application/json")], serde_json::to_string(&error).unwrap_or_default()).into_response()
    } else if is_page {
        let title = if status == StatusCode::SERVICE_UNAVAILABLE { "The database is unavailable" } else { "Something went wrong" };
        Html(format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} - Seatkeeper</title></head>\
             <body><main><h1>{title}</h1><p>{}</p><p><a href=\"{}\">Try again</a></p></main></body></html>",
            escape(&text),
            escape(path)
        ))
        .into_response()
    } else {
        text.into_response()
    };
    *response.status_mut() = status;
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    }
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_function_hears_the_database_is_unavailable_as_the_error_its_caller_decodes() {
        let response = refusal("/api/serials/page", false, AppError::Unavailable);
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let error: AppError = serde_json::from_slice(&body).unwrap();
        assert_eq!(error, AppError::Unavailable);
        assert!(error.to_string().contains("The database is unavailable"));
    }

    #[tokio::test]
    async fn a_page_says_the_database_is_unavailable_in_words() {
        let response = refusal("/management/users?q=<b>", true, AppError::Unavailable);
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let page = String::from_utf8(body.to_vec()).unwrap();
        assert!(page.contains("<h1>The database is unavailable</h1>"), "{page}");
        assert!(page.contains("q=&lt;b&gt;") && !page.contains("<b>"), "{page}");
    }
}
