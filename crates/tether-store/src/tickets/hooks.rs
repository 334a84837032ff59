//! What Jira's webhooks told (`ticket_hook_events`), kept for the ingester, which acts on it
//! before polling would find it (polling stays the source of truth); and checksums of a site's
//! ingested rows, to compare two databases that ingested the same Jira.

use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};

use crate::{Result, Store, with_pool, with_write_tx, with_writer};

/// One event a Jira webhook delivered.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TicketHookEvent {
    pub id: i64,
    /// `jira:issue_created`, `jira:issue_updated`, `jira:issue_deleted`, `comment_created`, …
    pub event: String,
    pub issue_id: Option<String>,
    pub issue_key: Option<String>,
    pub project_id: Option<String>,
    pub received_at: i64,
}

/// Each table of ingested data with the columns its checksum covers (everything but the site
/// and the ingester's own bookkeeping), in key order.
const CHECKSUMMED: &[(&str, &str, &str)] = &[
    (
        "ticket_projects",
        "id, key, name, type_key, category, team_managed, present, imported, can_browse, can_create",
        "id",
    ),
    ("ticket_issue_types", "id, name, subtask, hierarchy_level", "id"),
    (
        "ticket_type_assignments",
        "project_id, issue_type_id, category, edited",
        "project_id, issue_type_id",
    ),
    ("ticket_statuses", "id, name, category_key, category_name", "id"),
    ("ticket_priorities", "id, name", "id"),
    ("ticket_resolutions", "id, name", "id"),
    ("ticket_fields", "id, name, custom, schema_type, schema_custom", "id"),
    ("ticket_users", "id, name, display_name, email, time_zone, active", "id"),
    ("ticket_boards", "project_id, id, name, type", "project_id, id"),
    ("ticket_sprints", "id, board_id, name, state, goal, start_at, end_at, complete_at", "id"),
    (
        "tickets",
        "id, key, project_id, summary, description, description_raw, issue_type_id, status_id, \
         priority_id, resolution_id, resolved_at, created_at, updated_at, due_date, assignee_id, \
         reporter_id, creator_id, labels, components, fix_versions, parent_id, parent_key, epic_key, \
         story_points, fields, custom",
        "id",
    ),
    (
        "ticket_changes",
        "issue_id, history_id, item, author_id, at, field, field_id, fieldtype, from_value, \
         from_string, to_value, to_string",
        "history_id, item",
    ),
    ("ticket_comments", "id, issue_id, author_id, body, body_raw, created_at, updated_at", "id"),
    (
        "ticket_worklogs",
        "id, issue_id, author_id, started_at, seconds, comment, created_at, updated_at",
        "id",
    ),
    (
        "ticket_remote_links",
        "issue_id, id, global_id, relationship, application, url, title, summary, resolved",
        "issue_id, id",
    ),
    ("ticket_sprint_issues", "issue_id, sprint_id", "issue_id, sprint_id"),
];

impl Store {
    /// Keeps a webhook's event and makes the issue's project due now.
    pub async fn record_ticket_hook(
        &self,
        site_id: i64,
        event: &str,
        issue_id: Option<&str>,
        issue_key: Option<&str>,
        project_id: Option<&str>,
    ) -> Result<()> {
        let now = self.now();
        with_write_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO ticket_hook_events (site_id, event, issue_id, issue_key, project_id, received_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(site_id)
            .bind(event)
            .bind(issue_id)
            .bind(issue_key)
            .bind(project_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if let Some(p) = project_id {
                sqlx::query(
                    "UPDATE ticket_projects SET next_due_at = $1 WHERE site_id = $2 AND id = $3 AND imported AND next_due_at > $1",
                )
                .bind(now)
                .bind(site_id)
                .bind(p)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }

    /// The events waiting for one project (or with no project), oldest first; they are
    /// deleted once read by [`Store::drop_ticket_hooks`].
    pub async fn ticket_hooks(
        &self,
        site_id: i64,
        project_id: &str,
    ) -> Result<Vec<TicketHookEvent>> {
        let rows = with_pool!(self, pool => sqlx::query_as(
            "SELECT id, event, issue_id, issue_key, project_id, received_at FROM ticket_hook_events \
             WHERE site_id = $1 AND (project_id = $2 OR project_id IS NULL) ORDER BY id LIMIT 1000"
        )
        .bind(site_id)
        .bind(project_id)
        .fetch_all(pool)
        .await?);
        Ok(rows)
    }

    pub async fn drop_ticket_hooks(&self, site_id: i64, up_to_id: i64) -> Result<()> {
        with_writer!(self, pool => sqlx::query("DELETE FROM ticket_hook_events WHERE site_id = $1 AND id <= $2")
            .bind(site_id)
            .bind(up_to_id)
            .execute(pool)
            .await
            .map(drop)?);
        Ok(())
    }

    /// Per table of a site's ingested data: its row count and a SHA-256 over its rows in key
    /// order. Two databases that ingested the same Jira the same way answer the same (within
    /// one backend: each prints values its own way).
    pub async fn ticket_checksums(&self, site_id: i64) -> Result<Vec<(String, i64, String)>> {
        let mut out = Vec::new();
        for (table, columns, order) in CHECKSUMMED {
            let row: Vec<String> = columns
                .split(',')
                .map(|c| format!("COALESCE(CAST({} AS TEXT), '~')", c.trim()))
                .collect();
            let sql = format!(
                "SELECT {} FROM {table} WHERE site_id = $1 ORDER BY {order}",
                row.join(" || '|' || ")
            );
            let (rows, digest) = with_pool!(self, pool => {
                let mut stream = sqlx::query_scalar::<_, String>(&sql).bind(site_id).fetch(pool);
                let mut hash = Sha256::new();
                let mut rows: i64 = 0;
                while let Some(line) = stream.try_next().await? {
                    hash.update(line.as_bytes());
                    hash.update(b"\n");
                    rows += 1;
                }
                (rows, hash.finalize())
            });
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            out.push(((*table).to_owned(), rows, hex));
        }
        Ok(out)
    }
}
