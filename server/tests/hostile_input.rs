//! Hostile input (issue 9, "Proof to build"; R23, R25): every registered server function is fed
//! arbitrary values of its input type (duplicated ids, 20,000 ids, empty lists, random and foreign
//! ids, NUL and multi-byte text, 10,000-character fields, negative and huge numbers) and malformed
//! requests (missing arguments, wrong JSON types, garbage bodies), as the caller with the most rights
//! (cm@acme.example: the CM of 110000001 and a user manager; the reseller agent for the reseller's
//! functions). Whatever comes in:
//!
//! - never a 5xx, never a panic or a body that breaks off (a dropped connection for a browser);
//! - a 4xx changes nothing (every record table is fingerprinted before and after);
//! - a 400 names the argument that did not decode, and a 422 names fields the function has.
//!
//! Values come from proptest strategies driven by a `TestRunner` inside the async test, with a fixed
//! seed so CI sees the same cases each run (`HOSTILE_CASES=200` runs more of them locally).

mod common;

use axum::http::StatusCode;
use axum::Router;
use common::*;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

const MAIN: &str = "110000001";
const AGENT: &str = "agent@northwind.example";

type S = BoxedStrategy<Value>;

/// The ids a hostile caller might send: ours, another company's, and made-up ones.
#[derive(Clone, Debug)]
struct Pools {
    acme_people: Vec<Uuid>,
    globex_people: Vec<Uuid>,
    main_serials: Vec<Uuid>,
    /// Serials of Acme's other contracts (one of them cm2@'s): R2.
    other_serials: Vec<Uuid>,
    globex_serials: Vec<Uuid>,
    services: Vec<Uuid>,
    contracts: Vec<Uuid>,
    emails: Vec<Uuid>,
    cases: Vec<Uuid>,
    changes: Vec<Uuid>,
    products: Vec<Uuid>,
    acme_emails: Vec<String>,
}

impl Pools {
    fn everything(&self) -> Vec<Uuid> {
        [&self.acme_people, &self.globex_people, &self.main_serials, &self.other_serials, &self.globex_serials, &self.services, &self.contracts, &self.emails, &self.cases, &self.changes, &self.products]
            .into_iter()
            .flatten()
            .copied()
            .collect()
    }

    fn people(&self) -> Vec<Uuid> {
        self.acme_people.iter().chain(&self.globex_people).copied().collect()
    }
}

async fn ids(pool: &PgPool, sql: &str) -> Vec<Uuid> {
    sqlx::query_scalar(sql).fetch_all(pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Seeds, signs in, and gives the hostile caller something to aim at: failed emails, open
/// change-of-CM cases and undoable changes (one of them a Remove From All), next to the demo's people, serials and services.
async fn setup(pool: &PgPool, caller: &str) -> (Router, String, Pools) {
    seed_small(pool).await;
    let app = app(pool.clone());
    let cookie = sign_in(&app, caller).await;
    sqlx::query(
        "insert into outgoing_emails (company_id, id, to_address, subject, body_text, status, attempts, last_error)
         select p.company_id, gen_random_uuid(), p.email, 'Hostile', 'Hello', 'failed', 8, 'refused'
           from people p where p.email in ('user05@acme.example', 'user06@acme.example', 'user05@globex.example')",
    )
    .execute(pool)
    .await
    .unwrap();
    // An open change-of-CM case on each of cm@acme's contracts and on one of Globex's (R7).
    sqlx::query(
        "insert into support_cases (company_id, id, contract_id, opened_by, kind, subject, body, proposed_manager_id)
         select c.company_id, gen_random_uuid(), c.id, c.manager_id, 'change_contract_manager', 'Hostile: a new CM', '',
                (select p.id from people p where p.company_id = c.company_id and p.email like 'user03@%')
           from contracts c where c.contract_number in ('110000001', '110000002', '220000001')",
    )
    .execute(pool)
    .await
    .unwrap();
    // Two changes to undo, made by the CM (when the caller is the CM; the agent has none).
    let mut changes = Vec::new();
    if caller == CM {
        for n in 0..2 {
            let rows: Vec<(Uuid, i64)> = sqlx::query_as(
                "select s.id, s.version from serial_numbers s join contracts c on c.id = s.contract_id
                  where c.contract_number = $1 order by s.serial limit 3 offset $2",
            )
            .bind(MAIN)
            .bind(n * 3)
            .fetch_all(pool)
            .await
            .unwrap();
            let args = json!({ "contract_number": MAIN, "selection": { "Rows": rows }, "action": { "RenameGroup": { "group_name": format!("Hostile {n}") } } });
            let reply = call(&app, "serials/apply", Some(&cookie), args).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            let outcome: Value = serde_json::from_str(&reply.body).unwrap();
            changes.push(serde_json::from_value(outcome["change_id"].clone()).unwrap());
        }
        // And a Remove From All, whose change spans every contract of the company (R13): undoing
        // it through one contract must not touch the others (R2).
        let sc4: Uuid = sqlx::query_scalar("select id from people where email = 'sc4@acme.example'").fetch_one(pool).await.unwrap();
        let reply = call(&app, "coordinators/remove-from-all", Some(&cookie), json!({ "contract_number": MAIN, "people": [sc4] })).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        changes.extend(ids(pool, "select distinct change_id from audit_events where action = 'serial.remove_from_all'").await);
    }
    let serials_of = |numbers: &str| format!("select s.id from serial_numbers s join contracts c on c.id = s.contract_id where c.contract_number in ({numbers}) order by s.serial limit 40");
    let pools = Pools {
        acme_people: ids(pool, "select id from people where email like '%@acme.example' order by email").await,
        globex_people: ids(pool, "select id from people where email like '%@globex.example' order by email").await,
        main_serials: ids(pool, &serials_of("'110000001'")).await,
        other_serials: ids(pool, &serials_of("'110000002', '110000003'")).await,
        globex_serials: ids(pool, &serials_of("'220000001', '220000002'")).await,
        services: ids(pool, "select id from cloud_services order by id").await,
        contracts: ids(pool, "select id from contracts order by contract_number").await,
        emails: ids(pool, "select id from outgoing_emails order by id").await,
        cases: ids(pool, "select id from support_cases order by id").await,
        changes,
        products: ids(pool, "select id from products order by id").await,
        acme_emails: sqlx::query_scalar("select email from people where email like '%@acme.example' order by email").fetch_all(pool).await.unwrap(),
    };
    (app, cookie, pools)
}

// ---- Strategies of hostile values ----

/// Text as people and attackers type it: plain, empty, NUL, control characters, combining marks,
/// right-to-left marks, emoji, and fields of 10,000 characters.
fn text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 .,@'-]{0,30}",
        2 => any::<String>(),
        2 => proptest::collection::vec(any::<char>(), 0..40).prop_map(String::from_iter),
        1 => Just(String::new()),
        1 => Just("   \t ".to_string()),
        2 => "[a-z]{0,6}".prop_map(|s| format!("{s}\u{0}{s}")),
        2 => (select(vec!["é", "😀", "\u{202E}", "\u{200F}", "שלום", "ß", "İ", "\u{FEFF}", "e\u{301}", "\u{10FFFF}", "\u{7}", "%_\\"]), 1..60usize)
            .prop_map(|(s, n)| s.repeat(n)),
        1 => Just("x".repeat(10_000)),
        1 => Just("😀".repeat(10_000)),
        1 => Just("a\u{0}".repeat(5_000)),
    ]
    .boxed()
}

