//! Undo of one bulk change, while nothing has touched its serials since (R8, R24).

use crate::ssr::audit::{self, Who};
use crate::ssr::authz::ContractManager;
use crate::AppError;
use serde_json::json;
use shared::audit::Action;
use shared::products::BulkOutcome;
use sqlx::{PgPool, QueryBuilder};
use uuid::Uuid;

/// The serials of the change on this contract, locked, and those whose version moved since the
/// change (the first ten in serial order, and how many), aggregated by the database.
#[derive(sqlx::FromRow)]
struct Undoable {
    serials: i64,
    moved: i64,
    moved_serials: Vec<String>,
}

/// Reverses exactly one change of the manager's contract while nothing has touched its serials
/// since; otherwise nothing is undone and the answer names what changed. The values restored are the
/// ones the audit trail kept from before the change (`serial_changes`), and the serials it restores
/// are exactly those it changed: every serial still has the version that change gave it.
pub async fn undo(pool: &PgPool, manager: &ContractManager, change_id: Uuid) -> Result<BulkOutcome, AppError> {
    let contract = manager.contract();
    let mut tx = pool.begin().await?;
    // An undo is not undone in its turn (its event has the action `serial.undo`).
    let rows: Undoable = sqlx::query_as(
        "with locked as (
             select s.serial, s.version <> c.version as moved
               from serial_changes c
               join serial_numbers s on s.company_id = c.company_id and s.id = c.serial_id
              where c.company_id = $1 and c.change_id = $2 and s.contract_id = $3
                and exists (select 1 from audit_events e
                             where e.company_id = $1 and e.change_id = $2 and e.entity = 'serial_number' and e.entity_id is null
                               and e.action <> $4)
              order by s.id
              for no key update of s
         )
         select count(*) as serials, count(*) filter (where moved) as moved,
                coalesce((array_agg(serial order by serial) filter (where moved))[1:10], '{}') as moved_serials
           from locked",
    )
    .bind(contract.company_id)
    .bind(change_id)
    .bind(contract.id)
    .bind(Action::SerialUndo.key())
    .persistent(false)
    .fetch_one(&mut *tx)
    .await?;
    if rows.serials == 0 {
        return Err(AppError::NotFound);
    }
    if rows.moved > 0 {
        let shown = rows.moved_serials.join(", ");
        let more = if rows.moved > 10 { format!(" and {} more", rows.moved - 10) } else { String::new() };
        return Err(AppError::Conflict(format!(
            "This change can no longer be undone: {} of its serial numbers changed since ({shown}{more}). Nothing was undone.",
            rows.moved
        )));
    }
    let mut qb = QueryBuilder::new(
        "with prior as (
             select serial_id, coordinator_before, group_before, coordinator_after, group_after
               from serial_changes where company_id = ",
    );
    qb.push_bind(contract.company_id).push(" and change_id = ").push_bind(change_id);
    qb.push(
        "), changed as (
             update serial_numbers s
                set coordinator_id = prior.coordinator_before, group_name = prior.group_before,
                    version = s.version + 1, updated_at = now()
               from prior
              where s.company_id = ",
    );
    qb.push_bind(contract.company_id).push(" and s.contract_id = ").push_bind(contract.id);
    // The values before the undo are the ones the change left: every version was checked above.
    qb.push(
        " and s.id = prior.serial_id
             returning s.id as serial_id, s.version, prior.coordinator_after as coordinator_before,
                       prior.group_after as group_before, s.coordinator_id as coordinator_after, s.group_name as group_after)",
    );
    let who = Who::Person(manager.person_id());
    let summary = json!({ "undoes": change_id });
    let undone = audit::record_serials(&mut tx, contract.company_id, who, Action::SerialUndo, Uuid::new_v4(), summary, qb).await?;
    tx.commit().await?;
    let serials = if undone == 1 { "serial number is" } else { "serial numbers are" };
    Ok(BulkOutcome { changed: undone, change_id: None, summary: format!("Undone: {undone} {serials} as before.") })
}
