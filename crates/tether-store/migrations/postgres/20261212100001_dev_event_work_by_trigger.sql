-- A dev event's two work rows (tether-store `outbox/kinds.rs`: `DevEventWork`, kind
-- 'dev.event', and `DevInfoWork`, kind 'dev.devinfo', payload {"event_id":N}) are made by
-- the database as the events are inserted, not by a statement of their own after them, as on
-- SQLite (where it saves the intake three round trips and a statement journal per commit; see
-- the README's intake figures). Once per statement, from the rows it inserted, in their id
-- order, each event's 'dev.event' row before its 'dev.devinfo' row. An event stored before (a
-- delivery seen again: `ON CONFLICT DO NOTHING`) is not inserted and gets no new rows.
CREATE FUNCTION dev_events_work() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox (kind, payload, attempts, next_attempt_at, created_at)
    SELECT w.kind, format('{"event_id":%s}', e.id), 0, e.received_at, e.received_at
    FROM inserted e
    CROSS JOIN (VALUES (1, 'dev.event'), (2, 'dev.devinfo')) AS w (n, kind)
    ORDER BY e.id, w.n;
    RETURN NULL;
END $$;
CREATE TRIGGER dev_events_work AFTER INSERT ON dev_events
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION dev_events_work();
