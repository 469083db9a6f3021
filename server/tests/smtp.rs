//! The outbox delivered over SMTP (issue 5, R17) against a real SMTP server: aiosmtpd, started by
//! each test from `scripts/smtp_sink.py` (scripts/setup installs it into `.tools/venv`). The server
//! can refuse messages the way real ones do, so retries and recorded failures are seen for real.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;
use server::mail::{deliver_due, MailSettings, Mailer, Pass, RetryPolicy};
use sqlx::PgPool;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running aiosmtpd; killed when dropped.
struct SmtpSink {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl SmtpSink {
    fn start(args: &[&str]) -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
        let python = std::env::var("SEATKEEPER_PYTHON").map(PathBuf::from).unwrap_or(root.join(".tools/venv/bin/python"));
        assert!(python.exists(), "{} is missing: run scripts/setup --e2e, which installs aiosmtpd for these tests", python.display());
        let dir = std::env::temp_dir().join(format!("seatkeeper-smtp-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut child = Command::new(python)
            .arg(root.join("scripts/smtp_sink.py"))
            .arg("--dir")
            .arg(&dir)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting the SMTP test server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().strip_prefix("port ").and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("the SMTP test server did not start: {line:?}"));
        Self { child, port, dir }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages the server accepted, in order: (recipients, raw content).
    fn received(&self) -> Vec<(Vec<String>, String)> {
        let mut files: Vec<_> = std::fs::read_dir(&self.dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
        files.sort();
        files
            .iter()
            .map(|path| {
                let record: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
                let to = record["rcpt_tos"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
                (to, record["content"].as_str().unwrap().to_string())
            })
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Retries come due at once, so a test can take the second attempt without waiting.
fn mailer(url: &str, max_attempts: i32) -> Mailer {
    Mailer::new(&MailSettings {
        url: url.to_string(),
        from: "Seatkeeper <seatkeeper@acme.example>".into(),
        poll: Duration::from_millis(50),
        retry: RetryPolicy { first_delay: Duration::ZERO, max_delay: Duration::ZERO, max_attempts },
    })
    .unwrap()
}

/// The demo company with an empty outbox, and the CM's session.
async fn company_with_empty_outbox(pool: &PgPool) -> (axum::Router, String) {
    seed_small(pool).await;
    sqlx::query("delete from outgoing_emails").execute(pool).await.unwrap();
    let app = app(pool.clone());
    let cm = sign_in(&app, CM).await;
    (app, cm)
}

async fn invite(app: &axum::Router, cm: &str, email: &str) {
    let reply = call(app, "people/add", Some(cm), json!({ "email": email, "first_name": "Joy", "last_name": "Park" })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

/// (status, attempts, last_error) of the one email to `to`.
async fn state_of(pool: &PgPool, to: &str) -> (String, i32, Option<String>) {
    sqlx::query_as("select status, attempts, last_error from outgoing_emails where to_address = $1").bind(to).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r17_an_invitation_reaches_the_smtp_server_with_its_link(pool: PgPool) {
    let (app, cm) = company_with_empty_outbox(&pool).await;
    invite(&app, &cm, "joy@acme.example").await;
    let sink = SmtpSink::start(&[]);

    let pass = deliver_due(&pool, &mailer(&sink.url(), 3)).await.unwrap();

    assert_eq!(pass, Pass { sent: 1, retrying: 0, failed: 0, deferred: 0 });
    let received = sink.received();
    assert_eq!(received.len(), 1);
    let (to, content) = &received[0];
    assert_eq!(to, &vec!["joy@acme.example".to_string()]);
    assert!(content.contains("From: Seatkeeper <seatkeeper@acme.example>"), "{content}");
    assert!(content.contains("Subject: "), "{content}");
    assert!(content.contains("/invitations/"), "the accept link travels in the message: {content}");
    assert_eq!(state_of(&pool, "joy@acme.example").await, ("sent".into(), 1, None));
    // Issue 9, finding 3: once delivered, the link is in the recipient's mailbox only.
    let unfolded = content.replace("=\r\n", "").replace("=\n", ""); // quoted-printable soft breaks
    let at = unfolded.find("/invitations/").unwrap() + "/invitations/".len();
    let token: String = unfolded[at..].chars().take_while(char::is_ascii_hexdigit).collect();
    assert_eq!(token.len(), 64, "{content}");
    let (secret, body): (Option<String>, String) =
        sqlx::query_as("select secret, body_text from outgoing_emails where to_address = 'joy@acme.example'").fetch_one(&pool).await.unwrap();
    assert_eq!(secret, None, "the token is erased once sent");
    assert!(!body.contains(&token), "{body}");
    // Nothing is sent twice.
    assert_eq!(deliver_due(&pool, &mailer(&sink.url(), 3)).await.unwrap(), Pass::default());
    assert_eq!(sink.received().len(), 1);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r17_a_message_refused_for_now_is_retried_not_lost(pool: PgPool) {
    let (app, cm) = company_with_empty_outbox(&pool).await;
    invite(&app, &cm, "joy@acme.example").await;
    let sink = SmtpSink::start(&["--refuse-first", "1"]);
    let mailer = mailer(&sink.url(), 3);

    let first = deliver_due(&pool, &mailer).await.unwrap();
    assert_eq!(first, Pass { sent: 0, retrying: 1, failed: 0, deferred: 0 });
    let (status, attempts, error) = state_of(&pool, "joy@acme.example").await;
    assert_eq!((status.as_str(), attempts), ("queued", 1));
    assert!(error.as_deref().is_some_and(|e| e.contains("451") && e.contains("Try again later")), "the refusal is recorded: {error:?}");
    assert!(sink.received().is_empty());

    let second = deliver_due(&pool, &mailer).await.unwrap();
    assert_eq!(second, Pass { sent: 1, retrying: 0, failed: 0, deferred: 0 });
    assert_eq!(sink.received().len(), 1);
    assert_eq!(sink.received()[0].0, vec!["joy@acme.example".to_string()]);
    assert_eq!(state_of(&pool, "joy@acme.example").await, ("sent".into(), 2, None));
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r17_a_permanent_refusal_fails_at_once_with_the_reason(pool: PgPool) {
    let (app, cm) = company_with_empty_outbox(&pool).await;
    invite(&app, &cm, "joy@acme.example").await;
    let sink = SmtpSink::start(&["--refuse-always"]);

    let pass = deliver_due(&pool, &mailer(&sink.url(), 5)).await.unwrap();

    assert_eq!(pass, Pass { sent: 0, retrying: 0, failed: 1, deferred: 0 });
    let (status, attempts, error) = state_of(&pool, "joy@acme.example").await;
    assert_eq!((status.as_str(), attempts), ("failed", 1));
    assert!(error.as_deref().is_some_and(|e| e.contains("550") && e.contains("Mailbox unavailable")), "{error:?}");
    assert_eq!(deliver_due(&pool, &mailer(&sink.url(), 5)).await.unwrap(), Pass::default(), "a failed message is not tried again");
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r17_an_unreachable_server_is_retried_until_the_attempts_run_out(pool: PgPool) {
    let (app, cm) = company_with_empty_outbox(&pool).await;
    invite(&app, &cm, "joy@acme.example").await;
    // A port nobody listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mailer = mailer(&format!("smtp://127.0.0.1:{port}"), 2);

    assert_eq!(deliver_due(&pool, &mailer).await.unwrap(), Pass { sent: 0, retrying: 1, failed: 0, deferred: 0 });
    let (status, _, error) = state_of(&pool, "joy@acme.example").await;
    assert_eq!(status, "queued");
    assert!(error.as_deref().is_some_and(|e| e.to_lowercase().contains("connect")), "{error:?}");

    assert_eq!(deliver_due(&pool, &mailer).await.unwrap(), Pass { sent: 0, retrying: 0, failed: 1, deferred: 0 });
    assert_eq!(state_of(&pool, "joy@acme.example").await.0, "failed");
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn two_workers_never_send_the_same_message_twice(pool: PgPool) {
    let (app, cm) = company_with_empty_outbox(&pool).await;
    let entries: Vec<String> = (0..40).map(|i| format!("person{i:02}@acme.example")).collect();
    let preview = call(&app, "people/bulk-add", Some(&cm), json!({ "text": entries.join("; ") })).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let queued: i64 = sqlx::query_scalar("select count(*) from outgoing_emails where status = 'queued'").fetch_one(&pool).await.unwrap();
    assert_eq!(queued, 40);
    let sink = SmtpSink::start(&[]);
    let mailer = mailer(&sink.url(), 3);

    let (a, b) = tokio::join!(deliver_due(&pool, &mailer), deliver_due(&pool, &mailer));

    assert_eq!(a.unwrap().sent + b.unwrap().sent, 40);
    let mut recipients: Vec<String> = sink.received().into_iter().flat_map(|(to, _)| to).collect();
    recipients.sort();
    assert_eq!(recipients, entries);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn the_background_worker_delivers_new_emails_by_itself(pool: PgPool) {
    let (app, cm) = company_with_empty_outbox(&pool).await;
    let sink = SmtpSink::start(&["--refuse-first", "1"]);
    let worker = tokio::spawn(server::mail::run(pool.clone(), mailer(&sink.url(), 3), Duration::from_millis(50)));

    invite(&app, &cm, "joy@acme.example").await;

    let deadline = Instant::now() + Duration::from_secs(30);
    while state_of(&pool, "joy@acme.example").await.0 != "sent" {
        assert!(Instant::now() < deadline, "not delivered: {:?}", state_of(&pool, "joy@acme.example").await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    worker.abort();
    assert_eq!(sink.received().len(), 1);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn the_emails_page_shows_why_an_email_failed_and_send_again_delivers_it(pool: PgPool) {
    use shared::people::{Delivery, Outbox};
    let (app, cm) = company_with_empty_outbox(&pool).await;
    invite(&app, &cm, "joy@acme.example").await;
    let listed = |cookie: String| {
        let app = app.clone();
        async move {
            let reply = call(&app, "emails/list", Some(&cookie), json!({})).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            serde_json::from_str::<Outbox>(&reply.body).unwrap().latest
        }
    };
    let emails = listed(cm.clone()).await;
    assert_eq!(emails.len(), 1);
    assert_eq!((emails[0].to.as_str(), &emails[0].delivery), ("joy@acme.example", &Delivery::Waiting));
    assert!(emails[0].queued_at.to_string().ends_with(" UTC"), "times say their zone: {}", emails[0].queued_at);

    let refusing = SmtpSink::start(&["--refuse-always"]);
    deliver_due(&pool, &mailer(&refusing.url(), 3)).await.unwrap();
    let emails = listed(cm.clone()).await;
    let Delivery::Failed { attempts: 1, reason } = &emails[0].delivery else { panic!("{:?}", emails[0].delivery) };
    assert!(reason.contains("550"), "{reason}");
    assert!(emails[0].delivery.label().starts_with("Failed after 1 attempt: permanent error (550)"), "{}", emails[0].delivery.label());

    // Only user managers see or resend emails (R14); another company's email is not found (R25).
    let user = sign_in(&app, "user02@acme.example").await;
    assert_eq!(call(&app, "emails/list", Some(&user), json!({})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(call(&app, "emails/send-again", Some(&user), json!({ "emails": Some([emails[0].id]) })).await.status, StatusCode::FORBIDDEN);
    let globex = sign_in(&app, "cm@globex.example").await;
    assert_eq!(call(&app, "emails/send-again", Some(&globex), json!({ "emails": Some([emails[0].id]) })).await.status, StatusCode::CONFLICT);
    assert!(listed(globex).await.iter().all(|e| e.to != "joy@acme.example"), "R25");

    let reply = call(&app, "emails/send-again", Some(&cm), json!({ "emails": Some([emails[0].id]) })).await;
    assert_eq!((reply.status, reply.body.as_str()), (StatusCode::OK, "\"1 email will be sent again.\""));
    assert_eq!(listed(cm.clone()).await[0].delivery, Delivery::Waiting);
    let audited: i64 = sqlx::query_scalar("select count(*) from audit_events where action = 'email.send_again'").fetch_one(&pool).await.unwrap();
    assert_eq!(audited, 1);
    let again = call(&app, "emails/send-again", Some(&cm), json!({ "emails": Some([emails[0].id]) })).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "a queued email is not failed: {}", again.body);

    let accepting = SmtpSink::start(&[]);
    assert_eq!(deliver_due(&pool, &mailer(&accepting.url(), 3)).await.unwrap().sent, 1);
    assert!(matches!(listed(cm).await[0].delivery, Delivery::Sent { .. }));
    assert_eq!(accepting.received().len(), 1);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn a_server_that_is_down_costs_one_try_per_pass_not_one_per_email(pool: PgPool) {
    let (app, cm) = company_with_empty_outbox(&pool).await;
    let reply = call(&app, "people/bulk-add", Some(&cm), json!({ "text": "a@acme.example; b@acme.example; c@acme.example" })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();

    let pass = deliver_due(&pool, &mailer(&format!("smtp://127.0.0.1:{port}"), 3)).await.unwrap();

    assert_eq!(pass, Pass { sent: 0, retrying: 1, failed: 0, deferred: 2 });
    let (attempts, not_tried): (i64, i64) = sqlx::query_as(
        "select sum(attempts), count(*) filter (where last_error like 'not tried: %') from outgoing_emails where status = 'queued'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((attempts, not_tried), (1, 2), "only the first email used an attempt");

    let sink = SmtpSink::start(&[]);
    assert_eq!(deliver_due(&pool, &mailer(&sink.url(), 3)).await.unwrap(), Pass { sent: 3, retrying: 0, failed: 0, deferred: 0 });
    assert_eq!(sink.received().len(), 3);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn send_all_failed_again_takes_every_failed_email_listed_or_not(pool: PgPool) {
    use shared::people::Outbox;
    let (app, cm) = company_with_empty_outbox(&pool).await;
    let reply = call(&app, "people/bulk-add", Some(&cm), json!({ "text": "a@acme.example; b@acme.example; c@acme.example" })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let refusing = SmtpSink::start(&["--refuse-always"]);
    assert_eq!(deliver_due(&pool, &mailer(&refusing.url(), 3)).await.unwrap().failed, 3);
    invite(&app, &cm, "joy@acme.example").await;

    let outbox: Outbox = serde_json::from_str(&call(&app, "emails/list", Some(&cm), json!({})).await.body).unwrap();
    assert_eq!((outbox.latest.len(), outbox.waiting, outbox.failed), (4, 1, 3));

    let reply = call(&app, "emails/send-again", Some(&cm), json!({ "emails": null })).await;
    assert_eq!((reply.status, reply.body.as_str()), (StatusCode::OK, "\"3 emails will be sent again.\""));
    let outbox: Outbox = serde_json::from_str(&call(&app, "emails/list", Some(&cm), json!({})).await.body).unwrap();
    assert_eq!((outbox.waiting, outbox.failed), (4, 0));
}
