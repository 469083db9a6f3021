//! The Products table: one page of a contract's serials, filtered and sorted on the server, with
//! what its filters offer (through the exact cache of `cache.rs`); and the contracts a person manages.

use super::cache::{database_of, snapshot_transaction, FacetsKey, Facets, Ids, ListCache, ListKey};
use super::filter::{needs_joins, push_filter, search_pattern, FROM, FROM_SERIALS_ONLY};
use crate::ssr::authz::{Contract, ContractManager, ContractView, Member};
use crate::AppError;
use shared::products::{PersonOption, ProductOption, ProductsPage, ProductsQuery, SerialFilter, SerialRow, SortKey};
use sqlx::{PgPool, Postgres, QueryBuilder};
use std::sync::Arc;
use std::time::Instant;
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

/// One page of the contract's serials: the ids of the whole list in order, and what its filters offer,
/// come from the cache when still exact (`cache.rs`); the page's rows are read fresh by id.
pub async fn products_page(pool: &PgPool, view: &ContractView, query: &ProductsQuery) -> Result<ProductsPage, AppError> {
    products_page_cached(pool, ListCache::global(), view, query).await
}

/// `products_page` with the cache of a given server instance (tests play several).
pub async fn products_page_cached(pool: &PgPool, cache: &ListCache, view: &ContractView, query: &ProductsQuery) -> Result<ProductsPage, AppError> {
    query.filter.validate()?;
    let began = Instant::now();
    let contract = view.contract();
    let database = database_of(pool);
    let list_key = ListKey {
        database: database.clone(),
        company: contract.company_id,
        contract: contract.id,
        filter: query.filter.clone(),
        sort: query.sort,
        descending: query.descending,
    };
    let facets_key = FacetsKey { database: database.clone(), company: contract.company_id, contract: contract.id };
    let offset = usize::try_from(query.offset()).unwrap_or(usize::MAX);
    let size = query.clamped_page_size() as usize;
    let mut tries = 0;
    loop {
        tries += 1;
        // An entry that stays stale try after try (a flood of changes) is computed by this request.
        let consult = tries <= 3;
        let ids = match consult.then(|| cache.list(&list_key)).flatten() {
            Some(ids) => ids,
            None => {
                cache.maybe_prune(pool, &database);
                list_ids(pool, cache, &list_key, contract, consult).await?
            }
        };
        let facets = match consult.then(|| cache.facets(&facets_key)).flatten() {
            Some(facets) => facets,
            None => contract_facets(pool, cache, &facets_key, contract, consult).await?,
        };
        let page_ids: Vec<Uuid> = ids.ids.iter().skip(offset).take(size).copied().collect();
        let fetched: Vec<Fetched> = sqlx::query_as(ROWS_BY_ID.as_str())
            .bind(contract.company_id)
            .bind(contract.id)
            .bind(&ids.snapshot)
            .bind(&facets.snapshot)
            .bind(&page_ids)
            .fetch_all(pool)
            .await?;
        let (ids_stale, facets_stale) = fetched.first().map(|f| (f.ids_stale, f.facets_stale)).unwrap_or((true, true));
        // An answer computed during this request is served even if a change committed since: its
        // snapshot is a moment of this request.
        let ids_ok = !ids_stale || ids.created() >= began;
        let facets_ok = !facets_stale || facets.created() >= began;
        if ids_ok && facets_ok {
            let rows: Vec<SerialRow> = fetched.into_iter().filter_map(Fetched::row).collect();
            if rows.len() != page_ids.len() {
                // A serial of the list is gone and its deletion not committed when the check read
                // the journal: impossible (one statement, one snapshot), but never show a short page.
                cache.drop_list(&list_key, &ids);
                if tries <= 3 {
                    continue;
                }
            }
            return Ok(ProductsPage {
                contract_id: contract.id,
                contract_number: contract.number.clone(),
                manager: contract.manager.clone(),
                may_act: view.may_act(),
                rows,
                total: ids.ids.len() as u64,
                as_of_micros: ids.as_of_micros,
                products: facets.products.clone(),
                groups: facets.groups.clone(),
                coordinators: facets.coordinators.clone(),
            });
        }
        if !ids_ok {
            cache.drop_list(&list_key, &ids);
        }
        if !facets_ok {
            cache.drop_facets(&facets_key, &facets);
        }
    }
}

