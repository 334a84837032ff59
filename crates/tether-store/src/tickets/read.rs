//! Reading ingested tickets back, for the Tickets page and the API: a list with simple
//! filters, one ticket, its history, comments and worklogs, with the names of what they refer
//! to (status and its category, type and its assigned category, people, sprints).

use sqlx::QueryBuilder;

use crate::{Backend, Result, Store, with_pool};

/// A ticket with the names of what it refers to.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TicketRow {
    pub site_id: i64,
    pub id: String,
    pub key: String,
    pub project_id: String,
    pub project_key: Option<String>,
    pub summary: String,
    pub description: Option<String>,
    pub status: Option<String>,
    /// `new`, `indeterminate` or `done`.
    pub status_category: Option<String>,
    pub issue_type: Option<String>,
    /// The type's ticket category in its project (`story`, `bug`, …).
    pub category: Option<String>,
    pub priority: Option<String>,
    pub resolution: Option<String>,
    pub assignee: Option<String>,
    pub reporter: Option<String>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
    pub resolved_at: Option<i64>,
    /// JSON list.
    pub labels: String,
    pub story_points: Option<f64>,
    pub parent_key: Option<String>,
    pub epic_key: Option<String>,
    /// Custom fields with their names (JSON object).
    pub custom: String,
}

/// Which tickets to list; every filter left `None` matches all.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub site_id: Option<i64>,
    /// A Jira project id or key.
    pub project: Option<String>,
    /// `new`, `indeterminate` or `done`.
    pub status_category: Option<String>,
    /// A ticket category (`story`, `bug`, …).
    pub category: Option<String>,
    /// Words in the key, summary or description.
    pub text: Option<String>,
    /// An assignee's display name, name or email.
    pub assignee: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// One item of a ticket's history, with its author's name.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HistoryRow {
    pub history_id: String,
    pub item: i64,
    pub at: Option<i64>,
    pub author: Option<String>,
    pub field: String,
    pub from_string: Option<String>,
    pub to_string: Option<String>,
}

/// A comment or worklog with its author's name.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NoteRow {
    pub id: String,
    pub author: Option<String>,
    /// The comment's text, or the worklog's comment.
    pub text: Option<String>,
    pub at: Option<i64>,
    /// Worklogs: seconds spent.
    pub seconds: Option<i64>,
}

/// The ticket `t` with what it refers to: `p` its project, `s` its status, `it` its type, `a`
/// its type assignment, `pr` its priority, `r` its resolution, `ua`/`ur` its assignee and
/// reporter (the search compiler's conditions use these aliases).
macro_rules! ticket_joins {
    () => {
        "FROM tickets t LEFT JOIN ticket_projects p ON p.site_id = t.site_id AND p.id = t.project_id LEFT JOIN ticket_statuses s ON s.site_id = t.site_id AND s.id = t.status_id LEFT JOIN ticket_issue_types it ON it.site_id = t.site_id AND it.id = t.issue_type_id LEFT JOIN ticket_type_assignments a ON a.site_id = t.site_id AND a.project_id = t.project_id AND a.issue_type_id = t.issue_type_id LEFT JOIN ticket_priorities pr ON pr.site_id = t.site_id AND pr.id = t.priority_id LEFT JOIN ticket_resolutions r ON r.site_id = t.site_id AND r.id = t.resolution_id LEFT JOIN ticket_users ua ON ua.site_id = t.site_id AND ua.id = t.assignee_id LEFT JOIN ticket_users ur ON ur.site_id = t.site_id AND ur.id = t.reporter_id"
    };
}
pub(crate) use ticket_joins;

pub(crate) const SELECT: &str = concat!(
    "SELECT t.site_id, t.id, t.key, t.project_id, p.key AS project_key, t.summary, \
    t.description, s.name AS status, s.category_key AS status_category, it.name AS issue_type, \
    a.category, pr.name AS priority, r.name AS resolution, ua.display_name AS assignee, \
    ur.display_name AS reporter, t.created_at, t.updated_at, t.resolved_at, t.labels, \
    t.story_points, t.parent_key, t.epic_key, t.custom ",
    ticket_joins!()
);

