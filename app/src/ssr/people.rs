//! The store of Classic User Management (seed 003): the users list, Add (R15) and Bulk Add (R16).
//! Only a CM, or an SC given the right, manages users (R14); everyone else reads.

use super::audit::{self, Change, Who};
use super::authz::UserManager;
use super::products::ListCache;
use super::roles::{self, Coordination};
use super::{invitations, Actor};
use crate::AppError;
use serde_json::json;
use shared::audit::Action;
use shared::bulk_add::{parse_bulk, Entry, NewPerson};
use shared::people::{BulkAddOutcome, BulkAddPreview, BulkAddRow, PeopleFilter, PeoplePage, PersonRow, PersonStatus};
use shared::{Email, FieldErrors, PersonName};
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgPool};
use std::collections::HashMap;
use std::sync::LazyLock;
use uuid::Uuid;

const PAGE_SIZE: i64 = shared::people::PAGE_SIZE as i64;

/// A person as the users list reads them.
#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    email: String,
    name: String,
    status: String,
    open_invitation: bool,
    is_cm: bool,
    is_sc: bool,
    services: i64,
    may_download: bool,
    may_manage_users: bool,
}

/// The company's people with what the list shows of them, searched ($2) and filtered by status ($3),
/// role ($4) and having cloud services ($5); `shown` is what the page and its count read. Who is an
/// SC comes from the company's cached map of who coordinates what: $6 the coordinators, $7 the
/// snapshot it was computed in, checked in this statement; should a change have committed since
/// (a moment's race with the check of `roles::person_viewer`), each listed person is looked up.
static SHOWN: LazyLock<String> = LazyLock::new(|| {
    format!(
        "
    with listed as (
        select p.id, p.email, p.first_name || ' ' || p.last_name as name, p.status, p.first_name, p.last_name,
               exists (select 1 from invitations i where i.company_id = p.company_id and i.person_id = p.id
                         and i.accepted_at is null and i.revoked_at is null and i.expires_at > now()) as open_invitation,
               exists (select 1 from contracts c where c.company_id = p.company_id and c.manager_id = p.id) as is_cm,
               case when {stale}
                    then exists (select 1 from serial_numbers s where s.company_id = p.company_id and s.coordinator_id = p.id)
                    else p.id = any($6::uuid[]) end as is_sc,
               (select count(*) from service_assignments a where a.company_id = p.company_id and a.person_id = p.id) as services,
               p.may_download, p.may_manage_users
          from people p
         where p.company_id = $1 and p.status <> 'removed'
           and (p.email ilike $2 or p.first_name || ' ' || p.last_name ilike $2)
    ), shown as (
        select * from listed
         where ($3::text is null or $3 = case when status = 'active' then 'active' when open_invitation then 'invited' else 'expired' end)
           and ($4::text is null or ($4 = 'cm' and is_cm) or ($4 = 'sc' and is_sc) or ($4 = 'user' and not is_cm and not is_sc))
           and ($5::bool is null or (services > 0) = $5)
    )",
        stale = ListCache::changed_since("$1", "$7")
    )
});

pub async fn list(pool: &PgPool, actor: &Actor, filter: &PeopleFilter, page: u32) -> Result<PeoplePage, AppError> {
    let (company_id, person_id) = actor.person().ok_or(AppError::NotFound)?;
    // One lookup of who coordinates what for the page: checked with the viewer's row, and again in
    // each statement that uses it.
    let (viewer, coordination) = roles::person_viewer(pool, ListCache::global(), actor, company_id, person_id).await?;
    let may_manage = viewer.may_manage_users;
    let total: i64 =
        sqlx::query_scalar_with(&format!("{} select count(*) from shown", *SHOWN), shown_arguments(company_id, filter, &coordination)?)
            .fetch_one(pool)
            .await?;
    let rows = rows(pool, company_id, filter, &coordination, PAGE_SIZE, (page.max(1) as i64 - 1) * PAGE_SIZE).await?;
    Ok(PeoplePage {
        total: total as u64,
        may_manage,
        may_grant_manage_users: viewer.is_contract_manager(),
        rows,
    })
}

