//! The exact cache of the Products list (issue 11, app/src/ssr/products/cache.rs): a page served from
//! the cache is the page the list's SQL gives, and any change committed anywhere (plain SQL, a bulk
//! action, another server instance, a renamed person) shows on the next request, while changes in
//! flight or rolled back neither show nor spoil it; "select all matching" still refuses a stale
//! selection (R23). The same cache keeps who coordinates what per company, which gives the viewer's
//! roles on every request and the users list its SC column: exact the same way.

mod common;

use app::ssr::authz::{contract_view, ContractView};
use app::ssr::products::{products_page_cached, ListCache};
use app::ssr::roles::load_viewer_cached;
use app::ssr::Actor;
use axum::http::StatusCode;
use axum::Router;
use common::*;
use serde_json::json;
use server::seed::{self, SeedOptions};
use shared::products::*;
use shared::people::{PeopleFilter, PeoplePage, Role, RoleFilter};
use shared::{Principal, Viewer};
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

// ---- Who coordinates what (roles::Coordination): the viewer's roles and the users list ----

async fn actor_of(pool: &PgPool, email: &str) -> Actor {
    let (company_id, person_id): (Uuid, Uuid) =
        sqlx::query_as("select company_id, id from people where email = $1").bind(email).fetch_one(pool).await.unwrap();
    Actor { principal: Principal::Person { company_id, person_id } }
}

