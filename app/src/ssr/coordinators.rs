//! The store of the Software Coordinators tab (R12, R13): coordinators with their shipping
//! locations, editing the locations of several at once, and Remove From All.

use super::outbox;
use super::products::ContractAccess;
use crate::AppError;
use shared::coordinators::{CoordinatorRow, CoordinatorsTab, RemovalImpact};
use shared::shipping::ShippingLocation;
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

type Row = (Uuid, String, String, i64, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);

pub async fn coordinators_tab(pool: &PgPool, access: &ContractAccess) -> Result<CoordinatorsTab, AppError> {
    let rows: Vec<Row> = sqlx::query_as(
        "select p.id, p.first_name || ' ' || p.last_name, p.email, coalesce(n.serials, 0),
                sl.recipient, sl.address_line1, sl.address_line2, sl.city, sl.region, sl.postal_code, sl.country, sl.phone
           from people p
           left join (select coordinator_id, count(*) as serials from serial_numbers
                       where company_id = $1 and contract_id = $2 and coordinator_id is not null
                       group by coordinator_id) n on n.coordinator_id = p.id
           left join shipping_locations sl on sl.company_id = p.company_id and sl.contract_id = $2 and sl.person_id = p.id
          where p.company_id = $1 and (n.serials is not null or sl.person_id is not null)
          order by p.last_name, p.first_name, p.email",
    )
    .bind(access.company_id)
    .bind(access.contract_id)
    .fetch_all(pool)
    .await?;
    let candidates: Vec<(Uuid, String)> = sqlx::query_as(
        "select id, first_name || ' ' || last_name || ' <' || email || '>' from people
          where company_id = $1 and status = 'active' and id <> $2 order by last_name, first_name",
    )
    .bind(access.company_id)
    .bind(access.manager.id)
    .fetch_all(pool)
    .await?;
    Ok(CoordinatorsTab {
        contract_number: access.contract_number.clone(),
        manager_name: access.manager.name.clone(),
        may_act: access.may_act,
        candidates,
        coordinators: rows
            .into_iter()
            .map(|r| CoordinatorRow {
                person_id: r.0,
                name: r.1,
                email: r.2,
                serials: r.3,
                shipping: r.4.map(|recipient| ShippingLocation {
                    recipient,
                    address_line1: r.5.unwrap_or_default(),
                    address_line2: r.6.unwrap_or_default(),
                    city: r.7.unwrap_or_default(),
                    region: r.8.unwrap_or_default(),
                    postal_code: r.9.unwrap_or_default(),
                    country: r.10.unwrap_or_default(),
                    phone: r.11.unwrap_or_default(),
                }),
            })
            .collect(),
    })
}

/// Every selected person must coordinate serials of this contract or have a location on it.
async fn require_coordinators(tx: &mut Transaction<'_, Postgres>, access: &ContractAccess, people: &[Uuid]) -> Result<Vec<Uuid>, AppError> {
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
          for update of p",
    )
    .bind(access.company_id)
    .bind(access.contract_id)
    .bind(&wanted)
    .fetch_all(&mut **tx)
    .await?;
    if found.len() != wanted.len() {
        return Err(AppError::invalid(
            "Selection",
            format!("{} of the selected people are not Software Coordinators of contract {}", wanted.len() - found.len(), access.contract_number),
        ));
    }
    Ok(found)
}

/// Sets the same shipping location for every selected coordinator of the contract (R12), in one
/// statement with one audit event each.
pub async fn save_shipping(pool: &PgPool, access: &ContractAccess, people: &[Uuid], location: &ShippingLocation) -> Result<u64, AppError> {
    access.require_manager()?;
    let location = location.parse().map_err(AppError::Invalid)?;
    let blank = |s: &str| if s.is_empty() { None } else { Some(s.to_string()) };
    let mut tx = pool.begin().await?;
    let people = require_coordinators(&mut tx, access, people).await?;
    let saved: i64 = sqlx::query_scalar(
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
         ), audited as (
             insert into audit_events (company_id, id, actor_person_id, action, entity, entity_id, before, after, change_id)
             select $1, gen_random_uuid(), $12, 'shipping_location.save', 'shipping_location', s.person_id, old.before, s.after, $13
               from saved s left join old on old.person_id = s.person_id
             returning 1
         )
         select count(*) from audited",
    )
    .bind(access.company_id)
    .bind(access.contract_id)
    .bind(&people)
    .bind(&location.recipient)
    .bind(&location.address_line1)
    .bind(blank(&location.address_line2))
    .bind(&location.city)
    .bind(blank(&location.region))
    .bind(&location.postal_code)
    .bind(&location.country)
    .bind(blank(&location.phone))
    .bind(access.actor_person)
    .bind(Uuid::new_v4())
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(saved as u64)
}

