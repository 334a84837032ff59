//! Project tracking: which Jira site a project tracks, and which of its
//! environments (and which primary one) Jira is shown. Changing the site hands
//! every flag the old and new sites know to the worker.

use crate::audit::audit_on;
use crate::jira::jira_enqueue_on;
use crate::{EnvKind, Result, Store, StoreError, with_pool, with_write_tx};

/// Which site a project reports to and which of its environments Jira sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectJira {
    pub project: String,
    pub site_id: i64,
    /// As configured; `None` means "the production-type environments".
    pub environments: Option<Vec<String>>,
    /// As configured; `None` means "the project's primary if tracked, else the first tracked".
    pub primary: Option<String>,
    /// Resolved: the tracked environment keys, in the project's order.
    pub tracked: Vec<String>,
    /// Resolved: the primary tracked environment.
    pub primary_env: String,
    pub version: i64,
    pub updated_at: i64,
}

/// site_id, environments, primary_env, version, updated_at
type ProjectJiraRow = (i64, Option<String>, Option<String>, i64, i64);

/// The tracked environments and the primary one, resolved against the project's environments.
fn resolve_tracking(
    envs: &[crate::Environment],
    configured: Option<&[String]>,
    primary: Option<&str>,
) -> (Vec<String>, String) {
    let tracked: Vec<String> = match configured {
        Some(keys) => {
            envs.iter().filter(|e| keys.contains(&e.key)).map(|e| e.key.clone()).collect()
        }
        None => {
            let prod: Vec<String> = envs
                .iter()
                .filter(|e| e.kind == EnvKind::Production)
                .map(|e| e.key.clone())
                .collect();
            if prod.is_empty() {
                envs.iter().filter(|e| e.primary).map(|e| e.key.clone()).collect()
            } else {
                prod
            }
        }
    };
    let primary = primary
        .filter(|p| tracked.iter().any(|t| t == p))
        .map(str::to_owned)
        .or_else(|| {
            envs.iter().find(|e| e.primary && tracked.contains(&e.key)).map(|e| e.key.clone())
        })
        .or_else(|| tracked.first().cloned())
        .unwrap_or_default();
    (tracked, primary)
}

impl Store {
    /// Points a project at a site and chooses its tracked environments.
    /// Changing the site enqueues a sync of every linked flag; changing only
    /// the environments does not (links show what they were pushed with until
    /// the flag next changes).
    pub async fn set_project_jira(
        &self,
        project: &str,
        site_id: i64,
        environments: Option<&[String]>,
        primary: Option<&str>,
        expected: Option<i64>,
        actor: &str,
    ) -> Result<ProjectJira> {
        let p = self.project(project).await?;
        self.jira_site(site_id).await?;
        if let Some(envs) = environments {
            if envs.is_empty() {
                return Err(StoreError::Invalid(
                    "environments: track at least one environment".into(),
                ));
            }
            for (i, e) in envs.iter().enumerate() {
                if !p.environments.iter().any(|pe| &pe.key == e) {
                    return Err(StoreError::Invalid(format!(
                        "environments[{i}]: project {project:?} has no environment {e:?}"
                    )));
                }
            }
        }
        let (tracked, _) = resolve_tracking(&p.environments, environments, None);
        if let Some(primary) = primary
            && !tracked.iter().any(|t| t == primary)
        {
            return Err(StoreError::Invalid(format!(
                "primary_environment: {primary:?} is not a tracked environment"
            )));
        }
        let now = self.now();
        let envs_json = environments.map(|e| serde_json::to_string(e).expect("strings serialise"));
        let lock = self.for_update();
        with_write_tx!(self, tx => {
            let current: Option<(i64, i64)> = sqlx::query_as(&format!(
                "SELECT site_id, version FROM project_jira WHERE project_id = $1{lock}"
            ))
            .bind(p.id)
            .fetch_optional(&mut *tx)
            .await?;
            if let (Some(expected), Some((_, version))) = (expected, current)
                && expected != version
            {
                return Err(StoreError::VersionMismatch { expected, current: version });
            }
            sqlx::query(
                "INSERT INTO project_jira (project_id, site_id, environments, primary_env, version, updated_at) \
                 VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (project_id) DO UPDATE SET \
                 site_id = $2, environments = $3, primary_env = $4, version = project_jira.version + 1, updated_at = $5",
            )
            .bind(p.id)
            .bind(site_id)
            .bind(&envs_json)
            .bind(primary)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let after = serde_json::json!({"site_id": site_id, "environments": environments, "primary_environment": primary}).to_string();
            audit_on!(&mut *tx, now, actor, "project.jira.update", &format!("proj/{project}"), None, Some(after));
            let site_changed = current.map(|(s, _)| s) != Some(site_id);
            if site_changed {
                let flags: Vec<String> = sqlx::query_scalar(
                    "SELECT DISTINCT flag_key FROM flag_issue_links WHERE project_id = $1 ORDER BY flag_key",
                )
                .bind(p.id)
                .fetch_all(&mut *tx)
                .await?;
                for f in &flags {
                    jira_enqueue_on!(&mut *tx, p.id, site_id, project, f, now, true);
                }
                if let Some((old_site, _)) = current {
                    // The old site must drop what it was sent.
                    let known: Vec<String> = sqlx::query_scalar(
                        "SELECT flag_key FROM jira_flag_sync WHERE site_id = $1 AND project = $2 ORDER BY flag_key",
                    )
                    .bind(old_site)
                    .bind(project)
                    .fetch_all(&mut *tx)
                    .await?;
                    for f in &known {
                        jira_enqueue_on!(&mut *tx, p.id, old_site, project, f, now, true);
                    }
                }
            }
        });
        self.project_jira(project).await?.ok_or(StoreError::NotFound)
    }

