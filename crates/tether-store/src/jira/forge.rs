//! Forge installations (`jira_forge_installations`), stored like sites: one row per installation
//! id, enabled and disabled by Forge's lifecycle events (replays change nothing), and matched to
//! the Jira site they belong to by cloudId, else by the site URL a token named. An installation
//! no site matches stays unmatched until a site with its cloudId or URL is added, or a site
//! learns its cloudId ([`Store::set_jira_site_cloud_id`]).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::audit::audit_on;
use crate::{Result, Store, StoreError, with_pool, with_write_tx};

/// A Forge installation as tether keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeInstallation {
    /// `app.installationId` of the tokens: one install of the app on one site.
    pub installation_id: String,
    /// The app's ARI.
    pub app_id: String,
    pub cloud_id: Option<String>,
    /// The site's URL, when a token named it (without a trailing `/`).
    pub site_url: Option<String>,
    /// Where the app's tokens reach the site's APIs.
    pub api_base_url: Option<String>,
    /// The site it belongs to; `None` while tether has no site with its cloudId or URL.
    pub site_id: Option<i64>,
    /// False once the app was uninstalled.
    pub enabled: bool,
    /// When it was (last) installed: a replayed install keeps the first time.
    pub installed_at: i64,
    pub updated_at: i64,
}

/// What a lifecycle event's (verified) token says about the installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeInstallEvent {
    pub installation_id: String,
    pub app_id: String,
    pub cloud_id: Option<String>,
    pub site_url: Option<String>,
    pub api_base_url: Option<String>,
}

/// The two lifecycle events that change an installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForgeLifecycle {
    /// `avi:forge:installed:app` (and `upgraded`).
    Installed,
    /// `avi:forge:uninstalled:app`.
    Uninstalled,
}

/// The setting installations were kept in before they had a table; imported by
/// [`Store::migrate`] and then removed.
pub(crate) const LEGACY_SETTING: &str = "jira.forge.installations";

/// Sets the site of every unmatched installation to the site with its cloudId (else its URL),
/// preferring enabled sites, then the oldest. Run in every transaction that adds installations,
/// sites, or a site's cloudId, so "matched later" needs no other trigger.
macro_rules! match_forge_installations_on {
    ($conn:expr) => {{
        sqlx::query(
            "UPDATE jira_forge_installations SET site_id = COALESCE(\
                (SELECT s.id FROM jira_sites s WHERE s.cloud_id = jira_forge_installations.cloud_id \
                 ORDER BY s.enabled DESC, s.id LIMIT 1), \
                (SELECT s.id FROM jira_sites s WHERE s.url = jira_forge_installations.site_url \
                 ORDER BY s.enabled DESC, s.id LIMIT 1)) \
             WHERE site_id IS NULL",
        )
        .execute(&mut *$conn)
        .await?;
    }};
}
pub(crate) use match_forge_installations_on;

#[derive(sqlx::FromRow)]
struct InstallationRow {
    installation_id: String,
    app_id: String,
    cloud_id: Option<String>,
    site_url: Option<String>,
    api_base_url: Option<String>,
    site_id: Option<i64>,
    enabled: bool,
    installed_at: i64,
    updated_at: i64,
}

const COLUMNS: &str = "installation_id, app_id, cloud_id, site_url, api_base_url, site_id, enabled, installed_at, updated_at";

impl From<InstallationRow> for ForgeInstallation {
    fn from(r: InstallationRow) -> ForgeInstallation {
        ForgeInstallation {
            installation_id: r.installation_id,
            app_id: r.app_id,
            cloud_id: r.cloud_id,
            site_url: r.site_url,
            api_base_url: r.api_base_url,
            site_id: r.site_id,
            enabled: r.enabled,
            installed_at: r.installed_at,
            updated_at: r.updated_at,
        }
    }
}

/// A URL as installations and sites compare them.
fn trimmed(url: &Option<String>) -> Option<String> {
    url.as_deref().map(|u| u.trim().trim_end_matches('/').to_owned()).filter(|u| !u.is_empty())
}

