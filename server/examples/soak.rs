//! The concurrency soak (`make soak`, issue 9; not part of CI): 32 simulated admins (Contract
//! Managers and user managers of two companies, each with a session of their own) do random bulk
//! actions, Edit Access, Remove From All and Bulk Add against one running server for a fixed time,
//! then every invariant is checked in SQL: R1, R3, R18, R19, R24, no lost update, R25.
//!
//! It creates the database `seatkeeper_soak` afresh on the cluster of DATABASE_URL (kept afterwards
//! for a look), seeds it, starts the server binary on a free port, and prints the figures that
//! RELIABILITY.md records. Exits non-zero on any 5xx, request without an answer, or violation.
//!
//! Settings: SOAK_SECONDS (60), SOAK_ADMINS (32), SOAK_SERIALS (2000 on the big contract),
//! SOAK_SEED (random), SERVER_BIN (target/debug/server). `scripts/soak` builds and runs it.

#[path = "../tests/harness/mod.rs"]
mod harness;

use harness::*;
use serde_json::{json, Value};
use shared::coordinators::{CoordinatorsTab, RemovalImpact};
use shared::people::{PeopleFilter, PeoplePage, ServiceAccess};
use shared::products::{Assignee, BulkAction, BulkOutcome, CoordinatorFilter, GroupFilter, ProductsPage, ProductsQuery, Selection, ShownRow};
use sqlx::PgPool;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

const DATABASE: &str = "seatkeeper_soak";
const TIMEOUT: Duration = Duration::from_secs(60);

fn setting<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

// ---------------------------------------------------------------------------------------------
// Who acts

#[derive(Debug, Clone, Copy)]
struct Account {
    email: &'static str,
    domain: &'static str,
    /// Contracts this person is the CM of (bulk actions, Remove From All).
    contracts: &'static [&'static str],
}

/// Every demo person who may act: the CMs (who also manage users) and the SCs with the right to
/// manage users, of both companies.
const ACCOUNTS: [Account; 5] = [
    Account { email: "cm@acme.example", domain: "acme.example", contracts: &["110000001", "110000002"] },
    Account { email: "cm2@acme.example", domain: "acme.example", contracts: &["110000003"] },
    Account { email: "sc1@acme.example", domain: "acme.example", contracts: &[] },
    Account { email: "cm@globex.example", domain: "globex.example", contracts: &["220000001", "220000002"] },
    Account { email: "sc1@globex.example", domain: "globex.example", contracts: &[] },
];
/// Admin n signs in as ACCOUNTS[MIX[n % 10]]: most are CMs, as in a company's admin team.
const MIX: [usize; 10] = [0, 0, 1, 2, 3, 3, 4, 0, 1, 3];

/// xorshift64*: reproducible runs from SOAK_SEED without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 1_000_000) as f64 / 1_000_000.0 < p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

// ---------------------------------------------------------------------------------------------
// What happened

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    BulkAction,
    EditAccess,
    RemoveFromAll,
    BulkAdd,
    /// The reads that come before an action: pages, previews, lists.
    Read,
}

#[derive(Default)]
struct Tally {
    requests: usize,
    ok: usize,
    conflicts: usize,
    conflict_reasons: BTreeMap<String, usize>,
    refused: BTreeMap<String, usize>,
    server_errors: Vec<String>,
    no_answer: Vec<String>,
    latencies: Vec<Duration>,
}

#[derive(Default)]
struct Journal {
    tallies: BTreeMap<Kind, Tally>,
    /// Acknowledged bulk actions: (change id, serials changed).
    bulk_changes: Vec<(Uuid, u64)>,
    /// Acknowledged Edit Access: person, the services asked for, when sent and when answered.
    access_sets: Vec<(Uuid, BTreeSet<Uuid>, Instant, Instant)>,
    /// Acknowledged Remove From All: the people, the serials the answer said went back.
    removals: Vec<(Vec<Uuid>, u64)>,
    /// Acknowledged Bulk Add: (domain, emails added).
    added: Vec<(String, Vec<String>)>,
    /// Acknowledged Assign to a new person: (domain, email).
    new_assignees: Vec<(String, String)>,
}

