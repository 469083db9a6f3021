//! Invitations (R17): a single-use link, stored hashed, valid 90 days; the email goes to the outbox
//! in the same transaction as the change that caused it.

use super::audit::{self, Change, Who};
use super::auth::{new_token, token_hash};
use super::authz::UserManager;
use crate::AppError;
use serde_json::json;
use shared::audit::Action;
use shared::{Email, PersonName};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

pub const VALID_DAYS: i32 = 90;

pub const SUBJECT: &str = "You are invited to Seatkeeper";

/// Where the console is reached from outside (for links in emails), e.g. `https://seats.example.com`.
fn public_url() -> String {
    std::env::var("SEATKEEPER_PUBLIC_URL").unwrap_or_default().trim_end_matches('/').to_string()
}

/// The email's text keeps a placeholder where the link's token goes (`outbox::SECRET`): the token
/// itself waits in `outgoing_emails.secret` until the email is delivered, and is erased then.
pub fn invitation_body(first_name: &str, inviter: &str) -> String {
    format!(
        "Hello {first_name},\n\n{inviter} invited you to Seatkeeper, where your company manages its software subscriptions.\n\n\
         Accept the invitation and choose a password here:\n{}{}\n\n\
         The link works once and expires in {VALID_DAYS} days.\n",
        public_url(),
        crate::routes::invitation(super::outbox::SECRET)
    )
}

/// Invites many people at once: one INSERT of invitations and one of emails, whatever the count.
pub async fn invite_many(
    tx: &mut Transaction<'_, Postgres>,
    company_id: Uuid,
    people: &[(Uuid, String, String)],
    invited_by: Uuid,
) -> Result<(), AppError> {
    let inviter: String = sqlx::query_scalar("select first_name || ' ' || last_name from people where company_id = $1 and id = $2")
        .bind(company_id)
        .bind(invited_by)
        .fetch_one(&mut **tx)
        .await?;
    let tokens: Vec<String> = people.iter().map(|_| new_token()).collect();
    let ids: Vec<Uuid> = people.iter().map(|p| p.0).collect();
    let emails: Vec<String> = people.iter().map(|p| p.1.clone()).collect();
    let hashes: Vec<String> = tokens.iter().map(|t| token_hash(t)).collect();
    let bodies: Vec<String> = people.iter().map(|p| invitation_body(&p.2, &inviter)).collect();
    sqlx::query(
        "insert into invitations (company_id, id, person_id, token_hash, expires_at)
         select $1, gen_random_uuid(), p, h, now() + make_interval(days => $4)
           from unnest($2::uuid[], $3::text[]) as x(p, h)",
    )
    .bind(company_id)
    .bind(&ids)
    .bind(&hashes)
    .bind(VALID_DAYS)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "insert into outgoing_emails (company_id, id, to_address, subject, body_text, secret)
         select $1, gen_random_uuid(), e, $2, b, t from unnest($3::text[], $4::text[], $5::text[]) as x(e, b, t)",
    )
    .bind(company_id)
    .bind(SUBJECT)
    .bind(&emails)
    .bind(&bodies)
    .bind(&tokens)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Invites one person (a link and its email).
pub async fn invite(
    tx: &mut Transaction<'_, Postgres>,
    company_id: Uuid,
    person_id: Uuid,
    email: &Email,
    name: &PersonName,
    invited_by: Uuid,
) -> Result<(), AppError> {
    invite_many(tx, company_id, &[(person_id, email.as_str().to_string(), name.first.clone())], invited_by).await
}

