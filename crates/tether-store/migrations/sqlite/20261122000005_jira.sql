-- Jira sites, which site and environments each project tracks, flag ↔ issue
-- links, and what was last sent to Jira per flag (SQLite).

CREATE TABLE jira_sites (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    url         TEXT    NOT NULL,
    api_url     TEXT,
    deployment  TEXT,
    auth_kind   TEXT    NOT NULL,
    auth_user   TEXT    NOT NULL DEFAULT '',
    secret      BLOB    NOT NULL,
    options     TEXT    NOT NULL DEFAULT '{}',
    enabled     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX jira_sites_connect_client ON jira_sites (auth_user) WHERE auth_kind = 'connect';

CREATE TABLE project_jira (
    project_id   INTEGER PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    site_id      INTEGER NOT NULL REFERENCES jira_sites (id),
    environments TEXT,
    primary_env  TEXT,
    version      INTEGER NOT NULL DEFAULT 1,
    updated_at   INTEGER NOT NULL
);

-- An index of the flags' "jira.issues" property, rewritten in each flag change's transaction.
CREATE TABLE flag_issue_links (
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    flag_key    TEXT    NOT NULL,
    issue_key   TEXT    NOT NULL,
    PRIMARY KEY (project_id, flag_key, issue_key)
);
CREATE INDEX flag_issue_links_by_issue ON flag_issue_links (issue_key);

CREATE TABLE jira_issue_cache (
    site_id          INTEGER NOT NULL REFERENCES jira_sites (id) ON DELETE CASCADE,
    issue_key        TEXT    NOT NULL,
    summary          TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    status_category  TEXT    NOT NULL,
    fetched_at       INTEGER NOT NULL,
    PRIMARY KEY (site_id, issue_key)
);

-- Keyed by project and flag key, not flag id, so it outlives a deleted flag
-- until Jira has been told.
CREATE TABLE jira_flag_sync (
    site_id     INTEGER NOT NULL REFERENCES jira_sites (id) ON DELETE CASCADE,
    project     TEXT    NOT NULL,
    flag_key    TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    pushed_seq  INTEGER,
    pushed_at   INTEGER,
    pushed      TEXT,
    result      TEXT,
    last_error  TEXT,
    PRIMARY KEY (site_id, project, flag_key)
);
