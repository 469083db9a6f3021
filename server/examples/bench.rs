//! Benchmarks of the Products tab (issue 3), run by `make bench` (scripts/bench) against a database
//! seeded with `server seed --serials 100000`. Prints Markdown for BENCHMARKS.md.
//!
//! - Bulk actions over 1,000 / 10,000 / 100,000 serials selected as "all matching": the server's
//!   time (store call: lock and check the selection, update, audit, commit) next to the lock and the
//!   UPDATE alone run bare in psql (the floor), and their ratio.
//! - The Products list: a filtered, sorted page of the 100,000-serial contract, sequentially (p50,
//!   p99) and through the whole HTTP router under concurrent load (throughput, p50, p99).
//! - Bulk Add (issue 5): 5,000 entries previewed and then added and invited, each through the whole
//!   HTTP router (session, same-origin check, server function, JSON in and out).

use app::ssr::authz::{self, Contract, ContractView};
use app::ssr::products;
use app::ssr::Actor;
use axum::body::Body;
use axum::http::{header, Request};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use server::config::Config;
use server::startup::{build_router, AppState};
use shared::products::{Assignee, BulkAction, ProductsQuery, Selection, SerialFilter, SortKey};
use shared::Principal;
use sqlx::PgPool;
use std::process::Command;
use std::time::{Duration, Instant};
use tower::ServiceExt;
use uuid::Uuid;

const CONTRACT: &str = "110000001";
const RUNS: usize = 5;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

fn percentile(mut xs: Vec<f64>, p: f64) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let i = ((xs.len() as f64 - 1.0) * p).round() as usize;
    xs[i]
}

async fn person(pool: &PgPool, email: &str) -> (Uuid, Uuid) {
    sqlx::query_as("select company_id, id from people where email = $1").bind(email).fetch_one(pool).await.unwrap()
}

fn slice(text: &str) -> SerialFilter {
    SerialFilter { text: text.into(), ..SerialFilter::default() }
}

async fn all_matching(pool: &PgPool, view: &ContractView, filter: &SerialFilter) -> Selection {
    let mut query = ProductsQuery::new(CONTRACT);
    query.filter = filter.clone();
    query.page_size = 25;
    let page = products::products_page(pool, view, &query).await.unwrap();
    Selection::AllMatching { filter: filter.clone(), expected: page.total, as_of_micros: page.as_of_micros }
}

/// The lock and the UPDATE `products::apply` runs, with literal values, timed by psql itself: the
/// floor under the store's time (the audit events, written by `ssr::audit::record`, are not part
/// of this baseline).
fn bare_sql(contract: &Contract, filter: &SerialFilter, set: &str) -> String {
    let text_clause = if filter.text.is_empty() {
        String::new()
    } else if shared::products::is_serial_fragment(&filter.text) {
        format!(" and s.serial like '%{}%'", filter.text)
    } else {
        let p = format!("%{}%", filter.text);
        format!(
            " and (s.serial ilike '{p}' or pr.name || ' ' || pr.release ilike '{p}' or s.group_name ilike '{p}' \
               or ep.first_name || ' ' || ep.last_name ilike '{p}' or ep.email ilike '{p}')"
        )
    };
    let from = format!(
        "from serial_numbers s join contracts c on c.company_id = s.company_id and c.id = s.contract_id \
         join products pr on pr.id = s.product_id \
         join people ep on ep.company_id = s.company_id and ep.id = coalesce(s.coordinator_id, c.manager_id) \
         where s.company_id = '{}' and s.contract_id = '{}'{text_clause}",
        contract.company_id, contract.id
    );
    let (kind, coordinator, group) = match set {
        "unassign" => ("coordinator", "null::uuid".to_string(), "null::text".to_string()),
        "rename" => ("group", "null::uuid".to_string(), format!("'Bare {}'::text", Uuid::new_v4().simple())),
        person => ("coordinator", format!("'{person}'::uuid"), "null::text".to_string()),
    };
    format!(
        "\\timing on\nbegin;\n\
         create temp table picked on commit drop as select s.id, s.serial, s.updated_at > now() - interval '1 year' as stale {from} order by s.serial for update of s;\n\
         with old as (select id, coordinator_id, group_name, version from serial_numbers where company_id = '{company}' and id in (select id from picked)),\n\
         changed as (update serial_numbers s set coordinator_id = case when '{kind}' = 'coordinator' then {coordinator} else s.coordinator_id end,\n\
           group_name = case when '{kind}' = 'group' then {group} else s.group_name end, version = s.version + 1, updated_at = now()\n\
           from old where s.company_id = '{company}' and s.id = old.id\n\
           and (('{kind}' = 'coordinator' and s.coordinator_id is distinct from {coordinator}) or ('{kind}' = 'group' and s.group_name is distinct from {group}))\n\
           returning s.id, old.coordinator_id as oc, old.group_name as og, s.coordinator_id, s.group_name, s.version)\n\
         select count(*) from changed;\ncommit;\n",
        company = contract.company_id,
    )
}

