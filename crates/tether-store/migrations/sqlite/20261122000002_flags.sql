-- Flags, their per-environment configuration, segments and SDK keys (SQLite).
-- Flag and segment bodies are JSON documents in the store's persisted format v1.

-- Bumped by every change that alters what an environment evaluates; OFREP ETags.
ALTER TABLE environments ADD COLUMN config_version INTEGER NOT NULL DEFAULT 1;

CREATE TABLE flags (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key         TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT    NOT NULL,
    UNIQUE (project_id, key)
);

CREATE TABLE flag_configs (
    flag_id        INTEGER NOT NULL REFERENCES flags (id) ON DELETE CASCADE,
    environment_id INTEGER NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    body           TEXT    NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1,
    updated_at     INTEGER NOT NULL,
    updated_by     TEXT    NOT NULL,
    PRIMARY KEY (flag_id, environment_id)
);

CREATE TABLE segments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key         TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT    NOT NULL,
    UNIQUE (project_id, key)
);

CREATE TABLE sdk_keys (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    environment_id INTEGER NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    key_hash       TEXT    NOT NULL UNIQUE,
    hint           TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    revoked_at     INTEGER
);
