-- `ticket_text` written once per ticket when ingestion writes a page, not once per row.
--
-- The triggers rewrote a ticket's whole full-text row (an FTS5 delete and insert of its
-- summary, description and every comment) for each row they saw: a page of 100 tickets, each
-- upserted and its comments deleted and inserted again, rewrote each ticket's row five or six
-- times. While ingestion's page write holds a row in `ticket_text_paused` (inserted and deleted
-- inside its own transaction, so no other connection ever sees it: SQLite has one writer at a
-- time) the triggers stand aside and the page writes its tickets' rows itself, once each,
-- after its last write. Every other writer keeps the triggers.

CREATE TABLE ticket_text_paused (
    one INTEGER PRIMARY KEY CHECK (one = 1)
);

DROP TRIGGER ticket_text_insert;
DROP TRIGGER ticket_text_update;
DROP TRIGGER ticket_text_comment_insert;
DROP TRIGGER ticket_text_comment_update;
DROP TRIGGER ticket_text_comment_delete;

CREATE TRIGGER ticket_text_insert AFTER INSERT ON tickets
WHEN NOT EXISTS (SELECT 1 FROM ticket_text_paused) BEGIN
    INSERT INTO ticket_text (rowid, summary, description, comments)
    VALUES (new.rowid, new.summary, coalesce(new.description, ''),
            coalesce((SELECT group_concat(body, ' ') FROM ticket_comments
                      WHERE site_id = new.site_id AND issue_id = new.id), ''));
END;

CREATE TRIGGER ticket_text_update AFTER UPDATE OF summary, description ON tickets
WHEN NOT EXISTS (SELECT 1 FROM ticket_text_paused) BEGIN
    UPDATE ticket_text SET summary = new.summary, description = coalesce(new.description, '')
    WHERE rowid = new.rowid;
END;

CREATE TRIGGER ticket_text_comment_insert AFTER INSERT ON ticket_comments
WHEN NOT EXISTS (SELECT 1 FROM ticket_text_paused) BEGIN
    UPDATE ticket_text SET comments = coalesce((SELECT group_concat(body, ' ') FROM ticket_comments
                                                WHERE site_id = new.site_id AND issue_id = new.issue_id), '')
    WHERE rowid = (SELECT rowid FROM tickets WHERE site_id = new.site_id AND id = new.issue_id);
END;

CREATE TRIGGER ticket_text_comment_update AFTER UPDATE OF body ON ticket_comments
WHEN NOT EXISTS (SELECT 1 FROM ticket_text_paused) BEGIN
    UPDATE ticket_text SET comments = coalesce((SELECT group_concat(body, ' ') FROM ticket_comments
                                                WHERE site_id = new.site_id AND issue_id = new.issue_id), '')
    WHERE rowid = (SELECT rowid FROM tickets WHERE site_id = new.site_id AND id = new.issue_id);
END;

CREATE TRIGGER ticket_text_comment_delete AFTER DELETE ON ticket_comments
WHEN NOT EXISTS (SELECT 1 FROM ticket_text_paused) BEGIN
    UPDATE ticket_text SET comments = coalesce((SELECT group_concat(body, ' ') FROM ticket_comments
                                                WHERE site_id = old.site_id AND issue_id = old.issue_id), '')
    WHERE rowid = (SELECT rowid FROM tickets WHERE site_id = old.site_id AND id = old.issue_id);
END;
