-- Members (people), API access tokens and custom roles (PostgreSQL).

CREATE TABLE members (
    name       TEXT    PRIMARY KEY,
    roles      TEXT    NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('personal', 'service')),
    member       TEXT    NOT NULL REFERENCES members (name),
    created_by   BIGINT REFERENCES api_tokens (id),
    roles        TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    hint         TEXT    NOT NULL,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    last_used_at BIGINT
);

CREATE TABLE roles (
    key        TEXT    PRIMARY KEY,
    statements TEXT    NOT NULL,
    updated_at BIGINT NOT NULL
);
