-- Ticket ingestion (issue 14), part 1: the ingestion connection of a Jira site, the
-- projects it discovered with their import switches and pass state, the site's issue
-- types, and each project's ticket type assignments (SQLite).

CREATE TABLE ticket_connections (
    site_id           INTEGER PRIMARY KEY REFERENCES jira_sites (id) ON DELETE CASCADE,
    -- api_token, password, pat or oauth1
    auth_kind         TEXT    NOT NULL,
    -- The email, the username, or the OAuth 1.0a consumer key.
    auth_user         TEXT    NOT NULL DEFAULT '',
    -- Sealed: the API token, password, personal access token or RSA private key.
    secret            BLOB    NOT NULL,
    oauth1_public_key TEXT,
    -- Sealed OAuth 1.0a access token, and the request token while authorising.
    oauth1_token      BLOB,
    oauth1_request    BLOB,
    paused            INTEGER NOT NULL DEFAULT 0,
    auto_import       INTEGER NOT NULL DEFAULT 0,
    -- The last check: NULL before any; its report as JSON.
    check_ok          INTEGER,
    check_report      TEXT,
    checked_at        INTEGER,
    account           TEXT,
    time_zone         TEXT,
    -- Site-level work: discovery wanted, catalogues last read, the webhook registered.
    refresh_requested INTEGER NOT NULL DEFAULT 1,
    catalogue_at      INTEGER,
    webhook_id        TEXT,
    webhook_token     BLOB,
    claimed_by        TEXT,
    claimed_until     INTEGER,
    last_error        TEXT,
    last_error_at     INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

CREATE TABLE ticket_projects (
    site_id            INTEGER NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    -- Jira's project id (keys can be renamed).
    id                 TEXT    NOT NULL,
    key                TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    type_key           TEXT,
    category           TEXT,
    team_managed       INTEGER NOT NULL DEFAULT 0,
    -- Seen by the last discovery.
    present            INTEGER NOT NULL DEFAULT 1,
    imported           INTEGER NOT NULL DEFAULT 0,
    can_browse         INTEGER NOT NULL DEFAULT 1,
    can_create         INTEGER NOT NULL DEFAULT 1,
    discovered_at      INTEGER NOT NULL,
    -- Pass state: the cursor (Jira's epoch ms an incremental pass searches from, minus the
    -- look-back), the running pass's start (Jira's clock), its search floor and checkpoint.
    cursor_ms          INTEGER,
    pass_started_ms    INTEGER,
    pass_from_ms       INTEGER,
    checkpoint         TEXT,
    pass_total         INTEGER,
    pass_done          INTEGER NOT NULL DEFAULT 0,
    last_pass_started_at  INTEGER,
    last_pass_finished_at INTEGER,
    last_pass_issues   INTEGER,
    reconciled_at      INTEGER,
    next_due_at        INTEGER NOT NULL DEFAULT 0,
    claimed_by         TEXT,
    claimed_until      INTEGER,
    failures           INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT,
    last_error_at      INTEGER,
    PRIMARY KEY (site_id, id)
);
CREATE INDEX ticket_projects_due ON ticket_projects (next_due_at) WHERE imported = 1;

CREATE TABLE ticket_issue_types (
    site_id          INTEGER NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    id               TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    subtask          INTEGER NOT NULL DEFAULT 0,
    hierarchy_level  INTEGER,
    PRIMARY KEY (site_id, id)
);

-- Which ticket category each issue type of a project is: defaulted, or edited.
CREATE TABLE ticket_type_assignments (
    site_id        INTEGER NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    project_id     TEXT    NOT NULL,
    issue_type_id  TEXT    NOT NULL,
    category       TEXT    NOT NULL,
    edited         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, project_id, issue_type_id)
);
