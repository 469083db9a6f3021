//! Bulk Add (seed 003, R16): many people in one text, separated by semicolons (newlines tolerated),
//! each either `email` or `First Last <email>`. Parsing never fails as a whole and never panics:
//! every entry comes back parsed or invalid with its reason, so invalid entries never stop valid ones.

use crate::{Email, FieldError};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// At most this many entries in one submission.
pub const MAX_ENTRIES: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPerson {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// True when the text gave only the email and the name was made from it.
    pub name_from_email: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entry {
    Valid(NewPerson),
    /// The same email (case-insensitively) appeared earlier in the list.
    DuplicateInList { email: String },
    Invalid { text: String, reason: String },
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect(),
        None => String::new(),
    }
}

/// A name for someone known only by their email: `ann.lee@x.io` is Ann Lee; `ann@acme.io` is
/// Ann Acme (the domain stands in for the missing last name, and the preview says so).
fn name_from_email(email: &Email) -> (String, String) {
    let (local, domain) = email.as_str().split_once('@').unwrap_or((email.as_str(), ""));
    let words: Vec<&str> = local.split(['.', '_', '-', '+']).filter(|w| !w.is_empty()).collect();
    let first = words.first().map(|w| capitalise(w)).unwrap_or_else(|| capitalise(local));
    let last = if words.len() > 1 {
        words[1..].iter().map(|w| capitalise(w)).collect::<Vec<_>>().join(" ")
    } else {
        capitalise(domain.split('.').next().unwrap_or(""))
    };
    let clip = |s: String| s.chars().take(crate::names::MAX_NAME_LEN).collect::<String>();
    (clip(first), clip(if last.is_empty() { "Unknown".into() } else { last }))
}

fn reason(error: FieldError) -> String {
    format!("{} {}", error.field, error.message)
}

fn parse_entry(text: &str) -> Result<NewPerson, String> {
    if let Some(open) = text.find('<') {
        let Some(close) = text.rfind('>') else {
            return Err("has a < without a closing >".into());
        };
        if close < open || !text[close + 1..].trim().is_empty() {
            return Err("must end with the email in angle brackets, like Ann Lee <ann@example.com>".into());
        }
        let email = Email::parse(&text[open + 1..close]).map_err(reason)?;
        let name = text[..open].trim();
        let Some((first, last)) = name.rsplit_once(char::is_whitespace) else {
            return Err(if name.is_empty() {
                "has angle brackets but no name before them".into()
            } else {
                "needs a first and a last name before the <email>".into()
            });
        };
        let person = crate::PersonName::parse(first, last)
            .map_err(|errors| errors.into_iter().map(reason).collect::<Vec<_>>().join("; "))?;
        Ok(NewPerson { email: email.as_str().to_string(), first_name: person.first, last_name: person.last, name_from_email: false })
    } else {
        let email = Email::parse(text).map_err(reason)?;
        let (first_name, last_name) = name_from_email(&email);
        Ok(NewPerson { email: email.as_str().to_string(), first_name, last_name, name_from_email: true })
    }
}

/// Splits and parses the text; empty entries (`;;`, blank lines) are skipped. Returns `Err` only
/// when there are more than `MAX_ENTRIES` entries.
pub fn parse_bulk(text: &str) -> Result<Vec<Entry>, String> {
    let pieces: Vec<&str> = text.split([';', '\n', '\r']).map(str::trim).filter(|p| !p.is_empty()).collect();
    if pieces.len() > MAX_ENTRIES {
        return Err(format!("{} entries given; at most 5,000 can be added at once", pieces.len()));
    }
    let mut seen = HashSet::new();
    Ok(pieces
        .into_iter()
        .map(|piece| match parse_entry(piece) {
            Ok(person) if !seen.insert(person.email.to_lowercase()) => Entry::DuplicateInList { email: person.email },
            Ok(person) => Entry::Valid(person),
            Err(reason) => Entry::Invalid { text: piece.chars().take(200).collect(), reason },
        })
        .collect())
}

