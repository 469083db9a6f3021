//! Every parser of `shared` against arbitrary input (issue 9, "Proof to build"; R23): none panics
//! (a panic here drops the server's connection and aborts the WebAssembly in the browser), what one
//! accepts it accepts again unchanged, and the codecs that carry a view in a URL round-trip.

use proptest::prelude::*;
use shared::bulk_add::{format_entry, parse_bulk, Entry, MAX_ENTRIES};
use shared::coordinators::parse_case;
use shared::audit::{action_label, Action};
use shared::names::{parse_name, MAX_NAME_LEN};
use shared::people::{PeopleFilter, PersonStatus, RoleFilter};
use shared::products::url::{encode_component, from_params, to_query_string, NO_GROUP};
use shared::products::{
    is_serial_fragment, parse_group_name, Assignee, BulkAction, CoordinatorFilter, GroupFilter, ProductsQuery, SortKey,
    MAX_GROUP_NAME_LEN, PAGE_SIZES,
};
use shared::shipping::{check_postal_code, country_name, ShippingLocation, COUNTRIES};
use shared::{Email, PersonName};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Text as attackers type it: any characters (control characters and NUL included), multi-byte
/// and right-to-left text, and long runs.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        3 => proptest::collection::vec(any::<char>(), 0..60).prop_map(String::from_iter),
        2 => (prop::sample::select(vec!["é", "😀", "\u{0}", "\u{202E}", "\u{200F}", "שלום", "ß", "İ", "e\u{301}", " ", "@", "<", ">", ";", "-", "1"]), 0..300usize)
            .prop_map(|(s, n)| s.repeat(n)),
        1 => "[ -~]{0,40}",
    ]
}

/// Undoes `encode_component`; `None` for anything it could not have produced.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The parameters of a query string, the way a browser's URL would give them back.
fn params(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').expect("key=value");
            (k.to_string(), percent_decode(v).expect("a value encode_component produced"))
        })
        .collect()
}

