//! Bulk actions over selected serials (R8-R11): the selection is locked and checked against what the
//! browser showed (R23, stale selection), then one UPDATE changes every selected serial and the audit
//! recorder writes the change and every changed serial's values in the same statement (R24).

use super::filter::{needs_joins, push_filter, FROM, FROM_SERIALS_ONLY};
use crate::ssr::audit::{self, Who};
use crate::ssr::authz::ContractManager;
use crate::AppError;
use serde_json::json;
use shared::audit::Action;
use shared::products::{outcome_summary, parse_group_name, Assignee, BulkAction, BulkOutcome, ChangingFrom, Preview, Selection};
use shared::{Email, PersonName};
use sqlx::{PgPool, Postgres, QueryBuilder, Transaction};
use uuid::Uuid;

/// The serials a selection found and locked: their ids, and the first of those that are not as the
/// browser showed them (R23, stale selection) with how many there are. Aggregated by the database, so
/// 100,000 serials come back as one array, not 100,000 rows.
#[derive(sqlx::FromRow)]
struct Locked {
    ids: Vec<Uuid>,
    stale: i64,
    /// The first ten stale serials, in serial order.
    stale_serials: Vec<String>,
}

/// What wraps a locking query named `locked` (columns id, serial, stale) to aggregate it.
const AGGREGATE: &str = " ) select coalesce(array_agg(id), '{}') as ids, count(*) filter (where stale) as stale,
      coalesce((array_agg(serial order by serial) filter (where stale))[1:10], '{}') as stale_serials from locked";

/// The serials a selection names, locked for the rest of the transaction, after checking that none
/// changed since the browser showed them (R23, stale selection). Only serials of the manager's own
/// contract are ever found (R2). Every statement that locks serials locks them in id order, so two
/// admins never wait for each other crosswise (a deadlock).
async fn lock_selection(tx: &mut Transaction<'_, Postgres>, manager: &ContractManager, selection: &Selection) -> Result<Vec<Uuid>, AppError> {
    let contract = manager.contract();
    let locked: Locked = match selection {
        Selection::Rows(rows) => {
            let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
            let versions: Vec<i64> = rows.iter().map(|r| r.version).collect();
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
            let found: Locked = sqlx::query_as(&format!(
                "with locked as (
                     select s.id, s.serial, s.version <> v.version as stale
                       from serial_numbers s join unnest($3::uuid[], $4::int8[]) as v(id, version) on v.id = s.id
                      where s.company_id = $1 and s.contract_id = $2
                      order by s.id
                      for no key update of s
                 {AGGREGATE}"
            ))
            .bind(contract.company_id)
            .bind(contract.id)
            .bind(&ids)
            .bind(&versions)
            .persistent(false)
            .fetch_one(&mut **tx)
            .await?;
            if found.ids.len() != ids.len() {
                return Err(AppError::invalid(
                    "Selection",
                    format!("{} of the selected serial numbers are not on contract {}", ids.len() - found.ids.len(), contract.number),
                ));
            }
            found
        }
        Selection::AllMatching { filter, expected, as_of_micros } => {
            filter.validate()?;
            let mut qb = QueryBuilder::new("with locked as (select s.id, s.serial, s.updated_at > to_timestamp(");
            qb.push_bind(*as_of_micros as f64 / 1_000_000.0).push(") as stale");
            // Products and people are joined only when the filter's text may name them.
            qb.push(if needs_joins(filter) { FROM } else { FROM_SERIALS_ONLY });
            push_filter(&mut qb, contract, filter);
            qb.push(" order by s.id for no key update of s");
            qb.push(AGGREGATE);
            // Planned for its own values every time: a cached generic plan of this statement does not
            // know how selective the filter is (measured: a bitmap scan of the whole contract, 44 ms,
            // instead of a sequential scan, 16 ms, for 1,000 of 100,000 serials).
            let found: Locked = qb.build_query_as().persistent(false).fetch_one(&mut **tx).await?;
            refuse_stale(&found)?;
            if found.ids.len() as u64 != *expected {
                return Err(AppError::Conflict(format!(
                    "The serial numbers matching your filter changed since you loaded them ({} then, {} now). Nothing was changed. Reload to see them.",
                    expected,
                    found.ids.len()
                )));
            }
            found
        }
    };
    refuse_stale(&locked)?;
    Ok(locked.ids)
}

