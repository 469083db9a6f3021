//! The access matrix (issue 9, "Proof to build"): every registered server function, every page
//! route and every plain axum route, against every kind of caller, each cell naming the answer.
//!
//! The lists of server functions and page routes are read from the registry at run time
//! (`server_fn_paths()` and `generate_route_list(App)`): a function or route added without a row
//! here fails the test, naming it. For every cell the record tables are fingerprinted before and
//! after the call: a refused write and every read must change nothing (R2, R14, R24), and an allowed
//! write must change something (so the sample input really is valid). R25: for the CM of another
//! company and the agent of another reseller, asking with the ids of our records must answer exactly
//! (status and body) as asking with ids that exist nowhere.

mod common;

use app::App;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use common::*;
use serde_json::{json, Value};
use shared::products::{BulkAction, ProductsQuery, Selection};
use shared::shipping::ShippingLocation;
use sqlx::PgPool;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use uuid::Uuid;

/// The contract the contract-scoped rows act on; cm@acme.example manages it (and 110000002).
const MAIN: &str = "110000001";
/// Also cm@acme.example's: the rows that change a Contract Manager (R7) act on this one, moving it
/// between cm@ and cm2@, so the roles the other rows rely on never move.
const SECOND: &str = "110000002";
/// A contract number no company has.
const MISSING_NUMBER: &str = "999999999";
const OTHER_AGENT: &str = "agent@other-reseller.example";

/// The kinds of caller, in the order of the matrix's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Caller {
    Anonymous,
    /// user02@acme.example: neither CM nor SC.
    User,
    /// sc2@acme.example: a Software Coordinator without the right to manage users.
    Coordinator,
    /// sc1@acme.example: an SC the CM gave the right to manage users (R4).
    UserManager,
    /// cm@acme.example: the CM of the contract (110000001).
    Manager,
    /// cm2@acme.example: CM of 110000003, another contract of the same company.
    OtherManager,
    /// cm@globex.example: a CM of another company.
    ForeignManager,
    /// agent@northwind.example: the reseller agent serving the contract.
    Agent,
    /// An agent of a second reseller, serving nobody here (inserted by the test).
    ForeignAgent,
}

use Caller::*;

impl Caller {
    const ALL: [Caller; 9] = [Anonymous, User, Coordinator, UserManager, Manager, OtherManager, ForeignManager, Agent, ForeignAgent];

    fn email(self) -> Option<&'static str> {
        match self {
            Anonymous => None,
            User => Some("user02@acme.example"),
            Coordinator => Some("sc2@acme.example"),
            UserManager => Some("sc1@acme.example"),
            Manager => Some("cm@acme.example"),
            OtherManager => Some("cm2@acme.example"),
            ForeignManager => Some("cm@globex.example"),
            Agent => Some("agent@northwind.example"),
            ForeignAgent => Some(OTHER_AGENT),
        }
    }

    fn column(self) -> &'static str {
        match self {
            Anonymous => "anon",
            User => "user",
            Coordinator => "sc",
            UserManager => "sc+um",
            Manager => "cm",
            OtherManager => "cm2",
            ForeignManager => "g-cm",
            Agent => "agent",
            ForeignAgent => "o-agent",
        }
    }

    /// The other company, whose records this caller's requests must never change (R25).
    fn other_company(self) -> Option<&'static str> {
        match self {
            User | Coordinator | UserManager | Manager | OtherManager => Some("Globex Architects"),
            ForeignManager => Some("Acme Engineering"),
            Anonymous | Agent | ForeignAgent => None,
        }
    }

    /// Callers for whom our records are another tenant's (R25).
    fn is_foreign(self) -> bool {
        matches!(self, ForeignManager | ForeignAgent)
    }
}

/// Whether the input names our records (`Real`) or ids that exist nowhere (`Missing`, for R25).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ids {
    Real,
    Missing,
}

fn id_or_missing(ids: Ids, real: Uuid) -> Uuid {
    match ids {
        Ids::Real => real,
        Ids::Missing => Uuid::new_v4(),
    }
}

fn number(ids: Ids) -> &'static str {
    match ids {
        Ids::Real => MAIN,
        Ids::Missing => MISSING_NUMBER,
    }
}

/// How an endpoint is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Way {
    /// A server function: a JSON POST of its named arguments to its registered path.
    ServerFn,
    /// A plain axum form POST (sign-in, sign-out, accepting an invitation).
    Form,
    /// A page route of the Leptos router: a GET of the path the input names.
    Page,
    /// A plain axum GET (the CSV export).
    Get,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Effect {
    /// Changes no record, whoever asks.
    Read,
    /// Changes records when allowed; changes nothing when refused.
    Write,
    /// Sign-out: run with a session of its own, so the caller's session lives on for other rows.
    EndsSession,
}

