-- Ingestion's page writes on PostgreSQL, made cheaper (`cargo xtask bench ingest`).
--
-- A foreign key's check is a query PostgreSQL plans once per connection and keeps: planned
-- while the tables were still empty, `ticket_words`' check of its ticket was kept as a scan
-- of an index on `site_id` alone, filtered by id (auto_explain), so each of a page's checks
-- read every ticket of the site, and a page took longer the more tickets there were.
--
-- 1. The tables a page fills row by row no longer check each row's `site_id` against
--    `ticket_connections`. Each such check is a trigger running a `SELECT … FOR KEY SHARE` on
--    the one connection row, about 1,300 per page of 100 issues: 100,000 history rows took
--    1.11 s to insert with the check and 0.79 s without. Rows still never outlive their connection: turning
--    the integration off deletes every table's rows first (`delete_ticket_connection`), a page
--    is written only while its project's claim (a row of `ticket_projects`, which keeps its
--    check) is held in the same transaction, and the trigger below deletes the rows when the
--    connection goes any other way (its Jira site deleted). SQLite keeps its checks: there a
--    check is one lookup in the connection's primary key.
ALTER TABLE tickets DROP CONSTRAINT tickets_site_id_fkey;
ALTER TABLE ticket_changes DROP CONSTRAINT ticket_changes_site_id_fkey;
ALTER TABLE ticket_comments DROP CONSTRAINT ticket_comments_site_id_fkey;
ALTER TABLE ticket_worklogs DROP CONSTRAINT ticket_worklogs_site_id_fkey;
ALTER TABLE ticket_remote_links DROP CONSTRAINT ticket_remote_links_site_id_fkey;
ALTER TABLE ticket_sprint_issues DROP CONSTRAINT ticket_sprint_issues_site_id_fkey;

CREATE FUNCTION ticket_connection_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ticket_changes WHERE site_id = OLD.site_id;
    DELETE FROM ticket_comments WHERE site_id = OLD.site_id;
    DELETE FROM ticket_worklogs WHERE site_id = OLD.site_id;
    DELETE FROM ticket_remote_links WHERE site_id = OLD.site_id;
    DELETE FROM ticket_sprint_issues WHERE site_id = OLD.site_id;
    -- `ticket_words` follows its tickets (the trigger below).
    DELETE FROM tickets WHERE site_id = OLD.site_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER ticket_connection_deleted AFTER DELETE ON ticket_connections
    FOR EACH ROW EXECUTE FUNCTION ticket_connection_deleted();

-- 2. `ticket_words` without its foreign key to `tickets`: the page write adds a ticket's row
--    after the ticket, in the same transaction; a deleted ticket's row goes with it here.
ALTER TABLE ticket_words DROP CONSTRAINT ticket_words_site_id_issue_id_fkey;

CREATE FUNCTION tickets_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ticket_words w USING gone g WHERE w.site_id = g.site_id AND w.issue_id = g.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER tickets_deleted AFTER DELETE ON tickets
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION tickets_deleted();

-- 3. The raw JSON of tickets and comments compressed with LZ4 where this PostgreSQL has it
--    (14 and later, built with it, as Debian's and the official images are): pglz took a
--    twentieth of PostgreSQL's time in a page write. Values already stored stay as they are
--    until rewritten.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE tickets ALTER COLUMN fields SET COMPRESSION lz4,
                            ALTER COLUMN custom SET COMPRESSION lz4,
                            ALTER COLUMN description SET COMPRESSION lz4,
                            ALTER COLUMN description_raw SET COMPRESSION lz4;
        ALTER TABLE ticket_comments ALTER COLUMN body SET COMPRESSION lz4,
                                    ALTER COLUMN body_raw SET COMPRESSION lz4;
    END IF;
END
$$;

-- 4. A ticket's words computed once per refresh, not twice: PostgreSQL flattened the subquery,
--    so its filter (`w IS NOT NULL`) and its output each called `ticket_words_of`. `OFFSET 0`
--    keeps it whole.
CREATE OR REPLACE FUNCTION ticket_words_refresh(site BIGINT, issue TEXT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO ticket_words (site_id, issue_id, words)
    SELECT site, issue, w FROM (SELECT ticket_words_of(site, issue) AS w OFFSET 0) x WHERE w IS NOT NULL
    ON CONFLICT (site_id, issue_id) DO UPDATE SET words = excluded.words
$$;
