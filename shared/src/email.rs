use crate::FieldError;
use serde::{Deserialize, Serialize};

/// The longest address SMTP can carry (RFC 5321: 254 octets in a path).
pub const MAX_EMAIL_LEN: usize = 254;

/// A syntactically plausible email address, trimmed. Emails are compared case-insensitively
/// (docs/rules.md, Person), so `key()` is what uniqueness and look-ups use; the text keeps its case
/// for display.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let err = |m: &str| FieldError::new("Email", m);
        let text = raw.trim();
        if text.is_empty() {
            return Err(err("is required"));
        }
        if text.len() > MAX_EMAIL_LEN {
            return Err(err("is longer than 254 characters"));
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"')) {
            return Err(err("must not contain spaces, quotes, commas, semicolons or angle brackets"));
        }
        let Some((local, domain)) = text.split_once('@') else {
            return Err(err("must contain @"));
        };
        if local.is_empty() || domain.contains('@') {
            return Err(err("must have one @ with a name before it"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-')) {
            return Err(err("must have a domain such as example.com after the @"));
        }
        Ok(Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive identity of the address.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_address_parses_and_is_trimmed() {
        assert_eq!(Email::parse("  Ann.Lee@Example.com ").unwrap().as_str(), "Ann.Lee@Example.com");
    }

    #[test]
    fn addresses_differing_only_in_case_share_a_key() {
        assert_eq!(Email::parse("ANN@x.io").unwrap().key(), Email::parse("ann@X.IO").unwrap().key());
    }

    #[test]
    fn malformed_addresses_are_refused_naming_the_field() {
        for bad in ["", "   ", "ann", "ann@", "@x.io", "ann@x", "a b@x.io", "ann@@x.io", "ann@x..io", "<a@x.io>", "a@-x.io"] {
            let e = Email::parse(bad).unwrap_err();
            assert_eq!(e.field, "Email", "{bad:?}");
        }
    }

    #[test]
    fn an_over_long_address_is_refused() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).unwrap_err().message.contains("254"));
    }
}