/// What Remove From All would do: per person, their serials and contracts across the company.
pub async fn removal_impact(pool: &PgPool, access: &ContractAccess, people: &[Uuid]) -> Result<Vec<RemovalImpact>, AppError> {
    access.require_manager()?;
    let mut tx = pool.begin().await?;
    let people = require_coordinators(&mut tx, access, people).await?;
    let rows: Vec<(Uuid, String, String, i64, i64)> = sqlx::query_as(
        "select p.id, p.first_name || ' ' || p.last_name, p.email,
                (select count(*) from serial_numbers s where s.company_id = p.company_id and s.coordinator_id = p.id),
                (select count(distinct s.contract_id) from serial_numbers s where s.company_id = p.company_id and s.coordinator_id = p.id)
           from people p where p.company_id = $1 and p.id = any($2) order by p.last_name, p.first_name",
    )
    .bind(access.company_id)
    .bind(&people)
    .fetch_all(&mut *tx)
    .await?;
    tx.rollback().await?;
    Ok(rows
        .into_iter()
        .map(|(person_id, name, email, serials, contracts)| RemovalImpact { person_id, name, email, serials, contracts })
        .collect())
}

/// R13: every serial the selected people coordinate, on every contract of the company, reverts to
/// its contract's CM; their shipping locations go; they lose coordinator rights. One transaction,
/// audit events for each, and a notice to each person. Their history stays in the audit trail.
pub async fn remove_from_all(pool: &PgPool, access: &ContractAccess, people: &[Uuid]) -> Result<String, AppError> {
    access.require_manager()?;
    let mut tx = pool.begin().await?;
    let people = require_coordinators(&mut tx, access, people).await?;
    let change_id = Uuid::new_v4();
    let serials: i64 = sqlx::query_scalar(
        "with old as (
             select id, coordinator_id from serial_numbers
              where company_id = $1 and coordinator_id = any($2) for update
         ), changed as (
             update serial_numbers s set coordinator_id = null, version = s.version + 1, updated_at = now()
               from old where s.company_id = $1 and s.id = old.id
             returning s.id, old.coordinator_id as old_coordinator, s.group_name, s.version
         ), audited as (
             insert into audit_events (company_id, id, actor_person_id, action, entity, entity_id, before, after, change_id)
             select $1, gen_random_uuid(), $3, 'serial.remove_from_all', 'serial_number', id,
                    jsonb_build_object('coordinator_id', old_coordinator, 'group_name', group_name, 'version', version - 1),
                    jsonb_build_object('coordinator_id', null, 'group_name', group_name, 'version', version), $4
               from changed
             returning 1
         )
         select count(*) from audited",
    )
    .bind(access.company_id)
    .bind(&people)
    .bind(access.actor_person)
    .bind(change_id)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "with gone as (
             delete from shipping_locations where company_id = $1 and person_id = any($2)
             returning person_id, to_jsonb(shipping_locations) - 'company_id' as before
         )
         insert into audit_events (company_id, id, actor_person_id, action, entity, entity_id, before, after, change_id)
         select $1, gen_random_uuid(), $3, 'shipping_location.remove_from_all', 'shipping_location', person_id, before, null, $4
           from gone",
    )
    .bind(access.company_id)
    .bind(&people)
    .bind(access.actor_person)
    .bind(change_id)
    .execute(&mut *tx)
    .await?;
    let removed: Vec<(String, String)> = sqlx::query_as(
        "with old as (select id, may_manage_users from people where company_id = $1 and id = any($2)),
              changed as (
                 update people p set may_manage_users = false, updated_at = now() from old
                  where p.company_id = $1 and p.id = old.id
                 returning p.id, p.email, p.first_name, old.may_manage_users as had_right),
              audited as (
                 insert into audit_events (company_id, id, actor_person_id, action, entity, entity_id, before, after, change_id)
                 select $1, gen_random_uuid(), $3, 'person.remove_from_all', 'person', id,
                        jsonb_build_object('may_manage_users', had_right, 'coordinator', true),
                        jsonb_build_object('may_manage_users', false, 'coordinator', false), $4
                   from changed returning 1)
         select email, first_name from changed",
    )
    .bind(access.company_id)
    .bind(&people)
    .bind(access.actor_person)
    .bind(change_id)
    .fetch_all(&mut *tx)
    .await?;
    for (email, first) in &removed {
        let body = format!(
            "Hello {first},\n\n{} removed you as Software Coordinator from every contract of your company in Seatkeeper. \
             The serial numbers you coordinated are back with their Contract Managers.\n",
            access.manager.name
        );
        outbox::queue(&mut tx, access.company_id, email, "You are no longer a Software Coordinator", &body).await?;
    }
    tx.commit().await?;
    let people_word = if removed.len() == 1 { "person" } else { "people" };
    Ok(format!(
        "Removed {} {people_word} from all: {serials} serial numbers are back with their Contract Managers.",
        removed.len()
    ))
}
