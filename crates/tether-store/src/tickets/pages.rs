//! Writing ingested tickets a page at a time: the tickets with their history, comments,
//! worklogs, remote links and sprint memberships, the people they name and the sprints they
//! are in, and the project's checkpoint, in one transaction that first checks the writer
//! still holds the project's claim. Every write is an upsert, so a page written twice (a
//! pass resumed after a crash) leaves the same rows as once.

mod postgres;
mod sqlite;

use crate::{Result, Store, with_write_tx};

/// One ticket as ingested, in the store's own terms (times are epoch ms).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewTicket {
    /// Jira's issue id.
    pub id: String,
    pub key: String,
    pub project_id: String,
    pub summary: String,
    pub description: Option<String>,
    /// The description as Jira gave it, as JSON text (ADF, or wiki markup as a JSON string).
    pub description_raw: Option<String>,
    pub issue_type_id: Option<String>,
    pub status_id: Option<String>,
    pub priority_id: Option<String>,
    pub resolution_id: Option<String>,
    pub resolved_at: Option<i64>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
    pub due_date: Option<String>,
    pub assignee_id: Option<String>,
    pub reporter_id: Option<String>,
    pub creator_id: Option<String>,
    pub labels: Vec<String>,
    pub components: Vec<String>,
    pub fix_versions: Vec<String>,
    pub parent_id: Option<String>,
    pub parent_key: Option<String>,
    pub epic_key: Option<String>,
    pub story_points: Option<f64>,
    /// Every field as Jira returned it (JSON text).
    pub fields: String,
    /// Custom fields with their names (JSON text).
    pub custom: String,
    /// History items; histories never change, so these are only ever added.
    pub changes: Vec<NewChange>,
    /// `Some` when complete: the ticket's comments become exactly these. `None` leaves them.
    pub comments: Option<Vec<NewComment>>,
    pub worklogs: Option<Vec<NewWorklog>>,
    pub remote_links: Option<Vec<NewRemoteLink>>,
    /// The sprints the sprint field names (always complete).
    pub sprint_ids: Vec<i64>,
}

/// One item of one history entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewChange {
    pub history_id: String,
    /// The item's position in its history entry.
    pub item: i64,
    pub author_id: Option<String>,
    pub at: Option<i64>,
    pub field: String,
    pub field_id: Option<String>,
    pub fieldtype: Option<String>,
    pub from_value: Option<String>,
    pub from_string: Option<String>,
    pub to_value: Option<String>,
    pub to_string: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewComment {
    pub id: String,
    pub author_id: Option<String>,
    pub body: String,
    pub body_raw: Option<String>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewWorklog {
    pub id: String,
    pub author_id: Option<String>,
    pub started_at: Option<i64>,
    pub seconds: Option<i64>,
    pub comment: Option<String>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewRemoteLink {
    pub id: String,
    pub global_id: Option<String>,
    pub relationship: Option<String>,
    pub application: Option<String>,
    pub url: String,
    pub title: String,
    pub summary: Option<String>,
    pub resolved: bool,
}

/// A person tickets name. Email and time zone only where Jira shows them; what was known
/// stays when a later sighting hides it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TicketUser {
    /// accountId on Cloud, the user key on Data Center.
    pub id: String,
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub time_zone: Option<String>,
    pub active: Option<bool>,
}

/// A sprint, from the agile API or from an issue's sprint field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewSprint {
    pub id: i64,
    pub board_id: Option<i64>,
    pub name: String,
    pub state: Option<String>,
    pub goal: Option<String>,
    pub start_at: Option<i64>,
    pub end_at: Option<i64>,
    pub complete_at: Option<i64>,
}

