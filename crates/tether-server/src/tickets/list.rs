//! The Tickets page: the sites' ingestion, and the ingested tickets as GitLab's "View Jira
//! issues" shows them (Open / Closed / All tabs by status category, newest created first,
//! sortable columns, filters on text, labels, status, people, project and type) or as a JQL
//! query typed into its box. The filters are turned into JQL ([`super::filters`]) and run
//! through the same search as the box, and the page shows that query so people learn JQL.
//! Times are in the site's service account's zone.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tether_policy::Action;
use tether_store::{TicketCategory, TicketRow};

use super::filters::{Column, Filters, Tab};
use super::resource;
use super::search::{Failure, Searcher};
use super::time::zoned;
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
    created: String,
    updated: String,
}

struct TabLink {
    key: &'static str,
    label: &'static str,
    href: String,
    /// `None` when the filters are refused.
    count: Option<i64>,
    current: bool,
}

struct Header {
    key: &'static str,
    label: &'static str,
    /// `None` for a JQL query that does not parse.
    href: Option<String>,
    /// `aria-sort` of the column the list is sorted by.
    sort: Option<&'static str>,
}

/// What the filters' inputs offer, from the searched sites' catalogues.
#[derive(Default)]
struct Choices {
    projects: BTreeSet<String>,
    statuses: BTreeSet<String>,
    types: BTreeSet<String>,
}

#[derive(Template)]
#[template(path = "tickets.html")]
struct TicketsPage {
    nav: Nav,
    version: &'static str,
    sites: Vec<SiteRow>,
    rows: Vec<Row>,
    f: Filters,
    labels: String,
    site_names: Vec<String>,
    categories: Vec<(&'static str, &'static str)>,
    choices: Choices,
    tabs: Vec<TabLink>,
    headers: Vec<Header>,
    /// The filters' JQL and the link putting it into the box.
    as_jql: Option<(String, String)>,
    clear_href: String,
    all_href: String,
    newer: Option<String>,
    older: Option<String>,
    /// Jira's messages for a query (typed or built) it would refuse.
    errors: Vec<String>,
    /// A query on projects not ingested: the site, and the query in Jira's issue navigator.
    in_jira: Option<(String, String)>,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let f = Filters::read(&pairs);
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
        if connection.is_some() && user.can(Action::ViewTickets, &resource(&site.name)) {
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
    let site = Some(f.site.as_str()).filter(|s| !s.is_empty());
    let searcher = Searcher::new(&state, &user, site).await?;
    let mut choices = Choices::default();
    for s in searcher.sites() {
        for p in state.store.ticket_projects(s.id).await?.into_iter().filter(|p| p.imported) {
            choices.projects.insert(p.key);
        }
        choices
            .statuses
            .extend(state.store.ticket_statuses(s.id).await?.into_iter().map(|s| s.name));
        choices
            .types
            .extend(state.store.ticket_issue_types(s.id).await?.into_iter().map(|t| t.name));
    }

    let jql = if f.by_jql() { f.jql.clone() } else { f.to_jql() };
    let mut errors = Vec::new();
    // A query on projects not ingested is Jira's to answer (or refused with the reason).
    let mut in_jira = None;
    if f.by_jql() {
        match super::passthrough::route(&state, &searcher, &jql).await? {
            super::passthrough::Route::Jira(site) => {
                let href = format!(
                    "{}/issues/?jql={}",
                    site.url.trim_end_matches('/'),
                    tether_jira::percent_encode(&jql)
                );
                in_jira = Some((site.name, href));
            }
            super::passthrough::Route::Refused(messages) => errors = messages,
            super::passthrough::Route::Tether => {}
        }
    }
    let search = match errors.is_empty() && in_jira.is_none() {
        true => searcher.search(&state, &jql, PAGE, (f.page - 1) * PAGE).await,
        false => Err(Failure::Invalid(std::mem::take(&mut errors))),
    };
    let (found, more, sites_found, zone) = match search {
        Ok(found) => (found.page.tickets, !found.page.is_last, found.sites, found.zone),
        Err(Failure::Invalid(messages)) => {
            errors = messages;
            (Vec::new(), false, Vec::new(), String::new())
        }
        Err(Failure::Other(e)) => return Err(UiError::Other(e)),
    };
    let mut tabs = Vec::new();
    if !f.by_jql() {
        for tab in Tab::ALL {
            let count = match searcher.count(&state, &f.jql_with(tab)).await {
                Ok(n) => Some(n),
                Err(Failure::Invalid(_)) => None,
                Err(Failure::Other(e)) => return Err(UiError::Other(e)),
            };
            tabs.push(TabLink {
                key: tab.as_str(),
                label: tab.label(),
                href: f.tab_href(tab),
                count,
                current: tab == f.tab,
            });
        }
    }
    let sorted = f.sorted();
    let headers = Column::ALL
        .into_iter()
        .map(|c| Header {
            key: c.as_str(),
            label: c.label(),
            href: f.sort_href(c),
            sort: sorted.filter(|(s, _)| *s == c).map(|(_, o)| o.aria()),
        })
        .collect();
    let site_of = |t: &TicketRow| {
        sites_found.iter().find(|s| s.id == t.site_id).map(|s| s.name.clone()).unwrap_or_default()
    };
    let when = |ms: Option<i64>| ms.map(|ms| zoned(ms, &zone)).unwrap_or_default();
    let rows = found
        .into_iter()
        .map(|t| Row {
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
            created: when(t.created_at),
            updated: when(t.updated_at),
            key: t.key,
        })
        .collect();
    let page = TicketsPage {
        nav: nav_for("/tickets", &user),
        version: VERSION,
        sites,
        rows,
        labels: f.labels.join(", "),
        site_names,
        categories: TicketCategory::ALL.iter().map(|c| (c.as_str(), c.label())).collect(),
        choices,
        tabs,
        headers,
        as_jql: (!f.by_jql()).then(|| (jql.clone(), f.as_jql_href())),
        clear_href: f.clear_href(),
        all_href: f.tab_href(Tab::All),
        newer: (f.page > 1).then(|| f.page_href(f.page - 1)),
        older: more.then(|| f.page_href(f.page + 1)),
        errors,
        in_jira,
        f,
    };
    html(StatusCode::OK, &page)
}
