-- Indexes for statements that read whole tables where a lookup was meant (found with
-- EXPLAIN QUERY PLAN over every statement of the store).

-- The worker's claim takes pending rows in id order (`ORDER BY id LIMIT n`). With only
-- `outbox_pending` (next_attempt_at, id) the planner walked the table in id order, through
-- every done row kept for a week, before it reached a pending one: on SQLite, holding the one
-- writer meanwhile (12.8 ms at 300,000 done rows).
CREATE INDEX outbox_pending_by_id ON outbox (id) WHERE done_at IS NULL;
-- The hourly purge of done rows older than a week.
CREATE INDEX outbox_done ON outbox (done_at) WHERE done_at IS NOT NULL;

-- JQL's `flag`, `flagState[…]` and `flagEnabled` match a ticket's links by its key in upper
-- case (`upper(fl.issue_key) = upper(t.key)`), which `flag_issue_links_by_issue` (on the key
-- as written) cannot serve: each ticket read every link (`flag = …` over 10,000 tickets took
-- 47 s on SQLite).
CREATE INDEX flag_issue_links_by_upper_key ON flag_issue_links (upper(issue_key));

-- An environment's configurations (copied when an environment is made, read and deleted with
-- it): `environment_id` is the second column of the primary key, which a lookup by it alone
-- cannot use.
CREATE INDEX flag_configs_by_environment ON flag_configs (environment_id);

-- A site's Jira webhook events, read once per ingestion pass.
CREATE INDEX ticket_hook_events_by_site ON ticket_hook_events (site_id, id);
