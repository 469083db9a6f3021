//! Server functions of Classic User Management (seed 003; R14-R16).

use crate::AppError;
use leptos::prelude::*;
use shared::people::{BulkAddPreview, PeopleFilter, PeoplePage};

#[server(prefix = "/api", endpoint = "people/list", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn list_people(filter: PeopleFilter, page: u32) -> Result<PeoplePage, AppError> {
    use crate::ssr::{people, pool, require_actor, respond};
    respond(async { people::list(&pool()?, &require_actor()?, &filter, page).await }.await)
}

/// Add, then Save & Continue: the person is added and invited (R15).
#[server(prefix = "/api", endpoint = "people/add", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn add_person(email: String, first_name: String, last_name: String) -> Result<String, AppError> {
    crate::ssr::for_user_manager(|pool, manager| async move { crate::ssr::people::add(&pool, &manager, &email, &first_name, &last_name).await }).await
}

/// Bulk Add, first step: what will happen to each entry; nothing is added (R16).
#[server(prefix = "/api", endpoint = "people/bulk-preview", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn preview_bulk_add(text: String) -> Result<BulkAddPreview, AppError> {
    crate::ssr::for_user_manager(|pool, manager| async move { crate::ssr::people::bulk_preview(&pool, &manager, &text).await }).await
}

/// Bulk Add, confirmed: every valid new entry is added and invited in one transaction (R16).
#[server(prefix = "/api", endpoint = "people/bulk-add", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn bulk_add_people(text: String) -> Result<String, AppError> {
    crate::ssr::for_user_manager(|pool, manager| async move { crate::ssr::people::bulk_add(&pool, &manager, &text).await }).await
}

/// What an invitation link leads to; the token is the credential, so no session is needed.
#[server(prefix = "/api", endpoint = "invitations/link", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn invitation_link(token: String) -> Result<shared::people::InvitationLink, AppError> {
    use crate::ssr::{invitations, pool, respond};
    respond(async { invitations::link_state(&pool()?, &token).await }.await)
}

/// Resend invitation: a new link, a new 90 days, the old link dead (R17).
#[server(prefix = "/api", endpoint = "invitations/resend", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn resend_invitation(person: uuid::Uuid) -> Result<String, AppError> {
    crate::ssr::for_user_manager(|pool, manager| async move { crate::ssr::invitations::resend(&pool, &manager, person).await }).await
}

/// The development mailbox: what would have been sent, while no SMTP server is configured.
#[server(prefix = "/api", endpoint = "dev/mailbox", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn dev_mailbox() -> Result<Vec<shared::people::SentEmail>, AppError> {
    if !crate::ssr::outbox::dev_mailbox_enabled() {
        return crate::ssr::respond(Err(AppError::NotFound));
    }
    crate::ssr::for_user_manager(|pool, manager| async move { crate::ssr::outbox::latest(&pool, &manager).await }).await
}

/// Removes a person with nothing assigned who is neither CM nor SC (R20, R21).
#[server(prefix = "/api", endpoint = "people/remove", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn remove_person(person: uuid::Uuid) -> Result<String, AppError> {
    crate::ssr::for_user_manager(|pool, manager| async move { crate::ssr::people::remove(&pool, &manager, person).await }).await
}

/// Edit Access: the cloud services of the company's multi-user serials and whether the person has each (R18).
#[server(prefix = "/api", endpoint = "access/get", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn person_access(person: uuid::Uuid) -> Result<Vec<shared::people::ServiceAccess>, AppError> {
    crate::ssr::for_user_manager(|pool, manager| async move { crate::ssr::access::access_of(&pool, &manager, person).await }).await
}

/// Edit Access, saved: exactly these services, within the seats of the licences (R18, R19).
#[server(prefix = "/api", endpoint = "access/set", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn save_access(person: uuid::Uuid, services: Vec<uuid::Uuid>) -> Result<String, AppError> {
    crate::ssr::for_user_manager(|pool, manager| async move { crate::ssr::access::set_access(&pool, &manager, person, &services).await }).await
}

/// Grants or revokes the right to manage users (R4, CM only) or download privileges (R5).
#[server(prefix = "/api", endpoint = "people/privilege", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn set_privilege(person: uuid::Uuid, privilege: shared::people::Privilege, granted: bool) -> Result<String, AppError> {
    crate::ssr::for_user_manager(|pool, manager| async move { crate::ssr::people::set_privilege(&pool, &manager, person, privilege, granted).await }).await
}

/// Invitations expiring within 14 days, or expired (R17).
#[server(prefix = "/api", endpoint = "invitations/expiring", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn expiring_invitations() -> Result<Vec<shared::people::ExpiringInvitation>, AppError> {
    crate::ssr::for_user_manager(|pool, manager| async move { crate::ssr::invitations::expiring(&pool, &manager).await }).await
}

/// Resend invitation to every selected person (R17).
#[server(prefix = "/api", endpoint = "invitations/resend-many", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn resend_invitations(people: Vec<uuid::Uuid>) -> Result<String, AppError> {
    crate::ssr::for_user_manager(|pool, manager| async move { crate::ssr::invitations::resend_many(&pool, &manager, &people).await }).await
}

/// The Emails page: the company's outgoing emails and where each stands (R17).
#[server(prefix = "/api", endpoint = "emails/list", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn email_deliveries() -> Result<shared::people::Outbox, AppError> {
    crate::ssr::for_user_manager(|pool, manager| async move { crate::ssr::outbox::deliveries(&pool, &manager).await }).await
}

/// Send again: failed emails go back to the queue with fresh attempts; `None`: every failed one.
#[server(prefix = "/api", endpoint = "emails/send-again", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn send_emails_again(emails: Option<Vec<uuid::Uuid>>) -> Result<String, AppError> {
    crate::ssr::for_user_manager(|pool, manager| async move { crate::ssr::outbox::send_again(&pool, &manager, emails.as_deref()).await }).await
}

/// Management > History: the company's audit events, newest first (R24).
#[server(prefix = "/api", endpoint = "history", input = crate::api::codec::Json, output = crate::api::codec::Json)]
pub async fn company_history(page: u32) -> Result<shared::history::HistoryPage, AppError> {
    crate::ssr::for_user_manager(|pool, manager| async move { crate::ssr::history::page(&pool, &manager, page).await }).await
}
