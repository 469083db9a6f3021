//! Delivers the outbox over SMTP. Every email is first written to `outgoing_emails` in the
//! transaction of the change that caused it (`app::ssr::outbox`); this worker sends what is due,
//! retries what a server refused for now, and records why a message could not be delivered.
//!
//! Delivery is at least once: a message is leased before it is sent, so a crash mid-send retries it
//! after the lease rather than losing it, and `for update skip locked` keeps two servers from sending
//! the same message at the same time.

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

// The settings are configuration; the worker only reads them.
pub use crate::config::{MailSettings, RetryPolicy};

/// What happened to one attempt, as recorded on the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Try again after the delay; the reason is kept in `last_error`.
    Retry { reason: String, delay: Duration },
    /// Given up: refused permanently, unaddressable, or out of attempts.
    Failed { reason: String },
}

/// Decides what a failed attempt means: a permanent refusal (5xx) or a bad address ends the message,
/// anything else (4xx, network, TLS, timeout) is tried again until the attempts run out.
pub fn judge(policy: &RetryPolicy, attempts: i32, permanent: bool, reason: String) -> Outcome {
    if permanent || attempts >= policy.max_attempts {
        Outcome::Failed { reason }
    } else {
        Outcome::Retry { reason, delay: policy.delay_after(attempts) }
    }
}

/// An SMTP client and the sender address the outbox is delivered with.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    retry: RetryPolicy,
}

impl Mailer {
    pub fn new(settings: &MailSettings) -> Result<Self, String> {
        let from: Mailbox =
            settings.from.parse().map_err(|e| format!("SMTP_FROM={:?} is not an email address: {e}", settings.from))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.url)
            .map_err(|e| format!("SMTP_URL={} is not usable: {e}", crate::config::redact(&settings.url)))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        Ok(Self { transport, from, retry: settings.retry })
    }

    async fn send(&self, email: &Due) -> Result<(), Refusal> {
        let to: Mailbox = email.to.parse().map_err(|e| Refusal::Permanent(format!("the address {:?} is not valid: {e}", email.to)))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            // The outbox id names the message, so a receiver can tell a retry from a second message.
            .message_id(Some(format!("<{}@seatkeeper>", email.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.clone())
            .map_err(|e| Refusal::Permanent(format!("the message cannot be built: {e}")))?;
        self.transport.send(message).await.map(|_| ()).map_err(|e: SmtpError| {
            if e.is_permanent() {
                Refusal::Permanent(e.to_string())
            } else if e.is_transient() {
                Refusal::Temporary(e.to_string())
            } else {
                Refusal::Unreachable(e.to_string())
            }
        })
    }
}

/// Why one message was not delivered.
#[derive(Debug)]
enum Refusal {
    /// The server refused this message for good (5xx), or it cannot be addressed.
    Permanent(String),
    /// The server refused this message for now (4xx).
    Temporary(String),
    /// No SMTP conversation at all (connection, TLS, timeout): the next messages would fare alike.
    Unreachable(String),
}

#[derive(Debug, sqlx::FromRow)]
struct Due {
    company_id: Uuid,
    id: Uuid,
    #[sqlx(rename = "to_address")]
    to: String,
    subject: String,
    #[sqlx(rename = "body_text")]
    body: String,
    attempts: i32,
}

/// What one pass of the worker did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    /// Not tried because the server could not be reached for an earlier message of the pass; their
    /// attempt is given back, so a server that is down costs each message nothing.
    pub deferred: usize,
}

impl Pass {
    pub fn handled(&self) -> usize {
        self.sent + self.retrying + self.failed + self.deferred
    }
}

/// A message claimed by a pass is not due again for this long, unless the pass records it first.
const LEASE: &str = "10 minutes";
const BATCH: i64 = 50;

