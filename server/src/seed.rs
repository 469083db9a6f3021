//! Demo and benchmark data: deterministic (the same ids, emails and serials every run) and set-based
//! (`generate_series` and `unnest`, ten thousand rows a statement), so 100,000 serials take seconds.
//!
//! One reseller serves two companies, so tenant isolation can be seen and tested. Every demo account
//! that can sign in uses the password `DEMO_PASSWORD`.

use app::ssr::audit::{self, Change, Who};
use app::ssr::auth::hash_password_with_salt;
use serde_json::json;
use shared::audit::Action;
use argon2::password_hash::SaltString;
use sqlx::{PgPool, Postgres, Transaction};
use std::io::Write;
use std::time::Instant;
use uuid::Uuid;

pub const DEMO_PASSWORD: &str = "seatkeeper-demo";
const BATCH: i64 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedOptions {
    /// Serials on Acme's first contract (the one benchmarks act on).
    pub serials: u32,
    /// Do nothing when the database already holds companies (what `make run` wants).
    pub if_empty: bool,
    /// Print progress lines to stderr.
    pub progress: bool,
}

impl Default for SeedOptions {
    fn default() -> Self {
        Self { serials: 2_000 - 350, if_empty: false, progress: true }
    }
}

impl SeedOptions {
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut options = Self::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--serials" => {
                    let raw = args.next().ok_or("--serials needs a number")?;
                    options.serials = raw
                        .replace(['_', ','], "")
                        .parse()
                        .ok()
                        .filter(|n| (1..=5_000_000).contains(n))
                        .ok_or_else(|| format!("--serials {raw:?}: give a whole number from 1 to 5,000,000"))?;
                }
                "--if-empty" => options.if_empty = true,
                "--quiet" => options.progress = false,
                other => return Err(format!("seed: unknown option {other:?}")),
            }
        }
        Ok(options)
    }
}

/// Deterministic ids: a fixed prefix, the kind of record, and its running number.
pub fn id(kind: u16, n: u32) -> Uuid {
    Uuid::from_u128(0x5ea7_0000_0000_4000_8000_0000_0000_0000 | ((kind as u128) << 32) | n as u128)
}

const RESELLER: u16 = 1;
const AGENT: u16 = 2;
const COMPANY: u16 = 3;
const PRODUCT: u16 = 5;
const SERVICE: u16 = 6;
const CONTRACT: u16 = 7;
const INVITATION: u16 = 8;
const CASE: u16 = 9;
const AUDIT: u16 = 10;
const PERSON_BASE: u16 = 100; // + company number

const FIRST: [&str; 24] = [
    "Ada", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kemal", "Lena",
    "Marta", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wim", "Yara",
];
const LAST: [&str; 24] = [
    "Berg", "Costa", "Dahl", "Eriksen", "Fischer", "Garcia", "Holm", "Ivanova", "Jensen", "Keller", "Larsen",
    "Moreau", "Novak", "Olsen", "Petrov", "Quist", "Rossi", "Silva", "Toth", "Unger", "Vidal", "Weber", "Young", "Zorn",
];

struct Company {
    number: u32,
    name: &'static str,
    domain: &'static str,
    coordinators: u32,
    users: u32,
    invited: u32,
    /// (contract number, manager: 0 = first CM, 1 = second CM, serials or None for the main one)
    contracts: &'static [(&'static str, u32, Option<u32>)],
    /// One serial of the small licence (`SMALL_LICENCE`, quantity 1: three seats, R19) on the last
    /// contract, so the seat cap can be reached by hand and by the end-to-end tests.
    small_licence: Option<&'static str>,
}

const COMPANIES: [Company; 2] = [
    Company {
        number: 1,
        name: "Acme Engineering",
        domain: "acme.example",
        coordinators: 4,
        users: 24,
        invited: 8,
        contracts: &[("110000001", 0, None), ("110000002", 0, Some(150)), ("110000003", 1, Some(150))],
        small_licence: None,
    },
    Company {
        number: 2,
        name: "Globex Architects",
        domain: "globex.example",
        coordinators: 2,
        users: 10,
        invited: 3,
        contracts: &[("220000001", 0, Some(200)), ("220000002", 0, Some(50))],
        small_licence: Some("777-29000001"),
    },
];

