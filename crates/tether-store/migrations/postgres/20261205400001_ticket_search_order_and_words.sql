-- JQL over the ingested tickets on PostgreSQL, part 2.
--
-- Newest first is `ORDER BY created_at DESC NULLS LAST`, which an ascending index cannot
-- give on PostgreSQL (its descending order puts NULLs first): these indexes give it, so a
-- page of a project's (or a person's) newest tickets is read from the index and stops after
-- the page, instead of sorting every match.
CREATE INDEX tickets_by_created_desc ON tickets (site_id, created_at DESC NULLS LAST);
CREATE INDEX tickets_by_project_created_desc ON tickets (site_id, project_id, created_at DESC NULLS LAST);
CREATE INDEX tickets_by_assignee_created_desc ON tickets (site_id, assignee_id, created_at DESC NULLS LAST);

-- `text ~`: each ticket's words (summary, description and every comment) in one stored
-- `tsvector`, as SQLite's `ticket_text`, kept by triggers. A word most tickets have is then
-- checked on the newest tickets one by one (a stored vector, nothing recomputed) and a rare
-- one found through the GIN index: the planner chooses by the column's statistics.
CREATE TABLE ticket_words (
    site_id   BIGINT   NOT NULL,
    issue_id  TEXT     NOT NULL,
    words     tsvector NOT NULL,
    PRIMARY KEY (site_id, issue_id),
    FOREIGN KEY (site_id, issue_id) REFERENCES tickets (site_id, id) ON DELETE CASCADE
);
CREATE INDEX ticket_words_words ON ticket_words USING GIN (words);

CREATE FUNCTION ticket_words_of(site BIGINT, issue TEXT) RETURNS tsvector
LANGUAGE sql STABLE AS $$
    SELECT to_tsvector('english',
        t.summary || ' ' || coalesce(t.description, '') || ' ' ||
        coalesce((SELECT string_agg(c.body, ' ') FROM ticket_comments c
                  WHERE c.site_id = site AND c.issue_id = issue), ''))
    FROM tickets t WHERE t.site_id = site AND t.id = issue
$$;

CREATE FUNCTION ticket_words_refresh(site BIGINT, issue TEXT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO ticket_words (site_id, issue_id, words)
    SELECT site, issue, w FROM (SELECT ticket_words_of(site, issue) AS w) x WHERE w IS NOT NULL
    ON CONFLICT (site_id, issue_id) DO UPDATE SET words = excluded.words
$$;

CREATE FUNCTION ticket_words_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ticket_words_refresh(NEW.site_id, NEW.id);
    RETURN NULL;
END
$$;

CREATE FUNCTION ticket_words_comment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM ticket_words_refresh(OLD.site_id, OLD.issue_id);
    ELSE
        PERFORM ticket_words_refresh(NEW.site_id, NEW.issue_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER ticket_words_insert AFTER INSERT ON tickets
    FOR EACH ROW EXECUTE FUNCTION ticket_words_ticket();
CREATE TRIGGER ticket_words_update AFTER UPDATE OF summary, description ON tickets
    FOR EACH ROW EXECUTE FUNCTION ticket_words_ticket();
CREATE TRIGGER ticket_words_comment AFTER INSERT OR UPDATE OF body OR DELETE ON ticket_comments
    FOR EACH ROW EXECUTE FUNCTION ticket_words_comment();

INSERT INTO ticket_words (site_id, issue_id, words)
SELECT t.site_id, t.id, ticket_words_of(t.site_id, t.id) FROM tickets t;
