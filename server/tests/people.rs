//! Classic User Management, first part (issue 5): the list, Add and Bulk Add (R14-R16, R23, R25).

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;
use shared::people::{BulkAddOutcome, BulkAddPreview, PeopleFilter, PeoplePage, PersonStatus, RoleFilter};
use sqlx::PgPool;

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

fn add(email: &str, first: &str, last: &str) -> serde_json::Value {
    json!({ "email": email, "first_name": first, "last_name": last })
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r14_only_a_cm_or_an_sc_with_the_right_manages_users(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    for (who, expected) in [
        (CM, StatusCode::OK),
        ("sc1@acme.example", StatusCode::OK), // sc1 was given the right (R4)
        ("sc2@acme.example", StatusCode::FORBIDDEN),
        ("user01@acme.example", StatusCode::FORBIDDEN),
    ] {
        let cookie = sign_in(&app, who).await;
        let local = who.split('@').next().unwrap();
        let reply = call(&app, "people/add", Some(&cookie), add(&format!("new.{local}@acme.example"), "New", "Person")).await;
        assert_eq!(reply.status, expected, "{who}: {}", reply.body);
        let list: PeoplePage = serde_json::from_str(&call(&app, "people/list", Some(&cookie), json!({ "filter": PeopleFilter::default(), "page": 1 })).await.body).unwrap();
        assert_eq!(list.may_manage, expected == StatusCode::OK, "{who} sees the list, read-only unless allowed");
    }
    assert_eq!(count(&pool, "select count(*) from people where email like 'new.%'").await, 2);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r15_save_and_continue_adds_and_invites(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cookie = sign_in(&app, CM).await;
    let reply = call(&app, "people/add", Some(&cookie), add(" Ann.Lee@Acme.example ", " Ann ", "Lee")).await;
    assert_eq!((reply.status, reply.body.as_str()), (StatusCode::OK, "\"Ann Lee was added and invited.\""));
    assert_eq!(count(&pool, "select count(*) from people where email = 'Ann.Lee@Acme.example' and status = 'invited'").await, 1);
    assert_eq!(count(&pool, "select count(*) from invitations i join people p on p.id = i.person_id where p.email = 'Ann.Lee@Acme.example' and i.expires_at between now() + interval '89 days' and now() + interval '91 days'").await, 1);
    assert_eq!(count(&pool, "select count(*) from outgoing_emails where to_address = 'Ann.Lee@Acme.example' and body_text like '%/invitations/%'").await, 1);
    assert_eq!(count(&pool, "select count(*) from audit_events where action = 'person.add'").await, 1);

    let again = call(&app, "people/add", Some(&cookie), add("ann.lee@acme.EXAMPLE", "A", "L")).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("belongs to Ann Lee"), "{}", again.body);

    let bad = call(&app, "people/add", Some(&cookie), add("ann", "", &"x".repeat(101))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["Email", "First name", "Last name"] {
        assert!(bad.body.contains(field), "{field}: {}", bad.body);
    }
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r16_the_preview_reports_every_entry_and_adds_nothing(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cookie = sign_in(&app, CM).await;
    let before = count(&pool, "select count(*) from people").await;
    let text = "Nia Obi <nia@acme.example>; USER01@acme.example; nia@ACME.example\nnot-an-email; rae.kim@acme.example";
    let reply = call(&app, "people/bulk-preview", Some(&cookie), json!({ "text": text })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let preview: BulkAddPreview = serde_json::from_str(&reply.body).unwrap();
    let outcomes: Vec<&BulkAddOutcome> = preview.rows.iter().map(|r| &r.outcome).collect();
    assert!(matches!(outcomes[0], BulkAddOutcome::WillBeAdded { name, name_from_email: false } if name == "Nia Obi"));
    assert!(matches!(outcomes[1], BulkAddOutcome::AlreadyKnown { .. }));
    assert!(matches!(outcomes[2], BulkAddOutcome::DuplicateInList));
    assert!(matches!(outcomes[3], BulkAddOutcome::Invalid { reason } if reason == "Email must contain @"));
    assert!(matches!(outcomes[4], BulkAddOutcome::WillBeAdded { name, name_from_email: true } if name == "Rae Kim"));
    assert_eq!(preview.to_add, 2);
    assert_eq!(count(&pool, "select count(*) from people").await, before, "nothing is added before the admin confirms");

    let reply = call(&app, "people/bulk-add", Some(&cookie), json!({ "text": text })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body.contains("2 people were added and invited; 3 entries were left out."), "{}", reply.body);
    assert_eq!(count(&pool, "select count(*) from people").await, before + 2);
    assert_eq!(count(&pool, "select count(*) from invitations i join people p on p.id = i.person_id where p.email in ('nia@acme.example', 'rae.kim@acme.example')").await, 2);
    assert_eq!(count(&pool, "select count(*) from outgoing_emails where to_address in ('nia@acme.example', 'rae.kim@acme.example')").await, 2);
    assert_eq!(count(&pool, "select count(*) from audit_events where action = 'person.bulk_add'").await, 2);

    let again = call(&app, "people/bulk-add", Some(&cookie), json!({ "text": text })).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "everyone is known now");
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r16_more_than_5000_entries_are_refused(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cookie = sign_in(&app, CM).await;
    let text: String = (0..5001).map(|i| format!("p{i}@acme.example;")).collect();
    let reply = call(&app, "people/bulk-preview", Some(&cookie), json!({ "text": text })).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("5,000"));
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn the_list_shows_statuses_roles_and_only_the_own_company(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cookie = sign_in(&app, CM).await;
    let list: PeoplePage = serde_json::from_str(&call(&app, "people/list", Some(&cookie), json!({ "filter": PeopleFilter::default(), "page": 1 })).await.body).unwrap();
    assert_eq!(list.total, 38);
    let by_email = |e: &str| list.rows.iter().find(|r| r.email == e).unwrap().clone();
    assert!(by_email(CM).roles.contains(&shared::people::Role::ContractManager));
    assert!(by_email("sc1@acme.example").roles.contains(&shared::people::Role::SoftwareCoordinator));
    assert_eq!(by_email("invited01@acme.example").status, PersonStatus::InvitationExpired);
    assert_eq!(by_email("invited08@acme.example").status, PersonStatus::Invited);
    assert!(list.rows.iter().all(|r| r.email.ends_with("@acme.example")), "R25");

    let found: PeoplePage = serde_json::from_str(&call(&app, "people/list", Some(&cookie), json!({ "filter": PeopleFilter { search: "USER0".into(), ..PeopleFilter::default() }, "page": 1 })).await.body).unwrap();
    assert_eq!(found.total, 9);
}

async fn id_of(pool: &PgPool, email: &str) -> uuid::Uuid {
    sqlx::query_scalar("select id from people where email = $1").bind(email).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r20_r21_removal_is_refused_while_anything_remains_and_says_what(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cookie = sign_in(&app, CM).await;
    let remove = |person: uuid::Uuid| call(&app, "people/remove", Some(&cookie), json!({ "person": person }));
    for (email, remains) in [
        (CM, "is the Contract Manager of contract 110000001, 110000002"),
        ("sc2@acme.example", "coordinates"),
        ("user01@acme.example", "has 1 cloud services assigned"),
        ("user12@acme.example", "has download privileges"),
    ] {
        let reply = remove(id_of(&pool, email).await).await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{email}");
        assert!(reply.body.contains(remains), "{email}: {}", reply.body);
    }
    let list: PeoplePage = serde_json::from_str(&call(&app, "people/list", Some(&cookie), json!({ "filter": PeopleFilter::default(), "page": 1 })).await.body).unwrap();
    let removable = |e: &str| list.rows.iter().find(|r| r.email == e).unwrap().removable;
    assert!(!removable(CM) && !removable("sc2@acme.example") && !removable("user01@acme.example") && removable("user09@acme.example"));

    // Once nothing remains, the person goes: no sign-in, no session, out of the list.
    let user09 = sign_in(&app, "user09@acme.example").await;
    let reply = remove(id_of(&pool, "user09@acme.example").await).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(call(&app, "viewer", Some(&user09), json!({})).await.status, StatusCode::UNAUTHORIZED);
    assert!(sign_in_reply(&app, "user09@acme.example", PASSWORD).await.location().contains("error=invalid"));
    assert_eq!(count(&pool, "select count(*) from audit_events where action = 'person.remove'").await, 1);
    let user = sign_in(&app, "user02@acme.example").await;
    assert_eq!(call(&app, "people/remove", Some(&user), json!({ "person": id_of(&pool, "user10@acme.example").await })).await.status, StatusCode::FORBIDDEN, "R14");
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r4_only_the_cm_gives_an_sc_the_right_to_manage_users(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cm = sign_in(&app, CM).await;
    let sc2 = sign_in(&app, "sc2@acme.example").await;
    let grant = |cookie: String, email: &'static str, privilege: &'static str, granted: bool| {
        let app = app.clone();
        let pool = pool.clone();
        async move {
            let person = id_of(&pool, email).await;
            call(&app, "people/privilege", Some(&cookie), json!({ "person": person, "privilege": privilege, "granted": granted })).await
        }
    };
    // sc2 has no right yet (R4): cannot add people.
    assert_eq!(call(&app, "people/add", Some(&sc2), add("x1@acme.example", "X", "One")).await.status, StatusCode::FORBIDDEN);
    let reply = grant(cm.clone(), "sc2@acme.example", "ManageUsers", true).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(call(&app, "people/add", Some(&sc2), add("x1@acme.example", "X", "One")).await.status, StatusCode::OK);
    // An SC with the right may not pass the right on; nobody gives it to someone who is not an SC.
    assert_eq!(grant(sc2.clone(), "sc3@acme.example", "ManageUsers", true).await.status, StatusCode::FORBIDDEN);
    assert_eq!(grant(cm.clone(), "user09@acme.example", "ManageUsers", true).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The CM takes it back.
    assert_eq!(grant(cm.clone(), "sc2@acme.example", "ManageUsers", false).await.status, StatusCode::OK);
    assert_eq!(call(&app, "people/add", Some(&sc2), add("x2@acme.example", "X", "Two")).await.status, StatusCode::FORBIDDEN);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r5_a_user_manager_grants_download_privileges_and_others_cannot(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let sc1 = sign_in(&app, "sc1@acme.example").await; // an SC with the right (R4)
    let user09 = id_of(&pool, "user09@acme.example").await;
    let reply = call(&app, "people/privilege", Some(&sc1), json!({ "person": user09, "privilege": "Download", "granted": true })).await;
    assert_eq!((reply.status, reply.body.as_str()), (StatusCode::OK, format!("\"{} now has download privileges.\"", sqlx::query_scalar::<_, String>("select first_name || ' ' || last_name from people where id = $1").bind(user09).fetch_one(&pool).await.unwrap()).as_str()));
    let granted: bool = sqlx::query_scalar("select may_download from people where id = $1").bind(user09).fetch_one(&pool).await.unwrap();
    assert!(granted);
    let user = sign_in(&app, "user01@acme.example").await;
    let reply = call(&app, "people/privilege", Some(&user), json!({ "person": user09, "privilege": "Download", "granted": false })).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(count(&pool, "select count(*) from audit_events where action = 'privilege.grant'").await, 1);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn the_users_list_exports_to_csv_for_signed_in_people_only(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let anonymous = send(&app, get("/export/people", None)).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    let cookie = sign_in(&app, CM).await;
    let reply = send(&app, get("/export/people", Some(&cookie))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = reply.body.lines().collect();
    assert_eq!(lines[0], "Name,Email,Status,Role,Cloud services,Download privileges");
    assert_eq!(lines.len(), 1 + 38, "everyone of Acme, no one else");
    assert!(reply.body.contains("\"cm@acme.example\",\"Active\",\"Contract Manager\""));
    assert!(!reply.body.contains("globex"));
}

async fn listed(app: &axum::Router, cookie: &str, filter: PeopleFilter) -> Vec<String> {
    let reply = call(app, "people/list", Some(cookie), json!({ "filter": filter, "page": 1 })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let page: PeoplePage = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(page.total as usize, page.rows.len(), "one page holds them all here");
    let mut emails: Vec<String> = page.rows.into_iter().map(|r| r.email).collect();
    emails.sort();
    emails
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn the_users_list_filters_by_status_role_and_cloud_services_and_exports_what_it_shows(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cookie = sign_in(&app, CM).await;
    let with = |f: fn(&mut PeopleFilter)| {
        let mut filter = PeopleFilter::default();
        f(&mut filter);
        filter
    };
    let acme = |names: &[&str]| names.iter().map(|n| format!("{n}@acme.example")).collect::<Vec<_>>();
    let numbered = |prefix: &str, range: std::ops::RangeInclusive<u32>| range.map(|i| format!("{prefix}{i:02}@acme.example")).collect::<Vec<_>>();

    // The demo's first four invitations were sent 100 days ago (R17: expired after 90).
    assert_eq!(listed(&app, &cookie, with(|f| f.status = Some(PersonStatus::InvitationExpired))).await, numbered("invited", 1..=4));
    assert_eq!(listed(&app, &cookie, with(|f| f.status = Some(PersonStatus::Invited))).await, numbered("invited", 5..=8));
    assert_eq!(listed(&app, &cookie, with(|f| f.role = Some(RoleFilter::ContractManager))).await, acme(&["cm2", "cm"]));
    assert_eq!(
        listed(&app, &cookie, with(|f| { f.role = Some(RoleFilter::SoftwareCoordinator); f.status = Some(PersonStatus::Active) })).await,
        acme(&["sc1", "sc2", "sc3", "sc4"])
    );
    assert_eq!(listed(&app, &cookie, with(|f| f.with_services = Some(true))).await, numbered("user", 1..=8));
    assert_eq!(
        listed(&app, &cookie, with(|f| { f.search = "user".into(); f.role = Some(RoleFilter::User); f.with_services = Some(false) })).await,
        numbered("user", 9..=24)
    );

    // The CSV has what the list shows.
    let reply = send(&app, get("/export/people?status=expired", Some(&cookie))).await;
    assert_eq!(reply.status, StatusCode::OK);
    let lines: Vec<&str> = reply.body.lines().collect();
    assert_eq!(lines.len(), 1 + 4, "{}", reply.body);
    assert!(lines[1..].iter().all(|l| l.contains("\"Invitation expired\"")), "{}", reply.body);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r24_the_history_page_says_who_changed_what_and_when(pool: PgPool) {
    use shared::history::{action_label, HistoryPage};
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cookie = sign_in(&app, CM).await;
    let reply = call(&app, "people/add", Some(&cookie), add("hist@acme.example", "His", "Tory")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let person = id_of(&pool, "hist@acme.example").await;
    let reply = call(&app, "people/privilege", Some(&cookie), json!({ "person": person, "privilege": "Download", "granted": true })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    let reply = call(&app, "history", Some(&cookie), json!({ "page": 1 })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let history: HistoryPage = serde_json::from_str(&reply.body).unwrap();
    let (newest, added) = (&history.rows[0], &history.rows[1]);
    assert_eq!((action_label(&newest.action), newest.record.as_str()), ("Privilege granted", "hist@acme.example"));
    assert_eq!(newest.change, "may download: — → true");
    assert!(newest.who.ends_with("<cm@acme.example>"), "{}", newest.who);
    assert!(newest.at.to_string().ends_with(" UTC"), "{}", newest.at);
    assert_eq!((action_label(&added.action), added.record.as_str()), ("Person added", "hist@acme.example"));
    assert!(added.change.contains("email: — → hist@acme.example"), "{}", added.change);
    let events = count(&pool, "select count(*) from audit_events where company_id = (select company_id from people where email = 'cm@acme.example')").await;
    assert_eq!(history.total, events as u64);

    // Only user managers read it (R14); another company's history holds none of this (R25).
    let user = sign_in(&app, "user02@acme.example").await;
    assert_eq!(call(&app, "history", Some(&user), json!({ "page": 1 })).await.status, StatusCode::FORBIDDEN);
    let globex = sign_in(&app, "cm@globex.example").await;
    let theirs: HistoryPage = serde_json::from_str(&call(&app, "history", Some(&globex), json!({ "page": 1 })).await.body).unwrap();
    assert!(theirs.rows.iter().all(|r| !r.record.contains("acme.example") && !r.who.contains("acme.example")), "R25");
}
