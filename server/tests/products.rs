//! The Products tab's server functions (issue 3): R2, R3, R8-R11, R23-R25, undo and conflicts.

mod common;

use axum::http::StatusCode;
use axum::Router;
use common::*;
use serde_json::json;
use shared::products::*;
use sqlx::PgPool;
use uuid::Uuid;

const MAIN: &str = "110000001";

async fn page_with(app: &Router, cookie: &str, query: &ProductsQuery) -> ProductsPage {
    let reply = call(app, "serials/page", Some(cookie), json!({ "query": query })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

async fn first_page(app: &Router, cookie: &str) -> ProductsPage {
    page_with(app, cookie, &ProductsQuery::new(MAIN)).await
}

fn rows(page: &ProductsPage, n: usize) -> Selection {
    Selection::Rows(page.rows.iter().take(n).map(|r| ShownRow { id: r.id, version: r.version }).collect())
}

async fn apply(app: &Router, cookie: &str, contract: &str, selection: &Selection, action: &BulkAction) -> Reply {
    call(app, "serials/apply", Some(cookie), json!({ "contract_number": contract, "selection": selection, "action": action })).await
}

async fn applied(app: &Router, cookie: &str, selection: &Selection, action: &BulkAction) -> BulkOutcome {
    let reply = apply(app, cookie, MAIN, selection, action).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

async fn person(pool: &PgPool, email: &str) -> Uuid {
    sqlx::query_scalar("select id from people where email = $1").bind(email).fetch_one(pool).await.unwrap()
}

/// Every record of serial changes: the change events and their per-serial rows.
async fn audit_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select (select count(*) from audit_events where entity = 'serial_number') + (select count(*) from serial_changes)")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The caller's `UserManager` capability, for the store functions the tests call directly.
async fn user_manager(pool: &PgPool, email: &str) -> app::ssr::authz::UserManager {
    let (company_id, person_id): (Uuid, Uuid) =
        sqlx::query_as("select company_id, id from people where email = $1").bind(email).fetch_one(pool).await.unwrap();
    let actor = app::ssr::Actor { principal: shared::Principal::Person { company_id, person_id } };
    app::ssr::authz::user_manager(pool, &actor).await.unwrap()
}

async fn setup(pool: &PgPool) -> (Router, String) {
    seed_small(pool).await;
    let app = app(pool.clone());
    let cookie = sign_in(&app, CM).await;
    (app, cookie)
}

fn assign(person: Uuid) -> BulkAction {
    BulkAction::Assign { assignee: Assignee::Existing(person) }
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn the_contract_list_shows_the_contracts_the_person_manages(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let reply = call(&app, "contracts/managed", Some(&cookie), json!({})).await;
    let list: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    let numbers: Vec<&str> = list.as_array().unwrap().iter().map(|c| c["contract_number"].as_str().unwrap()).collect();
    assert_eq!(numbers, ["110000001", "110000002"]);
    assert_eq!(list[0]["serials"], 30);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r3_every_serial_shows_its_effective_coordinator(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let page = first_page(&app, &cookie).await;
    assert_eq!(page.total, 30);
    assert!(page.may_act);
    let defaults: Vec<&SerialRow> = page.rows.iter().filter(|r| r.coordinator_is_default).collect();
    assert!(!defaults.is_empty());
    assert!(defaults.iter().all(|r| r.coordinator_email == CM), "an unassigned serial is coordinated by the CM");
    assert!(page.rows.iter().any(|r| !r.coordinator_is_default && r.coordinator_email.starts_with("sc")));
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r3_when_the_cm_changes_every_unassigned_serial_follows_without_a_row_rewritten(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let before = first_page(&app, &cookie).await;
    let versions: i64 = sqlx::query_scalar("select sum(version)::int8 from serial_numbers").fetch_one(&pool).await.unwrap();
    sqlx::query("update contracts set manager_id = (select id from people where email = 'cm2@acme.example') where contract_number = $1")
        .bind(MAIN)
        .execute(&pool)
        .await
        .unwrap();
    let cm2 = sign_in(&app, "cm2@acme.example").await;
    let after = first_page(&app, &cm2).await;
    for (old, new) in before.rows.iter().zip(&after.rows) {
        if old.coordinator_is_default {
            assert_eq!(new.coordinator_email, "cm2@acme.example");
        } else {
            assert_eq!(new.coordinator_email, old.coordinator_email);
        }
    }
    let after_versions: i64 = sqlx::query_scalar("select sum(version)::int8 from serial_numbers").fetch_one(&pool).await.unwrap();
    assert_eq!(versions, after_versions, "the default is derived, never copied");
    // The old CM may no longer act on it.
    let page = first_page(&app, &cookie).await;
    assert!(!page.may_act);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r9_rename_group_names_every_selected_serial_and_an_empty_name_clears_it(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let page = first_page(&app, &cookie).await;
    let outcome = applied(&app, &cookie, &rows(&page, 3), &BulkAction::RenameGroup { group_name: "  Night shift ".into() }).await;
    assert_eq!(outcome.changed, 3);
    assert_eq!(outcome.summary, "3 serial numbers moved to group \u{201c}Night shift\u{201d}.");
    let page = first_page(&app, &cookie).await;
    assert!(page.rows[..3].iter().all(|r| r.group_name.as_deref() == Some("Night shift")));
    assert!(page.rows[3..].iter().all(|r| r.group_name.as_deref() != Some("Night shift")));

    let cleared = applied(&app, &cookie, &rows(&page, 2), &BulkAction::RenameGroup { group_name: "".into() }).await;
    assert_eq!(cleared.changed, 2);
    let page = first_page(&app, &cookie).await;
    assert_eq!(page.rows[0].group_name, None);
    assert_eq!(page.rows[2].group_name.as_deref(), Some("Night shift"));
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r10_assign_makes_one_existing_person_the_coordinator_of_every_selected_serial(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let user = person(&pool, "user05@acme.example").await;
    let page = first_page(&app, &cookie).await;
    let outcome = applied(&app, &cookie, &rows(&page, 4), &assign(user)).await;
    assert_eq!(outcome.changed, 4);
    let page = first_page(&app, &cookie).await;
    assert!(page.rows[..4].iter().all(|r| r.coordinator_id == user && !r.coordinator_is_default));
    let notices: i64 = sqlx::query_scalar("select count(*) from outgoing_emails where to_address = 'user05@acme.example' and body_text like '%4 serial numbers of contract 110000001%'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(notices, 1, "the new coordinator is told");
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r10_assign_can_create_a_new_person_who_is_invited(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let page = first_page(&app, &cookie).await;
    let action = BulkAction::Assign {
        assignee: Assignee::New { email: "New.Coordinator@Acme.example".into(), first_name: "Noor".into(), last_name: "Haddad".into() },
    };
    let outcome = applied(&app, &cookie, &rows(&page, 2), &action).await;
    assert_eq!(outcome.changed, 2);
    assert_eq!(outcome.summary, "2 serial numbers now coordinated by Noor Haddad.");
    let (status, invitations, emails): (String, i64, i64) = sqlx::query_as(
        "select p.status,
                (select count(*) from invitations i where i.person_id = p.id and i.expires_at > now() + interval '89 days'),
                (select count(*) from outgoing_emails e where e.to_address = p.email and e.status = 'queued')
           from people p where p.email = 'New.Coordinator@Acme.example'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((status.as_str(), invitations, emails), ("invited", 1, 1));
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r11_unassign_gives_every_selected_serial_back_to_the_cm(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let page = first_page(&app, &cookie).await;
    let assigned: Vec<(Uuid, i64)> = page.rows.iter().filter(|r| !r.coordinator_is_default).map(|r| (r.id, r.version)).collect();
    assert!(assigned.len() >= 2);
    let outcome = applied(&app, &cookie, &Selection::Rows(assigned.iter().copied().map(ShownRow::from).collect()), &BulkAction::Unassign).await;
    assert_eq!(outcome.changed, assigned.len() as u64);
    let page = first_page(&app, &cookie).await;
    assert!(page.rows.iter().all(|r| r.coordinator_is_default && r.coordinator_email == CM));
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r24_one_audit_event_per_change_and_every_changed_serial_with_before_and_after(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let user = person(&pool, "user07@acme.example").await;
    let page = first_page(&app, &cookie).await;
    let outcome = applied(&app, &cookie, &rows(&page, 5), &assign(user)).await;
    let change = outcome.change_id.unwrap();
    // One event for the change: who, what, how many.
    let (events, action, serials, actor): (i64, String, i64, Option<Uuid>) = sqlx::query_as(
        "select count(*) over (), action, (after ->> 'serials')::int8, actor_person_id
           from audit_events where change_id = $1 and entity = 'serial_number'",
    )
    .bind(change)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((events, action.as_str(), serials), (1, "serial.assign", outcome.changed as i64));
    assert_eq!(actor, Some(person(&pool, CM).await));
    // One row per changed serial, with its values before (as the page showed them) and after.
    let recorded: Vec<(Uuid, i64, Option<Uuid>, Option<String>, Option<Uuid>, Option<String>)> = sqlx::query_as(
        "select serial_id, version, coordinator_before, group_before, coordinator_after, group_after
           from serial_changes where change_id = $1 order by serial_id",
    )
    .bind(change)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(recorded.len() as u64, outcome.changed);
    for (id, version, coordinator_before, group_before, coordinator_after, group_after) in recorded {
        let shown = page.rows.iter().find(|r| r.id == id).expect("a changed serial was selected");
        let shown_coordinator = (!shown.coordinator_is_default).then_some(shown.coordinator_id);
        assert_eq!((version, coordinator_before, &group_before), (shown.version + 1, shown_coordinator, &shown.group_name));
        assert_eq!((coordinator_after, group_after), (Some(user), shown.group_name.clone()));
    }
    // Assigning the same person again changes nothing and records nothing.
    let page = first_page(&app, &cookie).await;
    let before = audit_count(&pool).await;
    let again = applied(&app, &cookie, &rows(&page, 5), &assign(user)).await;
    assert_eq!((again.changed, again.change_id), (0, None));
    assert_eq!(audit_count(&pool).await, before);
}

/// R24: the audit trail answers "what happened to this serial": every change, newest first, with
/// who, when and the values before and after; another company's serial is not found (R25).
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r24_what_happened_to_a_serial_lists_its_changes_newest_first(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let user = person(&pool, "user04@acme.example").await;
    let page = first_page(&app, &cookie).await;
    let serial = page.rows[0].clone();
    let first = applied(&app, &cookie, &rows(&page, 3), &assign(user)).await;
    let page = first_page(&app, &cookie).await;
    let second = applied(&app, &cookie, &rows(&page, 2), &BulkAction::RenameGroup { group_name: "Lab".into() }).await;
    let page = first_page(&app, &cookie).await;
    let third = applied(&app, &cookie, &rows(&page, 1), &BulkAction::Unassign).await;

    let manager = user_manager(&pool, CM).await;
    let history = app::ssr::history::serial_history(&pool, &manager, &serial.serial).await.unwrap();
    let steps: Vec<(&str, Uuid, i64)> = history.iter().map(|h| (h.action.as_str(), h.change_id, h.version)).collect();
    let v = serial.version;
    assert_eq!(
        steps,
        [
            ("serial.unassign", third.change_id.unwrap(), v + 3),
            ("serial.rename_group", second.change_id.unwrap(), v + 2),
            ("serial.assign", first.change_id.unwrap(), v + 1)
        ]
    );
    let was = (!serial.coordinator_is_default).then_some(serial.coordinator_id);
    assert_eq!((history[2].coordinator_before, history[2].coordinator_after), (was, Some(user)));
    assert_eq!((&history[1].group_before, history[1].group_after.as_deref()), (&serial.group_name, Some("Lab")));
    assert_eq!((history[0].coordinator_before, history[0].coordinator_after), (Some(user), None));
    assert!(history.iter().all(|h| h.who.contains(CM)), "{history:?}");
    // Each step starts from the values the one before left.
    for pair in history.windows(2) {
        assert_eq!((pair[0].coordinator_before, &pair[0].group_before), (pair[1].coordinator_after, &pair[1].group_after));
    }
    // The History page shows each change as one line with its count; the change's serials are reachable.
    let lines = app::ssr::history::page(&pool, &manager, 1).await.unwrap();
    let assign_line = lines.rows.iter().find(|r| r.action == "serial.assign").unwrap();
    assert_eq!(assign_line.record, "3 serial numbers");
    assert!(assign_line.change.contains("coordinator → "), "{assign_line:?}");
    let unassign_line = lines.rows.iter().find(|r| r.action == "serial.unassign").unwrap();
    assert_eq!(unassign_line.record, serial.serial, "a change of one serial names it");
    let listed = app::ssr::history::change_serials(&pool, &manager, first.change_id.unwrap(), 1).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|(_, c)| c.coordinator_after == Some(user)));

    // R25: the other company's manager does not find it.
    let other = user_manager(&pool, "cm@globex.example").await;
    assert!(matches!(app::ssr::history::serial_history(&pool, &other, &serial.serial).await, Err(app::AppError::NotFound)));
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r8_a_stale_row_means_nothing_changes_and_the_answer_names_it(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let page = first_page(&app, &cookie).await;
    let stale = &page.rows[1];
    sqlx::query("update serial_numbers set version = version + 1, updated_at = now() where id = $1").bind(stale.id).execute(&pool).await.unwrap();
    let before = audit_count(&pool).await;
    let reply = apply(&app, &cookie, MAIN, &rows(&page, 3), &BulkAction::RenameGroup { group_name: "X".into() }).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert!(reply.body.contains(&stale.serial), "{}", reply.body);
    assert!(reply.body.contains("Nothing was changed"));
    let after = first_page(&app, &cookie).await;
    assert!(after.rows[..3].iter().all(|r| r.group_name.as_deref() != Some("X")), "all or nothing");
    assert_eq!(audit_count(&pool).await, before);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn two_admins_acting_at_once_on_the_same_serials_never_lose_a_change(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let page = first_page(&app, &cookie).await;
    let selection = rows(&page, 10);
    let (to_a, to_b) = (BulkAction::RenameGroup { group_name: "A".into() }, BulkAction::RenameGroup { group_name: "B".into() });
    let (a, b) = tokio::join!(apply(&app, &cookie, MAIN, &selection, &to_a), apply(&app, &cookie, MAIN, &selection, &to_b));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn select_all_matching_applies_to_the_filter_across_every_page(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let mut query = ProductsQuery::new(MAIN);
    query.filter.group = Some(GroupFilter::Named("Site office".into()));
    query.page_size = 25;
    let page = page_with(&app, &cookie, &query).await;
    assert!(page.total > 0 && page.rows.iter().all(|r| r.group_name.as_deref() == Some("Site office")));
    let user = person(&pool, "user03@acme.example").await;
    let selection = Selection::AllMatching { filter: query.filter.clone(), expected: page.total, as_of_micros: page.as_of_micros };
    let outcome = applied(&app, &cookie, &selection, &assign(user)).await;
    let assigned: i64 = sqlx::query_scalar("select count(*) from serial_numbers where coordinator_id = $1 and group_name = 'Site office'")
        .bind(user)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(outcome.changed as i64, assigned);
    assert!(assigned as u64 >= page.total - page.rows.iter().filter(|r| r.coordinator_id == user).count() as u64);

    // The same selection again is stale now: its serials changed after the page was read.
    let reply = apply(&app, &cookie, MAIN, &selection, &BulkAction::Unassign).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn a_changed_count_of_matching_serials_is_a_conflict(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let page = first_page(&app, &cookie).await;
    let selection = Selection::AllMatching { filter: SerialFilter::default(), expected: page.total + 1, as_of_micros: page.as_of_micros };
    let reply = apply(&app, &cookie, MAIN, &selection, &BulkAction::Unassign).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert!(reply.body.contains("31 then, 30 now"), "{}", reply.body);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r23_bad_input_is_refused_naming_the_field_and_changes_nothing(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let page = first_page(&app, &cookie).await;
    let before = audit_count(&pool).await;
    let three = rows(&page, 3);

    let long = apply(&app, &cookie, MAIN, &three, &BulkAction::RenameGroup { group_name: "g".repeat(81) }).await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(long.body.contains("Group name") && long.body.contains("80"), "{}", long.body);

    let bad_email = BulkAction::Assign { assignee: Assignee::New { email: "ann@".into(), first_name: "Ann".into(), last_name: "Lee".into() } };
    let reply = apply(&app, &cookie, MAIN, &three, &bad_email).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("Email"), "{}", reply.body);

    let long_name = BulkAction::Assign { assignee: Assignee::New { email: "ann@x.io".into(), first_name: "A".repeat(101), last_name: "Lee".into() } };
    let reply = apply(&app, &cookie, MAIN, &three, &long_name).await;
    assert!(reply.body.contains("First name") && reply.body.contains("100"), "{}", reply.body);

    let known = BulkAction::Assign { assignee: Assignee::New { email: "USER01@acme.example".into(), first_name: "A".into(), last_name: "B".into() } };
    let reply = apply(&app, &cookie, MAIN, &three, &known).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("already known"), "{}", reply.body);

    let unknown = apply(&app, &cookie, MAIN, &three, &assign(Uuid::new_v4())).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let globex_person = person(&pool, "user01@globex.example").await;
    let foreign = apply(&app, &cookie, MAIN, &three, &assign(globex_person)).await;
    assert_eq!(foreign.status, StatusCode::UNPROCESSABLE_ENTITY, "a person of another company is unknown here");
    assert_eq!(foreign.body, unknown.body);

    // A serial of another contract of the same company, and one of another company.
    let other_contract: (Uuid, i64) = sqlx::query_as("select s.id, s.version from serial_numbers s join contracts c on c.id = s.contract_id where c.contract_number = '110000002' limit 1")
        .fetch_one(&pool).await.unwrap();
    let other_company: (Uuid, i64) = sqlx::query_as("select s.id, s.version from serial_numbers s join contracts c on c.id = s.contract_id where c.contract_number = '220000001' limit 1")
        .fetch_one(&pool).await.unwrap();
    for foreign_serial in [other_contract, other_company] {
        let selection = Selection::Rows(vec![(page.rows[0].id, page.rows[0].version).into(), foreign_serial.into()]);
        let reply = apply(&app, &cookie, MAIN, &selection, &BulkAction::Unassign).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
        assert!(reply.body.contains("not on contract 110000001"), "{}", reply.body);
    }
    assert_eq!(audit_count(&pool).await, before, "nothing changed");
    let people: i64 = sqlx::query_scalar("select count(*) from people where email = 'ann@x.io'").fetch_one(&pool).await.unwrap();
    assert_eq!(people, 0);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r2_only_the_contracts_cm_may_act_and_others_see_it_read_only(pool: PgPool) {
    let (app, cm) = setup(&pool).await;
    let page = first_page(&app, &cm).await;
    let groups_before: Vec<Option<String>> = page.rows.iter().map(|r| r.group_name.clone()).collect();
    for other in ["cm2@acme.example", "sc1@acme.example", "user01@acme.example"] {
        let cookie = sign_in(&app, other).await;
        let view = first_page(&app, &cookie).await;
        assert!(!view.may_act, "{other} sees the table read-only");
        let reply = apply(&app, &cookie, MAIN, &rows(&page, 3), &BulkAction::RenameGroup { group_name: "Mine".into() }).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{other}: {}", reply.body);
        let preview = call(&app, "serials/preview", Some(&cookie), json!({ "contract_number": MAIN, "selection": rows(&page, 3), "action": BulkAction::Unassign })).await;
        assert_eq!(preview.status, StatusCode::FORBIDDEN);
    }
    let after: Vec<Option<String>> = first_page(&app, &cm).await.rows.iter().map(|r| r.group_name.clone()).collect();
    assert_eq!(groups_before, after);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r25_another_companys_contract_answers_exactly_as_a_missing_one(pool: PgPool) {
    let (app, _) = setup(&pool).await;
    let globex = sign_in(&app, "cm@globex.example").await;
    let foreign = call(&app, "serials/page", Some(&globex), json!({ "query": ProductsQuery::new(MAIN) })).await;
    let missing = call(&app, "serials/page", Some(&globex), json!({ "query": ProductsQuery::new("999999999") })).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!((foreign.status, foreign.body.clone()), (missing.status, missing.body));
    let reply = apply(&app, &globex, MAIN, &Selection::Rows(vec![]), &BulkAction::Unassign).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let agent = sign_in(&app, "agent@northwind.example").await;
    assert_eq!(call(&app, "serials/page", Some(&agent), json!({ "query": ProductsQuery::new(MAIN) })).await.status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn the_preview_says_how_many_change_from_whom_to_whom(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let page = first_page(&app, &cookie).await;
    let user = person(&pool, "user02@acme.example").await;
    let reply = call(&app, "serials/preview", Some(&cookie), json!({ "contract_number": MAIN, "selection": rows(&page, 6), "action": assign(user) })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let preview: Preview = serde_json::from_str(&reply.body).unwrap();
    assert_eq!((preview.selected, preview.changing), (6, 6));
    assert_eq!(preview.from.iter().map(|f| f.serials).sum::<u64>(), 6);
    assert!(preview.from.iter().any(|f| f.label.ends_with("(Contract Manager)")), "{:?}", preview.from);
    assert!(preview.to.contains(' '));
    assert_eq!(audit_count(&pool).await, 0, "a preview changes nothing");
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn undo_reverses_exactly_that_change_once_and_only_while_untouched(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let before = first_page(&app, &cookie).await;
    let user = person(&pool, "user04@acme.example").await;
    let outcome = applied(&app, &cookie, &rows(&before, 5), &assign(user)).await;
    let undo = |change: Uuid| call(&app, "serials/undo", Some(&cookie), json!({ "contract_number": MAIN, "change_id": change }));
    let reply = undo(outcome.change_id.unwrap()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let after = first_page(&app, &cookie).await;
    for (a, b) in before.rows.iter().zip(&after.rows) {
        assert_eq!((a.coordinator_id, a.coordinator_is_default, &a.group_name), (b.coordinator_id, b.coordinator_is_default, &b.group_name));
    }
    assert_eq!(undo(outcome.change_id.unwrap()).await.status, StatusCode::CONFLICT, "an undo happens once");

    // A change that someone else touched since cannot be undone.
    let page = first_page(&app, &cookie).await;
    let second = applied(&app, &cookie, &rows(&page, 3), &BulkAction::RenameGroup { group_name: "Temp".into() }).await;
    let page = first_page(&app, &cookie).await;
    applied(&app, &cookie, &rows(&page, 1), &BulkAction::RenameGroup { group_name: "Other".into() }).await;
    let reply = undo(second.change_id.unwrap()).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert!(reply.body.contains(&page.rows[0].serial), "{}", reply.body);
}

/// R8, R24: Undo restores exactly what the audit trail kept, serial by serial (different coordinators,
/// the CM by default, groups and no group), records itself with the values it replaced, and is not
/// undone in its turn.
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn undo_restores_every_serial_exactly_from_the_audit_trail(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let contract: Uuid = sqlx::query_scalar("select id from contracts where contract_number = $1").bind(MAIN).fetch_one(&pool).await.unwrap();
    let state = |pool: PgPool| async move {
        sqlx::query_as::<_, (Uuid, Option<Uuid>, Option<String>, i64)>(
            "select id, coordinator_id, group_name, version from serial_numbers where contract_id = $1 order by id",
        )
        .bind(contract)
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    let initial = state(pool.clone()).await;
    assert!(initial.iter().any(|s| s.1.is_none()) && initial.iter().any(|s| s.1.is_some()), "a mix of coordinators");
    assert!(initial.iter().any(|s| s.2.is_none()) && initial.iter().any(|s| s.2.is_some()), "a mix of groups");

    let query = ProductsQuery::new(MAIN);
    let user = person(&pool, "user04@acme.example").await;
    let undo = |change: Uuid| call(&app, "serials/undo", Some(&cookie), json!({ "contract_number": MAIN, "change_id": change }));
    for action in [assign(user), BulkAction::RenameGroup { group_name: "Lab".into() }] {
        let page = page_with(&app, &cookie, &query).await;
        let all = Selection::AllMatching { filter: query.filter.clone(), expected: page.total, as_of_micros: page.as_of_micros };
        let outcome = applied(&app, &cookie, &all, &action).await;
        assert!(outcome.changed > 0);
        let reply = undo(outcome.change_id.unwrap()).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let restored = state(pool.clone()).await;
        assert_eq!(restored.len(), initial.len());
        for (now, then) in restored.iter().zip(&initial) {
            assert_eq!((now.0, now.1, &now.2), (then.0, then.1, &then.2), "exactly as before");
        }
    }
    // Each undo is recorded with the values it replaced, and is not undone in its turn.
    let undos: Vec<Uuid> = sqlx::query_scalar("select change_id from audit_events where action = 'serial.undo' order by occurred_at")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(undos.len(), 2);
    let mismatched: i64 = sqlx::query_scalar(
        "select count(*) from serial_changes u
           join serial_changes c on c.company_id = u.company_id and c.serial_id = u.serial_id and c.version = u.version - 1
          where u.change_id = $1
            and (u.coordinator_before is distinct from c.coordinator_after or u.group_before is distinct from c.group_after
                 or u.coordinator_after is distinct from c.coordinator_before or u.group_after is distinct from c.group_before)",
    )
    .bind(undos[1])
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(mismatched, 0);
    assert_eq!(undo(undos[1]).await.status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn the_table_filters_sorts_and_pages_on_the_server(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let mut query = ProductsQuery::new(MAIN);
    query.page_size = 25;
    query.page = 2;
    let second = page_with(&app, &cookie, &query).await;
    assert_eq!((second.total, second.rows.len()), (30, 5));
    let mut all: Vec<String> = first_page(&app, &cookie).await.rows.iter().map(|r| r.serial.clone()).collect();
    all.sort();
    assert_eq!(second.rows[0].serial, all[25]);

    query.page = 1;
    query.sort = SortKey::Quantity;
    query.descending = true;
    let by_quantity = page_with(&app, &cookie, &query).await;
    assert!(by_quantity.rows.windows(2).all(|w| w[0].quantity >= w[1].quantity));

    query.sort = SortKey::Coordinator;
    query.descending = false;
    let by_coordinator = page_with(&app, &cookie, &query).await;
    let last_names: Vec<String> = by_coordinator.rows.iter().map(|r| r.coordinator_name.rsplit(' ').next().unwrap().to_string()).collect();
    assert!(last_names.windows(2).all(|w| w[0] <= w[1]), "sorted by the coordinator's last name: {last_names:?}");
    query.sort = SortKey::Group;
    let by_group = page_with(&app, &cookie, &query).await;
    let groups: Vec<Option<String>> = by_group.rows.iter().map(|r| r.group_name.clone()).collect();
    let first_none = groups.iter().position(Option::is_none).unwrap_or(groups.len());
    assert!(groups[first_none..].iter().all(Option::is_none), "serials without a group come last");
    assert!(groups[..first_none].windows(2).all(|w| w[0] <= w[1]));

    let mut text = ProductsQuery::new(MAIN);
    text.filter.text = all[7][4..].to_string();
    let found = page_with(&app, &cookie, &text).await;
    assert_eq!(found.rows.iter().map(|r| r.serial.as_str()).collect::<Vec<_>>(), [all[7].as_str()]);

    let mut unassigned = ProductsQuery::new(MAIN);
    unassigned.filter.coordinator = Some(CoordinatorFilter::ContractManagerByDefault);
    let defaults = page_with(&app, &cookie, &unassigned).await;
    assert!(defaults.total > 0 && defaults.rows.iter().all(|r| r.coordinator_is_default));

    let mut wild = ProductsQuery::new(MAIN);
    wild.filter.text = "%".into();
    assert_eq!(page_with(&app, &cookie, &wild).await.total, 0, "a % is a character, not a wildcard");
}

/// Issue 9, finding 1 (R2): a serial of contract 110000003 (another CM's) slipped into a selection
/// of the CM's own contract, hidden behind a duplicated row so the counts match, changes nothing;
/// a selection that only repeats a row is refused too (it once underflowed a subtraction).
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r2_a_serial_of_another_cms_contract_hidden_behind_a_duplicate_changes_nothing(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let own = first_page(&app, &cookie).await.rows[0].clone();
    // Anyone of the company reads the other contract's rows; cm2 manages it.
    let cm2 = sign_in(&app, "cm2@acme.example").await;
    let foreign = page_with(&app, &cm2, &ProductsQuery::new("110000003")).await.rows[0].clone();
    let before = audit_count(&pool).await;
    let state = |id: Uuid| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (Option<String>, Option<Uuid>, i64)>("select group_name, coordinator_id, version from serial_numbers where id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let foreign_before = state(foreign.id).await;
    let own_before = state(own.id).await;
    let sneaky = Selection::Rows(vec![(own.id, own.version).into(), (own.id, own.version).into(), (foreign.id, foreign.version).into()]);
    let repeated = Selection::Rows(vec![(own.id, own.version).into(), (own.id, own.version).into()]);
    let sc = person(&pool, "sc1@acme.example").await;
    for selection in [&sneaky, &repeated] {
        for action in [BulkAction::RenameGroup { group_name: "Taken over".into() }, assign(sc), BulkAction::Unassign] {
            let reply = apply(&app, &cookie, MAIN, selection, &action).await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{action:?}: {}", reply.body);
            assert!(reply.body.contains("Selection"), "the message names the field: {}", reply.body);
            let preview = call(&app, "serials/preview", Some(&cookie), json!({ "contract_number": MAIN, "selection": selection, "action": action })).await;
            assert_eq!(preview.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", preview.body);
        }
    }
    assert_eq!(state(foreign.id).await, foreign_before, "the other CM's serial is untouched");
    assert_eq!(state(own.id).await, own_before);
    assert_eq!(audit_count(&pool).await, before, "no audit event either");
    // The foreign serial alone is refused as not on this contract.
    let alone = apply(&app, &cookie, MAIN, &Selection::Rows(vec![(foreign.id, foreign.version).into()]), &BulkAction::Unassign).await;
    assert_eq!(alone.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", alone.body);
    assert!(alone.body.contains("not on contract 110000001"), "{}", alone.body);
}

/// Issue 9, finding 1: Undo reverses only serials of the contract it is asked on.
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r2_undo_asked_on_another_contract_finds_nothing(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let page = first_page(&app, &cookie).await;
    let outcome = applied(&app, &cookie, &rows(&page, 3), &BulkAction::RenameGroup { group_name: "Undo me".into() }).await;
    let change = outcome.change_id.expect("a change id");
    // The same CM manages 110000002: the change of 110000001 is not undone from there.
    let reply = call(&app, "serials/undo", Some(&cookie), json!({ "contract_number": "110000002", "change_id": change })).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    let still: i64 = sqlx::query_scalar("select count(*) from serial_numbers where group_name = 'Undo me'").fetch_one(&pool).await.unwrap();
    assert_eq!(still, 3);
}

/// Issue 9, finding 5 (R23): a NUL byte or an over-long text in the filter is a 422 naming the
/// field, never a server error.
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r23_a_nul_byte_or_a_novel_in_the_filter_is_refused_naming_the_field(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    for text in ["abc\u{0}def".to_string(), "x".repeat(201)] {
        let mut query = ProductsQuery::new(MAIN);
        query.filter.text = text.clone();
        let reply = call(&app, "serials/page", Some(&cookie), json!({ "query": query })).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
        assert!(reply.body.contains("Search"), "{}", reply.body);
        let selection = Selection::AllMatching { filter: query.filter.clone(), expected: 1, as_of_micros: 0 };
        let reply = apply(&app, &cookie, MAIN, &selection, &BulkAction::Unassign).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    }
    let reply = call(&app, "people/search", Some(&cookie), json!({ "contract_number": MAIN, "text": "a\u{0}" })).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    // Multi-byte text is fine.
    let mut query = ProductsQuery::new(MAIN);
    query.filter.text = "Ünïcödé 😀".into();
    assert_eq!(page_with(&app, &cookie, &query).await.total, 0);
}

/// R24 (found by the soak): assigning serials to a new person records the person's addition, as
/// Add does, besides one event per serial.
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r24_assign_to_a_new_person_records_the_addition_and_every_serial(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let page = first_page(&app, &cookie).await;
    let assignee = Assignee::New { email: "new.person@acme.example".into(), first_name: "New".into(), last_name: "Person".into() };
    let outcome = applied(&app, &cookie, &rows(&page, 3), &BulkAction::Assign { assignee }).await;
    assert_eq!(outcome.changed, 3);
    let added: i64 = sqlx::query_scalar(
        "select count(*) from audit_events a join people p on p.id = a.entity_id
          where a.entity = 'person' and a.action = 'person.add' and p.email = 'new.person@acme.example'
            and a.after ->> 'status' = 'invited'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(added, 1);
    let serials: i64 = sqlx::query_scalar("select count(*) from serial_changes where change_id = $1")
        .bind(outcome.change_id.unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(serials, 3);
}
