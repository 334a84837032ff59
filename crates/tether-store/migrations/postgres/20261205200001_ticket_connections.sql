-- Ticket ingestion (issue 14), part 1: the ingestion connection of a Jira site, the
-- projects it discovered with their import switches and pass state, the site's issue
-- types, and each project's ticket type assignments (PostgreSQL).

CREATE TABLE ticket_connections (
    site_id           BIGINT PRIMARY KEY REFERENCES jira_sites (id) ON DELETE CASCADE,
    -- api_token, password, pat or oauth1
    auth_kind         TEXT    NOT NULL,
    -- The email, the username, or the OAuth 1.0a consumer key.
    auth_user         TEXT    NOT NULL DEFAULT '',
    -- Sealed: the API token, password, personal access token or RSA private key.
    secret            BYTEA   NOT NULL,
    oauth1_public_key TEXT,
    -- Sealed OAuth 1.0a access token, and the request token while authorising.
    oauth1_token      BYTEA,
    oauth1_request    BYTEA,
    paused            BOOLEAN NOT NULL DEFAULT FALSE,
    auto_import       BOOLEAN NOT NULL DEFAULT FALSE,
    -- The last check: NULL before any; its report as JSON.
    check_ok          BOOLEAN,
    check_report      TEXT,
    checked_at        BIGINT,
    account           TEXT,
    time_zone         TEXT,
    -- Site-level work: discovery wanted, catalogues last read, the webhook registered.
    refresh_requested BOOLEAN NOT NULL DEFAULT TRUE,
    catalogue_at      BIGINT,
    webhook_id        TEXT,
    webhook_token     BYTEA,
    claimed_by        TEXT,
    claimed_until     BIGINT,
    last_error        TEXT,
    last_error_at     BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

CREATE TABLE ticket_projects (
    site_id            BIGINT NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    -- Jira's project id (keys can be renamed).
    id                 TEXT    NOT NULL,
    key                TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    type_key           TEXT,
    category           TEXT,
    team_managed       BOOLEAN NOT NULL DEFAULT FALSE,
    -- Seen by the last discovery.
    present            BOOLEAN NOT NULL DEFAULT TRUE,
    imported           BOOLEAN NOT NULL DEFAULT FALSE,
    can_browse         BOOLEAN NOT NULL DEFAULT TRUE,
    can_create         BOOLEAN NOT NULL DEFAULT TRUE,
    discovered_at      BIGINT NOT NULL,
    -- Pass state: the cursor (Jira's epoch ms an incremental pass searches from, minus the
    -- look-back), the running pass's start (Jira's clock), its search floor and checkpoint.
    cursor_ms          BIGINT,
    pass_started_ms    BIGINT,
    pass_from_ms       BIGINT,
    checkpoint         TEXT,
    pass_total         BIGINT,
    pass_done          BIGINT NOT NULL DEFAULT 0,
    last_pass_started_at  BIGINT,
    last_pass_finished_at BIGINT,
    last_pass_issues   BIGINT,
    reconciled_at      BIGINT,
    next_due_at        BIGINT NOT NULL DEFAULT 0,
    claimed_by         TEXT,
    claimed_until      BIGINT,
    failures           BIGINT NOT NULL DEFAULT 0,
    last_error         TEXT,
    last_error_at      BIGINT,
    PRIMARY KEY (site_id, id)
);
CREATE INDEX ticket_projects_due ON ticket_projects (next_due_at) WHERE imported;

CREATE TABLE ticket_issue_types (
    site_id          BIGINT NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    id               TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    subtask          BOOLEAN NOT NULL DEFAULT FALSE,
    hierarchy_level  BIGINT,
    PRIMARY KEY (site_id, id)
);

-- Which ticket category each issue type of a project is: defaulted, or edited.
CREATE TABLE ticket_type_assignments (
    site_id        BIGINT NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    project_id     TEXT    NOT NULL,
    issue_type_id  TEXT    NOT NULL,
    category       TEXT    NOT NULL,
    edited         BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (site_id, project_id, issue_type_id)
);