/// The text form of a person, as the parser reads it back.
pub fn format_entry(first: &str, last: &str, email: &str) -> String {
    format!("{first} {last} <{email}>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn valid(entries: &[Entry]) -> Vec<&NewPerson> {
        entries.iter().filter_map(|e| if let Entry::Valid(p) = e { Some(p) } else { None }).collect()
    }

    #[test]
    fn r16_entries_are_separated_by_semicolons_and_newlines() {
        let entries = parse_bulk("Ann Lee <ann@x.io>; bo@x.io\nMary Ann Smith <mary@x.io>;;  ").unwrap();
        assert_eq!(entries.len(), 3);
        let people = valid(&entries);
        assert_eq!((people[0].first_name.as_str(), people[0].last_name.as_str()), ("Ann", "Lee"));
        assert_eq!((people[2].first_name.as_str(), people[2].last_name.as_str()), ("Mary Ann", "Smith"));
        assert!(people[1].name_from_email);
    }

    #[test]
    fn r16_invalid_entries_say_why_and_do_not_stop_valid_ones() {
        let entries = parse_bulk("not-an-email; Cher <cher@x.io>; Ann Lee <ann@x.io; ok@x.io").unwrap();
        assert!(matches!(&entries[0], Entry::Invalid { reason, .. } if reason == "Email must contain @"));
        assert!(matches!(&entries[1], Entry::Invalid { reason, .. } if reason.contains("first and a last name")));
        assert!(matches!(&entries[2], Entry::Invalid { reason, .. } if reason.contains("closing >")));
        assert_eq!(valid(&entries).len(), 1);
    }

    #[test]
    fn r16_a_repeated_email_differing_in_case_is_a_duplicate_in_the_list() {
        let entries = parse_bulk("ann@x.io; Ann Lee <ANN@X.IO>").unwrap();
        assert!(matches!(&entries[1], Entry::DuplicateInList { email } if email == "ANN@X.IO"));
    }

    #[test]
    fn names_are_made_from_emails_when_only_the_email_is_given() {
        let entries = parse_bulk("ann.marie_lee@x.io; info@acme.example").unwrap();
        let people = valid(&entries);
        assert_eq!((people[0].first_name.as_str(), people[0].last_name.as_str()), ("Ann", "Marie Lee"));
        assert_eq!((people[1].first_name.as_str(), people[1].last_name.as_str()), ("Info", "Acme"));
    }

    #[test]
    fn more_than_5000_entries_are_refused_and_5000_accepted() {
        let list = |n: usize| (0..n).map(|i| format!("p{i}@x.io")).collect::<Vec<_>>().join(";");
        assert_eq!(parse_bulk(&list(5_000)).unwrap().len(), 5_000);
        assert!(parse_bulk(&list(5_001)).unwrap_err().contains("5,000"));
    }

    proptest! {
        #[test]
        fn any_text_parses_without_panicking(text in any::<String>()) {
            let _ = parse_bulk(&text);
        }

        #[test]
        fn any_text_of_separators_and_brackets_parses_without_panicking(text in "[a-zA-Z@.<> ;\n,-]{0,200}") {
            let _ = parse_bulk(&text);
        }

        #[test]
        fn a_well_formed_list_round_trips(people in proptest::collection::vec(
            ("[A-Z][a-z]{1,12}", "[A-Z][a-z]{1,12}", "[a-z]{1,10}", "[a-z]{2,8}\\.(io|com|example)"), 1..40)) {
            let mut unique = HashSet::new();
            let people: Vec<_> = people.into_iter().filter(|p| unique.insert(format!("{}@{}", p.2, p.3))).collect();
            let text = people.iter().map(|(f, l, local, domain)| format_entry(f, l, &format!("{local}@{domain}"))).collect::<Vec<_>>().join("; ");
            let entries = parse_bulk(&text).unwrap();
            prop_assert_eq!(entries.len(), people.len());
            for ((f, l, local, domain), entry) in people.iter().zip(&entries) {
                let expected = NewPerson { email: format!("{local}@{domain}"), first_name: f.clone(), last_name: l.clone(), name_from_email: false };
                prop_assert_eq!(entry, &Entry::Valid(expected));
            }
        }
    }
}
