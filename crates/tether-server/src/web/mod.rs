//! What every page shares: the layout with navigation, page errors, the CSRF
//! check, signing in, formatting; and the pages of no one feature: the status
//! page, the Integrations page (`integrations.rs`, sections from the features),
//! the stylesheet and the HTML 404 page. `/` is the flag list.
//! Everything works without JavaScript. The features' pages live with them
//! (`flags/ui.rs`, `jira/ui.rs`).

pub(crate) mod csrf;
pub(crate) mod format;
pub(crate) mod headers;
pub(crate) mod integrations;
pub(crate) mod page;
pub(crate) mod signin;

use askama::Template;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::error::ApiError;
use crate::{AppState, VERSION, health};

const STYLESHEET: &str = include_str!("../../static/tether.css");

/// The main navigation, in order: (path, label). Only pages that exist.
const NAV: [(&str, &str); 8] = [
    ("/flags", "Flags"),
    ("/jira", "Jira issues"),
    ("/code", "Code"),
    ("/tickets", "Tickets"),
    ("/insights", "Insights"),
    ("/integrations", "Integrations"),
    ("/roles", "Roles"),
    ("/status", "Status"),
];

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/flags") }))
        .route("/integrations", get(integrations::page))
        .route("/status", get(status))
        .route("/signin", get(signin::form).post(signin::submit))
        .route("/signout", post(signin::sign_out))
        .route("/static/tether.css", get(stylesheet))
}

pub(crate) struct NavItem {
    pub(crate) href: &'static str,
    pub(crate) label: &'static str,
    pub(crate) current: bool,
}

/// The top of every page: the sections, and who is signed in (with a sign-out
/// button) when someone is.
pub(crate) struct Nav {
    pub(crate) items: Vec<NavItem>,
    /// `member/token` of the signed-in person.
    pub(crate) user: Option<String>,
}

/// The navigation with `current` marked, for a page nobody is signed in to.
pub(crate) fn nav(current: &str) -> Nav {
    let items = NAV
        .iter()
        .map(|&(href, label)| NavItem { href, label, current: href == current })
        .collect();
    Nav { items, user: None }
}

/// The navigation for a page `user` is signed in to.
pub(crate) fn nav_for(current: &str, user: &crate::auth::Caller) -> Nav {
    Nav { user: Some(user.actor()), ..nav(current) }
}

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage {
    nav: Nav,
    version: &'static str,
    backend: &'static str,
    ready: bool,
    database: String,
    migrations: String,
    outbox_depth: String,
    outbox_age: String,
    uptime: String,
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage {
    nav: Nav,
    version: &'static str,
    path: String,
}

fn render(t: &impl Template) -> Result<Html<String>, ApiError> {
    t.render().map(Html).map_err(ApiError::internal)
}

async fn status(State(state): State<AppState>) -> Result<Html<String>, ApiError> {
    let readiness = health::readiness(&state).await;
    let (outbox_depth, outbox_age) = match state.store.outbox_stats().await {
        Ok(s) => (
            s.pending.to_string(),
            s.oldest_created_at
                .map(|t| human_duration(((state.clock.now_ms() - t).max(0) / 1000) as u64))
                .unwrap_or_else(|| "none waiting".to_owned()),
        ),
        Err(_) => ("unknown".to_owned(), "unknown".to_owned()),
    };
    render(&StatusPage {
        nav: nav("/status"),
        version: VERSION,
        backend: state.store.backend_kind().as_str(),
        ready: readiness.ready,
        database: readiness.database,
        migrations: readiness.migrations,
        outbox_depth,
        outbox_age,
        uptime: human_duration(state.started.elapsed().as_secs()),
    })
}

async fn stylesheet() -> Response {
    (
        [(CONTENT_TYPE, "text/css; charset=utf-8"), (CACHE_CONTROL, "public, max-age=3600")],
        STYLESHEET,
    )
        .into_response()
}

/// Unknown pages: an HTML 404 (the API has its own JSON one).
pub(crate) async fn not_found(req: Request) -> Response {
    not_found_page(req.uri().path().to_owned())
}

/// The HTML 404 page for `path`.
pub(crate) fn not_found_page(path: String) -> Response {
    let page = NotFoundPage { nav: nav(""), version: VERSION, path };
    match render(&page) {
        Ok(html) => (StatusCode::NOT_FOUND, html).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `3d 4h`, `5m 2s`, `12s`: two units at most.
fn human_duration(secs: u64) -> String {
    let units = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)];
    let parts: Vec<String> = units
        .iter()
        .scan(secs, |left, &(name, size)| {
            let n = *left / size;
            *left %= size;
            Some((n, name))
        })
        .skip_while(|(n, _)| *n == 0)
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, name)| format!("{n}{name}"))
        .collect();
    if parts.is_empty() { "0s".to_owned() } else { parts.join(" ") }
}

#[cfg(test)]
mod tests;