    /// Stops a project reporting to Jira (what was sent stays there until a
    /// sync of each flag, which this enqueues, removes it).
    pub async fn clear_project_jira(&self, project: &str, actor: &str) -> Result<bool> {
        let p = self.project(project).await?;
        let now = self.now();
        let done = with_write_tx!(self, tx => {
            let site: Option<i64> = sqlx::query_scalar("DELETE FROM project_jira WHERE project_id = $1 RETURNING site_id")
                .bind(p.id)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(site_id) = site {
                let known: Vec<String> = sqlx::query_scalar(
                    "SELECT flag_key FROM jira_flag_sync WHERE site_id = $1 AND project = $2 ORDER BY flag_key",
                )
                .bind(site_id)
                .bind(project)
                .fetch_all(&mut *tx)
                .await?;
                for f in &known {
                    jira_enqueue_on!(&mut *tx, p.id, site_id, project, f, now, true);
                }
                audit_on!(&mut *tx, now, actor, "project.jira.delete", &format!("proj/{project}"), None, None);
            }
            site.is_some()
        });
        Ok(done)
    }

    /// The project's Jira settings, resolved; `None` when it reports to no site.
    pub async fn project_jira(&self, project: &str) -> Result<Option<ProjectJira>> {
        let p = self.project(project).await?;
        let row: Option<ProjectJiraRow> = with_pool!(self, pool => sqlx::query_as(
            "SELECT site_id, environments, primary_env, version, updated_at FROM project_jira WHERE project_id = $1"
        )
        .bind(p.id)
        .fetch_optional(pool)
        .await?);
        let Some((site_id, envs, primary, version, updated_at)) = row else { return Ok(None) };
        let environments: Option<Vec<String>> = envs
            .map(|e| serde_json::from_str(&e))
            .transpose()
            .map_err(|e| StoreError::Damaged(format!("project_jira.environments: {e}")))?;
        let (tracked, primary_env) =
            resolve_tracking(&p.environments, environments.as_deref(), primary.as_deref());
        Ok(Some(ProjectJira {
            project: project.to_owned(),
            site_id,
            environments,
            primary,
            tracked,
            primary_env,
            version,
            updated_at,
        }))
    }
}
