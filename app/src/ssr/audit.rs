//! The one writer of the audit trail (R24): every audit event goes through `record`, inside the
//! transaction of the change it describes. One INSERT for a thousand records, never a loop.

use crate::AppError;
use serde_json::Value;
use shared::audit::Action;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

/// Who acted: a person of the company, a reseller agent, or the console itself (demo data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Person(Uuid),
    Agent(Uuid),
    Seatkeeper,
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
    let (person, agent) = match who {
        Who::Person(id) => (Some(id), None),
        Who::Agent(id) => (None, Some(id)),
        Who::Seatkeeper => (None, None),
    };
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
