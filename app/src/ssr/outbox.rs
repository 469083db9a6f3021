//! Every message the product sends is written here, in the transaction of the change that caused
//! it, before anything delivers it.

use super::audit::{self, Change, Who};
use super::authz::UserManager;
use crate::AppError;
use serde_json::json;
use shared::audit::Action;
use shared::people::{Delivery, EmailDelivery, Outbox};
use shared::time::UtcTime;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

/// Stands in an email's text for its secret (an invitation's token) until delivery puts it in.
/// Control characters never pass the checks of names and text, so no one can type it.
pub const SECRET: &str = "\u{1}secret\u{1}";

/// What the development mailbox shows in place of a secret that was erased once delivered.
pub const SECRET_GONE: &str = "(link removed once the email was sent)";

/// The development mailbox (every email with its links, to user managers) is for development only:
/// on when SEATKEEPER_DEV_MAILBOX says so, and never when emails are delivered over SMTP.
pub fn dev_mailbox_enabled() -> bool {
    let on = std::env::var("SEATKEEPER_DEV_MAILBOX").is_ok_and(|v| matches!(v.trim(), "on" | "true" | "1" | "yes"));
    let smtp = std::env::var("SMTP_URL").is_ok_and(|v| !v.trim().is_empty());
    on && !smtp
}

pub async fn queue(
    tx: &mut Transaction<'_, Postgres>,
    company_id: Uuid,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<(), AppError> {
    sqlx::query("insert into outgoing_emails (company_id, id, to_address, subject, body_text) values ($1, $2, $3, $4, $5)")
        .bind(company_id)
        .bind(Uuid::new_v4())
        .bind(to)
        .bind(subject)
        .bind(body)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The company's latest outgoing emails, newest first.
pub async fn latest(pool: &sqlx::PgPool, manager: &UserManager) -> Result<Vec<shared::people::SentEmail>, AppError> {
    let company_id = manager.company_id();
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "select to_address, subject, replace(body_text, $2, coalesce(secret, $3)), extract(epoch from created_at)::int8
           from outgoing_emails where company_id = $1 order by created_at desc limit 200",
    )
    .bind(company_id)
    .bind(SECRET)
    .bind(SECRET_GONE)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(to, subject, body, queued_at)| shared::people::SentEmail { to, subject, body, queued_at: UtcTime::from_unix_seconds(queued_at) })
        .collect())
}

/// An email with where it stands; times in seconds since 1970.
#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: Uuid,
    to_address: String,
    subject: String,
    queued_at: i64,
    status: String,
    attempts: i32,
    last_error: Option<String>,
    next_attempt_at: i64,
    sent_at: Option<i64>,
}

/// The company's latest outgoing emails with where each stands, newest first, and the counts of all
/// that wait or failed.
pub async fn deliveries(pool: &sqlx::PgPool, manager: &UserManager) -> Result<Outbox, AppError> {
    let company_id = manager.company_id();
    let rows: Vec<DeliveryRow> = sqlx::query_as(
        "select id, to_address, subject, extract(epoch from created_at)::int8 as queued_at, status, attempts, last_error,
                extract(epoch from next_attempt_at)::int8 as next_attempt_at, extract(epoch from sent_at)::int8 as sent_at
           from outgoing_emails where company_id = $1 order by created_at desc, to_address limit $2",
    )
    .bind(company_id)
    .bind(Outbox::LATEST as i64)
    .fetch_all(pool)
    .await?;
    let (waiting, failed): (i64, i64) = sqlx::query_as(
        "select count(*) filter (where status = 'queued'), count(*) filter (where status = 'failed')
           from outgoing_emails where company_id = $1",
    )
    .bind(company_id)
    .fetch_one(pool)
    .await?;
    let latest = rows
        .into_iter()
        .map(|r: DeliveryRow| {
            let reason = r.last_error.unwrap_or_default();
            let attempts = r.attempts;
            let delivery = match r.status.as_str() {
                "sent" => Delivery::Sent { at: UtcTime::from_unix_seconds(r.sent_at.unwrap_or(r.queued_at)) },
                "failed" => Delivery::Failed { attempts, reason },
                _ if attempts == 0 => Delivery::Waiting,
                _ => Delivery::Retrying { attempts, reason, next_attempt_at: UtcTime::from_unix_seconds(r.next_attempt_at) },
            };
            EmailDelivery { id: r.id, to: r.to_address, subject: r.subject, queued_at: UtcTime::from_unix_seconds(r.queued_at), delivery }
        })
        .collect();
    Ok(Outbox { latest, waiting: waiting as u64, failed: failed as u64 })
}

/// Puts failed emails back in the queue, due now, with fresh attempts; one audit event each. `None`
/// means every failed email of the company, listed on the page or not.
pub async fn send_again(pool: &sqlx::PgPool, manager: &UserManager, emails: Option<&[Uuid]>) -> Result<String, AppError> {
    let company_id = manager.company_id();
    let mut tx = pool.begin().await?;
    let again: Vec<(Uuid, String)> = sqlx::query_as(
        "update outgoing_emails set status = 'queued', attempts = 0, last_error = null, next_attempt_at = now()
          where company_id = $1 and ($2::uuid[] is null or id = any($2)) and status = 'failed'
      returning id, to_address",
    )
    .bind(company_id)
    .bind(emails)
    .fetch_all(&mut *tx)
    .await?;
    let changes: Vec<Change> = again.into_iter().map(|(id, to)| Change::new(id, None, Some(json!({ "to": to })))).collect();
    let queued = audit::record(&mut tx, company_id, Who::Person(manager.person_id()), Action::EmailSendAgain, &changes, None).await?;
    if queued == 0 {
        return Err(AppError::Conflict("Nothing was sent again: none of these emails has failed.".into()));
    }
    tx.commit().await?;
    Ok(if queued == 1 { "1 email will be sent again.".into() } else { format!("{queued} emails will be sent again.") })
}
