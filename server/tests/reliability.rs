//! Issue 9, "Proof to build": the real server binary, as a separate process, crashed and starved of
//! its database. Figures are printed (run with `--nocapture` to see them) and kept in RELIABILITY.md.
//!
//! - Crash (R8, R24): `kill -9` of the server in the middle of bulk actions of 10,000 serials leaves
//!   each change whole with all its audit events, or absent.
//! - Database restart: while PostgreSQL is down every request is answered quickly with 503 "the
//!   database is unavailable", and the server serves again by itself once PostgreSQL is back.

mod harness;

use harness::*;
use serde_json::json;
use shared::products::{BulkAction, BulkOutcome, ProductsPage, ProductsQuery, Selection, SerialFilter};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

const SERVER: &str = env!("CARGO_BIN_EXE_server");
const CM: &str = "cm@acme.example";
const CONTRACT: &str = "110000001";

/// The two tests measure time; they run one after the other, not against each other.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn database_url() -> String {
    std::env::var("DATABASE_URL").expect("DATABASE_URL names the PostgreSQL cluster the tests may create databases on")
}

/// The test's own connections are named, so they are told apart from the server's.
const OURS: &str = "seatkeeper-reliability-test";

async fn our_pool(url: &str) -> PgPool {
    let options = PgConnectOptions::from_str(url).expect("a database URL").application_name(OURS);
    PgPoolOptions::new().max_connections(4).connect_with(options).await.expect("the test's database")
}

async fn seed(pool: &PgPool, serials: u32) {
    migrations::MIGRATOR.run(pool).await.expect("migrating");
    server::seed::run(pool, &server::seed::SeedOptions { serials, if_empty: false, progress: false }).await.expect("seeding");
    // Statistics, as after any bulk load (scripts/bench does the same): without them the first bulk
    // action of 10,000 serials takes about a minute instead of under one second.
    sqlx::query("analyze").execute(pool).await.expect("analyze");
}

// ---------------------------------------------------------------------------------------------
// Crash

const SERIALS: u32 = 10_000;
const ACTIONS: usize = 100;

/// Where in a bulk action the server is killed, seen from PostgreSQL (pg_stat_activity).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Moment {
    /// Locking the 10,000 selected rows (`select ... for update`), before anything is written.
    Locking,
    /// Updating the rows or writing their audit events.
    Writing,
    /// Right after COMMIT was sent: the change may be committed while its answer is never sent.
    Committing,
    /// Half-way through a typical action: used when a moment above is not seen five actions in a
    /// row (a statement's text changed), so the test still kills mid-action.
    Midway,
}

/// (action number, moment): the server is killed during that action, then started again.
const KILLS: [(usize, Moment); 3] = [(25, Moment::Locking), (50, Moment::Writing), (75, Moment::Committing)];

fn group_of(action: usize) -> String {
    format!("crash {action:03}")
}

