use crate::routes;
use leptos::prelude::*;
use shared::products::{ProductsQuery, SortKey};

/// A column header of the Products table that sorts by it: a link to the same view sorted by this
/// column, or the other way round when it already is, back on the first page.
#[component]
pub fn SortHeader(query: ProductsQuery, key: SortKey, label: &'static str) -> impl IntoView {
    let active = query.sort == key;
    let mut next = query.clone();
    next.sort = key;
    next.descending = active && !query.descending;
    next.page = 1;
    let aria = match (active, query.descending) {
        (false, _) => "none",
        (true, false) => "ascending",
        (true, true) => "descending",
    };
    let arrow = match (active, query.descending) {
        (false, _) => "",
        (true, false) => " ▲",
        (true, true) => " ▼",
    };
    view! {
        <th scope="col" aria-sort=aria>
            <a href=routes::contract_view(&next)>{label}<span aria-hidden="true">{arrow}</span></a>
        </th>
    }
}
