//! Flag ↔ issue links. A flag's links live in its `jira.issues` custom property
//! (so linking is a versioned, audited flag change); `flag_issue_links` indexes
//! them by issue and is rewritten in the transaction of every flag change. Also
//! what tether last saw of each issue (`jira_issue_cache`).

use crate::{Result, Store, StoreError, with_pool, with_writer};

/// One flag ↔ issue link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueLink {
    pub project: String,
    pub flag: String,
    pub issue: String,
}

/// What tether knows of an issue from its last look at Jira.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedIssue {
    pub issue_key: String,
    pub summary: String,
    pub status: String,
    /// `new`, `indeterminate` or `done`.
    pub status_category: String,
    pub fetched_at: i64,
}

/// Issue keys read as typed (`IssueKey::parse_user_input`), de-duplicated, in order.
pub fn normalize_issue_keys<S: AsRef<str>>(keys: &[S]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(keys.len());
    for k in keys {
        // Flag validation refuses what is not a key before anything is stored.
        let Ok(k) = tether_refs::IssueKey::parse_user_input(k.as_ref()) else { continue };
        let k = k.to_string();
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// Rewrites a flag's rows in `flag_issue_links` on the given transaction.
macro_rules! index_links_on {
    ($conn:expr, $project_id:expr, $flag_key:expr, $keys:expr) => {{
        let keys: &[String] = $keys;
        sqlx::query("DELETE FROM flag_issue_links WHERE project_id = $1 AND flag_key = $2")
            .bind($project_id)
            .bind($flag_key)
            .execute(&mut *$conn)
            .await?;
        for k in $crate::normalize_issue_keys(keys) {
            sqlx::query(
                "INSERT INTO flag_issue_links (project_id, flag_key, issue_key) VALUES ($1, $2, $3)",
            )
            .bind($project_id)
            .bind($flag_key)
            .bind(k)
            .execute(&mut *$conn)
            .await?;
        }
    }};
}
pub(crate) use index_links_on;

impl Store {
    /// Adds an issue to a flag's links (its `jira.issues` property): a flag
    /// update, versioned and audited. Already linked is not an error.
    pub async fn link_flag_issue(
        &self,
        project: &str,
        flag: &str,
        issue: &str,
        actor: &str,
    ) -> Result<()> {
        let issue = issue.trim().to_ascii_uppercase();
        self.edit_links(project, flag, actor, |keys| {
            if keys.contains(&issue) {
                false
            } else {
                keys.push(issue.clone());
                true
            }
        })
        .await
    }

    /// Removes an issue from a flag's links; false when it was not linked.
    pub async fn unlink_flag_issue(
        &self,
        project: &str,
        flag: &str,
        issue: &str,
        actor: &str,
    ) -> Result<bool> {
        let issue = issue.trim().to_ascii_uppercase();
        let mut removed = false;
        self.edit_links(project, flag, actor, |keys| {
            let before = keys.len();
            keys.retain(|k| !k.eq_ignore_ascii_case(&issue));
            removed = keys.len() != before;
            removed
        })
        .await?;
        Ok(removed)
    }

    async fn edit_links(
        &self,
        project: &str,
        flag: &str,
        actor: &str,
        mut edit: impl FnMut(&mut Vec<String>) -> bool,
    ) -> Result<()> {
        for _ in 0..5 {
            let state = self.flag(project, flag).await?;
            let mut f = state.flag.clone();
            let prop = f
                .custom_properties
                .entry(tether_flags::JIRA_ISSUES_PROPERTY.to_owned())
                .or_insert_with(|| tether_flags::CustomProperty {
                    name: "Jira issues".into(),
                    values: vec![],
                });
            if !edit(&mut prop.values) {
                return Ok(());
            }
            if prop.values.is_empty() {
                f.custom_properties.remove(tether_flags::JIRA_ISSUES_PROPERTY);
            }
            match self.update_flag(project, &f, Some(state.version), actor).await {
                Err(StoreError::VersionMismatch { .. }) => continue,
                other => return other.map(|_| ()),
            }
        }
        Err(StoreError::Conflict(format!("flag {flag:?} kept changing; try again")))
    }

    /// Links, optionally only one flag's (by key, in any project) or one project's.
    pub async fn issue_links(
        &self,
        project: Option<&str>,
        flag: Option<&str>,
    ) -> Result<Vec<IssueLink>> {
        let rows: Vec<(String, String, String)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT p.key, l.flag_key, l.issue_key FROM flag_issue_links l JOIN projects p ON p.id = l.project_id \
             WHERE ($1 IS NULL OR p.key = $1) AND ($2 IS NULL OR l.flag_key = $2) \
             ORDER BY l.issue_key, p.key, l.flag_key"
        )
        .bind(project)
        .bind(flag)
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .map(|(project, flag, issue)| IssueLink { project, flag, issue })
            .collect())
    }

    /// The flags linked to one issue.
    pub async fn issue_flags(&self, issue: &str) -> Result<Vec<IssueLink>> {
        let rows: Vec<(String, String, String)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT p.key, l.flag_key, l.issue_key FROM flag_issue_links l JOIN projects p ON p.id = l.project_id \
             WHERE l.issue_key = $1 ORDER BY p.key, l.flag_key"
        )
        .bind(issue.trim().to_ascii_uppercase())
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .map(|(project, flag, issue)| IssueLink { project, flag, issue })
            .collect())
    }

    /// Remembers what Jira said of an issue.
    pub async fn cache_issue(&self, site_id: i64, issue: &CachedIssue) -> Result<()> {
        with_writer!(self, pool => { sqlx::query(
            "INSERT INTO jira_issue_cache (site_id, issue_key, summary, status, status_category, fetched_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (site_id, issue_key) DO UPDATE SET \
             summary = $3, status = $4, status_category = $5, fetched_at = $6"
        )
        .bind(site_id)
        .bind(&issue.issue_key)
        .bind(&issue.summary)
        .bind(&issue.status)
        .bind(&issue.status_category)
        .bind(issue.fetched_at)
        .execute(pool)
        .await?; });
        Ok(())
    }

    pub async fn cached_issue(&self, site_id: i64, issue: &str) -> Result<Option<CachedIssue>> {
        let row: Option<(String, String, String, String, i64)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT issue_key, summary, status, status_category, fetched_at FROM jira_issue_cache \
             WHERE site_id = $1 AND issue_key = $2"
        )
        .bind(site_id)
        .bind(issue)
        .fetch_optional(pool)
        .await?);
        Ok(row.map(|(issue_key, summary, status, status_category, fetched_at)| CachedIssue {
            issue_key,
            summary,
            status,
            status_category,
            fetched_at,
        }))
    }
}
