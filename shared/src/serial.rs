use crate::FieldError;
use serde::{Deserialize, Serialize};

/// A serial number shaped like `123-45678901` (docs/rules.md, Serial number).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SerialNumber(String);

impl SerialNumber {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let text = raw.trim();
        let b = text.as_bytes();
        let shaped = b.len() == 12
            && b[3] == b'-'
            && b.iter().enumerate().all(|(i, c)| i == 3 || c.is_ascii_digit());
        if shaped {
            Ok(Self(text.to_string()))
        } else {
            Err(FieldError::new("Serial number", format!("{text:?} is not shaped like 123-45678901")))
        }
    }

    /// The serial of a 1-based running number, as the demo and benchmark data number them:
    /// the prefix cycles through 3-digit product families, the rest is the number itself.
    pub fn from_index(prefix: u16, n: u32) -> Self {
        Self(format!("{:03}-{:08}", prefix % 1000, n % 100_000_000))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SerialNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_well_shaped_serial_parses() {
        assert_eq!(SerialNumber::parse(" 123-45678901 ").unwrap().as_str(), "123-45678901");
    }

    #[test]
    fn misshapen_serials_are_refused() {
        for bad in ["", "12345678901", "123-4567890", "123-456789012", "abc-45678901", "123_45678901", "１23-45678901"] {
            assert!(SerialNumber::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn generated_serials_are_well_shaped() {
        let s = SerialNumber::from_index(7, 42);
        assert_eq!(s.as_str(), "007-00000042");
        assert!(SerialNumber::parse(s.as_str()).is_ok());
    }
}
