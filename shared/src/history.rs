//! The company's history: its audit events (R24) as people read them.

use serde::{Deserialize, Serialize};

/// One audit event, ready for the History page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: crate::time::UtcTime,
    /// Who: a person with their email, a reseller agent, or Seatkeeper itself.
    pub who: String,
    /// The event's action, e.g. `serial.assign`; `action_label` words it.
    pub action: String,
    /// The record changed: a serial number, an email, a contract number.
    pub record: String,
    /// What changed, field by field: `group_name: Site office → Training room`.
    pub change: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub rows: Vec<HistoryEntry>,
    pub total: u64,
}

pub const PAGE_SIZE: u64 = 50;

pub use crate::audit::action_label;

/// One change of one serial number, as the audit trail keeps it (R24): what happened to this serial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SerialChange {
    pub at: crate::time::UtcTime,
    /// Who: a person with their email, a reseller agent, or Seatkeeper itself.
    pub who: String,
    /// The change's action, e.g. `serial.assign`; `action_label` words it.
    pub action: String,
    /// The change this was part of (a bulk action changes many serials at once; Undo takes this id).
    pub change_id: uuid::Uuid,
    /// The serial's version after the change (it had `version - 1` before).
    pub version: i64,
    /// The coordinator before and after; `None` is the contract's CM, by default (R3).
    pub coordinator_before: Option<uuid::Uuid>,
    pub coordinator_after: Option<uuid::Uuid>,
    pub group_before: Option<String>,
    pub group_after: Option<String>,
}
