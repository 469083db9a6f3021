//! The Products table: one page of a contract's serials, filtered and sorted on the server, with
//! what its filters offer; and the contracts a person manages.

use super::filter::{needs_joins, push_filter, search_pattern, FROM, FROM_SERIALS_ONLY};
use crate::ssr::authz::{ContractManager, ContractView, Member};
use crate::AppError;
use shared::products::{PersonOption, ProductOption, ProductsPage, ProductsQuery, SerialRow, SortKey};
use sqlx::{PgPool, QueryBuilder};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct ContractSummaryRow {
    pub contract_number: String,
    pub serials: i64,
    pub coordinators: i64,
}

/// One serial as the table shows it (R3: the effective coordinator).
#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    serial: String,
    product: String,
    release: String,
    licence_type: String,
    quantity: i32,
    group_name: Option<String>,
    coordinator_id: Uuid,
    coordinator_name: String,
    coordinator_email: String,
    coordinator_is_default: bool,
    version: i64,
}

impl From<Row> for SerialRow {
    fn from(r: Row) -> Self {
        SerialRow {
            id: r.id,
            serial: r.serial,
            product: r.product,
            release: r.release,
            licence_type: r.licence_type,
            quantity: r.quantity,
            group_name: r.group_name,
            coordinator_id: r.coordinator_id,
            coordinator_name: r.coordinator_name,
            coordinator_email: r.coordinator_email,
            coordinator_is_default: r.coordinator_is_default,
            version: r.version,
        }
    }
}

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: Uuid,
    name: String,
    email: String,
}

impl From<PersonRow> for PersonOption {
    fn from(p: PersonRow) -> Self {
        PersonOption { id: p.id, name: p.name, email: p.email }
    }
}

/// The sort key of each sort as column expressions (the last one, the serial, makes it total).
fn sort_columns(sort: SortKey) -> &'static [&'static str] {
    match sort {
        SortKey::Serial => &["s.serial"],
        SortKey::Product => &["pr.name", "pr.release", "s.serial"],
        SortKey::LicenceType => &["pr.licence_type", "s.serial"],
        SortKey::Quantity => &["s.quantity", "s.serial"],
        SortKey::Group => &["s.group_name", "s.serial"],
        SortKey::Coordinator => &["rk.rank", "s.serial"],
    }
}

fn order_clause(columns: impl Iterator<Item = String>, descending: bool) -> String {
    let dir = if descending { "desc" } else { "asc" };
    let keys: Vec<String> = columns.map(|c| format!("{c} {dir} nulls last")).collect();
    format!(" order by {}", keys.join(", "))
}

