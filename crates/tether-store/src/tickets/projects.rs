//! The projects a site's ingestion discovered (`ticket_projects`): their type, whether Jira
//! still shows them, their import switch (off by default, on for processable projects while
//! auto-import is on) and what a pass last did; removing one project's data.

use crate::audit::audit_on;
use crate::{Result, Store, StoreError, with_pool, with_write_tx, with_writer};

/// Project types whose tickets are ingested: Jira Software and Jira Work Management. Service
/// Management projects (`service_desk`) are listed, never processed.
pub const PROCESSABLE_TYPES: [&str; 2] = ["software", "business"];

/// A project as discovery found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredProject {
    pub id: String,
    pub key: String,
    pub name: String,
    pub type_key: Option<String>,
    pub category: Option<String>,
    pub team_managed: bool,
    pub can_browse: bool,
    pub can_create: bool,
}

/// A discovered project with its switch and the state of its passes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TicketProject {
    pub site_id: i64,
    pub id: String,
    pub key: String,
    pub name: String,
    pub type_key: Option<String>,
    pub category: Option<String>,
    pub team_managed: bool,
    /// Whether the last discovery saw it.
    pub present: bool,
    pub imported: bool,
    pub can_browse: bool,
    pub can_create: bool,
    pub discovered_at: i64,
    /// What incremental passes search from (Jira's epoch ms, look-back taken off); `None`
    /// before the first full pass has finished.
    pub cursor_ms: Option<i64>,
    /// The running pass: when it started (Jira's clock), its floor and its checkpoint (the
    /// last issue key written), its expected and written issue counts.
    pub pass_started_ms: Option<i64>,
    pub pass_from_ms: Option<i64>,
    pub checkpoint: Option<String>,
    pub pass_total: Option<i64>,
    pub pass_done: i64,
    pub last_pass_started_at: Option<i64>,
    pub last_pass_finished_at: Option<i64>,
    pub last_pass_issues: Option<i64>,
    pub reconciled_at: Option<i64>,
    pub next_due_at: i64,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<i64>,
    pub failures: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
}

impl TicketProject {
    /// Whether its tickets can be ingested at all (Software and Work Management projects).
    pub fn processable(&self) -> bool {
        self.type_key.as_deref().is_some_and(|t| PROCESSABLE_TYPES.contains(&t))
    }

    /// Whether a pass is under way (started and not finished).
    pub fn in_pass(&self) -> bool {
        self.pass_started_ms.is_some()
    }
}

pub(crate) const PROJECT_COLUMNS: &str = "site_id, id, key, name, type_key, category, team_managed, \
    present, imported, can_browse, can_create, discovered_at, cursor_ms, pass_started_ms, pass_from_ms, \
    checkpoint, pass_total, pass_done, last_pass_started_at, last_pass_finished_at, last_pass_issues, \
    reconciled_at, next_due_at, claimed_by, claimed_until, failures, last_error, last_error_at";