fn products_query() -> impl Strategy<Value = ProductsQuery> {
    let coordinator = prop_oneof![
        Just(None),
        Just(Some(CoordinatorFilter::ContractManagerByDefault)),
        any::<u128>().prop_map(|n| Some(CoordinatorFilter::Person(Uuid::from_u128(n)))),
    ];
    let group = prop_oneof![
        Just(None),
        Just(Some(GroupFilter::NoGroup)),
        // A group has a name (an empty one clears the group, R9).
        hostile().prop_filter("a group has a name", |g| !g.is_empty()).prop_map(|g| Some(GroupFilter::Named(g))),
        // Names that look like the "no group" marker, or like its escape.
        "\\(+(none\\)|[a-z()]{0,8})".prop_map(|g| Some(GroupFilter::Named(g))),
    ];
    (
        hostile(),
        proptest::option::of(any::<u128>().prop_map(Uuid::from_u128)),
        group,
        coordinator,
        prop::sample::select(SortKey::ALL.to_vec()),
        any::<bool>(),
        1..=u32::MAX,
        prop::sample::select(PAGE_SIZES.to_vec()),
    )
        .prop_map(|(text, product, group, coordinator, sort, descending, page, page_size)| {
            let mut q = ProductsQuery::new("110000001");
            q.filter.text = text;
            q.filter.product = product;
            q.filter.group = group;
            q.filter.coordinator = coordinator;
            q.sort = sort;
            q.descending = descending;
            q.page = page;
            q.page_size = page_size;
            q
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    // ---- Email (R23) ----

    #[test]
    fn an_email_never_panics_and_what_it_accepts_it_accepts_again(text in hostile()) {
        if let Ok(email) = Email::parse(&text) {
            prop_assert!(email.as_str().len() <= shared::email::MAX_EMAIL_LEN);
            prop_assert!(!email.as_str().chars().any(|c| c.is_whitespace() || c.is_control()));
            prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
            prop_assert_eq!(email.key(), email.as_str().to_lowercase());
        }
    }

    #[test]
    fn a_well_formed_email_parses_trimmed_and_its_key_ignores_case(local in "[a-zA-Z0-9._+-]{1,30}", domain in "[a-z]{1,12}\\.(com|io|example)", pad in "[ \t]{0,3}") {
        let text = format!("{pad}{local}@{domain}{pad}");
        let email = Email::parse(&text).unwrap();
        prop_assert_eq!(email.as_str(), format!("{local}@{domain}"));
        prop_assert_eq!(Email::parse(&text.to_uppercase()).unwrap().key(), email.key());
    }

    // ---- Names (R23: 1 to 100 characters) ----

    #[test]
    fn a_name_never_panics_and_what_it_accepts_is_trimmed_short_and_accepted_again(first in hostile(), last in hostile()) {
        if let Ok(name) = parse_name("First name", &first) {
            prop_assert!(!name.is_empty() && name.chars().count() <= MAX_NAME_LEN);
            prop_assert_eq!(name.trim(), name.as_str());
            prop_assert!(!name.chars().any(char::is_control));
            prop_assert_eq!(parse_name("First name", &name), Ok(name.clone()));
        }
        match PersonName::parse(&first, &last) {
            Ok(name) => prop_assert_eq!(PersonName::parse(&name.first, &name.last), Ok(name.clone())),
            Err(errors) => prop_assert!(errors.iter().all(|e| e.field == "First name" || e.field == "Last name")),
        }
    }

    // ---- Serial numbers ----

    // ---- Products: group names, actions, the view in the URL (R8-R11) ----

    #[test]
    fn a_group_name_never_panics_and_what_it_accepts_is_at_most_80_characters(text in hostile()) {
        match parse_group_name(&text) {
            Ok(Some(group)) => {
                prop_assert!(group.chars().count() <= MAX_GROUP_NAME_LEN);
                prop_assert!(!group.chars().any(char::is_control));
                prop_assert_eq!(parse_group_name(&group), Ok(Some(group.clone())));
            }
            Ok(None) => prop_assert!(text.trim().is_empty()),
            Err(e) => prop_assert_eq!(e.field, "Group name"),
        }
    }

    #[test]
    fn an_action_validates_without_panicking_and_names_only_its_fields(group in hostile(), email in hostile(), first in hostile(), last in hostile()) {
        for action in [
            BulkAction::RenameGroup { group_name: group.clone() },
            BulkAction::Assign { assignee: Assignee::New { email: email.clone(), first_name: first.clone(), last_name: last.clone() } },
            BulkAction::Assign { assignee: Assignee::Existing(Uuid::nil()) },
            BulkAction::Unassign,
        ] {
            if let Err(errors) = action.validate() {
                prop_assert!(errors.0.iter().all(|e| ["Group name", "Email", "First name", "Last name"].contains(&e.field.as_str())), "{:?}", errors);
            }
        }
    }

    #[test]
    fn a_serial_fragment_check_never_panics(text in hostile()) {
        let fragment = is_serial_fragment(&text);
        prop_assert!(!fragment || text.trim().chars().all(|c| c.is_ascii_digit() || c == '-'));
    }

    #[test]
    fn url_components_round_trip_and_use_only_safe_characters(text in hostile()) {
        let encoded = encode_component(&text);
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)), "{}", encoded);
        prop_assert_eq!(percent_decode(&encoded), Some(text));
    }

    #[test]
    fn a_products_view_round_trips_through_its_url(q in products_query()) {
        let map = params(&to_query_string(&q));
        prop_assert_eq!(from_params("110000001", |k| map.get(k).cloned()), q);
    }

    #[test]
    fn any_url_parameters_give_a_valid_products_view_without_panicking(values in proptest::collection::vec(hostile(), 8)) {
        let keys = ["q", "product", "group", "coordinator", "sort", "dir", "page", "size"];
        let map: HashMap<&str, String> = keys.into_iter().zip(values).collect();
        let q = from_params("110000001", |k| map.get(k).cloned());
        prop_assert!(q.page >= 1);
        prop_assert!(PAGE_SIZES.contains(&q.page_size));
        // What was read is written back the same way: the URL of a view is stable.
        let again = params(&to_query_string(&q));
        prop_assert_eq!(from_params("110000001", |k| again.get(k).cloned()), q);
    }

    #[test]
    fn sort_keys_and_list_filters_read_back_their_own_keys_and_nothing_else(text in hostile()) {
        for key in SortKey::ALL {
            prop_assert_eq!(SortKey::from_param(key.as_param()), Some(key));
        }
        if let Some(key) = SortKey::from_param(&text) {
            prop_assert_eq!(key.as_param(), text.as_str());
        }
        for role in RoleFilter::ALL {
            prop_assert_eq!(RoleFilter::from_key(role.key()), Some(role));
        }
        if let Some(role) = RoleFilter::from_key(&text) {
            prop_assert_eq!(role.key(), text.as_str());
        }
        for status in PersonStatus::ALL {
            prop_assert_eq!(PersonStatus::from_key(status.key()), Some(status));
        }
        if let Some(status) = PersonStatus::from_key(&text) {
            prop_assert_eq!(status.key(), text.as_str());
        }
    }

    // ---- The users list's filter in the URL (R14) ----

    #[test]
    fn a_people_filter_round_trips_through_its_url(
        search in hostile(),
        status in proptest::option::of(prop::sample::select(PersonStatus::ALL.to_vec())),
        role in proptest::option::of(prop::sample::select(RoleFilter::ALL.to_vec())),
        with_services in proptest::option::of(any::<bool>()),
        page in any::<u64>(),
    ) {
        // The list trims what is searched, so a filter read from a URL is always trimmed.
        let filter = PeopleFilter { search: search.trim().to_string(), status, role, with_services };
        let map = params(&filter.to_query(page));
        prop_assert_eq!(PeopleFilter::from_params(|k| map.get(k).cloned()), filter);
        prop_assert_eq!(map.get("page").and_then(|p| p.parse::<u64>().ok()), (page > 1).then_some(page));
    }

    #[test]
    fn any_url_parameters_give_a_people_filter_without_panicking(values in proptest::collection::vec(hostile(), 4)) {
        let keys = ["q", "status", "role", "services"];
        let map: HashMap<&str, String> = keys.into_iter().zip(values).collect();
        let filter = PeopleFilter::from_params(|k| map.get(k).cloned());
        prop_assert_eq!(filter.search.trim(), filter.search.as_str());
    }

    // ---- Bulk Add (R16) ----

    #[test]
    fn bulk_add_never_panics_and_every_valid_entry_passes_the_single_add_checks(text in hostile()) {
        let Ok(entries) = parse_bulk(&text) else { return Ok(()) };
        prop_assert!(entries.len() <= MAX_ENTRIES);
        let mut seen = HashSet::new();
        for entry in &entries {
            match entry {
                Entry::Valid(person) => {
                    // What Bulk Add would add, Add would accept too (R15, R23).
                    let email = Email::parse(&person.email).expect("a valid entry's email parses");
                    prop_assert_eq!(email.as_str(), person.email.as_str());
                    prop_assert!(PersonName::parse(&person.first_name, &person.last_name).is_ok(), "{:?}", person);
                    prop_assert!(seen.insert(email.key()), "a valid email twice: {}", person.email);
                }
                Entry::DuplicateInList { email } => prop_assert!(seen.contains(&email.to_lowercase())),
                Entry::Invalid { text, reason } => {
                    prop_assert!(text.chars().count() <= 200);
                    prop_assert!(!reason.is_empty());
                }
            }
        }
    }

    #[test]
    fn bulk_add_counts_every_non_empty_entry_and_refuses_more_than_5000(n in 0usize..6_000, junk in "[;\n\r ]{0,3}") {
        let text: String = (0..n).map(|i| format!("p{i}@x.io;{junk}")).collect();
        match parse_bulk(&text) {
            Ok(entries) => prop_assert!(n <= MAX_ENTRIES && entries.len() == n),
            Err(reason) => prop_assert!(n > MAX_ENTRIES && reason.contains("5,000")),
        }
    }

    #[test]
    fn a_formatted_entry_reads_back_as_the_same_person(first in "[A-Z][a-zé]{0,20}", last in "[A-Z][a-zß]{0,20}", local in "[a-z0-9._-]{1,20}") {
        let email = format!("{local}@example.com");
        let entries = parse_bulk(&format_entry(&first, &last, &email)).unwrap();
        match &entries[..] {
            [Entry::Valid(person)] => {
                prop_assert_eq!((&person.first_name, &person.last_name, &person.email), (&first, &last, &email));
                prop_assert!(!person.name_from_email);
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    // ---- Support cases (R6, R23) ----

    #[test]
    fn a_case_never_panics_and_what_it_accepts_fits_its_limits(subject in hostile(), body in hostile()) {
        match parse_case(&subject, &body) {
            Ok((subject, body)) => {
                prop_assert!((1..=200).contains(&subject.chars().count()));
                prop_assert!(body.chars().count() <= 5000);
                prop_assert_eq!(parse_case(&subject, &body), Ok((subject.clone(), body.clone())));
            }
            Err(errors) => prop_assert!(errors.0.iter().all(|e| e.field == "Subject" || e.field == "Text")),
        }
    }

    // ---- History (R24) ----

    #[test]
    fn an_audit_action_reads_back_from_its_key_and_an_unknown_one_is_shown_as_stored(text in hostile()) {
        for action in Action::ALL {
            prop_assert_eq!(Action::from_key(action.key()), Some(action));
            prop_assert_eq!(action_label(action.key()), action.label());
        }
        match Action::from_key(&text) {
            Some(action) => prop_assert_eq!(action.key(), text.as_str()),
            None => prop_assert_eq!(action_label(&text), text.as_str()),
        }
    }

    // ---- Shipping locations (R12, R23) ----

    #[test]
    fn a_postal_code_never_panics_whatever_the_country_and_what_it_accepts_it_accepts_again(
        country in prop_oneof![3 => prop::sample::select(COUNTRIES.iter().map(|c| c.0.to_string()).collect::<Vec<_>>()), 1 => hostile()],
        code in prop_oneof![2 => hostile(), 2 => "[0-9A-Z é😀-]{0,12}"],
    ) {
        match check_postal_code(&country, &code) {
            Ok(accepted) => prop_assert_eq!(check_postal_code(&country, &accepted), Ok(accepted.clone())),
            Err(e) => prop_assert_eq!(e.field, "Postal code"),
        }
    }

    #[test]
    fn a_shipping_location_never_panics_and_what_it_accepts_it_accepts_again(fields in proptest::collection::vec(hostile(), 8), known in any::<prop::sample::Index>()) {
        let country = if fields[6].len() % 2 == 0 { known.get(COUNTRIES).0.to_string() } else { fields[6].clone() };
        let location = ShippingLocation {
            recipient: fields[0].clone(),
            address_line1: fields[1].clone(),
            address_line2: fields[2].clone(),
            city: fields[3].clone(),
            region: fields[4].clone(),
            postal_code: fields[5].clone(),
            country,
            phone: fields[7].clone(),
        };
        match location.parse() {
            Ok(parsed) => {
                prop_assert!(country_name(&parsed.country).is_some());
                prop_assert_eq!(parsed.parse(), Ok(parsed.clone()));
            }
            Err(errors) => prop_assert!(!errors.is_empty()),
        }
    }
}

/// The shipping panic of issue 9 (item 5), for every country whose postal codes have a shape.
#[test]
fn r23_a_multi_byte_postal_code_is_refused_in_every_country_never_a_panic() {
    for (country, _) in COUNTRIES {
        for code in ["123é5", "1234é6789", "é", "12😀AB", "SW1A 1Aé", "K1A 0Bé", "\u{0}", "é".repeat(12).as_str()] {
            let _ = check_postal_code(country, code);
        }
    }
}

/// A group may be named "(none)" (R9 allows any name up to 80 characters); its bookmarked view must
/// filter that group, not the serials without a group.
#[test]
fn a_group_named_like_the_no_group_marker_round_trips_through_its_url() {
    let mut q = ProductsQuery::new("110000001");
    q.filter.group = Some(GroupFilter::Named(NO_GROUP.to_string()));
    assert!(parse_group_name(NO_GROUP).is_ok(), "such a group can exist");
    let map = params(&to_query_string(&q));
    assert_eq!(from_params("110000001", |k| map.get(k).cloned()).filter.group, q.filter.group);
}
