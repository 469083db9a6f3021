//! Settings from the environment, each with a default that works on a developer's machine.

use app::ssr::auth::SessionPolicy;
use std::time::Duration;

/// The private cluster `scripts/pg` starts when no DATABASE_URL is given (README, "The database").
pub const LOCAL_DATABASE_URL: &str = "postgres://seatkeeper:seatkeeper@127.0.0.1:54329/seatkeeper";

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    /// How long to keep retrying a database that does not answer before giving up.
    pub database_wait: Duration,
    pub sessions: SessionPolicy,
    /// Mark the session cookie `Secure` (set when the console is served over HTTPS).
    pub cookie_secure: bool,
    /// Failed sign-ins allowed per email within `login_window` before further tries are refused.
    pub login_max_failures: usize,
    pub login_window: Duration,
}

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> Result<T, String> {
    match std::env::var(key) {
        Ok(raw) if !raw.trim().is_empty() => raw.trim().parse().map_err(|_| format!("{key}={raw:?} is not a valid value")),
        _ => Ok(default),
    }
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        Ok(Self {
            database_url: env_or("DATABASE_URL", LOCAL_DATABASE_URL.to_string())?,
            database_wait: Duration::from_secs(env_or("DATABASE_WAIT_SECS", 10)?),
            sessions: SessionPolicy {
                idle: Duration::from_secs(60 * env_or("SESSION_IDLE_MINUTES", 30)?),
                absolute: Duration::from_secs(3600 * env_or("SESSION_MAX_HOURS", 12)?),
            },
            cookie_secure: env_or("COOKIE_SECURE", false)?,
            login_max_failures: env_or("LOGIN_MAX_FAILURES", 5)?,
            login_window: Duration::from_secs(60 * env_or("LOGIN_WINDOW_MINUTES", 15)?),
        })
    }
}

/// The URL with its password replaced, fit for a message.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_appear_in_messages() {
        assert_eq!(redact("postgres://u:secret@h:5432/d"), "postgres://u:***@h:5432/d");
        assert_eq!(redact("postgres://h/d"), "postgres://h/d");
    }
}