impl Store {
    /// Tickets matching `f`, most recently updated first.
    pub async fn list_tickets(&self, f: &TicketFilter) -> Result<Vec<TicketRow>> {
        let like = match self.backend {
            Backend::Sqlite(..) => "LIKE",
            Backend::Postgres(_) => "ILIKE",
        };
        let rows = with_pool!(self, pool => {
            let mut q = QueryBuilder::new(SELECT);
            q.push(" WHERE 1 = 1");
            if let Some(site) = f.site_id {
                q.push(" AND t.site_id = ").push_bind(site);
            }
            if let Some(p) = &f.project {
                q.push(" AND (t.project_id = ").push_bind(p.clone()).push(" OR p.key = ").push_bind(p.clone()).push(")");
            }
            if let Some(c) = &f.status_category {
                q.push(" AND s.category_key = ").push_bind(c.clone());
            }
            if let Some(c) = &f.category {
                q.push(" AND a.category = ").push_bind(c.clone());
            }
            if let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                let pattern = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
                q.push(format!(" AND (t.key {like} ")).push_bind(pattern.clone());
                q.push(format!(" ESCAPE '\\' OR t.summary {like} ")).push_bind(pattern.clone());
                q.push(format!(" ESCAPE '\\' OR t.description {like} ")).push_bind(pattern);
                q.push(" ESCAPE '\\')");
            }
            if let Some(a) = f.assignee.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
                q.push(" AND (ua.display_name = ").push_bind(a.to_owned());
                q.push(" OR ua.name = ").push_bind(a.to_owned());
                q.push(" OR ua.email = ").push_bind(a.to_owned()).push(")");
            }
            q.push(" ORDER BY t.updated_at DESC, t.id DESC LIMIT ").push_bind(f.limit.clamp(1, 500));
            q.push(" OFFSET ").push_bind(f.offset.max(0));
            q.build_query_as::<TicketRow>().fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// One ticket of a site, by key (an old key of a moved ticket is not one) or Jira id.
    pub async fn ticket(&self, site_id: i64, key_or_id: &str) -> Result<Option<TicketRow>> {
        let sql = format!("{SELECT} WHERE t.site_id = $1 AND (t.key = $2 OR t.id = $2) LIMIT 1");
        let row = with_pool!(self, pool => sqlx::query_as(&sql)
            .bind(site_id)
            .bind(key_or_id)
            .fetch_optional(pool)
            .await?);
        Ok(row)
    }

    /// A ticket's complete history, oldest first.
    pub async fn ticket_history(&self, site_id: i64, issue_id: &str) -> Result<Vec<HistoryRow>> {
        let rows = with_pool!(self, pool => sqlx::query_as(
            "SELECT c.history_id, c.item, c.at, u.display_name AS author, c.field, c.from_string, c.to_string \
             FROM ticket_changes c LEFT JOIN ticket_users u ON u.site_id = c.site_id AND u.id = c.author_id \
             WHERE c.site_id = $1 AND c.issue_id = $2 ORDER BY c.at, c.history_id, c.item"
        )
        .bind(site_id)
        .bind(issue_id)
        .fetch_all(pool)
        .await?);
        Ok(rows)
    }

    /// A ticket's comments, oldest first.
    pub async fn ticket_comments(&self, site_id: i64, issue_id: &str) -> Result<Vec<NoteRow>> {
        let rows = with_pool!(self, pool => sqlx::query_as(
            "SELECT c.id, u.display_name AS author, c.body AS text, c.created_at AS at, CAST(NULL AS BIGINT) AS seconds \
             FROM ticket_comments c LEFT JOIN ticket_users u ON u.site_id = c.site_id AND u.id = c.author_id \
             WHERE c.site_id = $1 AND c.issue_id = $2 ORDER BY c.created_at, c.id"
        )
        .bind(site_id)
        .bind(issue_id)
        .fetch_all(pool)
        .await?);
        Ok(rows)
    }

    /// A ticket's worklogs, by when the work started.
    pub async fn ticket_worklogs(&self, site_id: i64, issue_id: &str) -> Result<Vec<NoteRow>> {
        let rows = with_pool!(self, pool => sqlx::query_as(
            "SELECT w.id, u.display_name AS author, w.comment AS text, w.started_at AS at, w.seconds \
             FROM ticket_worklogs w LEFT JOIN ticket_users u ON u.site_id = w.site_id AND u.id = w.author_id \
             WHERE w.site_id = $1 AND w.issue_id = $2 ORDER BY w.started_at, w.id"
        )
        .bind(site_id)
        .bind(issue_id)
        .fetch_all(pool)
        .await?);
        Ok(rows)
    }

    /// The names of the sprints a ticket is or was in, by start.
    pub async fn ticket_sprints(&self, site_id: i64, issue_id: &str) -> Result<Vec<String>> {
        let rows = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT s.name FROM ticket_sprint_issues m JOIN ticket_sprints s ON s.site_id = m.site_id AND s.id = m.sprint_id \
             WHERE m.site_id = $1 AND m.issue_id = $2 ORDER BY s.start_at, s.id"
        )
        .bind(site_id)
        .bind(issue_id)
        .fetch_all(pool)
        .await?);
        Ok(rows)
    }
}