impl Store {
    /// Applies a Forge lifecycle event to its installation: created on the first event, enabled
    /// by an install and disabled by an uninstall; what the token says (cloudId, URLs) fills in
    /// what was unknown and never erases what was known. Forge retries events: a replay leaves
    /// the row as it was (an install keeps its first `installed_at`) and audits nothing.
    pub async fn record_forge_event(
        &self,
        event: &ForgeInstallEvent,
        lifecycle: ForgeLifecycle,
    ) -> Result<ForgeInstallation> {
        let now = self.now();
        let enabled = lifecycle == ForgeLifecycle::Installed;
        let site_url = trimmed(&event.site_url);
        with_write_tx!(self, tx => {
            let before: Option<bool> = sqlx::query_scalar(
                "SELECT enabled FROM jira_forge_installations WHERE installation_id = $1",
            )
            .bind(&event.installation_id)
            .fetch_optional(&mut *tx)
            .await?;
            if before.is_none() {
                sqlx::query(
                    "INSERT INTO jira_forge_installations \
                     (installation_id, app_id, cloud_id, site_url, api_base_url, site_id, enabled, installed_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $7)",
                )
                .bind(&event.installation_id)
                .bind(&event.app_id)
                .bind(&event.cloud_id)
                .bind(&site_url)
                .bind(&event.api_base_url)
                .bind(enabled)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            } else {
                // A reinstall counts from now; a replayed install keeps its first time.
                let reinstalled = enabled && before == Some(false);
                sqlx::query(
                    "UPDATE jira_forge_installations SET \
                     cloud_id = COALESCE($2, cloud_id), site_url = COALESCE($3, site_url), \
                     api_base_url = COALESCE($4, api_base_url), enabled = $5, \
                     installed_at = CASE WHEN $6 THEN $7 ELSE installed_at END, \
                     updated_at = CASE WHEN enabled = $5 THEN updated_at ELSE $7 END \
                     WHERE installation_id = $1",
                )
                .bind(&event.installation_id)
                .bind(&event.cloud_id)
                .bind(&site_url)
                .bind(&event.api_base_url)
                .bind(enabled)
                .bind(reinstalled)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            match_forge_installations_on!(tx);
            if before != Some(enabled) {
                let action =
                    if enabled { "jira.forge.install" } else { "jira.forge.uninstall" };
                let after = serde_json::json!({
                    "installation_id": event.installation_id,
                    "app_id": event.app_id,
                    "cloud_id": event.cloud_id,
                })
                .to_string();
                audit_on!(&mut *tx, now, "jira-forge", action,
                    &format!("forge/{}", event.installation_id), None, Some(after));
            }
        });
        self.forge_installation(&event.installation_id).await
    }

    /// One installation.
    pub async fn forge_installation(&self, installation_id: &str) -> Result<ForgeInstallation> {
        let row: InstallationRow = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM jira_forge_installations WHERE installation_id = $1"
        ))
        .bind(installation_id)
        .fetch_one(pool)
        .await?);
        Ok(row.into())
    }

    /// Every installation, enabled or not, oldest first.
    pub async fn forge_installations(&self) -> Result<Vec<ForgeInstallation>> {
        let rows: Vec<InstallationRow> = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM jira_forge_installations ORDER BY installed_at, installation_id"
        ))
        .fetch_all(pool)
        .await?);
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Records the cloudId Jira answered for a site (`/_edge/tenant_info`, a Connect install)
    /// and matches the installations that were waiting for it.
    pub async fn set_jira_site_cloud_id(&self, site_id: i64, cloud_id: &str) -> Result<()> {
        let cloud_id = cloud_id.trim();
        if cloud_id.is_empty() {
            return Ok(());
        }
        with_write_tx!(self, tx => {
            let done = sqlx::query("UPDATE jira_sites SET cloud_id = $1 WHERE id = $2")
                .bind(cloud_id)
                .bind(site_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if done == 0 {
                return Err(StoreError::NotFound);
            }
            match_forge_installations_on!(tx);
        });
        Ok(())
    }

    /// Moves installations kept in the old setting into the table, once: rows the table already
    /// has win, the setting is removed in the same transaction. Damaged setting text is an error
    /// (start-up stops) rather than installations silently lost.
    pub(crate) async fn import_legacy_forge_installations(&self) -> Result<usize> {
        let Some(text) = self.setting(LEGACY_SETTING).await? else {
            return Ok(0);
        };
        let legacy: BTreeMap<String, LegacyInstallation> = serde_json::from_str(&text)
            .map_err(|e| StoreError::Damaged(format!("setting {LEGACY_SETTING}: {e}")))?;
        let now = self.now();
        let imported = with_write_tx!(self, tx => {
            let mut n = 0;
            for (id, i) in &legacy {
                n += sqlx::query(
                    "INSERT INTO jira_forge_installations \
                     (installation_id, app_id, cloud_id, site_url, api_base_url, site_id, enabled, installed_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8) ON CONFLICT (installation_id) DO NOTHING",
                )
                .bind(id)
                .bind(&i.app_id)
                .bind(&i.cloud_id)
                .bind(trimmed(&i.site_url))
                .bind(&i.api_base_url)
                .bind(i.enabled)
                .bind(i.installed_at)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected() as usize;
            }
            match_forge_installations_on!(tx);
            sqlx::query("DELETE FROM settings WHERE key = $1")
                .bind(LEGACY_SETTING)
                .execute(&mut *tx)
                .await?;
            n
        });
        Ok(imported)
    }
}

/// An entry of the old setting, as tether-server wrote it.
#[derive(Deserialize)]
struct LegacyInstallation {
    app_id: String,
    cloud_id: Option<String>,
    site_url: Option<String>,
    api_base_url: Option<String>,
    installed_at: i64,
    enabled: bool,
}
