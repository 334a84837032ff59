-- Code ↔ Jira (SQLite): repository groups and repositories with the settings each sets
-- (every field not set is inherited), dev events stored once per delivery, the ledger of
-- what was done to each Jira issue per commit or merge request, what was mentioned where,
-- the branch heads a local scan last saw, per-site Development Information credentials,
-- and findings imported from SARIF files.

CREATE TABLE dev_groups (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    settings    TEXT    NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE dev_repositories (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    source      TEXT    NOT NULL CHECK (source IN ('github', 'gitlab', 'local')),
    group_id    INTEGER REFERENCES dev_groups (id) ON DELETE SET NULL,
    secret      BLOB,
    path        TEXT,
    web_url     TEXT,
    settings    TEXT    NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE dev_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    repository_id  INTEGER NOT NULL REFERENCES dev_repositories (id) ON DELETE CASCADE,
    delivery_id    TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    event_name     TEXT    NOT NULL,
    headers        TEXT    NOT NULL,
    body           BLOB    NOT NULL,
    received_at    INTEGER NOT NULL,
    state          TEXT    NOT NULL DEFAULT 'pending',
    report         TEXT,
    devinfo_report TEXT,
    processed_at   INTEGER,
    UNIQUE (repository_id, delivery_id)
);
CREATE INDEX dev_events_by_repository ON dev_events (repository_id, id);

-- One row per side effect on one issue for one entity (a commit or merge request of one
-- repository): `link`, `comment`, `transition`, `smart:<n>`. Keyed on the site and the issue
-- key, not on URLs or bodies, so replays, re-pushes, force-pushes, renamed repositories and
-- deleted branches find what was done.
CREATE TABLE dev_ledger (
    site_id     INTEGER NOT NULL REFERENCES jira_sites (id) ON DELETE CASCADE,
    issue_key   TEXT    NOT NULL,
    entity      TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '',
    issue_id    TEXT,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (site_id, issue_key, entity, action)
);

CREATE TABLE dev_mentions (
    repository_id  INTEGER NOT NULL REFERENCES dev_repositories (id) ON DELETE CASCADE,
    entity         TEXT    NOT NULL,
    issue_key      TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    title          TEXT    NOT NULL,
    url            TEXT    NOT NULL,
    author         TEXT    NOT NULL DEFAULT '',
    branch         TEXT    NOT NULL DEFAULT '',
    state          TEXT    NOT NULL DEFAULT '',
    at             INTEGER NOT NULL,
    PRIMARY KEY (repository_id, entity, issue_key)
);
CREATE INDEX dev_mentions_by_issue ON dev_mentions (issue_key);

CREATE TABLE dev_branch_heads (
    repository_id  INTEGER NOT NULL REFERENCES dev_repositories (id) ON DELETE CASCADE,
    branch         TEXT    NOT NULL,
    head           TEXT    NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (repository_id, branch)
);

CREATE TABLE dev_devinfo_credentials (
    site_id     INTEGER PRIMARY KEY REFERENCES jira_sites (id) ON DELETE CASCADE,
    client_id   TEXT    NOT NULL,
    secret      BLOB    NOT NULL,
    options     TEXT    NOT NULL DEFAULT '{}',
    updated_at  INTEGER NOT NULL
);

CREATE TABLE dev_findings (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    repository_id          INTEGER NOT NULL REFERENCES dev_repositories (id) ON DELETE CASCADE,
    fingerprint            TEXT    NOT NULL,
    tool                   TEXT    NOT NULL,
    rule_id                TEXT    NOT NULL,
    rule_name              TEXT    NOT NULL DEFAULT '',
    severity               TEXT    NOT NULL,
    message                TEXT    NOT NULL,
    location               TEXT    NOT NULL DEFAULT '',
    help_uri               TEXT,
    site_id                INTEGER REFERENCES jira_sites (id) ON DELETE SET NULL,
    issue_key              TEXT,
    issue_status           TEXT,
    issue_status_category  TEXT,
    issue_request          TEXT,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    UNIQUE (repository_id, fingerprint)
);
