//! The Tickets page (the sites' ingestion, and the ingested tickets with simple filters or a
//! JQL query, whose errors show beside its box) and one ticket's page (its fields, description,
//! complete history, comments and worklogs). Times are in the site's service account's zone.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tether_policy::Action;
use tether_store::{JiraSite, TicketCategory, TicketFilter, TicketRow};

use super::resource;
use super::time::{display_zone, zoned};
use crate::web::page::{UiError, html};
use crate::web::signin::UiUser;
use crate::web::{Nav, nav_for};
use crate::{AppState, VERSION};

/// Tickets per page.
const PAGE: i64 = 50;

struct SiteRow {
    name: String,
    url: String,
    state: String,
    tickets: i64,
    can_configure: bool,
}

struct Row {
    site: String,
    key: String,
    summary: String,
    issue_type: String,
    category: String,
    status: String,
    status_category: String,
    assignee: String,
    updated: String,
}

/// The filters as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Filters {
    #[serde(default)]
    pub(crate) site: String,
    #[serde(default)]
    pub(crate) project: String,
    #[serde(default)]
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) category: String,
    #[serde(default)]
    pub(crate) q: String,
    #[serde(default)]
    pub(crate) assignee: String,
    /// A JQL query; when given, it decides the list instead of the filters.
    #[serde(default)]
    pub(crate) jql: String,
    #[serde(default)]
    pub(crate) page: Option<i64>,
}

#[derive(Template)]
#[template(path = "tickets.html")]
struct TicketsPage {
    nav: Nav,
    version: &'static str,
    sites: Vec<SiteRow>,
    rows: Vec<Row>,
    f: Filters,
    site_names: Vec<String>,
    categories: Vec<(&'static str, &'static str)>,
    page: i64,
    more: bool,
    query: String,
    /// Jira's messages for a JQL query it would refuse.
    jql_errors: Vec<String>,
}

impl TicketsPage {
    fn filtered(&self) -> bool {
        !(self.f.jql.trim().is_empty()
            && self.f.site.is_empty()
            && self.f.project.is_empty()
            && self.f.status.is_empty()
            && self.f.category.is_empty()
            && self.f.q.is_empty()
            && self.f.assignee.is_empty())
    }
}

fn nonempty(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The sites whose tickets the caller may see.
pub(crate) async fn visible_sites(
    state: &AppState,
    user: &crate::auth::Caller,
) -> Result<Vec<JiraSite>, UiError> {
    Ok(state
        .store
        .list_jira_sites()
        .await?
        .into_iter()
        .filter(|s| user.can(Action::ViewTickets, &resource(&s.name)))
        .collect())
}

/// Tickets matching `f` on the sites given (each with its display zone), newest change first.
pub(crate) async fn find(
    state: &AppState,
    sites: &[JiraSite],
    f: &Filters,
    limit: i64,
    offset: i64,
) -> Result<Vec<(TicketRow, String)>, UiError> {
    let mut out = Vec::new();
    for site in sites.iter().filter(|s| f.site.is_empty() || s.name == f.site) {
        let zone = match state.store.ticket_connection(site.id).await? {
            Some(c) => display_zone(c.time_zone.as_deref()),
            None => continue,
        };
        let filter = TicketFilter {
            site_id: Some(site.id),
            project: nonempty(&f.project),
            status_category: nonempty(&f.status),
            category: nonempty(&f.category),
            text: nonempty(&f.q),
            assignee: nonempty(&f.assignee),
            limit: limit + offset,
            offset: 0,
        };
        for t in state.store.list_tickets(&filter).await? {
            out.push((t, zone.clone()));
        }
    }
    out.sort_by(|(a, _), (b, _)| b.updated_at.cmp(&a.updated_at).then(b.key.cmp(&a.key)));
    Ok(out.into_iter().skip(offset as usize).take(limit as usize).collect())
}

pub(crate) async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Query(f): Query<Filters>,
) -> Result<Response, UiError> {
    let mut sites = Vec::new();
    let mut site_names = Vec::new();
    for site in state.store.list_jira_sites().await? {
        if !user.can(Action::ViewIntegration, &resource(&site.name)) {
            continue;
        }
        let connection = state.store.ticket_connection(site.id).await?;
        let tickets = state.store.ticket_counts(site.id).await?.values().sum();
        let text = match &connection {
            None => "not set up".to_owned(),
            Some(c) if !c.authorised => {
                "waiting for the application link's authorisation".to_owned()
            }
            Some(c) if c.paused => "paused".to_owned(),
            Some(c) => match &c.check {
                Some(check) if check.ok => "ingesting".to_owned(),
                Some(_) => "the connection check found problems".to_owned(),
                None => "not checked yet".to_owned(),
            },
        };
        if connection.is_some() {
            site_names.push(site.name.clone());
        }
        sites.push(SiteRow {
            can_configure: user.can(Action::UpdateIngestion, &resource(&site.name)),
            name: site.name,
            url: site.url,
            state: text,
            tickets,
        });
    }
    let page = f.page.unwrap_or(1).max(1);
    let visible = visible_sites(&state, &user).await?;
    let mut jql_errors = Vec::new();
    let (found, more) = if f.jql.trim().is_empty() {
        let found = find(&state, &visible, &f, PAGE + 1, (page - 1) * PAGE).await?;
        let more = found.len() as i64 > PAGE;
        (found, more)
    } else {
        match super::search::search(&state, &user, &f.jql, PAGE, (page - 1) * PAGE).await {
            Ok(s) => {
                let more = !s.page.is_last;
                (s.page.tickets.into_iter().map(|t| (t, s.zone.clone())).collect(), more)
            }
            Err(super::search::Failure::Invalid(messages)) => {
                jql_errors = messages;
                (Vec::new(), false)
            }
            Err(super::search::Failure::Other(e)) => return Err(UiError::Other(e)),
        }
    };
    let site_of = |t: &TicketRow| {
        visible.iter().find(|s| s.id == t.site_id).map(|s| s.name.clone()).unwrap_or_default()
    };
    let rows = found
        .into_iter()
        .take(PAGE as usize)
        .map(|(t, zone)| Row {
            site: site_of(&t),
            summary: t.summary.clone(),
            issue_type: t.issue_type.clone().unwrap_or_default(),
            category: t
                .category
                .as_deref()
                .and_then(TicketCategory::parse)
                .map(|c| c.label().to_owned())
                .unwrap_or_default(),
            status: t.status.clone().unwrap_or_default(),
            status_category: t.status_category.clone().unwrap_or_else(|| "new".to_owned()),
            assignee: t.assignee.clone().unwrap_or_default(),
            updated: t.updated_at.map(|ms| zoned(ms, &zone)).unwrap_or_default(),
            key: t.key,
        })
        .collect();
    let query = filter_query(&f);
    let page = TicketsPage {
        nav: nav_for("/tickets", &user),
        version: VERSION,
        sites,
        rows,
        site_names,
        categories: TicketCategory::ALL.iter().map(|c| (c.as_str(), c.label())).collect(),
        page,
        more,
        query,
        jql_errors,
        f,
    };
    html(StatusCode::OK, &page)
}