fn like_pattern(search: &str) -> String {
    format!("%{}%", search.trim().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}

/// $1-$7 of `SHOWN`: the company, the search, the three filters, who coordinates and as of when.
fn shown_arguments(company_id: Uuid, filter: &PeopleFilter, coordination: &Coordination) -> Result<PgArguments, AppError> {
    let search = shared::text::search("Search", &filter.search)?;
    let mut arguments = PgArguments::default();
    let added = arguments
        .add(company_id)
        .and_then(|_| arguments.add(like_pattern(&search)))
        .and_then(|_| arguments.add(filter.status.map(|s| s.key())))
        .and_then(|_| arguments.add(filter.role.map(|r| r.key())))
        .and_then(|_| arguments.add(filter.with_services))
        .and_then(|_| arguments.add(coordination.coordinators()))
        .and_then(|_| arguments.add(coordination.snapshot.as_str()));
    added.map_err(|e| super::db::internal(e))?;
    Ok(arguments)
}

async fn rows(
    pool: &PgPool,
    company_id: Uuid,
    filter: &PeopleFilter,
    coordination: &Coordination,
    limit: i64,
    offset: i64,
) -> Result<Vec<PersonRow>, AppError> {
    let mut arguments = shown_arguments(company_id, filter, coordination)?;
    arguments
        .add(limit)
        .and_then(|_| arguments.add(offset))
        .map_err(|e| super::db::internal(e))?;
    let rows: Vec<Row> = sqlx::query_as_with(
        &format!(
            "{}
             select id, email, name, status, open_invitation, is_cm, is_sc, services, may_download, may_manage_users
               from shown
              order by last_name, first_name, email
              limit $8 offset $9",
            *SHOWN
        ),
        arguments,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let status = match (r.status.as_str(), r.open_invitation) {
                ("active", _) => PersonStatus::Active,
                (_, true) => PersonStatus::Invited,
                _ => PersonStatus::InvitationExpired,
            };
            // R20, R21: nothing assigned, neither CM nor SC.
            let removable = !r.is_cm && !r.is_sc && r.services == 0 && !r.may_download && !r.may_manage_users;
            PersonRow {
                id: r.id,
                email: r.email,
                name: r.name,
                status,
                roles: shared::people::Role::of(r.is_cm, r.is_sc),
                services: r.services,
                removable,
                may_download: r.may_download,
                may_manage_users: r.may_manage_users,
            }
        })
        .collect())
}

/// Everyone of the caller's company the filter lets through, for the CSV export.
pub async fn everyone(pool: &PgPool, actor: &Actor, filter: &PeopleFilter) -> Result<Vec<PersonRow>, AppError> {
    let (company_id, person_id) = actor.person().ok_or(AppError::NotFound)?;
    let (_, coordination) = roles::person_viewer(pool, ListCache::global(), actor, company_id, person_id).await?;
    rows(pool, company_id, filter, &coordination, i64::MAX, 0).await
}

