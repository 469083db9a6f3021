-- Issue 9 (trust): what the first wave left open.

-- An invitation's link is a secret: the email's text keeps a placeholder, the token waits in
-- `secret` only until the email is delivered, and is erased then (the development mailbox and the
-- SMTP worker put it in place when they read the email).
alter table outgoing_emails add column secret text;
-- Links already delivered in clear are scrubbed from the text.
update outgoing_emails
   set body_text = regexp_replace(body_text, '/invitations/[0-9A-Fa-f]+', '/invitations/(link removed once the email was sent)', 'g')
 where status = 'sent' and body_text ~ '/invitations/[0-9A-Fa-f]+';

-- R7: one open request to change the Contract Manager per contract. Older duplicates are closed.
update support_cases sc set status = 'closed', resolved_at = now()
 where sc.kind = 'change_contract_manager' and sc.status = 'open'
   and exists (select 1 from support_cases n
                where n.company_id = sc.company_id and n.contract_id = sc.contract_id
                  and n.kind = 'change_contract_manager' and n.status = 'open'
                  and (n.created_at, n.id) > (sc.created_at, sc.id));
create unique index support_cases_one_open_manager_change
    on support_cases (company_id, contract_id)
 where kind = 'change_contract_manager' and status = 'open';

-- Failed sign-ins, counted in the database so every server instance sees the same counts and a
-- check-and-count is one atomic statement. `subject` is either 'email:<sha256 of the lower-cased
-- email>' or 'ip:<client address>': bounded in size whatever was submitted.
create table sign_in_failures (
    id          uuid not null primary key,
    subject     text not null,
    failed_at   timestamptz not null default now(),
    constraint sign_in_failures_subject_length check (length(subject) <= 100)
);
create index sign_in_failures_subject_idx on sign_in_failures (subject, failed_at);
