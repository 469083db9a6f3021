//! The sign-in throttle, kept in PostgreSQL so every server instance counts the same failures.
//!
//! An attempt is counted *before* its password is checked: under a per-subject advisory lock, one
//! transaction reads the recent failures of the email and of the client address and, when both are
//! under their limits, records the attempt as a failure. A correct password then takes its own
//! attempt back. So twenty parallel guesses for one email cannot all be evaluated: the sixth waits
//! for the lock, sees five, and is refused. Subjects are hashes or addresses, never the submitted
//! text, so a row stays small whatever was posted.

use sha2::{Digest, Sha256};
use sqlx::PgPool;
pub use crate::config::ThrottlePolicy;
use std::net::IpAddr;
use std::time::Duration;
use uuid::Uuid;

/// An attempt let through: take it back with `succeeded` when the password was right.
#[derive(Debug)]
pub struct Attempt {
    ids: Vec<Uuid>,
    email_subject: String,
}

fn email_subject(email: &str) -> String {
    format!("email:{}", hex::encode(Sha256::digest(email.trim().to_lowercase().as_bytes())))
}

fn address_subject(address: Option<IpAddr>) -> String {
    match address {
        Some(ip) => format!("ip:{ip}"),
        None => "ip:unknown".to_string(),
    }
}

/// Counts the attempt; `None` refuses it, the email or the address being over its limit.
pub async fn begin(pool: &PgPool, policy: ThrottlePolicy, email: &str, address: Option<IpAddr>) -> Result<Option<Attempt>, sqlx::Error> {
    let email_subject = email_subject(email);
    let mut subjects = vec![(email_subject.clone(), policy.per_email), (address_subject(address), policy.per_address)];
    // The same order in every transaction: two attempts never wait for each other's locks crosswise.
    subjects.sort();
    let names: Vec<String> = subjects.iter().map(|s| s.0.clone()).collect();
    let limits: Vec<i64> = subjects.iter().map(|s| s.1).collect();
    let window = policy.window.as_secs_f64();

    let mut tx = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock(hashtextextended(s, 7)) from unnest($1::text[]) with ordinality as x(s, n) order by n")
        .bind(&names)
        .execute(&mut *tx)
        .await?;
    // Expired failures of these subjects go; the table holds at most a window of failures.
    sqlx::query("delete from sign_in_failures where subject = any($1) and failed_at <= now() - make_interval(secs => $2)")
        .bind(&names)
        .bind(window)
        .execute(&mut *tx)
        .await?;
    let over: bool = sqlx::query_scalar(
        "select coalesce(bool_or(coalesce(f.n, 0) >= l.max), false)
           from unnest($1::text[], $2::int8[]) as l(subject, max)
           left join (select subject, count(*) as n from sign_in_failures
                       where subject = any($1) and failed_at > now() - make_interval(secs => $3)
                       group by subject) f on f.subject = l.subject",
    )
    .bind(&names)
    .bind(&limits)
    .bind(window)
    .fetch_one(&mut *tx)
    .await?;
    if over {
        tx.rollback().await?;
        return Ok(None);
    }
    let ids: Vec<Uuid> = names.iter().map(|_| Uuid::new_v4()).collect();
    sqlx::query("insert into sign_in_failures (id, subject) select * from unnest($1::uuid[], $2::text[])")
        .bind(&ids)
        .bind(&names)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(Attempt { ids, email_subject }))
}

/// The password was right: this attempt was no failure, and the email's earlier failures are
/// forgiven (the address keeps its count of failures from other attempts).
pub async fn succeeded(pool: &PgPool, attempt: Attempt) -> Result<(), sqlx::Error> {
    sqlx::query("delete from sign_in_failures where id = any($1) or subject = $2")
        .bind(&attempt.ids)
        .bind(&attempt.email_subject)
        .execute(pool)
        .await?;
    Ok(())
}

/// Every failure older than the window, whoever it was: run now and then so addresses and emails
/// that never come back do not stay.
pub async fn forget_expired(pool: &PgPool, window: Duration) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("delete from sign_in_failures where failed_at <= now() - make_interval(secs => $1)")
        .bind(window.as_secs_f64())
        .execute(pool)
        .await?
        .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_kept_as_a_fixed_size_hash_whatever_its_length_or_case() {
        let long = format!("{}@example.com", "a".repeat(2_000_000));
        assert_eq!(email_subject(&long).len(), "email:".len() + 64);
        assert_eq!(email_subject(" Ann@Example.com "), email_subject("ann@example.com"));
    }

    #[test]
    fn an_address_names_the_client_or_says_it_is_unknown() {
        assert_eq!(address_subject(Some("10.0.0.7".parse().unwrap())), "ip:10.0.0.7");
        assert_eq!(address_subject(None), "ip:unknown");
    }
}