/// Refuses an email someone of the company already has (compared case-insensitively), naming them.
pub async fn refuse_known(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>, company_id: Uuid, email: &Email) -> Result<(), AppError> {
    let known: Option<String> = sqlx::query_scalar(
        "select first_name || ' ' || last_name from people where company_id = $1 and lower(email) = lower($2)",
    )
    .bind(company_id)
    .bind(email.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    match known {
        Some(existing) => Err(AppError::invalid("Email", format!("belongs to {existing}, already known to your company"))),
        None => Ok(()),
    }
}

/// Adds a new person, invited (R15, R17); used by Add and by Assign to a new person (R10).
pub async fn create_invited(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    company_id: Uuid,
    email: &Email,
    name: &PersonName,
    invited_by: Uuid,
) -> Result<Uuid, AppError> {
    refuse_known(tx, company_id, email).await?;
    let id = Uuid::new_v4();
    sqlx::query("insert into people (company_id, id, email, first_name, last_name, status) values ($1, $2, $3, $4, $5, 'invited')")
        .bind(company_id)
        .bind(id)
        .bind(email.as_str())
        .bind(&name.first)
        .bind(&name.last)
        .execute(&mut **tx)
        .await?;
    invitations::invite(tx, company_id, id, email, name, invited_by).await?;
    Ok(id)
}

/// R15: Save & Continue adds the person and invites them.
pub async fn add(pool: &PgPool, manager: &UserManager, email: &str, first: &str, last: &str) -> Result<String, AppError> {
    let (company_id, person_id) = (manager.company_id(), manager.person_id());
    let mut errors = FieldErrors::default();
    let email = errors.take(Email::parse(email));
    let name = match PersonName::parse(first, last) {
        Ok(name) => Some(name),
        Err(e) => {
            e.into_iter().for_each(|e| errors.push(e));
            None
        }
    };
    let (Some(email), Some(name)) = (email, name) else { return Err(AppError::Invalid(errors)) };
    let mut tx = pool.begin().await?;
    let id = create_invited(&mut tx, company_id, &email, &name, person_id).await?;
    audit_added(&mut tx, company_id, Who::Person(person_id), &[id], Action::PersonAdd).await?;
    tx.commit().await?;
    Ok(format!("{} was added and invited.", name.full()))
}

/// One audit event per added person, with what they were added as (Add, Bulk Add, and Assign to a
/// new person).
pub async fn audit_added(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>, company_id: Uuid, who: Who, ids: &[Uuid], action: Action) -> Result<(), AppError> {
    let added: Vec<(Uuid, serde_json::Value)> = sqlx::query_as(
        "select p.id, jsonb_build_object('email', p.email, 'first_name', p.first_name, 'last_name', p.last_name, 'status', p.status)
           from people p where p.company_id = $1 and p.id = any($2)",
    )
    .bind(company_id)
    .bind(ids)
    .fetch_all(&mut **tx)
    .await?;
    let changes: Vec<Change> = added.into_iter().map(|(id, after)| Change::new(id, None, Some(after))).collect();
    audit::record(tx, company_id, who, action, &changes, None).await?;
    Ok(())
}

/// Every entry with what Bulk Add will do with it; nothing is added (R16).
async fn classify(pool: &PgPool, company_id: Uuid, text: &str) -> Result<(Vec<BulkAddRow>, Vec<NewPerson>), AppError> {
    let entries = parse_bulk(text).map_err(|reason| AppError::invalid("People", reason))?;
    let emails: Vec<String> = entries
        .iter()
        .filter_map(|e| if let Entry::Valid(p) = e { Some(p.email.to_lowercase()) } else { None })
        .collect();
    let known: HashMap<String, String> = sqlx::query_as::<_, (String, String)>(
        "select lower(email), first_name || ' ' || last_name from people where company_id = $1 and lower(email) = any($2)",
    )
    .bind(company_id)
    .bind(&emails)
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    let mut to_add = Vec::new();
    let rows = entries
        .into_iter()
        .map(|entry| match entry {
            Entry::Valid(person) => match known.get(&person.email.to_lowercase()) {
                Some(name) => BulkAddRow { entry: person.email, outcome: BulkAddOutcome::AlreadyKnown { name: name.clone() } },
                None => {
                    let row = BulkAddRow {
                        entry: person.email.clone(),
                        outcome: BulkAddOutcome::WillBeAdded {
                            name: format!("{} {}", person.first_name, person.last_name),
                            name_from_email: person.name_from_email,
                        },
                    };
                    to_add.push(person);
                    row
                }
            },
            Entry::DuplicateInList { email } => BulkAddRow { entry: email, outcome: BulkAddOutcome::DuplicateInList },
            Entry::Invalid { text, reason } => BulkAddRow { entry: text, outcome: BulkAddOutcome::Invalid { reason } },
        })
        .collect();
    Ok((rows, to_add))
}

pub async fn bulk_preview(pool: &PgPool, manager: &UserManager, text: &str) -> Result<BulkAddPreview, AppError> {
    let (rows, to_add) = classify(pool, manager.company_id(), text).await?;
    Ok(BulkAddPreview { rows, to_add: to_add.len() as u64 })
}

/// Adds every valid, unknown entry in one transaction and invites them all (R16, R17).
pub async fn bulk_add(pool: &PgPool, manager: &UserManager, text: &str) -> Result<String, AppError> {
    let (company_id, person_id) = (manager.company_id(), manager.person_id());
    let (rows, to_add) = classify(pool, company_id, text).await?;
    if to_add.is_empty() {
        return Err(AppError::invalid("People", "has nobody new to add"));
    }
    let ids: Vec<Uuid> = to_add.iter().map(|_| Uuid::new_v4()).collect();
    let mut tx = pool.begin().await?;
    sqlx::query(
        "insert into people (company_id, id, email, first_name, last_name, status)
         select $1, x.id, x.email, x.first, x.last, 'invited'
           from unnest($2::uuid[], $3::text[], $4::text[], $5::text[]) as x(id, email, first, last)",
    )
    .bind(company_id)
    .bind(&ids)
    .bind(to_add.iter().map(|p| p.email.clone()).collect::<Vec<_>>())
    .bind(to_add.iter().map(|p| p.first_name.clone()).collect::<Vec<_>>())
    .bind(to_add.iter().map(|p| p.last_name.clone()).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    let invitees: Vec<(Uuid, String, String)> =
        ids.iter().zip(&to_add).map(|(id, p)| (*id, p.email.clone(), p.first_name.clone())).collect();
    invitations::invite_many(&mut tx, company_id, &invitees, person_id).await?;
    audit_added(&mut tx, company_id, Who::Person(person_id), &ids, Action::PersonBulkAdd).await?;
    tx.commit().await?;
    let skipped = match rows.len() - to_add.len() {
        0 => String::new(),
        1 => "; 1 entry was left out".to_string(),
        n => format!("; {n} entries were left out"),
    };
    let people = if to_add.len() == 1 { "person was" } else { "people were" };
    Ok(format!("{} {people} added and invited{skipped}.", to_add.len()))
}

/// What stands in the way of removing a person ($1 company, $2 person), the person locked: how many
/// serials they coordinate is $3, the company's cached map's count, unless the map (its snapshot
/// $4) is stale in this statement: then the serials are counted.
static REMOVAL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "select p.first_name || ' ' || p.last_name,
                coalesce((select array_agg(c.contract_number order by c.contract_number) from contracts c
                           where c.company_id = p.company_id and c.manager_id = p.id), '{{}}'),
                case when {stale}
                     then (select count(*) from serial_numbers s where s.company_id = p.company_id and s.coordinator_id = p.id)
                     else $3::int8 end,
                (select count(*) from service_assignments a where a.company_id = p.company_id and a.person_id = p.id),
                p.may_download, p.may_manage_users
           from people p where p.company_id = $1 and p.id = $2 and p.status <> 'removed'
           for no key update of p",
        stale = ListCache::changed_since("$1", "$4")
    )
});

