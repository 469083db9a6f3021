//! The Products tab (seed 000; R8-R11): what the table asks for, what a selection is, what an action
//! does, and the rules that validate them before any I/O.

use crate::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// R23: a group name is at most 80 characters.
pub const MAX_GROUP_NAME_LEN: usize = 80;
pub const PAGE_SIZES: [u32; 4] = [25, 50, 100, 200];
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// R9: trimmed; empty clears the group; at most 80 characters.
pub fn parse_group_name(raw: &str) -> Result<Option<String>, FieldError> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > MAX_GROUP_NAME_LEN {
        return Err(FieldError::new("Group name", "is longer than 80 characters"));
    }
    if text.chars().any(char::is_control) {
        return Err(FieldError::new("Group name", "must not contain control characters"));
    }
    Ok(Some(text.to_string()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum SortKey {
    #[default]
    Serial,
    Product,
    LicenceType,
    Quantity,
    Group,
    Coordinator,
}

impl SortKey {
    pub const ALL: [SortKey; 6] =
        [Self::Serial, Self::Product, Self::LicenceType, Self::Quantity, Self::Group, Self::Coordinator];

    pub fn as_param(self) -> &'static str {
        match self {
            Self::Serial => "serial",
            Self::Product => "product",
            Self::LicenceType => "licence",
            Self::Quantity => "quantity",
            Self::Group => "group",
            Self::Coordinator => "coordinator",
        }
    }

    pub fn from_param(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_param() == raw)
    }
}

/// Who coordinates: a named person, or nobody explicit (the CM by default, R3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CoordinatorFilter {
    Person(Uuid),
    ContractManagerByDefault,
}

/// Which group the table shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GroupFilter {
    /// Serials whose group is exactly this name.
    Named(String),
    /// Serials without a group.
    NoGroup,
}

/// The server-side filter of the Products table; it is also what "Select all N matching" selects.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct SerialFilter {
    /// Free text: serial, product, group or coordinator contains it (case-insensitive).
    pub text: String,
    pub product: Option<Uuid>,
    pub group: Option<GroupFilter>,
    pub coordinator: Option<CoordinatorFilter>,
}

/// A search of only digits and dashes can only mean a piece of a serial number (`123-456...`), so it
/// looks at serials alone, which a contract of 100,000 serials answers without joining anything.
pub fn is_serial_fragment(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty() && text.chars().all(|c| c.is_ascii_digit() || c == '-')
}

