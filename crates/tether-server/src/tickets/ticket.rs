//! One ticket's page: its fields, description, history as a timeline (one entry per change
//! Jira recorded: when, who, each field from → to), comments and worklogs, the flags linked to
//! it with their state per tracked environment (the Jira feature's cards) and the commits and
//! merge requests that mention it (the sections other features add to an issue's page, as
//! `/issues/{KEY}` shows them). Times are in the site's service account's zone.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use tether_policy::Action;
use tether_store::{HistoryRow, TicketCategory, TicketRow};

use super::resource;
use super::time::{display_zone, zoned};
use crate::web::page::{UiError, html};
use crate::web::signin::UiUser;
use crate::web::{Nav, nav_for};
use crate::{AppState, VERSION};

/// One change Jira recorded: who changed what, when.
struct Entry {
    at: String,
    author: String,
    changes: Vec<Change>,
}

/// One field of an [`Entry`]; empty values are none.
struct Change {
    field: String,
    from: String,
    to: String,
}

/// The history rows (oldest first, items of one change together) as one entry per change.
fn timeline(rows: Vec<HistoryRow>, when: impl Fn(Option<i64>) -> String) -> Vec<Entry> {
    let mut entries: Vec<(String, Entry)> = Vec::new();
    for h in rows {
        let change = Change {
            field: h.field,
            from: h.from_string.unwrap_or_default(),
            to: h.to_string.unwrap_or_default(),
        };
        match entries.last_mut() {
            Some((id, entry)) if *id == h.history_id => entry.changes.push(change),
            _ => entries.push((
                h.history_id,
                Entry {
                    at: when(h.at),
                    author: h.author.unwrap_or_default(),
                    changes: vec![change],
                },
            )),
        }
    }
    entries.into_iter().map(|(_, e)| e).collect()
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
    history: Vec<Entry>,
    comments: Vec<Note>,
    worklogs: Vec<Note>,
    /// The flags' cards (HTML).
    flags: String,
    /// What other features show of the issue: (section key, its HTML).
    sections: Vec<(&'static str, String)>,
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

pub(crate) async fn page(
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
    let history = timeline(state.store.ticket_history(s.id, &t.id).await?, when);
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
    let flags = crate::jira::issue_flags_on_site(&state, &user, s.id, &t.key).await?;
    let mut sections = Vec::new();
    for section in state.issue_sections {
        sections.push((section.key, (section.render)(&state, &user, &t.key).await?));
    }
    let page = TicketPage {
        flags,
        sections,
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