/// The validity check of both cached answers and the page's rows, in one statement (one snapshot):
/// $1 company, $2 contract, $3 the ids' snapshot, $4 the facets' snapshot, $5 the page's ids.
/// A row of the journal for the nil company concerns every company (the product catalogue).
static ROWS_BY_ID: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "with fresh as materialized (select {} as ids_stale, {} as facets_stale)",
        ListCache::changed_since("$1", "$3"),
        ListCache::changed_since("$1", "$4")
    ) + ROWS_OF_IDS
});

/// The page's rows by id, in the order of the ids, after the check (a row of its own when there are none).
const ROWS_OF_IDS: &str = "
    select fresh.ids_stale, fresh.facets_stale, r.*
      from fresh
      left join (
        select p.n, s.id, s.serial, pr.name as product, pr.release, pr.licence_type, s.quantity, s.group_name,
               ep.id as coordinator_id, ep.first_name || ' ' || ep.last_name as coordinator_name,
               ep.email as coordinator_email, s.coordinator_id is null as coordinator_is_default, s.version
          from unnest($5::uuid[]) with ordinality as p(id, n)
          join serial_numbers s on s.company_id = $1 and s.id = p.id and s.contract_id = $2
          join contracts c on c.company_id = s.company_id and c.id = s.contract_id
          join products pr on pr.id = s.product_id
          join people ep on ep.company_id = s.company_id and ep.id = coalesce(s.coordinator_id, c.manager_id)
      ) r on true
     order by r.n";

/// One row of `ROWS_BY_ID`: the check, and a serial when there is one.
#[derive(sqlx::FromRow)]
struct Fetched {
    ids_stale: bool,
    facets_stale: bool,
    id: Option<Uuid>,
    serial: Option<String>,
    product: Option<String>,
    release: Option<String>,
    licence_type: Option<String>,
    quantity: Option<i32>,
    group_name: Option<String>,
    coordinator_id: Option<Uuid>,
    coordinator_name: Option<String>,
    coordinator_email: Option<String>,
    coordinator_is_default: Option<bool>,
    version: Option<i64>,
}

impl Fetched {
    fn row(self) -> Option<SerialRow> {
        Some(SerialRow::from(Row {
            id: self.id?,
            serial: self.serial?,
            product: self.product?,
            release: self.release?,
            licence_type: self.licence_type?,
            quantity: self.quantity?,
            group_name: self.group_name,
            coordinator_id: self.coordinator_id?,
            coordinator_name: self.coordinator_name?,
            coordinator_email: self.coordinator_email?,
            coordinator_is_default: self.coordinator_is_default?,
            version: self.version?,
        }))
    }
}

/// Every matching serial's id in the list's order: the list's own SQL (the filter of `filter.rs`,
/// the sort of `sort_columns`), without limit or offset. One computation per key at a time.
async fn list_ids(pool: &PgPool, cache: &ListCache, key: &ListKey, contract: &Contract, consult: bool) -> Result<Arc<Ids>, AppError> {
    let waited = Instant::now();
    let _flight = cache.list_flight(key).await;
    if consult {
        if let Some(ids) = cache.list(key).filter(|ids| ids.created() >= waited) {
            return Ok(ids);
        }
    }
    let created = Instant::now();
    let (mut tx, snapshot, as_of_micros) = snapshot_transaction(pool).await?;
    let ids: Vec<Uuid> = ordered_ids(contract, &key.filter, key.sort, key.descending).build_query_scalar().fetch_one(&mut *tx).await?;
    tx.commit().await?;
    cache.note_computed();
    let ids = Arc::new(Ids::new(snapshot, ids, as_of_micros, created));
    cache.put_list(key.clone(), ids.clone());
    Ok(ids)
}

