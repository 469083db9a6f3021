//! The one helper that tells every server function who the caller is and what they may do
//! (R1-R5, R14): one query for a person, one for a reseller agent.

use super::Actor;
use crate::AppError;
use shared::{viewer::may_manage_users, Principal, Viewer};
use sqlx::PgPool;
use uuid::Uuid;

pub async fn load_viewer(pool: &PgPool, actor: &Actor) -> Result<Viewer, AppError> {
    match actor.principal {
        Principal::Person { company_id, person_id } => {
            let (email, display_name, company_name, has_right, managed, coordinated): (String, String, String, bool, Vec<Uuid>, i64) =
                sqlx::query_as(
                    "select p.email, p.first_name || ' ' || p.last_name, c.name, p.may_manage_users,
                            coalesce((select array_agg(k.id order by k.contract_number) from contracts k
                                       where k.company_id = p.company_id and k.manager_id = p.id), '{}'),
                            (select count(*) from serial_numbers s
                              where s.company_id = p.company_id and s.coordinator_id = p.id)
                       from people p join companies c on c.id = p.company_id
                      where p.company_id = $1 and p.id = $2",
                )
                .bind(company_id)
                .bind(person_id)
                .fetch_one(pool)
                .await?;
            let is_cm = !managed.is_empty();
            Ok(Viewer {
                principal: actor.principal,
                email,
                display_name,
                company_name: Some(company_name),
                may_manage_users: may_manage_users(is_cm, coordinated > 0, has_right),
                managed_contracts: managed,
                coordinated_serials: coordinated,
            })
        }
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