fn jtext() -> S {
    text().prop_map(Value::from).boxed()
}

fn email(p: &Pools) -> S {
    prop_oneof![
        3 => "[a-z]{1,10}\\.[a-z]{1,10}@acme\\.example",
        1 => "[a-z]{1,8}@[a-z]{1,8}\\.(com|io)",
        1 => select(p.acme_emails.clone()),
        1 => select(p.acme_emails.clone()).prop_map(|e| e.to_uppercase()),
        1 => Just("ann\u{0}@x.io".to_string()),
        1 => Just("é😀@x.io".to_string()),
        1 => Just(format!("{}@x.io", "a".repeat(300))),
        3 => text(),
    ]
    .prop_map(Value::from)
    .boxed()
}

fn uuid_in(pool: Vec<Uuid>, p: &Pools) -> BoxedStrategy<Uuid> {
    let pool = if pool.is_empty() { vec![Uuid::nil()] } else { pool };
    prop_oneof![
        5 => select(pool),
        2 => select(p.everything()),
        2 => any::<u128>().prop_map(Uuid::from_u128),
        1 => Just(Uuid::nil()),
        1 => Just(Uuid::from_u128(u128::MAX)),
    ]
    .boxed()
}

fn juuid_in(pool: Vec<Uuid>, p: &Pools) -> S {
    uuid_in(pool, p).prop_map(|u| json!(u)).boxed()
}

/// 20,000 ids: made-up ones with some of ours among them.
fn huge_list(pool: &[Uuid]) -> Vec<Uuid> {
    (0..20_000u128)
        .map(|i| if i % 1000 == 0 && !pool.is_empty() { pool[(i / 1000) as usize % pool.len()] } else { Uuid::from_u128(0x4000_8000_0000_0000_0000_0000 ^ (i * 7919 + 1)) })
        .collect()
}

fn uuid_list(pool: Vec<Uuid>, p: &Pools) -> S {
    let one = uuid_in(pool.clone(), p);
    prop_oneof![
        1 => Just(vec![]),
        5 => proptest::collection::vec(one.clone(), 1..8),
        2 => (one.clone(), 2..60usize).prop_map(|(u, n)| vec![u; n]),
        2 => (one.clone(), one).prop_map(|(a, b)| vec![a, a, b]),
        1 => Just(huge_list(&pool)),
    ]
    .prop_map(|list| json!(list))
    .boxed()
}

fn u32v() -> S {
    prop_oneof![Just(0u32), Just(1u32), Just(2u32), Just(u32::MAX), any::<u32>()].prop_map(|n| json!(n)).boxed()
}

fn i64v() -> S {
    prop_oneof![Just(0i64), Just(-1i64), Just(i64::MIN), Just(i64::MAX), any::<i64>()].prop_map(|n| json!(n)).boxed()
}

fn boolv() -> S {
    any::<bool>().prop_map(Value::from).boxed()
}

