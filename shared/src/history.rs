//! The company's history: its audit events (R24) as people read them.

use serde::{Deserialize, Serialize};

/// One audit event, ready for the History page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When, in UTC.
    pub at: String,
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

/// The words for an audit action; an action this list does not know is shown as it is stored.
pub fn action_label(action: &str) -> &str {
    match action {
        "serial.assign" => "Serial assigned",
        "serial.unassign" => "Serial unassigned",
        "serial.rename_group" => "Group renamed",
        "serial.undo" => "Change undone",
        "serial.remove_from_all" => "Serial given back to its CM (Remove From All)",
        "person.add" => "Person added",
        "person.bulk_add" => "Person added (Bulk Add)",
        "person.remove" => "Person removed",
        "person.remove_from_all" => "Coordinator removed from all",
        "person.resend_invitation" => "Invitation sent again",
        "person.accept_invitation" => "Invitation accepted",
        "privilege.grant" => "Privilege granted",
        "privilege.revoke" => "Privilege revoked",
        "access.assign" => "Cloud service assigned",
        "access.remove" => "Cloud service removed",
        "shipping_location.save" => "Shipping location saved",
        "shipping_location.remove_from_all" => "Shipping location removed",
        "contract.change_manager" => "Contract Manager changed",
        "support_case.open" => "Support case opened",
        "support_case.approve" => "Support case approved",
        "support_case.decline" => "Support case declined",
        "email.send_again" => "Email sent again",
        "demo_data.loaded" => "Demo data loaded",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::action_label;

    #[test]
    fn actions_read_as_words_and_unknown_ones_stay_visible() {
        assert_eq!(action_label("serial.assign"), "Serial assigned");
        assert_eq!(action_label("person.bulk_add"), "Person added (Bulk Add)");
        assert_eq!(action_label("something.new"), "something.new");
    }
}
