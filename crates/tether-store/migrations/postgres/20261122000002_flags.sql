-- Flags, their per-environment configuration, segments and SDK keys (PostgreSQL).
-- Flag and segment bodies are JSON documents in the store's persisted format v1.

-- Bumped by every change that alters what an environment evaluates; OFREP ETags.
ALTER TABLE environments ADD COLUMN config_version BIGINT NOT NULL DEFAULT 1;

CREATE TABLE flags (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key         TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT    NOT NULL,
    UNIQUE (project_id, key)
);

CREATE TABLE flag_configs (
    flag_id        BIGINT NOT NULL REFERENCES flags (id) ON DELETE CASCADE,
    environment_id BIGINT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    body           TEXT    NOT NULL,
    version        BIGINT NOT NULL DEFAULT 1,
    updated_at     BIGINT NOT NULL,
    updated_by     TEXT    NOT NULL,
    PRIMARY KEY (flag_id, environment_id)
);

CREATE TABLE segments (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key         TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT    NOT NULL,
    UNIQUE (project_id, key)
);

CREATE TABLE sdk_keys (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    environment_id BIGINT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    key_hash       TEXT    NOT NULL UNIQUE,
    hint           TEXT    NOT NULL,
    created_at     BIGINT NOT NULL,
    revoked_at     BIGINT
);
