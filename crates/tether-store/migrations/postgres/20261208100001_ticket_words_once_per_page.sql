-- `ticket_words` refreshed once per ticket when ingestion writes a page, not once per row.
--
-- The row triggers recompute a ticket's whole vector (summary, description and every comment)
-- for each row they see: a page of 100 tickets with their comments deleted and inserted again
-- recomputed each ticket's vector seven or eight times, over a growing text, and took a
-- PostgreSQL ingestion of 10,000 issues from 4 s to 19 s. A transaction that sets
-- `tether.ticket_words_by_page` to `on` (ingestion's page write, with `set_config(…, true)`, so
-- for that transaction only) refreshes its tickets' vectors itself, once each, after its last
-- write; every other writer keeps the triggers.

CREATE OR REPLACE FUNCTION ticket_words_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('tether.ticket_words_by_page', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM ticket_words_refresh(NEW.site_id, NEW.id);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION ticket_words_comment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('tether.ticket_words_by_page', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM ticket_words_refresh(OLD.site_id, OLD.issue_id);
    ELSE
        PERFORM ticket_words_refresh(NEW.site_id, NEW.issue_id);
    END IF;
    RETURN NULL;
END
$$;