impl SerialFilter {
    /// R23: the filter's text reaches a query, so it is checked first (length, no NUL).
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::default();
        errors.take(crate::text::search("Search", &self.text));
        if let Some(GroupFilter::Named(group)) = &self.group {
            errors.take(crate::text::one_line("Group", group, MAX_GROUP_NAME_LEN));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProductsQuery {
    pub contract_number: String,
    pub filter: SerialFilter,
    pub sort: SortKey,
    pub descending: bool,
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
}

impl ProductsQuery {
    pub fn new(contract_number: impl Into<String>) -> Self {
        Self {
            contract_number: contract_number.into(),
            filter: SerialFilter::default(),
            sort: SortKey::Serial,
            descending: false,
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }

    /// The page size, held to the sizes offered (the browser never renders more than 200 rows).
    pub fn clamped_page_size(&self) -> u32 {
        if PAGE_SIZES.contains(&self.page_size) {
            self.page_size
        } else {
            DEFAULT_PAGE_SIZE
        }
    }

    pub fn offset(&self) -> u64 {
        (self.page.max(1) as u64 - 1) * self.clamped_page_size() as u64
    }
}

/// One serial number as the Products table shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SerialRow {
    pub id: Uuid,
    pub serial: String,
    pub product: String,
    pub release: String,
    pub licence_type: String,
    pub quantity: i32,
    pub group_name: Option<String>,
    /// The effective coordinator (R3): the assigned person or, when none is, the contract's CM.
    pub coordinator_id: Uuid,
    pub coordinator_name: String,
    pub coordinator_email: String,
    /// True when nobody is assigned and the CM coordinates by default.
    pub coordinator_is_default: bool,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductOption {
    pub id: Uuid,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonOption {
    pub id: Uuid,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductsPage {
    pub contract_id: Uuid,
    pub contract_number: String,
    pub manager: PersonOption,
    /// Whether the viewer is this contract's CM and may act on it (R2).
    pub may_act: bool,
    pub rows: Vec<SerialRow>,
    /// Serials matching the filter, on every page.
    pub total: u64,
    /// The server's clock when this page was read: a bulk action over "all matching" is refused if
    /// any of them changed after it (R23, stale selection).
    pub as_of_micros: i64,
    pub products: Vec<ProductOption>,
    pub groups: Vec<String>,
    pub coordinators: Vec<PersonOption>,
}

/// A row the browser showed, with the version it showed (R23: a stale row is refused). It travels
/// as a pair `[id, version]`: a selection of thousands of rows stays small.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "(Uuid, i64)", into = "(Uuid, i64)")]
pub struct ShownRow {
    pub id: Uuid,
    pub version: i64,
}

impl From<(Uuid, i64)> for ShownRow {
    fn from((id, version): (Uuid, i64)) -> Self {
        Self { id, version }
    }
}

impl From<ShownRow> for (Uuid, i64) {
    fn from(row: ShownRow) -> Self {
        (row.id, row.version)
    }
}

/// What a bulk action applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Selection {
    /// Rows the browser showed.
    Rows(Vec<ShownRow>),
    /// Every serial matching the filter, as counted at `as_of_micros`.
    AllMatching { filter: SerialFilter, expected: u64, as_of_micros: i64 },
}

/// The person to assign (R10): someone the company knows, or a new person to create and invite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Assignee {
    Existing(Uuid),
    New { email: String, first_name: String, last_name: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BulkAction {
    /// R9
    RenameGroup { group_name: String },
    /// R10
    Assign { assignee: Assignee },
    /// R11
    Unassign,
}

impl BulkAction {
    /// Validates the action's input, naming each bad field (R23).
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::default();
        match self {
            Self::RenameGroup { group_name } => {
                errors.take(parse_group_name(group_name));
            }
            Self::Assign { assignee: Assignee::New { email, first_name, last_name } } => {
                errors.take(crate::Email::parse(email));
                if let Err(name_errors) = crate::PersonName::parse(first_name, last_name) {
                    name_errors.into_iter().for_each(|e| errors.push(e));
                }
            }
            Self::Assign { assignee: Assignee::Existing(_) } | Self::Unassign => {}
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// How many of the changing serials have one current coordinator or group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangingFrom {
    /// The current coordinator or group, in words.
    pub label: String,
    pub serials: u64,
}

/// What an action would change, shown before it is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    pub selected: u64,
    /// How many of them would actually change (the rest already are as asked).
    pub changing: u64,
    /// The current coordinators or groups of the changing serials, most serials first.
    pub from: Vec<ChangingFrom>,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkOutcome {
    pub changed: u64,
    /// Undoes exactly this change while nothing else has touched its serials.
    pub change_id: Option<Uuid>,
    pub summary: String,
}

/// The sentence that reports a finished action.
pub fn outcome_summary(action: &BulkAction, changed: u64, to: &str) -> String {
    let serials = if changed == 1 { "serial number" } else { "serial numbers" };
    match action {
        _ if changed == 0 => "Nothing changed: every selected serial number already was as asked.".into(),
        BulkAction::RenameGroup { .. } => format!("{changed} {serials} moved to group {to}."),
        BulkAction::Assign { .. } => format!("{changed} {serials} now coordinated by {to}."),
        BulkAction::Unassign => format!("{changed} {serials} back with the Contract Manager, {to}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r9_an_empty_group_name_clears_the_group() {
        assert_eq!(parse_group_name("   "), Ok(None));
        assert_eq!(parse_group_name(" Site office "), Ok(Some("Site office".into())));
    }

    #[test]
    fn r23_a_group_name_of_81_characters_is_refused_and_80_accepted() {
        assert!(parse_group_name(&"g".repeat(80)).is_ok());
        let e = parse_group_name(&"g".repeat(81)).unwrap_err();
        assert_eq!((e.field.as_str(), e.message.as_str()), ("Group name", "is longer than 80 characters"));
    }

    #[test]
    fn r10_a_new_assignee_is_validated_field_by_field() {
        let action = BulkAction::Assign {
            assignee: Assignee::New { email: "not-an-email".into(), first_name: "".into(), last_name: "Lee".into() },
        };
        let errors = action.validate().unwrap_err();
        assert_eq!(errors.for_field("Email"), Some("must contain @"));
        assert_eq!(errors.for_field("First name"), Some("is required"));
        assert_eq!(errors.for_field("Last name"), None);
    }

    #[test]
    fn page_sizes_outside_the_offer_fall_back_to_the_default() {
        let mut q = ProductsQuery::new("1");
        q.page_size = 100_000;
        assert_eq!(q.clamped_page_size(), DEFAULT_PAGE_SIZE);
        q.page_size = 200;
        q.page = 3;
        assert_eq!(q.offset(), 400);
    }

    #[test]
    fn digits_and_dashes_are_a_serial_fragment_anything_else_is_free_text() {
        assert!(is_serial_fragment(" -100001 "));
        assert!(is_serial_fragment("123-4"));
        assert!(!is_serial_fragment("Revit 2026"));
        assert!(!is_serial_fragment(""));
    }

    #[test]
    fn sort_keys_round_trip_through_the_url() {
        for key in SortKey::ALL {
            assert_eq!(SortKey::from_param(key.as_param()), Some(key));
        }
        assert_eq!(SortKey::from_param("drop table"), None);
    }

    #[test]
    fn summaries_count_in_words() {
        assert_eq!(outcome_summary(&BulkAction::Unassign, 1, "Ann Lee"), "1 serial number back with the Contract Manager, Ann Lee.");
        assert!(outcome_summary(&BulkAction::Unassign, 0, "x").starts_with("Nothing changed"));
    }
}

pub mod url;