/// What one page writes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TicketPage {
    pub site_id: i64,
    /// The project the page belongs to (whose claim and checkpoint it carries).
    pub project_id: String,
    pub tickets: Vec<NewTicket>,
    pub users: Vec<TicketUser>,
    pub sprints: Vec<NewSprint>,
    /// The statuses, issue types, priorities and resolutions the tickets name, as embedded in
    /// them: added to the site's catalogues when missing (a type also gets its default
    /// assignment in the ticket's project), never overwriting what is known with less.
    pub statuses: Vec<super::catalogue::TicketStatus>,
    pub issue_types: Vec<super::types::TicketIssueType>,
    pub priorities: Vec<(String, String)>,
    pub resolutions: Vec<(String, String)>,
    /// The last key written, for the project's checkpoint; `None` keeps it as it is.
    pub checkpoint: Option<String>,
}

/// How one backend writes a page's rows (people, sprints, tickets and what hangs on them) and
/// their full-text rows, inside the page's transaction: [`sqlite`] with multi-row `INSERT`s,
/// [`postgres`] with one prepared statement per table taking a column of values per parameter.
/// The full-text rows are written once per ticket at the end, not by the row triggers once
/// per ticket, comment and deleted comment (see the migrations `ticket_words_once_per_page`
/// and `ticket_text_once_per_page`).
pub(super) trait PageRows {
    async fn write_rows(&mut self, site: i64, page: &TicketPage) -> Result<()>;

    /// Upserts sprints (a page's, or a project's boards' from [`Store::put_ticket_boards`]).
    async fn write_sprints(&mut self, site: i64, sprints: &[NewSprint]) -> Result<()>;
}

impl TicketPage {
    /// Every history item of the page, with its ticket's id.
    fn changes(&self) -> Vec<(&str, &NewChange)> {
        self.tickets
            .iter()
            .flat_map(|t| t.changes.iter().map(move |c| (t.id.as_str(), c)))
            .collect()
    }

    fn comments(&self) -> Vec<(&str, &NewComment)> {
        self.given(|t| t.comments.as_deref())
    }

    fn worklogs(&self) -> Vec<(&str, &NewWorklog)> {
        self.given(|t| t.worklogs.as_deref())
    }

    fn remote_links(&self) -> Vec<(&str, &NewRemoteLink)> {
        self.given(|t| t.remote_links.as_deref())
    }

    /// The children the tickets were given whole (`Some`), with their ticket's id.
    fn given<'a, T>(
        &'a self,
        f: impl Fn(&'a NewTicket) -> Option<&'a [T]>,
    ) -> Vec<(&'a str, &'a T)> {
        self.tickets
            .iter()
            .flat_map(|t| f(t).into_iter().flatten().map(move |c| (t.id.as_str(), c)))
            .collect()
    }

    fn sprint_memberships(&self) -> Vec<(&str, i64)> {
        self.tickets
            .iter()
            .flat_map(|t| t.sprint_ids.iter().map(move |s| (t.id.as_str(), *s)))
            .collect()
    }

