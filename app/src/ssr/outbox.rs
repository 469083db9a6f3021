//! Every message the product sends is written here, in the transaction of the change that caused
//! it, before anything delivers it.

use crate::AppError;
use shared::people::{Delivery, EmailDelivery, Outbox};
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
pub async fn latest(pool: &sqlx::PgPool, company_id: Uuid) -> Result<Vec<shared::people::SentEmail>, AppError> {
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "select to_address, subject, replace(body_text, $2, coalesce(secret, $3)),
                to_char(created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"')
           from outgoing_emails where company_id = $1 order by created_at desc limit 200",
    )
    .bind(company_id)
    .bind(SECRET)
    .bind(SECRET_GONE)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(to, subject, body, queued_at)| shared::people::SentEmail { to, subject, body, queued_at }).collect())
}

type DeliveryRow = (Uuid, String, String, String, String, i32, Option<String>, String, Option<String>);

/// The company's latest outgoing emails with where each stands, newest first, and the counts of all
/// that wait or failed.
pub async fn deliveries(pool: &sqlx::PgPool, company_id: Uuid) -> Result<Outbox, AppError> {
    let rows: Vec<DeliveryRow> = sqlx::query_as(
        "select id, to_address, subject, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"'), status, attempts,
                last_error, to_char(next_attempt_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"'),
                to_char(sent_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"')
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
        .map(|(id, to, subject, queued_at, status, attempts, reason, next_attempt_at, sent_at)| {
            let reason = reason.unwrap_or_default();
            let delivery = match status.as_str() {
                "sent" => Delivery::Sent { at: sent_at.unwrap_or_default() },
                "failed" => Delivery::Failed { attempts, reason },
                _ if attempts == 0 => Delivery::Waiting,
                _ => Delivery::Retrying { attempts, reason, next_attempt_at },
            };
            EmailDelivery { id, to, subject, queued_at, delivery }
        })
        .collect();
    Ok(Outbox { latest, waiting: waiting as u64, failed: failed as u64 })
}

/// Puts failed emails back in the queue, due now, with fresh attempts; one audit event each. `None`
/// means every failed email of the company, listed on the page or not.
pub async fn send_again(pool: &sqlx::PgPool, company_id: Uuid, actor: Uuid, emails: Option<&[Uuid]>) -> Result<String, AppError> {
    let mut tx = pool.begin().await?;
    let queued = sqlx::query(
        "with again as (
             update outgoing_emails set status = 'queued', attempts = 0, last_error = null, next_attempt_at = now()
              where company_id = $1 and ($2::uuid[] is null or id = any($2)) and status = 'failed'
          returning id, to_address)
         insert into audit_events (company_id, id, actor_person_id, action, entity, entity_id, after)
         select $1, gen_random_uuid(), $3, 'email.send_again', 'email', id, jsonb_build_object('to', to_address) from again",
    )
    .bind(company_id)
    .bind(emails)
    .bind(actor)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if queued == 0 {
        return Err(AppError::Conflict("Nothing was sent again: none of these emails has failed.".into()));
    }
    tx.commit().await?;
    Ok(if queued == 1 { "1 email will be sent again.".into() } else { format!("{queued} emails will be sent again.") })
}