/// The ordering SQL: one array of ids.
fn ordered_ids<'a>(contract: &Contract, filter: &SerialFilter, sort: SortKey, descending: bool) -> QueryBuilder<'a, Postgres> {
    let columns = sort_columns(sort);
    let mut qb = QueryBuilder::new("with rk as (select id, row_number() over (order by last_name, first_name, id) as rank from people where company_id = ");
    qb.push_bind(contract.company_id);
    qb.push(") select array(select s.id");
    if needs_joins(filter) {
        qb.push(FROM);
    } else {
        qb.push(FROM_SERIALS_ONLY);
        if matches!(sort, SortKey::Product | SortKey::LicenceType) {
            qb.push(" join products pr on pr.id = s.product_id ");
        }
        if sort == SortKey::Coordinator {
            qb.push(" join contracts c on c.company_id = s.company_id and c.id = s.contract_id ");
        }
    }
    if sort == SortKey::Coordinator {
        // R3: an unassigned serial sorts under the CM, as of the snapshot (not the caller's copy).
        qb.push(" join rk on rk.id = coalesce(s.coordinator_id, c.manager_id) ");
    }
    push_filter(&mut qb, contract, filter);
    qb.push(order_clause(columns.iter().map(|c| c.to_string()), descending));
    qb.push(")");
    qb
}

/// What the contract's filters offer, in one snapshot. One computation per contract at a time.
async fn contract_facets(pool: &PgPool, cache: &ListCache, key: &FacetsKey, contract: &Contract, consult: bool) -> Result<Arc<Facets>, AppError> {
    let waited = Instant::now();
    let _flight = cache.facets_flight(key).await;
    if consult {
        if let Some(facets) = cache.facets(key).filter(|f| f.created() >= waited) {
            return Ok(facets);
        }
    }
    let created = Instant::now();
    let (mut tx, snapshot, _) = snapshot_transaction(pool).await?;
    let products: Vec<(Uuid, String)> = sqlx::query_as(
        "select pr.id, pr.name || ' ' || pr.release from products pr
          where exists (select 1 from serial_numbers s where s.company_id = $1 and s.contract_id = $2 and s.product_id = pr.id)
          order by pr.name, pr.release",
    )
    .bind(contract.company_id)
    .bind(contract.id)
    .fetch_all(&mut *tx)
    .await?;
    // One pass over the contract's serials: it needs no index on the group (a bulk action's
    // UPDATE is cheaper without one), and runs only when the list changed.
    let groups: Vec<String> = sqlx::query_scalar(
        "select distinct group_name from serial_numbers
          where company_id = $1 and contract_id = $2 and group_name is not null
          order by group_name",
    )
    .bind(contract.company_id)
    .bind(contract.id)
    .fetch_all(&mut *tx)
    .await?;
    let coordinators = coordinators_in(&mut *tx, contract).await?;
    tx.commit().await?;
    cache.note_computed();
    let facets = Arc::new(Facets::new(
        snapshot,
        products.into_iter().map(|(id, label)| ProductOption { id, label }).collect(),
        groups,
        coordinators,
        created,
    ));
    cache.put_facets(key.clone(), facets.clone());
    Ok(facets)
}

/// The people explicitly coordinating serials of the contract.
pub async fn coordinators_of(pool: &PgPool, view: &ContractView) -> Result<Vec<PersonOption>, AppError> {
    coordinators_in(pool, view.contract()).await
}

async fn coordinators_in<'e>(db: impl sqlx::PgExecutor<'e>, contract: &Contract) -> Result<Vec<PersonOption>, AppError> {
    let rows: Vec<PersonRow> = sqlx::query_as(
        "select p.id, p.first_name || ' ' || p.last_name as name, p.email from people p
          where p.company_id = $1
            and p.id in (select s.coordinator_id from serial_numbers s
                          where s.company_id = $1 and s.contract_id = $2 and s.coordinator_id is not null)
          order by p.last_name, p.first_name",
    )
    .bind(contract.company_id)
    .bind(contract.id)
    .fetch_all(db)
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
