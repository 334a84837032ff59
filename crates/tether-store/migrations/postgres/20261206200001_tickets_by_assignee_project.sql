-- JQL's typical filter on PostgreSQL: a project's tickets of one person in a status category,
-- newest first (`project = X AND assignee = … AND statusCategory = … ORDER BY created DESC`).
-- With only (site_id, assignee_id, created_at DESC NULLS LAST) the person's newest tickets of
-- every project are read and all but one project's thrown away; with the project in the key
-- the index gives that person's tickets in that project already newest first, and the scan
-- stops after the page. SQLite answers this query from its existing indexes within the target
-- (and, without statistics, a new index there could change the plans of other queries).
CREATE INDEX tickets_by_assignee_project_created_desc
    ON tickets (site_id, assignee_id, project_id, created_at DESC NULLS LAST);
