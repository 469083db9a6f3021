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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRow {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub status: PersonStatus,
    pub roles: Vec<String>,
    pub services: i64,
    /// R20, R21: nothing is assigned to them and they are neither CM nor SC, so they can be removed.
    pub removable: bool,
    /// R5, R22: may download releases and extensions.
    pub may_download: bool,
    /// R4: an SC the CM allowed to manage users.
    pub may_manage_users: bool,
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
    pub queued_at: String,
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
    pub expires_on: String,
    pub expired: bool,
}
