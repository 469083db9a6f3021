//! What the audit trail records (R24): every kind of change as one `Action`, stored under the key it
//! has always had (`serial.assign`), so history written before this type existed still reads.

use serde::{Deserialize, Serialize};

/// The kind of record an audit event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Entity {
    SerialNumber,
    Person,
    ShippingLocation,
    Contract,
    SupportCase,
    Email,
    Company,
}

impl Entity {
    pub fn key(self) -> &'static str {
        match self {
            Self::SerialNumber => "serial_number",
            Self::Person => "person",
            Self::ShippingLocation => "shipping_location",
            Self::Contract => "contract",
            Self::SupportCase => "support_case",
            Self::Email => "email",
            Self::Company => "company",
        }
    }
}

/// Every change the console records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    SerialAssign,
    SerialUnassign,
    SerialRenameGroup,
    SerialUndo,
    SerialRemoveFromAll,
    PersonAdd,
    PersonBulkAdd,
    PersonRemove,
    PersonRemoveFromAll,
    PersonResendInvitation,
    PersonAcceptInvitation,
    PrivilegeGrant,
    PrivilegeRevoke,
    AccessAssign,
    AccessRemove,
    ShippingLocationSave,
    ShippingLocationRemoveFromAll,
    ContractChangeManager,
    SupportCaseOpen,
    SupportCaseApprove,
    SupportCaseDecline,
    EmailSendAgain,
    DemoDataLoaded,
}

impl Action {
    pub const ALL: [Action; 23] = [
        Self::SerialAssign,
        Self::SerialUnassign,
        Self::SerialRenameGroup,
        Self::SerialUndo,
        Self::SerialRemoveFromAll,
        Self::PersonAdd,
        Self::PersonBulkAdd,
        Self::PersonRemove,
        Self::PersonRemoveFromAll,
        Self::PersonResendInvitation,
        Self::PersonAcceptInvitation,
        Self::PrivilegeGrant,
        Self::PrivilegeRevoke,
        Self::AccessAssign,
        Self::AccessRemove,
        Self::ShippingLocationSave,
        Self::ShippingLocationRemoveFromAll,
        Self::ContractChangeManager,
        Self::SupportCaseOpen,
        Self::SupportCaseApprove,
        Self::SupportCaseDecline,
        Self::EmailSendAgain,
        Self::DemoDataLoaded,
    ];

    /// The key stored in `audit_events.action`.
    pub fn key(self) -> &'static str {
        match self {
            Self::SerialAssign => "serial.assign",
            Self::SerialUnassign => "serial.unassign",
            Self::SerialRenameGroup => "serial.rename_group",
            Self::SerialUndo => "serial.undo",
            Self::SerialRemoveFromAll => "serial.remove_from_all",
            Self::PersonAdd => "person.add",
            Self::PersonBulkAdd => "person.bulk_add",
            Self::PersonRemove => "person.remove",
            Self::PersonRemoveFromAll => "person.remove_from_all",
            Self::PersonResendInvitation => "person.resend_invitation",
            Self::PersonAcceptInvitation => "person.accept_invitation",
            Self::PrivilegeGrant => "privilege.grant",
            Self::PrivilegeRevoke => "privilege.revoke",
            Self::AccessAssign => "access.assign",
            Self::AccessRemove => "access.remove",
            Self::ShippingLocationSave => "shipping_location.save",
            Self::ShippingLocationRemoveFromAll => "shipping_location.remove_from_all",
            Self::ContractChangeManager => "contract.change_manager",
            Self::SupportCaseOpen => "support_case.open",
            Self::SupportCaseApprove => "support_case.approve",
            Self::SupportCaseDecline => "support_case.decline",
            Self::EmailSendAgain => "email.send_again",
            Self::DemoDataLoaded => "demo_data.loaded",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.key() == key)
    }

    /// The words of the History page.
    pub fn label(self) -> &'static str {
        match self {
            Self::SerialAssign => "Serial assigned",
            Self::SerialUnassign => "Serial unassigned",
            Self::SerialRenameGroup => "Group renamed",
            Self::SerialUndo => "Change undone",
            Self::SerialRemoveFromAll => "Serial given back to its CM (Remove From All)",
            Self::PersonAdd => "Person added",
            Self::PersonBulkAdd => "Person added (Bulk Add)",
            Self::PersonRemove => "Person removed",
            Self::PersonRemoveFromAll => "Coordinator removed from all",
            Self::PersonResendInvitation => "Invitation sent again",
            Self::PersonAcceptInvitation => "Invitation accepted",
            Self::PrivilegeGrant => "Privilege granted",
            Self::PrivilegeRevoke => "Privilege revoked",
            Self::AccessAssign => "Cloud service assigned",
            Self::AccessRemove => "Cloud service removed",
            Self::ShippingLocationSave => "Shipping location saved",
            Self::ShippingLocationRemoveFromAll => "Shipping location removed",
            Self::ContractChangeManager => "Contract Manager changed",
            Self::SupportCaseOpen => "Support case opened",
            Self::SupportCaseApprove => "Support case approved",
            Self::SupportCaseDecline => "Support case declined",
            Self::EmailSendAgain => "Email sent again",
            Self::DemoDataLoaded => "Demo data loaded",
        }
    }

    /// The kind of record the action changes.
    pub fn entity(self) -> Entity {
        match self {
            Self::SerialAssign | Self::SerialUnassign | Self::SerialRenameGroup | Self::SerialUndo | Self::SerialRemoveFromAll => {
                Entity::SerialNumber
            }
            Self::PersonAdd
            | Self::PersonBulkAdd
            | Self::PersonRemove
            | Self::PersonRemoveFromAll
            | Self::PersonResendInvitation
            | Self::PersonAcceptInvitation
            | Self::PrivilegeGrant
            | Self::PrivilegeRevoke
            | Self::AccessAssign
            | Self::AccessRemove => Entity::Person,
            Self::ShippingLocationSave | Self::ShippingLocationRemoveFromAll => Entity::ShippingLocation,
            Self::ContractChangeManager => Entity::Contract,
            Self::SupportCaseOpen | Self::SupportCaseApprove | Self::SupportCaseDecline => Entity::SupportCase,
            Self::EmailSendAgain => Entity::Email,
            Self::DemoDataLoaded => Entity::Company,
        }
    }
}

/// The words for a stored action key; a key this version does not know is shown as it is stored.
pub fn action_label(key: &str) -> &str {
    Action::from_key(key).map(Action::label).unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_its_own_key_that_reads_back() {
        for action in Action::ALL {
            assert_eq!(Action::from_key(action.key()), Some(action));
        }
        let mut keys: Vec<&str> = Action::ALL.iter().map(|a| a.key()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), Action::ALL.len());
    }

    #[test]
    fn actions_read_as_words_and_unknown_ones_stay_visible() {
        assert_eq!(action_label("serial.assign"), "Serial assigned");
        assert_eq!(action_label("person.bulk_add"), "Person added (Bulk Add)");
        assert_eq!(action_label("something.new"), "something.new");
    }

    #[test]
    fn an_action_names_the_record_it_changes() {
        assert_eq!(Action::SerialUndo.entity().key(), "serial_number");
        assert_eq!(Action::AccessAssign.entity().key(), "person");
        assert_eq!(Action::DemoDataLoaded.entity().key(), "company");
    }
}
