//! Every message the product sends is written here, in the transaction of the change that caused
//! it, before anything delivers it.

use crate::AppError;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

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
        "select to_address, subject, body_text, to_char(created_at, 'YYYY-MM-DD HH24:MI:SS')
           from outgoing_emails where company_id = $1 order by created_at desc limit 200",
    )
    .bind(company_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(to, subject, body, queued_at)| shared::people::SentEmail { to, subject, body, queued_at }).collect())
}
