//! The ticket section of the Integrations page: for every Jira site the caller may see, its
//! ingestion connection (how tether signs in, whether the last check passed), its import
//! state (projects imported of those found, auto-import, paused) and the last pass, with a
//! link to the site's Jira ingestion page where all of it is changed.

use std::future::Future;
use std::pin::Pin;

use askama::Template;
use tether_policy::Action;
use tether_store::{TicketAuthKind, TicketConnection};

use super::resource;
use super::time::{display_zone, zoned};
use crate::AppState;
use crate::auth::Caller;
use crate::jira::integration::site_title;
use crate::web::integrations::IntegrationSection;
use crate::web::page::UiError;

pub(crate) const SECTION: IntegrationSection =
    IntegrationSection { key: "tickets", title: "Ticket ingestion", render };

fn render<'a>(
    state: &'a AppState,
    user: &'a Caller,
) -> Pin<Box<dyn Future<Output = Result<String, UiError>> + Send + 'a>> {
    Box::pin(section(state, user))
}

struct Row {
    name: String,
    title: String,
    /// `None`: no ingestion connection yet.
    connection: Option<String>,
    /// The last check: `Some(true)` passed, `Some(false)` found gaps, `None` not run.
    check_ok: Option<bool>,
    imported: usize,
    found: usize,
    auto_import: bool,
    paused: bool,
    tickets: i64,
    last_pass: String,
    /// Projects whose last pass failed, and the first error.
    failing: usize,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "tickets_integration.html")]
struct Section {
    rows: Vec<Row>,
}

/// How tether signs in for ingestion, in words (the secret never).
fn connection_text(c: &TicketConnection) -> String {
    let user = c.auth_user.trim();
    let of =
        |what: &str| if user.is_empty() { what.to_owned() } else { format!("{what} of {user}") };
    match c.auth_kind {
        TicketAuthKind::ApiToken => of("API token"),
        TicketAuthKind::Password => of("username and password"),
        TicketAuthKind::Pat => "personal access token".to_owned(),
        TicketAuthKind::OAuth1 if !c.authorised => {
            "application link (OAuth 1.0a), not authorised yet".to_owned()
        }
        TicketAuthKind::OAuth1 => "application link (OAuth 1.0a)".to_owned(),
    }
}

async fn section(state: &AppState, user: &Caller) -> Result<String, UiError> {
    let mut rows = Vec::new();
    for site in state.store.list_jira_sites().await? {
        if !user.can(Action::ViewIntegration, &resource(&site.name)) {
            continue;
        }
        let title = site_title(&site);
        let Some(c) = state.store.ticket_connection(site.id).await? else {
            rows.push(Row {
                name: site.name,
                title,
                connection: None,
                check_ok: None,
                imported: 0,
                found: 0,
                auto_import: false,
                paused: false,
                tickets: 0,
                last_pass: String::new(),
                failing: 0,
                error: None,
            });
            continue;
        };
        let zone = display_zone(c.time_zone.as_deref());
        let projects = state.store.ticket_projects(site.id).await?;
        let tickets = state.store.ticket_counts(site.id).await?.values().sum();
        let last = projects.iter().filter_map(|p| p.last_pass_finished_at).max();
        let failing: Vec<_> = projects.iter().filter_map(|p| p.last_error.clone()).collect();
        rows.push(Row {
            title,
            connection: Some(connection_text(&c)),
            check_ok: c.check.as_ref().map(|k| k.ok),
            imported: projects.iter().filter(|p| p.imported).count(),
            found: projects.iter().filter(|p| p.present).count(),
            auto_import: c.auto_import,
            paused: c.paused,
            tickets,
            last_pass: last.map(|ms| zoned(ms, &zone)).unwrap_or_else(|| "none yet".to_owned()),
            failing: failing.len(),
            error: failing.into_iter().next().or(c.last_error),
            name: site.name,
        });
    }
    Section { rows }.render().map_err(|e| UiError::Other(crate::error::ApiError::internal(e)))
}
