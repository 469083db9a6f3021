//! Edit Access (seed 003; R18, R19, R22): which cloud services of the company's multi-user serials a
//! person may use. Seats are counted per serial (3 distinct people per licence) and taken under row
//! locks, so two admins taking the last seat at the same moment cannot both succeed.

use super::audit::{self, Change, Who};
use super::authz::UserManager;
use crate::AppError;
use serde_json::json;
use shared::audit::Action;
use shared::people::{seats_of, ServiceAccess};
use sqlx::PgPool;
use std::collections::BTreeSet;
use uuid::Uuid;

type Row = (Uuid, String, bool, i64, i64);

pub async fn access_of(pool: &PgPool, manager: &UserManager, person: Uuid) -> Result<Vec<ServiceAccess>, AppError> {
    let company_id = manager.company_id();
    let exists: bool = sqlx::query_scalar("select exists (select 1 from people where company_id = $1 and id = $2 and status <> 'removed')")
        .bind(company_id)
        .bind(person)
        .fetch_one(pool)
        .await?;
    if !exists {
        return Err(AppError::NotFound);
    }
    let rows: Vec<Row> = sqlx::query_as(
        "with serials as (
             select s.id, s.product_id, s.quantity from serial_numbers s join products p on p.id = s.product_id
              where s.company_id = $1 and p.licence_type = 'multi-user'
         )
         select cs.id, p.name || ' ' || p.release || ' — ' || cs.name,
                exists (select 1 from service_assignments a where a.company_id = $1 and a.person_id = $2 and a.service_id = cs.id),
                (select count(distinct (a.serial_id, a.person_id)) from service_assignments a
                  where a.company_id = $1 and a.serial_id in (select id from serials where product_id = cs.product_id)),
                (select coalesce(sum(3 * quantity), 0) from serials where product_id = cs.product_id)::int8
           from cloud_services cs join products p on p.id = cs.product_id
          where exists (select 1 from serials where product_id = cs.product_id)
          order by p.name, p.release, cs.name",
    )
    .bind(company_id)
    .bind(person)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(service_id, label, assigned, seats_used, seats_total)| ServiceAccess { service_id, label, assigned, seats_used, seats_total })
        .collect())
}

/// Makes the person's services exactly `wanted`, in one transaction: removed ones free their seat,
/// new ones take a seat on a serial of the product with room (one the person already uses first).
/// A service without a free seat refuses the whole change, with the numbers (R19). Download rights
/// are untouched: a seat never grants them (R22).
pub async fn set_access(pool: &PgPool, manager: &UserManager, person: Uuid, wanted: &[Uuid]) -> Result<String, AppError> {
    let company_id = manager.company_id();
    let who = Who::Person(manager.person_id());
    let mut tx = pool.begin().await?;
    let name: Option<String> = sqlx::query_scalar(
        "select first_name || ' ' || last_name from people where company_id = $1 and id = $2 and status <> 'removed' for no key update",
    )
    .bind(company_id)
    .bind(person)
    .fetch_optional(&mut *tx)
    .await?;
    let name = name.ok_or(AppError::NotFound)?;
    let current: BTreeSet<Uuid> = sqlx::query_scalar::<_, Uuid>(
        "select distinct service_id from service_assignments where company_id = $1 and person_id = $2",
    )
    .bind(company_id)
    .bind(person)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    let wanted: BTreeSet<Uuid> = wanted.iter().copied().collect();
    let removed: Vec<Uuid> = current.difference(&wanted).copied().collect();
    if !removed.is_empty() {
        let gone: Vec<(Uuid, Uuid)> = sqlx::query_as(
            "delete from service_assignments where company_id = $1 and person_id = $2 and service_id = any($3)
             returning serial_id, service_id",
        )
        .bind(company_id)
        .bind(person)
        .bind(&removed)
        .fetch_all(&mut *tx)
        .await?;
        let changes: Vec<Change> =
            gone.into_iter().map(|(serial, service)| Change::new(person, Some(json!({ "serial_id": serial, "service_id": service })), None)).collect();
        audit::record(&mut tx, company_id, who, Action::AccessRemove, &changes, None).await?;
    }
    let added: Vec<Uuid> = wanted.difference(&current).copied().collect();
    for service in &added {
        // R19: seats of one product of one company are counted and taken one Edit Access at a time,
        // under a lock of their own: bulk actions on the same serials never wait for it, nor it for
        // them. Services are taken in id order, so two Edit Access never wait for each other
        // crosswise. The seats are counted in a second statement: under READ COMMITTED it sees what
        // a transaction we waited for wrote.
        sqlx::query(
            "select pg_advisory_xact_lock(hashtextextended('seats/' || $1::text || '/' || cs.product_id::text, 0))
               from cloud_services cs where cs.id = $2",
        )
        .bind(company_id)
        .bind(service)
        .execute(&mut *tx)
        .await?;
        let serials: Vec<(Uuid, i64, i64, bool, String)> = sqlx::query_as(
            "select s.id, s.quantity::int8,
                    (select count(distinct a.person_id) from service_assignments a where a.company_id = $1 and a.serial_id = s.id),
                    exists (select 1 from service_assignments a where a.company_id = $1 and a.serial_id = s.id and a.person_id = $3),
                    p.name || ' ' || p.release || ' — ' || cs.name
               from serial_numbers s
               join cloud_services cs on cs.product_id = s.product_id
               join products p on p.id = s.product_id
              where s.company_id = $1 and cs.id = $2 and p.licence_type = 'multi-user'
              order by s.serial",
        )
        .bind(company_id)
        .bind(service)
        .bind(person)
        .fetch_all(&mut *tx)
        .await?;
        if serials.is_empty() {
            return Err(AppError::invalid("Service", "is not a cloud service of your company's multi-user serials"));
        }
        let label = serials[0].4.clone();
        let seat = serials
            .iter()
            .find(|s| s.3)
            .or_else(|| serials.iter().find(|s| s.2 < seats_of(s.1)))
            .map(|s| s.0);
        let Some(serial) = seat else {
            let licences: i64 = serials.iter().map(|s| s.1).sum();
            let plural = |n: usize, word: &str| if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") };
            return Err(AppError::Conflict(format!(
                "{label}: all {} seats are taken ({} on {}, 3 users each). Nothing was changed.",
                seats_of(licences),
                plural(licences as usize, "licence"),
                plural(serials.len(), "multi-user serial")
            )));
        };
        sqlx::query("insert into service_assignments (company_id, serial_id, service_id, person_id) values ($1, $2, $3, $4)")
            .bind(company_id)
            .bind(serial)
            .bind(service)
            .bind(person)
            .execute(&mut *tx)
            .await?;
        let change = Change::new(person, None, Some(json!({ "serial_id": serial, "service_id": service })));
        audit::record(&mut tx, company_id, who, Action::AccessAssign, &[change], None).await?;
    }
    tx.commit().await?;
    Ok(format!("Access saved for {name}: {} added, {} removed.", added.len(), removed.len()))
}
