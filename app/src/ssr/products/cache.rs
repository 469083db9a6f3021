//! An exact cache of the Products list (issue 11): for each (contract, filter, sort, direction) the
//! ids of every matching serial in order, and for each contract what its filters offer (products,
//! groups, coordinators). A page turn then costs one statement: the validity check and the 50 rows
//! by id, which are always read fresh (versions, names).
//!
//! Exact across any number of server instances, with no change to the code that writes: each entry
//! remembers the snapshot (`pg_current_snapshot()`) it was computed in, inside a REPEATABLE READ
//! transaction, and the triggers of migration 20261202000002 journal every statement that changes a
//! company's serials, people, contracts or the product catalogue into `list_changes`, with its
//! transaction id. An entry is valid while no journal row of its company is committed that its
//! snapshot did not see:
//! - a change committed before the snapshot was taken is in the entry (its txid is visible in it);
//! - a change committed since is a visible journal row not visible in the snapshot: the entry goes;
//! - a change still in flight is invisible to every reader, the cached answer included, and its
//!   journal row is invisible to the check until it commits; one rolled back never becomes visible
//!   (it neither poisons the cache nor invalidates it for ever);
//! - a transaction in the snapshot's xip list was running then: not visible in the snapshot, so its
//!   commit invalidates.
//!
//! `txid >= pg_snapshot_xmin(snapshot)` only narrows the index scan: every txid below xmin is visible
//! in the snapshot.
//!
//! Bounded: at most `MAX_HELD` values (ids, facet options, coordinators) and `MAX_ENTRIES` entries
//! held in all, the least recently used going first whatever their kind; entries older than `TTL`
//! are recomputed, and journal rows are pruned once every entry that may still live has seen them
//! (see `prune`).
//!
//! The same machinery keeps a third kind of answer, per company: who coordinates what
//! (`roles::Coordination`, person -> serials they explicitly coordinate, R3), which every request
//! that renders a page needs for the viewer's roles (`roles::load_viewer`) and the users list for
//! its SC column. Coordinator changes are HOT updates with no index on `coordinator_id` (migration
//! 20261202000001), so counting them per request would scan the company's serials; the serials'
//! trigger journals every change of `serial_numbers`, so the cached map is exact under the same
//! check (`ListCache::changed_since`), made in the statement that reads the viewer's row.

use crate::ssr::roles::Coordination;
use crate::AppError;
use shared::products::{PersonOption, ProductOption, SerialFilter, SortKey};
use sqlx::{PgPool, Postgres, Transaction};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Values (ids, facet options, coordinators) held by one server process in all: an id is 16 bytes,
/// so at most about 32 MB.
pub const MAX_HELD: usize = 2_000_000;
/// Entries held in all (many small answers to free text).
pub const MAX_ENTRIES: usize = 20_000;
/// An entry older than this is computed again. Must stay well below `JOURNAL_KEPT`.
pub const TTL: Duration = Duration::from_secs(10 * 60);
/// Journal rows are kept at least this long after every transaction older than them ended.
pub const JOURNAL_KEPT: Duration = Duration::from_secs(60 * 60);
/// How often the pruning looks at the journal.
const PRUNE_EVERY: Duration = Duration::from_secs(5 * 60);

/// Which list: the database (tests run many at once, with the same seeded ids), the contract, the
/// filter, the sort.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct ListKey {
    pub database: Arc<str>,
    pub company: Uuid,
    pub contract: Uuid,
    pub filter: SerialFilter,
    pub sort: SortKey,
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct FacetsKey {
    pub database: Arc<str>,
    pub company: Uuid,
    pub contract: Uuid,
}

/// A company's answer that does not depend on a contract (who coordinates what).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CompanyKey {
    database: Arc<str>,
    company: Uuid,
}

/// What the cache needs of every kind of answer it keeps.
trait Cached {
    /// When its computation began (before its snapshot was taken).
    fn created(&self) -> Instant;
    /// The cache's clock when it was last handed out (for the LRU).
    fn last_used(&self) -> &AtomicU64;
    /// How many values it holds, counted against `MAX_HELD`.
    fn weight(&self) -> usize;
}

