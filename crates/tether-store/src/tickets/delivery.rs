//! The facts delivery insight is computed from, for the tickets a JQL query selects: per
//! ticket when it was created, first moved into an in-progress status, finished, first
//! committed to and which flags it is linked to; every move between status categories; the
//! sprints and who was in them; and when each linked flag was first turned on in its project's
//! primary tracked environment (from the audit log, or its creation when it was created on).

use std::collections::{BTreeMap, BTreeSet};

use super::read::ticket_joins;
use super::search::{Bind, SearchError, SearchScope};
use crate::{Store, with_pool};

/// One ticket's delivery facts (times in epoch ms).
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryTicket {
    pub site_id: i64,
    pub id: String,
    pub key: String,
    pub project_key: Option<String>,
    /// Its ticket category (`story`, `bug`, …).
    pub category: Option<String>,
    /// `new`, `indeterminate` or `done` now.
    pub status_category: Option<String>,
    pub assignee: Option<String>,
    pub created_at: Option<i64>,
    /// When it was finished (resolved, else its last move into a done status); `None` while
    /// it is not done.
    pub done_at: Option<i64>,
    /// Its first move into an in-progress status.
    pub first_progress_at: Option<i64>,
    /// The earliest commit that mentions it.
    pub first_commit_at: Option<i64>,
    /// The flags linked to it, as `project/flag`.
    pub flags: Vec<String>,
}

/// A ticket moving between status categories.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CategoryMove {
    pub site_id: i64,
    pub issue_id: String,
    pub at: i64,
    pub from_category: Option<String>,
    pub to_category: Option<String>,
}

/// A sprint of a searched site.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeliverySprint {
    pub site_id: i64,
    pub id: i64,
    pub name: String,
    pub start_at: Option<i64>,
    pub end_at: Option<i64>,
    pub complete_at: Option<i64>,
}

/// Everything delivery insight needs about a selection of tickets.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeliveryFacts {
    pub tickets: Vec<DeliveryTicket>,
    /// Oldest first.
    pub moves: Vec<CategoryMove>,
    pub sprints: Vec<DeliverySprint>,
    /// (site, issue id, sprint id) for the selected tickets.
    pub sprint_members: Vec<(i64, String, i64)>,
    /// `project/flag` → when it was first on in its primary tracked environment.
    pub flag_first_on: BTreeMap<String, i64>,
}

const TICKETS: &str = concat!(
    "SELECT t.site_id, t.id, t.key, p.key AS project_key, a.category, s.category_key AS status_category, \
     ua.display_name AS assignee, t.created_at, t.resolved_at, t.updated_at, \
     (SELECT MIN(m.at) FROM dev_mentions m WHERE upper(m.issue_key) = upper(t.key) AND m.kind = 'commit') AS first_commit_at ",
    ticket_joins!()
);

/// A ticket as read, before its history is folded in.
#[derive(sqlx::FromRow)]
struct TicketFacts {
    site_id: i64,
    id: String,
    key: String,
    project_key: Option<String>,
    category: Option<String>,
    status_category: Option<String>,
    assignee: Option<String>,
    created_at: Option<i64>,
    resolved_at: Option<i64>,
    updated_at: Option<i64>,
    first_commit_at: Option<i64>,
}

/// The selected tickets' (site, id) pairs, each once (the joins are on unique keys).
const SELECTED: &str = concat!("SELECT t.site_id, t.id ", ticket_joins!());