/// Counted by SQL, independently of the cache.
async fn coordinated(pool: &PgPool, email: &str) -> i64 {
    sqlx::query_scalar("select count(*) from serial_numbers s join people p on p.id = s.coordinator_id where p.email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn viewer(pool: &PgPool, cache: &ListCache, email: &str) -> Viewer {
    load_viewer_cached(pool, cache, &actor_of(pool, email).await).await.unwrap()
}

/// The viewer through the cache agrees with the SQL count, and a second look is a hit.
async fn check_viewer(pool: &PgPool, cache: &ListCache, email: &str) -> Viewer {
    let got = viewer(pool, cache, email).await;
    assert_eq!(got.coordinated_serials, coordinated(pool, email).await, "{email}");
    let hits = cache.computations();
    assert_eq!(viewer(pool, cache, email).await, got);
    assert_eq!(cache.computations(), hits, "{email}: the second look is served from the cache");
    got
}

/// A user with nothing (no serials, not a CM) in the small demo.
const NOBODY: &str = "user10@acme.example";

async fn bulk(app: &Router, cookie: &str, selection: &Selection, action: BulkAction) -> BulkOutcome {
    let reply = call(app, "serials/apply", Some(cookie), json!({ "contract_number": MAIN, "selection": selection, "action": action })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

/// The first `n` serials of the contract that `email` does not coordinate, as shown.
async fn not_theirs(app: &Router, cookie: &str, who: Uuid, n: usize) -> Selection {
    let all = page_via(app, cookie, &ProductsQuery::new(MAIN)).await;
    Selection::Rows(all.rows.iter().filter(|r| r.coordinator_id != who).take(n).map(|r| ShownRow { id: r.id, version: r.version }).collect())
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn the_viewers_roles_follow_assign_and_unassign_through_the_store(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cm = sign_in(&app, CM).await;
    let nobody = sign_in(&app, NOBODY).await;
    let who = person(&pool, NOBODY).await;
    // Another instance's cache, and the process-wide one behind the router (GET /api/viewer).
    let cache = ListCache::new();
    let via_http = |cookie: String| {
        let app = app.clone();
        async move {
            let reply = call(&app, "viewer", Some(&cookie), json!({})).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            serde_json::from_str::<Viewer>(&reply.body).unwrap()
        }
    };
    let before = check_viewer(&pool, &cache, NOBODY).await;
    assert_eq!((before.coordinated_serials, before.role_labels()), (0, vec!["User"]));
    assert_eq!(via_http(nobody.clone()).await, before);
    assert_eq!(check_viewer(&pool, &cache, "sc2@acme.example").await.role_labels(), ["Software Coordinator"]);

    // Assign: an SC of 4 serials on the next request, in both instances.
    let selection = not_theirs(&app, &cm, who, 4).await;
    bulk(&app, &cm, &selection, BulkAction::Assign { assignee: Assignee::Existing(who) }).await;
    let after = check_viewer(&pool, &cache, NOBODY).await;
    assert_eq!((after.coordinated_serials, after.role_labels()), (4, vec!["Software Coordinator"]));
    assert_eq!(via_http(nobody.clone()).await.coordinated_serials, 4);
    // R4: now the CM may give them the right to manage users, and they then may.
    let grant = call(&app, "people/privilege", Some(&cm), json!({ "person": who, "privilege": "ManageUsers", "granted": true })).await;
    assert_eq!(grant.status, StatusCode::OK, "{}", grant.body);
    assert!(via_http(nobody.clone()).await.may_manage_users);
    let grant = call(&app, "people/privilege", Some(&cm), json!({ "person": who, "privilege": "ManageUsers", "granted": false })).await;
    assert_eq!(grant.status, StatusCode::OK, "{}", grant.body);

    // Unassign two of them: 2 left, and removal is refused saying so (R21); Unassign the rest: a User
    // again, who may no longer be given the right (R4) and can be removed.
    let theirs = page_via(&app, &cm, &ProductsQuery { filter: SerialFilter { coordinator: Some(CoordinatorFilter::Person(who)), ..Default::default() }, ..ProductsQuery::new(MAIN) }).await;
    let rows: Vec<ShownRow> = theirs.rows.iter().map(|r| ShownRow { id: r.id, version: r.version }).collect();
    assert_eq!(rows.len(), 4);
    bulk(&app, &cm, &Selection::Rows(rows[..2].to_vec()), BulkAction::Unassign).await;
    assert_eq!(check_viewer(&pool, &cache, NOBODY).await.coordinated_serials, 2);
    assert_eq!(via_http(nobody.clone()).await.coordinated_serials, 2);
    let refused = call(&app, "people/remove", Some(&cm), json!({ "person": who })).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body.contains("coordinates 2 serial numbers"), "{}", refused.body);
    bulk(&app, &cm, &Selection::Rows(rows[2..].to_vec()), BulkAction::Unassign).await;
    let again = check_viewer(&pool, &cache, NOBODY).await;
    assert_eq!((again.coordinated_serials, again.role_labels()), (0, vec!["User"]));
    assert_eq!(via_http(nobody.clone()).await.coordinated_serials, 0);
    let grant = call(&app, "people/privilege", Some(&cm), json!({ "person": who, "privilege": "ManageUsers", "granted": true })).await;
    assert_eq!(grant.status, StatusCode::UNPROCESSABLE_ENTITY, "no longer an SC: {}", grant.body);
    let removed = call(&app, "people/remove", Some(&cm), json!({ "person": who })).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn the_viewers_count_follows_plain_sql_of_another_instance_but_not_an_open_transaction(pool: PgPool) {
    seed(&pool, 120).await;
    let (a, b) = (ListCache::new(), ListCache::new());
    let who = person(&pool, NOBODY).await;
    for cache in [&a, &b] {
        assert_eq!(check_viewer(&pool, cache, NOBODY).await.coordinated_serials, 0);
        check_viewer(&pool, cache, "sc1@acme.example").await;
    }
    let sc1 = coordinated(&pool, "sc1@acme.example").await;
    let five: Vec<Uuid> = sqlx::query_scalar(
        "select s.id from serial_numbers s join contracts c on c.id = s.contract_id
          where c.contract_number = $1 and s.coordinator_id is distinct from $2 order by s.serial limit 5",
    )
    .bind(MAIN)
    .bind(who)
    .fetch_all(&pool)
    .await
    .unwrap();

    // Open, not committed: neither instance shows it, and a map computed meanwhile (its snapshot
    // lists the writer as running) is not taken for the committed state later.
    let mut conn = other(&pool).await;
    exec(&mut conn, "begin").await;
    sqlx::query("update serial_numbers set coordinator_id = $2, version = version + 1, updated_at = now() where id = any($1)")
        .bind(&five)
        .bind(who)
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("select pg_current_xact_id()").execute(&pool).await.unwrap();
    let hits = a.computations();
    assert_eq!(viewer(&pool, &a, NOBODY).await.coordinated_serials, 0, "an uncommitted change is not shown");
    assert_eq!(a.computations(), hits, "nor does it invalidate");
    b.clear();
    assert_eq!(check_viewer(&pool, &b, NOBODY).await.coordinated_serials, 0, "computed while the writer runs");
    exec(&mut conn, "commit").await;

    // Committed by "another instance" (plain SQL): both see it on their next request.
    let moved_from_sc1 = sqlx::query_scalar::<_, i64>("select count(*) from serial_numbers where id = any($1) and coordinator_id = $2")
        .bind(&five)
        .bind(who)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(moved_from_sc1, 5);
    for cache in [&a, &b] {
        let hits = cache.computations();
        let got = check_viewer(&pool, cache, NOBODY).await;
        assert_eq!((got.coordinated_serials, got.role_labels()), (5, vec!["Software Coordinator"]));
        assert!(cache.computations() > hits, "recomputed after the commit");
        assert_eq!(check_viewer(&pool, cache, "sc1@acme.example").await.coordinated_serials, coordinated(&pool, "sc1@acme.example").await);
    }
    assert!(coordinated(&pool, "sc1@acme.example").await <= sc1);

    // A rolled-back change invalidates nothing; an unassignment by plain SQL (null: the CM's by
    // default, R3, counted for nobody) shows.
    exec(&mut conn, "begin").await;
    exec(&mut conn, "update serial_numbers set coordinator_id = null, version = version + 1").await;
    exec(&mut conn, "rollback").await;
    let hits = a.computations();
    assert_eq!(viewer(&pool, &a, NOBODY).await.coordinated_serials, 5);
    assert_eq!(a.computations(), hits, "a rolled-back change does not invalidate");
    sqlx::query("update serial_numbers set coordinator_id = null where id = any($1)").bind(&five[..3]).execute(&mut conn).await.unwrap();
    for cache in [&a, &b] {
        assert_eq!(check_viewer(&pool, cache, NOBODY).await.coordinated_serials, 2);
    }
    let cm = check_viewer(&pool, &a, CM).await;
    assert_eq!(cm.coordinated_serials, 0, "the CM's serials by default are not counted (R3)");
    assert!(cm.is_contract_manager() && cm.may_manage_users);
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn the_users_list_shows_the_sc_role_right_after_an_assign(pool: PgPool) {
    seed_small(&pool).await;
    let app = app(pool.clone());
    let cm = sign_in(&app, CM).await;
    let who = person(&pool, NOBODY).await;
    let list = |filter: PeopleFilter| {
        let (app, cm) = (app.clone(), cm.clone());
        async move {
            let reply = call(&app, "people/list", Some(&cm), json!({ "filter": filter, "page": 1 })).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            serde_json::from_str::<PeoplePage>(&reply.body).unwrap()
        }
    };
    let roles_of = |page: &PeoplePage| page.rows.iter().find(|r| r.id == who).map(|r| (r.roles.clone(), r.removable));
    let scs = || PeopleFilter { role: Some(RoleFilter::SoftwareCoordinator), ..PeopleFilter::default() };
    // Twice, so the second is served from the (process-wide) cache.
    let everyone = list(PeopleFilter::default()).await;
    assert_eq!(list(PeopleFilter::default()).await, everyone);
    assert_eq!(roles_of(&everyone), Some((vec![Role::User], true)));
    let before = list(scs()).await;
    assert_eq!(roles_of(&before), None);
    assert!(before.total >= 4, "the demo's SCs");

    let selection = not_theirs(&app, &cm, who, 3).await;
    let outcome = bulk(&app, &cm, &selection, BulkAction::Assign { assignee: Assignee::Existing(who) }).await;
    assert_eq!(roles_of(&list(PeopleFilter::default()).await), Some((vec![Role::SoftwareCoordinator], false)));
    let after = list(scs()).await;
    assert_eq!(after.total, before.total + 1);
    assert_eq!(roles_of(&after), Some((vec![Role::SoftwareCoordinator], false)));
    let users = list(PeopleFilter { role: Some(RoleFilter::User), ..PeopleFilter::default() }).await;
    assert_eq!(roles_of(&users), None);
    let csv = send(&app, get("/export/people?role=sc", Some(&cm))).await;
    assert!(csv.body.contains(NOBODY), "the CSV export reads the same: {}", csv.body);

    // Undone through the store: a User again.
    let undone = call(&app, "serials/undo", Some(&cm), json!({ "contract_number": MAIN, "change_id": outcome.change_id.unwrap() })).await;
    assert_eq!(undone.status, StatusCode::OK, "{}", undone.body);
    assert_eq!(roles_of(&list(PeopleFilter::default()).await), Some((vec![Role::User], true)));
    assert_eq!(list(scs()).await.total, before.total);

    let reply = send(&app, get("/export/people?role=sc", Some(&cm))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(!reply.body.contains(NOBODY), "{}", reply.body);
}