/// An object of named arguments (or fields).
fn obj(fields: Vec<(&'static str, S)>) -> S {
    let (names, strategies): (Vec<&'static str>, Vec<S>) = fields.into_iter().unzip();
    strategies
        .prop_map(move |values| Value::Object(names.iter().map(|n| n.to_string()).zip(values).collect()))
        .boxed()
}

fn nullable(s: S) -> S {
    prop_oneof![1 => Just(Value::Null), 2 => s].boxed()
}

fn contract_number() -> S {
    prop_oneof![
        8 => Just(MAIN.to_string()),
        1 => Just("110000002".to_string()),
        1 => Just("110000003".to_string()),
        1 => Just("220000001".to_string()),
        1 => Just(format!(" {MAIN} ")),
        2 => text(),
    ]
    .prop_map(Value::from)
    .boxed()
}

fn serial_filter(p: &Pools) -> S {
    obj(vec![
        ("text", prop_oneof![2 => Just(json!("")), 1 => Just(json!("100")), 3 => jtext()].boxed()),
        ("product", nullable(juuid_in(p.products.clone(), p))),
        (
            "group",
            nullable(prop_oneof![Just(json!({ "Named": "Site office" })), Just(json!("NoGroup")), jtext().prop_map(|g| json!({ "Named": g }))].boxed()),
        ),
        (
            "coordinator",
            nullable(prop_oneof![Just(json!("ContractManagerByDefault")), juuid_in(p.acme_people.clone(), p).prop_map(|u| json!({ "Person": u }))].boxed()),
        ),
    ])
}

fn products_query(p: &Pools) -> S {
    obj(vec![
        ("contract_number", contract_number()),
        ("filter", serial_filter(p)),
        ("sort", select(vec!["Serial", "Product", "LicenceType", "Quantity", "Group", "Coordinator"]).prop_map(Value::from).boxed()),
        ("descending", boolv()),
        ("page", u32v()),
        ("page_size", prop_oneof![select(vec![25u32, 50, 100, 200]).prop_map(|n| json!(n)), u32v()].boxed()),
    ])
}

/// A row of a selection: `"@version:<id>"` is replaced by the row's version at the time of the call,
/// so rows are often current and the action goes all the way to the database.
fn selection_row(p: &Pools) -> S {
    let current = |ids: Vec<Uuid>| select(ids).prop_map(|id| (id, json!(format!("@version:{id}"))));
    let row = prop_oneof![
        5 => current(p.main_serials.clone()),
        1 => (select(p.main_serials.clone()), any::<i64>()).prop_map(|(id, v)| (id, json!(v))),
        2 => current(p.other_serials.clone()),
        1 => current(p.globex_serials.clone()),
        1 => (any::<u128>(), any::<i64>()).prop_map(|(id, v)| (Uuid::from_u128(id), json!(v))),
    ];
    // A row as the browser sends it, `[id, version]`; now and then as an object, which is refused.
    (row, proptest::bool::weighted(0.1))
        .prop_map(|((id, version), as_object)| if as_object { json!({ "id": id, "version": version }) } else { json!([id, version]) })
        .boxed()
}

fn selection(p: &Pools) -> S {
    let row = selection_row(p);
    let huge: Vec<Value> = huge_list(&p.main_serials).into_iter().map(|id| json!([id, 1])).collect();
    let rows = prop_oneof![
        1 => Just(vec![]),
        5 => proptest::collection::vec(row.clone(), 1..6),
        2 => (row.clone(), 2..5usize).prop_map(|(r, n)| vec![r; n]),
        // Issue 9, item 1: a row twice and a row of another contract.
        2 => (row.clone(), row).prop_map(|(a, b)| vec![a.clone(), a, b]),
        1 => Just(huge),
    ];
    prop_oneof![
        4 => rows.prop_map(|rows| json!({ "Rows": rows })),
        // "@count": the count and clock of a fresh page of this filter, filled in at call time.
        1 => serial_filter(p).prop_map(|f| json!({ "AllMatching": { "filter": f, "expected": "@count", "as_of_micros": "@now" } })),
        1 => (serial_filter(p), prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>()], i64v())
            .prop_map(|(f, e, a)| json!({ "AllMatching": { "filter": f, "expected": e, "as_of_micros": a } })),
    ]
    .boxed()
}

fn bulk_action(p: &Pools) -> S {
    prop_oneof![
        3 => jtext().prop_map(|g| json!({ "RenameGroup": { "group_name": g } })),
        2 => juuid_in(p.acme_people.clone(), p).prop_map(|u| json!({ "Assign": { "assignee": { "Existing": u } } })),
        2 => (email(p), jtext(), jtext()).prop_map(|(e, f, l)| json!({ "Assign": { "assignee": { "New": { "email": e, "first_name": f, "last_name": l } } } })),
        1 => Just(json!("Unassign")),
    ]
    .boxed()
}

fn people_filter() -> S {
    obj(vec![
        ("search", jtext()),
        ("status", nullable(select(vec!["Active", "Invited", "InvitationExpired"]).prop_map(Value::from).boxed())),
        ("role", nullable(select(vec!["ContractManager", "SoftwareCoordinator", "User"]).prop_map(Value::from).boxed())),
        ("with_services", nullable(boolv())),
    ])
}

fn bulk_text(p: &Pools) -> S {
    let entry = prop_oneof![
        3 => "[a-z]{1,8}\\.[a-z]{1,8}@acme\\.example",
        2 => ("[A-Z][a-z]{1,8}", "[A-Z][a-z]{1,8}", "[a-z]{1,8}").prop_map(|(f, l, e)| format!("{f} {l} <{e}@acme.example>")),
        1 => select(p.acme_emails.clone()),
        2 => text(),
    ];
    prop_oneof![
        3 => proptest::collection::vec(entry, 0..20).prop_map(|e| e.join("; ")),
        2 => text(),
        1 => Just((0..5_000).map(|i| format!("hostile{i}@acme.example")).collect::<Vec<_>>().join(";")),
        1 => Just((0..6_000).map(|i| format!("p{i}@acme.example")).collect::<Vec<_>>().join(";")),
        1 => Just(";".repeat(100_000)),
    ]
    .prop_map(Value::from)
    .boxed()
}

fn shipping_location() -> S {
    let field = |good: &'static str| prop_oneof![3 => Just(good.to_string()), 2 => text()].prop_map(Value::from).boxed();
    obj(vec![
        ("recipient", field("Goods In")),
        ("address_line1", field("Hauptstraße 1")),
        ("address_line2", field("")),
        ("city", field("Berlin")),
        ("region", field("")),
        ("postal_code", prop_oneof![2 => "[0-9]{4,5}", 1 => Just("1011 AB".to_string()), 1 => Just("123é5".to_string()), 1 => Just("K1A 0Bé".to_string()), 2 => text()].prop_map(Value::from).boxed()),
        ("country", prop_oneof![3 => select(vec!["DE", "NL", "US", "GB", "CA", "JP", "de"]).prop_map(String::from), 1 => text()].prop_map(Value::from).boxed()),
        ("phone", field("+49 30 123456")),
    ])
}

/// A server function's arguments, the caller who calls it, and the fields a 422 may name.
struct Endpoint {
    name: &'static str,
    caller: &'static str,
    /// The labels (and argument names) of the function's fields, compared by their letters and
    /// digits only, case-insensitively ("Group name" = "group_name").
    fields: &'static [&'static str],
    args: fn(&Pools) -> S,
}

