//! Undo of one bulk change, while nothing has touched its serials since (R8, R24).

use super::bulk::serial_values;
use crate::ssr::audit::{self, Change, Who};
use crate::ssr::authz::ContractManager;
use crate::AppError;
use serde_json::json;
use shared::audit::Action;
use shared::products::BulkOutcome;
use sqlx::PgPool;
use uuid::Uuid;

/// A serial of the change, with what the change left it at.
#[derive(sqlx::FromRow)]
struct Undoable {
    serial: String,
    version: i64,
    version_after_change: i64,
}

#[derive(sqlx::FromRow)]
struct Restored {
    id: Uuid,
    coordinator_id: Option<Uuid>,
    group_name: Option<String>,
    version: i64,
}

/// Reverses exactly one change of the manager's contract while nothing has touched its serials
/// since; otherwise nothing is undone and the answer names what changed.
pub async fn undo(pool: &PgPool, manager: &ContractManager, change_id: Uuid) -> Result<BulkOutcome, AppError> {
    let contract = manager.contract();
    let mut tx = pool.begin().await?;
    let rows: Vec<Undoable> = sqlx::query_as(
        "select s.serial, s.version, (a.after ->> 'version')::int8 as version_after_change
           from audit_events a
           join serial_numbers s on s.company_id = a.company_id and s.id = a.entity_id
          where a.company_id = $1 and a.change_id = $2 and s.contract_id = $3 and a.action <> $4
          order by s.id
          for no key update of s",
    )
    .bind(contract.company_id)
    .bind(change_id)
    .bind(contract.id)
    .bind(Action::SerialUndo.key())
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Err(AppError::NotFound);
    }
    let mut moved: Vec<&str> = rows.iter().filter(|r| r.version != r.version_after_change).map(|r| r.serial.as_str()).collect();
    moved.sort_unstable();
    if !moved.is_empty() {
        let shown = moved.iter().take(10).copied().collect::<Vec<_>>().join(", ");
        return Err(AppError::Conflict(format!(
            "This change can no longer be undone: {} of its serial numbers changed since ({shown}). Nothing was undone.",
            moved.len()
        )));
    }
    let restored: Vec<Restored> = sqlx::query_as(
        "with prior as (
             select a.entity_id as id, (a.before ->> 'coordinator_id')::uuid as coordinator_id,
                    a.before ->> 'group_name' as group_name
               from audit_events a
              where a.company_id = $1 and a.change_id = $2 and a.action <> $4
         )
         update serial_numbers s
            set coordinator_id = prior.coordinator_id, group_name = prior.group_name,
                version = s.version + 1, updated_at = now()
           from prior
          where s.company_id = $1 and s.contract_id = $3 and s.id = prior.id
         returning s.id, s.coordinator_id, s.group_name, s.version",
    )
    .bind(contract.company_id)
    .bind(change_id)
    .bind(contract.id)
    .bind(Action::SerialUndo.key())
    .fetch_all(&mut *tx)
    .await?;
    let changes: Vec<Change> = restored
        .iter()
        .map(|r| Change::new(r.id, Some(json!({ "undoes": change_id })), Some(serial_values(r.coordinator_id, &r.group_name, r.version))))
        .collect();
    let undone = audit::record(&mut tx, contract.company_id, Who::Person(manager.person_id()), Action::SerialUndo, &changes, Some(Uuid::new_v4())).await?;
    tx.commit().await?;
    let serials = if undone == 1 { "serial number is" } else { "serial numbers are" };
    Ok(BulkOutcome { changed: undone, change_id: None, summary: format!("Undone: {undone} {serials} as before.") })
}
