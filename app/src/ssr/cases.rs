//! Support cases (R6) and changing the Contract Manager (R1, R7): only a reseller agent changes a
//! contract's CM, directly or by approving the current CM's case of kind "change the Contract
//! Manager". The change rewrites one contract row: every unassigned serial follows (R3).

use super::audit::{self, Change, Who};
use super::authz::{Agent, ContractManager, Member};
use super::outbox;
use super::Actor;
use crate::AppError;
use serde_json::json;
use shared::audit::Action;
use shared::coordinators::{parse_case, AgentContract, Candidate, CaseKind, SupportCase};
use shared::time::UtcTime;
use shared::Principal;
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

/// The contracts of every company the agent's reseller serves.
pub async fn agent_contracts(pool: &PgPool, agent: &Agent) -> Result<Vec<AgentContract>, AppError> {
    let reseller_id = agent.reseller_id();
    let rows: Vec<(Uuid, Uuid, String, String, String, String)> = sqlx::query_as(
        "select c.company_id, c.id, c.contract_number, co.name, m.first_name || ' ' || m.last_name, m.email
           from contracts c
           join companies co on co.id = c.company_id
           join people m on m.company_id = c.company_id and m.id = c.manager_id
          where c.reseller_id = $1
          order by co.name, c.contract_number",
    )
    .bind(reseller_id)
    .fetch_all(pool)
    .await?;
    let people: Vec<(Uuid, Uuid, String)> = sqlx::query_as(
        "select p.company_id, p.id, p.first_name || ' ' || p.last_name || ' <' || p.email || '>'
           from people p
          where p.status = 'active'
            and p.company_id in (select company_id from contracts where reseller_id = $1)
          order by p.last_name, p.first_name",
    )
    .bind(reseller_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(company_id, contract_id, contract_number, company, manager_name, manager_email)| AgentContract {
            contract_id,
            contract_number,
            company,
            manager_name,
            manager_email,
            people: people.iter().filter(|p| p.0 == company_id).map(|p| Candidate { id: p.1, label: p.2.clone() }).collect(),
        })
        .collect())
}

async fn change_manager_in(tx: &mut Transaction<'_, Postgres>, agent: &Agent, contract_id: Uuid, new_manager: Uuid) -> Result<String, AppError> {
    // The contract row alone is locked: a join here would be re-checked against the CM row read
    // before the lock was granted, so a change of CM committed meanwhile would make the contract
    // vanish (R1: two agents acting at once must both see it, one after the other).
    let contract: Option<(Uuid, String, Uuid)> = sqlx::query_as(
        "select company_id, contract_number, manager_id from contracts where id = $1 and reseller_id = $2 for update",
    )
    .bind(contract_id)
    .bind(agent.reseller_id())
    .fetch_optional(&mut **tx)
    .await?;
    let (company_id, number, old_manager) = contract.ok_or(AppError::NotFound)?;
    let (old_email, old_first): (String, String) = sqlx::query_as("select email, first_name from people where company_id = $1 and id = $2")
        .bind(company_id)
        .bind(old_manager)
        .fetch_one(&mut **tx)
        .await?;
    let person: Option<(String, String, String)> = sqlx::query_as(
        "select email, first_name, first_name || ' ' || last_name from people
          where company_id = $1 and id = $2 and status = 'active'",
    )
    .bind(company_id)
    .bind(new_manager)
    .fetch_optional(&mut **tx)
    .await?;
    let (new_email, new_first, new_name) =
        person.ok_or_else(|| AppError::invalid("Contract Manager", "must be an active person of the contract's company"))?;
    if old_manager == new_manager {
        return Err(AppError::invalid("Contract Manager", format!("{new_name} already is the Contract Manager")));
    }
    sqlx::query("update contracts set manager_id = $3, updated_at = now() where company_id = $1 and id = $2")
        .bind(company_id)
        .bind(contract_id)
        .bind(new_manager)
        .execute(&mut **tx)
        .await?;
    let change = Change::new(contract_id, Some(json!({ "manager_id": old_manager })), Some(json!({ "manager_id": new_manager })));
    audit::record(tx, company_id, Who::Agent(agent.agent_id()), Action::ContractChangeManager, &[change], None).await?;
    outbox::queue(tx, company_id, &new_email, &format!("You are now the Contract Manager of contract {number}"),
        &format!("Hello {new_first},\n\nYou are now the Contract Manager of contract {number} in Seatkeeper.\n")).await?;
    outbox::queue(tx, company_id, &old_email, &format!("You are no longer the Contract Manager of contract {number}"),
        &format!("Hello {old_first},\n\n{new_name} is now the Contract Manager of contract {number} in Seatkeeper.\n")).await?;
    Ok(format!("{new_name} is now the Contract Manager of contract {number}."))
}

