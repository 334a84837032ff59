-- tether's first schema (PostgreSQL). Times are epoch milliseconds, UTC.
CREATE TABLE projects (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key         TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    version     BIGINT  NOT NULL DEFAULT 1,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);

CREATE TABLE environments (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  BIGINT  NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key         TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('development', 'testing', 'staging', 'production')),
    is_primary  BOOLEAN NOT NULL DEFAULT FALSE,
    position    BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL,
    UNIQUE (project_id, key)
);

CREATE TABLE audit_log (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       BIGINT NOT NULL,
    actor    TEXT   NOT NULL,
    action   TEXT   NOT NULL,
    resource TEXT   NOT NULL,
    before   TEXT,
    after    TEXT
);
CREATE INDEX audit_log_resource ON audit_log (resource, id);

CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT   NOT NULL,
    payload         TEXT   NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_by      TEXT,
    claimed_until   BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    done_at         BIGINT
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id) WHERE done_at IS NULL;

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT,
    secret     BYTEA,
    updated_at BIGINT NOT NULL,
    CHECK ((value IS NULL) <> (secret IS NULL))
);