fn refuse_stale(locked: &Locked) -> Result<(), AppError> {
    if locked.stale == 0 {
        return Ok(());
    }
    let shown = locked.stale_serials.join(", ");
    let more = if locked.stale > 10 { format!(" and {} more", locked.stale - 10) } else { String::new() };
    Err(AppError::Conflict(format!(
        "Someone else changed {} of the selected serial numbers since you loaded them: {shown}{more}. Nothing was changed. Reload to see their changes.",
        locked.stale
    )))
}

/// What the action sets.
enum Target {
    /// A person, or `None` for the contract's CM by default (R3, R11).
    Coordinator(Option<Uuid>),
    /// A group name, or `None` for no group (R9).
    Group(Option<String>),
}

/// Resolves the assignee into a person of the company, creating and inviting a new one (R10, R17).
async fn resolve_assignee(
    tx: &mut Transaction<'_, Postgres>,
    manager: &ContractManager,
    assignee: &Assignee,
    create: bool,
) -> Result<(Option<Uuid>, String), AppError> {
    match assignee {
        Assignee::Existing(person) => {
            let name: Option<String> = sqlx::query_scalar(
                "select first_name || ' ' || last_name from people where company_id = $1 and id = $2 and status <> 'removed'",
            )
            .bind(manager.company_id())
            .bind(person)
            .fetch_optional(&mut **tx)
            .await?;
            let name = name.ok_or_else(|| AppError::invalid("Person", "is not a person of your company"))?;
            Ok((Some(*person), name))
        }
        Assignee::New { email, first_name, last_name } => {
            let email = Email::parse(email)?;
            let name = PersonName::parse(first_name, last_name).map_err(|e| AppError::Invalid(shared::FieldErrors(e)))?;
            if !create {
                crate::ssr::people::refuse_known(tx, manager.company_id(), &email).await?;
                return Ok((None, format!("{} <{}> (new, will be invited)", name.full(), email)));
            }
            let person = crate::ssr::people::create_invited(tx, manager.company_id(), &email, &name, manager.person_id()).await?;
            // R24: the new person's addition is recorded like Add records it.
            crate::ssr::people::audit_added(tx, manager.company_id(), Who::Person(manager.person_id()), &[person], Action::PersonAdd).await?;
            Ok((Some(person), name.full()))
        }
    }
}

async fn target_of(
    tx: &mut Transaction<'_, Postgres>,
    manager: &ContractManager,
    action: &BulkAction,
    create: bool,
) -> Result<(Target, String), AppError> {
    action.validate()?;
    Ok(match action {
        BulkAction::RenameGroup { group_name } => {
            let group = parse_group_name(group_name)?;
            let label = group.clone().map(|g| format!("\u{201c}{g}\u{201d}")).unwrap_or_else(|| "(no group)".into());
            (Target::Group(group), label)
        }
        BulkAction::Assign { assignee } => {
            let (person, label) = resolve_assignee(tx, manager, assignee, create).await?;
            (Target::Coordinator(person), label)
        }
        BulkAction::Unassign => (Target::Coordinator(None), format!("{} (Contract Manager)", manager.contract().manager.name)),
    })
}

/// Shows what the action would change, without changing anything (R2: the same capability as
/// `apply`).
pub async fn preview(pool: &PgPool, manager: &ContractManager, selection: &Selection, action: &BulkAction) -> Result<Preview, AppError> {
    let contract = manager.contract();
    let mut tx = pool.begin().await?;
    let ids = lock_selection(&mut tx, manager, selection).await?;
    let (target, to) = target_of(&mut tx, manager, action, false).await?;
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
        .bind(contract.company_id)
        .bind(&ids)
        .bind(person)
        .bind(contract.id)
        .fetch_all(&mut *tx)
        .await?,
        Target::Group(group) => sqlx::query_as(
            "select coalesce('\u{201c}' || s.group_name || '\u{201d}', '(no group)'), count(*)
               from serial_numbers s
              where s.company_id = $1 and s.contract_id = $4 and s.id = any($2) and s.group_name is distinct from $3
              group by 1 order by 2 desc, 1",
        )
        .bind(contract.company_id)
        .bind(&ids)
        .bind(group)
        .bind(contract.id)
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
    Ok(Preview {
        selected: ids.len() as u64,
        changing,
        from: from.into_iter().map(|(label, n)| ChangingFrom { label, serials: n as u64 }).collect(),
        to,
    })
}

