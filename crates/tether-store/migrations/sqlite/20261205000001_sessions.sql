-- Web UI sessions (sqlite): the browser holds a random id, the database its SHA-256.
-- A session belongs to the API token it was signed in with and ends when that
-- token is revoked, at sign-out, after idling, or at its absolute expiry.

CREATE TABLE ui_sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    id_hash      TEXT    NOT NULL UNIQUE,
    token_id     INTEGER  NOT NULL REFERENCES api_tokens (id),
    created_at   INTEGER  NOT NULL,
    last_seen_at INTEGER  NOT NULL,
    expires_at   INTEGER  NOT NULL,
    revoked_at   INTEGER
);

CREATE INDEX ui_sessions_token ON ui_sessions (token_id);
