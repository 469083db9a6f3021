//! The History page's store: the company's audit events (R24), newest first, with the people and
//! records they name resolved to words; a change of many serial numbers is one line with its count,
//! and `serial_history` / `change_serials` give each serial's values before and after.

use super::authz::UserManager;
use crate::AppError;
use shared::history::{HistoryEntry, HistoryPage, SerialChange, PAGE_SIZE};
use shared::time::UtcTime;
use sqlx::PgPool;
use uuid::Uuid;

/// One page of the caller's company's history. Ids in the before and after values that name a
/// person of the company (a coordinator, a new CM) are shown as that person's name; a serial's
/// coordinator shown as "—" is its Contract Manager, by default (R3). Row versions are left out.
pub async fn page(pool: &PgPool, manager: &UserManager, page: u32) -> Result<HistoryPage, AppError> {
    let company_id = manager.company_id();
    let total: i64 = sqlx::query_scalar("select count(*) from audit_events where company_id = $1")
        .bind(company_id)
        .fetch_one(pool)
        .await?;
    let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
        r#"select extract(epoch from a.occurred_at)::int8,
                  coalesce(p.first_name || ' ' || p.last_name || ' <' || p.email || '>',
                           g.first_name || ' ' || g.last_name || ' (reseller)', 'Seatkeeper'),
                  a.action,
                  coalesce(s.serial, tp.email, c.contract_number, a.after ->> 'to', a.after ->> 'email', one.serial,
                           (a.after ->> 'serials') || ' serial numbers', ''),
                  case when a.entity = 'serial_number' and a.entity_id is null then
                      case when a.after ? 'undoes' then 'as before change ' || (a.after ->> 'undoes')
                           when a.after ? 'group_name' then 'group → ' || coalesce(a.after ->> 'group_name', '(no group)')
                           else 'coordinator → ' || coalesce((select first_name || ' ' || last_name from people
                                                                where company_id = a.company_id and id::text = a.after ->> 'coordinator_id'),
                                                              'the Contract Manager')
                      end
                  else coalesce((
                      select string_agg(case k when 'coordinator_id' then 'coordinator' when 'group_name' then 'group'
                                              else replace(k, '_', ' ') end || ': ' || coalesce(bn.name, a.before ->> k, '—') || ' → ' || coalesce(an.name, a.after ->> k, '—'), '; ' order by k)
                        from jsonb_object_keys(coalesce(a.before, '{}') || coalesce(a.after, '{}')) as k
                        left join lateral (select first_name || ' ' || last_name as name from people
                                            where company_id = a.company_id and id::text = a.before ->> k) bn on true
                        left join lateral (select first_name || ' ' || last_name as name from people
                                            where company_id = a.company_id and id::text = a.after ->> k) an on true
                       where (a.before -> k) is distinct from (a.after -> k) and k not in ('version', 'updated_at')), '')
                  end
             from audit_events a
             left join people p on p.company_id = a.company_id and p.id = a.actor_person_id
             left join reseller_agents g on g.id = a.actor_agent_id
             left join serial_numbers s on a.entity = 'serial_number' and s.company_id = a.company_id and s.id = a.entity_id
             left join people tp on a.entity = 'person' and tp.company_id = a.company_id and tp.id = a.entity_id
             left join contracts c on a.entity = 'contract' and c.company_id = a.company_id and c.id = a.entity_id
             -- A change of one serial names it; a change of many says how many (serial_history has each).
             left join lateral (select sn.serial from serial_changes sc
                                  join serial_numbers sn on sn.company_id = sc.company_id and sn.id = sc.serial_id
                                 where a.entity = 'serial_number' and a.entity_id is null and a.after ->> 'serials' = '1'
                                   and sc.company_id = a.company_id and sc.change_id = a.change_id) one on true
            where a.company_id = $1
            order by a.occurred_at desc, a.id
            limit $2 offset $3"#,
    )
    .bind(company_id)
    .bind(PAGE_SIZE as i64)
    .bind((page.max(1) as i64 - 1) * PAGE_SIZE as i64)
    .fetch_all(pool)
    .await?;
    Ok(HistoryPage {
        total: total as u64,
        rows: rows
            .into_iter()
            .map(|(at, who, action, record, change)| HistoryEntry { at: UtcTime::from_unix_seconds(at), who, action, record, change })
            .collect(),
    })
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    at: i64,
    who: String,
    action: String,
    change_id: Uuid,
    version: i64,
    coordinator_before: Option<Uuid>,
    coordinator_after: Option<Uuid>,
    group_before: Option<String>,
    group_after: Option<String>,
}

impl From<ChangeRow> for SerialChange {
    fn from(r: ChangeRow) -> Self {
        SerialChange {
            at: UtcTime::from_unix_seconds(r.at),
            who: r.who,
            action: r.action,
            change_id: r.change_id,
            version: r.version,
            coordinator_before: r.coordinator_before,
            coordinator_after: r.coordinator_after,
            group_before: r.group_before,
            group_after: r.group_after,
        }
    }
}

/// The columns of a serial's change with its event: when, who, what.
const CHANGE_COLUMNS: &str = r#"select extract(epoch from a.occurred_at)::int8 as at,
            coalesce(p.first_name || ' ' || p.last_name || ' <' || p.email || '>',
                     g.first_name || ' ' || g.last_name || ' (reseller)', 'Seatkeeper') as who,
            a.action, sc.change_id, sc.version, sc.coordinator_before, sc.coordinator_after, sc.group_before, sc.group_after
       from serial_changes sc
       join audit_events a on a.company_id = sc.company_id and a.change_id = sc.change_id
                          and a.entity = 'serial_number' and a.entity_id is null
       left join people p on p.company_id = a.company_id and p.id = a.actor_person_id
       left join reseller_agents g on g.id = a.actor_agent_id"#;

/// What happened to one serial number of the caller's company: every change of it, newest first,
/// with who made it, when, and its coordinator and group before and after (R24). A serial of
/// another company answers as one that does not exist (R25).
pub async fn serial_history(pool: &PgPool, manager: &UserManager, serial: &str) -> Result<Vec<SerialChange>, AppError> {
    let id: Option<Uuid> = sqlx::query_scalar("select id from serial_numbers where company_id = $1 and serial = $2")
        .bind(manager.company_id())
        .bind(serial)
        .fetch_optional(pool)
        .await?;
    let id = id.ok_or(AppError::NotFound)?;
    let rows: Vec<ChangeRow> = sqlx::query_as(&format!("{CHANGE_COLUMNS} where sc.company_id = $1 and sc.serial_id = $2 order by sc.version desc"))
        .bind(manager.company_id())
        .bind(id)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(SerialChange::from).collect())
}

/// One page of the serials one change changed, in serial order, each with its values before and
/// after: what a History line of a bulk change stands for.
pub async fn change_serials(pool: &PgPool, manager: &UserManager, change_id: Uuid, page: u32) -> Result<Vec<(String, SerialChange)>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        serial: String,
        #[sqlx(flatten)]
        change: ChangeRow,
    }
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{} join serial_numbers sn on sn.company_id = sc.company_id and sn.id = sc.serial_id
          where sc.company_id = $1 and sc.change_id = $2
          order by sn.serial limit $3 offset $4",
        CHANGE_COLUMNS.replacen("select ", "select sn.serial, ", 1)
    ))
    .bind(manager.company_id())
    .bind(change_id)
    .bind(PAGE_SIZE as i64)
    .bind((page.max(1) as i64 - 1) * PAGE_SIZE as i64)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.serial, SerialChange::from(r.change))).collect())
}
