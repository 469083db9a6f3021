//! The Software Coordinators tab, Remove From All, support cases and changing the Contract Manager
//! (issue 4): R1-R3, R6, R7, R12, R13, R23-R25.

mod common;

use axum::http::StatusCode;
use axum::Router;
use common::*;
use serde_json::{json, Value};
use shared::coordinators::{CoordinatorsTab, RemovalImpact, SupportCase};
use shared::shipping::ShippingLocation;
use sqlx::PgPool;
use uuid::Uuid;

const MAIN: &str = "110000001";

async fn person(pool: &PgPool, email: &str) -> Uuid {
    sqlx::query_scalar("select id from people where email = $1").bind(email).fetch_one(pool).await.unwrap()
}

async fn contract_id(pool: &PgPool, number: &str) -> Uuid {
    sqlx::query_scalar("select id from contracts where contract_number = $1").bind(number).fetch_one(pool).await.unwrap()
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

async fn tab(app: &Router, cookie: &str) -> CoordinatorsTab {
    let reply = call(app, "coordinators/tab", Some(cookie), json!({ "contract_number": MAIN })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

fn berlin() -> ShippingLocation {
    ShippingLocation {
        recipient: "Goods In".into(),
        address_line1: "Hauptstraße 1".into(),
        city: "Berlin".into(),
        postal_code: "10115".into(),
        country: "DE".into(),
        ..ShippingLocation::default()
    }
}

async fn save(app: &Router, cookie: &str, people: &[Uuid], location: &ShippingLocation) -> Reply {
    call(app, "coordinators/shipping", Some(cookie), json!({ "contract_number": MAIN, "people": people, "location": location })).await
}

async fn setup(pool: &PgPool) -> (Router, String) {
    seed_small(pool).await;
    let app = app(pool.clone());
    let cookie = sign_in(&app, CM).await;
    (app, cookie)
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r12_the_tab_lists_every_coordinator_with_their_serials(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let tab = tab(&app, &cookie).await;
    assert!(tab.may_act);
    let emails: Vec<&str> = tab.coordinators.iter().map(|c| c.email.as_str()).collect();
    for sc in ["sc1@acme.example", "sc2@acme.example", "sc3@acme.example", "sc4@acme.example"] {
        assert!(emails.contains(&sc), "{emails:?}");
    }
    let explicit = count(&pool, "select count(*) from serial_numbers s join contracts c on c.id = s.contract_id where c.contract_number = '110000001' and s.coordinator_id is not null").await;
    assert_eq!(tab.coordinators.iter().map(|c| c.serials).sum::<i64>(), explicit);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r12_the_cm_sets_the_shipping_location_of_two_coordinators_at_once(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let people = [person(&pool, "sc1@acme.example").await, person(&pool, "sc2@acme.example").await];
    let reply = save(&app, &cookie, &people, &berlin()).await;
    assert_eq!((reply.status, reply.body.as_str()), (StatusCode::OK, "2"));
    let tab = tab(&app, &cookie).await;
    let mut located: Vec<&str> = tab.coordinators.iter().filter(|c| c.shipping.as_ref().is_some_and(|s| s.city == "Berlin")).map(|c| c.email.as_str()).collect();
    located.sort();
    assert_eq!(located, ["sc1@acme.example", "sc2@acme.example"]);
    assert_eq!(count(&pool, "select count(*) from audit_events where action = 'shipping_location.save'").await, 2);
    // Saving again updates in place, with the previous values in the audit trail.
    let mut moved = berlin();
    moved.city = "Potsdam".into();
    moved.postal_code = "14467".into();
    assert_eq!(save(&app, &cookie, &people[..1], &moved).await.status, StatusCode::OK);
    assert_eq!(count(&pool, "select count(*) from audit_events where action = 'shipping_location.save' and before ->> 'city' = 'Berlin' and after ->> 'city' = 'Potsdam'").await, 1);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r23_a_malformed_country_or_postal_code_is_refused_naming_the_field(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let people = [person(&pool, "sc1@acme.example").await];
    let mut bad_country = berlin();
    bad_country.country = "XX".into();
    let reply = save(&app, &cookie, &people, &bad_country).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("Country"), "{}", reply.body);
    let mut bad_postal = berlin();
    bad_postal.postal_code = "1011".into();
    let reply = save(&app, &cookie, &people, &bad_postal).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("Postal code") && reply.body.contains("Germany"), "{}", reply.body);
    let not_a_coordinator = save(&app, &cookie, &[person(&pool, "user01@acme.example").await], &berlin()).await;
    assert_eq!(not_a_coordinator.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&pool, "select count(*) from shipping_locations").await, 0, "nothing saved");
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r2_only_the_cm_edits_shipping_locations_or_removes_from_all(pool: PgPool) {
    let (app, _) = setup(&pool).await;
    let sc1 = person(&pool, "sc1@acme.example").await;
    for other in ["cm2@acme.example", "sc1@acme.example", "user01@acme.example"] {
        let cookie = sign_in(&app, other).await;
        assert!(!tab(&app, &cookie).await.may_act);
        assert_eq!(save(&app, &cookie, &[sc1], &berlin()).await.status, StatusCode::FORBIDDEN, "{other}");
        let reply = call(&app, "coordinators/remove-from-all", Some(&cookie), json!({ "contract_number": MAIN, "people": [sc1] })).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{other}");
    }
    assert_eq!(count(&pool, "select count(*) from audit_events where entity <> 'company'").await, 0, "nothing changed");
    assert_eq!(count(&pool, "select count(*) from serial_changes").await, 0, "nothing changed");
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r13_remove_from_all_reverts_every_serial_on_every_contract_and_removes_locations_and_rights(pool: PgPool) {
    let (app, cookie) = setup(&pool).await;
    let sc1 = person(&pool, "sc1@acme.example").await;
    assert_eq!(save(&app, &cookie, &[sc1], &berlin()).await.status, StatusCode::OK);
    let before = count(&pool, &format!("select count(*) from serial_numbers where coordinator_id = '{sc1}'")).await;
    let contracts = count(&pool, &format!("select count(distinct contract_id) from serial_numbers where coordinator_id = '{sc1}'")).await;
    assert!(contracts >= 2, "sc1 coordinates serials on several contracts, one of them cm2's");

    let reply = call(&app, "coordinators/removal-impact", Some(&cookie), json!({ "contract_number": MAIN, "people": [sc1] })).await;
    let impact: Vec<RemovalImpact> = serde_json::from_str(&reply.body).unwrap();
    assert_eq!((impact[0].serials, impact[0].contracts), (before, contracts));

    let reply = call(&app, "coordinators/remove-from-all", Some(&cookie), json!({ "contract_number": MAIN, "people": [sc1] })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body.contains(&format!("{before} serial numbers")), "{}", reply.body);
    assert_eq!(count(&pool, &format!("select count(*) from serial_numbers where coordinator_id = '{sc1}'")).await, 0);
    assert_eq!(count(&pool, &format!("select count(*) from shipping_locations where person_id = '{sc1}'")).await, 0);
    assert_eq!(count(&pool, &format!("select count(*) from people where id = '{sc1}' and may_manage_users")).await, 0);
    // R24: one event for the serials, sharing its change with the locations' and the rights' events,
    // and every serial given back with its values before and after.
    assert_eq!(
        count(&pool, &format!("select count(*) from audit_events where action = 'serial.remove_from_all' and (after ->> 'serials')::int8 = {before}")).await,
        1
    );
    assert_eq!(
        count(
            &pool,
            "select count(distinct change_id) from audit_events
              where action in ('serial.remove_from_all', 'shipping_location.remove_from_all', 'person.remove_from_all')"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from serial_changes sc join audit_events a on a.company_id = sc.company_id and a.change_id = sc.change_id
              where a.action = 'serial.remove_from_all' and sc.coordinator_after is null"
        )
        .await,
        before
    );
    assert_eq!(count(&pool, "select count(*) from outgoing_emails where to_address = 'sc1@acme.example'").await, 1);
    // Their history stays readable.
    assert_eq!(count(&pool, &format!("select count(*) from serial_changes where coordinator_before = '{sc1}'")).await, before);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r25_another_companys_contract_has_no_coordinators_tab(pool: PgPool) {
    let (app, _) = setup(&pool).await;
    let globex = sign_in(&app, "cm@globex.example").await;
    let reply = call(&app, "coordinators/tab", Some(&globex), json!({ "contract_number": MAIN })).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let sc1 = person(&pool, "sc1@acme.example").await;
    let reply = call(&app, "coordinators/remove-from-all", Some(&globex), json!({ "contract_number": MAIN, "people": [sc1] })).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r7_only_a_reseller_agent_changes_the_contract_manager(pool: PgPool) {
    let (app, cm) = setup(&pool).await;
    let main = contract_id(&pool, MAIN).await;
    let cm2 = person(&pool, "cm2@acme.example").await;
    for who in [CM, "cm2@acme.example", "sc1@acme.example"] {
        let cookie = sign_in(&app, who).await;
        let reply = call(&app, "reseller/change-manager", Some(&cookie), json!({ "contract_id": main, "person": cm2 })).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who}");
    }
    let agent = sign_in(&app, "agent@northwind.example").await;
    let reply = call(&app, "reseller/change-manager", Some(&agent), json!({ "contract_id": main, "person": cm2 })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    // R1: still exactly one CM; the new one sees the contract, the old one does not.
    let new_list = call(&app, "contracts/managed", Some(&sign_in(&app, "cm2@acme.example").await), json!({})).await.body;
    assert!(new_list.contains(MAIN));
    assert!(!call(&app, "contracts/managed", Some(&cm), json!({})).await.body.contains(MAIN));
    // Notices to both.
    assert_eq!(count(&pool, "select count(*) from outgoing_emails where to_address in ('cm@acme.example', 'cm2@acme.example')").await, 2);
    assert_eq!(count(&pool, "select count(*) from audit_events where action = 'contract.change_manager' and actor_agent_id is not null").await, 1);

    // A person of another company cannot be made CM.
    let globex = person(&pool, "user01@globex.example").await;
    let reply = call(&app, "reseller/change-manager", Some(&agent), json!({ "contract_id": main, "person": globex })).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r7_the_cm_asks_through_a_case_and_the_agent_approves_or_declines(pool: PgPool) {
    let (app, cm) = setup(&pool).await;
    let user01 = person(&pool, "user01@acme.example").await;
    let reply = call(&app, "contracts/request-manager-change", Some(&cm), json!({ "contract_number": MAIN, "proposed": user01, "reason": "I am leaving." })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    // Nobody but the CM may ask.
    let sc = sign_in(&app, "sc1@acme.example").await;
    let refused = call(&app, "contracts/request-manager-change", Some(&sc), json!({ "contract_number": MAIN, "proposed": user01, "reason": "" })).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let agent = sign_in(&app, "agent@northwind.example").await;
    let cases: Vec<SupportCase> = serde_json::from_str(&call(&app, "cases/list", Some(&agent), json!({})).await.body).unwrap();
    let case = cases.iter().find(|c| c.proposed_manager.as_deref().is_some_and(|p| p.contains("user01@acme.example"))).expect("the agent sees the case");
    assert_eq!(case.status, "open");
    let reply = call(&app, "reseller/resolve-case", Some(&agent), json!({ "case_id": case.id, "approve": true })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(count(&pool, &format!("select count(*) from contracts where contract_number = '{MAIN}' and manager_id = '{user01}'")).await, 1);
    let again = call(&app, "reseller/resolve-case", Some(&agent), json!({ "case_id": case.id, "approve": false })).await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // A declined request changes nothing.
    let cm2 = sign_in(&app, "cm2@acme.example").await;
    let sc2 = person(&pool, "sc2@acme.example").await;
    call(&app, "contracts/request-manager-change", Some(&cm2), json!({ "contract_number": "110000003", "proposed": sc2, "reason": "" })).await;
    let cases: Vec<SupportCase> = serde_json::from_str(&call(&app, "cases/list", Some(&agent), json!({})).await.body).unwrap();
    let second = cases.iter().find(|c| c.status == "open" && c.contract_number.as_deref() == Some("110000003")).unwrap();
    let reply = call(&app, "reseller/resolve-case", Some(&agent), json!({ "case_id": second.id, "approve": false })).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(count(&pool, "select count(*) from contracts c join people p on p.id = c.manager_id where c.contract_number = '110000003' and p.email = 'cm2@acme.example'").await, 1);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r6_a_case_is_seen_by_its_company_and_its_reseller_and_nobody_else(pool: PgPool) {
    let (app, _) = setup(&pool).await;
    // A second reseller, serving nobody here.
    let hash = app::ssr::auth::hash_password(PASSWORD);
    sqlx::query("insert into resellers (id, name) values ('00000000-0000-4000-8000-0000000000aa', 'Other Reseller')").execute(&pool).await.unwrap();
    sqlx::query("insert into reseller_agents (id, reseller_id, email, first_name, last_name, password_hash) values ('00000000-0000-4000-8000-0000000000ab', '00000000-0000-4000-8000-0000000000aa', 'agent@other.example', 'O', 'R', $1)")
        .bind(hash).execute(&pool).await.unwrap();

    let user02 = sign_in(&app, "user02@acme.example").await;
    let reply = call(&app, "cases/open", Some(&user02), json!({ "subject": "Licence missing", "body": "Where is it?" })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let bad = call(&app, "cases/open", Some(&user02), json!({ "subject": "  ", "body": "" })).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Subject"));

    let sees = |body: &str| body.contains("Licence missing");
    for who in [CM, "sc1@acme.example", "user03@acme.example", "agent@northwind.example"] {
        let cookie = sign_in(&app, who).await;
        assert!(sees(&call(&app, "cases/list", Some(&cookie), json!({})).await.body), "{who} sees it");
    }
    for who in ["cm@globex.example", "user01@globex.example", "agent@other.example"] {
        let cookie = sign_in(&app, who).await;
        let body = call(&app, "cases/list", Some(&cookie), json!({})).await.body;
        assert!(!sees(&body), "{who} must not see it");
        let cases: Value = serde_json::from_str(&body).unwrap();
        assert!(cases.as_array().unwrap().iter().all(|c| c["company"] != "Acme Engineering"), "{who}");
    }
}

/// Issue 9, finding 7: a request stays one per contract, and a request whose maker is no longer the
/// CM (the agent changed the CM directly meanwhile) cannot be approved, only declined (R1, R7).
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r7_a_stale_change_of_cm_request_cannot_be_approved_and_only_one_is_open_per_contract(pool: PgPool) {
    let (app, cm) = setup(&pool).await;
    let user01 = person(&pool, "user01@acme.example").await;
    let user02 = person(&pool, "user02@acme.example").await;
    let ask = |proposed: Uuid| json!({ "contract_number": MAIN, "proposed": proposed, "reason": "Handing over." });
    let reply = call(&app, "contracts/request-manager-change", Some(&cm), ask(user01)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let second = call(&app, "contracts/request-manager-change", Some(&cm), ask(user02)).await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.body);
    assert!(second.body.contains("already is an open request"), "{}", second.body);
    let open = "select count(*) from support_cases where kind = 'change_contract_manager' and status = 'open'";
    assert_eq!(count(&pool, open).await, 1);

    // The agent makes someone else the CM directly; the old CM's request is now stale.
    let agent = sign_in(&app, "agent@northwind.example").await;
    let sc2 = person(&pool, "sc2@acme.example").await;
    let contract = contract_id(&pool, MAIN).await;
    let reply = call(&app, "reseller/change-manager", Some(&agent), json!({ "contract_id": contract, "person": sc2 })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let case: Uuid = sqlx::query_scalar("select id from support_cases where status = 'open' and kind = 'change_contract_manager'").fetch_one(&pool).await.unwrap();
    let audit_before = count(&pool, "select count(*) from audit_events").await;
    let refused = call(&app, "reseller/resolve-case", Some(&agent), json!({ "case_id": case, "approve": true })).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body.contains("no longer the Contract Manager"), "{}", refused.body);
    assert_eq!(count(&pool, &format!("select count(*) from contracts where id = '{contract}' and manager_id = '{sc2}'")).await, 1, "R1: the CM stays");
    assert_eq!(count(&pool, "select count(*) from audit_events").await, audit_before, "nothing changed");
    let declined = call(&app, "reseller/resolve-case", Some(&agent), json!({ "case_id": case, "approve": false })).await;
    assert_eq!(declined.status, StatusCode::OK, "{}", declined.body);
}

/// Issue 9, finding 5 (R23): a multi-byte postal code once dropped the connection (byte slicing);
/// a NUL byte in a support case once answered 500. Both are 422s naming the field.
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r23_multi_byte_postal_codes_and_nul_bytes_are_refused_naming_the_field(pool: PgPool) {
    let (app, cm) = setup(&pool).await;
    let sc1 = person(&pool, "sc1@acme.example").await;
    for (country, code) in [("NL", "123é5"), ("US", "1234é6789"), ("GB", "SW1A 1Aé")] {
        let location = ShippingLocation { country: country.into(), postal_code: code.into(), ..berlin() };
        let reply = save(&app, &cm, &[sc1], &location).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{country} {code}: {}", reply.body);
        assert!(reply.body.contains("Postal code"), "{}", reply.body);
    }
    let location = ShippingLocation { city: "Ber\u{0}lin".into(), ..berlin() };
    let reply = save(&app, &cm, &[sc1], &location).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    assert!(reply.body.contains("City"), "{}", reply.body);
    let cases = count(&pool, "select count(*) from support_cases").await;
    for (subject, body, field) in [("Help\u{0}", "", "Subject"), ("Help", "text\u{0}", "Text")] {
        let reply = call(&app, "cases/open", Some(&cm), json!({ "subject": subject, "body": body })).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
        assert!(reply.body.contains(field), "{}", reply.body);
    }
    assert_eq!(count(&pool, "select count(*) from support_cases").await, cases, "nothing was opened");
}
