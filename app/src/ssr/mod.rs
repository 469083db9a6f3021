//! Server-only code: the PostgreSQL store, sessions and roles. Compiled only with the `ssr`
//! feature; server functions import it inside their bodies.
//!
//! The SQL lives here, in `app`, rather than behind traits implemented by `server`: server functions
//! compile in `app`, and a trait layer would double every signature for a single implementation
//! (ARCHITECTURE.md, "Where the store lives").

pub mod access;
pub mod auth;
pub mod cases;
pub mod coordinators;
pub mod db;
pub mod history;
pub mod invitations;
pub mod outbox;
pub mod people;
pub mod products;
pub mod roles;

pub use auth::Actor;
pub use db::internal;

use crate::AppError;
use leptos::prelude::*;
use sqlx::PgPool;

/// The pool the server put into context for this request.
pub fn pool() -> Result<PgPool, AppError> {
    use_context::<PgPool>().ok_or_else(|| internal("no database pool in context"))
}

/// Who is calling: the session middleware resolved the cookie into an `Actor` on the request.
/// Every server function but sign-in starts here; anonymous callers get 401.
pub fn require_actor() -> Result<Actor, AppError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Actor>().cloned())
        .ok_or(AppError::Unauthenticated)
}

/// Gives a refusal its HTTP status (401, 403, 404, 409, 422) instead of leptos' default 500.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(error.status());
        }
    }
    result
}
