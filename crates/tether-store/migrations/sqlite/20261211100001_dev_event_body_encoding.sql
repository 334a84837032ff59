-- How a dev event's body is stored: 'identity' (as received; every row before this
-- migration) or 'zstd' (a zstd frame of it, see tether-store `dev/body.rs`).
ALTER TABLE dev_events ADD COLUMN body_encoding TEXT NOT NULL DEFAULT 'identity';