type BoxFut<'a> = Pin<Box<dyn Future<Output = Value> + Send + 'a>>;
/// Builds a valid sample input for this caller, from the database as it is now. For a page or a
/// plain GET the value is the path to ask for; for a form it is the urlencoded body.
type Build = for<'a> fn(&'a World, Caller, Ids) -> BoxFut<'a>;

macro_rules! input {
    ($f:ident) => {{
        fn boxed<'a>(w: &'a World, c: Caller, ids: Ids) -> BoxFut<'a> {
            Box::pin($f(w, c, ids))
        }
        boxed as Build
    }};
}

macro_rules! fixed {
    ($value:expr) => {{
        fn boxed<'a>(_: &'a World, _: Caller, _: Ids) -> BoxFut<'a> {
            Box::pin(async move { $value })
        }
        boxed as Build
    }};
}

struct Row {
    way: Way,
    /// The registered path (`/api/serials/apply`, `/auth/login`, `/management/users/coordinators/{number}`).
    path: &'static str,
    /// What this row tries, when an endpoint has several rows.
    case: &'static str,
    effect: Effect,
    /// The input names records by id: R25 applies to the foreign callers.
    names_records: bool,
    input: Build,
    /// The expected status per caller, in the order of `Caller::ALL`.
    expect: [u16; 9],
}

fn row(way: Way, path: &'static str, case: &'static str, effect: Effect, names_records: bool, input: Build, expect: [u16; 9]) -> Row {
    Row { way, path, case, effect, names_records, input, expect }
}

const R: Effect = Effect::Read;
const W: Effect = Effect::Write;
const IDS: bool = true;
const NO_IDS: bool = false;

