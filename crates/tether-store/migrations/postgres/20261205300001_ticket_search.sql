-- JQL over the ingested tickets: what typical filters (status, assignee, newest first) and
-- history searches (a field's changes, who made them) look up.
CREATE INDEX tickets_by_status ON tickets (site_id, status_id);
CREATE INDEX tickets_by_assignee ON tickets (site_id, assignee_id, created_at);
CREATE INDEX tickets_by_created ON tickets (site_id, created_at);
CREATE INDEX tickets_by_project_created ON tickets (site_id, project_id, created_at);
CREATE INDEX ticket_changes_by_field ON ticket_changes (lower(field), to_value);
CREATE INDEX ticket_changes_by_author ON ticket_changes (site_id, author_id);
