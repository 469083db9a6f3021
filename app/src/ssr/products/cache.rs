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
//! Bounded: at most `MAX_IDS` ids held in all (an LRU), entries older than `TTL` are recomputed, and
//! journal rows are pruned once every entry that may still live has seen them (see `prune`).

use shared::products::{PersonOption, ProductOption, SerialFilter, SortKey};
use sqlx::PgPool;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Ids held by one server process in all: 16 bytes each, so 32 MB.
pub const MAX_IDS: usize = 2_000_000;
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

    fn weight(&self) -> usize {
        self.products.len() + self.groups.len() + self.coordinators.len()
    }
}

#[derive(Default)]
struct Entries {
    lists: HashMap<ListKey, Arc<Ids>>,
    facets: HashMap<FacetsKey, Arc<Facets>>,
    ids_held: usize,
    tick: u64,
}

impl Entries {
    fn next_tick(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }

    fn held(&self) -> usize {
        self.ids_held + self.facets.values().map(|f| f.weight()).sum::<usize>()
    }

    /// Drops the least recently used entries until the bounds hold.
    fn evict(&mut self) {
        while (self.ids_held > MAX_IDS || self.lists.len() + self.facets.len() > MAX_ENTRIES) && !self.lists.is_empty() {
            let oldest = self.lists.iter().min_by_key(|(_, e)| e.last_used.load(Ordering::Relaxed)).map(|(k, _)| k.clone());
            if let Some(key) = oldest {
                if let Some(e) = self.lists.remove(&key) {
                    self.ids_held -= e.ids.len();
                }
            }
        }
        while self.facets.len() > MAX_ENTRIES / 2 {
            let oldest = self.facets.iter().min_by_key(|(_, e)| e.last_used.load(Ordering::Relaxed)).map(|(k, _)| k.clone());
            if let Some(key) = oldest {
                self.facets.remove(&key);
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
    /// Per database (an xmin is a cluster's).
    pruning: Arc<Mutex<HashMap<Arc<str>, Pruning>>>,
    /// Lists and facets computed so far (tests tell a hit from a miss by it).
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

    /// (entries, ids held) for tests and diagnostics.
    pub fn size(&self) -> (usize, usize) {
        let entries = lock(&self.entries);
        (entries.lists.len() + entries.facets.len(), entries.held())
    }

    /// How many lists and facets this cache has computed (each a miss).
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
        match entries.lists.get(key) {
            Some(e) if e.created.elapsed() < TTL => {
                e.last_used.store(tick, Ordering::Relaxed);
                Some(e.clone())
            }
            Some(_) => {
                if let Some(e) = entries.lists.remove(key) {
                    entries.ids_held -= e.ids.len();
                }
                None
            }
            None => None,
        }
    }

    pub(super) fn facets(&self, key: &FacetsKey) -> Option<Arc<Facets>> {
        let mut entries = lock(&self.entries);
        let tick = entries.next_tick();
        match entries.facets.get(key) {
            Some(e) if e.created.elapsed() < TTL => {
                e.last_used.store(tick, Ordering::Relaxed);
                Some(e.clone())
            }
            Some(_) => {
                entries.facets.remove(key);
                None
            }
            None => None,
        }
    }

    pub(super) fn put_list(&self, key: ListKey, value: Arc<Ids>) {
        let mut entries = lock(&self.entries);
        let tick = entries.next_tick();
        value.last_used.store(tick, Ordering::Relaxed);
        entries.ids_held += value.ids.len();
        if let Some(old) = entries.lists.insert(key, value) {
            entries.ids_held -= old.ids.len();
        }
        entries.evict();
    }

    pub(super) fn put_facets(&self, key: FacetsKey, value: Arc<Facets>) {
        let mut entries = lock(&self.entries);
        let tick = entries.next_tick();
        value.last_used.store(tick, Ordering::Relaxed);
        entries.facets.insert(key, value);
        entries.evict();
    }

    /// Forgets `stale` (only that entry: a newer one put meanwhile stays).
    pub(super) fn drop_list(&self, key: &ListKey, stale: &Arc<Ids>) {
        let mut entries = lock(&self.entries);
        if entries.lists.get(key).is_some_and(|e| Arc::ptr_eq(e, stale)) {
            entries.lists.remove(key);
            entries.ids_held -= stale.ids.len();
        }
    }

    pub(super) fn drop_facets(&self, key: &FacetsKey, stale: &Arc<Facets>) {
        let mut entries = lock(&self.entries);
        if entries.facets.get(key).is_some_and(|e| Arc::ptr_eq(e, stale)) {
            entries.facets.remove(key);
        }
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

/// The database a pool reaches, as part of every key.
pub(super) fn database_of(pool: &PgPool) -> Arc<str> {
    let options = pool.connect_options();
    format!("{}:{}/{}", options.get_host(), options.get_port(), options.get_database().unwrap_or_default()).into()
}