/// Sends up to one batch of due messages and records each outcome. One statement claims the batch,
/// one records the outcomes.
pub async fn deliver_due(pool: &PgPool, mailer: &Mailer) -> Result<Pass, sqlx::Error> {
    let due: Vec<Due> = sqlx::query_as(&format!(
        "update outgoing_emails o
            set attempts = o.attempts + 1, next_attempt_at = now() + interval '{LEASE}'
           from (select company_id, id from outgoing_emails
                  where status = 'queued' and next_attempt_at <= now()
                  order by next_attempt_at limit $1
                  for update skip locked) d
          where o.company_id = d.company_id and o.id = d.id
      returning o.company_id, o.id, o.to_address, o.subject, replace(o.body_text, $2, coalesce(o.secret, $3)) as body_text, o.attempts"
    ))
    .bind(BATCH)
    .bind(app::ssr::outbox::SECRET)
    .bind(app::ssr::outbox::SECRET_GONE)
    .fetch_all(pool)
    .await?;
    if due.is_empty() {
        return Ok(Pass::default());
    }

    let mut pass = Pass::default();
    let (mut companies, mut ids, mut statuses, mut errors, mut delays, mut given_back) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    // Once the server cannot be reached, the rest of the batch waits instead of timing out one by one.
    let mut unreachable: Option<String> = None;
    for email in &due {
        companies.push(email.company_id);
        ids.push(email.id);
        if let Some(reason) = &unreachable {
            pass.deferred += 1;
            statuses.push("queued");
            errors.push(Some(format!("not tried: {reason}")));
            delays.push(mailer.retry.delay_after(1).as_secs_f64());
            given_back.push(1);
            continue;
        }
        given_back.push(0);
        let outcome = match mailer.send(email).await {
            Ok(()) => Outcome::Sent,
            Err(Refusal::Permanent(reason)) => judge(&mailer.retry, email.attempts, true, reason),
            Err(Refusal::Temporary(reason)) => judge(&mailer.retry, email.attempts, false, reason),
            Err(Refusal::Unreachable(reason)) => {
                unreachable = Some(reason.clone());
                judge(&mailer.retry, email.attempts, false, reason)
            }
        };
        let (status, error, delay) = match outcome {
            Outcome::Sent => {
                pass.sent += 1;
                ("sent", None, 0.0)
            }
            Outcome::Retry { reason, delay } => {
                tracing::warn!(to = %email.to, attempt = email.attempts, "email not delivered, will retry: {reason}");
                pass.retrying += 1;
                ("queued", Some(reason), delay.as_secs_f64())
            }
            Outcome::Failed { reason } => {
                tracing::error!(to = %email.to, attempt = email.attempts, "email given up: {reason}");
                pass.failed += 1;
                ("failed", Some(reason), 0.0)
            }
        };
        statuses.push(status);
        errors.push(error);
        delays.push(delay);
    }

    sqlx::query(
        "update outgoing_emails o
            set status = r.status,
                last_error = r.error,
                sent_at = case when r.status = 'sent' then now() end,
                -- A delivered link lives in the recipient's mailbox only.
                secret = case when r.status = 'sent' then null else o.secret end,
                next_attempt_at = case when r.status = 'queued' then now() + make_interval(secs => r.delay) else o.next_attempt_at end,
                attempts = o.attempts - r.given_back
           from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::float8[], $6::int4[])
                as r(company_id, id, status, error, delay, given_back)
          where o.company_id = r.company_id and o.id = r.id",
    )
    .bind(&companies)
    .bind(&ids)
    .bind(&statuses)
    .bind(&errors)
    .bind(&delays)
    .bind(&given_back)
    .execute(pool)
    .await?;
    Ok(pass)
}

/// The background worker: delivers what is due, then sleeps for `poll` when nothing more is.
pub async fn run(pool: PgPool, mailer: Mailer, poll: Duration) {
    loop {
        match deliver_due(&pool, &mailer).await {
            // A full batch delivered: more may be due at once. A deferred one means the server is down.
            Ok(pass) if pass.handled() as i64 == BATCH && pass.deferred == 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::error!("the outbox could not be read: {e}"),
        }
        tokio::time::sleep(poll).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_after_each_failure_up_to_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay_after(1), Duration::from_secs(30));
        assert_eq!(policy.delay_after(2), Duration::from_secs(60));
        assert_eq!(policy.delay_after(4), Duration::from_secs(240));
        assert_eq!(policy.delay_after(12), Duration::from_secs(3600));
        assert_eq!(policy.delay_after(i32::MAX), Duration::from_secs(3600));
    }

    #[test]
    fn temporary_refusals_are_retried_until_the_attempts_run_out() {
        let policy = RetryPolicy::default();
        let retry = judge(&policy, 1, false, "451 try later".into());
        assert_eq!(retry, Outcome::Retry { reason: "451 try later".into(), delay: Duration::from_secs(30) });
        assert_eq!(judge(&policy, 8, false, "451".into()), Outcome::Failed { reason: "451".into() });
    }

    #[test]
    fn permanent_refusals_are_not_retried() {
        let policy = RetryPolicy::default();
        assert_eq!(judge(&policy, 1, true, "550 no such user".into()), Outcome::Failed { reason: "550 no such user".into() });
    }
}
