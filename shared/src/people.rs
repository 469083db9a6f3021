//! Classic User Management (seed 003; R14-R16): the users list and adding people.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PersonStatus {
    Active,
    Invited,
    /// Invited more than 90 days ago without accepting (R17).
    InvitationExpired,
}

impl PersonStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Invited => "Invited",
            Self::InvitationExpired => "Invitation expired",
        }
    }
}

/// People on one page of the users list.
pub const PAGE_SIZE: u64 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRow {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub status: PersonStatus,
    pub roles: Vec<Role>,
    pub services: i64,
    /// R20, R21: nothing is assigned to them and they are neither CM nor SC, so they can be removed.
    pub removable: bool,
    /// R5, R22: may download releases and extensions.
    pub may_download: bool,
    /// R4: an SC the CM allowed to manage users.
    pub may_manage_users: bool,
}

/// Which people the users list shows: a search and three filters, all carried in the page's URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeopleFilter {
    /// Part of a name or an email.
    pub search: String,
    pub status: Option<PersonStatus>,
    pub role: Option<RoleFilter>,
    /// `Some(true)`: people with at least one cloud service; `Some(false)`: people with none.
    pub with_services: Option<bool>,
}

/// A person's role in the company (R1-R5): what the users list shows and filters by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    ContractManager,
    SoftwareCoordinator,
    /// Neither a CM nor an SC.
    User,
}

/// The users list filters by the same roles it shows.
pub type RoleFilter = Role;

impl Role {
    /// R3, R5: the CM of a contract, the SC of a serial, both, or else a User.
    pub fn of(is_contract_manager: bool, is_coordinator: bool) -> Vec<Role> {
        let mut roles = Vec::new();
        if is_contract_manager {
            roles.push(Role::ContractManager);
        }
        if is_coordinator {
            roles.push(Role::SoftwareCoordinator);
        }
        if roles.is_empty() {
            roles.push(Role::User);
        }
        roles
    }

    /// "Contract Manager, Software Coordinator".
    pub fn labels(roles: &[Role]) -> String {
        roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ")
    }

    pub const ALL: [Self; 3] = [Self::ContractManager, Self::SoftwareCoordinator, Self::User];

    pub fn key(self) -> &'static str {
        match self {
            Self::ContractManager => "cm",
            Self::SoftwareCoordinator => "sc",
            Self::User => "user",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ContractManager => "Contract Manager",
            Self::SoftwareCoordinator => "Software Coordinator",
            Self::User => "User",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.key() == key)
    }
}

impl PersonStatus {
    pub const ALL: [Self; 3] = [Self::Active, Self::Invited, Self::InvitationExpired];

    /// The status's value in a URL.
    pub fn key(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Invited => "invited",
            Self::InvitationExpired => "expired",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }
}

impl PeopleFilter {
    /// Reads `q`, `status`, `role` and `services` (`with` / `without`); unknown values mean "any",
    /// so an edited or outdated link still shows a list.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            search: get("q").unwrap_or_default().trim().to_string(),
            status: get("status").as_deref().and_then(PersonStatus::from_key),
            role: get("role").as_deref().and_then(RoleFilter::from_key),
            with_services: match get("services").as_deref() {
                Some("with") => Some(true),
                Some("without") => Some(false),
                _ => None,
            },
        }
    }

    /// The query string (without `?`) of this filter at `page`; filters left at "any" are left out.
    pub fn to_query(&self, page: u64) -> String {
        let mut parts = Vec::new();
        if !self.search.is_empty() {
            parts.push(format!("q={}", crate::products::url::encode_component(&self.search)));
        }
        if let Some(status) = self.status {
            parts.push(format!("status={}", status.key()));
        }
        if let Some(role) = self.role {
            parts.push(format!("role={}", role.key()));
        }
        if let Some(with) = self.with_services {
            parts.push(format!("services={}", if with { "with" } else { "without" }));
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        parts.join("&")
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[cfg(test)]
mod delivery_tests {
    use super::{Delivery, Role};

    #[test]
    fn a_person_is_cm_sc_both_or_else_a_user() {
        assert_eq!(Role::of(true, true), [Role::ContractManager, Role::SoftwareCoordinator]);
        assert_eq!(Role::of(false, true), [Role::SoftwareCoordinator]);
        assert_eq!(Role::of(false, false), [Role::User]);
        assert_eq!(Role::labels(&Role::of(true, true)), "Contract Manager, Software Coordinator");
    }

    #[test]
    fn a_delivery_says_what_happened_and_why() {
        assert_eq!(Delivery::Waiting.label(), "Waiting to be sent");
        let failed = Delivery::Failed { attempts: 1, reason: "permanent error (550): no such mailbox".into() };
        assert_eq!(failed.label(), "Failed after 1 attempt: permanent error (550): no such mailbox");
        let at = crate::time::UtcTime::from_unix_seconds(1_796_162_709);
        let retrying = Delivery::Retrying { attempts: 2, reason: "network error".into(), next_attempt_at: at };
        assert_eq!(retrying.label(), "Not delivered after 2 attempts, trying again at 2026-12-01 22:05:09 UTC: network error");
        assert_eq!(Delivery::Sent { at }.label(), "Sent 2026-12-01 22:05:09 UTC");
    }
}

#[cfg(test)]
mod filter_tests {
    use super::*;
    use crate::products::url::tests::percent_decode;
    use std::collections::HashMap;

    fn parse(query: &str) -> PeopleFilter {
        let params: HashMap<String, String> = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), percent_decode(v)))
            .collect();
        PeopleFilter::from_params(|key| params.get(key).cloned())
    }

    #[test]
    fn a_filter_survives_its_url() {
        let filter = PeopleFilter {
            search: "ann & lee".into(),
            status: Some(PersonStatus::InvitationExpired),
            role: Some(RoleFilter::User),
            with_services: Some(false),
        };
        let query = filter.to_query(3);
        assert_eq!(query, "q=ann%20%26%20lee&status=expired&role=user&services=without&page=3");
        assert_eq!(parse(&query), filter);
    }

    #[test]
    fn unknown_values_mean_any_and_any_is_left_out_of_the_url() {
        let filter = parse("status=asleep&role=boss&services=maybe&q=");
        assert!(filter.is_empty());
        assert_eq!(filter.to_query(1), "");
    }
}

