//! Builds the whole application router; `main` serves it and the integration tests drive it in
//! memory against their own database (zero-to-production's `Application::build`).

use crate::config::Config;
use crate::web::{self, login::LoginLimiter};
use app::ssr::auth::SessionPolicy;
use app::{shell, App};
use axum::body::Body;
use axum::extract::{FromRef, State};
use axum::http::Request;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{middleware, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use sqlx::PgPool;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub leptos_options: LeptosOptions,
    pub sessions: SessionPolicy,
    pub cookie_secure: bool,
    pub limiter: Arc<LoginLimiter>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    pub fn new(pool: PgPool, leptos_options: LeptosOptions, config: &Config) -> Self {
        Self {
            pool,
            leptos_options,
            sessions: config.sessions,
            cookie_secure: config.cookie_secure,
            limiter: Arc::new(LoginLimiter::new(config.login_max_failures, config.login_window)),
        }
    }
}

async fn server_fn_handler(State(state): State<AppState>, request: Request<Body>) -> impl IntoResponse {
    handle_server_fns_with_context(move || provide_context(state.pool.clone()), request).await
}

pub fn build_router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let pool = state.pool.clone();
    let options = state.leptos_options.clone();
    Router::new()
        .route("/auth/login", post(web::login::sign_in))
        .route("/auth/logout", post(web::login::sign_out))
        .route("/auth/accept", post(web::login::accept_invitation))
        .route("/export/people", axum::routing::get(web::export::people_csv))
        .route("/api/{*fn_name}", post(server_fn_handler))
        .leptos_routes_with_context(&state, routes, move || provide_context(pool.clone()), move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn_with_state(state.clone(), web::session::resolve))
        // Outermost: a cross-site request is refused before anything else looks at it.
        .layer(middleware::from_fn(web::same_origin::refuse_cross_site))
        .with_state(state)
}
