//! Server functions of Classic User Management (seed 003; R14-R16).

use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn;
use shared::people::{BulkAddPreview, PeoplePage};

#[server(prefix = "/api", endpoint = "people/list", input = server_fn::codec::Json)]
pub async fn list_people(search: String, page: u32) -> Result<PeoplePage, AppError> {
    use crate::ssr::{people, pool, require_actor, respond};
    respond(async { people::list(&pool()?, &require_actor()?, &search, page).await }.await)
}

/// Add, then Save & Continue: the person is added and invited (R15).
#[server(prefix = "/api", endpoint = "people/add", input = server_fn::codec::Json)]
pub async fn add_person(email: String, first_name: String, last_name: String) -> Result<String, AppError> {
    use crate::ssr::{people, pool, require_actor, respond};
    respond(async { people::add(&pool()?, &require_actor()?, &email, &first_name, &last_name).await }.await)
}

/// Bulk Add, first step: what will happen to each entry; nothing is added (R16).
#[server(prefix = "/api", endpoint = "people/bulk-preview", input = server_fn::codec::Json)]
pub async fn preview_bulk_add(text: String) -> Result<BulkAddPreview, AppError> {
    use crate::ssr::{people, pool, require_actor, respond};
    respond(async { people::bulk_preview(&pool()?, &require_actor()?, &text).await }.await)
}

/// Bulk Add, confirmed: every valid new entry is added and invited in one transaction (R16).
#[server(prefix = "/api", endpoint = "people/bulk-add", input = server_fn::codec::Json)]
pub async fn bulk_add_people(text: String) -> Result<String, AppError> {
    use crate::ssr::{people, pool, require_actor, respond};
    respond(async { people::bulk_add(&pool()?, &require_actor()?, &text).await }.await)
}