impl Store {
    /// The delivery facts of the tickets `jql` selects on the scope's sites.
    pub async fn delivery_facts(
        &self,
        jql: &str,
        scope: &SearchScope,
    ) -> Result<DeliveryFacts, SearchError> {
        let Some(compiled) = self.prepare_search(jql, scope).await? else {
            return Ok(DeliveryFacts::default());
        };
        let condition = &compiled.condition;
        let binds = &compiled.binds;
        let tickets_sql = format!("{TICKETS} WHERE {condition}");
        // The selection drives both reads: each selected ticket's rows are found through the
        // (site, issue) indexes. SQLite keeps a CROSS JOIN's order; with `(site, issue) IN
        // (selection)` instead, it guessed (it has no statistics) that every status change of
        // the site, or every sprint membership, was fewer, read them all and probed the
        // selection with each: 147,796 changes for a project's 10,000 tickets in the
        // benchmark. PostgreSQL plans the join as any other.
        let moves_sql = format!(
            "SELECT c.site_id, c.issue_id, c.at, fs.category_key AS from_category, ts.category_key AS to_category \
             FROM ({SELECTED} WHERE {condition}) sel CROSS JOIN ticket_changes c \
             LEFT JOIN ticket_statuses fs ON fs.site_id = c.site_id AND fs.id = c.from_value \
             LEFT JOIN ticket_statuses ts ON ts.site_id = c.site_id AND ts.id = c.to_value \
             WHERE c.site_id = sel.site_id AND c.issue_id = sel.id \
             AND lower(c.field) = 'status' AND c.at IS NOT NULL ORDER BY c.at, c.history_id, c.item"
        );
        let members_sql = format!(
            "SELECT si.site_id, si.issue_id, si.sprint_id \
             FROM ({SELECTED} WHERE {condition}) sel CROSS JOIN ticket_sprint_issues si \
             WHERE si.site_id = sel.site_id AND si.issue_id = sel.id"
        );
        let sites: Vec<String> = scope.site_ids.iter().map(i64::to_string).collect();
        let sprints_sql = format!(
            "SELECT site_id, id, name, start_at, end_at, complete_at FROM ticket_sprints \
             WHERE site_id IN ({}) ORDER BY start_at, id",
            sites.join(", ")
        );
        let (read, moves, sprint_members, sprints, links) = with_pool!(self, pool => {
            macro_rules! bound {
                ($q:expr) => {{
                    let mut q = $q;
                    for b in binds {
                        q = match b {
                            Bind::Text(s) => q.bind(s.clone()),
                            Bind::Int(i) => q.bind(*i),
                        };
                    }
                    q
                }};
            }
            // Five reads at once, each on a connection of its own: on SQLite every connection
            // reads on its own thread, so the page waits for the slowest, not for their sum.
            let tickets = bound!(sqlx::query_as::<_, TicketFacts>(&tickets_sql)).fetch_all(pool);
            let moves = bound!(sqlx::query_as::<_, CategoryMove>(&moves_sql)).fetch_all(pool);
            let members =
                bound!(sqlx::query_as::<_, (i64, String, i64)>(&members_sql)).fetch_all(pool);
            let sprints = sqlx::query_as::<_, DeliverySprint>(&sprints_sql).fetch_all(pool);
            let links = sqlx::query_as::<_, (String, String, String)>(
                "SELECT upper(fl.issue_key), pj.key, fl.flag_key FROM flag_issue_links fl JOIN projects pj ON pj.id = fl.project_id",
            )
            .fetch_all(pool);
            tokio::try_join!(tickets, moves, members, sprints, links)?
        });
        // From the moves (oldest first): each ticket's first move into progress and last into
        // done.
        let mut started: BTreeMap<(i64, &str), i64> = BTreeMap::new();
        let mut finished: BTreeMap<(i64, &str), i64> = BTreeMap::new();
        for m in &moves {
            let key = (m.site_id, m.issue_id.as_str());
            match m.to_category.as_deref() {
                Some("indeterminate") => {
                    started.entry(key).or_insert(m.at);
                }
                Some("done") => {
                    finished.insert(key, m.at);
                }
                _ => {}
            }
        }
        let mut tickets: Vec<DeliveryTicket> = read
            .into_iter()
            .map(|t| {
                let key = (t.site_id, t.id.as_str());
                // Finished: resolved, else its last move into a done status, else last updated.
                let done_at = (t.status_category.as_deref() == Some("done"))
                    .then(|| t.resolved_at.or(finished.get(&key).copied()).or(t.updated_at))
                    .flatten();
                DeliveryTicket {
                    first_progress_at: started.get(&key).copied(),
                    done_at,
                    site_id: t.site_id,
                    id: t.id,
                    key: t.key,
                    project_key: t.project_key,
                    category: t.category,
                    status_category: t.status_category,
                    assignee: t.assignee,
                    created_at: t.created_at,
                    first_commit_at: t.first_commit_at,
                    flags: Vec::new(),
                }
            })
            .collect();
        let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (issue, project, flag) in links {
            by_key.entry(issue).or_default().push(format!("{project}/{flag}"));
        }
        let mut linked = BTreeSet::new();
        for t in &mut tickets {
            if let Some(flags) = by_key.get(&t.key.to_uppercase()) {
                t.flags = flags.clone();
                linked.extend(flags.iter().cloned());
            }
        }
        let mut flag_first_on = BTreeMap::new();
        for flag in linked {
            if let Some(at) = self.flag_first_on(&flag).await? {
                flag_first_on.insert(flag, at);
            }
        }
        Ok(DeliveryFacts { tickets, moves, sprints, sprint_members, flag_first_on })
    }

    /// When `project/flag` was first on in its project's primary tracked environment.
    async fn flag_first_on(&self, flag: &str) -> Result<Option<i64>, SearchError> {
        let Some((project, key)) = flag.split_once('/') else { return Ok(None) };
        let Some(tracking) = self.project_jira(project).await? else { return Ok(None) };
        let resource = format!("proj/{project}:env/{}:flag/{key}", tracking.primary_env);
        let on = match self.backend {
            crate::Backend::Sqlite(..) => "json_extract(after, '$.on') = 1",
            crate::Backend::Postgres(_) => "(after::json->>'on')::boolean",
        };
        let sql = format!(
            "SELECT MIN(at) FROM audit_log WHERE resource = $1 AND action = 'flag.config.update' AND {on}"
        );
        let turned_on: Option<i64> = with_pool!(self, pool => sqlx::query_scalar(&sql)
            .bind(&resource)
            .fetch_one(pool)
            .await?);
        if turned_on.is_some() {
            return Ok(turned_on);
        }
        // Created on, never changed since: on from its creation.
        let state = match self.flag(project, key).await {
            Ok(state) => state,
            Err(crate::StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let on_now =
            state.environments.iter().any(|e| e.env == tracking.primary_env && e.config.on);
        Ok(on_now.then_some(state.created_at))
    }
}