fn psql_ms(url: &str, sql: &str) -> f64 {
    let output = Command::new("psql").arg(url).arg("-X").arg("-q").arg("-c").arg("\\set QUIET on").arg("-f").arg("-")
        .stdin_file(sql)
        .output()
        .expect("psql runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "psql failed: {}", String::from_utf8_lossy(&output.stderr));
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("Time: "))
        .filter_map(|t| t.split_whitespace().next()?.parse::<f64>().ok())
        .sum()
}

trait StdinFile {
    fn stdin_file(&mut self, text: &str) -> &mut Self;
}

impl StdinFile for Command {
    fn stdin_file(&mut self, text: &str) -> &mut Self {
        let path = std::env::temp_dir().join(format!("seatkeeper-bench-{}.sql", Uuid::new_v4().simple()));
        std::fs::write(&path, text).unwrap();
        self.stdin(std::fs::File::open(&path).unwrap());
        self
    }
}

#[tokio::main]
async fn main() {
    let config = Config::from_env().unwrap();
    let pool = server::database::connect(&config).await.unwrap();
    let (company_id, cm) = person(&pool, "cm@acme.example").await;
    let (_, sc1) = person(&pool, "sc1@acme.example").await;
    let (_, sc2) = person(&pool, "sc2@acme.example").await;
    let (_, sc3) = person(&pool, "sc3@acme.example").await;
    let (_, sc4) = person(&pool, "sc4@acme.example").await;
    let actor = Actor { principal: Principal::Person { company_id, person_id: cm } };
    let view = authz::contract_view(&pool, &actor, CONTRACT).await.unwrap();
    let manager = view.clone().manage().unwrap();
    let total: i64 = sqlx::query_scalar("select count(*) from serial_numbers where contract_id = $1")
        .bind(view.contract().id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(total >= 100_000, "seed the bench database with --serials 100000 first");

    println!("### Bulk actions over \"all matching\" (median of {RUNS} runs, 3 at 100,000; ms)\n");
    println!("| serials | action | server (store call, with audit) | lock and UPDATE bare in psql | ratio |");
    println!("| ---: | --- | ---: | ---: | ---: |");
    for (label, filter) in [("1,000", slice("-100001")), ("10,000", slice("-10001")), ("100,000", SerialFilter::default())] {
        for action_name in ["Assign", "Unassign", "Rename Group"] {
            let mut server_times = Vec::new();
            let mut bare_times = Vec::new();
            // 100,000-row changes take seconds; three runs give their median.
            let runs = if filter.text.is_empty() { 3 } else { RUNS };
            for run in 0..runs {
                // Each run must change every row: assign alternates people, rename alternates names,
                // and an unassign is preceded by an assign.
                let person = if run % 2 == 0 { sc1 } else { sc2 };
                let action = match action_name {
                    "Assign" => BulkAction::Assign { assignee: Assignee::Existing(person) },
                    "Unassign" => {
                        let prep = all_matching(&pool, &view, &filter).await;
                        products::apply(&pool, &manager, &prep, &BulkAction::Assign { assignee: Assignee::Existing(person) }).await.unwrap();
                        BulkAction::Unassign
                    }
                    _ => BulkAction::RenameGroup { group_name: format!("Bench {run}") },
                };
                let selection = all_matching(&pool, &view, &filter).await;
                let started = Instant::now();
                let outcome = products::apply(&pool, &manager, &selection, &action).await.unwrap();
                server_times.push(ms(started.elapsed()));
                assert!(outcome.changed > 0);

                let set = match action_name {
                    // Other people than the server's runs, so each run changes every row.
                    "Assign" => (if run % 2 == 0 { sc3 } else { sc4 }).to_string(),
                    "Unassign" => {
                        // put them back on a person first, so the bare unassign changes every row
                        psql_ms(&config.database_url, &bare_sql(view.contract(), &filter, &sc1.to_string()));
                        "unassign".to_string()
                    }
                    _ => "rename".to_string(),
                };
                bare_times.push(psql_ms(&config.database_url, &bare_sql(view.contract(), &filter, &set)));
            }
            let (server, bare) = (median(server_times), median(bare_times));
            println!("| {label} | {action_name} | {server:.1} | {bare:.1} | {:.2} |", server / bare);
        }
    }
    // Leave the contract as seeded for the list benchmark: unassigned, groups as they were is not
    // needed for timing.

    // The bulk runs above rewrote the contract dozens of times; let autovacuum's work happen now
    // rather than in the middle of the list measurements.
    sqlx::query("vacuum analyze serial_numbers").execute(&pool).await.unwrap();
    let product: Uuid = sqlx::query_scalar("select id from products where name = 'Revit'").fetch_one(&pool).await.unwrap();
    let mut query = ProductsQuery::new(CONTRACT);
    query.filter.product = Some(product);
    query.sort = SortKey::Coordinator;
    query.descending = true;
    query.page = 10;
    query.page_size = 50;
    let mut times = Vec::new();
    for _ in 0..20 {
        products::products_page(&pool, &view, &query).await.unwrap();
    }
    for _ in 0..500 {
        let started = Instant::now();
        let page = products::products_page(&pool, &view, &query).await.unwrap();
        times.push(ms(started.elapsed()));
        assert_eq!(page.rows.len(), 50);
    }
    println!("\n### Products list: one filtered, sorted page of the 100,000-serial contract\n");
    println!("Filter product = Revit 2026, sorted by coordinator descending, page 10 of 50 rows.\n");
    println!("| measure | p50 ms | p99 ms |");
    println!("| --- | ---: | ---: |");
    println!("| store call, sequential, 500 runs | {:.1} | {:.1} |", percentile(times.clone(), 0.5), percentile(times, 0.99));

    // The whole HTTP path: session middleware, same-origin check, server function, JSON.
    let options = LeptosOptions::builder().output_name("seatkeeper").build();
    let router = build_router(AppState::new(pool.clone(), options, &config));
    let login = Request::post("/auth/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("email=cm%40acme.example&password=seatkeeper-demo"))
        .unwrap();
    let response = router.clone().oneshot(login).await.unwrap();
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let body = serde_json::json!({ "query": query }).to_string();
    let concurrency = 16;
    let per_task = 125;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (router, cookie, body) = (router.clone(), cookie.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            for _ in 0..per_task {
                let request = Request::post("/api/serials/page")
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::COOKIE, &cookie)
                    .body(Body::from(body.clone()))
                    .unwrap();
                let t = Instant::now();
                let response = router.clone().oneshot(request).await.unwrap();
                assert!(response.status().is_success());
                let _ = response.into_body().collect().await.unwrap();
                times.push(ms(t.elapsed()));
            }
            times
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "| HTTP router in process, {concurrency} concurrent, {} requests ({:.0} requests/s) | {:.1} | {:.1} |",
        all.len(),
        all.len() as f64 / elapsed,
        percentile(all.clone(), 0.5),
        percentile(all, 0.99)
    );

    bulk_add(&router, &cookie).await;
}

/// Bulk Add of 5,000 entries (the most one submission takes, R16): the preview, then the confirmed
/// add (people, invitations, outbox emails and audit events in one transaction), timed as the
/// server's time to answer each request.
async fn bulk_add(router: &axum::Router, cookie: &str) {
    const ENTRIES: usize = 5_000;
    let call = |endpoint: &'static str, text: String| {
        let request = Request::post(format!("/api/{endpoint}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, cookie)
            .body(Body::from(serde_json::json!({ "text": text }).to_string()))
            .unwrap();
        let router = router.clone();
        async move {
            let started = Instant::now();
            let response = router.oneshot(request).await.unwrap();
            let status = response.status();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            assert!(status.is_success(), "{endpoint}: {status} {}", String::from_utf8_lossy(&body));
            (ms(started.elapsed()), body.len())
        }
    };
    let (mut previews, mut adds) = (Vec::new(), Vec::new());
    let mut preview_bytes = 0;
    for run in 0..RUNS {
        // Names with and without a display name, as a pasted address list has them.
        let text = (0..ENTRIES)
            .map(|i| if i % 2 == 0 { format!("Bench{i} Person{run} <bench{run}.{i}@acme.example>") } else { format!("bench{run}.{i}@acme.example") })
            .collect::<Vec<_>>()
            .join(";\n");
        let (preview, bytes) = call("people/bulk-preview", text.clone()).await;
        previews.push(preview);
        preview_bytes = bytes;
        adds.push(call("people/bulk-add", text).await.0);
    }
    let (preview, add) = (median(previews), median(adds));
    println!("\n### Bulk Add: {ENTRIES} new people in one submission (median of {RUNS} runs; ms)\n");
    println!("Through the HTTP router in process; each run adds {ENTRIES} new people, with their invitations and emails.\n");
    println!("| step | server ms |");
    println!("| --- | ---: |");
    println!("| Preview (parse, classify against the company's people; {} KB of JSON back) | {preview:.1} |", preview_bytes / 1024);
    println!("| Add and invite (one transaction: people, invitations, outbox, audit) | {add:.1} |");
    println!("| both, end to end | {:.1} |", preview + add);
}