/// Applies the action to every selected serial in one transaction with its audit: one event for the
/// change, the values before and after of every serial it changed (R8, R24). All change or none do.
pub async fn apply(pool: &PgPool, manager: &ContractManager, selection: &Selection, action: &BulkAction) -> Result<BulkOutcome, AppError> {
    let contract = manager.contract();
    let mut tx = pool.begin().await?;
    let ids = lock_selection(&mut tx, manager, selection).await?;
    let (target, to) = target_of(&mut tx, manager, action, true).await?;
    let change_id = Uuid::new_v4();
    let audit_action = match &target {
        Target::Coordinator(Some(_)) => Action::SerialAssign,
        Target::Coordinator(None) => Action::SerialUnassign,
        Target::Group(_) => Action::SerialRenameGroup,
    };
    let changed = write_change(&mut tx, manager, &ids, &target, audit_action, change_id).await?;
    // The new coordinator hears of it (a new person gets the invitation instead).
    if let (BulkAction::Assign { assignee: Assignee::Existing(person) }, true) = (action, changed > 0) {
        let email: String = sqlx::query_scalar("select email from people where company_id = $1 and id = $2")
            .bind(contract.company_id)
            .bind(person)
            .fetch_one(&mut *tx)
            .await?;
        let body = format!(
            "Hello,\n\n{} made you the Software Coordinator of {changed} serial numbers of contract {} in Seatkeeper.\n",
            contract.manager.name, contract.number
        );
        let subject = format!("You coordinate serial numbers of contract {}", contract.number);
        crate::ssr::outbox::queue(&mut tx, contract.company_id, &email, &subject, &body).await?;
    }
    tx.commit().await?;
    Ok(BulkOutcome { changed, change_id: (changed > 0).then_some(change_id), summary: outcome_summary(action, changed, &to) })
}

/// One UPDATE of every selected serial whose value differs, recorded by the audit recorder in the same
/// statement (one event for the change, one row per serial with its values before and after).
/// Returns how many serials changed.
async fn write_change(
    tx: &mut Transaction<'_, Postgres>,
    manager: &ContractManager,
    ids: &[Uuid],
    target: &Target,
    action: Action,
    change_id: Uuid,
) -> Result<u64, AppError> {
    let contract = manager.contract();
    let mut qb = QueryBuilder::new("with old as (select id, coordinator_id, group_name from serial_numbers where company_id = ");
    qb.push_bind(contract.company_id).push(" and contract_id = ").push_bind(contract.id);
    qb.push(" and id = any(").push_bind(ids).push(")), changed as (update serial_numbers s set ");
    let summary = match target {
        Target::Coordinator(person) => {
            qb.push("coordinator_id = ").push_bind(*person).push("::uuid");
            json!({ "coordinator_id": person })
        }
        Target::Group(group) => {
            qb.push("group_name = ").push_bind(group.clone()).push("::text");
            json!({ "group_name": group })
        }
    };
    qb.push(", version = s.version + 1, updated_at = now() from old where s.company_id = ").push_bind(contract.company_id);
    qb.push(" and s.contract_id = ").push_bind(contract.id).push(" and s.id = old.id and ");
    match target {
        Target::Coordinator(person) => qb.push("s.coordinator_id is distinct from ").push_bind(*person).push("::uuid"),
        Target::Group(group) => qb.push("s.group_name is distinct from ").push_bind(group.clone()).push("::text"),
    };
    qb.push(
        " returning s.id as serial_id, s.version, old.coordinator_id as coordinator_before, old.group_name as group_before,
                    s.coordinator_id as coordinator_after, s.group_name as group_after)",
    );
    audit::record_serials(tx, contract.company_id, Who::Person(manager.person_id()), action, change_id, summary, qb).await
}
