//! The one writer of the audit trail (R24): every audit event goes through `record` (or, for changes
//! of serial numbers, `record_serials`), inside the transaction of the change it describes. One
//! statement for a thousand records, never a loop.

use crate::AppError;
use serde_json::Value;
use shared::audit::Action;
use sqlx::{Postgres, QueryBuilder, Transaction};
use uuid::Uuid;

/// Who acted: a person of the company, a reseller agent, or the console itself (demo data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Person(Uuid),
    Agent(Uuid),
    Seatkeeper,
}

impl Who {
    /// The event's `actor_person_id` and `actor_agent_id`.
    fn actor_columns(self) -> (Option<Uuid>, Option<Uuid>) {
        match self {
            Who::Person(id) => (Some(id), None),
            Who::Agent(id) => (None, Some(id)),
            Who::Seatkeeper => (None, None),
        }
    }
}

/// One record changed: its id and its values before and after (`None` where it did not exist).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub record: Uuid,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The event's own id; a random one when `None` (demo data gives fixed ids, to be reproducible).
    pub event_id: Option<Uuid>,
}

impl Change {
    pub fn new(record: Uuid, before: Option<Value>, after: Option<Value>) -> Self {
        Self { record, before, after, event_id: None }
    }
}

/// Writes one audit event per change, all sharing `change_id` when given (a bulk change that can be
/// shown and undone as one). Returns how many were written.
pub async fn record(
    tx: &mut Transaction<'_, Postgres>,
    company_id: Uuid,
    who: Who,
    action: Action,
    changes: &[Change],
    change_id: Option<Uuid>,
) -> Result<u64, AppError> {
    if changes.is_empty() {
        return Ok(0);
    }
    let (person, agent) = who.actor_columns();
    let records: Vec<Uuid> = changes.iter().map(|c| c.record).collect();
    let before: Vec<Option<Value>> = changes.iter().map(|c| c.before.clone()).collect();
    let after: Vec<Option<Value>> = changes.iter().map(|c| c.after.clone()).collect();
    let ids: Vec<Option<Uuid>> = changes.iter().map(|c| c.event_id).collect();
    let written = sqlx::query(
        "insert into audit_events (company_id, id, actor_person_id, actor_agent_id, action, entity, entity_id, before, after, change_id)
         select $1, coalesce(x.id, gen_random_uuid()), $2, $3, $4, $5, x.record, x.before, x.after, $9
           from unnest($6::uuid[], $7::jsonb[], $8::jsonb[], $10::uuid[]) as x(record, before, after, id)",
    )
    .bind(company_id)
    .bind(person)
    .bind(agent)
    .bind(action.key())
    .bind(action.entity().key())
    .bind(&records)
    .bind(&before)
    .bind(&after)
    .bind(change_id)
    .bind(&ids)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(written)
}

/// Records one change of many serial numbers (R8, R24) in the statement that makes it: one audit
/// event for the whole change (who, when, the action, how many, `summary` for the History page),
/// and one row of `serial_changes` per serial changed, with its values before and after.
///
/// `changed` is the start of that statement: a `WITH` list whose last query is named `changed`
/// (typically the `UPDATE ... RETURNING`) and yields, per serial changed, `serial_id`, `version`
/// (after the change), `coordinator_before`, `group_before`, `coordinator_after`, `group_after`.
/// Nothing goes through Rust row by row; no event is written when nothing changed. Returns how many
/// serials changed.
pub async fn record_serials(
    tx: &mut Transaction<'_, Postgres>,
    company_id: Uuid,
    who: Who,
    action: Action,
    change_id: Uuid,
    summary: Value,
    mut changed: QueryBuilder<'_, Postgres>,
) -> Result<u64, AppError> {
    debug_assert_eq!(action.entity(), shared::audit::Entity::SerialNumber);
    let (person, agent) = who.actor_columns();
    changed.push(
        ", recorded as (
             insert into serial_changes (company_id, change_id, serial_id, version, coordinator_before, group_before,
                                         coordinator_after, group_after)
             select ",
    );
    changed.push_bind(company_id).push(", ").push_bind(change_id);
    changed.push(
        ", serial_id, version, coordinator_before, group_before, coordinator_after, group_after from changed
             returning 1
         ), counted as (select count(*) as n from recorded),
         event as (
             insert into audit_events (company_id, id, actor_person_id, actor_agent_id, action, entity, entity_id, before, after, change_id)
             select ",
    );
    changed.push_bind(company_id).push(", gen_random_uuid(), ").push_bind(person).push(", ").push_bind(agent).push(", ");
    changed.push_bind(action.key()).push(", ").push_bind(action.entity().key()).push(", null, null, ");
    changed.push_bind(summary).push("::jsonb || jsonb_build_object('serials', n), ").push_bind(change_id);
    changed.push(" from counted where n > 0) select n from counted");
    // Planned for its own values every time (an unnamed statement, not a cached generic plan): the
    // same text changes 1 or 100,000 serials, and its best plan differs (index probes or a hash join).
    let n: i64 = changed.build_query_scalar().persistent(false).fetch_one(&mut **tx).await?;
    Ok(n as u64)
}
