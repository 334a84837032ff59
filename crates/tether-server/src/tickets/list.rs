//! The Tickets page: the Jira sites and their ingestion, and the tickets ingested from them.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use tether_policy::Action;

use super::resource;
use crate::AppState;
use crate::VERSION;
use crate::web::page::{UiError, html};
use crate::web::signin::UiUser;
use crate::web::{NavItem, nav};

struct SiteRow {
    name: String,
    url: String,
    state: String,
    tickets: i64,
}

#[derive(Template)]
#[template(path = "tickets.html")]
struct TicketsPage {
    nav: Vec<NavItem>,
    version: &'static str,
    sites: Vec<SiteRow>,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
) -> Result<Response, UiError> {
    let mut sites = Vec::new();
    for site in state.store.list_jira_sites().await? {
        if !user.can(Action::ViewIntegration, &resource(&site.name)) {
            continue;
        }
        let connection = state.store.ticket_connection(site.id).await?;
        let tickets = state.store.ticket_counts(site.id).await?.values().sum();
        let state_text = match &connection {
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
        sites.push(SiteRow { name: site.name, url: site.url, state: state_text, tickets });
    }
    html(StatusCode::OK, &TicketsPage { nav: nav("/tickets"), version: VERSION, sites })
}

pub(crate) async fn ticket_page(
    State(_state): State<AppState>,
    UiUser(_user): UiUser,
    Path((site, key)): Path<(String, String)>,
) -> Result<Response, UiError> {
    Err(UiError::NotFound(format!("/tickets/{site}/{key}")))
}
