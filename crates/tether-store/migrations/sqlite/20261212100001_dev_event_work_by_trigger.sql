-- A dev event's two work rows (tether-store `outbox/kinds.rs`: `DevEventWork`, kind
-- 'dev.event', and `DevInfoWork`, kind 'dev.devinfo', payload {"event_id":N}) are made by
-- the database as the event is inserted, not by a statement of their own after it. The
-- webhook intake then stores a crowd of deliveries with one statement, committed by itself:
-- one trip to SQLite's thread per commit instead of four (BEGIN, two inserts, COMMIT), and
-- no statement journal, which SQLite keeps for a statement that may fail halfway through a
-- transaction of several (see the README's intake figures). An event stored before (a
-- delivery seen again: `ON CONFLICT DO NOTHING`) is not inserted and gets no new rows.
CREATE TRIGGER dev_events_work AFTER INSERT ON dev_events
BEGIN
    INSERT INTO outbox (kind, payload, attempts, next_attempt_at, created_at)
    VALUES ('dev.event', json_object('event_id', NEW.id), 0, NEW.received_at, NEW.received_at),
           ('dev.devinfo', json_object('event_id', NEW.id), 0, NEW.received_at, NEW.received_at);
END;
