//! Connecting to PostgreSQL: transient failures are retried for a while, then the server stops with
//! one clear line instead of a panic.
//!
//! While the server runs, PostgreSQL may go away (a restart, a failover). Then every request must
//! be answered quickly with "the database is unavailable" (503), and the server must serve again by
//! itself once PostgreSQL is back (RELIABILITY.md, "Database restart"):
//! - the pool waits at most `ACQUIRE_TIMEOUT` for a connection, so a request that meets the outage
//!   is answered within about that time;
//! - once a request has met the outage (and a fresh connection fails too, so it is not merely every
//!   connection being busy), `Availability` remembers it: later requests are answered at once, and
//!   at most one request every `PROBE_EVERY` tries a fresh connection to see whether PostgreSQL is
//!   back (a refused connection fails in microseconds, unlike the pool, which retries a refused
//!   connection until its timeout).

use crate::config::{redact, Config};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Longest wait for a pooled connection. It bounds the answer of a request that meets a database
/// outage, and also how long a request queues when every connection is busy.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
/// Connections per server process.
pub const MAX_CONNECTIONS: u32 = 32;
/// While the database is known to be down, how often a request may try whether it is back.
pub const PROBE_EVERY: Duration = Duration::from_millis(250);
/// How long such a try may take (a host that does not answer at all, rather than refusing).
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

pub fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // A connection that sat idle is pinged before use, so one broken by a database restart is
        // replaced instead of failing the request that drew it. One in steady use is not: a ping
        // before every acquisition was 8% of the server's CPU and a round trip on each of a page's
        // 3-4 statements under load (issue 11); a connection that breaks while in use is closed by
        // the error it raises, and that request is answered 503 like any other during an outage.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_WHEN_IDLE {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

/// A pooled connection idle this long is checked before it serves a request.
pub const PING_WHEN_IDLE: Duration = Duration::from_secs(1);

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
        // The first connection is awaited for at most ACQUIRE_TIMEOUT too; the loop retries it.
        let attempt = pool_options()
            .acquire_timeout(config.database_wait.clamp(Duration::from_millis(100), ACQUIRE_TIMEOUT))
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

/// What the server knows about its database being down, per database (host, port, name), so tests
/// that run many databases in one process never see each other's outages.
pub struct Availability;

struct Outage {
    since: Instant,
    last_probe: Instant,
    probing: bool,
}

/// Databases currently known to be down; the fast path reads only this count.
static OUTAGES: AtomicUsize = AtomicUsize::new(0);
static DOWN: Mutex<Option<HashMap<String, Outage>>> = Mutex::new(None);

fn key(pool: &PgPool) -> String {
    let options = pool.connect_options();
    format!("{}:{}/{}", options.get_host(), options.get_port(), options.get_database().unwrap_or_default())
}

impl Availability {
    /// A request met the database unavailable (a 503): a dropped connection, or no connection
    /// free within `ACQUIRE_TIMEOUT`. The latter also happens when every connection is busy, so a
    /// fresh connection decides: only if that fails too is the database down.
    pub async fn note_unavailable(pool: &PgPool) {
        if !probe(pool).await {
            Self::mark_down(pool);
        }
    }

    /// Remembers that the database is down.
    pub fn mark_down(pool: &PgPool) {
        let mut down = DOWN.lock().unwrap_or_else(|e| e.into_inner());
        let down = down.get_or_insert_with(HashMap::new);
        let now = Instant::now();
        down.entry(key(pool)).or_insert_with(|| {
            OUTAGES.fetch_add(1, Ordering::SeqCst);
            tracing::warn!("the database is unavailable: answering 503 until it is back");
            Outage { since: now, last_probe: now, probing: false }
        });
    }

    /// Whether a request should go ahead: true unless the database is known to be down. While it
    /// is, one request every `PROBE_EVERY` opens a fresh connection; when that succeeds the outage
    /// is over and the request goes ahead. Every other request is answered at once.
    pub async fn check(pool: &PgPool) -> bool {
        if OUTAGES.load(Ordering::SeqCst) == 0 {
            return true;
        }
        let key = key(pool);
        {
            let mut down = DOWN.lock().unwrap_or_else(|e| e.into_inner());
            let Some(outage) = down.get_or_insert_with(HashMap::new).get_mut(&key) else { return true };
            if outage.probing || outage.last_probe.elapsed() < PROBE_EVERY {
                return false;
            }
            outage.probing = true;
        }
        let back = probe(pool).await;
        let mut down = DOWN.lock().unwrap_or_else(|e| e.into_inner());
        let down = down.get_or_insert_with(HashMap::new);
        if back {
            if let Some(outage) = down.remove(&key) {
                OUTAGES.fetch_sub(1, Ordering::SeqCst);
                tracing::info!("the database is back after {:.1} s", outage.since.elapsed().as_secs_f64());
            }
        } else if let Some(outage) = down.get_mut(&key) {
            outage.probing = false;
            outage.last_probe = Instant::now();
        }
        back
    }
}

async fn probe(pool: &PgPool) -> bool {
    let options = pool.connect_options();
    match tokio::time::timeout(PROBE_TIMEOUT, options.connect()).await {
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            true
        }
        Ok(Err(error)) => {
            tracing::debug!(%error, "the database is still unavailable");
            false
        }
        Err(_) => false,
    }
}