type Shared = Arc<Mutex<Journal>>;

/// One call, counted; Some(reply) when it is a 2xx.
async fn counted(journal: &Shared, kind: Kind, addr: SocketAddr, endpoint: &str, cookie: &str, args: &Value) -> Option<Reply> {
    let sent = Instant::now();
    let answer = call(addr, endpoint, cookie, args, TIMEOUT).await;
    let latency = sent.elapsed();
    let refused = {
        let mut journal = journal.lock().unwrap();
        let tally = journal.tallies.entry(kind).or_default();
        tally.requests += 1;
        tally.latencies.push(latency);
        match answer {
            Ok(reply) if (200..300).contains(&reply.status) => {
                tally.ok += 1;
                return Some(reply);
            }
            Ok(reply) if reply.status == 409 => {
                tally.conflicts += 1;
                let reason: String = reply.body.chars().take(60).collect();
                *tally.conflict_reasons.entry(format!("{endpoint}: {reason}")).or_default() += 1;
                false
            }
            Ok(reply) if reply.status >= 500 => {
                tally.server_errors.push(format!("{endpoint}: {} {}", reply.status, reply.body));
                false
            }
            Ok(reply) => {
                let reason: String = reply.body.chars().take(90).collect();
                *tally.refused.entry(format!("{endpoint} {}: {reason}", reply.status)).or_default() += 1;
                true
            }
            Err(error) => {
                tally.no_answer.push(format!("{endpoint}: {error}"));
                false
            }
        }
    };
    if refused {
        // A refused admin looks again before acting, as a person would.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    None
}

// ---------------------------------------------------------------------------------------------
// One admin

struct Admin {
    n: usize,
    account: Account,
    addr: SocketAddr,
    cookie: String,
    rng: Rng,
    journal: Shared,
    people: Vec<Uuid>,
    me: Uuid,
    ops: usize,
}

impl Admin {
    async fn refresh_people(&mut self) {
        let mut people = Vec::new();
        for page in 1..=20u32 {
            let Some(reply) = counted(&self.journal, Kind::Read, self.addr, "people/list", &self.cookie, &json!({ "filter": PeopleFilter::default(), "page": page })).await else {
                break;
            };
            let Ok(list) = serde_json::from_str::<PeoplePage>(&reply.body) else { break };
            if list.rows.is_empty() {
                break;
            }
            for row in &list.rows {
                if row.email == self.account.email {
                    self.me = row.id;
                }
            }
            people.extend(list.rows.iter().map(|r| r.id));
            if people.len() as u64 >= list.total {
                break;
            }
        }
        if !people.is_empty() {
            self.people = people;
        }
    }

    async fn run(mut self, until: Instant) {
        self.refresh_people().await;
        while Instant::now() < until {
            self.ops += 1;
            if self.ops % 25 == 0 {
                self.refresh_people().await;
            }
            let is_cm = !self.account.contracts.is_empty();
            let roll = self.rng.below(100);
            match (is_cm, roll) {
                (true, 0..=54) => self.bulk_action().await,
                (true, 55..=59) => self.remove_from_all().await,
                (true, 60..=84) | (false, 0..=59) => self.edit_access().await,
                _ => self.bulk_add().await,
            }
        }
    }

    async fn bulk_action(&mut self) {
        let contract = *self.rng.pick(self.account.contracts).unwrap();
        let mut query = ProductsQuery::new(contract);
        query.page_size = *self.rng.pick(&[25u32, 50, 100, 200]).unwrap();
        query.page = 1 + self.rng.below(4) as u32;
        match self.rng.below(6) {
            0 => query.filter.group = Some(GroupFilter::Named(self.rng.pick(&["Soak A", "Soak B", "Design studio", "Site office"]).unwrap().to_string())),
            1 | 2 => query.filter.coordinator = Some(CoordinatorFilter::ContractManagerByDefault),
            _ => {}
        }
        let Some(reply) = counted(&self.journal, Kind::Read, self.addr, "serials/page", &self.cookie, &json!({ "query": query })).await else { return };
        let Ok(page) = serde_json::from_str::<ProductsPage>(&reply.body) else { return };
        // The serials of sc1, the user manager among the admins, stay theirs: an SC who coordinates
        // nothing loses the right to manage users (R4), and the admin would be refused from then on.
        let rows: Vec<(Uuid, i64)> = page.rows.iter().filter(|r| !r.coordinator_email.starts_with("sc1@")).map(|r| (r.id, r.version)).collect();
        let unassigned_only = query.filter.coordinator == Some(CoordinatorFilter::ContractManagerByDefault);
        let selection = if unassigned_only && page.total > 0 && page.total <= 2_500 && self.rng.chance(0.4) {
            Selection::AllMatching { filter: query.filter.clone(), expected: page.total, as_of_micros: page.as_of_micros }
        } else {
            let mut chosen: Vec<(Uuid, i64)> = rows.iter().copied().filter(|_| self.rng.chance(0.5)).collect();
            match rows.first() {
                Some(first) if chosen.is_empty() => chosen.push(*first),
                None => return,
                _ => {}
            }
            Selection::Rows(chosen.into_iter().map(ShownRow::from).collect())
        };
        let mut candidates: Vec<Uuid> = page.coordinators.iter().map(|c| c.id).collect();
        candidates.extend(self.people.iter().take(40));
        let action = match self.rng.below(100) {
            0..=39 => BulkAction::RenameGroup { group_name: self.rng.pick(&["Soak A", "Soak B", "Soak C", "Design studio", ""]).unwrap().to_string() },
            40..=79 if !candidates.is_empty() => BulkAction::Assign { assignee: Assignee::Existing(*self.rng.pick(&candidates).unwrap()) },
            80..=95 => BulkAction::Unassign,
            _ => {
                // Sometimes two admins make up the same new person at once.
                let email = format!("soak-new-{}@{}", self.rng.below(1_000_000) % 400, self.account.domain);
                BulkAction::Assign { assignee: Assignee::New { email, first_name: "Soak".into(), last_name: format!("Admin {}", self.n) } }
            }
        };
        let args = json!({ "contract_number": contract, "selection": selection, "action": action });
        if self.rng.chance(0.3) && counted(&self.journal, Kind::Read, self.addr, "serials/preview", &self.cookie, &args).await.is_none() {
            return;
        }
        if let Some(reply) = counted(&self.journal, Kind::BulkAction, self.addr, "serials/apply", &self.cookie, &args).await {
            if let Ok(outcome) = serde_json::from_str::<BulkOutcome>(&reply.body) {
                let mut journal = self.journal.lock().unwrap();
                if let Some(change) = outcome.change_id {
                    journal.bulk_changes.push((change, outcome.changed));
                }
                if let BulkAction::Assign { assignee: Assignee::New { email, .. } } = action {
                    journal.new_assignees.push((self.account.domain.to_string(), email));
                }
            }
        }
    }

    async fn remove_from_all(&mut self) {
        let contract = *self.rng.pick(self.account.contracts).unwrap();
        let Some(reply) = counted(&self.journal, Kind::Read, self.addr, "coordinators/tab", &self.cookie, &json!({ "contract_number": contract })).await else { return };
        let Ok(tab) = serde_json::from_str::<CoordinatorsTab>(&reply.body) else { return };
        // Not the admins themselves (the soak's user managers would lose their right) nor a CM.
        let keep = |email: &str| email.starts_with("cm") || email.starts_with("sc1@");
        let removable: Vec<Uuid> = tab.coordinators.iter().filter(|c| !keep(&c.email) && c.person_id != self.me).map(|c| c.person_id).collect();
        let Some(&person) = self.rng.pick(&removable) else { return };
        let args = json!({ "contract_number": contract, "people": [person] });
        // The confirmation first says what will happen.
        let Some(reply) = counted(&self.journal, Kind::Read, self.addr, "coordinators/removal-impact", &self.cookie, &args).await else { return };
        if serde_json::from_str::<Vec<RemovalImpact>>(&reply.body).is_err() {
            return;
        }
        if let Some(reply) = counted(&self.journal, Kind::RemoveFromAll, self.addr, "coordinators/remove-from-all", &self.cookie, &args).await {
            // "Removed 1 person from all: 37 serial numbers are back with their Contract Managers."
            let message: String = serde_json::from_str(&reply.body).unwrap_or_default();
            let serials = message.split(": ").nth(1).and_then(|rest| rest.split(' ').next()).and_then(|n| n.parse().ok()).unwrap_or(u64::MAX);
            self.journal.lock().unwrap().removals.push((vec![person], serials));
        }
    }

    async fn edit_access(&mut self) {
        let Some(&person) = self.rng.pick(&self.people) else { return };
        let Some(reply) = counted(&self.journal, Kind::Read, self.addr, "access/get", &self.cookie, &json!({ "person": person })).await else { return };
        let Ok(services) = serde_json::from_str::<Vec<ServiceAccess>>(&reply.body) else { return };
        // The small ReCap Pro licence (three seats, R19) is wanted often, so its seats run out.
        let wanted: BTreeSet<Uuid> = services
            .iter()
            .filter(|s| self.rng.chance(if s.label.contains("Reality capture") { 0.6 } else { 0.35 }))
            .map(|s| s.service_id)
            .collect();
        let sent = Instant::now();
        if counted(&self.journal, Kind::EditAccess, self.addr, "access/set", &self.cookie, &json!({ "person": person, "services": wanted })).await.is_some() {
            self.journal.lock().unwrap().access_sets.push((person, wanted, sent, Instant::now()));
        }
    }

    async fn bulk_add(&mut self) {
        let mut entries = Vec::new();
        let mut fresh = Vec::new();
        for k in 0..1 + self.rng.below(20) {
            let email = format!("soak-{}-{}-{k}@{}", self.n, self.ops, self.account.domain);
            if self.rng.chance(0.5) {
                entries.push(format!("Bulk {k} <{email}>"));
            } else {
                entries.push(email.clone());
            }
            fresh.push(email);
        }
        // A person the company knows, a duplicate and an invalid entry: reported, never added.
        if self.rng.chance(0.3) {
            entries.push(format!("cm@{}", self.account.domain));
            entries.push(fresh[0].clone());
            entries.push("not-an-email".into());
        }
        let args = json!({ "text": entries.join("; ") });
        if counted(&self.journal, Kind::Read, self.addr, "people/bulk-preview", &self.cookie, &args).await.is_none() {
            return;
        }
        if counted(&self.journal, Kind::BulkAdd, self.addr, "people/bulk-add", &self.cookie, &args).await.is_some() {
            self.journal.lock().unwrap().added.push((self.account.domain.to_string(), fresh));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The invariants

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap_or_else(|e| panic!("{e}: {sql}"))
}

/// (invariant, violating rows).
async fn invariants(pool: &PgPool, journal: &Journal) -> Vec<(String, i64)> {
    let mut found: Vec<(String, i64)> = Vec::new();
    let plain: [(&str, &str); 16] = [
        ("R1: every contract has exactly one Contract Manager, an active person of its company",
         "select count(*) from contracts c where not exists (select 1 from people p where p.company_id = c.company_id and p.id = c.manager_id and p.status = 'active')"),
        ("R3: every serial's effective coordinator (its SC, or else its contract's CM) is a person of its company who is not removed",
         "select count(*) from serial_numbers s join contracts c on c.company_id = s.company_id and c.id = s.contract_id
           left join people p on p.company_id = s.company_id and p.id = coalesce(s.coordinator_id, c.manager_id)
          where p.id is null or p.status = 'removed'"),
        ("R19: no multi-user serial serves more than 3 x quantity people",
         "select count(*) from (select s.id from serial_numbers s join service_assignments a on a.company_id = s.company_id and a.serial_id = s.id
           group by s.id, s.quantity having count(distinct a.person_id) > 3 * s.quantity) x"),
        ("R18: cloud services are assigned only under multi-user serials of their own product",
         "select count(*) from service_assignments a join serial_numbers s on s.company_id = a.company_id and s.id = a.serial_id
           join cloud_services cs on cs.id = a.service_id join products p on p.id = s.product_id
          where cs.product_id <> s.product_id or p.licence_type <> 'multi-user'"),
        ("R24: every serial's version is accounted for by its audit records (one per change)",
         "select count(*) from serial_numbers s left join (
              select company_id, serial_id, count(*) as n, max(version) as v
                from serial_changes group by 1, 2) e on e.company_id = s.company_id and e.serial_id = s.id
          where s.version <> 1 + coalesce(e.n, 0) or s.version <> coalesce(e.v, 1)"),
        ("R24: every serial change belongs to one audit event of a serial action",
         "select count(*) from serial_changes c
           where (select count(*) from audit_events a where a.company_id = c.company_id and a.change_id = c.change_id
                     and a.entity = 'serial_number' and a.entity_id is null) <> 1"),
        ("R24: every serial action's event counts exactly the serials recorded with it",
         "select count(*) from audit_events a
           where a.entity = 'serial_number'
             and (a.entity_id is not null
                  or (a.after ->> 'serials')::int8 <> (select count(*) from serial_changes c where c.company_id = a.company_id and c.change_id = a.change_id))"),
        ("No lost update: each serial's audit records form one unbroken chain, each change starting from the values the one before left",
         "with e as (
              select c.serial_id, c.version as v, c.coordinator_before as bc, c.group_before as bg,
                     lag(c.coordinator_after) over w as pc, lag(c.group_after) over w as pg,
                     lag(c.version) over w as pv, row_number() over w as k
                from serial_changes c
              window w as (partition by c.company_id, c.serial_id order by c.version))
          select count(*) from e left join soak_initial_serials i on i.id = e.serial_id
           where (k = 1 and (v <> 2 or bc is distinct from i.coordinator_id or bg is distinct from i.group_name))
              or (k > 1 and (pv is distinct from v - 1 or bc is distinct from pc or bg is distinct from pg))"),
        ("No lost update: every serial shows what its last audit record says",
         "select count(*) from serial_numbers s join lateral (
              select c.coordinator_after, c.group_after from serial_changes c where c.company_id = s.company_id and c.serial_id = s.id
               order by c.version desc limit 1) l on true
          where l.group_after is distinct from s.group_name or l.coordinator_after is distinct from s.coordinator_id"),
        ("R24: every cloud service a person has, or no longer has, is accounted for by audit events",
         "with now_ as (select company_id, person_id, serial_id, service_id, 1 as n from service_assignments),
               before_ as (select company_id, person_id, serial_id, service_id, 1 as n from soak_initial_access),
               events as (select company_id, entity_id as person_id, (coalesce(after, before) ->> 'serial_id')::uuid as serial_id,
                                 (coalesce(after, before) ->> 'service_id')::uuid as service_id,
                                 case when action = 'access.assign' then 1 else -1 end as n
                            from audit_events where action in ('access.assign', 'access.remove')),
               keys as (select company_id, person_id, serial_id, service_id from now_ union select company_id, person_id, serial_id, service_id from before_
                        union select company_id, person_id, serial_id, service_id from events)
          select count(*) from keys k
           where coalesce((select sum(n) from now_ x where (x.company_id, x.person_id, x.serial_id, x.service_id) = (k.company_id, k.person_id, k.serial_id, k.service_id)), 0)
              <> coalesce((select sum(n) from before_ x where (x.company_id, x.person_id, x.serial_id, x.service_id) = (k.company_id, k.person_id, k.serial_id, k.service_id)), 0)
               + coalesce((select sum(n) from events x where (x.company_id, x.person_id, x.serial_id, x.service_id) = (k.company_id, k.person_id, k.serial_id, k.service_id)), 0)"),
        ("R24: every person added during the soak has an audit event of their addition",
         "select count(*) from people p where p.created_at >= (select started from soak_run)
             and not exists (select 1 from audit_events a where a.company_id = p.company_id and a.entity = 'person' and a.entity_id = p.id and a.after ? 'email')"),
        ("R25: every audit event's actor is a person of the event's company",
         "select count(*) from audit_events a where a.actor_person_id is not null
             and not exists (select 1 from people p where p.company_id = a.company_id and p.id = a.actor_person_id)"),
        ("R25: every audit record about a serial or a person names one of the record's company",
         "select (select count(*) from serial_changes c
                   where not exists (select 1 from serial_numbers s where s.company_id = c.company_id and s.id = c.serial_id)
                      or (c.coordinator_before is not null and not exists (select 1 from people p where p.company_id = c.company_id and p.id = c.coordinator_before))
                      or (c.coordinator_after is not null and not exists (select 1 from people p where p.company_id = c.company_id and p.id = c.coordinator_after)))
               + (select count(*) from audit_events a
                   where a.entity = 'person' and not exists (select 1 from people p where p.company_id = a.company_id and p.id = a.entity_id))"),
        ("R25: every serial's coordinator, and every cloud service's person, is of the serial's company",
         "select (select count(*) from serial_numbers s where s.coordinator_id is not null
                    and not exists (select 1 from people p where p.company_id = s.company_id and p.id = s.coordinator_id))
               + (select count(*) from service_assignments a
                    where not exists (select 1 from people p where p.company_id = a.company_id and p.id = a.person_id)
                       or not exists (select 1 from serial_numbers s where s.company_id = a.company_id and s.id = a.serial_id))"),
        ("R25: every email goes to a person of the company that sent it",
         "select count(*) from outgoing_emails o
           where not exists (select 1 from people p where p.company_id = o.company_id and lower(p.email) = lower(o.to_address))"),
        ("Every invited person added during the soak has an open invitation and its email",
         "select count(*) from people p where p.created_at >= (select started from soak_run) and p.status = 'invited'
             and (not exists (select 1 from invitations i where i.company_id = p.company_id and i.person_id = p.id and i.accepted_at is null and i.revoked_at is null)
                  or not exists (select 1 from outgoing_emails o where o.company_id = p.company_id and lower(o.to_address) = lower(p.email)))"),
    ];
    for (name, sql) in plain {
        found.push((name.to_string(), count(pool, sql).await));
    }

    // Every acknowledged bulk action has exactly its audit events.
    let changes: Vec<Uuid> = journal.bulk_changes.iter().map(|c| c.0).collect();
    let counts: Vec<i64> = journal.bulk_changes.iter().map(|c| c.1 as i64).collect();
    let wrong: i64 = sqlx::query_scalar(
        "select count(*) from unnest($1::uuid[], $2::int8[]) as k(id, n)
           left join (select change_id, count(*) as events from serial_changes
                       where change_id = any($1) group by change_id) c on c.change_id = k.id
          where coalesce(c.events, 0) <> k.n",
    )
    .bind(&changes)
    .bind(&counts)
    .fetch_one(pool)
    .await
    .unwrap();
    found.push(("R8, R24: every acknowledged bulk action has exactly one audit record per serial it changed".into(), wrong));
    let stray: i64 = sqlx::query_scalar(
        "select count(distinct change_id) from audit_events
          where action in ('serial.assign', 'serial.unassign', 'serial.rename_group') and not (change_id = any($1))",
    )
    .bind(&changes)
    .fetch_one(pool)
    .await
    .unwrap();
    found.push(("R24: no bulk action is in the database that was not acknowledged (every request was answered)".into(), stray));

    // Remove From All: as many changes and serial events as were acknowledged.
    let (removal_changes, removal_serials): (i64, i64) = sqlx::query_as(
        "select (select count(distinct change_id) from audit_events where action = 'person.remove_from_all'),
                (select count(*) from serial_changes c join audit_events a on a.company_id = c.company_id and a.change_id = c.change_id
                  where a.action = 'serial.remove_from_all' and a.entity = 'serial_number')",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let said: i64 = journal.removals.iter().map(|r| r.1 as i64).sum();
    found.push((
        "R13, R24: every acknowledged Remove From All is there with one audit record per serial it gave back".into(),
        (removal_changes - journal.removals.len() as i64).abs() + (removal_serials - said).abs(),
    ));

    // Edit Access: the last acknowledged set of each person is what they have, unless an
    // overlapping one (whose order only the database knows) is.
    let now: Vec<(Uuid, Uuid)> = sqlx::query_as("select distinct person_id, service_id from service_assignments").fetch_all(pool).await.unwrap();
    let mut have: HashMap<Uuid, BTreeSet<Uuid>> = HashMap::new();
    for (person, service) in now {
        have.entry(person).or_default().insert(service);
    }
    let mut by_person: HashMap<Uuid, Vec<&(Uuid, BTreeSet<Uuid>, Instant, Instant)>> = HashMap::new();
    for set in &journal.access_sets {
        by_person.entry(set.0).or_default().push(set);
    }
    let mut lost = 0;
    for (person, sets) in &by_person {
        let last = sets.iter().max_by_key(|s| s.2).unwrap();
        let current = have.get(person).cloned().unwrap_or_default();
        if !sets.iter().filter(|s| s.3 >= last.2).any(|s| s.1 == current) {
            lost += 1;
        }
    }
    found.push(("No lost update: every person's cloud services are what their last acknowledged Edit Access set".into(), lost));

    // Bulk Add and Assign to a new person: everyone acknowledged is there, once.
    let mut domains = Vec::new();
    let mut emails = Vec::new();
    for (domain, added) in &journal.added {
        for email in added {
            domains.push(domain.clone());
            emails.push(email.clone());
        }
    }
    for (domain, email) in &journal.new_assignees {
        domains.push(domain.clone());
        emails.push(email.clone());
    }
    let missing: i64 = sqlx::query_scalar(
        "select count(*) from unnest($1::text[], $2::text[]) as k(domain, email)
          where (select count(*) from people p join companies c on c.id = p.company_id
                  where lower(p.email) = lower(k.email) and split_part(p.email, '@', 2) = k.domain) <> 1",
    )
    .bind(&domains)
    .bind(&emails)
    .fetch_one(pool)
    .await
    .unwrap();
    found.push(("R16: everyone an acknowledged Bulk Add or Assign added is there, once".into(), missing));
    found
}

// ---------------------------------------------------------------------------------------------

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> ExitCode {
    let seconds: u64 = setting("SOAK_SECONDS", 60);
    let admins: usize = setting("SOAK_ADMINS", 32);
    let serials: u32 = setting("SOAK_SERIALS", 2000);
    let seed: u64 = setting("SOAK_SEED", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1);
    let binary: PathBuf = std::env::var_os("SERVER_BIN").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target/debug/server"));
    let Ok(cluster) = std::env::var("DATABASE_URL") else {
        eprintln!("soak: DATABASE_URL must name the PostgreSQL cluster to create {DATABASE} on (scripts/soak sets it)");
        return ExitCode::FAILURE;
    };

    println!("soak: {admins} admins for {seconds} s against {} (seed {seed}), {serials} serials on contract 110000001", binary.display());
    let url = fresh_database(&cluster, DATABASE).await;
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(4).connect(&url).await.expect("the soak database");
    migrations::MIGRATOR.run(&pool).await.expect("migrating");
    server::seed::run(&pool, &server::seed::SeedOptions { serials, if_empty: false, progress: false }).await.expect("seeding");
    // What the checks compare with: the serials and cloud services as seeded, and when the soak began.
    for sql in [
        "create table soak_initial_serials as select id, coordinator_id, group_name from serial_numbers",
        "create table soak_initial_access as select company_id, person_id, serial_id, service_id from service_assignments",
        "create table soak_run as select now() as started",
    ] {
        sqlx::query(sql).execute(&pool).await.expect(sql);
    }

    let log = workspace_root().join("target/soak-server.log");
    let _ = std::fs::write(&log, "");
    let mut server = ServerProcess::spawn(&binary, &url, &log);
    if let Err(error) = server.wait_ready(Duration::from_secs(60)).await {
        eprintln!("soak: {error}");
        return ExitCode::FAILURE;
    }

    let journal: Shared = Arc::default();
    let mut sessions = Vec::new();
    for n in 0..admins {
        let account = ACCOUNTS[MIX[n % MIX.len()]];
        match sign_in(server.addr, account.email).await {
            Ok(cookie) => sessions.push((n, account, cookie)),
            Err(error) => {
                eprintln!("soak: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    let began = Instant::now();
    let until = began + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for (n, account, cookie) in sessions {
        let admin = Admin {
            n,
            account,
            addr: server.addr,
            cookie,
            rng: Rng(seed ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(n as u64 + 1)) | 1),
            journal: journal.clone(),
            people: Vec::new(),
            me: Uuid::nil(),
            ops: 0,
        };
        tasks.push(tokio::spawn(admin.run(until)));
    }
    for task in tasks {
        task.await.expect("an admin's task");
    }
    let elapsed = began.elapsed();
    let alive = server.is_running();
    server.terminate(Duration::from_secs(10));

    let journal = journal.lock().unwrap();
    let found = invariants(&pool, &journal).await;
    // Deadlocks PostgreSQL detected and broke (each answered 409 after deadlock_timeout).
    let deadlocks: i64 = sqlx::query_scalar("select deadlocks from pg_stat_database where datname = current_database()")
        .fetch_one(&pool)
        .await
        .unwrap_or(-1);
    let violations: i64 = found.iter().map(|f| f.1).sum();
    let (mut requests, mut actions, mut ok, mut conflicts, mut refused, mut errors, mut unanswered) = (0, 0, 0, 0, 0, 0, 0);
    println!("\nsoak: {:.0} s, {admins} admins, seed {seed}", elapsed.as_secs_f64());
    println!("| what | requests | 2xx | 409 conflicts | other 4xx | 5xx | no answer | p50 ms | p99 ms |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (kind, tally) in &journal.tallies {
        let mut latencies = tally.latencies.clone();
        latencies.sort();
        let refused_n: usize = tally.refused.values().sum();
        println!(
            "| {kind:?} | {} | {} | {} | {} | {} | {} | {} | {} |",
            tally.requests,
            tally.ok,
            tally.conflicts,
            refused_n,
            tally.server_errors.len(),
            tally.no_answer.len(),
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.99))
        );
        requests += tally.requests;
        if *kind != Kind::Read {
            actions += tally.requests;
        }
        ok += tally.ok;
        conflicts += tally.conflicts;
        refused += refused_n;
        errors += tally.server_errors.len();
        unanswered += tally.no_answer.len();
    }
    println!("\nconflicts (409), by the start of their message:");
    for (kind, tally) in &journal.tallies {
        for (reason, n) in &tally.conflict_reasons {
            println!("  {kind:?} x{n}: {reason}");
        }
    }
    println!("\nrefusals other than 409 (expected: the selection went stale under someone else's Remove From All, and the like):");
    for (kind, tally) in &journal.tallies {
        for (reason, n) in &tally.refused {
            println!("  {kind:?} x{n}: {reason}");
        }
    }
    for (kind, tally) in &journal.tallies {
        for error in tally.server_errors.iter().chain(&tally.no_answer).take(10) {
            println!("  ERROR {kind:?}: {error}");
        }
    }
    println!("\ninvariants:");
    for (name, n) in &found {
        println!("  {} {name}{}", if *n == 0 { "ok  " } else { "FAIL" }, if *n == 0 { String::new() } else { format!(": {n} violations") });
    }
    println!(
        "\nRELIABILITY soak: {seconds} s, {admins} admins; {requests} requests of which {actions} actions (bulk {}, Edit Access {}, Remove From All {}, Bulk Add {}); \
         2xx {ok}; conflicts (409) {conflicts}; other refusals (4xx) {refused}; errors (5xx) {errors}; without an answer {unanswered}; \
         bulk changes acknowledged {}; deadlocks broken by PostgreSQL {deadlocks}; invariant violations {violations}; server alive {alive}",
        journal.tallies.get(&Kind::BulkAction).map_or(0, |t| t.requests),
        journal.tallies.get(&Kind::EditAccess).map_or(0, |t| t.requests),
        journal.tallies.get(&Kind::RemoveFromAll).map_or(0, |t| t.requests),
        journal.tallies.get(&Kind::BulkAdd).map_or(0, |t| t.requests),
        journal.bulk_changes.len(),
    );
    pool.close().await;
    if errors == 0 && unanswered == 0 && violations == 0 && alive {
        ExitCode::SUCCESS
    } else {
        println!("soak: FAILED (the database {DATABASE} is kept for a look; the server's log is {})", log.display());
        ExitCode::FAILURE
    }
}