/// R7: a reseller agent makes another person of the company the CM.
pub async fn change_manager(pool: &PgPool, agent: &Agent, contract_id: Uuid, new_manager: Uuid) -> Result<String, AppError> {
    let mut tx = pool.begin().await?;
    let message = change_manager_in(&mut tx, agent, contract_id, new_manager).await?;
    tx.commit().await?;
    Ok(message)
}

/// R7: the current CM asks the reseller to make someone else the CM.
pub async fn request_manager_change(pool: &PgPool, manager: &ContractManager, proposed: Uuid, reason: &str) -> Result<String, AppError> {
    let contract = manager.contract();
    let (_, body) = parse_case("Change the Contract Manager", reason)?;
    let mut tx = pool.begin().await?;
    let name: Option<String> = sqlx::query_scalar(
        "select first_name || ' ' || last_name from people where company_id = $1 and id = $2 and status = 'active'",
    )
    .bind(contract.company_id)
    .bind(proposed)
    .fetch_optional(&mut *tx)
    .await?;
    let name = name.ok_or_else(|| AppError::invalid("New Contract Manager", "must be an active person of your company"))?;
    if proposed == contract.manager.id {
        return Err(AppError::invalid("New Contract Manager", "already is the Contract Manager"));
    }
    let id = Uuid::new_v4();
    sqlx::query(
        "insert into support_cases (company_id, id, contract_id, opened_by, kind, subject, body, proposed_manager_id)
         values ($1, $2, $3, $4, 'change_contract_manager', $5, $6, $7)",
    )
    .bind(contract.company_id)
    .bind(id)
    .bind(contract.id)
    .bind(manager.person_id())
    .bind(format!("Make {name} the Contract Manager of contract {}", contract.number))
    .bind(body)
    .bind(proposed)
    .execute(&mut *tx)
    .await?;
    audit_case(&mut tx, contract.company_id, Who::Person(manager.person_id()), id, Action::SupportCaseOpen).await?;
    tx.commit().await?;
    Ok(format!("Your request to make {name} the Contract Manager was sent to your reseller."))
}

/// The case's audit event: its status and kind after the action.
async fn audit_case(tx: &mut Transaction<'_, Postgres>, company_id: Uuid, who: Who, case_id: Uuid, action: Action) -> Result<(), AppError> {
    let (status, kind): (String, String) = sqlx::query_as("select status, kind from support_cases where company_id = $1 and id = $2")
        .bind(company_id)
        .bind(case_id)
        .fetch_one(&mut **tx)
        .await?;
    let change = Change::new(case_id, None, Some(json!({ "status": status, "kind": kind })));
    audit::record(tx, company_id, who, action, &[change], None).await?;
    Ok(())
}

/// Any person of a company opens a case (R6).
pub async fn open_case(pool: &PgPool, member: &Member, subject: &str, body: &str) -> Result<Uuid, AppError> {
    let (company_id, person_id) = (member.company_id(), member.person_id());
    let (subject, body) = parse_case(subject, body)?;
    let mut tx = pool.begin().await?;
    let id = Uuid::new_v4();
    sqlx::query(
        "insert into support_cases (company_id, id, opened_by, kind, subject, body) values ($1, $2, $3, 'general', $4, $5)",
    )
    .bind(company_id)
    .bind(id)
    .bind(person_id)
    .bind(subject)
    .bind(body)
    .execute(&mut *tx)
    .await?;
    audit_case(&mut tx, company_id, Who::Person(person_id), id, Action::SupportCaseOpen).await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    id: Uuid,
    company: String,
    contract_number: Option<String>,
    kind: String,
    subject: String,
    body: String,
    opened_by: String,
    proposed_manager: Option<String>,
    status: String,
    opened_at: i64,
}