/// Every matching serial's id, in the list's order, as of `snapshot`.
#[derive(Debug)]
pub(super) struct Ids {
    pub snapshot: String,
    pub ids: Vec<Uuid>,
    /// The server's clock when the snapshot's transaction began: "select all matching" refuses rows
    /// changed after it (R23).
    pub as_of_micros: i64,
    created: Instant,
    last_used: AtomicU64,
}

/// What the contract's filters offer, as of `snapshot`.
#[derive(Debug)]
pub(super) struct Facets {
    pub snapshot: String,
    pub products: Vec<ProductOption>,
    pub groups: Vec<String>,
    pub coordinators: Vec<PersonOption>,
    created: Instant,
    last_used: AtomicU64,
}

impl Ids {
    pub fn new(snapshot: String, ids: Vec<Uuid>, as_of_micros: i64, created: Instant) -> Self {
        Self { snapshot, ids, as_of_micros, created, last_used: AtomicU64::new(0) }
    }

    /// When its computation began (before its snapshot was taken).
    pub fn created(&self) -> Instant {
        self.created
    }
}

impl Facets {
    pub fn new(snapshot: String, products: Vec<ProductOption>, groups: Vec<String>, coordinators: Vec<PersonOption>, created: Instant) -> Self {
        Self { snapshot, products, groups, coordinators, created, last_used: AtomicU64::new(0) }
    }

    pub fn created(&self) -> Instant {
        self.created
    }
}

impl Cached for Ids {
    fn created(&self) -> Instant {
        self.created
    }
    fn last_used(&self) -> &AtomicU64 {
        &self.last_used
    }
    fn weight(&self) -> usize {
        self.ids.len()
    }
}

impl Cached for Facets {
    fn created(&self) -> Instant {
        self.created
    }
    fn last_used(&self) -> &AtomicU64 {
        &self.last_used
    }
    fn weight(&self) -> usize {
        self.products.len() + self.groups.len() + self.coordinators.len()
    }
}

impl Cached for Coordination {
    fn created(&self) -> Instant {
        Coordination::created(self)
    }
    fn last_used(&self) -> &AtomicU64 {
        &self.last_used
    }
    fn weight(&self) -> usize {
        self.coordinators().len()
    }
}

/// The entries of one kind, with the values they hold.
struct Table<K, V> {
    map: HashMap<K, Arc<V>>,
    held: usize,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Self { map: HashMap::new(), held: 0 }
    }
}

impl<K: std::hash::Hash + Eq + Clone, V: Cached> Table<K, V> {
    /// The entry unless it outlived `TTL` (then it goes).
    fn get(&mut self, key: &K, tick: u64) -> Option<Arc<V>> {
        match self.map.get(key) {
            Some(e) if e.created().elapsed() < TTL => {
                e.last_used().store(tick, Ordering::Relaxed);
                Some(e.clone())
            }
            Some(_) => {
                self.remove(key);
                None
            }
            None => None,
        }
    }

    fn put(&mut self, key: K, value: Arc<V>, tick: u64) {
        value.last_used().store(tick, Ordering::Relaxed);
        self.held += value.weight();
        if let Some(old) = self.map.insert(key, value) {
            self.held -= old.weight();
        }
    }

    fn remove(&mut self, key: &K) {
        if let Some(e) = self.map.remove(key) {
            self.held -= e.weight();
        }
    }

    /// Forgets `stale` (only that entry: a newer one put meanwhile stays).
    fn drop_if(&mut self, key: &K, stale: &Arc<V>) {
        if self.map.get(key).is_some_and(|e| Arc::ptr_eq(e, stale)) {
            self.remove(key);
        }
    }

    /// The least recently used entry: (its tick, its key).
    fn oldest(&self) -> Option<(u64, K)> {
        self.map.iter().map(|(k, e)| (e.last_used().load(Ordering::Relaxed), k)).min_by_key(|(t, _)| *t).map(|(t, k)| (t, k.clone()))
    }
}

