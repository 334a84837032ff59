//! Moving a Jira site to another Jira (Server or Data Center to Cloud, most often): what
//! the store holds that names the old site's issues, and the one transaction that points
//! the site at the new Jira and re-maps what was found there.
//!
//! Everything tether keeps about a site's issues is keyed by issue key (the ledger, the
//! flags' sync rows, links, findings, the issue cache): what changes on a move is Jira's
//! ids (issues, comments, worklogs), which the caller looks up by key on the new site and
//! hands to [`Store::move_jira_site`].

use crate::audit::audit_on;
use crate::jira::sites::{put_site_settings_on, secret_context, site_audit};
use crate::{NewJiraSite, Result, Store, with_pool, with_write_tx};

use super::jira_enqueue_on;

/// What names a site's issues, read before a move.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteReferences {
    /// Issue keys linked to flags of projects that report to the site.
    pub flag_links: Vec<String>,
    /// Issue keys of findings whose Jira issue is on the site.
    pub findings: Vec<String>,
    /// Issues of the site cached for pages (summary, status).
    pub cached_issues: i64,
    /// Tickets ingested from the site (their ids are the old site's).
    pub tickets: i64,
}

/// A ledger row's new detail: the id of the comment or worklog found again on the new site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailRemap {
    pub issue_key: String,
    pub entity: String,
    pub action: String,
    pub detail: String,
}

/// A site's move to another Jira, as the caller decided it.
#[derive(Debug, Clone)]
pub struct SiteMove {
    /// The site's new settings, `deployment` as detected on the new Jira.
    pub site: NewJiraSite,
    /// (issue key, the issue's id on the new site) for every key found there.
    pub issue_ids: Vec<(String, String)>,
    /// Ledger details to rewrite.
    pub details: Vec<DetailRemap>,
    /// Forget what the old Jira was sent of each flag (another deployment shows flags
    /// another way, so none of it holds on the new site).
    pub forget_flag_pushes: bool,
}

/// What a move changed in the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SiteMoved {
    /// Ledger rows given their issue's new id.
    pub ledger_ids: u64,
    /// Ledger rows given a new comment or worklog id.
    pub ledger_details: u64,
    /// Cached issues dropped (read again from the new site when shown).
    pub cache_dropped: u64,
    /// Flags handed to the worker to be sent to the new site.
    pub flags_queued: u64,
}

impl Store {
    /// What the store holds that names a site's issues, besides the ledger
    /// ([`Store::ledger_for_site`]) and the flags' sync rows ([`Store::flag_syncs_on_site`]).
    pub async fn site_references(&self, site_id: i64) -> Result<SiteReferences> {
        let (flag_links, findings, cached_issues, tickets) = with_pool!(self, pool => {
            let flag_links: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT l.issue_key FROM flag_issue_links l \
                 JOIN project_jira j ON j.project_id = l.project_id WHERE j.site_id = $1 ORDER BY 1",
            )
            .bind(site_id)
            .fetch_all(pool)
            .await?;
            let findings: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT issue_key FROM dev_findings WHERE site_id = $1 \
                 AND issue_key IS NOT NULL ORDER BY 1",
            )
            .bind(site_id)
            .fetch_all(pool)
            .await?;
            let cached: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM jira_issue_cache WHERE site_id = $1")
                    .bind(site_id)
                    .fetch_one(pool)
                    .await?;
            let tickets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE site_id = $1")
                .bind(site_id)
                .fetch_one(pool)
                .await?;
            (flag_links, findings, cached, tickets)
        });
        Ok(SiteReferences { flag_links, findings, cached_issues, tickets })
    }

    /// Points a site at another Jira and re-maps what the caller found there, in one
    /// transaction: the site's settings (name kept, deployment as detected), the ledger's
    /// issue ids and comment or worklog ids, the issue cache dropped, and every flag of the
    /// site handed to the worker under a new sequence number (after forgetting what the old
    /// Jira was sent, when `forget_flag_pushes`).
    pub async fn move_jira_site(
        &self,
        site_id: i64,
        mv: &SiteMove,
        actor: &str,
    ) -> Result<SiteMoved> {
        let now = self.now();
        let current = self.jira_site(site_id).await?;
        let new = &mv.site;
        let sealed = self.key.seal_secret(&secret_context(&current.name), &new.secret);
        let options = serde_json::Value::Object(new.options.clone()).to_string();
        let flags = self.flags_for_site(site_id).await?;
        let before = serde_json::json!({"url": current.url, "deployment": current.deployment});
        // Clients are cached by the site's `updated_at`: it must change, even within the
        // millisecond the site was last written, or a worker keeps talking to the old Jira.
        let stamp = now.max(current.updated_at + 1);
        let moved = with_write_tx!(self, tx => {
            let mut moved = SiteMoved::default();
            put_site_settings_on!(&mut *tx, site_id, new, &sealed, &options, stamp);
            for (key, id) in &mv.issue_ids {
                moved.ledger_ids += sqlx::query(
                    "UPDATE dev_ledger SET issue_id = $1 WHERE site_id = $2 AND issue_key = $3",
                )
                .bind(id)
                .bind(site_id)
                .bind(key)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            for d in &mv.details {
                moved.ledger_details += sqlx::query(
                    "UPDATE dev_ledger SET detail = $1, updated_at = $2 WHERE site_id = $3 \
                     AND issue_key = $4 AND entity = $5 AND action = $6",
                )
                .bind(&d.detail)
                .bind(now)
                .bind(site_id)
                .bind(&d.issue_key)
                .bind(&d.entity)
                .bind(&d.action)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            moved.cache_dropped = sqlx::query("DELETE FROM jira_issue_cache WHERE site_id = $1")
                .bind(site_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if mv.forget_flag_pushes {
                sqlx::query(
                    "UPDATE jira_flag_sync SET pushed = NULL, pushed_seq = NULL, pushed_at = NULL, \
                     result = NULL, last_error = NULL WHERE site_id = $1",
                )
                .bind(site_id)
                .execute(&mut *tx)
                .await?;
            }
            for (project, flag) in &flags {
                let project_id: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM projects WHERE key = $1")
                        .bind(project)
                        .fetch_optional(&mut *tx)
                        .await?;
                // A deleted project's sync rows are the old Jira's alone: nothing to send.
                let Some(project_id) = project_id else { continue };
                jira_enqueue_on!(&mut *tx, project_id, site_id, project, flag, now, true);
                moved.flags_queued += 1;
            }
            let after = serde_json::json!({
                "site": serde_json::from_str::<serde_json::Value>(&site_audit(new)).unwrap_or_default(),
                "deployment": new.deployment,
                "issues_found": mv.issue_ids.len(),
                "ledger_details": moved.ledger_details,
            });
            audit_on!(&mut *tx, now, actor, "jira.site.migrate", &format!("integration/{}", current.name),
                Some(before.to_string()), Some(after.to_string()));
            moved
        });
        Ok(moved)
    }
}
