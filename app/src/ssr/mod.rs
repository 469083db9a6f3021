//! Server-only code: the PostgreSQL store, sessions and roles. Compiled only with the `ssr`
//! feature; server functions import it inside their bodies.
//!
//! The SQL lives here, in `app`, rather than behind traits implemented by `server`: server functions
//! compile in `app`, and a trait layer would double every signature for a single implementation
//! (ARCHITECTURE.md, "Where the store lives").

pub mod access;
pub mod audit;
pub mod auth;
pub mod authz;
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

/// The caller as a user manager (R14), with the pool: how every user-management function starts.
pub async fn as_user_manager() -> Result<(PgPool, authz::UserManager), AppError> {
    let pool = pool()?;
    let manager = authz::user_manager(&pool, &require_actor()?).await?;
    Ok((pool, manager))
}

/// The caller as the CM of this contract of their company (R2), with the pool.
pub async fn as_contract_manager(contract_number: &str) -> Result<(PgPool, authz::ContractManager), AppError> {
    let pool = pool()?;
    let manager = authz::contract_manager(&pool, &require_actor()?, contract_number).await?;
    Ok((pool, manager))
}

/// The caller as a reader of this contract of their company (R25), with the pool.
pub async fn as_contract_viewer(contract_number: &str) -> Result<(PgPool, authz::ContractView), AppError> {
    let pool = pool()?;
    let view = authz::contract_view(&pool, &require_actor()?, contract_number).await?;
    Ok((pool, view))
}

/// The caller as a reseller agent (R7), with the pool.
pub fn as_agent() -> Result<(PgPool, authz::Agent), AppError> {
    Ok((pool()?, authz::agent(&require_actor()?)?))
}

/// The caller as a person of a company, with the pool.
pub fn as_member() -> Result<(PgPool, authz::Member), AppError> {
    Ok((pool()?, authz::member(&require_actor()?)?))
}

/// A server function's body run as a user manager (R14): the caller is authorised first, and a
/// refusal keeps its HTTP status. The body gets the pool and the capability.
pub async fn for_user_manager<T, Fut>(body: impl FnOnce(PgPool, authz::UserManager) -> Fut) -> Result<T, AppError>
where
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    respond(async { as_user_manager().await.map(|(pool, manager)| body(pool, manager))?.await }.await)
}

/// A server function's body run as the CM of the contract (R2).
pub async fn for_contract_manager<T, Fut>(contract_number: &str, body: impl FnOnce(PgPool, authz::ContractManager) -> Fut) -> Result<T, AppError>
where
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    respond(async { as_contract_manager(contract_number).await.map(|(pool, manager)| body(pool, manager))?.await }.await)
}

/// A server function's body run as a reader of the contract (R25).
pub async fn for_contract_viewer<T, Fut>(contract_number: &str, body: impl FnOnce(PgPool, authz::ContractView) -> Fut) -> Result<T, AppError>
where
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    respond(async { as_contract_viewer(contract_number).await.map(|(pool, view)| body(pool, view))?.await }.await)
}

/// A server function's body run as a reseller agent (R7).
pub async fn for_agent<T, Fut>(body: impl FnOnce(PgPool, authz::Agent) -> Fut) -> Result<T, AppError>
where
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    respond(async { as_agent().map(|(pool, agent)| body(pool, agent))?.await }.await)
}

/// A server function's body run as a person of a company.
pub async fn for_member<T, Fut>(body: impl FnOnce(PgPool, authz::Member) -> Fut) -> Result<T, AppError>
where
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    respond(async { as_member().map(|(pool, member)| body(pool, member))?.await }.await)
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
