//! The one place where the console decides who may act (R2, R4, R7, R14, R25).
//!
//! Each decision yields a capability: a value that only this module can make (its fields are
//! private), and that the store's functions take as a parameter. A store function that changes data
//! therefore cannot be called without the permission it needs: the compiler checks it.
//!
//! | capability         | who holds it                                  | made by               |
//! |--------------------|-----------------------------------------------|-----------------------|
//! | `Member`           | an active person of a company (R25)           | `member`              |
//! | `ContractView`     | a person of the contract's company (reads)    | `contract_view`       |
//! | `ContractManager`  | the contract's CM (R2)                        | `contract_manager`, `ContractView::manage` |
//! | `UserManager`      | a CM, or an SC given the right (R4, R14)      | `user_manager`        |
//! | `Agent`            | a reseller agent (R7); contracts checked per query | `agent`          |

use super::Actor;
use crate::AppError;
use shared::products::PersonOption;
use shared::Principal;
use sqlx::PgPool;
use uuid::Uuid;

/// An active person of a company: reads the company's records, opens support cases (R6, R25).
#[derive(Debug, Clone)]
pub struct Member {
    company_id: Uuid,
    person_id: Uuid,
}

impl Member {
    pub fn company_id(&self) -> Uuid {
        self.company_id
    }

    pub fn person_id(&self) -> Uuid {
        self.person_id
    }
}

/// A contract of the caller's company, as the store needs it.
#[derive(Debug, Clone)]
pub struct Contract {
    pub company_id: Uuid,
    pub id: Uuid,
    pub number: String,
    pub manager: PersonOption,
}

/// A contract the caller may look at: anyone of its company (R25).
#[derive(Debug, Clone)]
pub struct ContractView {
    contract: Contract,
    person_id: Uuid,
}

impl ContractView {
    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    /// R2: whether the caller is the contract's CM, for the screen (buttons shown or not).
    pub fn may_act(&self) -> bool {
        self.contract.manager.id == self.person_id
    }

    /// R2: the contract's CM acts on it; anyone else is refused.
    pub fn manage(self) -> Result<ContractManager, AppError> {
        if self.may_act() {
            Ok(ContractManager { contract: self.contract, person_id: self.person_id })
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// The CM of one contract (R2): assigns, renames, edits shipping locations, removes from all,
/// asks for a new CM.
#[derive(Debug, Clone)]
pub struct ContractManager {
    contract: Contract,
    person_id: Uuid,
}

impl ContractManager {
    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    pub fn company_id(&self) -> Uuid {
        self.contract.company_id
    }

    pub fn person_id(&self) -> Uuid {
        self.person_id
    }
}

/// R14: a CM, or an SC given the right (R4), manages the company's users.
#[derive(Debug, Clone)]
pub struct UserManager {
    company_id: Uuid,
    person_id: Uuid,
    is_contract_manager: bool,
}

impl UserManager {
    pub fn company_id(&self) -> Uuid {
        self.company_id
    }

    pub fn person_id(&self) -> Uuid {
        self.person_id
    }

    /// R4: only a CM gives an SC the right to manage users.
    pub fn is_contract_manager(&self) -> bool {
        self.is_contract_manager
    }
}

/// A reseller agent (R7). Which contracts they serve is checked by each query, against
/// `contracts.reseller_id`.
#[derive(Debug, Clone)]
pub struct Agent {
    reseller_id: Uuid,
    agent_id: Uuid,
}

impl Agent {
    pub fn reseller_id(&self) -> Uuid {
        self.reseller_id
    }

    pub fn agent_id(&self) -> Uuid {
        self.agent_id
    }
}

/// A person of a company; reseller agents have no company of their own.
pub fn member(actor: &Actor) -> Result<Member, AppError> {
    match actor.principal {
        Principal::Person { company_id, person_id } => Ok(Member { company_id, person_id }),
        Principal::ResellerAgent { .. } => Err(AppError::Forbidden),
    }
}

pub fn agent(actor: &Actor) -> Result<Agent, AppError> {
    match actor.principal {
        Principal::ResellerAgent { reseller_id, agent_id } => Ok(Agent { reseller_id, agent_id }),
        Principal::Person { .. } => Err(AppError::Forbidden),
    }
}

/// The contract by number within the caller's company. Another company's contract answers exactly
/// as a missing one (R25); reseller agents have no Products tab.
pub async fn contract_view(pool: &PgPool, actor: &Actor, number: &str) -> Result<ContractView, AppError> {
    let Principal::Person { company_id, person_id } = actor.principal else { return Err(AppError::NotFound) };
    let number = shared::text::one_line("Contract", number, 40)?;
    let row: Option<(Uuid, String, Uuid, String, String)> = sqlx::query_as(
        "select c.id, c.contract_number, m.id, m.first_name || ' ' || m.last_name, m.email
           from contracts c join people m on m.company_id = c.company_id and m.id = c.manager_id
          where c.company_id = $1 and c.contract_number = $2",
    )
    .bind(company_id)
    .bind(&number)
    .fetch_optional(pool)
    .await?;
    let (id, number, manager_id, name, email) = row.ok_or(AppError::NotFound)?;
    Ok(ContractView {
        contract: Contract { company_id, id, number, manager: PersonOption { id: manager_id, name, email } },
        person_id,
    })
}

/// R2: the caller as the CM of this contract of their company.
pub async fn contract_manager(pool: &PgPool, actor: &Actor, number: &str) -> Result<ContractManager, AppError> {
    contract_view(pool, actor, number).await?.manage()
}

/// R14 with R4: a CM, or an SC who has been given the right; everyone else is refused.
pub async fn user_manager(pool: &PgPool, actor: &Actor) -> Result<UserManager, AppError> {
    let Member { company_id, person_id } = member(actor)?;
    let viewer = super::roles::load_viewer(pool, actor).await?;
    if viewer.may_manage_users {
        Ok(UserManager { company_id, person_id, is_contract_manager: viewer.is_contract_manager() })
    } else {
        Err(AppError::Forbidden)
    }
}
