-- Fewer indexes for an ingestion to write on PostgreSQL (issue 14: ingestion within 1.5× of a
-- bare fetch loop). Every ticket wrote 14 index entries and every history row 4; history rows
-- are ten a ticket, and inserting into indexes was a third of PostgreSQL's time in a page.

-- Newest first (`ORDER BY created_at DESC NULLS LAST`, the default order of a search) is a
-- backward scan of an ascending index whose NULLs come first. So one index per column list
-- gives both that order and `created` ranges, where two (one ascending, one
-- `DESC NULLS LAST`) did. `ORDER BY created ASC`, which puts NULLs last, now sorts its matches.
DROP INDEX tickets_by_created_desc;
DROP INDEX tickets_by_project_created_desc;
DROP INDEX tickets_by_assignee_created_desc;
DROP INDEX tickets_by_created;
DROP INDEX tickets_by_project_created;
DROP INDEX tickets_by_assignee;
CREATE INDEX tickets_by_created ON tickets (site_id, created_at NULLS FIRST);
CREATE INDEX tickets_by_project_created ON tickets (site_id, project_id, created_at NULLS FIRST);
CREATE INDEX tickets_by_assignee ON tickets (site_id, assignee_id, created_at NULLS FIRST);

-- A history item belongs to one issue (its id stays when the issue moves), so the key may
-- lead with the issue: it then finds an issue's history, and `ticket_changes_by_issue`
-- (site, issue, at) goes. Rows are inserted with a bare `ON CONFLICT DO NOTHING`, which
-- matches this key as it did the old one.
ALTER TABLE ticket_changes DROP CONSTRAINT ticket_changes_pkey;
ALTER TABLE ticket_changes ADD PRIMARY KEY (site_id, issue_id, history_id, item);
DROP INDEX ticket_changes_by_issue;
