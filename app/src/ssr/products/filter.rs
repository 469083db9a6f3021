//! The WHERE clause of a filter over one contract's serials, shared by the page and by "select all
//! matching" (the same filter must select exactly what the page counted).

use crate::ssr::authz::Contract;
use shared::products::{CoordinatorFilter, GroupFilter, SerialFilter};
use sqlx::{Postgres, QueryBuilder};

/// Serials with what free text looks at: product, effective coordinator (R3).
pub const FROM: &str = " from serial_numbers s
    join contracts c on c.company_id = s.company_id and c.id = s.contract_id
    join products pr on pr.id = s.product_id
    join people ep on ep.company_id = s.company_id and ep.id = coalesce(s.coordinator_id, c.manager_id) ";

pub const FROM_SERIALS_ONLY: &str = " from serial_numbers s ";

/// Only free text that is not a piece of a serial looks at products and people.
pub fn needs_joins(filter: &SerialFilter) -> bool {
    let text = filter.text.trim();
    !text.is_empty() && !shared::products::is_serial_fragment(text)
}

fn like_pattern(text: &str) -> String {
    format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}

/// Appends the WHERE clause of `filter` over the contract's serials.
pub fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, contract: &Contract, filter: &SerialFilter) {
    qb.push(" where s.company_id = ").push_bind(contract.company_id);
    qb.push(" and s.contract_id = ").push_bind(contract.id);
    let text = filter.text.trim();
    if shared::products::is_serial_fragment(text) {
        qb.push(" and s.serial like ").push_bind(format!("%{text}%"));
    } else if !text.is_empty() {
        let pattern = like_pattern(text);
        qb.push(" and (s.serial ilike ").push_bind(pattern.clone());
        qb.push(" or pr.name || ' ' || pr.release ilike ").push_bind(pattern.clone());
        qb.push(" or s.group_name ilike ").push_bind(pattern.clone());
        qb.push(" or ep.first_name || ' ' || ep.last_name ilike ").push_bind(pattern.clone());
        qb.push(" or ep.email ilike ").push_bind(pattern).push(")");
    }
    if let Some(product) = filter.product {
        qb.push(" and s.product_id = ").push_bind(product);
    }
    match &filter.group {
        Some(GroupFilter::NoGroup) => {
            qb.push(" and s.group_name is null");
        }
        Some(GroupFilter::Named(group)) => {
            qb.push(" and s.group_name = ").push_bind(group.clone());
        }
        None => {}
    }
    match filter.coordinator {
        Some(CoordinatorFilter::Person(person)) => {
            qb.push(" and s.coordinator_id = ").push_bind(person);
        }
        Some(CoordinatorFilter::ContractManagerByDefault) => {
            qb.push(" and s.coordinator_id is null");
        }
        None => {}
    }
}

/// The people search of the Assign box uses the same escaping.
pub fn search_pattern(text: &str) -> String {
    like_pattern(text)
}