pub async fn products_page(pool: &PgPool, view: &ContractView, query: &ProductsQuery) -> Result<ProductsPage, AppError> {
    query.filter.validate()?;
    let contract = view.contract();
    let mut count = QueryBuilder::new("select count(*), (extract(epoch from now()) * 1000000)::int8");
    // Only free text looks at products and people; without it the count is an index-only scan.
    count.push(if needs_joins(&query.filter) { FROM } else { FROM_SERIALS_ONLY });
    push_filter(&mut count, contract, &query.filter);
    let (total, as_of_micros): (i64, i64) = count.build_query_as().fetch_one(pool).await?;

    // A deferred join: the page's ids are found touching only what the filter and the sort need
    // (a coordinator sort compares ranks, not names), then 50 rows get their columns.
    let columns = sort_columns(query.sort);
    let mut rows = QueryBuilder::new(
        "with rk as (
             select id, row_number() over (order by last_name, first_name, id) as rank
               from people where company_id = ",
    );
    rows.push_bind(contract.company_id);
    rows.push("), page as (select s.id");
    for (i, column) in columns.iter().enumerate() {
        rows.push(format!(", {column} as k{i}"));
    }
    if needs_joins(&query.filter) {
        rows.push(FROM);
    } else {
        rows.push(FROM_SERIALS_ONLY);
        if matches!(query.sort, SortKey::Product | SortKey::LicenceType) {
            rows.push(" join products pr on pr.id = s.product_id ");
        }
    }
    if query.sort == SortKey::Coordinator {
        rows.push(" join rk on rk.id = coalesce(s.coordinator_id, ").push_bind(contract.manager.id).push(") ");
    }
    push_filter(&mut rows, contract, &query.filter);
    rows.push(order_clause(columns.iter().map(|c| c.to_string()), query.descending));
    rows.push(" limit ").push_bind(query.clamped_page_size() as i64);
    rows.push(" offset ").push_bind(query.offset() as i64);
    rows.push(
        ") select s.id, s.serial, pr.name as product, pr.release, pr.licence_type, s.quantity, s.group_name,
                  ep.id as coordinator_id, ep.first_name || ' ' || ep.last_name as coordinator_name,
                  ep.email as coordinator_email, s.coordinator_id is null as coordinator_is_default, s.version
             from page
             join serial_numbers s on s.company_id = ",
    );
    rows.push_bind(contract.company_id);
    rows.push(
        " and s.id = page.id
             join products pr on pr.id = s.product_id
             join people ep on ep.company_id = s.company_id and ep.id = coalesce(s.coordinator_id, ",
    );
    rows.push_bind(contract.manager.id).push(")");
    rows.push(order_clause((0..columns.len()).map(|i| format!("page.k{i}")), query.descending));
    let rows: Vec<Row> = rows.build_query_as().fetch_all(pool).await?;

    let products: Vec<(Uuid, String)> = sqlx::query_as(
        "select pr.id, pr.name || ' ' || pr.release from products pr
          where exists (select 1 from serial_numbers s where s.company_id = $1 and s.contract_id = $2 and s.product_id = pr.id)
          order by pr.name, pr.release",
    )
    .bind(contract.company_id)
    .bind(contract.id)
    .fetch_all(pool)
    .await?;
    // The distinct groups of 100,000 serials, by hopping through the group index (a loose index
    // scan: one probe per group) rather than reading every entry.
    let groups: Vec<String> = sqlx::query_scalar(
        "with recursive g(name) as (
             (select group_name from serial_numbers
               where company_id = $1 and contract_id = $2 and group_name is not null
               order by group_name limit 1)
             union all
             select (select s.group_name from serial_numbers s
                      where s.company_id = $1 and s.contract_id = $2 and s.group_name > g.name
                      order by s.group_name limit 1)
               from g where g.name is not null)
         select name from g where name is not null",
    )
    .bind(contract.company_id)
    .bind(contract.id)
    .fetch_all(pool)
    .await?;
    let coordinators = coordinators_of(pool, view).await?;

    Ok(ProductsPage {
        contract_id: contract.id,
        contract_number: contract.number.clone(),
        manager: contract.manager.clone(),
        may_act: view.may_act(),
        rows: rows.into_iter().map(SerialRow::from).collect(),
        total: total as u64,
        as_of_micros,
        products: products.into_iter().map(|(id, label)| ProductOption { id, label }).collect(),
        groups,
        coordinators,
    })
}

/// The people explicitly coordinating serials of the contract.
pub async fn coordinators_of(pool: &PgPool, view: &ContractView) -> Result<Vec<PersonOption>, AppError> {
    let contract = view.contract();
    let rows: Vec<PersonRow> = sqlx::query_as(
        "select p.id, p.first_name || ' ' || p.last_name as name, p.email from people p
          where p.company_id = $1
            and exists (select 1 from serial_numbers s
                         where s.company_id = p.company_id and s.contract_id = $2 and s.coordinator_id = p.id)
          order by p.last_name, p.first_name",
    )
    .bind(contract.company_id)
    .bind(contract.id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(PersonOption::from).collect())
}

/// People of the company whose name or email contains the text, for the Assign box (R10).
pub async fn search_people(pool: &PgPool, manager: &ContractManager, text: &str) -> Result<Vec<PersonOption>, AppError> {
    let text = shared::text::search("Search", text)?;
    let rows: Vec<PersonRow> = sqlx::query_as(
        "select id, first_name || ' ' || last_name as name, email from people
          where company_id = $1 and status <> 'removed'
            and (first_name || ' ' || last_name ilike $2 or email ilike $2)
          order by last_name, first_name limit 20",
    )
    .bind(manager.company_id())
    .bind(search_pattern(&text))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(PersonOption::from).collect())
}

/// The contracts the person manages (Manage Software Coordinators).
pub async fn managed_contracts(pool: &PgPool, member: &Member) -> Result<Vec<ContractSummaryRow>, AppError> {
    Ok(sqlx::query_as(
        "select c.contract_number, count(s.id) as serials, count(distinct s.coordinator_id) as coordinators
           from contracts c
           left join serial_numbers s on s.company_id = c.company_id and s.contract_id = c.id
          where c.company_id = $1 and c.manager_id = $2
          group by c.id, c.contract_number order by c.contract_number",
    )
    .bind(member.company_id())
    .bind(member.person_id())
    .fetch_all(pool)
    .await?)
}