/// The catalogue: (name, release, licence type, cloud services). Generated serials rotate through the
/// first `ROTATION`; the last product is the small licence, placed by hand.
const PRODUCTS: [(&str, &str, &str, &[&str]); 8] = [
    ("AutoCAD", "2026", "single-user", &[]),
    ("AutoCAD", "2025", "single-user", &[]),
    ("Revit", "2026", "multi-user", &["Cloud storage", "Cloud rendering"]),
    ("Inventor Professional", "2026", "multi-user", &["Cloud storage", "Structural analysis"]),
    ("Civil 3D", "2026", "network", &[]),
    ("3ds Max", "2026", "network", &[]),
    ("Fusion", "2026", "multi-user", &["Cloud storage", "Generative design"]),
    ("ReCap Pro", "2026", "multi-user", &["Reality capture"]),
];
const ROTATION: u32 = 7;
const SMALL_LICENCE: u32 = 8;

struct PersonRow {
    id: Uuid,
    email: String,
    first: String,
    last: String,
    status: &'static str,
    may_manage_users: bool,
    may_download: bool,
}

/// The people of a company in a fixed order: two CMs, the coordinators, users, invited people.
fn people_of(company: &Company) -> Vec<PersonRow> {
    let kind = PERSON_BASE + company.number as u16;
    let mut rows = Vec::new();
    let mut push = |local: String, status, manage, download| {
        let n = rows.len() as u32;
        let k = (n as usize * 7 + company.number as usize * 5) % 24;
        rows.push(PersonRow {
            id: id(kind, n + 1),
            email: format!("{local}@{}", company.domain),
            first: FIRST[k].to_string(),
            last: LAST[(k * 5 + n as usize * 11 + 3) % 24].to_string(),
            status,
            may_manage_users: manage,
            may_download: download,
        });
    };
    push("cm".into(), "active", true, true);
    push("cm2".into(), "active", true, true);
    for i in 1..=company.coordinators {
        push(format!("sc{i}"), "active", i == 1, true);
    }
    for i in 1..=company.users {
        push(format!("user{i:02}"), "active", false, i % 4 == 0);
    }
    for i in 1..=company.invited {
        push(format!("invited{i:02}"), "invited", false, false);
    }
    rows
}

