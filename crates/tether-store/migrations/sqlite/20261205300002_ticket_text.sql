-- JQL's `~` over the ingested tickets: the words of each ticket's summary, description and
-- comments, in an FTS5 index with English stems (as Jira's text search), row for row with
-- `tickets` (same rowid), kept by triggers whatever writes the tickets and their comments.
CREATE VIRTUAL TABLE ticket_text USING fts5(summary, description, comments, tokenize = 'porter unicode61');

CREATE TRIGGER ticket_text_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_text (rowid, summary, description, comments)
    VALUES (new.rowid, new.summary, coalesce(new.description, ''),
            coalesce((SELECT group_concat(body, ' ') FROM ticket_comments
                      WHERE site_id = new.site_id AND issue_id = new.id), ''));
END;

CREATE TRIGGER ticket_text_update AFTER UPDATE OF summary, description ON tickets BEGIN
    UPDATE ticket_text SET summary = new.summary, description = coalesce(new.description, '')
    WHERE rowid = new.rowid;
END;

CREATE TRIGGER ticket_text_delete AFTER DELETE ON tickets BEGIN
    DELETE FROM ticket_text WHERE rowid = old.rowid;
END;

CREATE TRIGGER ticket_text_comment_insert AFTER INSERT ON ticket_comments BEGIN
    UPDATE ticket_text SET comments = coalesce((SELECT group_concat(body, ' ') FROM ticket_comments
                                                WHERE site_id = new.site_id AND issue_id = new.issue_id), '')
    WHERE rowid = (SELECT rowid FROM tickets WHERE site_id = new.site_id AND id = new.issue_id);
END;

CREATE TRIGGER ticket_text_comment_update AFTER UPDATE OF body ON ticket_comments BEGIN
    UPDATE ticket_text SET comments = coalesce((SELECT group_concat(body, ' ') FROM ticket_comments
                                                WHERE site_id = new.site_id AND issue_id = new.issue_id), '')
    WHERE rowid = (SELECT rowid FROM tickets WHERE site_id = new.site_id AND id = new.issue_id);
END;

CREATE TRIGGER ticket_text_comment_delete AFTER DELETE ON ticket_comments BEGIN
    UPDATE ticket_text SET comments = coalesce((SELECT group_concat(body, ' ') FROM ticket_comments
                                                WHERE site_id = old.site_id AND issue_id = old.issue_id), '')
    WHERE rowid = (SELECT rowid FROM tickets WHERE site_id = old.site_id AND id = old.issue_id);
END;

INSERT INTO ticket_text (rowid, summary, description, comments)
SELECT t.rowid, t.summary, coalesce(t.description, ''),
       coalesce((SELECT group_concat(c.body, ' ') FROM ticket_comments c
                 WHERE c.site_id = t.site_id AND c.issue_id = t.id), '')
FROM tickets t;