const SERIAL_FIELDS: &[&str] = &[
    "contract_number", "contract", "selection", "action", "group_name", "group", "assignee", "person", "email", "first_name",
    "last_name", "filter", "search", "expected", "as_of_micros",
];

const ENDPOINTS: &[Endpoint] = &[
    Endpoint { name: "viewer", caller: CM, fields: &[], args: |_| Just(json!({})).boxed() },
    Endpoint { name: "contracts/managed", caller: CM, fields: &[], args: |_| Just(json!({})).boxed() },
    Endpoint {
        name: "serials/page",
        caller: CM,
        fields: &["query", "contract_number", "contract", "filter", "search", "product", "group", "coordinator", "sort", "page", "page_size"],
        args: |p| obj(vec![("query", products_query(p))]),
    },
    Endpoint {
        name: "serials/preview",
        caller: CM,
        fields: SERIAL_FIELDS,
        args: |p| obj(vec![("contract_number", contract_number()), ("selection", selection(p)), ("action", bulk_action(p))]),
    },
    Endpoint {
        name: "serials/apply",
        caller: CM,
        fields: SERIAL_FIELDS,
        args: |p| obj(vec![("contract_number", contract_number()), ("selection", selection(p)), ("action", bulk_action(p))]),
    },
    Endpoint {
        name: "serials/undo",
        caller: CM,
        fields: &["contract_number", "contract", "change_id", "change"],
        args: |p| obj(vec![("contract_number", contract_number()), ("change_id", juuid_in(p.changes.clone(), p))]),
    },
    Endpoint {
        name: "people/search",
        caller: CM,
        fields: &["contract_number", "contract", "text", "search"],
        args: |_| obj(vec![("contract_number", contract_number()), ("text", jtext())]),
    },
    Endpoint {
        name: "people/list",
        caller: CM,
        fields: &["filter", "search", "status", "role", "with_services", "page"],
        args: |_| obj(vec![("filter", people_filter()), ("page", u32v())]),
    },
    Endpoint {
        name: "people/add",
        caller: CM,
        fields: &["email", "first_name", "last_name"],
        args: |p| obj(vec![("email", email(p)), ("first_name", jtext()), ("last_name", jtext())]),
    },
    Endpoint { name: "people/bulk-preview", caller: CM, fields: &["text", "people"], args: |p| obj(vec![("text", bulk_text(p))]) },
    Endpoint { name: "people/bulk-add", caller: CM, fields: &["text", "people"], args: |p| obj(vec![("text", bulk_text(p))]) },
    Endpoint {
        name: "invitations/link",
        caller: CM,
        fields: &["token"],
        args: |_| obj(vec![("token", prop_oneof![Just(json!("0".repeat(64))), "[0-9a-f]{0,80}".prop_map(Value::from), jtext()].boxed())]),
    },
    Endpoint { name: "invitations/resend", caller: CM, fields: &["person"], args: |p| obj(vec![("person", juuid_in(p.people(), p))]) },
    Endpoint { name: "dev/mailbox", caller: CM, fields: &[], args: |_| Just(json!({})).boxed() },
    Endpoint { name: "people/remove", caller: CM, fields: &["person"], args: |p| obj(vec![("person", juuid_in(p.people(), p))]) },
    Endpoint { name: "access/get", caller: CM, fields: &["person"], args: |p| obj(vec![("person", juuid_in(p.people(), p))]) },
    Endpoint {
        name: "access/set",
        caller: CM,
        fields: &["person", "services", "service"],
        args: |p| obj(vec![("person", juuid_in(p.people(), p)), ("services", uuid_list(p.services.clone(), p))]),
    },
    Endpoint {
        name: "people/privilege",
        caller: CM,
        fields: &["person", "privilege", "granted"],
        args: |p| {
            obj(vec![
                ("person", juuid_in(p.people(), p)),
                ("privilege", select(vec!["ManageUsers", "Download"]).prop_map(Value::from).boxed()),
                ("granted", boolv()),
            ])
        },
    },
    Endpoint { name: "invitations/expiring", caller: CM, fields: &[], args: |_| Just(json!({})).boxed() },
    Endpoint {
        name: "invitations/resend-many",
        caller: CM,
        fields: &["people", "selection", "person"],
        args: |p| obj(vec![("people", uuid_list(p.people(), p))]),
    },
    Endpoint { name: "emails/list", caller: CM, fields: &[], args: |_| Just(json!({})).boxed() },
    Endpoint {
        name: "emails/send-again",
        caller: CM,
        fields: &["emails", "email", "selection"],
        args: |p| obj(vec![("emails", nullable(uuid_list(p.emails.clone(), p)))]),
    },
    Endpoint { name: "history", caller: CM, fields: &["page"], args: |_| obj(vec![("page", u32v())]) },
    Endpoint {
        name: "coordinators/tab",
        caller: CM,
        fields: &["contract_number", "contract"],
        args: |_| obj(vec![("contract_number", contract_number())]),
    },
    Endpoint {
        name: "coordinators/shipping",
        caller: CM,
        fields: &[
            "contract_number", "contract", "people", "selection", "location", "recipient", "address_line1", "address line 1",
            "address_line2", "address line 2", "city", "region", "postal_code", "country", "phone",
        ],
        args: |p| {
            obj(vec![("contract_number", contract_number()), ("people", uuid_list(p.people(), p)), ("location", shipping_location())])
        },
    },
    Endpoint {
        name: "coordinators/removal-impact",
        caller: CM,
        fields: &["contract_number", "contract", "people", "selection"],
        args: |p| obj(vec![("contract_number", contract_number()), ("people", uuid_list(p.people(), p))]),
    },
    Endpoint {
        name: "coordinators/remove-from-all",
        caller: CM,
        fields: &["contract_number", "contract", "people", "selection"],
        args: |p| obj(vec![("contract_number", contract_number()), ("people", uuid_list(p.people(), p))]),
    },
    Endpoint {
        name: "contracts/request-manager-change",
        caller: CM,
        fields: &["contract_number", "contract", "proposed", "new contract manager", "reason", "text"],
        args: |p| obj(vec![("contract_number", contract_number()), ("proposed", juuid_in(p.people(), p)), ("reason", jtext())]),
    },
    Endpoint { name: "reseller/contracts", caller: AGENT, fields: &[], args: |_| Just(json!({})).boxed() },
    Endpoint {
        name: "reseller/change-manager",
        caller: AGENT,
        fields: &["contract_id", "contract", "person", "contract manager"],
        args: |p| obj(vec![("contract_id", juuid_in(p.contracts.clone(), p)), ("person", juuid_in(p.people(), p))]),
    },
    Endpoint {
        name: "reseller/resolve-case",
        caller: AGENT,
        fields: &["case_id", "case", "approve"],
        args: |p| obj(vec![("case_id", juuid_in(p.cases.clone(), p)), ("approve", boolv())]),
    },
    Endpoint { name: "cases/list", caller: CM, fields: &[], args: |_| Just(json!({})).boxed() },
    Endpoint {
        name: "cases/open",
        caller: CM,
        fields: &["subject", "body", "text"],
        args: |_| obj(vec![("subject", jtext()), ("body", jtext())]),
    },
];