/// The filters as a query string (without the page), for the paging links.
fn filter_query(f: &Filters) -> String {
    [
        ("site", &f.site),
        ("project", &f.project),
        ("status", &f.status),
        ("category", &f.category),
        ("q", &f.q),
        ("assignee", &f.assignee),
        ("jql", &f.jql),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}={}", tether_jira::percent_encode(v)))
    .collect::<Vec<_>>()
    .join("&")
}

struct Change {
    at: String,
    author: String,
    field: String,
    from: String,
    to: String,
}

struct Note {
    at: String,
    author: String,
    text: String,
    spent: String,
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    nav: Nav,
    version: &'static str,
    site: String,
    site_url: String,
    t: TicketRow,
    zone: String,
    created: String,
    updated: String,
    resolved: String,
    labels: Vec<String>,
    category: String,
    sprints: Vec<String>,
    custom: Vec<(String, String)>,
    history: Vec<Change>,
    comments: Vec<Note>,
    worklogs: Vec<Note>,
}

fn spent(seconds: Option<i64>) -> String {
    let Some(s) = seconds.filter(|s| *s > 0) else { return String::new() };
    let (h, m) = (s / 3600, s % 3600 / 60);
    match (h, m) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h {m}m"),
    }
}

pub(crate) async fn ticket_page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((site, key)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let path = format!("/tickets/sites/{site}/tickets/{key}");
    if !user.can(Action::ViewTickets, &resource(&site)) {
        return Err(UiError::NotFound(path));
    }
    let Ok(s) = state.store.jira_site_by_name(&site).await else {
        return Err(UiError::NotFound(path));
    };
    let Some(t) = state.store.ticket(s.id, &key).await? else {
        return Err(UiError::NotFound(path));
    };
    let zone = display_zone(
        state.store.ticket_connection(s.id).await?.and_then(|c| c.time_zone).as_deref(),
    );
    let when = |ms: Option<i64>| ms.map(|m| zoned(m, &zone)).unwrap_or_default();
    let history = state
        .store
        .ticket_history(s.id, &t.id)
        .await?
        .into_iter()
        .map(|h| Change {
            at: when(h.at),
            author: h.author.unwrap_or_default(),
            field: h.field,
            from: h.from_string.unwrap_or_default(),
            to: h.to_string.unwrap_or_default(),
        })
        .collect();
    let note = |n: tether_store::NoteRow| Note {
        at: when(n.at),
        author: n.author.unwrap_or_default(),
        text: n.text.unwrap_or_default(),
        spent: spent(n.seconds),
    };
    let comments = state.store.ticket_comments(s.id, &t.id).await?.into_iter().map(note).collect();
    let worklogs = state.store.ticket_worklogs(s.id, &t.id).await?.into_iter().map(note).collect();
    let custom: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&t.custom).unwrap_or_default();
    let custom = custom
        .into_values()
        .map(|v| {
            let name = v["name"].as_str().unwrap_or_default().to_owned();
            let value = match &v["value"] {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (name, value)
        })
        .collect();
    let page = TicketPage {
        nav: nav_for("/tickets", &user),
        version: VERSION,
        site: s.name.clone(),
        site_url: s.url.clone(),
        created: when(t.created_at),
        updated: when(t.updated_at),
        resolved: when(t.resolved_at),
        labels: serde_json::from_str(&t.labels).unwrap_or_default(),
        category: t
            .category
            .as_deref()
            .and_then(TicketCategory::parse)
            .map(|c| c.label().to_owned())
            .unwrap_or_default(),
        sprints: state.store.ticket_sprints(s.id, &t.id).await?,
        custom,
        history,
        comments,
        worklogs,
        zone,
        t,
    };
    html(StatusCode::OK, &page)
}
