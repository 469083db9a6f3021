//! Every address the console links to, posts to or sends people to, in one place. Pages are routed in
//! `App` with `path!()`, which takes literals only: a test below checks that those literals and these
//! constants name the same pages.

use shared::people::PeopleFilter;
use shared::products::{url, ProductsQuery};

pub const SIGN_IN: &str = "/login";
pub const HOME: &str = "/";
pub const MANAGE_USERS: &str = "/management/users";
pub const MANAGE_COORDINATORS: &str = "/management/users/coordinators";
pub const EMAILS: &str = "/management/emails";
pub const HISTORY: &str = "/management/history";
pub const RESELLER: &str = "/reseller";
pub const SUPPORT: &str = "/support";
pub const DEV_MAILBOX: &str = "/dev/mailbox";
/// What every invitation link starts with; the token follows.
pub const INVITATION_PREFIX: &str = "/invitations/";

// Served by the server outside the router (server/src/startup.rs): plain form posts and downloads.
pub const AUTH_SIGN_IN: &str = "/auth/login";
pub const AUTH_SIGN_OUT: &str = "/auth/logout";
pub const AUTH_ACCEPT_INVITATION: &str = "/auth/accept";
pub const EXPORT_PEOPLE: &str = "/export/people";

/// A contract, opened on its Products tab.
pub fn contract(number: &str) -> String {
    format!("{MANAGE_COORDINATORS}/{number}")
}

/// A contract's Software Coordinators tab.
pub fn contract_coordinators(number: &str) -> String {
    format!("{}?tab=coordinators", contract(number))
}

/// A view of the Products tab: its filter, sort and page, as the URL carries them.
pub fn contract_view(query: &ProductsQuery) -> String {
    with_query(&contract(&query.contract_number), url::to_query_string(query))
}

pub fn invitation(token: &str) -> String {
    format!("{INVITATION_PREFIX}{token}")
}

/// Manage Users with `filter`, at `page`.
pub fn manage_users_page(filter: &PeopleFilter, page: u64) -> String {
    with_query(MANAGE_USERS, filter.to_query(page))
}

/// The CSV of everyone `filter` shows.
pub fn export_people(filter: &PeopleFilter) -> String {
    with_query(EXPORT_PEOPLE, filter.to_query(1))
}

pub fn history_page(page: u64) -> String {
    format!("{HISTORY}?page={page}")
}

fn with_query(base: &str, query: String) -> String {
    if query.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The literals of every `path!("...")` in `App`, read from its source.
    fn routed_paths() -> BTreeSet<String> {
        include_str!("lib.rs")
            .split("path!(\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn every_page_constant_is_a_route_and_every_route_has_a_constant() {
        let constants: BTreeSet<String> = [
            SIGN_IN.to_string(),
            HOME.to_string(),
            MANAGE_USERS.to_string(),
            MANAGE_COORDINATORS.to_string(),
            contract(":number"),
            EMAILS.to_string(),
            HISTORY.to_string(),
            RESELLER.to_string(),
            SUPPORT.to_string(),
            invitation(":token"),
            DEV_MAILBOX.to_string(),
        ]
        .into();
        assert_eq!(routed_paths(), constants);
    }

    #[test]
    fn a_view_of_the_products_tab_without_choices_is_the_contract_itself() {
        let query = ProductsQuery::new("110000001");
        assert_eq!(contract_view(&query), "/management/users/coordinators/110000001");
        let mut paged = query.clone();
        paged.page = 3;
        assert!(contract_view(&paged).starts_with("/management/users/coordinators/110000001?"));
        assert!(contract_view(&paged).contains("page=3"));
    }

    #[test]
    fn links_to_a_list_carry_its_filters_and_page() {
        let filter = PeopleFilter { search: "ann".into(), ..PeopleFilter::default() };
        assert!(manage_users_page(&filter, 2).starts_with("/management/users?"));
        assert!(manage_users_page(&filter, 2).contains("q=ann"));
        assert!(export_people(&filter).starts_with("/export/people?"));
        assert_eq!(manage_users_page(&PeopleFilter::default(), 1), "/management/users");
        assert_eq!(history_page(4), "/management/history?page=4");
        assert_eq!(contract_coordinators("7"), "/management/users/coordinators/7?tab=coordinators");
    }
}
