//! The server binary's behaviour at the command line.

use std::process::Command;

#[test]
fn an_unreachable_database_url_prints_one_clear_line_and_exits_non_zero() {
    let output = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("migrate")
        .env("DATABASE_URL", "postgres://someone:secret@127.0.0.1:1/nowhere")
        .env("DATABASE_WAIT_SECS", "1")
        .env_remove("RUST_LOG")
        .output()
        .expect("the server binary runs");
    assert!(!output.status.success());
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one line: {stderr}");
    assert!(lines[0].starts_with("seatkeeper: cannot reach PostgreSQL at postgres://someone:***@127.0.0.1:1/nowhere"), "{stderr}");
    assert!(!stderr.contains("secret") && !stderr.contains("panicked"));
}

#[test]
fn a_malformed_database_url_is_named() {
    let output = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("migrate")
        .env("DATABASE_URL", "mysql://x")
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a PostgreSQL URL"));
}

#[test]
fn an_unknown_command_is_refused_with_the_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_server")).arg("frobnicate").env("RUST_LOG", "off").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: server"));
}

#[test]
fn smtp_without_a_public_url_is_refused_because_links_in_emails_would_not_work() {
    let output = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("migrate")
        .env("SMTP_URL", "smtp://127.0.0.1:25")
        .env_remove("SEATKEEPER_PUBLIC_URL")
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("SEATKEEPER_PUBLIC_URL must say where the console is reached"));
}

#[test]
fn a_malformed_smtp_sender_is_named_at_start() {
    let output = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("serve")
        .env("SMTP_URL", "smtp://127.0.0.1:25")
        .env("SEATKEEPER_PUBLIC_URL", "https://seats.example.com")
        .env("SMTP_FROM", "not an address")
        .env("DATABASE_URL", "postgres://someone:secret@127.0.0.1:1/nowhere")
        .env("DATABASE_WAIT_SECS", "1")
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SMTP_FROM=\"not an address\" is not an email address"), "{stderr}");
}

/// Issue 9, finding 8: the database the console runs on keeps every change it confirmed, even if
/// the machine crashes. Only the tests' own connections turn synchronous_commit off (PGOPTIONS in
/// scripts/test); a connection without that sees the cluster's own setting.
#[test]
fn the_database_keeps_every_confirmed_change_through_a_crash() {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| server::config::LOCAL_DATABASE_URL.to_string());
    let output = Command::new("psql")
        .arg(&url)
        .args(["-tAc", "show synchronous_commit"])
        .env_remove("PGOPTIONS")
        .output()
        .expect("psql runs (scripts/setup installs it)");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "on");
}