/// Waits until the server's backend is at `moment` of the apply, and returns true; false when the
/// action ended before that was seen.
async fn reached(watch: &PgPool, database: &str, moment: Moment, typical: Duration, apply: &tokio::task::JoinHandle<Result<Reply, String>>) -> bool {
    if moment == Moment::Midway {
        tokio::time::sleep(typical / 2).await;
        return !apply.is_finished();
    }
    let mut writer: Option<i32> = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !apply.is_finished() && Instant::now() < deadline {
        // (pid, active, locking, writing, committing) of the server's connections.
        let backends: Vec<(i32, bool, bool, bool, bool)> = sqlx::query_as(
            "select pid, state = 'active',
                    query ilike '%for update%' and query not ilike '%update serial_numbers%',
                    query ilike '%update serial_numbers%' or query ilike '%into audit_events%' or query ilike '%into serial_changes%',
                    trim(query) ilike 'commit'
               from pg_stat_activity
              where datname = $1 and application_name <> $2 and backend_type = 'client backend'",
        )
        .bind(database)
        .bind(OURS)
        .fetch_all(watch)
        .await
        .expect("pg_stat_activity");
        match moment {
            Moment::Locking if backends.iter().any(|b| b.1 && b.2) => return true,
            Moment::Writing if backends.iter().any(|b| b.1 && b.3) => return true,
            Moment::Committing => {
                if writer.is_none() {
                    writer = backends.iter().find(|b| b.1 && b.3).map(|b| b.0);
                }
                if let Some(pid) = writer {
                    if backends.iter().any(|b| b.0 == pid && b.4) {
                        return true;
                    }
                }
            }
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    false
}

/// Waits until PostgreSQL has noticed that the killed server's connections are gone (and rolled
/// back whatever they had not committed).
async fn server_sessions_gone(watch: &PgPool, database: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left: i64 = sqlx::query_scalar(
            "select count(*) from pg_stat_activity where datname = $1 and application_name <> $2 and backend_type = 'client backend'",
        )
        .bind(database)
        .bind(OURS)
        .fetch_one(watch)
        .await
        .expect("pg_stat_activity");
        if left == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{left} connections of the killed server are still open after 60 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every way a bulk action could be partly applied, counted in SQL. Empty when every change is
/// whole with all its audit events, or absent.
async fn partial_changes(pool: &PgPool, acknowledged: &[Uuid]) -> Vec<String> {
    let mut violations = Vec::new();
    let contract: Uuid = sqlx::query_scalar("select id from contracts where contract_number = $1").bind(CONTRACT).fetch_one(pool).await.unwrap();
    // R8 + R24: a change touches all 10,000 serials, once each, with one value.
    // (One event per serial of a change follows from this and the version accounting below.)
    let broken: Vec<(Option<Uuid>, i64, bool)> = sqlx::query_as(
        "select change_id, count(*), min(group_after) = max(group_after)
           from serial_changes group by change_id
         having count(*) <> $1 or min(group_after) <> max(group_after)",
    )
    .bind(SERIALS as i64)
    .fetch_all(pool)
    .await
    .unwrap();
    for (change, events, one_value) in broken {
        violations.push(format!("change {change:?} has {events} audit events (one value: {one_value}), not {SERIALS}"));
    }
    // No serial has a version without its audit event, or an event its row does not show.
    let (unaudited, mismatched): (i64, i64) = sqlx::query_as(
        "with events as (
              select serial_id as entity_id, version, group_after as group_name from serial_changes
         ), per_serial as (
              select entity_id, count(*) as events, max(version) as last_version from events group by entity_id
         )
         select count(*) filter (where s.version <> 1 + coalesce(p.events, 0) or s.version <> coalesce(p.last_version, 1)),
                count(*) filter (where p.events > 0 and (l.entity_id is null or l.group_name is distinct from s.group_name))
           from serial_numbers s
           left join per_serial p on p.entity_id = s.id
           left join events l on l.entity_id = s.id and l.version = s.version
          where s.contract_id = $1",
    )
    .bind(contract)
    .fetch_one(pool)
    .await
    .unwrap();
    if unaudited > 0 {
        violations.push(format!("{unaudited} serials have a version that their audit events do not account for"));
    }
    if mismatched > 0 {
        violations.push(format!("{mismatched} serials differ from what their last audit event says"));
    }
    // All 10,000 show the value of the same, last change.
    let states: Vec<Option<String>> = sqlx::query_scalar("select distinct group_name from serial_numbers where contract_id = $1")
        .bind(contract)
        .fetch_all(pool)
        .await
        .unwrap();
    if states.len() != 1 {
        violations.push(format!("the contract's serials are in {} different groups: {states:?}", states.len()));
    }
    // Every acknowledged change is there, whole.
    let missing: i64 = sqlx::query_scalar(
        "select count(*) from unnest($1::uuid[]) as k(id)
           left join (select change_id, count(*) as events from serial_changes where change_id = any($1) group by change_id) c
                  on c.change_id = k.id
          where coalesce(c.events, 0) <> $2",
    )
    .bind(acknowledged)
    .bind(SERIALS as i64)
    .fetch_one(pool)
    .await
    .unwrap();
    if missing > 0 {
        violations.push(format!("{missing} acknowledged changes are not there whole"));
    }
    violations
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r8_r24_killing_the_server_mid_bulk_action_leaves_every_change_whole_with_all_its_audit_events_or_absent() {
    let _one = ONE_AT_A_TIME.lock().await;
    let started = Instant::now();
    let name = format!("seatkeeper_crash_{}", std::process::id());
    let url = fresh_database(&database_url(), &name).await;
    let pool = our_pool(&url).await;
    seed(&pool, SERIALS).await;
    let log = log_file("crash-server.log");
    let mut server = ServerProcess::spawn(Path::new(SERVER), &url, &log);
    server.wait_ready(Duration::from_secs(60)).await.unwrap();
    let mut cookie = sign_in(server.addr, CM).await.unwrap();

    let mut acknowledged: Vec<Uuid> = Vec::new();
    let (mut in_flight, mut conflicts, mut kills, mut restart_ms) = (0usize, 0usize, Vec::new(), Vec::new());
    let mut failures: Vec<String> = Vec::new();
    let mut violations: Vec<String> = Vec::new();
    let mut kill_plan: Vec<(usize, Moment)> = KILLS.to_vec();
    let (mut apply_latencies, mut check_time) = (Vec::new(), Duration::ZERO);
    let timeout = Duration::from_secs(120);
    for action in 1..=ACTIONS {
        // Read the page first, as the browser does: the total and the server's clock.
        let reply = call(server.addr, "serials/page", &cookie, &json!({ "query": ProductsQuery::new(CONTRACT) }), timeout).await.unwrap();
        assert_eq!(reply.status, 200, "action {action}: {}", reply.body);
        let page: ProductsPage = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(page.total, SERIALS as u64);
        let args = json!({
            "contract_number": CONTRACT,
            "selection": Selection::AllMatching { filter: SerialFilter::default(), expected: page.total, as_of_micros: page.as_of_micros },
            "action": BulkAction::RenameGroup { group_name: group_of(action) },
        });
        let (addr, session) = (server.addr, cookie.clone());
        let sent = Instant::now();
        let apply = tokio::spawn(async move { call(addr, "serials/apply", &session, &args, timeout).await });
        if kill_plan.first().is_some_and(|(at, moment)| action >= at + 5 && *moment != Moment::Midway) {
            println!("action {action}: the moment {:?} was not seen five times in a row; killing mid-way instead", kill_plan[0].1);
            kill_plan[0].1 = Moment::Midway;
        }
        let kill_now = kill_plan.first().filter(|(at, _)| action >= *at).map(|k| k.1);
        let typical = {
            let mut sorted = apply_latencies.clone();
            sorted.sort();
            sorted.get(sorted.len() / 2).copied().unwrap_or(Duration::from_millis(500))
        };
        let killed = match kill_now {
            Some(moment) if reached(&pool, &name, moment, typical, &apply).await => {
                server.kill();
                true
            }
            _ => false,
        };
        let answer = apply.await.unwrap();
        if !killed {
            apply_latencies.push(sent.elapsed());
        }
        // A kill that came after the answer was already on its way cut nothing: it is tried again.
        if let (true, Err(_), Some(moment)) = (killed, &answer, kill_now) {
            kill_plan.remove(0);
            kills.push((action, moment));
        }
        match (&answer, killed) {
            (Ok(reply), _) if reply.status == 200 => {
                let outcome: BulkOutcome = serde_json::from_str(&reply.body).unwrap();
                if outcome.changed != SERIALS as u64 {
                    failures.push(format!("action {action} changed {} serials, not {SERIALS}", outcome.changed));
                }
                acknowledged.extend(outcome.change_id);
            }
            (Ok(reply), _) if reply.status == 409 => conflicts += 1,
            (Ok(reply), _) => failures.push(format!("action {action}: {} {}", reply.status, reply.body)),
            (Err(_), true) => in_flight += 1,
            (Err(error), false) => failures.push(format!("action {action}: no answer: {error}")),
        }
        if killed {
            let checking = Instant::now();
            server_sessions_gone(&pool, &name).await;
            violations.extend(partial_changes(&pool, &acknowledged).await);
            check_time += checking.elapsed();
            let restarted = Instant::now();
            server = ServerProcess::spawn(Path::new(SERVER), &url, &log);
            server.wait_ready(Duration::from_secs(60)).await.unwrap();
            restart_ms.push(restarted.elapsed().as_millis());
            // The session outlives the crash: it is a row, not memory. Sign in again only if not.
            let probe = call(server.addr, "viewer", &cookie, &json!({}), timeout).await.unwrap();
            if probe.status != 200 {
                failures.push(format!("the session did not survive the crash: {}", probe.status));
                cookie = sign_in(server.addr, CM).await.unwrap();
            }
        }
    }
    server.terminate(Duration::from_secs(10));
    let checking = Instant::now();
    violations.extend(partial_changes(&pool, &acknowledged).await);
    check_time += checking.elapsed();
    apply_latencies.sort();

    let (changes, events): (i64, i64) =
        sqlx::query_as("select count(distinct change_id), count(*) from serial_changes").fetch_one(&pool).await.unwrap();
    let committed_unacknowledged = changes - acknowledged.len() as i64;
    println!(
        "RELIABILITY crash: {ACTIONS} bulk actions of {SERIALS} serials, {} kills (-9) at {:?}; acknowledged {}; in flight when killed {in_flight} \
         (committed before the kill, answer lost: {committed_unacknowledged}; rolled back: {}); conflicts {conflicts}; other failures {}; \
         changes in the database {changes} with {events} audit events; restarts took {restart_ms:?} ms; violations {}; \
         apply latency p50 {} ms, max {} ms; checks {:.1} s; {:.0} s in all",
        kills.len(),
        kills,
        acknowledged.len(),
        in_flight as i64 - committed_unacknowledged,
        failures.len(),
        violations.len(),
        apply_latencies.get(apply_latencies.len() / 2).copied().unwrap_or_default().as_millis(),
        apply_latencies.last().copied().unwrap_or_default().as_millis(),
        check_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    assert!(violations.is_empty(), "partly applied changes: {violations:#?}");
    assert!(failures.is_empty(), "{failures:#?}\nserver log:\n{}", server.log_tail(40));
    assert_eq!(kills.len(), KILLS.len(), "every kill landed while an action was in flight: {kills:?}");
    assert_eq!(in_flight, KILLS.len(), "each kill cut an action's answer");
    assert!((0..=in_flight as i64).contains(&committed_unacknowledged), "only an action in flight may be there unacknowledged");
    assert_eq!(events, changes * SERIALS as i64);
    pool.close().await;
    drop_database(&database_url(), &name).await;
}

// ---------------------------------------------------------------------------------------------
// Database restart

#[derive(Debug, Clone)]
struct Sample {
    sent: Instant,
    latency: Duration,
    page: bool,
    answer: Result<(u16, String), String>,
}

/// Says in words that the database is unavailable: the error a server function's caller decodes,
/// or a page that says it.
fn says_unavailable(sample: &Sample) -> bool {
    match &sample.answer {
        Ok((503, body)) if sample.page => body.contains("The database is unavailable"),
        Ok((503, body)) => serde_json::from_str::<app::AppError>(body).is_ok_and(|e| {
            e == app::AppError::Unavailable && e.to_string().starts_with("The database is unavailable at the moment")
        }),
        _ => false,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_postgresql_is_down_every_request_gets_a_quick_503_saying_so_and_the_server_serves_again_by_itself_once_it_is_back() {
    let _one = ONE_AT_A_TIME.lock().await;
    let cluster = Cluster::create("restart").unwrap();
    cluster.start().unwrap();
    let url = cluster.url("postgres");
    let pool = our_pool(&url).await;
    seed(&pool, 500).await;
    pool.close().await;
    let log = log_file("restart-server.log");
    let mut server = ServerProcess::spawn(Path::new(SERVER), &url, &log);
    server.wait_ready(Duration::from_secs(60)).await.unwrap();
    let cookie = sign_in(server.addr, CM).await.unwrap();

    // Load: four clients, each in turn calling a server function and loading a page.
    let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
    let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut clients = Vec::new();
    for client in 0..4 {
        let (samples, running, cookie, addr) = (samples.clone(), running.clone(), cookie.clone(), server.addr);
        clients.push(tokio::spawn(async move {
            let mut n = client;
            while running.load(std::sync::atomic::Ordering::SeqCst) {
                n += 1;
                let page = n % 2 == 0;
                let sent = Instant::now();
                let answer = if page {
                    request(addr, "GET", "/management/users/coordinators/110000001", Some(&cookie), None, Duration::from_secs(30)).await
                } else {
                    call(addr, "serials/page", &cookie, &json!({ "query": ProductsQuery::new(CONTRACT) }), Duration::from_secs(30)).await
                };
                let latency = sent.elapsed();
                samples.lock().unwrap().push(Sample { sent, latency, page, answer: answer.map(|r| (r.status, r.body)) });
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let stopping = Instant::now();
    cluster.stop().unwrap();
    let stopped = Instant::now();
    tokio::time::sleep(Duration::from_secs(6)).await;
    let starting = Instant::now();
    cluster.start().unwrap();
    let started = Instant::now();
    // Until answers are 200 again, then two seconds more.
    let mut back: Option<Instant> = None;
    while back.is_none() && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(10)).await;
        back = samples.lock().unwrap().iter().filter(|s| s.sent >= started && matches!(s.answer, Ok((200, _)))).map(|s| s.sent + s.latency).min();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    running.store(false, std::sync::atomic::Ordering::SeqCst);
    for client in clients {
        client.await.unwrap();
    }
    let alive = server.is_running();
    let samples = samples.lock().unwrap().clone();

    let no_answer: Vec<&Sample> = samples.iter().filter(|s| s.answer.is_err()).collect();
    let unexpected: Vec<&Sample> = samples.iter().filter(|s| !matches!(s.answer, Ok((200 | 503, _)))).collect();
    let down: Vec<&Sample> = samples.iter().filter(|s| s.sent >= stopped && s.sent + s.latency <= starting).collect();
    let down_wrong: Vec<&Sample> = down.iter().copied().filter(|s| !says_unavailable(s)).collect();
    let mut down_latency: Vec<Duration> = down.iter().map(|s| s.latency).collect();
    down_latency.sort();
    let stop_window: Vec<&Sample> = samples.iter().filter(|s| s.sent < stopped && s.sent + s.latency > stopping).collect();
    let slowest_at_stop = stop_window.iter().map(|s| s.latency).max().unwrap_or_default();
    let after_back: Vec<&Sample> = back.map_or(Vec::new(), |b| samples.iter().filter(|s| s.sent >= b + Duration::from_secs(1)).collect());
    let not_served_after_back = after_back.iter().filter(|s| !matches!(s.answer, Ok((200, _)))).count();
    println!(
        "RELIABILITY restart: {} requests in all; PostgreSQL stopped (pg_ctl stop -m fast) in {} ms, down {:.1} s, started in {} ms; \
         while down {} answers, {} of them 503 'The database is unavailable', latency p50 {} ms, p99 {} ms, max {} ms; \
         requests in flight at the stop answered within {} ms; serving again {} ms after PostgreSQL accepted connections; \
         answers without HTTP status {}; statuses other than 200/503 {}; server alive {alive}",
        samples.len(),
        (stopped - stopping).as_millis(),
        (starting - stopped).as_secs_f64(),
        (started - starting).as_millis(),
        down.len(),
        down.len() - down_wrong.len(),
        percentile(&down_latency, 0.5).as_millis(),
        percentile(&down_latency, 0.99).as_millis(),
        down_latency.last().copied().unwrap_or_default().as_millis(),
        slowest_at_stop.as_millis(),
        back.map_or(-1, |b| b.saturating_duration_since(started).as_millis() as i64),
        no_answer.len(),
        unexpected.len(),
    );
    assert!(alive, "the server process died; its log:\n{}", server.log_tail(40));
    assert!(
        no_answer.is_empty(),
        "every request gets an HTTP answer, never a hang or a dropped connection: {:?}\nthe server's log:\n{}",
        &no_answer[..no_answer.len().min(5)],
        server.log_tail(40)
    );
    assert!(unexpected.is_empty(), "only 200 or 503, never a 500: {:?}", &unexpected[..unexpected.len().min(5)]);
    assert!(down.len() >= 20, "the load kept going while PostgreSQL was down: {} answers", down.len());
    assert!(down_wrong.is_empty(), "while down, every answer is 503 saying the database is unavailable: {:?}", &down_wrong[..down_wrong.len().min(5)]);
    assert!(down_latency.last().copied().unwrap_or_default() < Duration::from_secs(5), "answers while down come quickly: {down_latency:?}");
    assert!(slowest_at_stop < Duration::from_secs(5), "requests in flight when PostgreSQL stopped are answered quickly");
    assert!(back.is_some(), "the server serves again within 30 s of PostgreSQL's return; its log:\n{}", server.log_tail(40));
    assert!(after_back.len() >= 10 && not_served_after_back == 0, "once back, it stays back: {not_served_after_back} of {} not 200", after_back.len());
    server.terminate(Duration::from_secs(10));
}
