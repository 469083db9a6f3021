//! Settings from the environment, each with a default that works on a developer's machine.

use app::ssr::auth::SessionPolicy;
use std::time::Duration;

/// The sign-in throttle (`web::throttle`), from LOGIN_* settings.
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Failed sign-ins per email within `window` before further tries are refused.
    pub per_email: i64,
    /// Failed sign-ins from one client address within `window` (one password sprayed over many
    /// emails).
    pub per_address: i64,
    pub window: Duration,
}

/// How often a refused message is tried again, and when to give up.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// The wait after the first failed attempt; each further failure doubles it.
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// Attempts in all, the first included; after the last one fails the message is `failed`.
    pub max_attempts: i32,
}

impl Default for RetryPolicy {
    /// 30 s, 1 min, 2 min … capped at one hour; eight attempts span about four hours.
    fn default() -> Self {
        Self { first_delay: Duration::from_secs(30), max_delay: Duration::from_secs(3600), max_attempts: 8 }
    }
}

impl RetryPolicy {
    /// The wait before the next attempt, after `attempts` attempts have failed.
    pub fn delay_after(&self, attempts: i32) -> Duration {
        let doublings = attempts.saturating_sub(1).clamp(0, 20) as u32;
        self.first_delay.saturating_mul(1 << doublings).min(self.max_delay)
    }
}

/// Settings of the SMTP path, from the environment (README, "Email").
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://host:25`, `smtp://user:pass@host:587?tls=required`, `smtps://host` (lettre's URL form).
    pub url: String,
    pub from: String,
    /// How long the worker sleeps when nothing is due.
    pub poll: Duration,
    pub retry: RetryPolicy,
}


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
    /// Failed sign-ins allowed from one client address within `login_window` (a password sprayed
    /// over many emails).
    pub login_max_failures_per_address: usize,
    pub login_window: Duration,
    /// Behind a reverse proxy, take the client's address from the last X-Forwarded-For entry (the
    /// one the proxy added); otherwise the peer address, which a client cannot forge.
    pub trust_proxy: bool,
    /// Show the outbox with its links at /dev/mailbox (development only; never with SMTP).
    pub dev_mailbox: bool,
    /// SMTP delivery of the outbox; `None` (no SMTP_URL) keeps emails in the outbox and shows them
    /// on the development mailbox page.
    pub mail: Option<MailSettings>,
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
            login_max_failures_per_address: env_or("LOGIN_MAX_FAILURES_PER_ADDRESS", 50)?,
            login_window: Duration::from_secs(60 * env_or("LOGIN_WINDOW_MINUTES", 15)?),
            trust_proxy: env_or("TRUST_PROXY", false)?,
            dev_mailbox: app::ssr::outbox::dev_mailbox_enabled(),
            mail: mail_from_env()?,
        })
    }
}

fn mail_from_env() -> Result<Option<MailSettings>, String> {
    let url: String = env_or("SMTP_URL", String::new())?;
    if url.is_empty() {
        return Ok(None);
    }
    // Links in delivered emails must work from the recipient's mailbox, so they need the host.
    let public: String = env_or("SEATKEEPER_PUBLIC_URL", String::new())?;
    if !(public.starts_with("https://") || public.starts_with("http://")) {
        return Err("SMTP_URL is set, so SEATKEEPER_PUBLIC_URL must say where the console is reached (https://...), for the links in emails".into());
    }
    let defaults = RetryPolicy::default();
    let max_attempts: i32 = env_or("SMTP_MAX_ATTEMPTS", defaults.max_attempts)?;
    if max_attempts < 1 {
        return Err(format!("SMTP_MAX_ATTEMPTS={max_attempts} must be at least 1"));
    }
    Ok(Some(MailSettings {
        url,
        from: env_or("SMTP_FROM", "Seatkeeper <seatkeeper@localhost>".to_string())?,
        poll: Duration::from_millis(env_or("SMTP_POLL_MS", 2000)?),
        retry: RetryPolicy {
            first_delay: Duration::from_secs(env_or("SMTP_RETRY_SECONDS", defaults.first_delay.as_secs())?),
            max_delay: defaults.max_delay,
            max_attempts,
        },
    }))
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
