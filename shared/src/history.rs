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
