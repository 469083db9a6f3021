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
