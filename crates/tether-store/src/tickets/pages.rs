//! Writing ingested tickets a page at a time: the tickets with their history, comments,
//! worklogs, remote links and sprint memberships, the people they name and the sprints they
//! are in, and the project's checkpoint, in one transaction that first checks the writer
//! still holds the project's claim. Every write is an upsert, so a page written twice (a
//! pass resumed after a crash) leaves the same rows as once.

use sqlx::QueryBuilder;

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

/// Rows per multi-row `INSERT`: under SQLite's and PostgreSQL's limits on bound parameters
/// for the widest table (14 columns).
///
/// Each page's multi-row statements differ in their number of rows, so almost every one is a
/// new text: they are run unprepared (`persistent(false)`). Kept in the connections' statement
/// caches (100 per connection), those large compiled statements made an ingesting process's
/// memory grow with the number of pages written (`cargo xtask bench ingest`: 163 MB peak at
/// 10,000 issues on SQLite, against 92 MB at 500).
const CHUNK: usize = 500;

/// How a page write keeps its tickets' full-text rows: the statement that makes the triggers
/// stand aside for its transaction, the statements (each `head`, the site, ` AND t.id IN (`
/// the page's ids, `tail`) that write each ticket's row once at its end, and the one that
/// brings the triggers back (none where the pause ends with the transaction).
struct FullText {
    pause: &'static str,
    refresh: &'static [(&'static str, &'static str)],
    resume: Option<&'static str>,
}

/// `ticket_words` through `ticket_words_of`, the function its triggers use; the setting is
/// the transaction's own (`set_config(…, true)`).
const PG_FULL_TEXT: FullText = FullText {
    pause: "SELECT set_config('tether.ticket_words_by_page', 'on', true)",
    refresh: &[(
        "INSERT INTO ticket_words (site_id, issue_id, words) \
         SELECT site_id, id, w FROM (SELECT t.site_id, t.id, ticket_words_of(t.site_id, t.id) AS w \
         FROM tickets t WHERE t.site_id = ",
        ")) x WHERE w IS NOT NULL ON CONFLICT (site_id, issue_id) DO UPDATE SET words = excluded.words",
    )],
    resume: None,
};

