//! Invitations (R17): a single-use link, stored hashed, valid 90 days; the email goes to the outbox
//! in the same transaction as the change that caused it.

use super::auth::{new_token, token_hash};
use crate::AppError;
use shared::{Email, PersonName};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

pub const VALID_DAYS: i32 = 90;

/// Records an invitation and queues its email; returns the token of the link.
pub async fn invite(
    tx: &mut Transaction<'_, Postgres>,
    company_id: Uuid,
    person_id: Uuid,
    email: &Email,
    name: &PersonName,
    invited_by: Uuid,
) -> Result<String, AppError> {
    let token = new_token();
    let inviter: String = sqlx::query_scalar("select first_name || ' ' || last_name from people where company_id = $1 and id = $2")
        .bind(company_id)
        .bind(invited_by)
        .fetch_one(&mut **tx)
        .await?;
    sqlx::query(
        "insert into invitations (company_id, id, person_id, token_hash, expires_at)
         values ($1, $2, $3, $4, now() + make_interval(days => $5))",
    )
    .bind(company_id)
    .bind(Uuid::new_v4())
    .bind(person_id)
    .bind(token_hash(&token))
    .bind(VALID_DAYS)
    .execute(&mut **tx)
    .await?;
    let body = format!(
        "Hello {},\n\n{inviter} invited you to Seatkeeper, where your company manages its software subscriptions.\n\n\
         Accept the invitation and choose a password here:\n/invitations/{token}\n\n\
         The link works once and expires in {VALID_DAYS} days.\n",
        name.first
    );
    sqlx::query(
        "insert into outgoing_emails (company_id, id, to_address, subject, body_text)
         values ($1, $2, $3, 'You are invited to Seatkeeper', $4)",
    )
    .bind(company_id)
    .bind(Uuid::new_v4())
    .bind(email.as_str())
    .bind(body)
    .execute(&mut **tx)
    .await?;
    Ok(token)
}
