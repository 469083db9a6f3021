//! The store of the Software Coordinators tab (R12, R13): coordinators with their shipping
//! locations, editing the locations of several at once, and Remove From All.

use super::audit::{self, Change, Who};
use super::authz::{ContractManager, ContractView};
use super::outbox;
use crate::AppError;
use serde_json::{json, Value};
use shared::audit::Action;
use shared::coordinators::{CoordinatorRow, CoordinatorsTab, RemovalImpact};
use shared::shipping::ShippingLocation;
use sqlx::{PgPool, Postgres, QueryBuilder, Transaction};
use uuid::Uuid;

/// A coordinator with their serials on the contract and their shipping location there, if any.
#[derive(sqlx::FromRow)]
struct Row {
    person_id: Uuid,
    name: String,
    email: String,
    serials: i64,
    recipient: Option<String>,
    address_line1: Option<String>,
    address_line2: Option<String>,
    city: Option<String>,
    region: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
    phone: Option<String>,
}

impl From<Row> for CoordinatorRow {
    fn from(r: Row) -> Self {
        CoordinatorRow {
            person_id: r.person_id,
            name: r.name,
            email: r.email,
            serials: r.serials,
            shipping: r.recipient.map(|recipient| ShippingLocation {
                recipient,
                address_line1: r.address_line1.unwrap_or_default(),
                address_line2: r.address_line2.unwrap_or_default(),
                city: r.city.unwrap_or_default(),
                region: r.region.unwrap_or_default(),
                postal_code: r.postal_code.unwrap_or_default(),
                country: r.country.unwrap_or_default(),
                phone: r.phone.unwrap_or_default(),
            }),
        }
    }
}

pub async fn coordinators_tab(pool: &PgPool, view: &ContractView) -> Result<CoordinatorsTab, AppError> {
    let contract = view.contract();
    let rows: Vec<Row> = sqlx::query_as(
        "select p.id as person_id, p.first_name || ' ' || p.last_name as name, p.email, coalesce(n.serials, 0) as serials,
                sl.recipient, sl.address_line1, sl.address_line2, sl.city, sl.region, sl.postal_code, sl.country, sl.phone
           from people p
           left join (select coordinator_id, count(*) as serials from serial_numbers
                       where company_id = $1 and contract_id = $2 and coordinator_id is not null
                       group by coordinator_id) n on n.coordinator_id = p.id
           left join shipping_locations sl on sl.company_id = p.company_id and sl.contract_id = $2 and sl.person_id = p.id
          where p.company_id = $1 and (n.serials is not null or sl.person_id is not null)
          order by p.last_name, p.first_name, p.email",
    )
    .bind(contract.company_id)
    .bind(contract.id)
    .fetch_all(pool)
    .await?;
    let candidates: Vec<(Uuid, String)> = sqlx::query_as(
        "select id, first_name || ' ' || last_name || ' <' || email || '>' from people
          where company_id = $1 and status = 'active' and id <> $2 order by last_name, first_name",
    )
    .bind(contract.company_id)
    .bind(contract.manager.id)
    .fetch_all(pool)
    .await?;
    Ok(CoordinatorsTab {
        contract_number: contract.number.clone(),
        manager_name: contract.manager.name.clone(),
        may_act: view.may_act(),
        candidates: candidates.into_iter().map(|(id, label)| shared::coordinators::Candidate { id, label }).collect(),
        coordinators: rows.into_iter().map(CoordinatorRow::from).collect(),
    })
}

/// Every selected person must coordinate serials of this contract or have a location on it.
async fn require_coordinators(tx: &mut Transaction<'_, Postgres>, manager: &ContractManager, people: &[Uuid]) -> Result<Vec<Uuid>, AppError> {
    let contract = manager.contract();
    let mut wanted = people.to_vec();
    wanted.sort();
    wanted.dedup();
    if wanted.is_empty() {
        return Err(AppError::invalid("Selection", "select at least one Software Coordinator"));
    }
    let found: Vec<Uuid> = sqlx::query_scalar(
        "select p.id from people p
          where p.company_id = $1 and p.id = any($3)
            and (exists (select 1 from serial_numbers s where s.company_id = p.company_id and s.contract_id = $2 and s.coordinator_id = p.id)
                 or exists (select 1 from shipping_locations l where l.company_id = p.company_id and l.contract_id = $2 and l.person_id = p.id))
          order by p.id
          for no key update of p",
    )
    .bind(contract.company_id)
    .bind(contract.id)
    .bind(&wanted)
    .fetch_all(&mut **tx)
    .await?;
    if found.len() != wanted.len() {
        return Err(AppError::invalid(
            "Selection",
            format!("{} of the selected people are not Software Coordinators of contract {}", wanted.len() - found.len(), contract.number),
        ));
    }
    Ok(found)
}

