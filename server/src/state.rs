//! What every request handler shares: the pool, the Leptos settings, and the policies read from
//! the configuration. On its own, so the web layer and the router builder need not know each other.

use crate::config::Config;
use crate::config::ThrottlePolicy;
use app::ssr::auth::SessionPolicy;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sqlx::PgPool;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub leptos_options: LeptosOptions,
    pub sessions: SessionPolicy,
    pub cookie_secure: bool,
    pub throttle: ThrottlePolicy,
    pub trust_proxy: bool,
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
            throttle: ThrottlePolicy {
                per_email: config.login_max_failures as i64,
                per_address: config.login_max_failures_per_address as i64,
                window: config.login_window,
            },
            trust_proxy: config.trust_proxy,
        }
    }
}