// ---- Malformed requests ----

/// What is done to a well-typed body before it is sent.
#[derive(Debug, Clone)]
enum Mutation {
    None,
    /// Removes one key or array element, at any depth.
    Remove(Index),
    /// Gives one value, at any depth, another JSON type or an out-of-range number.
    Retype(Index, Value),
    /// Replaces the whole body.
    Garbage(Vec<u8>),
}

fn mutation() -> BoxedStrategy<Mutation> {
    let wrong = prop_oneof![
        Just(json!(-1)),
        Just(json!(4_294_967_296u64)),
        Just(json!(18_446_744_073_709_551_615u64)),
        Just(json!(-9_223_372_036_854_775_808i64)),
        Just(json!(1.5)),
        Just(json!(1e300)),
        Just(json!("x")),
        Just(json!("not-a-uuid")),
        Just(json!("")),
        Just(Value::Null),
        Just(json!([])),
        Just(json!({})),
        Just(json!(true)),
        Just(json!({ "NoSuchVariant": {} })),
    ];
    let garbage = prop_oneof![
        Just(Vec::new()),
        Just(b"null".to_vec()),
        Just(b"[]".to_vec()),
        Just(b"42".to_vec()),
        Just(b"\"text\"".to_vec()),
        Just(b"{".to_vec()),
        Just(b"{\"a\":".to_vec()),
        Just("[".repeat(100_000).into_bytes()),
        Just(b"\x00\xff\xfe".to_vec()),
        any::<String>().prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..200),
    ];
    prop_oneof![
        10 => Just(Mutation::None),
        3 => any::<Index>().prop_map(Mutation::Remove),
        4 => (any::<Index>(), wrong).prop_map(|(i, v)| Mutation::Retype(i, v)),
        3 => garbage.prop_map(Mutation::Garbage),
    ]
    .boxed()
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    At(usize),
}