#[derive(sqlx::FromRow)]
struct Saved {
    person_id: Uuid,
    before: Option<Value>,
    after: Value,
}

/// Sets the same shipping location for every selected coordinator of the contract (R12), in one
/// statement with one audit event each.
pub async fn save_shipping(pool: &PgPool, manager: &ContractManager, people: &[Uuid], location: &ShippingLocation) -> Result<u64, AppError> {
    let contract = manager.contract();
    let location = location.parse()?;
    let blank = |s: &str| if s.is_empty() { None } else { Some(s.to_string()) };
    let mut tx = pool.begin().await?;
    let people = require_coordinators(&mut tx, manager, people).await?;
    let saved: Vec<Saved> = sqlx::query_as(
        "with old as (
             select person_id, to_jsonb(l) - 'company_id' - 'updated_at' as before
               from shipping_locations l where company_id = $1 and contract_id = $2 and person_id = any($3)
         ), saved as (
             insert into shipping_locations (company_id, contract_id, person_id, recipient, address_line1, address_line2,
                                             city, region, postal_code, country, phone)
             select $1, $2, p, $4, $5, $6, $7, $8, $9, $10, $11 from unnest($3::uuid[]) as p
             on conflict (company_id, contract_id, person_id) do update
                set recipient = excluded.recipient, address_line1 = excluded.address_line1,
                    address_line2 = excluded.address_line2, city = excluded.city, region = excluded.region,
                    postal_code = excluded.postal_code, country = excluded.country, phone = excluded.phone,
                    updated_at = now()
             returning person_id, to_jsonb(shipping_locations) - 'company_id' - 'updated_at' as after
         )
         select s.person_id, old.before, s.after from saved s left join old on old.person_id = s.person_id",
    )
    .bind(contract.company_id)
    .bind(contract.id)
    .bind(&people)
    .bind(&location.recipient)
    .bind(&location.address_line1)
    .bind(blank(&location.address_line2))
    .bind(&location.city)
    .bind(blank(&location.region))
    .bind(&location.postal_code)
    .bind(&location.country)
    .bind(blank(&location.phone))
    .fetch_all(&mut *tx)
    .await?;
    let changes: Vec<Change> = saved.into_iter().map(|s| Change::new(s.person_id, s.before, Some(s.after))).collect();
    let who = Who::Person(manager.person_id());
    let written = audit::record(&mut tx, contract.company_id, who, Action::ShippingLocationSave, &changes, Some(Uuid::new_v4())).await?;
    tx.commit().await?;
    Ok(written)
}

/// What Remove From All would do: per person, their serials and contracts across the company.
pub async fn removal_impact(pool: &PgPool, manager: &ContractManager, people: &[Uuid]) -> Result<Vec<RemovalImpact>, AppError> {
    let mut tx = pool.begin().await?;
    let people = require_coordinators(&mut tx, manager, people).await?;
    let rows: Vec<(Uuid, String, String, i64, i64)> = sqlx::query_as(
        "select p.id, p.first_name || ' ' || p.last_name, p.email,
                (select count(*) from serial_numbers s where s.company_id = p.company_id and s.coordinator_id = p.id),
                (select count(distinct s.contract_id) from serial_numbers s where s.company_id = p.company_id and s.coordinator_id = p.id)
           from people p where p.company_id = $1 and p.id = any($2) order by p.last_name, p.first_name",
    )
    .bind(manager.company_id())
    .bind(&people)
    .fetch_all(&mut *tx)
    .await?;
    tx.rollback().await?;
    Ok(rows
        .into_iter()
        .map(|(person_id, name, email, serials, contracts)| RemovalImpact { person_id, name, email, serials, contracts })
        .collect())
}