    /// The child tables whose rows for these tickets the page replaces (children given whole),
    /// with the tickets' ids: their rows are deleted before the page's are written.
    fn replaced(&self) -> [(&'static str, Vec<&str>); 4] {
        let ids = |f: fn(&NewTicket) -> bool| -> Vec<&str> {
            self.tickets.iter().filter(|t| f(t)).map(|t| t.id.as_str()).collect()
        };
        [
            ("ticket_comments", ids(|t| t.comments.is_some())),
            ("ticket_worklogs", ids(|t| t.worklogs.is_some())),
            ("ticket_remote_links", ids(|t| t.remote_links.is_some())),
            ("ticket_sprint_issues", ids(|_| true)),
        ]
    }
}

/// An upsert into one of the tables a page writes: its `INSERT INTO … (columns)` and what a
/// row already there becomes (each backend adds the rows between the two).
pub(super) struct Upsert {
    pub(super) insert: &'static str,
    pub(super) conflict: &'static str,
}

const USERS: Upsert = Upsert {
    insert: "INSERT INTO ticket_users (site_id, id, name, display_name, email, time_zone, active) ",
    conflict: " ON CONFLICT (site_id, id) DO UPDATE SET \
         name = COALESCE(excluded.name, ticket_users.name), \
         display_name = COALESCE(excluded.display_name, ticket_users.display_name), \
         email = COALESCE(excluded.email, ticket_users.email), \
         time_zone = COALESCE(excluded.time_zone, ticket_users.time_zone), \
         active = COALESCE(excluded.active, ticket_users.active)",
};
const SPRINTS: Upsert = Upsert {
    insert: "INSERT INTO ticket_sprints (site_id, id, board_id, name, state, goal, start_at, end_at, complete_at) ",
    conflict: " ON CONFLICT (site_id, id) DO UPDATE SET board_id = COALESCE(excluded.board_id, ticket_sprints.board_id), \
         name = excluded.name, state = excluded.state, goal = excluded.goal, start_at = excluded.start_at, \
         end_at = excluded.end_at, complete_at = excluded.complete_at",
};
const TICKETS: Upsert = Upsert {
    insert: "INSERT INTO tickets (site_id, id, key, project_id, summary, description, description_raw, \
         issue_type_id, status_id, priority_id, resolution_id, resolved_at, created_at, updated_at, \
         due_date, assignee_id, reporter_id, creator_id, labels, components, fix_versions, parent_id, \
         parent_key, epic_key, story_points, fields, custom) ",
    conflict: " ON CONFLICT (site_id, id) DO UPDATE SET key = excluded.key, project_id = excluded.project_id, \
         summary = excluded.summary, description = excluded.description, description_raw = excluded.description_raw, \
         issue_type_id = excluded.issue_type_id, status_id = excluded.status_id, priority_id = excluded.priority_id, \
         resolution_id = excluded.resolution_id, resolved_at = excluded.resolved_at, created_at = excluded.created_at, \
         updated_at = excluded.updated_at, due_date = excluded.due_date, assignee_id = excluded.assignee_id, \
         reporter_id = excluded.reporter_id, creator_id = excluded.creator_id, labels = excluded.labels, \
         components = excluded.components, fix_versions = excluded.fix_versions, parent_id = excluded.parent_id, \
         parent_key = excluded.parent_key, epic_key = excluded.epic_key, story_points = excluded.story_points, \
         fields = excluded.fields, custom = excluded.custom",
};
const CHANGES: Upsert = Upsert {
    insert: "INSERT INTO ticket_changes (site_id, issue_id, history_id, item, author_id, at, field, field_id, \
         fieldtype, from_value, from_string, to_value, to_string) ",
    // Whatever the table's key: PostgreSQL's leads with the issue (migration
    // `fewer_ticket_indexes`), SQLite's is (site, history, item); it is the only unique one.
    conflict: " ON CONFLICT DO NOTHING",
};
const COMMENTS: Upsert = Upsert {
    insert: "INSERT INTO ticket_comments (site_id, id, issue_id, author_id, body, body_raw, created_at, updated_at) ",
    conflict: " ON CONFLICT (site_id, id) DO UPDATE SET issue_id = excluded.issue_id, author_id = excluded.author_id, \
         body = excluded.body, body_raw = excluded.body_raw, created_at = excluded.created_at, \
         updated_at = excluded.updated_at",
};
const WORKLOGS: Upsert = Upsert {
    insert: "INSERT INTO ticket_worklogs (site_id, id, issue_id, author_id, started_at, seconds, comment, created_at, updated_at) ",
    conflict: " ON CONFLICT (site_id, id) DO UPDATE SET issue_id = excluded.issue_id, author_id = excluded.author_id, \
         started_at = excluded.started_at, seconds = excluded.seconds, comment = excluded.comment, \
         created_at = excluded.created_at, updated_at = excluded.updated_at",
};
const REMOTE_LINKS: Upsert = Upsert {
    insert: "INSERT INTO ticket_remote_links (site_id, issue_id, id, global_id, relationship, application, url, title, summary, resolved) ",
    conflict: " ON CONFLICT (site_id, issue_id, id) DO NOTHING",
};
const SPRINT_ISSUES: Upsert = Upsert {
    insert: "INSERT INTO ticket_sprint_issues (site_id, issue_id, sprint_id) ",
    conflict: " ON CONFLICT (site_id, issue_id, sprint_id) DO NOTHING",
};

fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).expect("strings serialise")
}

