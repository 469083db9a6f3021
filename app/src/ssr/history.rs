//! The History page's store: the company's audit events (R24), newest first, with the people and
//! records they name resolved to words.

use super::authz::UserManager;
use crate::AppError;
use shared::history::{HistoryEntry, HistoryPage, PAGE_SIZE};
use shared::time::UtcTime;
use sqlx::PgPool;

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
                  coalesce(s.serial, tp.email, c.contract_number, a.after ->> 'to', a.after ->> 'email', ''),
                  coalesce((
                      select string_agg(case k when 'coordinator_id' then 'coordinator' when 'group_name' then 'group'
                                              else replace(k, '_', ' ') end || ': ' || coalesce(bn.name, a.before ->> k, '—') || ' → ' || coalesce(an.name, a.after ->> k, '—'), '; ' order by k)
                        from jsonb_object_keys(coalesce(a.before, '{}') || coalesce(a.after, '{}')) as k
                        left join lateral (select first_name || ' ' || last_name as name from people
                                            where company_id = a.company_id and id::text = a.before ->> k) bn on true
                        left join lateral (select first_name || ' ' || last_name as name from people
                                            where company_id = a.company_id and id::text = a.after ->> k) an on true
                       where (a.before -> k) is distinct from (a.after -> k) and k not in ('version', 'updated_at')), '')
             from audit_events a
             left join people p on p.company_id = a.company_id and p.id = a.actor_person_id
             left join reseller_agents g on g.id = a.actor_agent_id
             left join serial_numbers s on a.entity = 'serial_number' and s.company_id = a.company_id and s.id = a.entity_id
             left join people tp on a.entity = 'person' and tp.company_id = a.company_id and tp.id = a.entity_id
             left join contracts c on a.entity = 'contract' and c.company_id = a.company_id and c.id = a.entity_id
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