/// `ticket_text` (FTS5) deleted and written again as its insert trigger writes it; the pause is
/// a row the transaction removes before it commits.
const SQLITE_FULL_TEXT: FullText = FullText {
    pause: "INSERT INTO ticket_text_paused (one) VALUES (1)",
    refresh: &[
        (
            "DELETE FROM ticket_text WHERE rowid IN (SELECT t.rowid FROM tickets t WHERE t.site_id = ",
            "))",
        ),
        (
            "INSERT INTO ticket_text (rowid, summary, description, comments) \
             SELECT t.rowid, t.summary, coalesce(t.description, ''), \
             coalesce((SELECT group_concat(c.body, ' ') FROM ticket_comments c \
             WHERE c.site_id = t.site_id AND c.issue_id = t.id), '') \
             FROM tickets t WHERE t.site_id = ",
            ")",
        ),
    ],
    resume: Some("DELETE FROM ticket_text_paused"),
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
            // The page's full-text rows (`ticket_words` on PostgreSQL, `ticket_text` on SQLite)
            // are written once per ticket at the end, not by the row triggers once per ticket,
            // comment and deleted comment (see the migrations `ticket_words_once_per_page` and
            // `ticket_text_once_per_page`).
            let full_text = match self.backend {
                crate::Backend::Postgres(_) => &PG_FULL_TEXT,
                crate::Backend::Sqlite(..) => &SQLITE_FULL_TEXT,
            };
            sqlx::query(full_text.pause).execute(&mut *tx).await?;
            for chunk in page.users.chunks(CHUNK) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO ticket_users (site_id, id, name, display_name, email, time_zone, active) ",
                );
                q.push_values(chunk, |mut b, u| {
                    b.push_bind(site)
                        .push_bind(&u.id)
                        .push_bind(&u.name)
                        .push_bind(&u.display_name)
                        .push_bind(&u.email)
                        .push_bind(&u.time_zone)
                        .push_bind(u.active);
                });
                q.push(
                    " ON CONFLICT (site_id, id) DO UPDATE SET \
                     name = COALESCE(excluded.name, ticket_users.name), \
                     display_name = COALESCE(excluded.display_name, ticket_users.display_name), \
                     email = COALESCE(excluded.email, ticket_users.email), \
                     time_zone = COALESCE(excluded.time_zone, ticket_users.time_zone), \
                     active = COALESCE(excluded.active, ticket_users.active)",
                );
                q.build().persistent(false).execute(&mut *tx).await?;
            }
            for chunk in page.sprints.chunks(CHUNK) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO ticket_sprints (site_id, id, board_id, name, state, goal, start_at, end_at, complete_at) ",
                );
                q.push_values(chunk, |mut b, s| {
                    b.push_bind(site)
                        .push_bind(s.id)
                        .push_bind(s.board_id)
                        .push_bind(&s.name)
                        .push_bind(&s.state)
                        .push_bind(&s.goal)
                        .push_bind(s.start_at)
                        .push_bind(s.end_at)
                        .push_bind(s.complete_at);
                });
                q.push(
                    " ON CONFLICT (site_id, id) DO UPDATE SET board_id = COALESCE(excluded.board_id, ticket_sprints.board_id), \
                     name = excluded.name, state = excluded.state, goal = excluded.goal, start_at = excluded.start_at, \
                     end_at = excluded.end_at, complete_at = excluded.complete_at",
                );
                q.build().persistent(false).execute(&mut *tx).await?;
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
            for chunk in page.tickets.chunks(CHUNK) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO tickets (site_id, id, key, project_id, summary, description, description_raw, \
                     issue_type_id, status_id, priority_id, resolution_id, resolved_at, created_at, updated_at, \
                     due_date, assignee_id, reporter_id, creator_id, labels, components, fix_versions, parent_id, \
                     parent_key, epic_key, story_points, fields, custom) ",
                );
                q.push_values(chunk, |mut b, t| {
                    b.push_bind(site)
                        .push_bind(&t.id)
                        .push_bind(&t.key)
                        .push_bind(&t.project_id)
                        .push_bind(&t.summary)
                        .push_bind(&t.description)
                        .push_bind(&t.description_raw)
                        .push_bind(&t.issue_type_id)
                        .push_bind(&t.status_id)
                        .push_bind(&t.priority_id)
                        .push_bind(&t.resolution_id)
                        .push_bind(t.resolved_at)
                        .push_bind(t.created_at)
                        .push_bind(t.updated_at)
                        .push_bind(&t.due_date)
                        .push_bind(&t.assignee_id)
                        .push_bind(&t.reporter_id)
                        .push_bind(&t.creator_id)
                        .push_bind(json_list(&t.labels))
                        .push_bind(json_list(&t.components))
                        .push_bind(json_list(&t.fix_versions))
                        .push_bind(&t.parent_id)
                        .push_bind(&t.parent_key)
                        .push_bind(&t.epic_key)
                        .push_bind(t.story_points)
                        .push_bind(&t.fields)
                        .push_bind(&t.custom);
                });
                q.push(
                    " ON CONFLICT (site_id, id) DO UPDATE SET key = excluded.key, project_id = excluded.project_id, \
                     summary = excluded.summary, description = excluded.description, description_raw = excluded.description_raw, \
                     issue_type_id = excluded.issue_type_id, status_id = excluded.status_id, priority_id = excluded.priority_id, \
                     resolution_id = excluded.resolution_id, resolved_at = excluded.resolved_at, created_at = excluded.created_at, \
                     updated_at = excluded.updated_at, due_date = excluded.due_date, assignee_id = excluded.assignee_id, \
                     reporter_id = excluded.reporter_id, creator_id = excluded.creator_id, labels = excluded.labels, \
                     components = excluded.components, fix_versions = excluded.fix_versions, parent_id = excluded.parent_id, \
                     parent_key = excluded.parent_key, epic_key = excluded.epic_key, story_points = excluded.story_points, \
                     fields = excluded.fields, custom = excluded.custom",
                );
                q.build().persistent(false).execute(&mut *tx).await?;
            }
            let changes: Vec<(&str, &NewChange)> = page
                .tickets
                .iter()
                .flat_map(|t| t.changes.iter().map(move |c| (t.id.as_str(), c)))
                .collect();
            for chunk in changes.chunks(CHUNK) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO ticket_changes (site_id, issue_id, history_id, item, author_id, at, field, field_id, \
                     fieldtype, from_value, from_string, to_value, to_string) ",
                );
                q.push_values(chunk, |mut b, (issue, c)| {
                    b.push_bind(site)
                        .push_bind(*issue)
                        .push_bind(&c.history_id)
                        .push_bind(c.item)
                        .push_bind(&c.author_id)
                        .push_bind(c.at)
                        .push_bind(&c.field)
                        .push_bind(&c.field_id)
                        .push_bind(&c.fieldtype)
                        .push_bind(&c.from_value)
                        .push_bind(&c.from_string)
                        .push_bind(&c.to_value)
                        .push_bind(&c.to_string);
                });
                q.push(" ON CONFLICT (site_id, history_id, item) DO NOTHING");
                q.build().persistent(false).execute(&mut *tx).await?;
            }
            // Children given whole replace what was there.
            let replace = |f: fn(&NewTicket) -> bool| -> Vec<&str> {
                page.tickets.iter().filter(|t| f(t)).map(|t| t.id.as_str()).collect()
            };
            for (table, ids) in [
                ("ticket_comments", replace(|t| t.comments.is_some())),
                ("ticket_worklogs", replace(|t| t.worklogs.is_some())),
                ("ticket_remote_links", replace(|t| t.remote_links.is_some())),
                ("ticket_sprint_issues", replace(|_| true)),
            ] {
                for chunk in ids.chunks(CHUNK) {
                    let mut q = QueryBuilder::new(format!("DELETE FROM {table} WHERE site_id = "));
                    q.push_bind(site).push(" AND issue_id IN (");
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    q.push(")");
                    q.build().persistent(false).execute(&mut *tx).await?;
                }
            }
            let comments: Vec<(&str, &NewComment)> = page
                .tickets
                .iter()
                .flat_map(|t| t.comments.iter().flatten().map(move |c| (t.id.as_str(), c)))
                .collect();
            for chunk in comments.chunks(CHUNK) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO ticket_comments (site_id, id, issue_id, author_id, body, body_raw, created_at, updated_at) ",
                );
                q.push_values(chunk, |mut b, (issue, c)| {
                    b.push_bind(site)
                        .push_bind(&c.id)
                        .push_bind(*issue)
                        .push_bind(&c.author_id)
                        .push_bind(&c.body)
                        .push_bind(&c.body_raw)
                        .push_bind(c.created_at)
                        .push_bind(c.updated_at);
                });
                // A comment id seen on another issue (a moved issue's) follows it here.
                q.push(
                    " ON CONFLICT (site_id, id) DO UPDATE SET issue_id = excluded.issue_id, author_id = excluded.author_id, \
                     body = excluded.body, body_raw = excluded.body_raw, created_at = excluded.created_at, \
                     updated_at = excluded.updated_at",
                );
                q.build().persistent(false).execute(&mut *tx).await?;
            }
            let worklogs: Vec<(&str, &NewWorklog)> = page
                .tickets
                .iter()
                .flat_map(|t| t.worklogs.iter().flatten().map(move |w| (t.id.as_str(), w)))
                .collect();
            for chunk in worklogs.chunks(CHUNK) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO ticket_worklogs (site_id, id, issue_id, author_id, started_at, seconds, comment, created_at, updated_at) ",
                );
                q.push_values(chunk, |mut b, (issue, w)| {
                    b.push_bind(site)
                        .push_bind(&w.id)
                        .push_bind(*issue)
                        .push_bind(&w.author_id)
                        .push_bind(w.started_at)
                        .push_bind(w.seconds)
                        .push_bind(&w.comment)
                        .push_bind(w.created_at)
                        .push_bind(w.updated_at);
                });
                q.push(
                    " ON CONFLICT (site_id, id) DO UPDATE SET issue_id = excluded.issue_id, author_id = excluded.author_id, \
                     started_at = excluded.started_at, seconds = excluded.seconds, comment = excluded.comment, \
                     created_at = excluded.created_at, updated_at = excluded.updated_at",
                );
                q.build().persistent(false).execute(&mut *tx).await?;
            }
            let links: Vec<(&str, &NewRemoteLink)> = page
                .tickets
                .iter()
                .flat_map(|t| t.remote_links.iter().flatten().map(move |l| (t.id.as_str(), l)))
                .collect();
            for chunk in links.chunks(CHUNK) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO ticket_remote_links (site_id, issue_id, id, global_id, relationship, application, url, title, summary, resolved) ",
                );
                q.push_values(chunk, |mut b, (issue, l)| {
                    b.push_bind(site)
                        .push_bind(*issue)
                        .push_bind(&l.id)
                        .push_bind(&l.global_id)
                        .push_bind(&l.relationship)
                        .push_bind(&l.application)
                        .push_bind(&l.url)
                        .push_bind(&l.title)
                        .push_bind(&l.summary)
                        .push_bind(l.resolved);
                });
                q.push(" ON CONFLICT (site_id, issue_id, id) DO NOTHING");
                q.build().persistent(false).execute(&mut *tx).await?;
            }
            let memberships: Vec<(&str, i64)> = page
                .tickets
                .iter()
                .flat_map(|t| t.sprint_ids.iter().map(move |s| (t.id.as_str(), *s)))
                .collect();
            for chunk in memberships.chunks(CHUNK) {
                let mut q =
                    QueryBuilder::new("INSERT INTO ticket_sprint_issues (site_id, issue_id, sprint_id) ");
                q.push_values(chunk, |mut b, (issue, sprint)| {
                    b.push_bind(site).push_bind(*issue).push_bind(*sprint);
                });
                q.push(" ON CONFLICT (site_id, issue_id, sprint_id) DO NOTHING");
                q.build().persistent(false).execute(&mut *tx).await?;
            }
            for chunk in page.tickets.chunks(CHUNK) {
                for (head, tail) in full_text.refresh {
                    let mut q = QueryBuilder::new(*head);
                    q.push_bind(site).push(" AND t.id IN (");
                    let mut list = q.separated(", ");
                    for t in chunk {
                        list.push_bind(&t.id);
                    }
                    q.push(*tail);
                    q.build().persistent(false).execute(&mut *tx).await?;
                }
            }
            if let Some(resume) = full_text.resume {
                sqlx::query(resume).execute(&mut *tx).await?;
            }
            true
        });
        Ok(written)
    }
}
