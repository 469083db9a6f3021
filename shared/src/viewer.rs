use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who is signed in: a person of a company, or an agent of a reseller (R7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Principal {
    Person { company_id: Uuid, person_id: Uuid },
    ResellerAgent { reseller_id: Uuid, agent_id: Uuid },
}

/// What the screen needs to know about the signed-in person: their name and the roles that decide
/// which menus and buttons they see. The server re-checks every role on every call; this is display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub principal: Principal,
    pub email: String,
    pub display_name: String,
    pub company_name: Option<String>,
    /// Contracts this person is the Contract Manager of (R1).
    pub managed_contracts: Vec<Uuid>,
    /// How many serial numbers this person coordinates (R3: explicit assignments only).
    pub coordinated_serials: i64,
    /// R14: a CM, or an SC given the right (R4).
    pub may_manage_users: bool,
}

impl Viewer {
    pub fn is_contract_manager(&self) -> bool {
        !self.managed_contracts.is_empty()
    }

    pub fn is_software_coordinator(&self) -> bool {
        self.coordinated_serials > 0
    }

    pub fn is_reseller_agent(&self) -> bool {
        matches!(self.principal, Principal::ResellerAgent { .. })
    }

    /// The role names shown beside the person's name.
    pub fn role_labels(&self) -> Vec<&'static str> {
        if self.is_reseller_agent() {
            return vec!["Reseller agent"];
        }
        crate::people::Role::of(self.is_contract_manager(), self.is_software_coordinator()).into_iter().map(|r| r.label()).collect()
    }
}

/// R14 with R4: only a CM, or an SC who has been given the right, manages users.
pub fn may_manage_users(is_contract_manager: bool, is_coordinator: bool, has_right: bool) -> bool {
    is_contract_manager || (is_coordinator && has_right)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer(cm: bool, sc: i64) -> Viewer {
        Viewer {
            principal: Principal::Person { company_id: Uuid::nil(), person_id: Uuid::nil() },
            email: "a@b.co".into(),
            display_name: "A B".into(),
            company_name: None,
            managed_contracts: if cm { vec![Uuid::nil()] } else { vec![] },
            coordinated_serials: sc,
            may_manage_users: false,
        }
    }

    #[test]
    fn r14_only_a_cm_or_an_sc_with_the_right_manages_users() {
        assert!(may_manage_users(true, false, false));
        assert!(may_manage_users(false, true, true));
        assert!(!may_manage_users(false, true, false));
        assert!(!may_manage_users(false, false, true), "the right alone, without being an SC, is not enough");
    }

    #[test]
    fn a_person_without_roles_is_a_user() {
        assert_eq!(viewer(false, 0).role_labels(), ["User"]);
        assert_eq!(viewer(true, 3).role_labels(), ["Contract Manager", "Software Coordinator"]);
    }
}