impl Store {
    /// Records what discovery found: new projects are added (imported at once when the site
    /// auto-imports and they are processable), known ones updated, and those Jira no longer
    /// shows marked absent (their data stays). Clears the site's refresh request.
    pub async fn record_ticket_projects(
        &self,
        site_id: i64,
        found: &[DiscoveredProject],
    ) -> Result<Vec<TicketProject>> {
        let now = self.now();
        with_write_tx!(self, tx => {
            let auto: Option<bool> = sqlx::query_scalar(
                "SELECT auto_import FROM ticket_connections WHERE site_id = $1",
            )
            .bind(site_id)
            .fetch_optional(&mut *tx)
            .await?;
            let auto = auto.ok_or(StoreError::NotFound)?;
            sqlx::query("UPDATE ticket_projects SET present = $1 WHERE site_id = $2")
                .bind(false)
                .bind(site_id)
                .execute(&mut *tx)
                .await?;
            for p in found {
                let processable =
                    p.type_key.as_deref().is_some_and(|t| PROCESSABLE_TYPES.contains(&t));
                sqlx::query(
                    "INSERT INTO ticket_projects (site_id, id, key, name, type_key, category, team_managed, present, \
                     imported, can_browse, can_create, discovered_at, next_due_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
                     ON CONFLICT (site_id, id) DO UPDATE SET key = excluded.key, name = excluded.name, \
                     type_key = excluded.type_key, category = excluded.category, team_managed = excluded.team_managed, \
                     present = excluded.present, can_browse = excluded.can_browse, can_create = excluded.can_create, \
                     imported = (ticket_projects.imported OR excluded.imported)",
                )
                .bind(site_id)
                .bind(&p.id)
                .bind(&p.key)
                .bind(&p.name)
                .bind(&p.type_key)
                .bind(&p.category)
                .bind(p.team_managed)
                .bind(true)
                .bind(auto && processable)
                .bind(p.can_browse)
                .bind(p.can_create)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query("UPDATE ticket_connections SET refresh_requested = $1 WHERE site_id = $2")
                .bind(false)
                .bind(site_id)
                .execute(&mut *tx)
                .await?;
        });
        self.ticket_projects(site_id).await
    }

    /// A site's projects, by key.
    pub async fn ticket_projects(&self, site_id: i64) -> Result<Vec<TicketProject>> {
        let rows = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {PROJECT_COLUMNS} FROM ticket_projects WHERE site_id = $1 ORDER BY key, id"
        ))
        .bind(site_id)
        .fetch_all(pool)
        .await?);
        Ok(rows)
    }

    /// One project, by its Jira id or key.
    pub async fn ticket_project(&self, site_id: i64, id_or_key: &str) -> Result<TicketProject> {
        let row = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {PROJECT_COLUMNS} FROM ticket_projects WHERE site_id = $1 AND (id = $2 OR key = $2) \
             ORDER BY present DESC LIMIT 1"
        ))
        .bind(site_id)
        .bind(id_or_key)
        .fetch_one(pool)
        .await?);
        Ok(row)
    }

    /// Turns a project's import on (due at once) or off (its data stays until
    /// [`Store::remove_ticket_project_data`]). Service Management projects cannot be imported.
    pub async fn set_ticket_import(
        &self,
        site_id: i64,
        project_id: &str,
        on: bool,
        actor: &str,
    ) -> Result<TicketProject> {
        let site = self.jira_site(site_id).await?;
        let project = self.ticket_project(site_id, project_id).await?;
        if on && !project.processable() {
            return Err(StoreError::Refused(format!(
                "project {} is a {} project; only Jira Software and Jira Work Management projects \
                 are processed",
                project.key,
                match project.type_key.as_deref() {
                    Some("service_desk") => "Jira Service Management",
                    Some(other) => other,
                    None => "project of unknown type",
                }
            )));
        }
        let now = self.now();
        with_write_tx!(self, tx => {
            sqlx::query(
                "UPDATE ticket_projects SET imported = $1, next_due_at = $2 WHERE site_id = $3 AND id = $4",
            )
            .bind(on)
            .bind(now)
            .bind(site_id)
            .bind(&project.id)
            .execute(&mut *tx)
            .await?;
            let after = serde_json::json!({"project": project.key, "import": on}).to_string();
            audit_on!(&mut *tx, now, actor, "tickets.import", &format!("integration/{}", site.name), None, Some(after));
        });
        self.ticket_project(site_id, &project.id).await
    }

    /// Makes every imported project of a site (or the one named by id or key) due now;
    /// returns how many.
    pub async fn ticket_run_now(&self, site_id: i64, project: Option<&str>) -> Result<u64> {
        let id = match project {
            Some(p) => Some(self.ticket_project(site_id, p).await?.id),
            None => None,
        };
        let n = with_writer!(self, pool => sqlx::query(
            "UPDATE ticket_projects SET next_due_at = $1 WHERE site_id = $2 AND imported AND ($3 IS NULL OR id = $3)"
        )
        .bind(self.now())
        .bind(site_id)
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(n)
    }

    /// Deletes everything ingested from one project (tickets and all that hangs on them) and
    /// starts it over: its next pass, if it is imported, is a full one. Returns the number of
    /// tickets removed.
    pub async fn remove_ticket_project_data(
        &self,
        site_id: i64,
        project_id: &str,
        actor: &str,
    ) -> Result<u64> {
        let site = self.jira_site(site_id).await?;
        let project = self.ticket_project(site_id, project_id).await?;
        let now = self.now();
        let removed = with_write_tx!(self, tx => {
            for table in super::ISSUE_CHILD_TABLES {
                sqlx::query(&format!(
                    "DELETE FROM {table} WHERE site_id = $1 AND issue_id IN \
                     (SELECT id FROM tickets WHERE site_id = $1 AND project_id = $2)"
                ))
                .bind(site_id)
                .bind(&project.id)
                .execute(&mut *tx)
                .await?;
            }
            let n = sqlx::query("DELETE FROM tickets WHERE site_id = $1 AND project_id = $2")
                .bind(site_id)
                .bind(&project.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            for table in ["ticket_boards", "ticket_type_assignments"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE site_id = $1 AND project_id = $2"))
                    .bind(site_id)
                    .bind(&project.id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "UPDATE ticket_projects SET cursor_ms = NULL, pass_started_ms = NULL, pass_from_ms = NULL, \
                 checkpoint = NULL, pass_total = NULL, pass_done = 0, last_pass_started_at = NULL, \
                 last_pass_finished_at = NULL, last_pass_issues = NULL, reconciled_at = NULL, \
                 next_due_at = $1, failures = 0, last_error = NULL, last_error_at = NULL \
                 WHERE site_id = $2 AND id = $3",
            )
            .bind(now)
            .bind(site_id)
            .bind(&project.id)
            .execute(&mut *tx)
            .await?;
            let after = serde_json::json!({"project": project.key, "tickets": n}).to_string();
            audit_on!(&mut *tx, now, actor, "tickets.remove_data", &format!("integration/{}", site.name), None, Some(after));
            n
        });
        Ok(removed)
    }
}
