//! A page's rows on SQLite: multi-row `INSERT`s of at most [`CHUNK`] rows each, and
//! `ticket_text` (FTS5) written once per ticket at the end.

use sqlx::{QueryBuilder, SqliteConnection};

use super::{
    CHANGES, COMMENTS, NewSprint, PageRows, REMOTE_LINKS, SPRINT_ISSUES, SPRINTS, TICKETS,
    TicketPage, USERS, WORKLOGS, json_list,
};
use crate::Result;

/// Rows per multi-row `INSERT`: under SQLite's limit on bound parameters for the widest table.
///
/// Each page's multi-row statements differ in their number of rows, so almost every one is a
/// new text: they are run unprepared (`persistent(false)`). Kept in the connections' statement
/// caches (100 per connection), those large compiled statements made an ingesting process's
/// memory grow with the number of pages written (`cargo xtask bench ingest`: 163 MB peak at
/// 10,000 issues on SQLite, against 92 MB at 500).
const CHUNK: usize = 500;

/// `ticket_text` (FTS5) deleted and written again as its insert trigger writes it, for the
/// page's tickets (each statement: `head`, the site, ` AND t.id IN (` the ids, `tail`). The
/// triggers stand aside while the row `PAUSE` adds is there; the transaction removes it
/// (`RESUME`) before it commits (see the migration `ticket_text_once_per_page`).
const PAUSE: &str = "INSERT INTO ticket_text_paused (one) VALUES (1)";
const RESUME: &str = "DELETE FROM ticket_text_paused";
const REFRESH: [(&str, &str); 2] = [
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
];

impl PageRows for SqliteConnection {
    async fn write_sprints(&mut self, site: i64, sprints: &[NewSprint]) -> Result<()> {
        for chunk in sprints.chunks(CHUNK) {
            let mut q = QueryBuilder::new(SPRINTS.insert);
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
            q.push(SPRINTS.conflict);
            q.build().persistent(false).execute(&mut *self).await?;
        }
        Ok(())
    }

    async fn write_rows(&mut self, site: i64, page: &TicketPage) -> Result<()> {
        sqlx::query(PAUSE).execute(&mut *self).await?;
        for chunk in page.users.chunks(CHUNK) {
            let mut q = QueryBuilder::new(USERS.insert);
            q.push_values(chunk, |mut b, u| {
                b.push_bind(site)
                    .push_bind(&u.id)
                    .push_bind(&u.name)
                    .push_bind(&u.display_name)
                    .push_bind(&u.email)
                    .push_bind(&u.time_zone)
                    .push_bind(u.active);
            });
            q.push(USERS.conflict);
            q.build().persistent(false).execute(&mut *self).await?;
        }
        self.write_sprints(site, &page.sprints).await?;
        for chunk in page.tickets.chunks(CHUNK) {
            let mut q = QueryBuilder::new(TICKETS.insert);
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
            q.push(TICKETS.conflict);
            q.build().persistent(false).execute(&mut *self).await?;
        }
        let changes = page.changes();
        for chunk in changes.chunks(CHUNK) {
            let mut q = QueryBuilder::new(CHANGES.insert);
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
            q.push(CHANGES.conflict);
            q.build().persistent(false).execute(&mut *self).await?;
        }
        for (table, ids) in page.replaced() {
            for chunk in ids.chunks(CHUNK) {
                let mut q = QueryBuilder::new(format!("DELETE FROM {table} WHERE site_id = "));
                q.push_bind(site).push(" AND issue_id IN (");
                let mut list = q.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                q.push(")");
                q.build().persistent(false).execute(&mut *self).await?;
            }
        }
        let comments = page.comments();
        for chunk in comments.chunks(CHUNK) {
            let mut q = QueryBuilder::new(COMMENTS.insert);
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
            q.push(COMMENTS.conflict);
            q.build().persistent(false).execute(&mut *self).await?;
        }
        let worklogs = page.worklogs();
        for chunk in worklogs.chunks(CHUNK) {
            let mut q = QueryBuilder::new(WORKLOGS.insert);
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
            q.push(WORKLOGS.conflict);
            q.build().persistent(false).execute(&mut *self).await?;
        }
        let links = page.remote_links();
        for chunk in links.chunks(CHUNK) {
            let mut q = QueryBuilder::new(REMOTE_LINKS.insert);
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
            q.push(REMOTE_LINKS.conflict);
            q.build().persistent(false).execute(&mut *self).await?;
        }
        let memberships = page.sprint_memberships();
        for chunk in memberships.chunks(CHUNK) {
            let mut q = QueryBuilder::new(SPRINT_ISSUES.insert);
            q.push_values(chunk, |mut b, (issue, sprint)| {
                b.push_bind(site).push_bind(*issue).push_bind(*sprint);
            });
            q.push(SPRINT_ISSUES.conflict);
            q.build().persistent(false).execute(&mut *self).await?;
        }
        for chunk in page.tickets.chunks(CHUNK) {
            for (head, tail) in REFRESH {
                let mut q = QueryBuilder::new(head);
                q.push_bind(site).push(" AND t.id IN (");
                let mut list = q.separated(", ");
                for t in chunk {
                    list.push_bind(&t.id);
                }
                q.push(tail);
                q.build().persistent(false).execute(&mut *self).await?;
            }
        }
        sqlx::query(RESUME).execute(&mut *self).await?;
        Ok(())
    }
}