/// Whether a person ($1 company, $2 person) is an SC, the person locked: $3 from the company's
/// cached map unless it (its snapshot $4) is stale in this statement.
static PRIVILEGE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "select p.first_name || ' ' || p.last_name,
                case when {stale}
                     then exists (select 1 from serial_numbers s where s.company_id = p.company_id and s.coordinator_id = p.id)
                     else $3::bool end
           from people p where p.company_id = $1 and p.id = $2 and p.status <> 'removed' for no key update of p",
        stale = ListCache::changed_since("$1", "$4")
    )
});

/// R20, R21: a person is removed only when nothing is assigned to them and they are neither a CM nor
/// an SC; otherwise the refusal says everything that remains. Removed people cannot sign in; their
/// history stays.
pub async fn remove(pool: &PgPool, manager: &UserManager, person: Uuid) -> Result<String, AppError> {
    let company_id = manager.company_id();
    let coordination = ListCache::global().coordination(pool, company_id, true).await?;
    let mut tx = pool.begin().await?;
    let row: Option<(String, Vec<String>, i64, i64, bool, bool)> = sqlx::query_as(REMOVAL.as_str())
        .bind(company_id)
        .bind(person)
        .bind(coordination.serials_of(person))
        .bind(coordination.snapshot.as_str())
        .fetch_optional(&mut *tx)
    .await?;
    let (name, managed, coordinated, services, download, manage_users) = row.ok_or(AppError::NotFound)?;
    let mut remains = Vec::new();
    if !managed.is_empty() {
        remains.push(format!("is the Contract Manager of contract {} (the reseller changes the Contract Manager first)", managed.join(", ")));
    }
    if coordinated > 0 {
        remains.push(format!("coordinates {coordinated} serial numbers (Unassign them, or Remove From All if they left)"));
    }
    if services > 0 {
        remains.push(format!("has {services} cloud services assigned (remove them in Edit Access)"));
    }
    if download {
        remains.push("has download privileges".into());
    }
    if manage_users {
        remains.push("may manage users".into());
    }
    if !remains.is_empty() {
        return Err(AppError::Conflict(format!("{name} cannot be removed yet: {name} {}.", remains.join("; "))));
    }
    sqlx::query("update people set status = 'removed', updated_at = now() where company_id = $1 and id = $2")
        .bind(company_id)
        .bind(person)
        .execute(&mut *tx)
        .await?;
    invitations::revoke_open(&mut tx, company_id, &[person]).await?;
    sqlx::query("delete from sessions where company_id = $1 and person_id = $2").bind(company_id).bind(person).execute(&mut *tx).await?;
    let change = Change::new(person, Some(json!({ "status": "active" })), Some(json!({ "status": "removed" })));
    audit::record(&mut tx, company_id, Who::Person(manager.person_id()), Action::PersonRemove, &[change], None).await?;
    tx.commit().await?;
    Ok(format!("{name} was removed."))
}

