//! The exact cache of the Products list (issue 11, app/src/ssr/products/cache.rs): a page served from
//! the cache is the page the list's SQL gives, and any change committed anywhere (plain SQL, a bulk
//! action, another server instance, a renamed person) shows on the next request, while changes in
//! flight or rolled back neither show nor spoil it; "select all matching" still refuses a stale
//! selection (R23).

mod common;

use app::ssr::authz::{contract_view, ContractView};
use app::ssr::products::{products_page_cached, ListCache};
use app::ssr::Actor;
use axum::http::StatusCode;
use axum::Router;
use common::*;
use serde_json::json;
use server::seed::{self, SeedOptions};
use shared::products::*;
use shared::Principal;
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

const MAIN: &str = "110000001";

async fn seed(pool: &PgPool, serials: u32) {
    seed::run(pool, &SeedOptions { serials, if_empty: false, progress: false }).await.expect("seeding");
}

async fn view_of(pool: &PgPool, email: &str) -> ContractView {
    let (company_id, person_id): (Uuid, Uuid) =
        sqlx::query_as("select company_id, id from people where email = $1").bind(email).fetch_one(pool).await.unwrap();
    let actor = Actor { principal: Principal::Person { company_id, person_id } };
    contract_view(pool, &actor, MAIN).await.unwrap()
}

/// Another connection, as another server (or psql) would write.
async fn other(pool: &PgPool) -> PgConnection {
    PgConnection::connect_with(&pool.connect_options()).await.unwrap()
}

async fn exec(conn: &mut PgConnection, sql: &str) {
    sqlx::query(sql).execute(&mut *conn).await.unwrap();
}

/// What a page must show, by SQL written independently of the store's: every column the table shows,
/// sorted as the sort means (R3: an unassigned serial is the CM's).
#[derive(Debug, PartialEq)]
struct Expected {
    total: u64,
    rows: Vec<(Uuid, String, String, Option<String>, String, bool, i64)>,
}

async fn expected(pool: &PgPool, query: &ProductsQuery) -> Expected {
    let dir = if query.descending { "desc" } else { "asc" };
    let keys: &[&str] = match query.sort {
        SortKey::Serial => &["s.serial"],
        SortKey::Product => &["pr.name", "pr.release", "s.serial"],
        SortKey::LicenceType => &["pr.licence_type", "s.serial"],
        SortKey::Quantity => &["s.quantity", "s.serial"],
        SortKey::Group => &["s.group_name", "s.serial"],
        SortKey::Coordinator => &["ep.last_name", "ep.first_name", "ep.id", "s.serial"],
    };
    let order: Vec<String> = keys.iter().map(|k| format!("{k} {dir} nulls last")).collect();
    let f = &query.filter;
    let text = f.text.trim().to_lowercase();
    // A piece of a serial looks at serials only; other text at every column shown.
    let haystack = if is_serial_fragment(&text) {
        "s.serial"
    } else {
        "lower(s.serial || '|' || pr.name || ' ' || pr.release || '|' || coalesce(s.group_name, '') || '|' || ep.first_name || ' ' || ep.last_name || '|' || ep.email)"
    };
    let sql = format!(
        "select s.id, s.serial, pr.name || ' ' || pr.release, s.group_name, ep.email, s.coordinator_id is null, s.version,
                count(*) over ()
           from serial_numbers s
           join contracts c on c.company_id = s.company_id and c.id = s.contract_id
           join products pr on pr.id = s.product_id
           join people ep on ep.company_id = s.company_id and ep.id = coalesce(s.coordinator_id, c.manager_id)
          where c.contract_number = $1
            and ($2 = '' or strpos({haystack}, $2) > 0)
            and ($3::uuid is null or s.product_id = $3)
            and ($4::text is null or s.group_name = $4) and (not $5 or s.group_name is null)
            and ($6::uuid is null or s.coordinator_id = $6) and (not $7 or s.coordinator_id is null)
          order by {order} limit $8 offset $9",
        order = order.join(", ")
    );
    let (group, no_group) = match &f.group {
        Some(GroupFilter::Named(g)) => (Some(g.clone()), false),
        Some(GroupFilter::NoGroup) => (None, true),
        None => (None, false),
    };
    let (person, by_default) = match f.coordinator {
        Some(CoordinatorFilter::Person(p)) => (Some(p), false),
        Some(CoordinatorFilter::ContractManagerByDefault) => (None, true),
        None => (None, false),
    };
    type Got = (Uuid, String, String, Option<String>, String, bool, i64, i64);
    let got: Vec<Got> = sqlx::query_as(&sql)
        .bind(MAIN)
        .bind(&text)
        .bind(f.product)
        .bind(group)
        .bind(no_group)
        .bind(person)
        .bind(by_default)
        .bind(query.clamped_page_size() as i64)
        .bind(query.offset() as i64)
        .fetch_all(pool)
        .await
        .unwrap();
    let total = match got.first() {
        Some(row) => row.7 as u64,
        // A page past the end: count on its own.
        None => {
            let mut whole = query.clone();
            whole.page = 1;
            if query.page > 1 {
                Box::pin(expected(pool, &whole)).await.total
            } else {
                0
            }
        }
    };
    Expected { total, rows: got.into_iter().map(|r| (r.0, r.1, r.2, r.3, r.4, r.5, r.6)).collect() }
}

