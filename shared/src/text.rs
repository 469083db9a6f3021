//! Free text from the outside world, checked before it reaches a query (R23): every text field has a
//! length limit with a message, and control characters (NUL above all, which PostgreSQL cannot store
//! and which would otherwise surface as a server error) are refused naming the field.

use crate::FieldError;

/// Search boxes and filters: longer text than this finds nothing a person could have typed.
pub const MAX_SEARCH_LEN: usize = 200;

/// One line of text: trimmed, at most `max` characters, no control characters.
pub fn one_line(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(too_long(field, max));
    }
    if text.chars().any(char::is_control) {
        return Err(FieldError::new(field, "must not contain control characters (such as NUL or line breaks)"));
    }
    Ok(text.to_string())
}

/// Several lines (a case's text, a list of people): line breaks and tabs are fine, other control
/// characters are not.
pub fn multi_line(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(too_long(field, max));
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(FieldError::new(field, "must not contain control characters such as NUL"));
    }
    Ok(text.to_string())
}

/// What a search box may hold.
pub fn search(field: &str, raw: &str) -> Result<String, FieldError> {
    one_line(field, raw, MAX_SEARCH_LEN)
}

fn too_long(field: &str, max: usize) -> FieldError {
    let max = if max >= 1000 { format!("{},{:03}", max / 1000, max % 1000) } else { max.to_string() };
    FieldError::new(field, format!("is longer than {max} characters"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_byte_is_refused_naming_the_field() {
        let e = one_line("Search", "abc\u{0}def", 200).unwrap_err();
        assert_eq!(e.field, "Search");
        assert!(e.message.contains("NUL"), "{}", e.message);
        assert!(multi_line("Text", "a\u{0}", 10).is_err());
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert_eq!(one_line("City", &"é".repeat(100), 100).unwrap().chars().count(), 100);
        assert_eq!(one_line("City", &"😀".repeat(101), 100).unwrap_err().message, "is longer than 100 characters");
        assert_eq!(multi_line("Text", &"a".repeat(5001), 5000).unwrap_err().message, "is longer than 5,000 characters");
    }

    #[test]
    fn line_breaks_are_fine_in_several_lines_only() {
        assert_eq!(multi_line("Text", " a\nb\tc ", 10).unwrap(), "a\nb\tc");
        assert!(one_line("Subject", "a\nb", 10).is_err());
    }

    #[test]
    fn text_is_trimmed() {
        assert_eq!(search("Search", "  ann  ").unwrap(), "ann");
    }
}
