//! A page's rows on PostgreSQL: per table one statement of constant text, whose parameters
//! are columns (arrays) that `UNNEST` turns back into rows, so each connection parses it once
//! and keeps it prepared. Multi-row `VALUES` statements, one new text per page (their row
//! counts differ), were parsed again for every page, and a page is about 1,500 rows.
//! `ticket_words` is written once per ticket at the end.

use std::sync::LazyLock;

use sqlx::PgConnection;

use super::{
    CHANGES, COMMENTS, NewSprint, PageRows, REMOTE_LINKS, SPRINT_ISSUES, SPRINTS, TICKETS,
    TicketPage, USERS, Upsert, WORKLOGS, json_list,
};
use crate::Result;

/// `upsert` as one statement: `$1` is the site, `$2…` one array per further column, of the
/// given PostgreSQL types.
fn unnest(upsert: &Upsert, types: &[&str]) -> String {
    let columns: Vec<String> =
        types.iter().enumerate().map(|(i, ty)| format!("${}::{ty}[]", i + 2)).collect();
    format!("{}SELECT $1, * FROM UNNEST({}){}", upsert.insert, columns.join(", "), upsert.conflict)
}

/// One statement per table, made once.
struct Statements {
    users: String,
    sprints: String,
    tickets: String,
    changes: String,
    comments: String,
    worklogs: String,
    remote_links: String,
    sprint_issues: String,
}

static STATEMENTS: LazyLock<Statements> = LazyLock::new(|| Statements {
    users: unnest(&USERS, &["text", "text", "text", "text", "text", "bool"]),
    sprints: unnest(&SPRINTS, &["int8", "int8", "text", "text", "text", "int8", "int8", "int8"]),
    tickets: unnest(
        &TICKETS,
        &[
            "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "int8",
            "int8", "int8", "text", "text", "text", "text", "text", "text", "text", "text", "text",
            "text", "float8", "text", "text",
        ],
    ),
    changes: unnest(
        &CHANGES,
        &[
            "text", "text", "int8", "text", "int8", "text", "text", "text", "text", "text", "text",
            "text",
        ],
    ),
    comments: unnest(&COMMENTS, &["text", "text", "text", "text", "text", "int8", "int8"]),
    worklogs: unnest(&WORKLOGS, &["text", "text", "text", "int8", "int8", "text", "int8", "int8"]),
    remote_links: unnest(
        &REMOTE_LINKS,
        &["text", "text", "text", "text", "text", "text", "text", "text", "bool"],
    ),
    sprint_issues: unnest(&SPRINT_ISSUES, &["text", "int8"]),
});

/// For this transaction only: the triggers that keep `ticket_words` stand aside (see the
/// migration `ticket_words_once_per_page`), and every statement is planned for its values
/// and the tables as they are now. A prepared statement's generic plan, made while an
/// ingestion's tables were still nearly empty, stays while they fill: kept as a scan of an
/// index on `site_id` alone, filtered by issue id, each page's deletes read every row of the
/// site (auto_explain, 10,000 issues). Planning these statements costs little; parsing them,
/// which a prepared statement saves, is what grew with the rows of a multi-row `VALUES`.
const PAUSE: &str = "SELECT set_config('tether.ticket_words_by_page', 'on', true), \
     set_config('plan_cache_mode', 'force_custom_plan', true)";

/// Each given ticket's `ticket_words` row, computed by `ticket_words_of` for each id in turn.
/// `OFFSET 0` keeps the subquery whole: flattened, its filter and its output each computed
/// the words.
const REFRESH: &str = "INSERT INTO ticket_words (site_id, issue_id, words) \
     SELECT site_id, issue_id, w FROM (SELECT $1::int8 AS site_id, p.id AS issue_id, \
     ticket_words_of($1, p.id) AS w FROM unnest($2::text[]) AS p (id) OFFSET 0) x WHERE w IS NOT NULL \
     ON CONFLICT (site_id, issue_id) DO UPDATE SET words = excluded.words";

