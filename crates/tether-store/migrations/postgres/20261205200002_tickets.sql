-- Ticket ingestion (issue 14), part 2: what is ingested. Tickets keep every field as Jira
-- returned it; their history, comments, worklogs, remote links and sprints hang on them by
-- Jira's issue id (keys change when issues move); the site's people and catalogues beside
-- them. Times are epoch milliseconds (PostgreSQL).

CREATE TABLE tickets (
    site_id          BIGINT NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    id               TEXT    NOT NULL,
    key              TEXT    NOT NULL,
    project_id       TEXT    NOT NULL,
    summary          TEXT    NOT NULL,
    -- The description as plain text, and as given (ADF JSON on Cloud, wiki markup on Data Center).
    description      TEXT,
    description_raw  TEXT,
    issue_type_id    TEXT,
    status_id        TEXT,
    priority_id      TEXT,
    resolution_id    TEXT,
    resolved_at      BIGINT,
    created_at       BIGINT,
    updated_at       BIGINT,
    due_date         TEXT,
    assignee_id      TEXT,
    reporter_id      TEXT,
    creator_id       TEXT,
    labels           TEXT    NOT NULL DEFAULT '[]',
    components       TEXT    NOT NULL DEFAULT '[]',
    fix_versions     TEXT    NOT NULL DEFAULT '[]',
    parent_id        TEXT,
    parent_key       TEXT,
    epic_key         TEXT,
    story_points     DOUBLE PRECISION,
    -- Every field as Jira returned it, but comment and worklog (in their tables).
    fields           TEXT    NOT NULL,
    -- Custom fields with a value: id → {"name", "value"}.
    custom           TEXT    NOT NULL DEFAULT '{}',
    PRIMARY KEY (site_id, id)
);
CREATE INDEX tickets_by_project ON tickets (site_id, project_id, key);
CREATE INDEX tickets_by_key ON tickets (site_id, key);
CREATE INDEX tickets_by_updated ON tickets (site_id, updated_at);

-- The complete changelog, one row per item of each history entry.
CREATE TABLE ticket_changes (
    site_id      BIGINT NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    issue_id     TEXT    NOT NULL,
    history_id   TEXT    NOT NULL,
    item         BIGINT NOT NULL,
    author_id    TEXT,
    at           BIGINT,
    field        TEXT    NOT NULL,
    field_id     TEXT,
    fieldtype    TEXT,
    from_value   TEXT,
    from_string  TEXT,
    to_value     TEXT,
    to_string    TEXT,
    PRIMARY KEY (site_id, history_id, item)
);
CREATE INDEX ticket_changes_by_issue ON ticket_changes (site_id, issue_id, at);

CREATE TABLE ticket_comments (
    site_id     BIGINT NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    id          TEXT    NOT NULL,
    issue_id    TEXT    NOT NULL,
    author_id   TEXT,
    body        TEXT    NOT NULL,
    body_raw    TEXT,
    created_at  BIGINT,
    updated_at  BIGINT,
    PRIMARY KEY (site_id, id)
);
CREATE INDEX ticket_comments_by_issue ON ticket_comments (site_id, issue_id);

CREATE TABLE ticket_worklogs (
    site_id     BIGINT NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    id          TEXT    NOT NULL,
    issue_id    TEXT    NOT NULL,
    author_id   TEXT,
    started_at  BIGINT,
    seconds     BIGINT,
    comment     TEXT,
    created_at  BIGINT,
    updated_at  BIGINT,
    PRIMARY KEY (site_id, id)
);
CREATE INDEX ticket_worklogs_by_issue ON ticket_worklogs (site_id, issue_id);

CREATE TABLE ticket_remote_links (
    site_id       BIGINT NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    issue_id      TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    global_id     TEXT,
    relationship  TEXT,
    application   TEXT,
    url           TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    summary       TEXT,
    resolved      BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (site_id, issue_id, id)
);

-- Which sprints each ticket is or was in (the sprint field).
CREATE TABLE ticket_sprint_issues (
    site_id    BIGINT NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    issue_id   TEXT    NOT NULL,
    sprint_id  BIGINT NOT NULL,
    PRIMARY KEY (site_id, issue_id, sprint_id)
);
CREATE INDEX ticket_sprint_issues_by_sprint ON ticket_sprint_issues (site_id, sprint_id);

CREATE TABLE ticket_users (
    site_id       BIGINT NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    -- accountId on Cloud, the user key on Data Center.
    id            TEXT    NOT NULL,
    name          TEXT,
    display_name  TEXT,
    email         TEXT,
    time_zone     TEXT,
    active        BOOLEAN,
    PRIMARY KEY (site_id, id)
);

CREATE TABLE ticket_statuses (
    site_id        BIGINT NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    id             TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    category_key   TEXT,
    category_name  TEXT,
    PRIMARY KEY (site_id, id)
);

CREATE TABLE ticket_priorities (
    site_id  BIGINT NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    id       TEXT    NOT NULL,
    name     TEXT    NOT NULL,
    PRIMARY KEY (site_id, id)
);

CREATE TABLE ticket_resolutions (
    site_id  BIGINT NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    id       TEXT    NOT NULL,
    name     TEXT    NOT NULL,
    PRIMARY KEY (site_id, id)
);

CREATE TABLE ticket_fields (
    site_id        BIGINT NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    id             TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    custom         BOOLEAN NOT NULL DEFAULT FALSE,
    schema_type    TEXT,
    schema_custom  TEXT,
    PRIMARY KEY (site_id, id)
);

CREATE TABLE ticket_boards (
    site_id     BIGINT NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    project_id  TEXT    NOT NULL,
    id          BIGINT NOT NULL,
    name        TEXT    NOT NULL,
    type        TEXT,
    PRIMARY KEY (site_id, project_id, id)
);

CREATE TABLE ticket_sprints (
    site_id      BIGINT NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    id           BIGINT NOT NULL,
    board_id     BIGINT,
    name         TEXT    NOT NULL,
    state        TEXT,
    goal         TEXT,
    start_at     BIGINT,
    end_at       BIGINT,
    complete_at  BIGINT,
    PRIMARY KEY (site_id, id)
);

-- What Jira's webhooks said, for the ingester to act on before polling finds it.
CREATE TABLE ticket_hook_events (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id      BIGINT NOT NULL REFERENCES ticket_connections (site_id) ON DELETE CASCADE,
    event        TEXT    NOT NULL,
    issue_id     TEXT,
    issue_key    TEXT,
    project_id   TEXT,
    received_at  BIGINT NOT NULL
);
