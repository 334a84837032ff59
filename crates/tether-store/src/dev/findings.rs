//! Findings (`dev_findings`): what code scanners reported for a repository (read from SARIF
//! files by the server), each once per fingerprint, with the Jira issue created for it and
//! that issue's status as last seen.

use crate::audit::audit_on;
use crate::{Result, Store, with_pool, with_write_tx, with_writer};

/// A finding to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFinding {
    /// Stable across scans of the same problem (the SARIF fingerprint, or one made from
    /// the rule and location).
    pub fingerprint: String,
    pub tool: String,
    pub rule_id: String,
    pub rule_name: String,
    /// `error`, `warning`, `note` or `none` (SARIF levels), or a scanner's own severity.
    pub severity: String,
    pub message: String,
    /// `path:line`, or empty.
    pub location: String,
    pub help_uri: Option<String>,
}

/// A stored finding.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Finding {
    pub id: i64,
    pub repository_id: i64,
    pub fingerprint: String,
    pub tool: String,
    pub rule_id: String,
    pub rule_name: String,
    pub severity: String,
    pub message: String,
    pub location: String,
    pub help_uri: Option<String>,
    pub site_id: Option<i64>,
    pub issue_key: Option<String>,
    pub issue_status: Option<String>,
    pub issue_status_category: Option<String>,
    /// JSON of an issue asked for and not made yet (`{project, issue_type, state, error}`).
    pub issue_request: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
}

const FINDING_COLUMNS: &str = "id, repository_id, fingerprint, tool, rule_id, rule_name, severity, \
     message, location, help_uri, site_id, issue_key, issue_status, issue_status_category, issue_request, created_at, updated_at";

impl Store {
    /// Adds new findings and refreshes known ones (by fingerprint); a finding keeps its
    /// Jira issue across imports.
    pub async fn import_findings(
        &self,
        repository_id: i64,
        findings: &[NewFinding],
        actor: &str,
    ) -> Result<ImportCounts> {
        let now = self.now();
        let counts = with_write_tx!(self, tx => {
            let mut counts = ImportCounts::default();
            for f in findings {
                let existing: Option<(String, String, String, String)> = sqlx::query_as(
                    "SELECT severity, message, location, rule_name FROM dev_findings WHERE repository_id = $1 AND fingerprint = $2",
                )
                .bind(repository_id)
                .bind(&f.fingerprint)
                .fetch_optional(&mut *tx)
                .await?;
                match existing {
                    None => {
                        sqlx::query(
                            "INSERT INTO dev_findings (repository_id, fingerprint, tool, rule_id, rule_name, severity, message, location, help_uri, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
                        )
                        .bind(repository_id)
                        .bind(&f.fingerprint)
                        .bind(&f.tool)
                        .bind(&f.rule_id)
                        .bind(&f.rule_name)
                        .bind(&f.severity)
                        .bind(&f.message)
                        .bind(&f.location)
                        .bind(&f.help_uri)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        counts.added += 1;
                    }
                    Some(old) if old == (f.severity.clone(), f.message.clone(), f.location.clone(), f.rule_name.clone()) => {
                        counts.unchanged += 1;
                    }
                    Some(_) => {
                        sqlx::query(
                            "UPDATE dev_findings SET severity = $1, message = $2, location = $3, rule_name = $4, help_uri = $5, updated_at = $6 \
                             WHERE repository_id = $7 AND fingerprint = $8",
                        )
                        .bind(&f.severity)
                        .bind(&f.message)
                        .bind(&f.location)
                        .bind(&f.rule_name)
                        .bind(&f.help_uri)
                        .bind(now)
                        .bind(repository_id)
                        .bind(&f.fingerprint)
                        .execute(&mut *tx)
                        .await?;
                        counts.updated += 1;
                    }
                }
            }
            let after = serde_json::json!({"added": counts.added, "updated": counts.updated, "unchanged": counts.unchanged}).to_string();
            audit_on!(&mut *tx, now, actor, "code.findings.import", &format!("repository/{repository_id}"), None, Some(after));
            counts
        });
        Ok(counts)
    }

    /// A repository's findings (every repository's when `None`), newest first.
    pub async fn findings(&self, repository_id: Option<i64>) -> Result<Vec<Finding>> {
        // Two statements, not `$1 IS NULL OR repository_id = $1`, which no index serves.
        let rows = with_pool!(self, pool => match repository_id {
            Some(id) => sqlx::query_as(&format!(
                "SELECT {FINDING_COLUMNS} FROM dev_findings WHERE repository_id = $1 ORDER BY id DESC"
            ))
            .bind(id)
            .fetch_all(pool)
            .await?,
            None => sqlx::query_as(&format!("SELECT {FINDING_COLUMNS} FROM dev_findings ORDER BY id DESC"))
                .fetch_all(pool)
                .await?,
        });
        Ok(rows)
    }

    pub async fn finding(&self, id: i64) -> Result<Finding> {
        let row = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {FINDING_COLUMNS} FROM dev_findings WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(pool)
        .await?);
        Ok(row)
    }

    /// Records the Jira issue made for a finding, and its status as Jira gave it.
    pub async fn set_finding_issue(
        &self,
        id: i64,
        site_id: i64,
        issue_key: &str,
        status: Option<(&str, &str)>,
        actor: &str,
    ) -> Result<()> {
        let now = self.now();
        with_write_tx!(self, tx => {
            sqlx::query(
                "UPDATE dev_findings SET site_id = $1, issue_key = $2, issue_status = $3, issue_status_category = $4, issue_request = NULL, updated_at = $5 WHERE id = $6",
            )
            .bind(site_id)
            .bind(issue_key)
            .bind(status.map(|s| s.0))
            .bind(status.map(|s| s.1))
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            audit_on!(&mut *tx, now, actor, "code.finding.issue", &format!("finding/{id}"), None, Some(issue_key.to_owned()));
        });
        Ok(())
    }

    /// Asks for a Jira issue for a finding (the worker makes it), in the transaction that
    /// enqueues the work; `request` is what the finding shows meanwhile.
    pub async fn request_finding_issue(
        &self,
        id: i64,
        request: &str,
        work: &crate::DevFindingWork,
        actor: &str,
    ) -> Result<()> {
        use crate::outbox::kinds::OutboxWork;
        let now = self.now();
        with_write_tx!(self, tx => {
            sqlx::query("UPDATE dev_findings SET issue_request = $1, updated_at = $2 WHERE id = $3")
                .bind(request)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            crate::outbox::enqueue_on!(&mut *tx, &work.to_item(), now)?;
            audit_on!(&mut *tx, now, actor, "code.finding.issue.request", &format!("finding/{id}"), None, Some(request.to_owned()));
        });
        Ok(())
    }

    /// Records how a finding's issue request stands (`None` once made).
    pub async fn set_finding_request(&self, id: i64, request: Option<&str>) -> Result<()> {
        with_writer!(self, pool => sqlx::query("UPDATE dev_findings SET issue_request = $1 WHERE id = $2")
            .bind(request)
            .bind(id)
            .execute(pool)
            .await
            .map(drop)?);
        Ok(())
    }

    /// Refreshes the status a finding's issue has in Jira.
    pub async fn set_finding_issue_status(
        &self,
        id: i64,
        status: &str,
        category: &str,
    ) -> Result<()> {
        with_writer!(self, pool => sqlx::query(
            "UPDATE dev_findings SET issue_status = $1, issue_status_category = $2 WHERE id = $3"
        )
        .bind(status)
        .bind(category)
        .bind(id)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }
}