fn shown(page: &ProductsPage) -> Expected {
    Expected {
        total: page.total,
        rows: page
            .rows
            .iter()
            .map(|r| {
                (r.id, r.serial.clone(), format!("{} {}", r.product, r.release), r.group_name.clone(), r.coordinator_email.clone(), r.coordinator_is_default, r.version)
            })
            .collect(),
    }
}

async fn page(pool: &PgPool, cache: &ListCache, view: &ContractView, query: &ProductsQuery) -> ProductsPage {
    products_page_cached(pool, cache, view, query).await.unwrap()
}

/// The page through a cache agrees with the independent SQL.
async fn check(pool: &PgPool, cache: &ListCache, view: &ContractView, query: &ProductsQuery) -> ProductsPage {
    let got = page(pool, cache, view, query).await;
    assert_eq!(shown(&got), expected(pool, query).await, "{query:?}");
    got
}

fn query(page: u32) -> ProductsQuery {
    let mut q = ProductsQuery::new(MAIN);
    q.page = page;
    q.page_size = 25;
    q
}

async fn person(pool: &PgPool, email: &str) -> Uuid {
    sqlx::query_scalar("select id from people where email = $1").bind(email).fetch_one(pool).await.unwrap()
}

async fn some_product(pool: &PgPool) -> Uuid {
    sqlx::query_scalar(
        "select s.product_id from serial_numbers s join contracts c on c.id = s.contract_id
          where c.contract_number = $1 group by 1 order by count(*) desc limit 1",
    )
    .bind(MAIN)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn a_page_from_the_cache_is_the_page_the_list_sql_gives(pool: PgPool) {
    seed(&pool, 500).await;
    let cache = ListCache::new();
    let view = view_of(&pool, CM).await;
    let sc = person(&pool, "sc1@acme.example").await;
    let product = some_product(&pool).await;
    let filters = [
        SerialFilter::default(),
        SerialFilter { product: Some(product), ..Default::default() },
        SerialFilter { group: Some(GroupFilter::NoGroup), ..Default::default() },
        SerialFilter { group: Some(GroupFilter::Named("Site office".into())), ..Default::default() },
        SerialFilter { coordinator: Some(CoordinatorFilter::Person(sc)), ..Default::default() },
        SerialFilter { coordinator: Some(CoordinatorFilter::ContractManagerByDefault), ..Default::default() },
        SerialFilter { text: "acme".into(), ..Default::default() },
        SerialFilter { text: "00".into(), ..Default::default() },
    ];
    for filter in &filters {
        for sort in SortKey::ALL {
            for descending in [false, true] {
                for number in [1, 3, 13] {
                    let mut q = query(number);
                    q.filter = filter.clone();
                    q.sort = sort;
                    q.descending = descending;
                    let first = check(&pool, &cache, &view, &q).await;
                    let computed = cache.computations();
                    let again = check(&pool, &cache, &view, &q).await;
                    assert_eq!(cache.computations(), computed, "{q:?}: the second is served from the cache");
                    assert_eq!(first, again);
                }
            }
        }
    }
    // The heaviest view of issue 11: by product, by coordinator descending, a later page.
    let mut heavy = query(3);
    heavy.filter.product = Some(product);
    heavy.sort = SortKey::Coordinator;
    heavy.descending = true;
    let got = check(&pool, &cache, &view, &heavy).await;
    assert!(!got.rows.is_empty() && got.total > 50);
    assert!(!got.products.is_empty() && !got.groups.is_empty() && !got.coordinators.is_empty());
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn a_change_committed_by_another_connection_shows_on_the_next_request(pool: PgPool) {
    seed(&pool, 120).await;
    let cache = ListCache::new();
    let view = view_of(&pool, CM).await;
    let mut q = query(1);
    q.filter.group = Some(GroupFilter::NoGroup);
    q.sort = SortKey::Group;
    let before = check(&pool, &cache, &view, &q).await;
    let hits = cache.computations();
    check(&pool, &cache, &view, &q).await;
    assert_eq!(cache.computations(), hits, "served from the cache");

    let mut conn = other(&pool).await;
    let moved = &before.rows[..3];
    sqlx::query("update serial_numbers set group_name = 'Moved', version = version + 1, updated_at = now() where id = any($1)")
        .bind(moved.iter().map(|r| r.id).collect::<Vec<_>>())
        .execute(&mut conn)
        .await
        .unwrap();
    let after = check(&pool, &cache, &view, &q).await;
    assert_eq!(after.total, before.total - 3);
    assert!(after.rows.iter().all(|r| !moved.iter().any(|m| m.id == r.id)));
    assert!(after.groups.contains(&"Moved".to_string()), "the groups offered follow too");

    // A catalogue product renamed (no company of its own) re-sorts every list by product.
    let mut by_product = query(1);
    by_product.sort = SortKey::Product;
    check(&pool, &cache, &view, &by_product).await;
    let last: Uuid = sqlx::query_scalar(
        "select s.product_id from serial_numbers s join contracts c on c.id = s.contract_id join products pr on pr.id = s.product_id
          where c.contract_number = $1 order by pr.name desc limit 1",
    )
    .bind(MAIN)
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query("update products set name = '  First of all' where id = $1").bind(last).execute(&mut conn).await.unwrap();
    let renamed = check(&pool, &cache, &view, &by_product).await;
    assert!(renamed.rows[0].product.starts_with("  First of all"));
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn a_bulk_action_through_the_store_shows_on_the_next_request(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cookie = sign_in(&app, CM).await;
    let user = person(&pool, "user05@acme.example").await;
    let mut q = ProductsQuery::new(MAIN);
    q.filter.coordinator = Some(CoordinatorFilter::Person(user));
    // Twice: the second answer comes from the (process-wide) cache.
    let before = page_via(&app, &cookie, &q).await;
    assert_eq!(page_via(&app, &cookie, &q).await, before);
    assert_eq!(shown(&before), expected(&pool, &q).await);

    let all = page_via(&app, &cookie, &ProductsQuery::new(MAIN)).await;
    let targets: Vec<ShownRow> =
        all.rows.iter().filter(|r| r.coordinator_id != user).take(4).map(|r| ShownRow { id: r.id, version: r.version }).collect();
    let reply = call(
        &app,
        "serials/apply",
        Some(&cookie),
        json!({ "contract_number": MAIN, "selection": Selection::Rows(targets.clone()), "action": BulkAction::Assign { assignee: Assignee::Existing(user) } }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let after = page_via(&app, &cookie, &q).await;
    assert_eq!(after.total, before.total + 4);
    assert_eq!(shown(&after), expected(&pool, &q).await);
    assert!(after.coordinators.iter().any(|p| p.id == user));
    // Undo through the store: the list follows again.
    let outcome: BulkOutcome = serde_json::from_str(&reply.body).unwrap();
    let undone = call(&app, "serials/undo", Some(&cookie), json!({ "contract_number": MAIN, "change_id": outcome.change_id.unwrap() })).await;
    assert_eq!(undone.status, StatusCode::OK, "{}", undone.body);
    assert_eq!(page_via(&app, &cookie, &q).await.total, before.total);
}

async fn page_via(app: &Router, cookie: &str, query: &ProductsQuery) -> ProductsPage {
    let reply = call(app, "serials/page", Some(cookie), json!({ "query": query })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn a_change_in_flight_is_not_shown_nor_poisons_and_shows_once_committed(pool: PgPool) {
    seed(&pool, 120).await;
    let cache = ListCache::new();
    let view = view_of(&pool, CM).await;
    let mut q = query(1);
    q.filter.group = Some(GroupFilter::NoGroup);
    let before = check(&pool, &cache, &view, &q).await;

    // Open, not committed: invisible, and the cache computed meanwhile (its snapshot lists the
    // writer as running) is not taken for the committed state later.
    let mut conn = other(&pool).await;
    exec(&mut conn, "begin").await;
    sqlx::query("update serial_numbers set group_name = 'Pending', version = version + 1, updated_at = now() where id = any($1)")
        .bind(before.rows[..5].iter().map(|r| r.id).collect::<Vec<_>>())
        .execute(&mut conn)
        .await
        .unwrap();
    // A later transaction commits, so the next snapshots list the writer as running (xip) rather than
    // beyond their xmax: both cases must read as "not seen".
    let writer: String = sqlx::query_scalar("select pg_current_xact_id()::text").fetch_one(&mut conn).await.unwrap();
    sqlx::query("select pg_current_xact_id()").execute(&pool).await.unwrap();
    let listed: bool = sqlx::query_scalar("select $1::xid8 = any(array(select pg_snapshot_xip(pg_current_snapshot())))")
        .bind(&writer)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(listed, "the writer is in the snapshot's xip list");
    let during = check(&pool, &cache, &view, &q).await;
    assert_eq!(shown(&during), shown(&before), "an uncommitted change is not shown");
    cache.clear();
    let computed = cache.computations();
    let during = check(&pool, &cache, &view, &q).await;
    assert_eq!(during.total, before.total);
    assert!(cache.computations() > computed, "computed while the writer runs");
    let hits = cache.computations();
    check(&pool, &cache, &view, &q).await;
    assert_eq!(cache.computations(), hits, "still valid while the writer runs");

    exec(&mut conn, "commit").await;
    let after = check(&pool, &cache, &view, &q).await;
    assert_eq!(after.total, before.total - 5, "the commit shows on the next request");
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn a_rolled_back_change_invalidates_nothing(pool: PgPool) {
    seed(&pool, 120).await;
    let cache = ListCache::new();
    let view = view_of(&pool, CM).await;
    let q = query(2);
    let before = check(&pool, &cache, &view, &q).await;
    let mut conn = other(&pool).await;

    // Rolled back after the entry was computed.
    exec(&mut conn, "begin").await;
    exec(&mut conn, "update serial_numbers set group_name = 'Never', version = version + 1").await;
    exec(&mut conn, "update people set last_name = 'Never'").await;
    exec(&mut conn, "rollback").await;
    let hits = cache.computations();
    assert_eq!(shown(&check(&pool, &cache, &view, &q).await), shown(&before));
    assert_eq!(cache.computations(), hits, "a rolled-back change does not invalidate");

    // Rolled back while the entry's snapshot listed it as running.
    exec(&mut conn, "begin").await;
    exec(&mut conn, "update serial_numbers set group_name = 'Never', version = version + 1").await;
    cache.clear();
    check(&pool, &cache, &view, &q).await;
    exec(&mut conn, "rollback").await;
    let hits = cache.computations();
    for _ in 0..3 {
        assert_eq!(shown(&check(&pool, &cache, &view, &q).await), shown(&before));
    }
    assert_eq!(cache.computations(), hits, "not invalidated for ever");

    // A savepoint rolled back inside a committed transaction journals nothing of its own, and a
    // later change in the same transaction is journaled again.
    exec(&mut conn, "begin").await;
    exec(&mut conn, "savepoint a").await;
    exec(&mut conn, "update serial_numbers set group_name = 'Never', version = version + 1").await;
    exec(&mut conn, "rollback to a").await;
    sqlx::query("update serial_numbers set quantity = quantity + 1, version = version + 1 where id = $1")
        .bind(before.rows[0].id)
        .execute(&mut conn)
        .await
        .unwrap();
    exec(&mut conn, "commit").await;
    let hits = cache.computations();
    let after = check(&pool, &cache, &view, &q).await;
    assert!(cache.computations() > hits, "the committed change invalidated");
    assert_eq!(after.rows[0].version, before.rows[0].version + 1);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn two_instances_see_each_others_writes(pool: PgPool) {
    seed_small(&pool).await;
    let (a, b) = (ListCache::new(), ListCache::new());
    let view = view_of(&pool, CM).await;
    let mut q = query(1);
    q.sort = SortKey::Group;
    q.descending = true;
    let first_a = check(&pool, &a, &view, &q).await;
    let first_b = check(&pool, &b, &view, &q).await;
    assert_eq!(shown(&first_a), shown(&first_b));

    // "Instance A" writes through the store (a bulk action), instance B sees it.
    let app = app(pool.clone());
    let cookie = sign_in(&app, CM).await;
    let selection = Selection::Rows(first_a.rows.iter().rev().take(2).map(|r| ShownRow { id: r.id, version: r.version }).collect());
    let reply = call(&app, "serials/apply", Some(&cookie), json!({ "contract_number": MAIN, "selection": selection, "action": BulkAction::RenameGroup { group_name: "Zz top".into() } })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let second_b = check(&pool, &b, &view, &q).await;
    assert_eq!(second_b.rows[0].group_name.as_deref(), Some("Zz top"));
    // Instance B writes by plain SQL, instance A sees it.
    sqlx::query("update serial_numbers set group_name = 'Zzz last' where id = $1").bind(second_b.rows[5].id).execute(&pool).await.unwrap();
    let second_a = check(&pool, &a, &view, &q).await;
    assert_eq!(second_a.rows[0].group_name.as_deref(), Some("Zzz last"));
    assert_eq!(shown(&second_a), shown(&check(&pool, &b, &view, &q).await));
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn a_renamed_person_resorts_the_coordinator_sort(pool: PgPool) {
    seed(&pool, 120).await;
    let cache = ListCache::new();
    let view = view_of(&pool, CM).await;
    let mut q = query(1);
    q.sort = SortKey::Coordinator;
    let before = check(&pool, &cache, &view, &q).await;
    // The last coordinator in name order becomes the first.
    let mut last = query(1);
    last.sort = SortKey::Coordinator;
    last.descending = true;
    let last_page = check(&pool, &cache, &view, &last).await;
    let who = last_page.rows[0].coordinator_id;
    assert_ne!(before.rows[0].coordinator_id, who);
    sqlx::query("update people set last_name = 'Aaberg' where id = $1").bind(who).execute(&pool).await.unwrap();
    let after = check(&pool, &cache, &view, &q).await;
    assert_eq!(after.rows[0].coordinator_id, who);
    assert!(after.rows[0].coordinator_name.ends_with("Aaberg"));
    // The CM (everyone unassigned, R3) renamed: the same.
    let cm = person(&pool, CM).await;
    sqlx::query("update people set last_name = 'Aaaa' where id = $1").bind(cm).execute(&pool).await.unwrap();
    let after = check(&pool, &cache, &view, &q).await;
    assert!(after.rows[0].coordinator_is_default);
    // A change of a column the list does not show invalidates nothing.
    let hits = cache.computations();
    sqlx::query("update people set may_download = not may_download where id = $1").bind(cm).execute(&pool).await.unwrap();
    check(&pool, &cache, &view, &q).await;
    assert_eq!(cache.computations(), hits);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn r23_select_all_matching_still_refuses_a_stale_selection(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cookie = sign_in(&app, CM).await;
    let mut q = ProductsQuery::new(MAIN);
    q.filter.group = Some(GroupFilter::NoGroup);
    let first = page_via(&app, &cookie, &q).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let cached = page_via(&app, &cookie, &q).await;
    assert_eq!(cached.as_of_micros, first.as_of_micros, "as of the snapshot the count came from, not of the request");

    // A matching serial changed after the page was read: refused, nothing changes.
    sqlx::query("update serial_numbers set quantity = quantity + 1, version = version + 1, updated_at = now() where id = $1")
        .bind(cached.rows[0].id)
        .execute(&pool)
        .await
        .unwrap();
    let stale = Selection::AllMatching { filter: q.filter.clone(), expected: cached.total, as_of_micros: cached.as_of_micros };
    let action = BulkAction::RenameGroup { group_name: "Everyone".into() };
    let reply = call(&app, "serials/apply", Some(&cookie), json!({ "contract_number": MAIN, "selection": stale, "action": action })).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);

    // A serial joining the filter: the count the cached page showed is refused too.
    let reloaded = page_via(&app, &cookie, &q).await;
    assert!(reloaded.as_of_micros > cached.as_of_micros, "recomputed after the change");
    sqlx::query(
        "update serial_numbers set group_name = null where id = (select s.id from serial_numbers s join contracts c on c.id = s.contract_id
          where c.contract_number = $1 and s.group_name is not null order by s.serial limit 1)",
    )
    .bind(MAIN)
    .execute(&pool)
        .await
        .unwrap();
    let stale = Selection::AllMatching { filter: q.filter.clone(), expected: reloaded.total, as_of_micros: reloaded.as_of_micros };
    let reply = call(&app, "serials/apply", Some(&cookie), json!({ "contract_number": MAIN, "selection": stale, "action": action })).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);

    // The page read again (from a fresh computation) selects exactly what it counted.
    let fresh = page_via(&app, &cookie, &q).await;
    assert_eq!(fresh.total, reloaded.total + 1);
    let current = Selection::AllMatching { filter: q.filter.clone(), expected: fresh.total, as_of_micros: fresh.as_of_micros };
    let reply = call(&app, "serials/apply", Some(&cookie), json!({ "contract_number": MAIN, "selection": current, "action": action })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let outcome: BulkOutcome = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(outcome.changed, fresh.total);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn the_journal_costs_one_row_per_company_and_statement(pool: PgPool) {
    seed_small(&pool).await;
    let journal = |pool: PgPool| async move { sqlx::query_scalar::<_, i64>("select count(*) from list_changes").fetch_one(&pool).await.unwrap() };
    let before = journal(pool.clone()).await;
    sqlx::query("update serial_numbers set quantity = quantity + 1").execute(&pool).await.unwrap();
    let companies: i64 = sqlx::query_scalar("select count(distinct company_id) from serial_numbers").fetch_one(&pool).await.unwrap();
    assert!(journal(pool.clone()).await - before <= companies * 2, "at most a row per company switch");
    let before = journal(pool.clone()).await;
    sqlx::query("update people set may_download = may_download").execute(&pool).await.unwrap();
    assert_eq!(journal(pool.clone()).await, before, "columns the list does not show journal nothing");
}