impl Store {
    /// Writes a page if `worker` still holds the project's claim (extending it by `lease_ms`);
    /// answers `false`, writing nothing, when the claim was lost.
    pub async fn write_ticket_page(
        &self,
        page: &TicketPage,
        worker: &str,
        lease_ms: i64,
    ) -> Result<bool> {
        let now = self.now();
        let site = page.site_id;
        let written = with_write_tx!(self, tx => {
            let held = sqlx::query(
                "UPDATE ticket_projects SET claimed_until = $1, pass_done = pass_done + $2, \
                 checkpoint = COALESCE($3, checkpoint) \
                 WHERE site_id = $4 AND id = $5 AND claimed_by = $6 AND claimed_until >= $7",
            )
            .bind(now + lease_ms)
            .bind(page.tickets.len() as i64)
            .bind(&page.checkpoint)
            .bind(site)
            .bind(&page.project_id)
            .bind(worker)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if held == 0 {
                return Ok(false);
            }
            for s in &page.statuses {
                sqlx::query(
                    "INSERT INTO ticket_statuses (site_id, id, name, category_key, category_name) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (site_id, id) DO UPDATE SET name = excluded.name, \
                     category_key = COALESCE(excluded.category_key, ticket_statuses.category_key), \
                     category_name = COALESCE(excluded.category_name, ticket_statuses.category_name)",
                )
                .bind(site)
                .bind(&s.id)
                .bind(&s.name)
                .bind(&s.category_key)
                .bind(&s.category_name)
                .execute(&mut *tx)
                .await?;
            }
            for t in &page.issue_types {
                sqlx::query(
                    "INSERT INTO ticket_issue_types (site_id, id, name, subtask, hierarchy_level) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (site_id, id) DO UPDATE SET name = excluded.name, subtask = excluded.subtask, \
                     hierarchy_level = COALESCE(excluded.hierarchy_level, ticket_issue_types.hierarchy_level)",
                )
                .bind(site)
                .bind(&t.id)
                .bind(&t.name)
                .bind(t.subtask)
                .bind(t.hierarchy_level)
                .execute(&mut *tx)
                .await?;
            }
            for (table, list) in [("ticket_priorities", &page.priorities), ("ticket_resolutions", &page.resolutions)] {
                for (id, name) in list {
                    sqlx::query(&format!(
                        "INSERT INTO {table} (site_id, id, name) VALUES ($1, $2, $3) \
                         ON CONFLICT (site_id, id) DO UPDATE SET name = excluded.name"
                    ))
                    .bind(site)
                    .bind(id)
                    .bind(name)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            let mut assigned: Vec<(&str, &str)> = Vec::new();
            for t in &page.tickets {
                if let Some(ty) = t.issue_type_id.as_deref()
                    && !assigned.contains(&(t.project_id.as_str(), ty))
                {
                    assigned.push((t.project_id.as_str(), ty));
                }
            }
            for (project, ty) in assigned {
                let Some(known) = page.issue_types.iter().find(|x| x.id == ty) else { continue };
                let category = super::types::TicketCategory::default_for(&known.name, known.subtask, known.hierarchy_level);
                sqlx::query(
                    "INSERT INTO ticket_type_assignments (site_id, project_id, issue_type_id, category, edited) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (site_id, project_id, issue_type_id) DO NOTHING",
                )
                .bind(site)
                .bind(project)
                .bind(ty)
                .bind(category.as_str())
                .bind(false)
                .execute(&mut *tx)
                .await?;
            }
            PageRows::write_rows(&mut *tx, site, page).await?;
            true
        });
        Ok(written)
    }
}