/// Every path into the value (the first three elements of each array only).
fn paths(value: &Value, prefix: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(Seg::Key(key.clone()));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate().take(3) {
                prefix.push(Seg::At(i));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn parent_mut<'a>(value: &'a mut Value, path: &[Seg]) -> &'a mut Value {
    path.iter().fold(value, |v, seg| match seg {
        Seg::Key(k) => &mut v[k.as_str()],
        Seg::At(i) => &mut v[*i],
    })
}

/// Applies the mutation: the body to send, what was done, and the argument names a 400 must name.
fn mutate(args: &Value, mutation: &Mutation) -> (Vec<u8>, String, Vec<String>) {
    let mut all = Vec::new();
    paths(args, &mut Vec::new(), &mut all);
    let keys = |path: &[Seg]| path.iter().filter_map(|s| if let Seg::Key(k) = s { Some(k.clone()) } else { None }).collect::<Vec<_>>();
    let show = |path: &[Seg]| path.iter().map(|s| match s { Seg::Key(k) => format!(".{k}"), Seg::At(i) => format!("[{i}]") }).collect::<String>();
    match mutation {
        Mutation::Remove(index) if !all.is_empty() => {
            let path = index.get(&all).clone();
            let mut value = args.clone();
            let (last, parent) = path.split_last().unwrap();
            match (parent_mut(&mut value, parent), last) {
                (Value::Object(map), Seg::Key(k)) => {
                    map.remove(k);
                }
                (Value::Array(items), Seg::At(i)) => {
                    items.remove(*i);
                }
                _ => {}
            }
            (value.to_string().into_bytes(), format!("removed {}", show(&path)), keys(&path))
        }
        Mutation::Retype(index, wrong) if !all.is_empty() => {
            let path = index.get(&all).clone();
            let mut value = args.clone();
            let replaced = std::mem::replace(parent_mut(&mut value, &path), wrong.clone());
            // Naming a field inside what was replaced (`missing field group_name`) names it too.
            let mut inside = Vec::new();
            paths(&replaced, &mut Vec::new(), &mut inside);
            let mut names = keys(&path);
            names.extend(inside.iter().flat_map(|p| keys(p)).take(20));
            (value.to_string().into_bytes(), format!("{} = {wrong}", show(&path)), names)
        }
        Mutation::Garbage(bytes) => (bytes.clone(), "a garbage body".into(), vec![]),
        _ => (args.to_string().into_bytes(), "well-typed".into(), vec![]),
    }
}

/// Letters and digits only, lower case: "Group name", "group_name" and "groupName" compare equal.
fn letters(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

// ---- Placeholders filled in at call time ----

fn collect_versions(value: &Value, out: &mut Vec<Uuid>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix("@version:").and_then(|id| Uuid::parse_str(id).ok()) {
                out.push(id);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_versions(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_versions(v, out)),
        _ => {}
    }
}

fn fill_versions(value: &mut Value, versions: &HashMap<Uuid, i64>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix("@version:").and_then(|id| Uuid::parse_str(id).ok()) {
                *value = json!(versions.get(&id).copied().unwrap_or(1));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| fill_versions(v, versions)),
        Value::Object(map) => map.values_mut().for_each(|v| fill_versions(v, versions)),
        _ => {}
    }
}

async fn resolve(app: &Router, cookie: &str, pool: &PgPool, mut args: Value) -> Value {
    let mut wanted = Vec::new();
    collect_versions(&args, &mut wanted);
    if !wanted.is_empty() {
        let versions: HashMap<Uuid, i64> = sqlx::query_as::<_, (Uuid, i64)>("select id, version from serial_numbers where id = any($1)")
            .bind(&wanted)
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
        fill_versions(&mut args, &versions);
    }
    let contract = args["contract_number"].clone();
    if let Some(all) = args.pointer_mut("/selection/AllMatching") {
        if all["expected"] == json!("@count") {
            let query = json!({ "contract_number": contract, "filter": all["filter"].clone(), "sort": "Serial", "descending": false, "page": 1, "page_size": 25 });
            let reply = call(app, "serials/page", Some(cookie), json!({ "query": query })).await;
            let page: Value = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
            all["expected"] = page.get("total").cloned().unwrap_or(json!(0));
            all["as_of_micros"] = page.get("as_of_micros").cloned().unwrap_or(json!(0));
        }
    }
    args
}