/// The privileges a CM (R4) or a user manager (R5) grants and revokes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Privilege {
    /// R4: only the CM grants it, only to a Software Coordinator.
    ManageUsers,
    /// R5: a CM, or an SC with the right, grants it to anyone of the company.
    Download,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeoplePage {
    pub rows: Vec<PersonRow>,
    pub total: u64,
    /// R14: whether the viewer may add and manage people.
    pub may_manage: bool,
    /// R4: whether the viewer (a CM) may give SCs the right to manage users.
    pub may_grant_manage_users: bool,
}

/// What Bulk Add will do with one entry (R16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BulkAddOutcome {
    WillBeAdded { name: String, name_from_email: bool },
    AlreadyKnown { name: String },
    DuplicateInList,
    Invalid { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkAddRow {
    /// The email, or the entry's text when it has no valid email.
    pub entry: String,
    pub outcome: BulkAddOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkAddPreview {
    pub rows: Vec<BulkAddRow>,
    pub to_add: u64,
}

/// What an invitation link leads to (R17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationLink {
    Open { first_name: String, email: String, company: String },
    Expired { email: String },
    /// Used, replaced by a newer invitation, or never issued: all answer alike.
    Unusable,
}

/// An outgoing email as the development mailbox shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentEmail {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub queued_at: crate::time::UtcTime,
}

/// Where an outgoing email stands: every email waits in the outbox until the delivery worker sends
/// it over SMTP (R17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delivery {
    /// Not tried yet (always so while no SMTP server is configured).
    Waiting,
    /// Refused for now or unreachable; tried again at `next_attempt_at`.
    Retrying { attempts: i32, reason: String, next_attempt_at: crate::time::UtcTime },
    Sent { at: crate::time::UtcTime },
    /// Given up: refused permanently or out of attempts. "Send again" queues it anew.
    Failed { attempts: i32, reason: String },
}

impl Delivery {
    pub fn label(&self) -> String {
        let tries = |n: &i32| if *n == 1 { "1 attempt".to_string() } else { format!("{n} attempts") };
        match self {
            Self::Waiting => "Waiting to be sent".into(),
            Self::Retrying { attempts, reason, next_attempt_at } => {
                format!("Not delivered after {}, trying again at {next_attempt_at}: {reason}", tries(attempts))
            }
            Self::Sent { at } => format!("Sent {at}"),
            Self::Failed { attempts, reason } => format!("Failed after {}: {reason}", tries(attempts)),
        }
    }
}

/// The Emails page: the latest emails, and how many of all the company's are waiting or failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbox {
    /// The newest first, at most `LATEST`.
    pub latest: Vec<EmailDelivery>,
    pub waiting: u64,
    pub failed: u64,
}

impl Outbox {
    pub const LATEST: usize = 200;
}

/// One email of the outbox as the Emails page lists it (without its body: invitation links are
/// for their recipients only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailDelivery {
    pub id: Uuid,
    pub to: String,
    pub subject: String,
    pub queued_at: crate::time::UtcTime,
    pub delivery: Delivery,
}

/// One cloud service of the company's multi-user serials, as Edit Access shows it for a person (R18).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccess {
    pub service_id: Uuid,
    /// e.g. "Revit 2026 — Cloud storage"
    pub label: String,
    pub assigned: bool,
    /// Distinct people using the product's multi-user serials, and the seats they allow (R19: 3 a licence).
    pub seats_used: i64,
    pub seats_total: i64,
}

/// R19: a multi-user serial of quantity N serves at most 3 x N distinct people.
pub fn seats_of(quantity: i64) -> i64 {
    3 * quantity.max(0)
}

/// An invitation that expires within 14 days or already expired (R17), for renewal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiringInvitation {
    pub person_id: Uuid,
    pub name: String,
    pub email: String,
    pub expires_at: crate::time::UtcTime,
    pub expired: bool,
}