/// R6: a case is visible to every person of its company and to the agents of the contract's
/// reseller (or, for a case about no contract, of a reseller serving the company); to nobody else.
pub async fn visible_cases(pool: &PgPool, actor: &Actor) -> Result<Vec<SupportCase>, AppError> {
    let (company, reseller) = match actor.principal {
        Principal::Person { company_id, .. } => (Some(company_id), None),
        Principal::ResellerAgent { reseller_id, .. } => (None, Some(reseller_id)),
    };
    let rows: Vec<CaseRow> = sqlx::query_as(
        "select sc.id, co.name as company, c.contract_number, sc.kind, sc.subject, sc.body,
                o.first_name || ' ' || o.last_name as opened_by,
                pm.first_name || ' ' || pm.last_name || ' <' || pm.email || '>' as proposed_manager,
                sc.status, extract(epoch from sc.created_at)::int8 as opened_at
           from support_cases sc
           join companies co on co.id = sc.company_id
           join people o on o.company_id = sc.company_id and o.id = sc.opened_by
           left join contracts c on c.company_id = sc.company_id and c.id = sc.contract_id
           left join people pm on pm.company_id = sc.company_id and pm.id = sc.proposed_manager_id
          where sc.company_id = $1
             or (sc.contract_id is not null and c.reseller_id = $2)
             or (sc.contract_id is null and exists (select 1 from company_resellers r
                                                     where r.company_id = sc.company_id and r.reseller_id = $2))
          order by sc.created_at desc
          limit 200",
    )
    .bind(company)
    .bind(reseller)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SupportCase {
            id: r.id,
            company: r.company,
            contract_number: r.contract_number,
            kind: if r.kind == "change_contract_manager" { CaseKind::ChangeContractManager } else { CaseKind::General },
            subject: r.subject,
            body: r.body,
            opened_by: r.opened_by,
            proposed_manager: r.proposed_manager,
            status: r.status,
            opened_at: UtcTime::from_unix_seconds(r.opened_at),
        })
        .collect())
}

/// A reseller agent approves (the CM changes) or declines a change-of-CM case.
pub async fn resolve_case(pool: &PgPool, agent: &Agent, case_id: Uuid, approve: bool) -> Result<String, AppError> {
    let mut tx = pool.begin().await?;
    // The contract is locked too: its CM cannot change between the check below and the approval.
    let case: Option<(Uuid, Uuid, Option<Uuid>, String, String, bool)> = sqlx::query_as(
        "select sc.company_id, sc.contract_id, sc.proposed_manager_id, sc.kind, sc.status, c.manager_id = sc.opened_by
           from support_cases sc join contracts c on c.company_id = sc.company_id and c.id = sc.contract_id
          where sc.id = $1 and c.reseller_id = $2
          for update of sc, c",
    )
    .bind(case_id)
    .bind(agent.reseller_id())
    .fetch_optional(&mut *tx)
    .await?;
    let (company_id, contract_id, proposed, kind, status, asked_by_current_manager) = case.ok_or(AppError::NotFound)?;
    if kind != "change_contract_manager" {
        return Err(AppError::invalid("Case", "is not a request to change the Contract Manager"));
    }
    if status != "open" {
        return Err(AppError::Conflict(format!("This case was already {status}.")));
    }
    // R7: only the current CM's request changes the CM; a stale one can only be declined.
    if approve && !asked_by_current_manager {
        return Err(AppError::Conflict(
            "This request was made by someone who is no longer the Contract Manager; it can only be declined.".into(),
        ));
    }
    let message = if approve {
        let proposed = proposed.ok_or_else(|| AppError::invalid("Case", "names nobody"))?;
        change_manager_in(&mut tx, agent, contract_id, proposed).await?
    } else {
        "The request was declined; the Contract Manager stays.".to_string()
    };
    sqlx::query(
        "update support_cases set status = $3, resolved_by_agent_id = $4, resolved_at = now() where company_id = $1 and id = $2",
    )
    .bind(company_id)
    .bind(case_id)
    .bind(if approve { "approved" } else { "declined" })
    .bind(agent.agent_id())
    .execute(&mut *tx)
    .await?;
    let action = if approve { Action::SupportCaseApprove } else { Action::SupportCaseDecline };
    audit_case(&mut tx, company_id, Who::Agent(agent.agent_id()), case_id, action).await?;
    tx.commit().await?;
    Ok(message)
}
