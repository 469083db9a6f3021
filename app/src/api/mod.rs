//! Server functions: the console's HTTP API. Each one is thin: who is asking, may they, parse the
//! input, call the store, return (STYLE.md).

use crate::AppError;
use leptos::prelude::*;
use shared::Viewer;

/// The signed-in person or reseller agent with their roles (R1-R5), for the navigation.
#[server(prefix = "/api", endpoint = "viewer", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn current_viewer() -> Result<Viewer, AppError> {
    use crate::ssr::{pool, require_actor, respond, roles};
    respond(async {
        let actor = require_actor()?;
        roles::load_viewer(&pool()?, &actor).await
    }.await)
}

pub use shared::products::{BulkAction, BulkOutcome, PersonOption, Preview, ProductsPage, ProductsQuery, Selection};

/// A contract the signed-in person manages, for the contract list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContractSummary {
    pub contract_number: String,
    pub serials: i64,
    pub coordinators: i64,
}

/// The contracts the signed-in person manages (Manage Software Coordinators).
#[server(prefix = "/api", endpoint = "contracts/managed", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn managed_contracts() -> Result<Vec<ContractSummary>, AppError> {
    use crate::ssr::{authz, pool, products, require_actor, respond};
    respond(async {
        let actor = require_actor()?;
        // A reseller agent manages no contract of a company.
        let Ok(member) = authz::member(&actor) else { return Ok(vec![]) };
        let rows = products::managed_contracts(&pool()?, &member).await?;
        Ok(rows
            .into_iter()
            .map(|r| ContractSummary { contract_number: r.contract_number, serials: r.serials, coordinators: r.coordinators })
            .collect())
    }
    .await)
}

/// One page of a contract's serial numbers, filtered and sorted on the server.
#[server(prefix = "/api", endpoint = "serials/page", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn serials_page(query: ProductsQuery) -> Result<ProductsPage, AppError> {
    let number = query.contract_number.clone();
    crate::ssr::for_contract_viewer(&number, |pool, view| async move { crate::ssr::products::products_page(&pool, &view, &query).await }).await
}

/// What a bulk action would change, before it is applied.
#[server(prefix = "/api", endpoint = "serials/preview", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn preview_bulk(contract_number: String, selection: Selection, action: BulkAction) -> Result<Preview, AppError> {
    crate::ssr::for_contract_manager(&contract_number, |pool, manager| async move { crate::ssr::products::preview(&pool, &manager, &selection, &action).await }).await
}

/// Rename Group, Assign or Unassign every selected serial: one call, one transaction (R8).
#[server(prefix = "/api", endpoint = "serials/apply", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn apply_bulk(contract_number: String, selection: Selection, action: BulkAction) -> Result<BulkOutcome, AppError> {
    crate::ssr::for_contract_manager(&contract_number, |pool, manager| async move { crate::ssr::products::apply(&pool, &manager, &selection, &action).await }).await
}

/// Reverses one bulk change while nothing has touched its serials since.
#[server(prefix = "/api", endpoint = "serials/undo", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn undo_bulk(contract_number: String, change_id: uuid::Uuid) -> Result<BulkOutcome, AppError> {
    crate::ssr::for_contract_manager(&contract_number, |pool, manager| async move { crate::ssr::products::undo(&pool, &manager, change_id).await }).await
}

/// People of the company matching the text, for the Assign box.
#[server(prefix = "/api", endpoint = "people/search", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn search_people(contract_number: String, text: String) -> Result<Vec<PersonOption>, AppError> {
    crate::ssr::for_contract_manager(&contract_number, |pool, manager| async move { crate::ssr::products::search_people(&pool, &manager, &text).await }).await
}

pub mod codec;
mod coordinators;
pub use coordinators::*;
mod people;
pub use people::*;
