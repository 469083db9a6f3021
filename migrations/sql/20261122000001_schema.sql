-- The whole domain of Seatkeeper (DOMAIN.md, "Entities").
--
-- Tenancy: every table a company owns carries company_id, its primary key leads with it, and every
-- foreign key between company-owned tables includes it. A row can therefore only ever point at rows of
-- its own company (R25 by construction), and company_id is ready to be the distribution column should
-- the data outgrow one machine (Citus). Catalogue tables (resellers, products, cloud services) are
-- shared by all companies (Citus reference tables).

create table resellers (
    id          uuid primary key,
    name        text not null,
    created_at  timestamptz not null default now(),
    constraint resellers_name_not_blank check (btrim(name) <> '')
);

create table reseller_agents (
    id             uuid primary key,
    reseller_id    uuid not null,
    email          text not null,
    first_name     text not null,
    last_name      text not null,
    password_hash  text,
    created_at     timestamptz not null default now(),
    constraint reseller_agents_reseller_fk foreign key (reseller_id) references resellers (id),
    constraint reseller_agents_email_shape check (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$')
);
create unique index reseller_agents_email_key on reseller_agents (lower(email));

create table companies (
    id          uuid primary key,
    name        text not null,
    created_at  timestamptz not null default now(),
    constraint companies_name_not_blank check (btrim(name) <> '')
);

-- Which resellers serve which company (a contract also names its reseller).
create table company_resellers (
    company_id   uuid not null,
    reseller_id  uuid not null,
    constraint company_resellers_pkey primary key (company_id, reseller_id),
    constraint company_resellers_company_fk foreign key (company_id) references companies (id),
    constraint company_resellers_reseller_fk foreign key (reseller_id) references resellers (id)
);

create table people (
    company_id         uuid not null,
    id                 uuid not null,
    email              text not null,
    first_name         text not null,
    last_name          text not null,
    status             text not null default 'invited',
    password_hash      text,
    -- R4: the CM may give an SC the right to name users.
    may_manage_users   boolean not null default false,
    -- R5, R22: download privileges are granted separately from any seat.
    may_download       boolean not null default false,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now(),
    constraint people_pkey primary key (company_id, id),
    constraint people_company_fk foreign key (company_id) references companies (id),
    constraint people_status_known check (status in ('invited', 'active', 'removed')),
    constraint people_email_shape check (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' and length(email) <= 254),
    constraint people_first_name_length check (length(btrim(first_name)) between 1 and 100),
    constraint people_last_name_length check (length(btrim(last_name)) between 1 and 100)
);
-- Email is unique per company, compared case-insensitively (DOMAIN.md, Person).
create unique index people_company_email_key on people (company_id, lower(email));
create index people_company_name_idx on people (company_id, last_name, first_name);
create index people_email_idx on people (lower(email));

create table contracts (
    company_id       uuid not null,
    id               uuid not null,
    contract_number  text not null,
    reseller_id      uuid not null,
    -- R1: exactly one Contract Manager at every moment: one non-null column, so neither none nor two.
    manager_id       uuid not null,
    starts_on        date not null,
    ends_on          date not null,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    constraint contracts_pkey primary key (company_id, id),
    constraint contracts_company_fk foreign key (company_id) references companies (id),
    constraint contracts_reseller_fk foreign key (reseller_id) references resellers (id),
    constraint contracts_manager_fk foreign key (company_id, manager_id) references people (company_id, id),
    constraint contracts_term_order check (ends_on >= starts_on),
    constraint contracts_number_not_blank check (btrim(contract_number) <> '')
);
create unique index contracts_number_key on contracts (contract_number);
create index contracts_manager_idx on contracts (company_id, manager_id);
create index contracts_reseller_idx on contracts (reseller_id);

create table products (
    id            uuid primary key,
    name          text not null,
    release       text not null,
    licence_type  text not null,
    constraint products_licence_type_known check (licence_type in ('single-user', 'multi-user', 'network')),
    constraint products_name_release_key unique (name, release)
);

create table serial_numbers (
    company_id      uuid not null,
    id              uuid not null,
    serial          text not null,
    contract_id     uuid not null,
    product_id      uuid not null,
    quantity        integer not null,
    group_name      text,
    -- R3: null means "the contract's CM". The default is derived, never copied, so a CM change
    -- moves every unassigned serial without rewriting a row.
    coordinator_id  uuid,
    -- Optimistic concurrency: bumped by every change, compared by bulk actions (R23, stale selection).
    version         bigint not null default 1,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    constraint serial_numbers_pkey primary key (company_id, id),
    constraint serial_numbers_contract_fk foreign key (company_id, contract_id) references contracts (company_id, id),
    constraint serial_numbers_product_fk foreign key (product_id) references products (id),
    constraint serial_numbers_coordinator_fk foreign key (company_id, coordinator_id) references people (company_id, id),
    constraint serial_numbers_serial_shape check (serial ~ '^[0-9]{3}-[0-9]{8}$'),
    constraint serial_numbers_quantity_positive check (quantity > 0),
    constraint serial_numbers_group_name_length check (group_name is null or length(group_name) between 1 and 80)
);
create unique index serial_numbers_serial_key on serial_numbers (serial);
-- The Products list filters one contract by serial, product, group or coordinator and sorts by any of
-- them; each index leads with (company_id, contract_id) so a page of a 100,000-serial contract is an
-- index range scan.
create index serial_numbers_contract_serial_idx on serial_numbers (company_id, contract_id, serial);
create index serial_numbers_contract_product_idx on serial_numbers (company_id, contract_id, product_id, serial);
create index serial_numbers_contract_group_idx on serial_numbers (company_id, contract_id, group_name, serial);
create index serial_numbers_contract_coordinator_idx on serial_numbers (company_id, contract_id, coordinator_id, serial);
-- Remove From All (R13) finds a coordinator's serials on every contract of the company.
create index serial_numbers_coordinator_idx on serial_numbers (company_id, coordinator_id) where coordinator_id is not null;

create table shipping_locations (
    company_id     uuid not null,
    contract_id    uuid not null,
    person_id      uuid not null,
    recipient      text not null,
    address_line1  text not null,
    address_line2  text,
    city           text not null,
    region         text,
    postal_code    text not null,
    country        text not null,
    phone          text,
    updated_at     timestamptz not null default now(),
    constraint shipping_locations_pkey primary key (company_id, contract_id, person_id),
    constraint shipping_locations_contract_fk foreign key (company_id, contract_id) references contracts (company_id, id),
    constraint shipping_locations_person_fk foreign key (company_id, person_id) references people (company_id, id),
    constraint shipping_locations_country_shape check (country ~ '^[A-Z]{2}$')
);

create table cloud_services (
    id          uuid primary key,
    product_id  uuid not null,
    name        text not null,
    constraint cloud_services_product_fk foreign key (product_id) references products (id),
    constraint cloud_services_product_name_key unique (product_id, name)
);

-- R18, R19: a person may use a cloud service under a multi-user serial.
create table service_assignments (
    company_id  uuid not null,
    serial_id   uuid not null,
    service_id  uuid not null,
    person_id   uuid not null,
    created_at  timestamptz not null default now(),
    constraint service_assignments_pkey primary key (company_id, serial_id, service_id, person_id),
    constraint service_assignments_serial_fk foreign key (company_id, serial_id) references serial_numbers (company_id, id),
    constraint service_assignments_service_fk foreign key (service_id) references cloud_services (id),
    constraint service_assignments_person_fk foreign key (company_id, person_id) references people (company_id, id)
);
create index service_assignments_person_idx on service_assignments (company_id, person_id);

-- R17: single-use links, stored hashed, valid 90 days.
create table invitations (
    company_id   uuid not null,
    id           uuid not null,
    person_id    uuid not null,
    token_hash   text not null,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz not null,
    accepted_at  timestamptz,
    revoked_at   timestamptz,
    constraint invitations_pkey primary key (company_id, id),
    constraint invitations_person_fk foreign key (company_id, person_id) references people (company_id, id),
    constraint invitations_expiry_after_creation check (expires_at > created_at)
);
create unique index invitations_token_hash_key on invitations (token_hash);
create index invitations_person_idx on invitations (company_id, person_id);
create index invitations_expiry_idx on invitations (company_id, expires_at) where accepted_at is null and revoked_at is null;

-- R6, R7
create table support_cases (
    company_id            uuid not null,
    id                    uuid not null,
    contract_id           uuid,
    opened_by             uuid not null,
    kind                  text not null,
    subject               text not null,
    body                  text not null,
    proposed_manager_id   uuid,
    status                text not null default 'open',
    resolved_by_agent_id  uuid,
    created_at            timestamptz not null default now(),
    resolved_at           timestamptz,
    constraint support_cases_pkey primary key (company_id, id),
    constraint support_cases_contract_fk foreign key (company_id, contract_id) references contracts (company_id, id),
    constraint support_cases_opened_by_fk foreign key (company_id, opened_by) references people (company_id, id),
    constraint support_cases_proposed_manager_fk foreign key (company_id, proposed_manager_id) references people (company_id, id),
    constraint support_cases_resolved_by_fk foreign key (resolved_by_agent_id) references reseller_agents (id),
    constraint support_cases_kind_known check (kind in ('general', 'change_contract_manager')),
    constraint support_cases_status_known check (status in ('open', 'approved', 'declined', 'closed')),
    constraint support_cases_cm_change_names_person check (
        kind <> 'change_contract_manager' or (proposed_manager_id is not null and contract_id is not null)
    ),
    constraint support_cases_subject_length check (length(btrim(subject)) between 1 and 200)
);
create index support_cases_company_idx on support_cases (company_id, created_at desc);

-- R24: who did what to which records, when, with the values before and after.
create table audit_events (
    company_id       uuid not null,
    id               uuid not null,
    occurred_at      timestamptz not null default now(),
    actor_person_id  uuid,
    actor_agent_id   uuid,
    action           text not null,
    entity           text not null,
    entity_id        uuid,
    before           jsonb,
    after            jsonb,
    constraint audit_events_pkey primary key (company_id, id),
    constraint audit_events_company_fk foreign key (company_id) references companies (id),
    constraint audit_events_actor_agent_fk foreign key (actor_agent_id) references reseller_agents (id)
);
create index audit_events_entity_idx on audit_events (company_id, entity, entity_id, occurred_at);
create index audit_events_time_idx on audit_events (company_id, occurred_at desc);

-- Every message the product sends is stored here, in the transaction of the change that caused it,
-- before a worker delivers it.
create table outgoing_emails (
    company_id    uuid not null,
    id            uuid not null,
    to_address    text not null,
    subject       text not null,
    body_text     text not null,
    status        text not null default 'queued',
    attempts      integer not null default 0,
    last_error    text,
    created_at    timestamptz not null default now(),
    next_attempt_at timestamptz not null default now(),
    sent_at       timestamptz,
    constraint outgoing_emails_pkey primary key (company_id, id),
    constraint outgoing_emails_company_fk foreign key (company_id) references companies (id),
    constraint outgoing_emails_status_known check (status in ('queued', 'sent', 'failed'))
);
create index outgoing_emails_queue_idx on outgoing_emails (next_attempt_at) where status = 'queued';

-- Signed-in sessions: the cookie carries a random token, the table only its SHA-256.
create table sessions (
    token_hash         text primary key,
    company_id         uuid,
    person_id          uuid,
    agent_id           uuid,
    created_at         timestamptz not null default now(),
    last_seen_at       timestamptz not null default now(),
    constraint sessions_person_fk foreign key (company_id, person_id) references people (company_id, id) on delete cascade,
    constraint sessions_agent_fk foreign key (agent_id) references reseller_agents (id) on delete cascade,
    constraint sessions_one_principal check ((person_id is null) <> (agent_id is null)),
    constraint sessions_person_has_company check (person_id is null or company_id is not null)
);
create index sessions_person_idx on sessions (company_id, person_id);