/// Every open link of these people stops working.
pub async fn revoke_open(tx: &mut Transaction<'_, Postgres>, company_id: Uuid, people: &[Uuid]) -> Result<(), AppError> {
    sqlx::query(
        "update invitations set revoked_at = now()
          where company_id = $1 and person_id = any($2) and accepted_at is null and revoked_at is null",
    )
    .bind(company_id)
    .bind(people)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn link_state(pool: &sqlx::PgPool, token: &str) -> Result<shared::people::InvitationLink, AppError> {
    let row: Option<(String, String, String, bool, bool)> = sqlx::query_as(
        "select p.first_name, p.email, c.name, i.expires_at > now(), i.accepted_at is null and i.revoked_at is null
           from invitations i
           join people p on p.company_id = i.company_id and p.id = i.person_id
           join companies c on c.id = i.company_id
          where i.token_hash = $1 and p.status = 'invited'",
    )
    .bind(token_hash(token))
    .fetch_optional(pool)
    .await?;
    Ok(match row {
        Some((first_name, email, company, true, true)) => shared::people::InvitationLink::Open { first_name, email, company },
        Some((_, email, _, false, true)) => shared::people::InvitationLink::Expired { email },
        _ => shared::people::InvitationLink::Unusable,
    })
}

/// R17: the single-use link makes the person active with the password they chose; every other
/// open link of theirs stops working. Returns the person to sign in.
pub async fn accept(pool: &sqlx::PgPool, token: &str, password: &str) -> Result<shared::Principal, AppError> {
    if password.chars().count() < 10 {
        return Err(AppError::invalid("Password", "must be at least 10 characters long"));
    }
    if password.chars().count() > 1024 {
        return Err(AppError::invalid("Password", "is longer than 1,024 characters"));
    }
    // Hashed before any row is locked: the hash takes a while on purpose.
    let hash = super::auth::hash_password_off_thread(password).await;
    let mut tx = pool.begin().await?;
    let row: Option<(Uuid, Uuid, Uuid)> = sqlx::query_as(
        "select i.company_id, i.person_id, i.id from invitations i
           join people p on p.company_id = i.company_id and p.id = i.person_id
          where i.token_hash = $1 and i.accepted_at is null and i.revoked_at is null
            and i.expires_at > now() and p.status = 'invited'
          for update of i, p",
    )
    .bind(token_hash(token))
    .fetch_optional(&mut *tx)
    .await?;
    let (company_id, person_id, invitation_id) =
        row.ok_or_else(|| AppError::Conflict("This invitation link is no longer valid.".into()))?;
    sqlx::query("update people set status = 'active', password_hash = $3, updated_at = now() where company_id = $1 and id = $2")
        .bind(company_id)
        .bind(person_id)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    sqlx::query("update invitations set accepted_at = now() where company_id = $1 and id = $2")
        .bind(company_id)
        .bind(invitation_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "update invitations set revoked_at = now()
          where company_id = $1 and person_id = $2 and id <> $3 and accepted_at is null and revoked_at is null",
    )
    .bind(company_id)
    .bind(person_id)
    .bind(invitation_id)
    .execute(&mut *tx)
    .await?;
    let change = Change::new(person_id, Some(json!({ "status": "invited" })), Some(json!({ "status": "active" })));
    audit::record(&mut tx, company_id, Who::Person(person_id), Action::PersonAcceptInvitation, &[change], None).await?;
    tx.commit().await?;
    Ok(shared::Principal::Person { company_id, person_id })
}

/// R17: a new link and a new 90 days; every older link of the person stops working.
pub async fn resend(pool: &sqlx::PgPool, manager: &UserManager, person: Uuid) -> Result<String, AppError> {
    let company_id = manager.company_id();
    let mut tx = pool.begin().await?;
    let row: Option<(String, String, String, String)> = sqlx::query_as(
        "select email, first_name, last_name, status from people where company_id = $1 and id = $2 for no key update",
    )
    .bind(company_id)
    .bind(person)
    .fetch_optional(&mut *tx)
    .await?;
    let (email, first, last, status) = row.ok_or(AppError::NotFound)?;
    if status != "invited" {
        return Err(AppError::Conflict(format!("{first} {last} already accepted; there is nothing to resend.")));
    }
    renew(&mut tx, company_id, manager, &[(person, email, first.clone())]).await?;
    tx.commit().await?;
    Ok(format!("A new invitation was sent to {first} {last}; the old link no longer works."))
}

/// Revokes the people's open links and invites them anew, with an audit event each.
async fn renew(tx: &mut Transaction<'_, Postgres>, company_id: Uuid, manager: &UserManager, invitees: &[(Uuid, String, String)]) -> Result<(), AppError> {
    let ids: Vec<Uuid> = invitees.iter().map(|p| p.0).collect();
    revoke_open(tx, company_id, &ids).await?;
    invite_many(tx, company_id, invitees, manager.person_id()).await?;
    let changes: Vec<Change> = ids.iter().map(|id| Change::new(*id, None, None)).collect();
    audit::record(tx, company_id, Who::Person(manager.person_id()), Action::PersonResendInvitation, &changes, None).await?;
    Ok(())
}

/// Invited people whose newest invitation expires within 14 days or has expired (R17).
pub async fn expiring(pool: &sqlx::PgPool, manager: &UserManager) -> Result<Vec<shared::people::ExpiringInvitation>, AppError> {
    let company_id = manager.company_id();
    let rows: Vec<(Uuid, String, String, i64, bool)> = sqlx::query_as(
        "select p.id, p.first_name || ' ' || p.last_name, p.email, extract(epoch from i.expires_at)::int8, i.expires_at <= now()
           from people p
           join lateral (select expires_at from invitations i
                          where i.company_id = p.company_id and i.person_id = p.id and i.revoked_at is null
                          order by i.created_at desc limit 1) i on true
          where p.company_id = $1 and p.status = 'invited' and i.expires_at < now() + interval '14 days'
          order by i.expires_at, p.email",
    )
    .bind(company_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(person_id, name, email, expires_at, expired)| shared::people::ExpiringInvitation {
            person_id,
            name,
            email,
            expires_at: shared::time::UtcTime::from_unix_seconds(expires_at),
            expired,
        })
        .collect())
}

/// Resend invitation for many people at once: their open links die, each gets a new one valid 90
/// days, in one transaction with set-based statements (R17).
pub async fn resend_many(pool: &sqlx::PgPool, manager: &UserManager, people: &[Uuid]) -> Result<String, AppError> {
    let company_id = manager.company_id();
    let mut tx = pool.begin().await?;
    let invitees: Vec<(Uuid, String, String)> = sqlx::query_as(
        "select id, email, first_name from people where company_id = $1 and id = any($2) and status = 'invited' order by id for no key update",
    )
    .bind(company_id)
    .bind(people)
    .fetch_all(&mut *tx)
    .await?;
    if invitees.is_empty() {
        return Err(AppError::invalid("Selection", "holds nobody who is still invited"));
    }
    renew(&mut tx, company_id, manager, &invitees).await?;
    tx.commit().await?;
    Ok(format!("{} new invitations were sent; the old links no longer work.", invitees.len()))
}
