-- Members (people), API access tokens and custom roles (SQLite).

CREATE TABLE members (
    name       TEXT    PRIMARY KEY,
    roles      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('personal', 'service')),
    member       TEXT    NOT NULL REFERENCES members (name),
    created_by   INTEGER REFERENCES api_tokens (id),
    roles        TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    hint         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    last_used_at INTEGER
);

CREATE TABLE roles (
    key        TEXT    PRIMARY KEY,
    statements TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);
