//! Server functions: the console's HTTP API. Each one is thin: who is asking, may they, parse the
//! input, call the store, return (STYLE.md).

use crate::AppError;
use leptos::prelude::*;
use shared::Viewer;

/// The signed-in person or reseller agent with their roles (R1-R5), for the navigation.
#[server(prefix = "/api", endpoint = "viewer")]
pub async fn current_viewer() -> Result<Viewer, AppError> {
    use crate::ssr::{pool, require_actor, respond, roles};
    respond(async {
        let actor = require_actor()?;
        roles::load_viewer(&pool()?, &actor).await
    }.await)
}