/// A fingerprint of every serial that is not on the contract the arguments name (all of them when
/// the number names no contract).
async fn outside_contract(pool: &PgPool, args: &Value) -> String {
    let number = args["contract_number"].as_str().unwrap_or_default().trim().to_string();
    let contracts: Vec<(Uuid, String)> = sqlx::query_as("select id, contract_number from contracts").fetch_all(pool).await.unwrap();
    let named: Vec<Uuid> = contracts.into_iter().filter(|c| c.1 == number).map(|c| c.0).collect();
    sqlx::query_scalar(
        "select md5(coalesce(string_agg(s::text, '|' order by s::text), '')) from serial_numbers s where s.contract_id <> all($1)",
    )
    .bind(&named)
    .fetch_one(pool)
    .await
    .unwrap()
}

// ---- The property ----

fn cases() -> u32 {
    std::env::var("HOSTILE_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(32)
}

async fn survive_hostile_input(pool: PgPool, name: &str) {
    let started = std::time::Instant::now();
    let endpoint = ENDPOINTS.iter().find(|e| e.name == name).unwrap_or_else(|| panic!("no strategy for {name}"));
    let (app, cookie, pools) = setup(&pool, endpoint.caller).await;
    let strategy = ((endpoint.args)(&pools), mutation());
    let mut runner = TestRunner::new_with_rng(Config { cases: cases(), ..Config::default() }, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let allowed: BTreeSet<String> = endpoint.fields.iter().map(|f| letters(f)).collect();
    let mut failures: Vec<String> = Vec::new();
    let mut statuses: BTreeMap<u16, u32> = BTreeMap::new();

    for case in 0..cases() {
        let (args, mutation) = strategy.new_tree(&mut runner).expect("a hostile case").current();
        let args = resolve(&app, &cookie, &pool, args).await;
        let (body, what, names) = mutate(&args, &mutation);
        let shown = clip(&String::from_utf8_lossy(&body), 400);
        let before = snapshot(&pool).await;
        let (globex_before, others_before) = (company_fingerprint(&pool, "Globex Architects").await, outside_contract(&pool, &args).await);
        let reply = try_send(&app, post(&format!("/api/{name}"), Some(&cookie), "application/json", body)).await;
        let after = snapshot(&pool).await;
        let cell = format!("{name} case {case} ({what})");
        // R25: Acme's CM never changes anything of Globex's, whatever the answer.
        if endpoint.caller == CM && company_fingerprint(&pool, "Globex Architects").await != globex_before {
            failures.push(format!("R25 {cell}: Acme's CM changed Globex's records; input {shown}"));
        }
        // R2: a bulk action or its undo changes serials of the contract it names, no others.
        if matches!(name, "serials/apply" | "serials/undo") && outside_contract(&pool, &args).await != others_before {
            failures.push(format!("R2 {cell}: changed serials outside contract {}; input {shown}", args["contract_number"]));
        }
        let reply = match reply {
            Ok(reply) => reply,
            Err(error) => {
                failures.push(format!("{cell}: {error}; input {shown}"));
                continue;
            }
        };
        let status = reply.status;
        *statuses.entry(status.as_u16()).or_default() += 1;
        let error: Option<Value> = serde_json::from_str(&reply.body).ok();
        let bad_request = error.as_ref().is_some_and(|e| e.get("BadRequest").is_some());
        if status.is_server_error() {
            failures.push(format!("{cell}: answered {status}: {}; input {shown}", clip(&reply.body, 300)));
            if !bad_request {
                continue;
            }
        }
        // A request that could not be read is a 400, whatever status it wrongly travelled with.
        let status = if bad_request { StatusCode::BAD_REQUEST } else { status };
        if status.is_client_error() {
            let changed = changed_tables(&before, &after);
            if !changed.is_empty() {
                failures.push(format!("{cell}: answered {status} yet changed {}; input {shown}", changed.join(", ")));
            }
        }
        match status {
            // R23: a request that could not be read says which argument.
            StatusCode::BAD_REQUEST if !names.is_empty() => {
                let said = letters(&reply.body);
                if !names.iter().any(|n| said.contains(&letters(n))) {
                    failures.push(format!("{cell}: the 400 does not name the argument ({}): {}; input {shown}", names.join(" or "), clip(&reply.body, 300)));
                }
            }
            // R23: a refused value names the field, and only fields this function has.
            StatusCode::UNPROCESSABLE_ENTITY => {
                let fields: Option<Vec<String>> = error
                    .as_ref()
                    .and_then(|e| e.get("Invalid"))
                    .and_then(|list| list.as_array())
                    .map(|list| list.iter().map(|e| e["field"].as_str().unwrap_or_default().to_string()).collect());
                match fields {
                    Some(fields) if !fields.is_empty() => {
                        let strange: Vec<&String> = fields.iter().filter(|f| !allowed.contains(&letters(f))).collect();
                        if !strange.is_empty() {
                            failures.push(format!("{cell}: the 422 names {strange:?}, not a field of {name}: {}; input {shown}", clip(&reply.body, 300)));
                        }
                    }
                    _ => failures.push(format!("{cell}: the 422 names no field: {}; input {shown}", clip(&reply.body, 300))),
                }
            }
            _ => {}
        }
    }
    println!("{name}: {} cases in {:.1} s, statuses {statuses:?}", cases(), started.elapsed().as_secs_f64());
    assert!(failures.is_empty(), "{name}: {} of {} hostile cases failed:\n{}", failures.len(), cases(), failures.join("\n"));
}

macro_rules! hostile_tests {
    ($($test:ident => $name:literal,)*) => {
        /// The server functions that have a hostile-input test below.
        const TESTED: &[&str] = &[$($name),*];
        $(
            #[sqlx::test(migrator = "migrations::MIGRATOR")]
            async fn $test(pool: PgPool) {
                survive_hostile_input(pool, $name).await;
            }
        )*
    };
}

hostile_tests! {
    r23_hostile_viewer_never_answers_5xx_and_a_refusal_changes_nothing => "viewer",
    r23_hostile_contracts_managed_never_answers_5xx_and_a_refusal_changes_nothing => "contracts/managed",
    r23_hostile_serials_page_never_answers_5xx_and_a_refusal_changes_nothing => "serials/page",
    r23_hostile_serials_preview_never_answers_5xx_and_a_refusal_changes_nothing => "serials/preview",
    r2_r23_hostile_serials_apply_never_answers_5xx_and_a_refusal_changes_nothing => "serials/apply",
    r23_hostile_serials_undo_never_answers_5xx_and_a_refusal_changes_nothing => "serials/undo",
    r23_hostile_people_search_never_answers_5xx_and_a_refusal_changes_nothing => "people/search",
    r23_hostile_people_list_never_answers_5xx_and_a_refusal_changes_nothing => "people/list",
    r23_hostile_people_add_never_answers_5xx_and_a_refusal_changes_nothing => "people/add",
    r16_r23_hostile_bulk_add_preview_never_answers_5xx_and_a_refusal_changes_nothing => "people/bulk-preview",
    r16_r23_hostile_bulk_add_never_answers_5xx_and_a_refusal_changes_nothing => "people/bulk-add",
    r17_r23_hostile_invitation_link_never_answers_5xx_and_a_refusal_changes_nothing => "invitations/link",
    r17_r23_hostile_resend_invitation_never_answers_5xx_and_a_refusal_changes_nothing => "invitations/resend",
    r23_hostile_dev_mailbox_never_answers_5xx_and_a_refusal_changes_nothing => "dev/mailbox",
    r20_r23_hostile_remove_person_never_answers_5xx_and_a_refusal_changes_nothing => "people/remove",
    r18_r23_hostile_edit_access_never_answers_5xx_and_a_refusal_changes_nothing => "access/get",
    r19_r23_hostile_edit_access_saved_never_answers_5xx_and_a_refusal_changes_nothing => "access/set",
    r4_r23_hostile_privilege_never_answers_5xx_and_a_refusal_changes_nothing => "people/privilege",
    r17_r23_hostile_expiring_invitations_never_answers_5xx_and_a_refusal_changes_nothing => "invitations/expiring",
    r17_r23_hostile_resend_many_never_answers_5xx_and_a_refusal_changes_nothing => "invitations/resend-many",
    r23_hostile_email_list_never_answers_5xx_and_a_refusal_changes_nothing => "emails/list",
    r23_hostile_send_again_never_answers_5xx_and_a_refusal_changes_nothing => "emails/send-again",
    r24_r23_hostile_history_never_answers_5xx_and_a_refusal_changes_nothing => "history",
    r12_r23_hostile_coordinators_tab_never_answers_5xx_and_a_refusal_changes_nothing => "coordinators/tab",
    r12_r23_hostile_shipping_never_answers_5xx_and_a_refusal_changes_nothing => "coordinators/shipping",
    r13_r23_hostile_removal_impact_never_answers_5xx_and_a_refusal_changes_nothing => "coordinators/removal-impact",
    r13_r23_hostile_remove_from_all_never_answers_5xx_and_a_refusal_changes_nothing => "coordinators/remove-from-all",
    r7_r23_hostile_manager_change_request_never_answers_5xx_and_a_refusal_changes_nothing => "contracts/request-manager-change",
    r7_r23_hostile_reseller_contracts_never_answers_5xx_and_a_refusal_changes_nothing => "reseller/contracts",
    r7_r23_hostile_change_manager_never_answers_5xx_and_a_refusal_changes_nothing => "reseller/change-manager",
    r7_r23_hostile_resolve_case_never_answers_5xx_and_a_refusal_changes_nothing => "reseller/resolve-case",
    r6_r23_hostile_case_list_never_answers_5xx_and_a_refusal_changes_nothing => "cases/list",
    r6_r23_hostile_open_case_never_answers_5xx_and_a_refusal_changes_nothing => "cases/open",
}

/// A server function added without a hostile-input strategy and test fails here, naming it.
#[test]
fn every_registered_server_function_has_a_hostile_input_test() {
    let registered: BTreeSet<String> =
        leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path.trim_start_matches("/api/").to_string()).collect();
    let tested: BTreeSet<String> = TESTED.iter().map(|s| s.to_string()).collect();
    let described: BTreeSet<String> = ENDPOINTS.iter().map(|e| e.name.to_string()).collect();
    let untested: Vec<&String> = registered.difference(&tested).collect();
    let stale: Vec<&String> = tested.difference(&registered).collect();
    let undescribed: Vec<&String> = tested.difference(&described).collect();
    assert!(
        untested.is_empty() && stale.is_empty() && undescribed.is_empty(),
        "server functions without a hostile-input test: {untested:?}; tests of functions that are not registered: {stale:?}; tests without a strategy: {undescribed:?}"
    );
}