/// R4, R5: grants or revokes one privilege, with its audit event.
pub async fn set_privilege(pool: &PgPool, manager: &UserManager, person: Uuid, privilege: shared::people::Privilege, granted: bool) -> Result<String, AppError> {
    use shared::people::Privilege;
    let company_id = manager.company_id();
    let coordination = ListCache::global().coordination(pool, company_id, true).await?;
    let mut tx = pool.begin().await?;
    let row: Option<(String, bool)> = sqlx::query_as(PRIVILEGE.as_str())
        .bind(company_id)
        .bind(person)
        .bind(coordination.serials_of(person) > 0)
        .bind(coordination.snapshot.as_str())
        .fetch_optional(&mut *tx)
    .await?;
    let (name, is_sc) = row.ok_or(AppError::NotFound)?;
    let column = match privilege {
        Privilege::ManageUsers => {
            if !manager.is_contract_manager() {
                return Err(AppError::Forbidden);
            }
            if granted && !is_sc {
                return Err(AppError::invalid("Person", format!("{name} is not a Software Coordinator: only SCs are given the right to manage users")));
            }
            "may_manage_users"
        }
        Privilege::Download => "may_download",
    };
    sqlx::query(&format!("update people set {column} = $3, updated_at = now() where company_id = $1 and id = $2"))
        .bind(company_id)
        .bind(person)
        .bind(granted)
        .execute(&mut *tx)
        .await?;
    let action = if granted { Action::PrivilegeGrant } else { Action::PrivilegeRevoke };
    let change = Change::new(person, None, Some(json!({ column: granted })));
    audit::record(&mut tx, company_id, Who::Person(manager.person_id()), action, &[change], None).await?;
    tx.commit().await?;
    Ok(match (privilege, granted) {
        (Privilege::ManageUsers, true) => format!("{name} may now manage users."),
        (Privilege::ManageUsers, false) => format!("{name} may no longer manage users."),
        (Privilege::Download, true) => format!("{name} now has download privileges."),
        (Privilege::Download, false) => format!("{name} no longer has download privileges."),
    })
}
