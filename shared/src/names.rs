use crate::FieldError;
use serde::{Deserialize, Serialize};

/// R23: a name is at most 100 characters.
pub const MAX_NAME_LEN: usize = 100;

/// A person's first and last name, each trimmed, non-empty and at most 100 characters (R23).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName {
    pub first: String,
    pub last: String,
}

/// Validates one name field; `field` is the label on the screen ("First name", "Last name").
pub fn parse_name(field: &str, raw: &str) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if text.chars().count() > MAX_NAME_LEN {
        return Err(FieldError::new(field, "is longer than 100 characters"));
    }
    if text.chars().any(char::is_control) {
        return Err(FieldError::new(field, "must not contain control characters"));
    }
    Ok(text.to_string())
}

impl PersonName {
    pub fn parse(first: &str, last: &str) -> Result<Self, Vec<FieldError>> {
        match (parse_name("First name", first), parse_name("Last name", last)) {
            (Ok(first), Ok(last)) => Ok(Self { first, last }),
            (a, b) => Err([a.err(), b.err()].into_iter().flatten().collect()),
        }
    }

    pub fn full(&self) -> String {
        format!("{} {}", self.first, self.last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed() {
        let n = PersonName::parse(" Ann ", " Lee").unwrap();
        assert_eq!(n.full(), "Ann Lee");
    }

    #[test]
    fn both_empty_names_are_reported_at_once() {
        let errors = PersonName::parse(" ", "").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["First name", "Last name"]);
    }

    #[test]
    fn a_name_of_101_characters_is_refused_and_100_accepted() {
        assert!(parse_name("Last name", &"é".repeat(100)).is_ok());
        let e = parse_name("Last name", &"é".repeat(101)).unwrap_err();
        assert_eq!(e.message, "is longer than 100 characters");
    }
}
