//! A site's catalogues as ingestion read them (`ticket_statuses` with their categories,
//! `ticket_priorities`, `ticket_resolutions`, `ticket_fields`), a project's boards
//! (`ticket_boards`), and the bookkeeping of deleted and moved issues: the ids a project
//! holds, and removing tickets with everything hanging on them.

use sqlx::QueryBuilder;

use super::ISSUE_CHILD_TABLES;
use super::pages::{NewSprint, PageRows};
use crate::{Result, Store, with_pool, with_write_tx};

/// A status and its category (`new`, `indeterminate`, `done`).
#[derive(Debug, Clone, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct TicketStatus {
    pub id: String,
    pub name: String,
    pub category_key: Option<String>,
    pub category_name: Option<String>,
}

/// A field of the site: its id, name, and for custom fields their schema.
#[derive(Debug, Clone, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct TicketField {
    pub id: String,
    pub name: String,
    pub custom: bool,
    pub schema_type: Option<String>,
    pub schema_custom: Option<String>,
}

/// A board of a project.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TicketBoard {
    pub id: i64,
    pub name: String,
    /// `scrum` or `kanban`.
    pub kind: Option<String>,
}

/// Everything the site's catalogues say, written at once.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SiteCatalogue {
    pub statuses: Vec<TicketStatus>,
    /// (id, name).
    pub priorities: Vec<(String, String)>,
    pub resolutions: Vec<(String, String)>,
    pub fields: Vec<TicketField>,
}

impl Store {
    /// Writes a site's catalogues (entries Jira no longer lists stay: old tickets name them).
    pub async fn put_ticket_catalogue(&self, site_id: i64, c: &SiteCatalogue) -> Result<()> {
        with_write_tx!(self, tx => {
            for s in &c.statuses {
                sqlx::query(
                    "INSERT INTO ticket_statuses (site_id, id, name, category_key, category_name) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (site_id, id) DO UPDATE SET name = excluded.name, category_key = excluded.category_key, \
                     category_name = excluded.category_name",
                )
                .bind(site_id)
                .bind(&s.id)
                .bind(&s.name)
                .bind(&s.category_key)
                .bind(&s.category_name)
                .execute(&mut *tx)
                .await?;
            }
            for (table, list) in [("ticket_priorities", &c.priorities), ("ticket_resolutions", &c.resolutions)] {
                for (id, name) in list {
                    sqlx::query(&format!(
                        "INSERT INTO {table} (site_id, id, name) VALUES ($1, $2, $3) \
                         ON CONFLICT (site_id, id) DO UPDATE SET name = excluded.name"
                    ))
                    .bind(site_id)
                    .bind(id)
                    .bind(name)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            for f in &c.fields {
                sqlx::query(
                    "INSERT INTO ticket_fields (site_id, id, name, custom, schema_type, schema_custom) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (site_id, id) DO UPDATE SET name = excluded.name, custom = excluded.custom, \
                     schema_type = excluded.schema_type, schema_custom = excluded.schema_custom",
                )
                .bind(site_id)
                .bind(&f.id)
                .bind(&f.name)
                .bind(f.custom)
                .bind(&f.schema_type)
                .bind(&f.schema_custom)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }

    pub async fn ticket_fields(&self, site_id: i64) -> Result<Vec<TicketField>> {
        let rows = with_pool!(self, pool => sqlx::query_as(
            "SELECT id, name, custom, schema_type, schema_custom FROM ticket_fields WHERE site_id = $1 ORDER BY id"
        )
        .bind(site_id)
        .fetch_all(pool)
        .await?);
        Ok(rows)
    }

    pub async fn ticket_statuses(&self, site_id: i64) -> Result<Vec<TicketStatus>> {
        let rows = with_pool!(self, pool => sqlx::query_as(
            "SELECT id, name, category_key, category_name FROM ticket_statuses WHERE site_id = $1 ORDER BY name, id"
        )
        .bind(site_id)
        .fetch_all(pool)
        .await?);
        Ok(rows)
    }

    /// Writes a project's boards and their sprints (a board Jira no longer lists is dropped).
    pub async fn put_ticket_boards(
        &self,
        site_id: i64,
        project_id: &str,
        boards: &[TicketBoard],
        sprints: &[NewSprint],
    ) -> Result<()> {
        with_write_tx!(self, tx => {
            sqlx::query("DELETE FROM ticket_boards WHERE site_id = $1 AND project_id = $2")
                .bind(site_id)
                .bind(project_id)
                .execute(&mut *tx)
                .await?;
            for b in boards {
                sqlx::query("INSERT INTO ticket_boards (site_id, project_id, id, name, type) VALUES ($1, $2, $3, $4, $5)")
                    .bind(site_id)
                    .bind(project_id)
                    .bind(b.id)
                    .bind(&b.name)
                    .bind(&b.kind)
                    .execute(&mut *tx)
                    .await?;
            }
            PageRows::write_sprints(&mut *tx, site_id, sprints).await?;
        });
        Ok(())
    }

    /// The Jira issue ids of a project's stored tickets.
    pub async fn ticket_ids(&self, site_id: i64, project_id: &str) -> Result<Vec<String>> {
        let ids = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT id FROM tickets WHERE site_id = $1 AND project_id = $2 ORDER BY id"
        )
        .bind(site_id)
        .bind(project_id)
        .fetch_all(pool)
        .await?);
        Ok(ids)
    }

    /// Deletes tickets (by Jira issue id) with their history, comments, worklogs, remote
    /// links and sprint memberships. Returns how many tickets went.
    pub async fn delete_tickets(&self, site_id: i64, ids: &[String]) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let n = with_write_tx!(self, tx => {
            let mut n = 0;
            for chunk in ids.chunks(500) {
                for table in ISSUE_CHILD_TABLES.iter().chain(&["tickets"]) {
                    let column = if *table == "tickets" { "id" } else { "issue_id" };
                    let mut q = QueryBuilder::new(format!("DELETE FROM {table} WHERE site_id = "));
                    q.push_bind(site_id).push(format!(" AND {column} IN ("));
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(id);
                    }
                    q.push(")");
                    let done = q.build().execute(&mut *tx).await?.rows_affected();
                    if *table == "tickets" {
                        n += done;
                    }
                }
            }
            n
        });
        Ok(n)
    }
}