#[derive(Default)]
struct Entries {
    lists: Table<ListKey, Ids>,
    facets: Table<FacetsKey, Facets>,
    coordination: Table<CompanyKey, Coordination>,
    tick: u64,
}

impl Entries {
    fn next_tick(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }

    fn held(&self) -> usize {
        self.lists.held + self.facets.held + self.coordination.held
    }

    fn len(&self) -> usize {
        self.lists.map.len() + self.facets.map.len() + self.coordination.map.len()
    }

    /// Drops the least recently used entries, of whatever kind, until the bounds hold.
    fn evict(&mut self) {
        while self.held() > MAX_HELD || self.len() > MAX_ENTRIES {
            let list = self.lists.oldest();
            let facets = self.facets.oldest();
            let coordination = self.coordination.oldest();
            let Some(oldest) = [list.as_ref().map(|o| o.0), facets.as_ref().map(|o| o.0), coordination.as_ref().map(|o| o.0)].into_iter().flatten().min()
            else {
                break;
            };
            match (list, facets, coordination) {
                (Some((t, key)), _, _) if t == oldest => self.lists.remove(&key),
                (_, Some((t, key)), _) if t == oldest => self.facets.remove(&key),
                (_, _, Some((_, key))) => self.coordination.remove(&key),
                _ => break,
            }
        }
    }
}

/// One computation at a time per key: the 16 requests that find the same list missing wait for one
/// of them to compute it instead of each sorting 100,000 rows.
type Flights<K> = Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>;

#[derive(Default)]
struct Pruning {
    /// (when, pg_snapshot_xmin then): every transaction below xmin had ended at that moment.
    samples: VecDeque<(Instant, String)>,
    running: bool,
}

