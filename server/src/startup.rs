//! Builds the whole application router; `main` serves it and the integration tests drive it in
//! memory against their own database (zero-to-production's `Application::build`).

pub use crate::state::AppState;
use crate::web;
use app::{routes, shell, App};
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::middleware::{self, Next};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use tower_http::compression::{CompressionLayer, CompressionLevel};

async fn server_fn_handler(State(state): State<AppState>, request: Request<Body>) -> impl IntoResponse {
    handle_server_fns_with_context(move || provide_context(state.pool.clone()), request).await
}

/// server_fn answers 500 for an error raised before the function body ran (arguments that do not
/// decode); the body is our `AppError`, so the answer gets that error's own status (400 for a
/// request that could not be read) instead of blaming the server.
async fn errors_keep_their_status(request: Request<Body>, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<app::AppError>(&bytes) {
        parts.status = error.status();
    }
    Response::from_parts(parts, Body::from(bytes))
}

pub fn build_router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let pool = state.pool.clone();
    let options = state.leptos_options.clone();
    let not_found = leptos_axum::file_and_error_handler_with_context::<AppState, _>(web::headers::provide_page_nonce, shell);
    Router::new()
        .route(routes::AUTH_SIGN_IN, post(web::login::sign_in))
        .route(routes::AUTH_SIGN_OUT, post(web::login::sign_out))
        .route(routes::AUTH_ACCEPT_INVITATION, post(web::login::accept_invitation))
        .route(routes::EXPORT_PEOPLE, axum::routing::get(web::export::people_csv))
        .route("/api/{*fn_name}", post(server_fn_handler))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(pool.clone());
                web::headers::provide_page_nonce();
            },
            move || shell(options.clone()),
        )
        // Files of the site outside /pkg (the favicon), else the 404 page.
        .fallback(move |uri, state, request| {
            let not_found = not_found.clone();
            async move { web::assets::site_file_caching(not_found(uri, state, request).await) }
        })
        .layer(middleware::from_fn(errors_keep_their_status))
        // Pages and server-function answers are compressed as they are sent, with gzip at its
        // fastest level: under wrk, brotli 4 (tower-http's default) halved the throughput of a
        // cached page turn (1,705 -> 840 requests/s: each answer sets up megabytes of encoder
        // state), while a 50-row answer is within 20% of brotli's size at gzip 1 (1.1 KB of 17.5 KB
        // JSON). Not /pkg (added below): those files were compressed once, at build time, brotli 11.
        .layer(CompressionLayer::new().no_br().quality(CompressionLevel::Fastest))
        .nest_service(&format!("/{}", state.leptos_options.site_pkg_dir), web::assets::pkg_service(&state.leptos_options))
        .layer(middleware::from_fn_with_state(state.clone(), web::session::resolve))
        // A cross-site request is refused before anything else looks at it.
        .layer(middleware::from_fn(web::same_origin::refuse_cross_site))
        // Every HTML answer, refusal pages included, is asked for again on the next visit.
        .layer(middleware::from_fn(web::assets::revalidate_pages))
        // Outermost: every answer, refusals included, carries the security headers.
        .layer(middleware::from_fn_with_state(state.cookie_secure, web::headers::secure))
        .with_state(state)
}
