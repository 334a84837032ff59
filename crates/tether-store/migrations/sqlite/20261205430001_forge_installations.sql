-- Forge installations stored like sites (until now a JSON setting, which `Store::migrate` imports
-- once): one row per installation id, enabled and disabled by Forge's lifecycle events, matched to
-- the Jira site they belong to by cloudId (or the site URL a token names). A site learns its
-- cloudId from a Connect install, a connection test or its first client (`/_edge/tenant_info`).
ALTER TABLE jira_sites ADD COLUMN cloud_id TEXT;
UPDATE jira_sites SET cloud_id = json_extract(options, '$.cloud_id')
    WHERE json_type(options, '$.cloud_id') = 'text';
CREATE INDEX jira_sites_cloud_id ON jira_sites (cloud_id) WHERE cloud_id IS NOT NULL;

CREATE TABLE jira_forge_installations (
    installation_id TEXT    PRIMARY KEY,
    app_id          TEXT    NOT NULL,
    cloud_id        TEXT,
    site_url        TEXT,
    api_base_url    TEXT,
    -- The site it belongs to; NULL while tether has no site with its cloudId or URL.
    site_id         INTEGER REFERENCES jira_sites (id) ON DELETE SET NULL,
    enabled         INTEGER NOT NULL,
    installed_at    INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX jira_forge_installations_site ON jira_forge_installations (site_id);
