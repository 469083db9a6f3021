//! The Software Coordinators tab (seed 000; R12, R13), support cases (R6) and changing the Contract
//! Manager (R1, R7): the types both sides share.

use crate::shipping::ShippingLocation;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A coordinator of a contract, as the Software Coordinators tab lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoordinatorRow {
    pub person_id: Uuid,
    pub name: String,
    pub email: String,
    /// Serials of this contract they coordinate.
    pub serials: i64,
    pub shipping: Option<ShippingLocation>,
}

/// A person one may choose from a list, with the words the list shows ("Ann Lee <ann@x.io>").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub id: Uuid,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoordinatorsTab {
    pub contract_number: String,
    pub manager_name: String,
    pub may_act: bool,
    pub coordinators: Vec<CoordinatorRow>,
    /// People of the company who could become the Contract Manager (for a change request).
    pub candidates: Vec<Candidate>,
}

/// What Remove From All would do to one person (R13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovalImpact {
    pub person_id: Uuid,
    pub name: String,
    pub email: String,
    pub serials: i64,
    pub contracts: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CaseKind {
    General,
    ChangeContractManager,
}

impl CaseKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::General => "Question",
            Self::ChangeContractManager => "Change the Contract Manager",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportCase {
    pub id: Uuid,
    pub company: String,
    pub contract_number: Option<String>,
    pub kind: CaseKind,
    pub subject: String,
    pub body: String,
    pub opened_by: String,
    pub proposed_manager: Option<String>,
    pub status: String,
    pub opened_at: crate::time::UtcTime,
}

/// A contract as a reseller agent sees it (R7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentContract {
    pub contract_id: Uuid,
    pub contract_number: String,
    pub company: String,
    pub manager_name: String,
    pub manager_email: String,
    /// The active people of the company, any of whom may become its CM.
    pub people: Vec<Candidate>,
}

/// R23: a case's subject is 1 to 200 characters, its text at most 5,000.
pub fn parse_case(subject: &str, body: &str) -> Result<(String, String), crate::FieldErrors> {
    let mut errors = crate::FieldErrors::default();
    let subject = errors.take(crate::text::one_line("Subject", subject, 200));
    if subject.as_deref() == Some("") {
        errors.push(crate::FieldError::new("Subject", "is required"));
    }
    let body = errors.take(crate::text::multi_line("Text", body, 5000));
    match (subject, body) {
        (Some(subject), Some(body)) if errors.is_empty() => Ok((subject, body)),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_needs_a_subject_of_at_most_200_characters() {
        assert!(parse_case(" Help ", "").is_ok());
        assert_eq!(parse_case("  ", "x").unwrap_err().for_field("Subject"), Some("is required"));
        assert!(parse_case(&"s".repeat(201), "").is_err());
        assert!(parse_case("s", &"t".repeat(5001)).unwrap_err().for_field("Text").is_some());
    }

    #[test]
    fn a_case_with_a_nul_byte_is_refused_naming_the_field() {
        assert!(parse_case("a\u{0}b", "").unwrap_err().for_field("Subject").is_some());
        assert!(parse_case("Help", "line one\nline\u{0}").unwrap_err().for_field("Text").is_some());
        assert_eq!(parse_case("Help", "line one\nline two").unwrap().1, "line one\nline two");
    }
}