/// One column of `rows`.
fn col<'a, T, U>(rows: &'a [T], f: impl FnMut(&'a T) -> U) -> Vec<U> {
    rows.iter().map(f).collect()
}

impl PageRows for PgConnection {
    async fn write_sprints(&mut self, site: i64, sprints: &[NewSprint]) -> Result<()> {
        let sql = &*STATEMENTS;
        if !sprints.is_empty() {
            sqlx::query(&sql.sprints)
                .bind(site)
                .bind(col(sprints, |s| s.id))
                .bind(col(sprints, |s| s.board_id))
                .bind(col(sprints, |s| s.name.as_str()))
                .bind(col(sprints, |s| s.state.as_deref()))
                .bind(col(sprints, |s| s.goal.as_deref()))
                .bind(col(sprints, |s| s.start_at))
                .bind(col(sprints, |s| s.end_at))
                .bind(col(sprints, |s| s.complete_at))
                .execute(&mut *self)
                .await?;
        }
        Ok(())
    }

    async fn write_rows(&mut self, site: i64, page: &TicketPage) -> Result<()> {
        let sql = &*STATEMENTS;
        sqlx::query(PAUSE).execute(&mut *self).await?;
        let users = &page.users;
        if !users.is_empty() {
            sqlx::query(&sql.users)
                .bind(site)
                .bind(col(users, |u| u.id.as_str()))
                .bind(col(users, |u| u.name.as_deref()))
                .bind(col(users, |u| u.display_name.as_deref()))
                .bind(col(users, |u| u.email.as_deref()))
                .bind(col(users, |u| u.time_zone.as_deref()))
                .bind(col(users, |u| u.active))
                .execute(&mut *self)
                .await?;
        }
        self.write_sprints(site, &page.sprints).await?;
        let tickets = &page.tickets;
        if tickets.is_empty() {
            return Ok(());
        }
        let ids = col(tickets, |t| t.id.as_str());
        sqlx::query(&sql.tickets)
            .bind(site)
            .bind(&ids)
            .bind(col(tickets, |t| t.key.as_str()))
            .bind(col(tickets, |t| t.project_id.as_str()))
            .bind(col(tickets, |t| t.summary.as_str()))
            .bind(col(tickets, |t| t.description.as_deref()))
            .bind(col(tickets, |t| t.description_raw.as_deref()))
            .bind(col(tickets, |t| t.issue_type_id.as_deref()))
            .bind(col(tickets, |t| t.status_id.as_deref()))
            .bind(col(tickets, |t| t.priority_id.as_deref()))
            .bind(col(tickets, |t| t.resolution_id.as_deref()))
            .bind(col(tickets, |t| t.resolved_at))
            .bind(col(tickets, |t| t.created_at))
            .bind(col(tickets, |t| t.updated_at))
            .bind(col(tickets, |t| t.due_date.as_deref()))
            .bind(col(tickets, |t| t.assignee_id.as_deref()))
            .bind(col(tickets, |t| t.reporter_id.as_deref()))
            .bind(col(tickets, |t| t.creator_id.as_deref()))
            .bind(col(tickets, |t| json_list(&t.labels)))
            .bind(col(tickets, |t| json_list(&t.components)))
            .bind(col(tickets, |t| json_list(&t.fix_versions)))
            .bind(col(tickets, |t| t.parent_id.as_deref()))
            .bind(col(tickets, |t| t.parent_key.as_deref()))
            .bind(col(tickets, |t| t.epic_key.as_deref()))
            .bind(col(tickets, |t| t.story_points))
            .bind(col(tickets, |t| t.fields.as_str()))
            .bind(col(tickets, |t| t.custom.as_str()))
            .execute(&mut *self)
            .await?;
        let changes = page.changes();
        if !changes.is_empty() {
            sqlx::query(&sql.changes)
                .bind(site)
                .bind(col(&changes, |(issue, _)| *issue))
                .bind(col(&changes, |(_, c)| c.history_id.as_str()))
                .bind(col(&changes, |(_, c)| c.item))
                .bind(col(&changes, |(_, c)| c.author_id.as_deref()))
                .bind(col(&changes, |(_, c)| c.at))
                .bind(col(&changes, |(_, c)| c.field.as_str()))
                .bind(col(&changes, |(_, c)| c.field_id.as_deref()))
                .bind(col(&changes, |(_, c)| c.fieldtype.as_deref()))
                .bind(col(&changes, |(_, c)| c.from_value.as_deref()))
                .bind(col(&changes, |(_, c)| c.from_string.as_deref()))
                .bind(col(&changes, |(_, c)| c.to_value.as_deref()))
                .bind(col(&changes, |(_, c)| c.to_string.as_deref()))
                .execute(&mut *self)
                .await?;
        }
        for (table, replaced) in page.replaced() {
            if !replaced.is_empty() {
                // The same text each page, so kept prepared like the rest.
                let delete = format!(
                    "DELETE FROM {table} WHERE site_id = $1 AND issue_id = ANY($2::text[])"
                );
                sqlx::query(&delete).bind(site).bind(replaced).execute(&mut *self).await?;
            }
        }
        let comments = page.comments();
        if !comments.is_empty() {
            sqlx::query(&sql.comments)
                .bind(site)
                .bind(col(&comments, |(_, c)| c.id.as_str()))
                .bind(col(&comments, |(issue, _)| *issue))
                .bind(col(&comments, |(_, c)| c.author_id.as_deref()))
                .bind(col(&comments, |(_, c)| c.body.as_str()))
                .bind(col(&comments, |(_, c)| c.body_raw.as_deref()))
                .bind(col(&comments, |(_, c)| c.created_at))
                .bind(col(&comments, |(_, c)| c.updated_at))
                .execute(&mut *self)
                .await?;
        }
        let worklogs = page.worklogs();
        if !worklogs.is_empty() {
            sqlx::query(&sql.worklogs)
                .bind(site)
                .bind(col(&worklogs, |(_, w)| w.id.as_str()))
                .bind(col(&worklogs, |(issue, _)| *issue))
                .bind(col(&worklogs, |(_, w)| w.author_id.as_deref()))
                .bind(col(&worklogs, |(_, w)| w.started_at))
                .bind(col(&worklogs, |(_, w)| w.seconds))
                .bind(col(&worklogs, |(_, w)| w.comment.as_deref()))
                .bind(col(&worklogs, |(_, w)| w.created_at))
                .bind(col(&worklogs, |(_, w)| w.updated_at))
                .execute(&mut *self)
                .await?;
        }
        let links = page.remote_links();
        if !links.is_empty() {
            sqlx::query(&sql.remote_links)
                .bind(site)
                .bind(col(&links, |(issue, _)| *issue))
                .bind(col(&links, |(_, l)| l.id.as_str()))
                .bind(col(&links, |(_, l)| l.global_id.as_deref()))
                .bind(col(&links, |(_, l)| l.relationship.as_deref()))
                .bind(col(&links, |(_, l)| l.application.as_deref()))
                .bind(col(&links, |(_, l)| l.url.as_str()))
                .bind(col(&links, |(_, l)| l.title.as_str()))
                .bind(col(&links, |(_, l)| l.summary.as_deref()))
                .bind(col(&links, |(_, l)| l.resolved))
                .execute(&mut *self)
                .await?;
        }
        let memberships = page.sprint_memberships();
        if !memberships.is_empty() {
            sqlx::query(&sql.sprint_issues)
                .bind(site)
                .bind(col(&memberships, |(issue, _)| *issue))
                .bind(col(&memberships, |(_, sprint)| *sprint))
                .execute(&mut *self)
                .await?;
        }
        sqlx::query(REFRESH).bind(site).bind(&ids).execute(&mut *self).await?;
        Ok(())
    }
}