#[derive(sqlx::FromRow)]
struct Gone {
    person_id: Uuid,
    before: Value,
}

#[derive(sqlx::FromRow)]
struct Demoted {
    id: Uuid,
    email: String,
    first_name: String,
    had_right: bool,
}

/// R13: every serial the selected people coordinate, on every contract of the company, reverts to
/// its contract's CM; their shipping locations go; they lose coordinator rights. One transaction,
/// audit events for each, and a notice to each person. Their history stays in the audit trail.
pub async fn remove_from_all(pool: &PgPool, manager: &ContractManager, people: &[Uuid]) -> Result<String, AppError> {
    let company_id = manager.company_id();
    let who = Who::Person(manager.person_id());
    let mut tx = pool.begin().await?;
    let people = require_coordinators(&mut tx, manager, people).await?;
    let change_id = Uuid::new_v4();
    // The company's serials are scanned (no index on coordinator_id: bulk changes stay HOT), locked
    // in id order like every statement that locks serials, and recorded with the change.
    let mut qb = QueryBuilder::new(
        "with old as (
             select id, coordinator_id from serial_numbers
              where company_id = ",
    );
    qb.push_bind(company_id).push(" and coordinator_id = any(").push_bind(&people).push(
        ") order by id for no key update
         ), changed as (
             update serial_numbers s set coordinator_id = null, version = s.version + 1, updated_at = now()
               from old where s.company_id = ",
    );
    qb.push_bind(company_id).push(
        " and s.id = old.id
             returning s.id as serial_id, s.version, old.coordinator_id as coordinator_before, s.group_name as group_before,
                       s.coordinator_id as coordinator_after, s.group_name as group_after)",
    );
    let summary = json!({ "coordinator_id": null });
    let reverted = audit::record_serials(&mut tx, company_id, who, Action::SerialRemoveFromAll, change_id, summary, qb).await?;
    let change_id = Some(change_id);

    let gone: Vec<Gone> = sqlx::query_as(
        "delete from shipping_locations where company_id = $1 and person_id = any($2)
         returning person_id, to_jsonb(shipping_locations) - 'company_id' as before",
    )
    .bind(company_id)
    .bind(&people)
    .fetch_all(&mut *tx)
    .await?;
    let locations: Vec<Change> = gone.into_iter().map(|g| Change::new(g.person_id, Some(g.before), None)).collect();
    audit::record(&mut tx, company_id, who, Action::ShippingLocationRemoveFromAll, &locations, change_id).await?;

    let demoted: Vec<Demoted> = sqlx::query_as(
        "with old as (select id, may_manage_users from people where company_id = $1 and id = any($2))
         update people p set may_manage_users = false, updated_at = now() from old
          where p.company_id = $1 and p.id = old.id
         returning p.id, p.email, p.first_name, old.may_manage_users as had_right",
    )
    .bind(company_id)
    .bind(&people)
    .fetch_all(&mut *tx)
    .await?;
    let rights: Vec<Change> = demoted
        .iter()
        .map(|d| {
            Change::new(
                d.id,
                Some(json!({ "may_manage_users": d.had_right, "coordinator": true })),
                Some(json!({ "may_manage_users": false, "coordinator": false })),
            )
        })
        .collect();
    audit::record(&mut tx, company_id, who, Action::PersonRemoveFromAll, &rights, change_id).await?;

    for person in &demoted {
        let body = format!(
            "Hello {},\n\n{} removed you as Software Coordinator from every contract of your company in Seatkeeper. \
             The serial numbers you coordinated are back with their Contract Managers.\n",
            person.first_name,
            manager.contract().manager.name
        );
        outbox::queue(&mut tx, company_id, &person.email, "You are no longer a Software Coordinator", &body).await?;
    }
    tx.commit().await?;
    let people_word = if demoted.len() == 1 { "person" } else { "people" };
    Ok(format!(
        "Removed {} {people_word} from all: {} serial numbers are back with their Contract Managers.",
        demoted.len(),
        reverted
    ))
}
