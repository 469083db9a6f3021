//! Invitations (R17): a single-use link, stored hashed, valid 90 days; the email goes to the outbox
//! in the same transaction as the change that caused it.

use super::auth::{new_token, token_hash};
use crate::AppError;
use shared::{Email, PersonName};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

pub const VALID_DAYS: i32 = 90;

pub const SUBJECT: &str = "You are invited to Seatkeeper";

pub fn invitation_body(first_name: &str, inviter: &str, token: &str) -> String {
    format!(
        "Hello {first_name},\n\n{inviter} invited you to Seatkeeper, where your company manages its software subscriptions.\n\n\
         Accept the invitation and choose a password here:\n/invitations/{token}\n\n\
         The link works once and expires in {VALID_DAYS} days.\n"
    )
}

/// Invites many people at once: one INSERT of invitations and one of emails, whatever the count.
pub async fn invite_many(
    tx: &mut Transaction<'_, Postgres>,
    company_id: Uuid,
    people: &[(Uuid, String, String)],
    invited_by: Uuid,
) -> Result<(), AppError> {
    let inviter: String = sqlx::query_scalar("select first_name || ' ' || last_name from people where company_id = $1 and id = $2")
        .bind(company_id)
        .bind(invited_by)
        .fetch_one(&mut **tx)
        .await?;
    let tokens: Vec<String> = people.iter().map(|_| new_token()).collect();
    let ids: Vec<Uuid> = people.iter().map(|p| p.0).collect();
    let emails: Vec<String> = people.iter().map(|p| p.1.clone()).collect();
    let hashes: Vec<String> = tokens.iter().map(|t| token_hash(t)).collect();
    let bodies: Vec<String> = people.iter().zip(&tokens).map(|(p, t)| invitation_body(&p.2, &inviter, t)).collect();
    sqlx::query(
        "insert into invitations (company_id, id, person_id, token_hash, expires_at)
         select $1, gen_random_uuid(), p, h, now() + make_interval(days => $4)
           from unnest($2::uuid[], $3::text[]) as x(p, h)",
    )
    .bind(company_id)
    .bind(&ids)
    .bind(&hashes)
    .bind(VALID_DAYS)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "insert into outgoing_emails (company_id, id, to_address, subject, body_text)
         select $1, gen_random_uuid(), e, $2, b from unnest($3::text[], $4::text[]) as x(e, b)",
    )
    .bind(company_id)
    .bind(SUBJECT)
    .bind(&emails)
    .bind(&bodies)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

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
    let body = invitation_body(&name.first, &inviter, &token);
    sqlx::query(
        "insert into outgoing_emails (company_id, id, to_address, subject, body_text)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(company_id)
    .bind(Uuid::new_v4())
    .bind(email.as_str())
    .bind(SUBJECT)
    .bind(body)
    .execute(&mut **tx)
    .await?;
    Ok(token)
}
