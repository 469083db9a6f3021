//! Invitations (issue 5, R17): a single-use link valid 90 days; Resend issues a new link and the old
//! one stops working; accepting sets a password and signs the person in.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;
use shared::people::InvitationLink;
use sqlx::PgPool;

/// The token of the newest invitation email to `email`, waiting in the outbox for delivery.
async fn newest_token(pool: &PgPool, email: &str) -> String {
    sqlx::query_scalar("select secret from outgoing_emails where to_address = $1 order by created_at desc limit 1")
        .bind(email)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn accept(app: &axum::Router, token: &str, password: &str, confirm: &str) -> Reply {
    let form = format!("token={token}&password={password}&confirm={confirm}");
    send(app, post("/auth/accept", None, "application/x-www-form-urlencoded", form)).await
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r17_resend_replaces_the_link_and_accepting_signs_the_person_in(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cm = sign_in(&app, CM).await;
    let reply = call(&app, "people/add", Some(&cm), json!({ "email": "joy@acme.example", "first_name": "Joy", "last_name": "Park" })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let old = newest_token(&pool, "joy@acme.example").await;
    let link: InvitationLink = serde_json::from_str(&call(&app, "invitations/link", None, json!({ "token": old })).await.body).unwrap();
    assert!(matches!(link, InvitationLink::Open { ref first_name, .. } if first_name == "Joy"), "{link:?}");

    let person: uuid::Uuid = sqlx::query_scalar("select id from people where email = 'joy@acme.example'").fetch_one(&pool).await.unwrap();
    let reply = call(&app, "invitations/resend", Some(&cm), json!({ "person": person })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let new = newest_token(&pool, "joy@acme.example").await;
    assert_ne!(old, new);

    // The old link is dead; bad passwords are refused; the new link works once.
    assert_eq!(accept(&app, &old, "long-enough-1", "long-enough-1").await.location(), format!("/invitations/{old}?error=unusable"));
    assert_eq!(accept(&app, &new, "short", "short").await.location(), format!("/invitations/{new}?error=short"));
    assert_eq!(accept(&app, &new, "long-enough-1", "long-enough-2").await.location(), format!("/invitations/{new}?error=mismatch"));
    let accepted = accept(&app, &new, "long-enough-1", "long-enough-1").await;
    assert_eq!(accepted.location(), "/");
    let cookie = accepted.set_cookie().unwrap().split(';').next().unwrap().to_string();
    let viewer = call(&app, "viewer", Some(&cookie), json!({})).await;
    assert!(viewer.body.contains("joy@acme.example"), "{}", viewer.body);
    assert_eq!(accept(&app, &new, "long-enough-1", "long-enough-1").await.location(), format!("/invitations/{new}?error=unusable"), "single use");

    // And the password works at the sign-in page.
    let signed = sign_in_reply(&app, "joy@acme.example", "long-enough-1").await;
    assert_eq!(signed.location(), "/");
    let status: String = sqlx::query_scalar("select status from people where email = 'joy@acme.example'").fetch_one(&pool).await.unwrap();
    assert_eq!(status, "active");
    // Nothing left to resend.
    assert_eq!(call(&app, "invitations/resend", Some(&cm), json!({ "person": person })).await.status, StatusCode::CONFLICT);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r17_an_invitation_expires_after_90_days(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cm = sign_in(&app, CM).await;
    call(&app, "people/add", Some(&cm), json!({ "email": "kai@acme.example", "first_name": "Kai", "last_name": "Ng" })).await;
    let token = newest_token(&pool, "kai@acme.example").await;
    sqlx::query("update invitations set created_at = now() - interval '91 days', expires_at = now() - interval '1 day'").execute(&pool).await.unwrap();
    let link: InvitationLink = serde_json::from_str(&call(&app, "invitations/link", None, json!({ "token": token })).await.body).unwrap();
    assert_eq!(link, InvitationLink::Expired { email: "kai@acme.example".into() });
    assert!(accept(&app, &token, "long-enough-1", "long-enough-1").await.location().ends_with("error=unusable"));
    // The invitation page itself is open to people who are not signed in.
    let page = send(&app, get(&format!("/invitations/{token}"), None)).await;
    assert_eq!(page.status, StatusCode::OK);
}

/// The only test of this file that reads SEATKEEPER_DEV_MAILBOX, so switching it is safe here.
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn only_user_managers_resend_and_the_mailbox_is_off_unless_switched_on_for_development(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let user = sign_in(&app, "user01@acme.example").await;
    let invited: uuid::Uuid = sqlx::query_scalar("select id from people where email = 'invited01@acme.example'").fetch_one(&pool).await.unwrap();
    assert_eq!(call(&app, "invitations/resend", Some(&user), json!({ "person": invited })).await.status, StatusCode::FORBIDDEN);
    let globex = sign_in(&app, "cm@globex.example").await;
    assert_eq!(call(&app, "invitations/resend", Some(&globex), json!({ "person": invited })).await.status, StatusCode::NOT_FOUND, "R25");
    let cm = sign_in(&app, CM).await;
    let sc = sign_in(&app, "sc1@acme.example").await; // may manage users (R4)

    // Off unless switched on: nobody reads the outbox, not even the CM.
    std::env::remove_var("SEATKEEPER_DEV_MAILBOX");
    assert_eq!(call(&app, "dev/mailbox", Some(&cm), json!({})).await.status, StatusCode::NOT_FOUND);
    assert_eq!(call(&app, "dev/mailbox", Some(&sc), json!({})).await.status, StatusCode::NOT_FOUND);
    assert_eq!(send(&app, get("/dev/mailbox", Some(&cm))).await.status, StatusCode::NOT_FOUND);

    assert_eq!(call(&app, "invitations/resend", Some(&cm), json!({ "person": invited })).await.status, StatusCode::OK);
    let token = newest_token(&pool, "invited01@acme.example").await;
    std::env::set_var("SEATKEEPER_DEV_MAILBOX", "on");
    assert_eq!(call(&app, "dev/mailbox", Some(&user), json!({})).await.status, StatusCode::FORBIDDEN);
    let mailbox = call(&app, "dev/mailbox", Some(&cm), json!({})).await;
    std::env::remove_var("SEATKEEPER_DEV_MAILBOX");
    assert_eq!(mailbox.status, StatusCode::OK);
    assert!(mailbox.body.contains(&format!("/invitations/{token}")), "switched on, it shows the links: {}", mailbox.body);
}

/// Issue 9, finding 3: an SC who may manage users resends a new coordinator's invitation; the link
/// is nowhere in the email's stored text, only waiting (hashed in `invitations`, in clear in
/// `outgoing_emails.secret` until delivered, see smtp.rs).
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn an_invitation_link_is_never_kept_in_the_stored_text_of_its_email(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let sc = sign_in(&app, "sc1@acme.example").await;
    let reply = call(&app, "people/add", Some(&sc), json!({ "email": "new.sc@acme.example", "first_name": "New", "last_name": "Coordinator" })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let person: uuid::Uuid = sqlx::query_scalar("select id from people where email = 'new.sc@acme.example'").fetch_one(&pool).await.unwrap();
    assert_eq!(call(&app, "invitations/resend", Some(&sc), json!({ "person": person })).await.status, StatusCode::OK);
    let token = newest_token(&pool, "new.sc@acme.example").await;
    assert_eq!(token.len(), 64);
    let in_clear: i64 = sqlx::query_scalar("select count(*) from outgoing_emails where strpos(body_text, $1) > 0")
        .bind(&token)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(in_clear, 0, "no email's text holds the link");
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r17_expiring_and_expired_invitations_are_listed_and_renewed_in_bulk(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cm = sign_in(&app, CM).await;
    let list: Vec<shared::people::ExpiringInvitation> =
        serde_json::from_str(&call(&app, "invitations/expiring", Some(&cm), json!({})).await.body).unwrap();
    let emails: Vec<&str> = list.iter().map(|i| i.email.as_str()).collect();
    // The demo: invited01-04 sent 100 days ago (expired), invited05 80 days ago (10 days left),
    // invited06-08 10 days ago (80 days left).
    assert_eq!(emails, ["invited01@acme.example", "invited02@acme.example", "invited03@acme.example", "invited04@acme.example", "invited05@acme.example"]);
    assert!(list[..4].iter().all(|i| i.expired) && !list[4].expired);

    let people: Vec<uuid::Uuid> = list[..2].iter().map(|i| i.person_id).collect();
    let reply = call(&app, "invitations/resend-many", Some(&cm), json!({ "people": people })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body.contains("2 new invitations were sent"));
    let fresh: i64 = sqlx::query_scalar(
        "select count(*) from invitations where person_id = any($1) and revoked_at is null and expires_at > now() + interval '89 days'",
    )
    .bind(&people)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(fresh, 2);
    let after: Vec<shared::people::ExpiringInvitation> =
        serde_json::from_str(&call(&app, "invitations/expiring", Some(&cm), json!({})).await.body).unwrap();
    assert_eq!(after.len(), 3, "the renewed two are no longer listed");
}
