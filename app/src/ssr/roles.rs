//! The one helper that tells every server function who the caller is and what they may do
//! (R1-R5, R14): one query for a person, one for a reseller agent.
//!
//! Whether a person is a Software Coordinator, and of how many serials, comes from the company's
//! map of who coordinates what (`Coordination`), kept in the exact cache of the Products list
//! (`products::ListCache`) and checked against its change journal in the very statement that reads
//! the person's row: no index of `serial_numbers` holds `coordinator_id` (bulk coordinator changes
//! are HOT updates), so counting per request would scan the company's serials.

use super::products::ListCache;
use super::Actor;
use crate::AppError;
use shared::{viewer::may_manage_users, Principal, Viewer};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, LazyLock};
use std::time::Instant;
use uuid::Uuid;

/// Who coordinates what in one company, as of `snapshot`: each person with the number of serials
/// they explicitly coordinate (R3: a serial without a coordinator is the CM's by default and counts
/// for nobody). Computed by `ListCache::coordination`, valid while `ListCache::changed_since` says
/// no change of the company committed that the snapshot did not see.
#[derive(Debug)]
pub struct Coordination {
    /// The snapshot it was computed in (`pg_current_snapshot()` as text).
    pub snapshot: String,
    counts: HashMap<Uuid, i64>,
    coordinators: Vec<Uuid>,
    created: Instant,
    pub(crate) last_used: AtomicU64,
}

impl Coordination {
    pub(crate) fn new(snapshot: String, counts: Vec<(Uuid, i64)>, created: Instant) -> Self {
        let coordinators = counts.iter().map(|(id, _)| *id).collect();
        Self { snapshot, counts: counts.into_iter().collect(), coordinators, created, last_used: AtomicU64::new(0) }
    }

    /// How many serials the person coordinates explicitly.
    pub fn serials_of(&self, person: Uuid) -> i64 {
        self.counts.get(&person).copied().unwrap_or(0)
    }

    /// Everyone coordinating at least one serial (for `p.id = any($n)`).
    pub fn coordinators(&self) -> &[Uuid] {
        &self.coordinators
    }

    /// When its computation began (before its snapshot was taken).
    pub fn created(&self) -> Instant {
        self.created
    }
}

/// The person's row and whether the map whose snapshot is $3 is stale, in one statement.
static PERSON: LazyLock<String> = LazyLock::new(|| {
    format!(
        "select p.email, p.first_name || ' ' || p.last_name, c.name, p.may_manage_users,
                coalesce((select array_agg(k.id order by k.contract_number) from contracts k
                           where k.company_id = p.company_id and k.manager_id = p.id), '{{}}'),
                {stale}
           from people p join companies c on c.id = p.company_id
          where p.company_id = $1 and p.id = $2",
        stale = ListCache::changed_since("$1", "$3")
    )
});

pub async fn load_viewer(pool: &PgPool, actor: &Actor) -> Result<Viewer, AppError> {
    load_viewer_cached(pool, ListCache::global(), actor).await
}

/// `load_viewer` with the cache of a given server instance (tests play several).
pub async fn load_viewer_cached(pool: &PgPool, cache: &ListCache, actor: &Actor) -> Result<Viewer, AppError> {
    match actor.principal {
        Principal::Person { company_id, person_id } => Ok(person_viewer(pool, cache, actor, company_id, person_id).await?.0),
        Principal::ResellerAgent { agent_id, .. } => {
            let (email, display_name, reseller): (String, String, String) = sqlx::query_as(
                "select a.email, a.first_name || ' ' || a.last_name, r.name
                   from reseller_agents a join resellers r on r.id = a.reseller_id where a.id = $1",
            )
            .bind(agent_id)
            .fetch_one(pool)
            .await?;
            Ok(Viewer {
                principal: actor.principal,
                email,
                display_name,
                company_name: Some(reseller),
                managed_contracts: vec![],
                coordinated_serials: 0,
                may_manage_users: false,
            })
        }
    }
}

/// A person as the viewer, with the company's map of who coordinates what, checked in the statement
/// that read the person (so exact as of that statement). One statement while the cached map holds;
/// when it is stale or missing, it is computed (once per company at a time) and the person read
/// again. A map computed during this call is used even if a change committed since: its snapshot is
/// a moment of this call.
pub async fn person_viewer(
    pool: &PgPool,
    cache: &ListCache,
    actor: &Actor,
    company_id: Uuid,
    person_id: Uuid,
) -> Result<(Viewer, Arc<Coordination>), AppError> {
    let began = Instant::now();
    let mut tries = 0;
    loop {
        tries += 1;
        // A map that stays stale try after try (a flood of changes) is computed by this request.
        let coordination = cache.coordination(pool, company_id, tries <= 3).await?;
        let (email, display_name, company_name, has_right, managed, stale): (String, String, String, bool, Vec<Uuid>, bool) =
            sqlx::query_as(PERSON.as_str())
                .bind(company_id)
                .bind(person_id)
                .bind(&coordination.snapshot)
                .fetch_one(pool)
                .await?;
        if stale && coordination.created() < began {
            cache.forget_coordination(pool, company_id, &coordination);
            continue;
        }
        let coordinated = coordination.serials_of(person_id);
        let is_cm = !managed.is_empty();
        let viewer = Viewer {
            principal: actor.principal,
            email,
            display_name,
            company_name: Some(company_name),
            may_manage_users: may_manage_users(is_cm, coordinated > 0, has_right),
            managed_contracts: managed,
            coordinated_serials: coordinated,
        };
        return Ok((viewer, coordination));
    }
}