/// The cache of one server process. `ListCache::global()` is the one the server uses; tests make
/// several to play several server instances over one database.
#[derive(Default)]
pub struct ListCache {
    entries: Mutex<Entries>,
    list_flights: Flights<ListKey>,
    facet_flights: Flights<FacetsKey>,
    coordination_flights: Flights<CompanyKey>,
    /// Per database (an xmin is a cluster's).
    pruning: Arc<Mutex<HashMap<Arc<str>, Pruning>>>,
    /// Answers (lists, facets, who coordinates) computed so far (tests tell a hit from a miss by it).
    computed: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ListCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The process-wide cache.
    pub fn global() -> &'static ListCache {
        static GLOBAL: OnceLock<ListCache> = OnceLock::new();
        GLOBAL.get_or_init(ListCache::new)
    }

    /// (entries, values held) for tests and diagnostics.
    pub fn size(&self) -> (usize, usize) {
        let entries = lock(&self.entries);
        (entries.len(), entries.held())
    }

    /// How many answers this cache has computed (each a miss).
    pub fn computations(&self) -> u64 {
        self.computed.load(Ordering::Relaxed)
    }

    pub(super) fn note_computed(&self) {
        self.computed.fetch_add(1, Ordering::Relaxed);
    }

    pub fn clear(&self) {
        let mut entries = lock(&self.entries);
        *entries = Entries::default();
    }

    pub(super) fn list(&self, key: &ListKey) -> Option<Arc<Ids>> {
        let mut entries = lock(&self.entries);
        let tick = entries.next_tick();
        entries.lists.get(key, tick)
    }

    pub(super) fn facets(&self, key: &FacetsKey) -> Option<Arc<Facets>> {
        let mut entries = lock(&self.entries);
        let tick = entries.next_tick();
        entries.facets.get(key, tick)
    }

    pub(super) fn put_list(&self, key: ListKey, value: Arc<Ids>) {
        let mut entries = lock(&self.entries);
        let tick = entries.next_tick();
        entries.lists.put(key, value, tick);
        entries.evict();
    }

    pub(super) fn put_facets(&self, key: FacetsKey, value: Arc<Facets>) {
        let mut entries = lock(&self.entries);
        let tick = entries.next_tick();
        entries.facets.put(key, value, tick);
        entries.evict();
    }

    /// Forgets `stale` (only that entry: a newer one put meanwhile stays).
    pub(super) fn drop_list(&self, key: &ListKey, stale: &Arc<Ids>) {
        lock(&self.entries).lists.drop_if(key, stale);
    }

    pub(super) fn drop_facets(&self, key: &FacetsKey, stale: &Arc<Facets>) {
        lock(&self.entries).facets.drop_if(key, stale);
    }

    /// Who coordinates what in the company: the cached map, or one computed now (one computation
    /// per company at a time). Not checked here: the caller checks it in the statement that uses it
    /// (`changed_since`), forgets it when stale (`forget_coordination`) and asks again with
    /// `consult` false after a few tries (a flood of changes), which computes regardless.
    pub(crate) async fn coordination(&self, pool: &PgPool, company: Uuid, consult: bool) -> Result<Arc<Coordination>, AppError> {
        let key = CompanyKey { database: database_of(pool), company };
        if consult {
            let mut entries = lock(&self.entries);
            let tick = entries.next_tick();
            if let Some(found) = entries.coordination.get(&key, tick) {
                return Ok(found);
            }
        }
        self.maybe_prune(pool, &key.database);
        let _flight = Flight::enter(&self.coordination_flights, key.clone()).await;
        if consult {
            // Computed by the request this one waited for; the statement using it checks it.
            let mut entries = lock(&self.entries);
            let tick = entries.next_tick();
            if let Some(found) = entries.coordination.get(&key, tick) {
                return Ok(found);
            }
        }
        let created = Instant::now();
        let (mut tx, snapshot, _) = snapshot_transaction(pool).await?;
        // R3: a serial without a coordinator is the CM's by default and counts for nobody.
        let counts: Vec<(Uuid, i64)> = sqlx::query_as(
            "select coordinator_id, count(*) from serial_numbers
              where company_id = $1 and coordinator_id is not null group by 1",
        )
        .bind(company)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        self.note_computed();
        let coordination = Arc::new(Coordination::new(snapshot, counts, created));
        let mut entries = lock(&self.entries);
        let tick = entries.next_tick();
        entries.coordination.put(key, coordination.clone(), tick);
        entries.evict();
        Ok(coordination)
    }

    /// Forgets a stale map of who coordinates what (only that one: a newer one put meanwhile stays).
    pub(crate) fn forget_coordination(&self, pool: &PgPool, company: Uuid, stale: &Arc<Coordination>) {
        let key = CompanyKey { database: database_of(pool), company };
        lock(&self.entries).coordination.drop_if(&key, stale);
    }

    /// The journal check as an SQL expression over two parameters (`"$1"`, `"$3"`: the company and
    /// an entry's snapshot as text): true when a change of that company (or of every company) is
    /// committed that the snapshot did not see, i.e. the entry is stale. Exact only in the
    /// statement that reads what the entry is used with (one statement, one snapshot).
    pub(crate) fn changed_since(company: &str, snapshot: &str) -> String {
        format!(
            "exists (select 1 from list_changes j
                      where j.company_id in ({company}, '00000000-0000-0000-0000-000000000000')
                        and j.txid >= pg_snapshot_xmin({snapshot}::text::pg_snapshot)
                        and not pg_visible_in_snapshot(j.txid, {snapshot}::text::pg_snapshot))"
        )
    }

    pub(super) async fn list_flight(&self, key: &ListKey) -> Flight<'_, ListKey> {
        Flight::enter(&self.list_flights, key.clone()).await
    }

    pub(super) async fn facets_flight(&self, key: &FacetsKey) -> Flight<'_, FacetsKey> {
        Flight::enter(&self.facet_flights, key.clone()).await
    }

    /// Prunes the journal now and then, off the request path (a task of its own). A row may go once
    /// every cache entry that can still be used, in any instance, has seen it: pruning deletes the
    /// rows below the xmin sampled at least `JOURNAL_KEPT` ago. Every transaction below that xmin
    /// had ended when it was sampled; entries live at most `TTL`, so every live entry's snapshot was
    /// taken after the sample and sees every one of them that committed.
    pub(super) fn maybe_prune(&self, pool: &PgPool, database: &Arc<str>) {
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        {
            let mut all = lock(&self.pruning);
            let pruning = all.entry(database.clone()).or_default();
            let due = !pruning.running && pruning.samples.back().is_none_or(|(at, _)| at.elapsed() >= PRUNE_EVERY);
            if !due {
                return;
            }
            pruning.running = true;
        }
        let pool = pool.clone();
        let pruning = self.pruning.clone();
        let database = database.clone();
        tokio::spawn(async move {
            if let Err(error) = prune(&pruning, &database, &pool).await {
                tracing::warn!(%error, "pruning the list journal failed");
            }
            lock(&pruning).entry(database).or_default().running = false;
        });
    }
}

