//! Connecting to PostgreSQL: transient failures are retried for a while, then the server stops with
//! one clear line instead of a panic.

use crate::config::{redact, Config};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::time::{Duration, Instant};

pub async fn connect(config: &Config) -> Result<PgPool, String> {
    let url = &config.database_url;
    let not_postgres = |reason: String| format!("DATABASE_URL {} is not a PostgreSQL URL: {reason}", redact(url));
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(not_postgres("it must start with postgres://".into()));
    }
    let options = PgConnectOptions::from_str(url).map_err(|e| not_postgres(e.to_string()))?;
    let deadline = Instant::now() + config.database_wait;
    let mut pause = Duration::from_millis(200);
    loop {
        let attempt = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(config.database_wait.min(Duration::from_secs(5)))
            .connect_with(options.clone())
            .await;
        match attempt {
            Ok(pool) => return Ok(pool),
            Err(error) if Instant::now() + pause < deadline && transient(&error) => {
                tracing::debug!(%error, "database not reachable yet, retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
            Err(error) => {
                return Err(format!(
                    "cannot reach PostgreSQL at {} ({}); start the local one with `make db` or set DATABASE_URL",
                    redact(&config.database_url),
                    one_line(&error)
                ))
            }
        }
    }
}

fn transient(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut)
        || matches!(error, sqlx::Error::Database(db) if db.code().as_deref() == Some("57P03"))
}

fn one_line(error: &sqlx::Error) -> String {
    error.to_string().lines().next().unwrap_or_default().to_string()
}

pub async fn migrate(pool: &PgPool) -> Result<(), String> {
    migrations::MIGRATOR.run(pool).await.map_err(|e| format!("migrating the database failed: {e}"))
}
