//! The URL form of a Products view, so a view can be bookmarked and shared: `q`, `product`, `group`,
//! `coordinator` (a person id or `cm`), `sort`, `dir`, `page`, `size`.

use super::*;

/// The `group` value that filters serials without a group (an empty value means any group).
pub const NO_GROUP: &str = "(none)";

/// The `group` value of a group filter. A group may itself be named "(none)": names that start
/// with "(" get one more in front, so no name is mistaken for the marker.
pub fn group_param(group: &GroupFilter) -> String {
    match group {
        GroupFilter::NoGroup => NO_GROUP.to_string(),
        GroupFilter::Named(name) if name.starts_with('(') => format!("({name}"),
        GroupFilter::Named(name) => name.clone(),
    }
}

/// Reads a `group` value back; empty means any group.
pub fn group_from_param(value: &str) -> Option<GroupFilter> {
    match value {
        "" => None,
        NO_GROUP => Some(GroupFilter::NoGroup),
        escaped if escaped.starts_with("((") => Some(GroupFilter::Named(escaped[1..].to_string())),
        name => Some(GroupFilter::Named(name.to_string())),
    }
}

pub fn encode_component(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Reads a view from query parameters; anything malformed falls back to the default.
pub fn from_params<'a>(contract_number: &str, get: impl Fn(&str) -> Option<String> + 'a) -> ProductsQuery {
    let mut q = ProductsQuery::new(contract_number);
    q.filter.text = get("q").unwrap_or_default();
    q.filter.product = get("product").and_then(|p| Uuid::parse_str(&p).ok());
    q.filter.group = get("group").and_then(|g| group_from_param(&g));
    q.filter.coordinator = get("coordinator").and_then(|c| match c.as_str() {
        "cm" => Some(CoordinatorFilter::ContractManagerByDefault),
        other => Uuid::parse_str(other).ok().map(CoordinatorFilter::Person),
    });
    if let Some(sort) = get("sort").and_then(|s| SortKey::from_param(&s)) {
        q.sort = sort;
    }
    q.descending = get("dir").as_deref() == Some("desc");
    q.page = get("page").and_then(|p| p.parse().ok()).filter(|p| *p >= 1).unwrap_or(1);
    q.page_size = get("size").and_then(|p| p.parse().ok()).unwrap_or(DEFAULT_PAGE_SIZE);
    q.page_size = q.clamped_page_size();
    q
}

/// The query string of a view (without `?`), leaving out what is default.
pub fn to_query_string(q: &ProductsQuery) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !q.filter.text.is_empty() {
        parts.push(format!("q={}", encode_component(&q.filter.text)));
    }
    if let Some(product) = q.filter.product {
        parts.push(format!("product={product}"));
    }
    if let Some(group) = &q.filter.group {
        parts.push(format!("group={}", encode_component(&group_param(group))));
    }
    match q.filter.coordinator {
        Some(CoordinatorFilter::ContractManagerByDefault) => parts.push("coordinator=cm".into()),
        Some(CoordinatorFilter::Person(id)) => parts.push(format!("coordinator={id}")),
        None => {}
    }
    if q.sort != SortKey::Serial {
        parts.push(format!("sort={}", q.sort.as_param()));
    }
    if q.descending {
        parts.push("dir=desc".into());
    }
    if q.page > 1 {
        parts.push(format!("page={}", q.page));
    }
    if q.clamped_page_size() != DEFAULT_PAGE_SIZE {
        parts.push(format!("size={}", q.clamped_page_size()));
    }
    parts.join("&")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> ProductsQuery {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        from_params("110000001", move |k| map.get(k).cloned())
    }

    #[test]
    fn a_view_round_trips_through_its_url() {
        let mut q = ProductsQuery::new("110000001");
        q.filter.text = "Site & office 50%".into();
        q.filter.group = Some(GroupFilter::NoGroup);
        q.filter.coordinator = Some(CoordinatorFilter::ContractManagerByDefault);
        q.sort = SortKey::Coordinator;
        q.descending = true;
        q.page = 3;
        q.page_size = 100;
        let qs = to_query_string(&q);
        let pairs: Vec<(String, String)> = qs
            .split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k.to_string(), percent_decode(v))
            })
            .collect();
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(parse(&borrowed), q);
    }

    /// Undoes `encode_component`, for the tests of views that live in URLs.
    pub(crate) fn percent_decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_default_view_has_an_empty_query_string() {
        assert_eq!(to_query_string(&ProductsQuery::new("1")), "");
    }

    #[test]
    fn malformed_parameters_fall_back_to_defaults() {
        assert_eq!(parse(&[("group", ""), ("q", "")]), ProductsQuery::new("110000001"), "an empty form field is no filter");
        let q = parse(&[("page", "-3"), ("size", "100000"), ("sort", "nonsense"), ("product", "x"), ("coordinator", "y")]);
        assert_eq!(q, ProductsQuery::new("110000001"));
    }
}