/// The matrix. One row per endpoint (and a second row where one endpoint does two different things).
/// 200 allowed; 303 a redirect (anonymous page visits go to /login); 401 not signed in; 403 signed in
/// but not allowed (R2, R4, R7, R14); 404 not found, also for another tenant's records (R25);
/// 409/422 refused for a domain reason that a missing record would get as well (R25).
fn matrix() -> Vec<Row> {
    use Way::*;
    vec![
        //                                                                                                       anon user   sc sc+um  cm  cm2 g-cm agent o-agent
        row(ServerFn, "/api/viewer", "who am I", R, NO_IDS, fixed!(json!({})),                                    [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        row(ServerFn, "/api/contracts/managed", "contracts I manage", R, NO_IDS, fixed!(json!({})),               [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        // R2: the company's people see the Products tab read-only; R25: other tenants get 404.
        row(ServerFn, "/api/serials/page", "Products tab", R, IDS, input!(serials_page),                          [401, 200, 200, 200, 200, 200, 404, 404, 404]),
        // R2: only the contract's CM previews, applies or undoes a bulk action.
        row(ServerFn, "/api/serials/preview", "preview Rename Group", R, IDS, input!(serials_preview),            [401, 403, 403, 403, 200, 403, 404, 404, 404]),
        row(ServerFn, "/api/serials/apply", "Rename Group", W, IDS, input!(serials_apply),                        [401, 403, 403, 403, 200, 403, 404, 404, 404]),
        row(ServerFn, "/api/serials/undo", "undo the CM's last change", W, IDS, input!(serials_undo),             [401, 403, 403, 403, 200, 403, 404, 404, 404]),
        row(ServerFn, "/api/people/search", "Assign box", R, IDS, input!(people_search),                          [401, 403, 403, 403, 200, 403, 404, 404, 404]),
        // R14: everyone of a company reads its users list; agents have no company.
        row(ServerFn, "/api/people/list", "users list", R, NO_IDS, fixed!(json!({ "filter": shared::people::PeopleFilter::default(), "page": 1 })),
                                                                                                                  [401, 200, 200, 200, 200, 200, 200, 404, 404]),
        // R14 (with R4): only a CM or an SC with the right adds people, to their own company.
        row(ServerFn, "/api/people/add", "Add", W, NO_IDS, input!(people_add),                                    [401, 403, 403, 200, 200, 200, 200, 403, 403]),
        row(ServerFn, "/api/people/bulk-preview", "Bulk Add preview", R, NO_IDS, fixed!(json!({ "text": "Nia Obi <nia.matrix@acme.example>; not-an-email" })),
                                                                                                                  [401, 403, 403, 200, 200, 200, 200, 403, 403]),
        row(ServerFn, "/api/people/bulk-add", "Bulk Add", W, NO_IDS, input!(people_bulk_add),                     [401, 403, 403, 200, 200, 200, 200, 403, 403]),
        // R17: the link is the credential; anyone may ask what a token leads to.
        row(ServerFn, "/api/invitations/link", "an unknown token", R, NO_IDS, fixed!(json!({ "token": "0".repeat(64) })),
                                                                                                                  [200, 200, 200, 200, 200, 200, 200, 200, 200]),
        row(ServerFn, "/api/invitations/resend", "Resend invitation", W, IDS, input!(invitations_resend),         [401, 403, 403, 200, 200, 200, 404, 403, 403]),
        // Issue 9, item 3: the development mailbox is off unless explicitly switched on for
        // development (these tests do not switch it on), so it does not exist for anyone.
        row(ServerFn, "/api/dev/mailbox", "development mailbox, off", R, NO_IDS, fixed!(json!({})),               [404, 404, 404, 404, 404, 404, 404, 404, 404]),
        // R20, R21: a person with nothing assigned.
        row(ServerFn, "/api/people/remove", "remove a person", W, IDS, input!(people_remove),                     [401, 403, 403, 200, 200, 200, 404, 403, 403]),
        // R18, R19.
        row(ServerFn, "/api/access/get", "Edit Access", R, IDS, input!(access_get),                               [401, 403, 403, 200, 200, 200, 404, 403, 403]),
        row(ServerFn, "/api/access/set", "Edit Access, saved", W, IDS, input!(access_set),                        [401, 403, 403, 200, 200, 200, 404, 403, 403]),
        // R5: a user manager grants download privileges; R4: only a CM gives an SC the right to manage users.
        row(ServerFn, "/api/people/privilege", "download privileges (R5)", W, IDS, input!(privilege_download),    [401, 403, 403, 200, 200, 200, 404, 403, 403]),
        row(ServerFn, "/api/people/privilege", "right to manage users (R4)", W, IDS, input!(privilege_manage_users),
                                                                                                                  [401, 403, 403, 403, 200, 200, 404, 403, 403]),
        row(ServerFn, "/api/invitations/expiring", "invitations to renew", R, NO_IDS, fixed!(json!({})),          [401, 403, 403, 200, 200, 200, 200, 403, 403]),
        // R25: a foreign person is no more "still invited" than a missing one (422, same words).
        row(ServerFn, "/api/invitations/resend-many", "Resend invitation, many", W, IDS, input!(invitations_resend_many),
                                                                                                                  [401, 403, 403, 200, 200, 200, 422, 403, 403]),
        row(ServerFn, "/api/emails/list", "Emails page", R, NO_IDS, fixed!(json!({})),                            [401, 403, 403, 200, 200, 200, 200, 403, 403]),
        // R25: a foreign email has not failed, exactly as a missing one (409, same words).
        row(ServerFn, "/api/emails/send-again", "send a failed email again", W, IDS, input!(emails_send_again),    [401, 403, 403, 200, 200, 200, 409, 403, 403]),
        row(ServerFn, "/api/history", "History page", R, NO_IDS, fixed!(json!({ "page": 1 })),                    [401, 403, 403, 200, 200, 200, 200, 403, 403]),
        // R12, R13 (with R2).
        row(ServerFn, "/api/coordinators/tab", "Software Coordinators tab", R, IDS, input!(coordinators_tab),     [401, 200, 200, 200, 200, 200, 404, 404, 404]),
        row(ServerFn, "/api/coordinators/shipping", "Edit shipping location", W, IDS, input!(coordinators_shipping),
                                                                                                                  [401, 403, 403, 403, 200, 403, 404, 404, 404]),
        row(ServerFn, "/api/coordinators/removal-impact", "Remove From All, confirmation", R, IDS, input!(coordinators_removal_impact),
                                                                                                                  [401, 403, 403, 403, 200, 403, 404, 404, 404]),
        row(ServerFn, "/api/coordinators/remove-from-all", "Remove From All", W, IDS, input!(coordinators_remove_from_all),
                                                                                                                  [401, 403, 403, 403, 200, 403, 404, 404, 404]),
        // R7: the CM asks; only an agent of the contract's reseller changes the CM.
        row(ServerFn, "/api/contracts/request-manager-change", "ask for a new CM", W, IDS, input!(request_manager_change),
                                                                                                                  [401, 403, 403, 403, 200, 403, 404, 404, 404]),
        row(ServerFn, "/api/reseller/contracts", "contracts served", R, NO_IDS, fixed!(json!({})),                [401, 403, 403, 403, 403, 403, 403, 200, 200]),
        row(ServerFn, "/api/reseller/change-manager", "change the CM", W, IDS, input!(reseller_change_manager),   [401, 403, 403, 403, 403, 403, 403, 200, 404]),
        row(ServerFn, "/api/reseller/resolve-case", "decline a change-of-CM case", W, IDS, input!(resolve_case_decline),
                                                                                                                  [401, 403, 403, 403, 403, 403, 403, 200, 404]),
        row(ServerFn, "/api/reseller/resolve-case", "approve a change-of-CM case", W, IDS, input!(resolve_case_approve),
                                                                                                                  [401, 403, 403, 403, 403, 403, 403, 200, 404]),
        // R6: everyone signed in lists the cases they may see; only people of a company open one.
        row(ServerFn, "/api/cases/list", "support cases", R, NO_IDS, fixed!(json!({})),                           [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        row(ServerFn, "/api/cases/open", "open a case", W, NO_IDS, input!(cases_open),                            [401, 200, 200, 200, 200, 200, 200, 403, 403]),
        // Plain axum routes. Signing in and out answer with redirects and change no record.
        row(Form, "/auth/login", "sign in (anonymous: an unknown email)", R, NO_IDS, input!(sign_in_form),        [303, 303, 303, 303, 303, 303, 303, 303, 303]),
        row(Form, "/auth/logout", "sign out", Effect::EndsSession, NO_IDS, fixed!(json!("")),                     [303, 303, 303, 303, 303, 303, 303, 303, 303]),
        row(Form, "/auth/accept", "accept an unknown invitation", R, NO_IDS,
            fixed!(json!(format!("token={}&password=long-enough-1&confirm=long-enough-1", "0".repeat(64)))),     [303, 303, 303, 303, 303, 303, 303, 303, 303]),
        // The users list as CSV: for the people who read the list (R14), of their own company (R25).
        row(Get, "/export/people", "users list as CSV", R, NO_IDS, fixed!(json!("/export/people")),               [303, 200, 200, 200, 200, 200, 200, 404, 404]),
        // The site's files (issue 11): public, whoever asks; the test's site has none, so 404 for all,
        // never a detour to sign-in.
        row(Get, "/pkg/{*file}", "a missing site file", R, NO_IDS, fixed!(json!("/pkg/seatkeeper.AAAAAAAAAAAAAAAAAAAAAA.wasm")),
                                                                                                                  [404, 404, 404, 404, 404, 404, 404, 404, 404]),
        // Pages: anonymous visits go to sign-in, except the sign-in page and invitation links. A
        // page answers with the status of the server function that fills it (the same refusal as
        // above, R14, R25), whether the refusal takes a query or not.
        row(Page, "/login", "sign-in page", R, NO_IDS, fixed!(json!("/login")),                                   [200, 303, 303, 303, 303, 303, 303, 303, 303]),
        row(Page, "/", "home", R, NO_IDS, fixed!(json!("/")),                                                     [303, 200, 200, 200, 200, 200, 200, 200, 200]),
        // people/list
        row(Page, "/management/users", "Manage Users", R, NO_IDS, fixed!(json!("/management/users")),             [303, 200, 200, 200, 200, 200, 200, 404, 404]),
        // contracts/managed
        row(Page, "/management/users/coordinators", "Manage Software Coordinators", R, NO_IDS,
            fixed!(json!("/management/users/coordinators")),                                                      [303, 200, 200, 200, 200, 200, 200, 200, 200]),
        // serials/page (R2: read-only for the company; R25: another tenant's contract is missing)
        row(Page, "/management/users/coordinators/{number}", "a contract", R, IDS, input!(contract_page),         [303, 200, 200, 200, 200, 200, 404, 404, 404]),
        // emails/list, history (R14)
        row(Page, "/management/emails", "Emails", R, NO_IDS, fixed!(json!("/management/emails")),                 [303, 403, 403, 200, 200, 200, 200, 403, 403]),
        row(Page, "/management/history", "History", R, NO_IDS, fixed!(json!("/management/history")),             [303, 403, 403, 200, 200, 200, 200, 403, 403]),
        // reseller/contracts (R7)
        row(Page, "/reseller", "Contracts you serve", R, NO_IDS, fixed!(json!("/reseller")),                      [303, 403, 403, 403, 403, 403, 403, 200, 200]),
        // cases/list (R6)
        row(Page, "/support", "Support", R, NO_IDS, fixed!(json!("/support")),                                    [303, 200, 200, 200, 200, 200, 200, 200, 200]),
        // invitations/link (R17)
        row(Page, "/invitations/{token}", "an unknown invitation", R, NO_IDS, fixed!(json!(format!("/invitations/{}", "0".repeat(64)))),
                                                                                                                  [200, 200, 200, 200, 200, 200, 200, 200, 200]),
        // dev/mailbox (issue 9, item 3: off unless switched on for development)
        row(Page, "/dev/mailbox", "development mailbox, off", R, NO_IDS, fixed!(json!("/dev/mailbox")),           [303, 404, 404, 404, 404, 404, 404, 404, 404]),
    ]
}

/// The seeded database, the router, a session for every kind of caller.
struct World {
    pool: PgPool,
    app: Router,
    cookies: HashMap<Caller, String>,
    counter: AtomicU32,
}

impl World {
    fn next(&self) -> u32 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    async fn uuid(&self, sql: &str) -> Uuid {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn person(&self, email: &str) -> Uuid {
        sqlx::query_scalar("select id from people where email = $1").bind(email).fetch_one(&self.pool).await.expect(email)
    }

    async fn contract(&self, number: &str) -> Uuid {
        sqlx::query_scalar("select id from contracts where contract_number = $1").bind(number).fetch_one(&self.pool).await.expect(number)
    }

    async fn execute(&self, sql: &str) {
        sqlx::query(sql).execute(&self.pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The first `n` serials of the main contract with their current versions.
    async fn main_rows(&self, n: i64) -> Vec<(Uuid, i64)> {
        sqlx::query_as(
            "select s.id, s.version from serial_numbers s join contracts c on c.company_id = s.company_id and c.id = s.contract_id
              where c.contract_number = $1 order by s.serial limit $2",
        )
        .bind(MAIN)
        .bind(n)
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }

    /// A new active person of Acme with nothing assigned (removable, R20).
    async fn new_acme_person(&self) -> Uuid {
        let id = Uuid::new_v4();
        sqlx::query(
            "insert into people (company_id, id, email, first_name, last_name, status)
             select company_id, $1, $2, 'Matrix', 'Person', 'active' from people where email = 'cm@acme.example'",
        )
        .bind(id)
        .bind(format!("matrix.person{}@acme.example", self.next()))
        .execute(&self.pool)
        .await
        .unwrap();
        id
    }

    /// Whichever of cm@ and cm2@ does not manage contract `SECOND` now, and who does.
    async fn second_contract_managers(&self) -> (Uuid, Uuid) {
        let current = self.uuid(&format!("select manager_id from contracts where contract_number = '{SECOND}'")).await;
        let (cm, cm2) = (self.person("cm@acme.example").await, self.person("cm2@acme.example").await);
        (current, if current == cm { cm2 } else { cm })
    }

    /// Closes every open change-of-CM case of a contract, so a new one may be opened.
    async fn close_manager_change_cases(&self, number: &str) {
        self.execute(&format!(
            "update support_cases set status = 'declined', resolved_at = now()
              where kind = 'change_contract_manager' and status = 'open'
                and contract_id = (select id from contracts where contract_number = '{number}')"
        ))
        .await;
    }

    /// An open change-of-CM case of a contract, asked by its current CM.
    async fn open_manager_change_case(&self, number: &str, proposed: Uuid) -> Uuid {
        self.close_manager_change_cases(number).await;
        let id = Uuid::new_v4();
        sqlx::query(
            "insert into support_cases (company_id, id, contract_id, opened_by, kind, subject, body, proposed_manager_id)
             select c.company_id, $1, c.id, c.manager_id, 'change_contract_manager', 'Matrix: a new CM', '', $2
               from contracts c where c.contract_number = $3",
        )
        .bind(id)
        .bind(proposed)
        .bind(number)
        .execute(&self.pool)
        .await
        .unwrap();
        id
    }
}

// ---- Sample inputs: valid for an allowed caller, built from the database as it is now ----

async fn serials_page(_: &World, _: Caller, ids: Ids) -> Value {
    json!({ "query": ProductsQuery::new(number(ids)) })
}

async fn selection(w: &World, ids: Ids, n: i64) -> Selection {
    let rows = w.main_rows(n).await;
    Selection::Rows(rows.into_iter().map(|(id, version)| (id_or_missing(ids, id), version).into()).collect())
}

async fn serials_preview(w: &World, _: Caller, ids: Ids) -> Value {
    let action = BulkAction::RenameGroup { group_name: "Matrix preview".into() };
    json!({ "contract_number": number(ids), "selection": selection(w, ids, 3).await, "action": action })
}

async fn serials_apply(w: &World, _: Caller, ids: Ids) -> Value {
    let action = BulkAction::RenameGroup { group_name: format!("Matrix {}", w.next()) };
    json!({ "contract_number": number(ids), "selection": selection(w, ids, 3).await, "action": action })
}

/// A fresh change by the CM (one serial renamed), to be undone.
async fn serials_undo(w: &World, _: Caller, ids: Ids) -> Value {
    let action = BulkAction::RenameGroup { group_name: format!("Matrix undo {}", w.next()) };
    let args = json!({ "contract_number": MAIN, "selection": selection(w, Ids::Real, 1).await, "action": action });
    let reply = call(&w.app, "serials/apply", Some(&w.cookies[&Manager]), args).await;
    assert_eq!(reply.status, StatusCode::OK, "the CM's change to undo: {}", reply.body);
    let change: Value = serde_json::from_str(&reply.body).unwrap();
    let change_id: Uuid = serde_json::from_value(change["change_id"].clone()).unwrap();
    json!({ "contract_number": number(ids), "change_id": id_or_missing(ids, change_id) })
}

async fn people_search(_: &World, _: Caller, ids: Ids) -> Value {
    json!({ "contract_number": number(ids), "text": "user" })
}

async fn people_add(w: &World, _: Caller, _: Ids) -> Value {
    json!({ "email": format!("matrix.add{}@acme.example", w.next()), "first_name": "Mat", "last_name": "Rix" })
}

async fn people_bulk_add(w: &World, _: Caller, _: Ids) -> Value {
    let n = w.next();
    json!({ "text": format!("matrix.bulk{n}a@acme.example; Mat Rix <matrix.bulk{n}b@acme.example>") })
}

async fn invitations_resend(w: &World, _: Caller, ids: Ids) -> Value {
    json!({ "person": id_or_missing(ids, w.person("invited06@acme.example").await) })
}

async fn people_remove(w: &World, _: Caller, ids: Ids) -> Value {
    let person = match ids {
        Ids::Real => w.new_acme_person().await,
        Ids::Missing => Uuid::new_v4(),
    };
    json!({ "person": person })
}

async fn access_get(w: &World, _: Caller, ids: Ids) -> Value {
    json!({ "person": id_or_missing(ids, w.person("user10@acme.example").await) })
}

/// Gives user10 Revit's cloud storage, or takes it away when they have it: always a change.
async fn access_set(w: &World, _: Caller, ids: Ids) -> Value {
    let person = w.person("user10@acme.example").await;
    let has: bool = sqlx::query_scalar("select exists (select 1 from service_assignments where person_id = $1)")
        .bind(person)
        .fetch_one(&w.pool)
        .await
        .unwrap();
    let storage = w
        .uuid("select cs.id from cloud_services cs join products p on p.id = cs.product_id where p.name = 'Revit' and cs.name = 'Cloud storage'")
        .await;
    let services: Vec<Uuid> = if has { vec![] } else { vec![storage] };
    json!({ "person": id_or_missing(ids, person), "services": services })
}

async fn toggled_privilege(w: &World, ids: Ids, email: &str, privilege: &str, column: &str) -> Value {
    let person = w.person(email).await;
    let current: bool = sqlx::query_scalar(&format!("select {column} from people where id = $1")).bind(person).fetch_one(&w.pool).await.unwrap();
    json!({ "person": id_or_missing(ids, person), "privilege": privilege, "granted": !current })
}

async fn privilege_download(w: &World, _: Caller, ids: Ids) -> Value {
    toggled_privilege(w, ids, "user11@acme.example", "Download", "may_download").await
}

async fn privilege_manage_users(w: &World, _: Caller, ids: Ids) -> Value {
    toggled_privilege(w, ids, "sc3@acme.example", "ManageUsers", "may_manage_users").await
}

async fn invitations_resend_many(w: &World, _: Caller, ids: Ids) -> Value {
    json!({ "people": [id_or_missing(ids, w.person("invited07@acme.example").await)] })
}

/// A failed email of Acme's, to send again.
async fn emails_send_again(w: &World, _: Caller, ids: Ids) -> Value {
    let email = match ids {
        Ids::Real => {
            let id = Uuid::new_v4();
            sqlx::query(
                "insert into outgoing_emails (company_id, id, to_address, subject, body_text, status, attempts, last_error)
                 select company_id, $1, 'user05@acme.example', 'Matrix', 'Hello', 'failed', 8, 'refused' from people where email = 'cm@acme.example'",
            )
            .bind(id)
            .execute(&w.pool)
            .await
            .unwrap();
            id
        }
        Ids::Missing => Uuid::new_v4(),
    };
    json!({ "emails": [email] })
}

async fn coordinators_tab(_: &World, _: Caller, ids: Ids) -> Value {
    json!({ "contract_number": number(ids) })
}

async fn coordinators_shipping(w: &World, _: Caller, ids: Ids) -> Value {
    let location = ShippingLocation {
        recipient: format!("Goods In {}", w.next()),
        address_line1: "Hauptstraße 1".into(),
        city: "Berlin".into(),
        postal_code: "10115".into(),
        country: "DE".into(),
        ..ShippingLocation::default()
    };
    json!({ "contract_number": number(ids), "people": [id_or_missing(ids, w.person("sc2@acme.example").await)], "location": location })
}

async fn coordinators_removal_impact(w: &World, _: Caller, ids: Ids) -> Value {
    json!({ "contract_number": number(ids), "people": [id_or_missing(ids, w.person("sc2@acme.example").await)] })
}

/// A new person made coordinator of one unassigned serial of the contract, to be removed from all.
async fn coordinators_remove_from_all(w: &World, _: Caller, ids: Ids) -> Value {
    let person = match ids {
        Ids::Real => {
            let person = w.new_acme_person().await;
            sqlx::query(
                "update serial_numbers set coordinator_id = $1, version = version + 1, updated_at = now()
                  where id = (select s.id from serial_numbers s join contracts c on c.id = s.contract_id
                               where c.contract_number = $2 and s.coordinator_id is null order by s.serial limit 1)",
            )
            .bind(person)
            .bind(MAIN)
            .execute(&w.pool)
            .await
            .unwrap();
            person
        }
        Ids::Missing => Uuid::new_v4(),
    };
    json!({ "contract_number": number(ids), "people": [person] })
}

async fn request_manager_change(w: &World, _: Caller, ids: Ids) -> Value {
    w.close_manager_change_cases(MAIN).await;
    json!({ "contract_number": number(ids), "proposed": id_or_missing(ids, w.person("user03@acme.example").await), "reason": "Matrix" })
}

async fn reseller_change_manager(w: &World, _: Caller, ids: Ids) -> Value {
    let (_, other) = w.second_contract_managers().await;
    json!({ "contract_id": id_or_missing(ids, w.contract(SECOND).await), "person": id_or_missing(ids, other) })
}

async fn resolve_case_decline(w: &World, _: Caller, ids: Ids) -> Value {
    let case = w.open_manager_change_case(MAIN, w.person("user03@acme.example").await).await;
    json!({ "case_id": id_or_missing(ids, case), "approve": false })
}

async fn resolve_case_approve(w: &World, _: Caller, ids: Ids) -> Value {
    let (_, other) = w.second_contract_managers().await;
    let case = w.open_manager_change_case(SECOND, other).await;
    json!({ "case_id": id_or_missing(ids, case), "approve": true })
}

async fn cases_open(w: &World, _: Caller, _: Ids) -> Value {
    json!({ "subject": format!("Matrix {}", w.next()), "body": "Is this thing on?" })
}

async fn sign_in_form(_: &World, caller: Caller, _: Ids) -> Value {
    match caller.email() {
        Some(email) => json!(format!("email={}&password={PASSWORD}", email.replace('@', "%40"))),
        None => json!("email=nobody%40acme.example&password=not-the-password"),
    }
}

async fn contract_page(_: &World, _: Caller, ids: Ids) -> Value {
    json!(format!("/management/users/coordinators/{}", number(ids)))
}

// ---- The walk ----

async fn world(pool: PgPool) -> World {
    seed_small(&pool).await;
    // A second reseller, serving nobody here, with an agent who can sign in.
    sqlx::query("insert into resellers (id, name) values ('00000000-0000-4000-8000-0000000000aa', 'Other Reseller')")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "insert into reseller_agents (id, reseller_id, email, first_name, last_name, password_hash)
         values ('00000000-0000-4000-8000-0000000000ab', '00000000-0000-4000-8000-0000000000aa', $1, 'Otto', 'Other', $2)",
    )
    .bind(OTHER_AGENT)
    .bind(app::ssr::auth::hash_password(PASSWORD))
    .execute(&pool)
    .await
    .unwrap();
    let app = app(pool.clone());
    let mut cookies = HashMap::new();
    for caller in Caller::ALL {
        if let Some(email) = caller.email() {
            cookies.insert(caller, sign_in(&app, email).await);
        }
    }
    World { pool, app, cookies, counter: AtomicU32::new(1) }
}

fn request(way: Way, path: &str, input: &Value, cookie: Option<&str>) -> Request<Body> {
    match way {
        Way::ServerFn => post(path, cookie, "application/json", input.to_string()),
        Way::Form => post(path, cookie, "application/x-www-form-urlencoded", input.as_str().unwrap_or_default().to_string()),
        Way::Page | Way::Get => {
            let mut request = get(input.as_str().expect("a path"), cookie);
            request.headers_mut().insert(header::ACCEPT, "text/html".parse().unwrap());
            request
        }
    }
}

/// A page's body with what legitimately differs between two asks left out: the contract number it
/// was asked for, and the per-response nonce of its scripts (in `nonce` and `crossorigin`).
fn comparable(body: &str) -> String {
    let mut text = body.replace(MAIN, "<number>").replace(MISSING_NUMBER, "<number>");
    for attribute in ["nonce=\"", "crossorigin=\""] {
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(at) = rest.find(attribute) {
            out.push_str(&rest[..at + attribute.len()]);
            let after = &rest[at + attribute.len()..];
            rest = &after[after.find('"').unwrap_or(after.len())..];
        }
        out.push_str(rest);
        text = out;
    }
    text
}

fn status_text(status: u16) -> String {
    status.to_string()
}

/// Where two bodies first differ, with some context.
fn first_difference(a: &str, b: &str) -> String {
    let at = a.bytes().zip(b.bytes()).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    let around = |s: &str| {
        let start = s.floor_char_boundary(at.saturating_sub(60));
        let end = s.ceil_char_boundary((at + 60).min(s.len()));
        s[start..end].to_string()
    };
    format!("at byte {at} ({} and {} bytes long): {:?} versus {:?}", a.len(), b.len(), around(a), around(b))
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn every_endpoint_answers_every_kind_of_caller_as_the_matrix_says_and_a_refusal_changes_nothing(pool: PgPool) {
    let started = std::time::Instant::now();
    let w = world(pool).await;
    let rows = matrix();
    let mut failures: Vec<String> = Vec::new();

    // Every registered server function and page route has a row; every row names one that exists.
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| {
            assert_eq!(method, Method::POST, "{path}: the matrix calls server functions with POST");
            path.to_string()
        })
        .collect();
    let routes: BTreeSet<String> = leptos_axum::generate_route_list(App).iter().map(|r| r.path().to_string()).collect();
    for (way, known, what) in [(Way::ServerFn, &registered, "server function"), (Way::Page, &routes, "page route")] {
        let covered: BTreeSet<String> = rows.iter().filter(|r| r.way == way).map(|r| r.path.to_string()).collect();
        for missing in known.difference(&covered) {
            failures.push(format!("the {what} {missing} has no row in the access matrix: add one saying who may call it"));
        }
        for stale in covered.difference(known) {
            failures.push(format!("the matrix has a row for {stale}, which is not a registered {what}"));
        }
    }

    let mut seen: BTreeMap<(String, &'static str), Vec<String>> = BTreeMap::new();
    for row in &rows {
        for (column, caller) in Caller::ALL.into_iter().enumerate() {
            let expected = row.expect[column];
            let cell = format!("{} [{}] as {} ({})", row.path, row.case, caller.column(), caller.email().unwrap_or("not signed in"));
            let cookie = match (row.effect, caller.email()) {
                (Effect::EndsSession, Some(email)) => Some(sign_in(&w.app, email).await),
                (_, Some(_)) => Some(w.cookies[&caller].clone()),
                (_, None) => None,
            };
            let input = (row.input)(&w, caller, Ids::Real).await;
            let before = snapshot(&w.pool).await;
            let other_before = match caller.other_company() {
                Some(company) => company_fingerprint(&w.pool, company).await,
                None => String::new(),
            };
            let reply = try_send(&w.app, request(row.way, row.path, &input, cookie.as_deref())).await;
            let after = snapshot(&w.pool).await;
            if let Some(company) = caller.other_company() {
                if company_fingerprint(&w.pool, company).await != other_before {
                    failures.push(format!("R25 {cell}: changed records of {company}; input {}", clip(&input.to_string(), 300)));
                }
            }
            let reply = match reply {
                Ok(reply) => reply,
                Err(error) => {
                    failures.push(format!("{cell}: {error}; input {}", clip(&input.to_string(), 300)));
                    seen.entry((row.path.to_string(), row.case)).or_default().push("panic".into());
                    continue;
                }
            };
            let status = reply.status.as_u16();
            seen.entry((row.path.to_string(), row.case)).or_default().push(status_text(status));
            if status != expected {
                failures.push(format!(
                    "{cell}: expected {expected}, got {status}{}: {}; input {}",
                    if status == 303 { format!(" to {}", reply.location()) } else { String::new() },
                    clip(&reply.body, 300),
                    clip(&input.to_string(), 300)
                ));
            }
            let changed = changed_tables(&before, &after);
            let allowed_write = row.effect == Effect::Write && reply.status.is_success();
            if allowed_write && changed.is_empty() {
                failures.push(format!("{cell}: answered {status} but changed no record (is the sample input valid?); input {}", clip(&input.to_string(), 300)));
            }
            if !allowed_write && !changed.is_empty() {
                failures.push(format!("{cell}: answered {status} yet changed {}; input {}", changed.join(", "), clip(&input.to_string(), 300)));
            }

            // R25: another tenant asking by our ids learns nothing a missing id would not tell.
            if row.names_records && caller.is_foreign() {
                let missing_input = (row.input)(&w, caller, Ids::Missing).await;
                let before = snapshot(&w.pool).await;
                let missing = try_send(&w.app, request(row.way, row.path, &missing_input, cookie.as_deref())).await;
                let after = snapshot(&w.pool).await;
                match missing {
                    Err(error) => failures.push(format!("{cell}, with ids that exist nowhere: {error}")),
                    Ok(missing) => {
                        let same = if row.way == Way::Page {
                            comparable(&reply.body) == comparable(&missing.body)
                        } else {
                            reply.body == missing.body
                        };
                        if missing.status != reply.status || !same {
                            let (ours, nowhere) = if row.way == Way::Page {
                                (comparable(&reply.body), comparable(&missing.body))
                            } else {
                                (reply.body.clone(), missing.body.clone())
                            };
                            failures.push(format!(
                                "R25 {cell}: our records answered {status}, records that exist nowhere answered {}; the bodies differ {}",
                                missing.status.as_u16(),
                                first_difference(&ours, &nowhere)
                            ));
                        }
                        let changed = changed_tables(&before, &after);
                        if !missing.status.is_success() && !changed.is_empty() {
                            failures.push(format!("{cell}, with ids that exist nowhere: answered {} yet changed {}", missing.status, changed.join(", ")));
                        }
                    }
                }
            }
        }
    }

    // The matrix as it answered, for the log (`--nocapture`).
    let header: Vec<&str> = Caller::ALL.iter().map(|c| c.column()).collect();
    println!("{:<72} {}", "endpoint [case]", header.iter().map(|h| format!("{h:>7}")).collect::<String>());
    for ((path, case), statuses) in &seen {
        println!("{:<72} {}", clip(&format!("{path} [{case}]"), 70), statuses.iter().map(|s| format!("{s:>7}")).collect::<String>());
    }
    println!(
        "{} rows, {} cells, {} server functions and {} page routes registered, in {:.1} s",
        rows.len(),
        rows.len() * Caller::ALL.len(),
        registered.len(),
        routes.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{} cells of the access matrix failed:\n{}", failures.len(), failures.join("\n"));
}
