//! The store of the Products tab: the filtered, sorted page of a contract's serials and the bulk
//! actions over them (R2, R3, R8-R11, R23, R24). Every statement is set-based: a thousand serials
//! are one UPDATE and one INSERT of audit events, never a loop.

use super::Actor;
use crate::AppError;
use shared::products::{
    outcome_summary, parse_group_name, Assignee, BulkAction, BulkOutcome, CoordinatorFilter, PersonOption, Preview,
    ProductOption, ProductsPage, ProductsQuery, Selection, SerialFilter, SerialRow, SortKey,
};
use shared::{Email, PersonName};
use sqlx::{PgPool, Postgres, QueryBuilder, Transaction};
use uuid::Uuid;

/// A contract as the actor may see it: only within their own company (R25).
#[derive(Debug, Clone)]
pub struct ContractAccess {
    pub company_id: Uuid,
    pub contract_id: Uuid,
    pub contract_number: String,
    pub manager: PersonOption,
    /// R2: only the contract's CM acts on it.
    pub may_act: bool,
    pub actor_person: Uuid,
}

impl ContractAccess {
    pub fn require_manager(&self) -> Result<(), AppError> {
        if self.may_act {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// Finds the contract by number within the actor's company. Another company's contract answers
/// exactly as a missing one (R25); reseller agents have no Products tab.
pub async fn contract_access(pool: &PgPool, actor: &Actor, number: &str) -> Result<ContractAccess, AppError> {
    let (company_id, person_id) = actor.person().ok_or(AppError::NotFound)?;
    let row: Option<(Uuid, String, Uuid, String, String)> = sqlx::query_as(
        "select c.id, c.contract_number, m.id, m.first_name || ' ' || m.last_name, m.email
           from contracts c join people m on m.company_id = c.company_id and m.id = c.manager_id
          where c.company_id = $1 and c.contract_number = $2",
    )
    .bind(company_id)
    .bind(number.trim())
    .fetch_optional(pool)
    .await?;
    let (contract_id, contract_number, manager_id, name, email) = row.ok_or(AppError::NotFound)?;
    Ok(ContractAccess {
        company_id,
        contract_id,
        contract_number,
        manager: PersonOption { id: manager_id, name, email },
        may_act: manager_id == person_id,
        actor_person: person_id,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContractSummaryRow {
    pub contract_number: String,
    pub serials: i64,
    pub coordinators: i64,
}

const FROM: &str = " from serial_numbers s
    join contracts c on c.company_id = s.company_id and c.id = s.contract_id
    join products pr on pr.id = s.product_id
    join people ep on ep.company_id = s.company_id and ep.id = coalesce(s.coordinator_id, c.manager_id) ";

const FROM_SERIALS_ONLY: &str = " from serial_numbers s ";

fn needs_joins(filter: &SerialFilter) -> bool {
    let text = filter.text.trim();
    !text.is_empty() && !shared::products::is_serial_fragment(text)
}

/// Appends the WHERE clause of a filter over one contract's serials.
fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, access: &ContractAccess, filter: &SerialFilter) {
    qb.push(" where s.company_id = ").push_bind(access.company_id);
    qb.push(" and s.contract_id = ").push_bind(access.contract_id);
    let text = filter.text.trim();
    if shared::products::is_serial_fragment(text) {
        qb.push(" and s.serial like ").push_bind(format!("%{text}%"));
    } else if !text.is_empty() {
        let pattern = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        qb.push(" and (s.serial ilike ").push_bind(pattern.clone());
        qb.push(" or pr.name || ' ' || pr.release ilike ").push_bind(pattern.clone());
        qb.push(" or s.group_name ilike ").push_bind(pattern.clone());
        qb.push(" or ep.first_name || ' ' || ep.last_name ilike ").push_bind(pattern.clone());
        qb.push(" or ep.email ilike ").push_bind(pattern).push(")");
    }
    if let Some(product) = filter.product {
        qb.push(" and s.product_id = ").push_bind(product);
    }
    match filter.group.as_deref() {
        Some("") => {
            qb.push(" and s.group_name is null");
        }
        Some(group) => {
            qb.push(" and s.group_name = ").push_bind(group.to_string());
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

type RowTuple = (Uuid, String, String, String, String, i32, Option<String>, Uuid, String, String, bool, i64);

pub async fn products_page(pool: &PgPool, access: &ContractAccess, query: &ProductsQuery) -> Result<ProductsPage, AppError> {
    query.filter.validate()?;
    let mut count = QueryBuilder::new("select count(*), (extract(epoch from now()) * 1000000)::int8");
    // Only free text looks at products and people; without it the count is an index-only scan.
    count.push(if needs_joins(&query.filter) { FROM } else { FROM_SERIALS_ONLY });
    push_filter(&mut count, access, &query.filter);
    let (total, as_of_micros): (i64, i64) = count.build_query_as().fetch_one(pool).await?;

    // A deferred join: the page's ids are found touching only what the filter and the sort need
    // (a coordinator sort compares ranks, not names), then 50 rows get their columns.
    let columns = sort_columns(query.sort);
    let mut rows = QueryBuilder::new(
        "with rk as (
             select id, row_number() over (order by last_name, first_name, id) as rank
               from people where company_id = ",
    );
    rows.push_bind(access.company_id);
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
        rows.push(" join rk on rk.id = coalesce(s.coordinator_id, ").push_bind(access.manager.id).push(") ");
    }
    push_filter(&mut rows, access, &query.filter);
    rows.push(order_clause(columns.iter().map(|c| c.to_string()), query.descending));
    rows.push(" limit ").push_bind(query.clamped_page_size() as i64);
    rows.push(" offset ").push_bind(query.offset() as i64);
    rows.push(
        ") select s.id, s.serial, pr.name, pr.release, pr.licence_type, s.quantity, s.group_name,
                  ep.id, ep.first_name || ' ' || ep.last_name, ep.email, s.coordinator_id is null, s.version
             from page
             join serial_numbers s on s.company_id = ",
    );
    rows.push_bind(access.company_id);
    rows.push(
        " and s.id = page.id
             join products pr on pr.id = s.product_id
             join people ep on ep.company_id = s.company_id and ep.id = coalesce(s.coordinator_id, ",
    );
    rows.push_bind(access.manager.id).push(")");
    rows.push(order_clause((0..columns.len()).map(|i| format!("page.k{i}")), query.descending));
    let rows: Vec<RowTuple> = rows.build_query_as().fetch_all(pool).await?;

    let products: Vec<(Uuid, String)> = sqlx::query_as(
        "select pr.id, pr.name || ' ' || pr.release from products pr
          where exists (select 1 from serial_numbers s where s.company_id = $1 and s.contract_id = $2 and s.product_id = pr.id)
          order by pr.name, pr.release",
    )
    .bind(access.company_id)
    .bind(access.contract_id)
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
    .bind(access.company_id)
    .bind(access.contract_id)
    .fetch_all(pool)
    .await?;
    let coordinators = coordinators_of(pool, access).await?;

    Ok(ProductsPage {
        contract_id: access.contract_id,
        contract_number: access.contract_number.clone(),
        manager: access.manager.clone(),
        may_act: access.may_act,
        rows: rows
            .into_iter()
            .map(|r| SerialRow {
                id: r.0,
                serial: r.1,
                product: r.2,
                release: r.3,
                licence_type: r.4,
                quantity: r.5,
                group_name: r.6,
                coordinator_id: r.7,
                coordinator_name: r.8,
                coordinator_email: r.9,
                coordinator_is_default: r.10,
                version: r.11,
            })
            .collect(),
        total: total as u64,
        as_of_micros,
        products: products.into_iter().map(|(id, label)| ProductOption { id, label }).collect(),
        groups,
        coordinators,
    })
}

/// The people explicitly coordinating serials of the contract.
pub async fn coordinators_of(pool: &PgPool, access: &ContractAccess) -> Result<Vec<PersonOption>, AppError> {
    let rows: Vec<(Uuid, String, String)> = sqlx::query_as(
        "select p.id, p.first_name || ' ' || p.last_name, p.email from people p
          where p.company_id = $1
            and exists (select 1 from serial_numbers s
                         where s.company_id = p.company_id and s.contract_id = $2 and s.coordinator_id = p.id)
          order by p.last_name, p.first_name",
    )
    .bind(access.company_id)
    .bind(access.contract_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, name, email)| PersonOption { id, name, email }).collect())
}

/// People of the company whose name or email contains the text, for the Assign box.
pub async fn search_people(pool: &PgPool, access: &ContractAccess, text: &str) -> Result<Vec<PersonOption>, AppError> {
    let text = shared::text::search("Search", text)?;
    let pattern = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let rows: Vec<(Uuid, String, String)> = sqlx::query_as(
        "select id, first_name || ' ' || last_name, email from people
          where company_id = $1 and status <> 'removed'
            and (first_name || ' ' || last_name ilike $2 or email ilike $2)
          order by last_name, first_name limit 20",
    )
    .bind(access.company_id)
    .bind(pattern)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, name, email)| PersonOption { id, name, email }).collect())
}

pub async fn managed_contracts(pool: &PgPool, actor: &Actor) -> Result<Vec<ContractSummaryRow>, AppError> {
    let Some((company_id, person_id)) = actor.person() else { return Ok(vec![]) };
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "select c.contract_number, count(s.id), count(distinct s.coordinator_id)
           from contracts c
           left join serial_numbers s on s.company_id = c.company_id and s.contract_id = c.id
          where c.company_id = $1 and c.manager_id = $2
          group by c.id, c.contract_number order by c.contract_number",
    )
    .bind(company_id)
    .bind(person_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(contract_number, serials, coordinators)| ContractSummaryRow { contract_number, serials, coordinators }).collect())
}

/// The serials a selection names, locked for the rest of the transaction, after checking that none
/// changed since the browser showed them (R23, stale selection).
async fn lock_selection(
    tx: &mut Transaction<'_, Postgres>,
    access: &ContractAccess,
    selection: &Selection,
) -> Result<Vec<Uuid>, AppError> {
    match selection {
        Selection::Rows(rows) => {
            let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
            let versions: Vec<i64> = rows.iter().map(|r| r.1).collect();
            // A serial listed twice would make the count of rows found match the count of distinct
            // ids while a serial of another contract hides among them (R2): refuse it outright.
            let mut unique = ids.clone();
            unique.sort_unstable();
            unique.dedup();
            if unique.len() != ids.len() {
                return Err(AppError::invalid(
                    "Selection",
                    format!("lists {} serial numbers more than once; select each serial once", ids.len() - unique.len()),
                ));
            }
            let found: Vec<(Uuid, String, i64, i64)> = sqlx::query_as(
                "select s.id, s.serial, s.version, v.version
                   from serial_numbers s join unnest($3::uuid[], $4::int8[]) as v(id, version) on v.id = s.id
                  where s.company_id = $1 and s.contract_id = $2
                  order by s.serial
                  for update of s",
            )
            .bind(access.company_id)
            .bind(access.contract_id)
            .bind(&ids)
            .bind(&versions)
            .fetch_all(&mut **tx)
            .await?;
            if found.len() != unique.len() {
                let missing = unique.len().saturating_sub(found.len());
                return Err(AppError::invalid(
                    "Selection",
                    format!("{missing} of the selected serial numbers are not on contract {}", access.contract_number),
                ));
            }
            let stale: Vec<String> = found.iter().filter(|r| r.2 != r.3).map(|r| r.1.clone()).collect();
            if !stale.is_empty() {
                return Err(stale_error(&stale));
            }
            Ok(unique)
        }
        Selection::AllMatching { filter, expected, as_of_micros } => {
            filter.validate()?;
            let mut qb = QueryBuilder::new(
                "select s.id, s.serial, s.updated_at > to_timestamp(",
            );
            qb.push_bind(*as_of_micros as f64 / 1_000_000.0).push(")");
            qb.push(FROM);
            push_filter(&mut qb, access, filter);
            qb.push(" order by s.serial for update of s");
            let found: Vec<(Uuid, String, bool)> = qb.build_query_as().fetch_all(&mut **tx).await?;
            let stale: Vec<String> = found.iter().filter(|r| r.2).map(|r| r.1.clone()).collect();
            if !stale.is_empty() {
                return Err(stale_error(&stale));
            }
            if found.len() as u64 != *expected {
                return Err(AppError::Conflict(format!(
                    "The serial numbers matching your filter changed since you loaded them ({} then, {} now). Nothing was changed. Reload to see them.",
                    expected,
                    found.len()
                )));
            }
            Ok(found.into_iter().map(|r| r.0).collect())
        }
    }
}

fn stale_error(serials: &[String]) -> AppError {
    let shown: Vec<&str> = serials.iter().take(10).map(String::as_str).collect();
    let more = if serials.len() > 10 { format!(" and {} more", serials.len() - 10) } else { String::new() };
    AppError::Conflict(format!(
        "Someone else changed {} of the selected serial numbers since you loaded them: {}{more}. Nothing was changed. Reload to see their changes.",
        serials.len(),
        shown.join(", ")
    ))
}

/// What the action sets: (new coordinator, new group), `None` meaning "leave as it is".
enum Target {
    Coordinator(Option<Uuid>),
    Group(Option<String>),
}

/// Resolves the assignee into a person of the company, creating and inviting a new one (R10, R17).
async fn resolve_assignee(
    tx: &mut Transaction<'_, Postgres>,
    access: &ContractAccess,
    assignee: &Assignee,
    create: bool,
) -> Result<(Option<Uuid>, String), AppError> {
    match assignee {
        Assignee::Existing(person) => {
            let row: Option<(String, String)> = sqlx::query_as(
                "select first_name || ' ' || last_name, email from people
                  where company_id = $1 and id = $2 and status <> 'removed'",
            )
            .bind(access.company_id)
            .bind(person)
            .fetch_optional(&mut **tx)
            .await?;
            let (name, _) = row.ok_or_else(|| AppError::invalid("Person", "is not a person of your company"))?;
            Ok((Some(*person), name))
        }
        Assignee::New { email, first_name, last_name } => {
            let email = Email::parse(email).map_err(|e| AppError::Invalid(shared::FieldErrors(vec![e])))?;
            let name = PersonName::parse(first_name, last_name).map_err(|e| AppError::Invalid(shared::FieldErrors(e)))?;
            if !create {
                super::people::refuse_known(tx, access.company_id, &email).await?;
                return Ok((None, format!("{} <{}> (new, will be invited)", name.full(), email)));
            }
            let person = super::people::create_invited(tx, access.company_id, &email, &name, access.actor_person).await?;
            Ok((Some(person), name.full()))
        }
    }
}

async fn target_of(
    tx: &mut Transaction<'_, Postgres>,
    access: &ContractAccess,
    action: &BulkAction,
    create: bool,
) -> Result<(Target, String), AppError> {
    action.validate().map_err(AppError::Invalid)?;
    Ok(match action {
        BulkAction::RenameGroup { group_name } => {
            let group = parse_group_name(group_name).map_err(|e| AppError::Invalid(shared::FieldErrors(vec![e])))?;
            let label = group.clone().map(|g| format!("\u{201c}{g}\u{201d}")).unwrap_or_else(|| "(no group)".into());
            (Target::Group(group), label)
        }
        BulkAction::Assign { assignee } => {
            let (person, label) = resolve_assignee(tx, access, assignee, create).await?;
            (Target::Coordinator(person), label)
        }
        BulkAction::Unassign => (Target::Coordinator(None), format!("{} (Contract Manager)", access.manager.name)),
    })
}

/// Shows what the action would change, without changing anything.
pub async fn preview(pool: &PgPool, access: &ContractAccess, selection: &Selection, action: &BulkAction) -> Result<Preview, AppError> {
    let mut tx = pool.begin().await?;
    let ids = lock_selection(&mut tx, access, selection).await?;
    let (target, to) = target_of(&mut tx, access, action, false).await?;
    let from: Vec<(String, i64)> = match &target {
        Target::Coordinator(person) => sqlx::query_as(
            "select ep.first_name || ' ' || ep.last_name
                    || case when s.coordinator_id is null then ' (Contract Manager)' else '' end, count(*)
               from serial_numbers s
               join contracts c on c.company_id = s.company_id and c.id = s.contract_id
               join people ep on ep.company_id = s.company_id and ep.id = coalesce(s.coordinator_id, c.manager_id)
              where s.company_id = $1 and s.contract_id = $4 and s.id = any($2)
                and ($3::uuid is null and s.coordinator_id is not null
                     or $3::uuid is not null and s.coordinator_id is distinct from $3::uuid)
              group by 1 order by 2 desc, 1",
        )
        .bind(access.company_id)
        .bind(&ids)
        .bind(person)
        .bind(access.contract_id)
        .fetch_all(&mut *tx)
        .await?,
        Target::Group(group) => sqlx::query_as(
            "select coalesce('\u{201c}' || s.group_name || '\u{201d}', '(no group)'), count(*)
               from serial_numbers s
              where s.company_id = $1 and s.contract_id = $4 and s.id = any($2) and s.group_name is distinct from $3
              group by 1 order by 2 desc, 1",
        )
        .bind(access.company_id)
        .bind(&ids)
        .bind(group)
        .bind(access.contract_id)
        .fetch_all(&mut *tx)
        .await?,
    };
    tx.rollback().await?;
    // A brand-new assignee changes every selected serial.
    let changing = if matches!(action, BulkAction::Assign { assignee: Assignee::New { .. } }) {
        ids.len() as u64
    } else {
        from.iter().map(|f| f.1 as u64).sum()
    };
    Ok(Preview { selected: ids.len() as u64, changing, from: from.into_iter().map(|(l, n)| (l, n as u64)).collect(), to })
}

/// Applies the action to every selected serial in one transaction with one audit event per changed
/// serial (R8, R24): all change or none do.
pub async fn apply(pool: &PgPool, access: &ContractAccess, selection: &Selection, action: &BulkAction) -> Result<BulkOutcome, AppError> {
    access.require_manager()?;
    let mut tx = pool.begin().await?;
    let ids = lock_selection(&mut tx, access, selection).await?;
    let (target, to) = target_of(&mut tx, access, action, true).await?;
    let change_id = Uuid::new_v4();
    let (kind, coordinator, group, verb) = match &target {
        Target::Coordinator(person) => ("coordinator", *person, None, if person.is_some() { "serial.assign" } else { "serial.unassign" }),
        Target::Group(group) => ("group", None, group.clone(), "serial.rename_group"),
    };
    let changed = write_change(&mut tx, access, &ids, kind, coordinator, group, verb, change_id).await?;
    // The CM and SCs hear of their role changing (issue 4, notices); a new person gets the
    // invitation instead.
    if let (BulkAction::Assign { assignee: Assignee::Existing(person) }, true) = (action, changed > 0) {
        let email: String = sqlx::query_scalar("select email from people where company_id = $1 and id = $2")
            .bind(access.company_id)
            .bind(person)
            .fetch_one(&mut *tx)
            .await?;
        let body = format!(
            "Hello,\n\n{} made you the Software Coordinator of {changed} serial numbers of contract {} in Seatkeeper.\n",
            access.manager.name, access.contract_number
        );
        super::outbox::queue(&mut tx, access.company_id, &email, &format!("You coordinate serial numbers of contract {}", access.contract_number), &body).await?;
    }
    tx.commit().await?;
    Ok(BulkOutcome {
        changed,
        change_id: (changed > 0).then_some(change_id),
        summary: outcome_summary(action, changed, &to),
    })
}

/// One UPDATE and one INSERT of audit events, as a single statement.
#[allow(clippy::too_many_arguments)]
async fn write_change(
    tx: &mut Transaction<'_, Postgres>,
    access: &ContractAccess,
    ids: &[Uuid],
    kind: &str,
    coordinator: Option<Uuid>,
    group: Option<String>,
    action: &str,
    change_id: Uuid,
) -> Result<u64, AppError> {
    let changed: i64 = sqlx::query_scalar(
        "with old as (
             select id, coordinator_id, group_name, version from serial_numbers
              where company_id = $1 and contract_id = $9 and id = any($2)
         ), changed as (
             update serial_numbers s
                set coordinator_id = case when $3 = 'coordinator' then $4 else s.coordinator_id end,
                    group_name = case when $3 = 'group' then $5 else s.group_name end,
                    version = s.version + 1,
                    updated_at = now()
               from old
              where s.company_id = $1 and s.contract_id = $9 and s.id = old.id
                and (($3 = 'coordinator' and s.coordinator_id is distinct from $4)
                  or ($3 = 'group' and s.group_name is distinct from $5))
             returning s.id, old.coordinator_id as old_coordinator, old.group_name as old_group,
                       s.coordinator_id, s.group_name, s.version
         ), audited as (
             insert into audit_events (company_id, id, actor_person_id, action, entity, entity_id, before, after, change_id)
             select $1, gen_random_uuid(), $6, $7, 'serial_number', id,
                    jsonb_build_object('coordinator_id', old_coordinator, 'group_name', old_group, 'version', version - 1),
                    jsonb_build_object('coordinator_id', coordinator_id, 'group_name', group_name, 'version', version),
                    $8
               from changed
             returning 1
         )
         select count(*) from audited",
    )
    .bind(access.company_id)
    .bind(ids)
    .bind(kind)
    .bind(coordinator)
    .bind(group)
    .bind(access.actor_person)
    .bind(action)
    .bind(change_id)
    .bind(access.contract_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(changed as u64)
}

/// Reverses exactly one change while nothing has touched its serials since; otherwise nothing is
/// undone and the answer names what changed.
pub async fn undo(pool: &PgPool, access: &ContractAccess, change_id: Uuid) -> Result<BulkOutcome, AppError> {
    access.require_manager()?;
    let mut tx = pool.begin().await?;
    let rows: Vec<(Uuid, String, i64, i64)> = sqlx::query_as(
        "select s.id, s.serial, s.version, (a.after ->> 'version')::int8
           from audit_events a
           join serial_numbers s on s.company_id = a.company_id and s.id = a.entity_id
          where a.company_id = $1 and a.change_id = $2 and s.contract_id = $3 and a.action <> 'serial.undo'
          order by s.serial
          for update of s",
    )
    .bind(access.company_id)
    .bind(change_id)
    .bind(access.contract_id)
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Err(AppError::NotFound);
    }
    let moved: Vec<String> = rows.iter().filter(|r| r.2 != r.3).map(|r| r.1.clone()).collect();
    if !moved.is_empty() {
        let shown: Vec<&str> = moved.iter().take(10).map(String::as_str).collect();
        return Err(AppError::Conflict(format!(
            "This change can no longer be undone: {} of its serial numbers changed since ({}). Nothing was undone.",
            moved.len(),
            shown.join(", ")
        )));
    }
    let undone: i64 = sqlx::query_scalar(
        "with prior as (
             select a.entity_id as id, (a.before ->> 'coordinator_id')::uuid as coordinator_id,
                    a.before ->> 'group_name' as group_name
               from audit_events a
              where a.company_id = $1 and a.change_id = $2 and a.action <> 'serial.undo'
         ), changed as (
             update serial_numbers s
                set coordinator_id = prior.coordinator_id, group_name = prior.group_name,
                    version = s.version + 1, updated_at = now()
               from prior
              where s.company_id = $1 and s.contract_id = $5 and s.id = prior.id
             returning s.id, s.coordinator_id, s.group_name, s.version
         ), audited as (
             insert into audit_events (company_id, id, actor_person_id, action, entity, entity_id, before, after, change_id)
             select $1, gen_random_uuid(), $3, 'serial.undo', 'serial_number', id,
                    jsonb_build_object('undoes', $2::uuid),
                    jsonb_build_object('coordinator_id', coordinator_id, 'group_name', group_name, 'version', version),
                    $4
               from changed
             returning 1
         )
         select count(*) from audited",
    )
    .bind(access.company_id)
    .bind(change_id)
    .bind(access.actor_person)
    .bind(Uuid::new_v4())
    .bind(access.contract_id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let serials = if undone == 1 { "serial number is" } else { "serial numbers are" };
    Ok(BulkOutcome { changed: undone as u64, change_id: None, summary: format!("Undone: {undone} {serials} as before.") })
}
