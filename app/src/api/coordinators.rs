//! Server functions of the Software Coordinators tab (R12, R13), support cases (R6) and changing the
//! Contract Manager (R7).

use crate::AppError;
use leptos::prelude::*;
use shared::coordinators::{AgentContract, CoordinatorsTab, RemovalImpact, SupportCase};
use shared::shipping::ShippingLocation;
use uuid::Uuid;

#[server(prefix = "/api", endpoint = "coordinators/tab", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn load_coordinators_tab(contract_number: String) -> Result<CoordinatorsTab, AppError> {
    crate::ssr::for_contract_viewer(&contract_number, |pool, view| async move { crate::ssr::coordinators::coordinators_tab(&pool, &view).await }).await
}

/// Sets one shipping location for every selected coordinator (R12).
#[server(prefix = "/api", endpoint = "coordinators/shipping", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn save_shipping(contract_number: String, people: Vec<Uuid>, location: ShippingLocation) -> Result<u64, AppError> {
    crate::ssr::for_contract_manager(&contract_number, |pool, manager| async move { crate::ssr::coordinators::save_shipping(&pool, &manager, &people, &location).await }).await
}

/// What Remove From All would do, for its confirmation (R13).
#[server(prefix = "/api", endpoint = "coordinators/removal-impact", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn preview_removal(contract_number: String, people: Vec<Uuid>) -> Result<Vec<RemovalImpact>, AppError> {
    crate::ssr::for_contract_manager(&contract_number, |pool, manager| async move { crate::ssr::coordinators::removal_impact(&pool, &manager, &people).await }).await
}

/// Remove From All (R13).
#[server(prefix = "/api", endpoint = "coordinators/remove-from-all", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn remove_from_all(contract_number: String, people: Vec<Uuid>) -> Result<String, AppError> {
    crate::ssr::for_contract_manager(&contract_number, |pool, manager| async move { crate::ssr::coordinators::remove_from_all(&pool, &manager, &people).await }).await
}

/// The current CM asks the reseller to make someone else the CM (R7).
#[server(prefix = "/api", endpoint = "contracts/request-manager-change", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn request_manager_change(contract_number: String, proposed: Uuid, reason: String) -> Result<String, AppError> {
    crate::ssr::for_contract_manager(&contract_number, |pool, manager| async move { crate::ssr::cases::request_manager_change(&pool, &manager, proposed, &reason).await }).await
}

/// The contracts a reseller agent serves (R7).
#[server(prefix = "/api", endpoint = "reseller/contracts", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn agent_contracts() -> Result<Vec<AgentContract>, AppError> {
    crate::ssr::for_agent(|pool, agent| async move { crate::ssr::cases::agent_contracts(&pool, &agent).await }).await
}

/// A reseller agent makes another person of the company the CM (R1, R7).
#[server(prefix = "/api", endpoint = "reseller/change-manager", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn change_manager(contract_id: Uuid, person: Uuid) -> Result<String, AppError> {
    crate::ssr::for_agent(|pool, agent| async move { crate::ssr::cases::change_manager(&pool, &agent, contract_id, person).await }).await
}

/// A reseller agent approves or declines a change-of-CM case (R7).
#[server(prefix = "/api", endpoint = "reseller/resolve-case", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn resolve_case(case_id: Uuid, approve: bool) -> Result<String, AppError> {
    crate::ssr::for_agent(|pool, agent| async move { crate::ssr::cases::resolve_case(&pool, &agent, case_id, approve).await }).await
}

/// The support cases the caller may see (R6).
#[server(prefix = "/api", endpoint = "cases/list", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn support_cases() -> Result<Vec<SupportCase>, AppError> {
    use crate::ssr::{cases, pool, require_actor, respond};
    respond(async {
        let actor = require_actor()?;
        cases::visible_cases(&pool()?, &actor).await
    }
    .await)
}

/// A person of the company opens a support case (R6).
#[server(prefix = "/api", endpoint = "cases/open", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn open_case(subject: String, body: String) -> Result<Uuid, AppError> {
    crate::ssr::for_member(|pool, member| async move { crate::ssr::cases::open_case(&pool, &member, &subject, &body).await }).await
}
