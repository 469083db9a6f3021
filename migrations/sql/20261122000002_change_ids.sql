-- A bulk action is one change of many rows: its audit events share a change_id, so the change can be
-- shown as one and undone exactly (issue 3, Undo).
alter table audit_events add column change_id uuid;
create index audit_events_change_idx on audit_events (company_id, change_id) where change_id is not null;