async fn prune(pruning: &Mutex<HashMap<Arc<str>, Pruning>>, database: &Arc<str>, pool: &PgPool) -> Result<(), sqlx::Error> {
    let xmin: String = sqlx::query_scalar("select pg_snapshot_xmin(pg_current_snapshot())::text").fetch_one(pool).await?;
    let horizon = {
        let mut all = lock(pruning);
        let pruning = all.entry(database.clone()).or_default();
        pruning.samples.push_back((Instant::now(), xmin));
        let mut horizon = None;
        while pruning.samples.front().is_some_and(|(at, _)| at.elapsed() >= JOURNAL_KEPT) {
            horizon = pruning.samples.pop_front().map(|(_, x)| x);
        }
        horizon
    };
    if let Some(horizon) = horizon {
        let done = sqlx::query("delete from list_changes where txid < $1::xid8").bind(&horizon).execute(pool).await?;
        tracing::debug!(rows = done.rows_affected(), "pruned the list journal");
    }
    Ok(())
}

/// Held while computing one key; the last one out removes the key's lock.
pub(super) struct Flight<'a, K: std::hash::Hash + Eq + Clone> {
    flights: &'a Flights<K>,
    key: K,
    lock: Arc<tokio::sync::Mutex<()>>,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl<'a, K: std::hash::Hash + Eq + Clone> Flight<'a, K> {
    async fn enter(flights: &'a Flights<K>, key: K) -> Self {
        let lock = lock(flights).entry(key.clone()).or_default().clone();
        let guard = lock.clone().lock_owned().await;
        Self { flights, key, lock, guard: Some(guard) }
    }
}

impl<K: std::hash::Hash + Eq + Clone> Drop for Flight<'_, K> {
    fn drop(&mut self) {
        self.guard.take();
        let mut flights = lock(self.flights);
        // Ours and the map's: nobody else waits.
        if Arc::strong_count(&self.lock) <= 2 {
            if flights.get(&self.key).is_some_and(|l| Arc::ptr_eq(l, &self.lock)) {
                flights.remove(&self.key);
            }
        }
    }
}

/// A REPEATABLE READ, READ ONLY transaction and the snapshot it reads in, with the server's clock
/// when it began (before the snapshot was taken, so "changed after" errs on the side of refusing).
pub(super) async fn snapshot_transaction(pool: &PgPool) -> Result<(Transaction<'static, Postgres>, String, i64), AppError> {
    let mut tx = pool.begin().await?;
    sqlx::query("set transaction isolation level repeatable read, read only").execute(&mut *tx).await?;
    let (snapshot, as_of_micros): (String, i64) =
        sqlx::query_as("select pg_current_snapshot()::text, (extract(epoch from now()) * 1000000)::int8").fetch_one(&mut *tx).await?;
    Ok((tx, snapshot, as_of_micros))
}

/// The database a pool reaches, as part of every key.
pub(super) fn database_of(pool: &PgPool) -> Arc<str> {
    let options = pool.connect_options();
    format!("{}:{}/{}", options.get_host(), options.get_port(), options.get_database().unwrap_or_default()).into()
}
