-- Forge installations stored like sites (until now a JSON setting, which `Store::migrate` imports
-- once): one row per installation id, enabled and disabled by Forge's lifecycle events, matched to
-- the Jira site they belong to by cloudId (or the site URL a token names). A site learns its
-- cloudId from a Connect install, a connection test or its first client (`/_edge/tenant_info`).
ALTER TABLE jira_sites ADD COLUMN cloud_id TEXT;
UPDATE jira_sites SET cloud_id = (options::jsonb) ->> 'cloud_id'
    WHERE jsonb_typeof((options::jsonb) -> 'cloud_id') = 'string';
CREATE INDEX jira_sites_cloud_id ON jira_sites (cloud_id) WHERE cloud_id IS NOT NULL;

CREATE TABLE jira_forge_installations (
    installation_id TEXT    PRIMARY KEY,
    app_id          TEXT    NOT NULL,
    cloud_id        TEXT,
    site_url        TEXT,
    api_base_url    TEXT,
    -- The site it belongs to; NULL while tether has no site with its cloudId or URL.
    site_id         BIGINT  REFERENCES jira_sites (id) ON DELETE SET NULL,
    enabled         BOOLEAN NOT NULL,
    installed_at    BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX jira_forge_installations_site ON jira_forge_installations (site_id);