pub async fn run(pool: &PgPool, options: &SeedOptions) -> Result<(), String> {
    let started = Instant::now();
    let fail = |what: &str| {
        let what = what.to_string();
        move |e: sqlx::Error| format!("seeding {what} failed: {e}")
    };
    let has_data: bool = sqlx::query_scalar("select exists (select 1 from companies)")
        .fetch_one(pool)
        .await
        .map_err(fail("the check for existing data"))?;
    if has_data {
        if options.if_empty {
            println!("the database already holds data; demo data not loaded again");
            return Ok(());
        }
        return Err("the database already holds data; seed an empty database (or use --if-empty)".into());
    }
    let mut tx = pool.begin().await.map_err(fail("the transaction"))?;
    let salt = SaltString::from_b64("c2VhdGtlZXBlcmRlbW8").expect("a valid salt");
    let hash = hash_password_with_salt(DEMO_PASSWORD, &salt);

    catalogue(&mut tx, &hash).await.map_err(fail("the catalogue"))?;
    let mut total = 0u64;
    for company in &COMPANIES {
        total += seed_company(&mut tx, company, &hash, options).await.map_err(fail(company.name))?;
    }
    tx.commit().await.map_err(fail("the commit"))?;
    // Fresh statistics: without them the first bulk action over 100,000 serials plans as if the
    // tables were empty and takes a minute instead of a second.
    sqlx::query("analyze").execute(pool).await.map_err(fail("analyze"))?;
    println!(
        "seeded {} companies, {} serial numbers in {:.1} s; demo password: {DEMO_PASSWORD}",
        COMPANIES.len(),
        total,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn catalogue(tx: &mut Transaction<'_, Postgres>, hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("insert into resellers (id, name) values ($1, 'Northwind Software Partners')")
        .bind(id(RESELLER, 1))
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "insert into reseller_agents (id, reseller_id, email, first_name, last_name, password_hash)
         values ($1, $2, 'agent@northwind.example', 'Rita', 'Reyes', $3)",
    )
    .bind(id(AGENT, 1))
    .bind(id(RESELLER, 1))
    .bind(hash)
    .execute(&mut **tx)
    .await?;
    let mut service_n = 0;
    for (i, (name, release, licence, services)) in PRODUCTS.iter().enumerate() {
        let product = id(PRODUCT, i as u32 + 1);
        sqlx::query("insert into products (id, name, release, licence_type) values ($1, $2, $3, $4)")
            .bind(product)
            .bind(name)
            .bind(release)
            .bind(licence)
            .execute(&mut **tx)
            .await?;
        for service in *services {
            service_n += 1;
            sqlx::query("insert into cloud_services (id, product_id, name) values ($1, $2, $3)")
                .bind(id(SERVICE, service_n))
                .bind(product)
                .bind(service)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

async fn seed_company(
    tx: &mut Transaction<'_, Postgres>,
    company: &Company,
    hash: &str,
    options: &SeedOptions,
) -> Result<u64, sqlx::Error> {
    let company_id = id(COMPANY, company.number);
    sqlx::query("insert into companies (id, name) values ($1, $2)")
        .bind(company_id)
        .bind(company.name)
        .execute(&mut **tx)
        .await?;
    sqlx::query("insert into company_resellers (company_id, reseller_id) values ($1, $2)")
        .bind(company_id)
        .bind(id(RESELLER, 1))
        .execute(&mut **tx)
        .await?;

    let people = people_of(company);
    sqlx::query(
        "insert into people (company_id, id, email, first_name, last_name, status, password_hash,
                             may_manage_users, may_download)
         select $1, p.id, p.email, p.first, p.last, p.status,
                case when p.status = 'active' then $2 end, p.manage, p.download
           from unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bool[], $9::bool[])
                as p(id, email, first, last, status, manage, download)",
    )
    .bind(company_id)
    .bind(hash)
    .bind(people.iter().map(|p| p.id).collect::<Vec<_>>())
    .bind(people.iter().map(|p| p.email.clone()).collect::<Vec<_>>())
    .bind(people.iter().map(|p| p.first.clone()).collect::<Vec<_>>())
    .bind(people.iter().map(|p| p.last.clone()).collect::<Vec<_>>())
    .bind(people.iter().map(|p| p.status.to_string()).collect::<Vec<_>>())
    .bind(people.iter().map(|p| p.may_manage_users).collect::<Vec<_>>())
    .bind(people.iter().map(|p| p.may_download).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;

    let managers = [people[0].id, people[1].id];
    let coordinators: Vec<Uuid> = people[2..2 + company.coordinators as usize].iter().map(|p| p.id).collect();
    let products: Vec<Uuid> = (1..=ROTATION).map(|n| id(PRODUCT, n)).collect();
    let mut total = 0u64;
    for (index, (number, manager, serials)) in company.contracts.iter().enumerate() {
        let contract_id = id(CONTRACT, company.number * 100 + index as u32 + 1);
        sqlx::query(
            "insert into contracts (company_id, id, contract_number, reseller_id, manager_id, starts_on, ends_on)
             values ($1, $2, $3, $4, $5, date '2026-01-01', date '2028-12-31')",
        )
        .bind(company_id)
        .bind(contract_id)
        .bind(number)
        .bind(id(RESELLER, 1))
        .bind(managers[*manager as usize])
        .execute(&mut **tx)
        .await?;
        let count = serials.unwrap_or(options.serials) as i64;
        // Serials are numbered per contract from a base of its own, so they are unique across all.
        let base = (company.number as i64 * 10 + index as i64) * 1_000_000;
        let mut done = 0i64;
        while done < count {
            let upto = (done + BATCH).min(count);
            sqlx::query(
                "insert into serial_numbers (company_id, id, serial, contract_id, product_id, quantity,
                                             group_name, coordinator_id)
                 select $1, md5($2::text || ':' || g)::uuid,
                        lpad((100 + (g * 37) % 900)::text, 3, '0') || '-' || lpad(($3 + g)::text, 8, '0'),
                        $2, ($4::uuid[])[1 + g % cardinality($4::uuid[])], 1 + g % 5,
                        (array['Design studio', 'Site office', 'Training room', 'Visualisation'])[1 + g % 10],
                        case when g % 3 = 0 then ($5::uuid[])[1 + (g / 3) % cardinality($5::uuid[])] end
                   from generate_series($6::bigint, $7::bigint) as g",
            )
            .bind(company_id)
            .bind(contract_id)
            .bind(base)
            .bind(&products)
            .bind(&coordinators)
            .bind(done + 1)
            .bind(upto)
            .execute(&mut **tx)
            .await?;
            done = upto;
            if options.progress && count > BATCH {
                eprint!("\r  {} contract {number}: {done}/{count} serial numbers", company.name);
                let _ = std::io::stderr().flush();
            }
        }
        if options.progress && count > BATCH {
            eprintln!();
        }
        total += count as u64;
    }

    if let Some(serial) = company.small_licence {
        let (last, _, _) = company.contracts.len().checked_sub(1).map(|i| company.contracts[i]).expect("a contract");
        sqlx::query(
            "insert into serial_numbers (company_id, id, serial, contract_id, product_id, quantity, group_name)
             select $1, md5($2)::uuid, $2, c.id, $3, 1, 'Scanning' from contracts c where c.company_id = $1 and c.contract_number = $4",
        )
        .bind(company_id)
        .bind(serial)
        .bind(id(PRODUCT, SMALL_LICENCE))
        .bind(last)
        .execute(&mut **tx)
        .await?;
        total += 1;
    }

    // Cloud storage of the company's first multi-user serial of quantity 4 (12 seats, R19) for the
    // first eight users.
    let users: Vec<Uuid> = people.iter().filter(|p| p.email.starts_with("user")).take(8).map(|p| p.id).collect();
    sqlx::query(
        "insert into service_assignments (company_id, serial_id, service_id, person_id)
         select $1, s.id, cs.id, u
           from (select id, product_id from serial_numbers
                  where company_id = $1 and product_id = $2 and quantity = 4 order by serial limit 1) s
           join cloud_services cs on cs.product_id = s.product_id and cs.name = 'Cloud storage'
           cross join unnest($3::uuid[]) as u",
    )
    .bind(company_id)
    .bind(id(PRODUCT, 3))
    .bind(&users)
    .execute(&mut **tx)
    .await?;

    // Invitations: the first half expired (sent 100 days ago), one expiring within 14 days, the
    // rest fresh (R17). Tokens of demo invitations are unusable: only their hashes exist.
    let invited: Vec<Uuid> = people.iter().filter(|p| p.status == "invited").map(|p| p.id).collect();
    let ages: Vec<i32> = (0..invited.len()).map(|i| if i < invited.len() / 2 { 100 } else if i == invited.len() / 2 { 80 } else { 10 }).collect();
    let ids: Vec<Uuid> = (1..=invited.len() as u32).map(|n| id(INVITATION, company.number * 1000 + n)).collect();
    sqlx::query(
        "insert into invitations (company_id, id, person_id, token_hash, created_at, expires_at)
         select $1, i.id, i.person, md5('demo-invitation:' || i.id::text),
                now() - make_interval(days => i.age), now() - make_interval(days => i.age) + interval '90 days'
           from unnest($2::uuid[], $3::uuid[], $4::int[]) as i(id, person, age)",
    )
    .bind(company_id)
    .bind(&ids)
    .bind(&invited)
    .bind(&ages)
    .execute(&mut **tx)
    .await?;

    sqlx::query(
        "insert into support_cases (company_id, id, contract_id, opened_by, kind, subject, body)
         values ($1, $2, $3, $4, 'general', 'Rendering quota', 'Our cloud rendering quota ran out early this month.')",
    )
    .bind(company_id)
    .bind(id(CASE, company.number))
    .bind(id(CONTRACT, company.number * 100 + 1))
    .bind(people[2 + company.coordinators as usize].id)
    .execute(&mut **tx)
    .await?;

    let loaded = Change { event_id: Some(id(AUDIT, company.number)), ..Change::new(company_id, None, Some(json!({ "serials": total }))) };
    audit::record(tx, company_id, Who::Seatkeeper, Action::DemoDataLoaded, &[loaded], None).await.map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_ids_are_stable_and_distinct_per_kind() {
        assert_eq!(id(COMPANY, 1), id(COMPANY, 1));
        assert_ne!(id(COMPANY, 1), id(CONTRACT, 1));
    }

    #[test]
    fn every_demo_email_is_valid_and_unique() {
        for company in &COMPANIES {
            let people = people_of(company);
            let mut keys: Vec<String> = people.iter().map(|p| shared::Email::parse(&p.email).unwrap().key()).collect();
            keys.sort();
            keys.dedup();
            assert_eq!(keys.len(), people.len());
        }
    }

    #[test]
    fn the_serial_count_option_is_validated() {
        assert_eq!(SeedOptions::parse(&["--serials".into(), "100_000".into()]).unwrap().serials, 100_000);
        assert!(SeedOptions::parse(&["--serials".into(), "none".into()]).is_err());
        assert!(SeedOptions::parse(&["--serials".into(), "0".into()]).is_err());
        assert!(SeedOptions::parse(&["--bogus".into()]).is_err());
    }
}
