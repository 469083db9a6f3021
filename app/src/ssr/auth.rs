//! Sign-in, sessions and passwords. A session cookie carries 256 random bits; the database keeps
//! only their SHA-256, so a leaked table cannot be replayed. Passwords are argon2id hashes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};
use shared::Principal;
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

pub const SESSION_COOKIE: &str = "sk_session";

/// The signed-in caller of this request, put on the request by the session middleware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub principal: Principal,
}

impl Actor {
    pub fn person(&self) -> Option<(Uuid, Uuid)> {
        match self.principal {
            Principal::Person { company_id, person_id } => Some((company_id, person_id)),
            Principal::ResellerAgent { .. } => None,
        }
    }
}

/// How long a session lives: 30 minutes idle and 12 hours in all unless configured otherwise.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self { idle: Duration::from_secs(30 * 60), absolute: Duration::from_secs(12 * 3600) }
    }
}

pub fn hash_password(password: &str) -> String {
    // A v4 UUID is 122 random bits from the OS generator: a sound 16-byte salt.
    let salt = SaltString::encode_b64(Uuid::new_v4().as_bytes()).expect("16 bytes fit a salt");
    hash_password_with_salt(password, &salt)
}

/// Deterministic hashing for demo data only (the seed must produce the same rows every run).
pub fn hash_password_with_salt(password: &str, salt: &SaltString) -> String {
    Argon2::default().hash_password(password.as_bytes(), salt).expect("argon2 hashing").to_string()
}

/// Hashing takes tens of milliseconds of CPU on purpose: it runs on the blocking pool, so a burst of
/// sign-ins never stalls the async workers that serve every other request.
pub async fn hash_password_off_thread(password: &str) -> String {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&password)).await.expect("argon2 hashing task")
}

/// Which of the hashes the password matches, checked on the blocking pool like hashing. With no
/// hash at all, a dummy one still costs a verification, so timing does not tell which emails exist.
pub async fn first_matching_hash_off_thread(password: &str, hashes: Vec<String>) -> Option<usize> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        if hashes.is_empty() {
            let _ = verify_password(&password, dummy_hash());
            return None;
        }
        hashes.iter().position(|hash| verify_password(&password, hash))
    })
    .await
    .expect("argon2 verification task")
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A fresh 256-bit token for a cookie or a single-use link.
pub fn new_token() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Checks email and password against active people and reseller agents. An email may be known to
/// several companies; the first account whose password matches wins. Unknown emails still cost one
/// hash verification, so timing does not tell which emails exist.
pub async fn verify_credentials(pool: &PgPool, email: &str, password: &str) -> Result<Option<Principal>, sqlx::Error> {
    let mut rows: Vec<(Option<Uuid>, Uuid, Option<Uuid>, String)> = sqlx::query_as(
        "select company_id, id, null::uuid, password_hash from people
          where lower(email) = lower($1) and status = 'active' and password_hash is not null
         union all
         select null::uuid, id, reseller_id, password_hash from reseller_agents
          where lower(email) = lower($1) and password_hash is not null",
    )
    .bind(email.trim())
    .fetch_all(pool)
    .await?;
    let hashes: Vec<String> = rows.iter().map(|r| r.3.clone()).collect();
    let matched = first_matching_hash_off_thread(password, hashes).await.map(|i| rows.swap_remove(i));
    Ok(matched.map(|(company, id, reseller, _)| {
        match (company, reseller) {
            (Some(company_id), _) => Principal::Person { company_id, person_id: id },
            (None, Some(reseller_id)) => Principal::ResellerAgent { reseller_id, agent_id: id },
            (None, None) => unreachable!("the query returns a company or a reseller"),
        }
    }))
}

/// A real hash of nothing in particular, so an unknown email costs what a known one does.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("no account has this password"))
}

/// Starts a new session (a new id at every sign-in) and returns the token for the cookie.
pub async fn create_session(pool: &PgPool, principal: Principal) -> Result<String, sqlx::Error> {
    let token = new_token();
    let (company, person, agent) = match principal {
        Principal::Person { company_id, person_id } => (Some(company_id), Some(person_id), None),
        Principal::ResellerAgent { agent_id, .. } => (None, None, Some(agent_id)),
    };
    sqlx::query("insert into sessions (token_hash, company_id, person_id, agent_id) values ($1, $2, $3, $4)")
        .bind(token_hash(&token))
        .bind(company)
        .bind(person)
        .bind(agent)
        .execute(pool)
        .await?;
    Ok(token)
}

/// Resolves a cookie's token into the caller, touching the session (once a minute); `None` when it is
/// unknown, idle too long, too old, or its person is no longer active.
pub async fn resolve_session(pool: &PgPool, token: &str, policy: SessionPolicy) -> Result<Option<Actor>, sqlx::Error> {
    let row: Option<(Option<Uuid>, Option<Uuid>, Option<Uuid>, Option<Uuid>)> = sqlx::query_as(
        "with live as (
             select token_hash, company_id, person_id, agent_id, last_seen_at from sessions
              where token_hash = $1
                and last_seen_at > now() - make_interval(secs => $2)
                and created_at > now() - make_interval(secs => $3)
         ), touched as (
             -- At most one write a minute per session: a page's parallel calls would otherwise
             -- queue on the same row lock.
             update sessions set last_seen_at = now() from live
              where sessions.token_hash = live.token_hash and live.last_seen_at < now() - interval '1 minute'
         )
         select t.company_id, t.person_id, t.agent_id, a.reseller_id
           from live t
           left join people p on p.company_id = t.company_id and p.id = t.person_id
           left join reseller_agents a on a.id = t.agent_id
          where (t.person_id is not null and p.status = 'active') or a.id is not null",
    )
    .bind(token_hash(token))
    .bind(policy.idle.as_secs_f64())
    .bind(policy.absolute.as_secs_f64())
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(|(company, person, agent, reseller)| {
        let principal = match (company, person, agent, reseller) {
            (Some(company_id), Some(person_id), _, _) => Principal::Person { company_id, person_id },
            (_, _, Some(agent_id), Some(reseller_id)) => Principal::ResellerAgent { reseller_id, agent_id },
            _ => return None,
        };
        Some(Actor { principal })
    }))
}

pub async fn end_session(pool: &PgPool, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from sessions where token_hash = $1").bind(token_hash(token)).execute(pool).await?;
    Ok(())
}
