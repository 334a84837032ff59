//! The pages of tickets: a site's Jira ingestion page (connection and its checks, the
//! application link's three-legged flow, the project list with import switches, auto-import,
//! pause, refresh, type assignments, removing data, turning the integration off) and the
//! Tickets page (`list.rs`). Every form works without JavaScript.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::Value;
use tether_policy::Action;
use tether_store::{JiraSite, TicketCategory};

use super::time::{display_zone, zoned};
use super::views::{ConnectionView, ProjectView, SiteStatus};
use super::{ConnectionBody, DEFAULT_CONSUMER_KEY, resource, site_status};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::web::page::{UiError, field, html};
use crate::web::signin::UiUser;
use crate::web::{Nav, nav_for};
use crate::{AppState, VERSION};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/tickets", get(super::list::page))
        .route("/tickets/sites/{site}/tickets/{key}", get(super::ticket::page))
        .route("/tickets/sites/{site}", get(page))
        .route("/tickets/sites/{site}/connection", post(set_connection))
        .route("/tickets/sites/{site}/oauth1/authorise", post(authorise))
        .route("/tickets/sites/{site}/oauth1/callback", get(callback))
        .route("/tickets/sites/{site}/refresh", post(refresh))
        .route("/tickets/sites/{site}/settings", post(settings))
        .route("/tickets/sites/{site}/run", post(run_now))
        .route("/tickets/sites/{site}/off", post(turn_off))
        .route("/tickets/sites/{site}/projects/{jira_project}/import", post(set_import))
        .route("/tickets/sites/{site}/projects/{jira_project}/remove-data", post(remove_data))
        .route("/tickets/sites/{site}/projects/{jira_project}/types", post(set_types))
}

/// Where Jira sends a person back after allowing the application link.
pub(crate) fn callback_url(state: &AppState, site: &str) -> String {
    format!(
        "{}/tickets/sites/{}/oauth1/callback",
        state.config.public_url.trim_end_matches('/'),
        tether_jira::percent_encode(site)
    )
}

struct TypeRow {
    id: String,
    name: String,
    category: &'static str,
    edited: bool,
}

struct ProjectRow {
    view: ProjectView,
    kind: &'static str,
    last_pass: String,
    progress: String,
    error_at: String,
    types: Vec<TypeRow>,
}

#[derive(Template)]
#[template(path = "tickets_site.html")]
struct SitePage {
    nav: Nav,
    version: &'static str,
    notice: Option<String>,
    error: Option<String>,
    status: SiteStatus,
    zone: String,
    checked_at: String,
    check_ok: Option<bool>,
    messages: Vec<String>,
    notes: Vec<String>,
    projects: Vec<ProjectRow>,
    public_url: String,
    categories: Vec<(&'static str, &'static str)>,
    can_update: bool,
    can_delete: bool,
    open_form: String,
    consumer_key: &'static str,
    callback: String,
}

impl SitePage {
    fn conn(&self) -> Option<&ConnectionView> {
        self.status.connection.as_ref()
    }

    fn is_oauth1(&self) -> bool {
        self.conn().is_some_and(|c| c.kind == "oauth1")
    }
}

fn kind_label(type_key: Option<&str>) -> &'static str {
    match type_key {
        Some("software") => "Jira Software",
        Some("business") => "Jira Work Management",
        Some("service_desk") => "Jira Service Management",
        _ => "Unknown type",
    }
}

fn strings(v: Option<&Value>, key: &str) -> Vec<String> {
    v.and_then(|v| v.get(key))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PageQuery {
    #[serde(default)]
    saved: String,
}

async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(site): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, UiError> {
    let site = visible_site(&state, &user, &site).await?;
    let notice = match q.saved.as_str() {
        "" => None,
        "connection" => Some("Saved the connection and checked it.".to_owned()),
        "oauth1" => Some(
            "Saved the application link's keys: paste them into Jira, then authorise.".to_owned(),
        ),
        "authorised" => {
            Some("Authorised: the application link works, and its checks ran.".to_owned())
        }
        "refreshed" => Some("Checked again; new projects are listed.".to_owned()),
        "removed" => Some("Removed the project's tickets.".to_owned()),
        "off" => Some("Turned ticket ingestion off and removed everything it brought.".to_owned()),
        "run" => Some("Every imported project runs now.".to_owned()),
        _ => Some("Saved.".to_owned()),
    };
    render(&state, &user, &site, notice, None, String::new(), StatusCode::OK).await
}

async fn visible_site(state: &AppState, user: &Caller, name: &str) -> Result<JiraSite, UiError> {
    let path = format!("/tickets/sites/{name}");
    if !user.can(Action::ViewIntegration, &resource(name)) {
        return Err(UiError::NotFound(path));
    }
    super::find_site(state, name).await.map_err(|e| match e {
        ApiError::NotFound(_) => UiError::NotFound(path),
        other => UiError::Other(other),
    })
}

async fn render(
    state: &AppState,
    user: &Caller,
    site: &JiraSite,
    notice: Option<String>,
    error: Option<String>,
    open_form: String,
    status_code: StatusCode,
) -> Result<Response, UiError> {
    let mut status = site_status(state, site).await?;
    let views = std::mem::take(&mut status.projects);
    let conn = status.connection.as_ref();
    let zone = display_zone(conn.map(|c| c.time_zone.as_str()));
    let check = conn.and_then(|c| c.check.as_ref());
    let when = |ms: Option<i64>| ms.map(|t| zoned(t, &zone)).unwrap_or_default();
    let mut projects = Vec::new();
    for p in views {
        let types = state
            .store
            .type_assignments(site.id, &p.id)
            .await?
            .into_iter()
            .map(|a| TypeRow {
                name: a.name.unwrap_or_else(|| a.issue_type_id.clone()),
                id: a.issue_type_id,
                category: a.category.as_str(),
                edited: a.edited,
            })
            .collect();
        let progress = match (p.pass.state, p.pass.total) {
            ("running", Some(t)) => format!("{} of {t}", p.pass.done),
            ("running", None) => format!("{} so far", p.pass.done),
            _ => String::new(),
        };
        projects.push(ProjectRow {
            kind: kind_label(p.type_key.as_deref()),
            last_pass: match (p.pass.last_finished_at, p.pass.last_issues) {
                (Some(t), Some(n)) => format!("{} ({n} tickets)", zoned(t, &zone)),
                (Some(t), None) => zoned(t, &zone),
                _ => "never".to_owned(),
            },
            progress,
            error_at: when(p.pass.error_at),
            types,
            view: p,
        });
    }
    let page = SitePage {
        nav: nav_for("/tickets", user),
        version: VERSION,
        notice,
        error,
        checked_at: when(conn.and_then(|c| c.checked_at)),
        check_ok: check.and_then(|c| c.get("ok")).and_then(Value::as_bool),
        messages: strings(check, "messages"),
        notes: strings(check, "notes"),
        projects,
        public_url: state.config.public_url.trim_end_matches('/').to_owned(),
        categories: TicketCategory::ALL.iter().map(|c| (c.as_str(), c.label())).collect(),
        can_update: user.can(Action::UpdateIngestion, &resource(&site.name)),
        can_delete: user.can(Action::DeleteIngestedData, &resource(&site.name)),
        open_form,
        consumer_key: DEFAULT_CONSUMER_KEY,
        callback: callback_url(state, &site.name),
        zone,
        status,
    };
    html(status_code, &page)
}

/// A refusal shown on the page: the API's error as a sentence.
async fn refused(
    state: &AppState,
    user: &Caller,
    site: &JiraSite,
    e: ApiError,
    open_form: &str,
) -> Result<Response, UiError> {
    let status = match &e {
        ApiError::Forbidden(why) => return Err(UiError::Forbidden(why.clone())),
        ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        ApiError::Conflict(_) => StatusCode::CONFLICT,
        ApiError::NotFound(_) => StatusCode::NOT_FOUND,
        ApiError::Unavailable(_) => StatusCode::BAD_GATEWAY,
        ApiError::Internal(_) => return Err(UiError::Other(e)),
        _ => StatusCode::BAD_REQUEST,
    };
    render(state, user, site, None, Some(e.to_string()), open_form.to_owned(), status).await
}

/// Back to the site's page saying what was saved, or the page again with what was refused.
async fn settled<T>(
    state: &AppState,
    user: &Caller,
    site: &JiraSite,
    done: Result<T, ApiError>,
    saved: &str,
    open_form: &str,
) -> Result<Response, UiError> {
    match done {
        Ok(_) => Ok(back(&site.name, saved)),
        Err(e) => refused(state, user, site, e, open_form).await,
    }
}

fn back(site: &str, saved: &str) -> Response {
    Redirect::to(&format!("/tickets/sites/{}?saved={saved}", tether_jira::percent_encode(site)))
        .into_response()
}

async fn set_connection(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(site): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let site = visible_site(&state, &user, &site).await?;
    let kind = field(&fields, "kind").to_owned();
    let body = ConnectionBody {
        kind: kind.clone(),
        user: field(&fields, "user").to_owned(),
        secret: Some(field(&fields, "secret").to_owned()).filter(|s| !s.is_empty()),
        consumer_key: Some(field(&fields, "consumer_key").to_owned()).filter(|s| !s.is_empty()),
    };
    match super::set_connection(&state, &user, &site, &body).await {
        Ok(None) => Ok(back(&site.name, "oauth1")),
        Ok(Some(_)) => Ok(back(&site.name, "connection")),
        Err(e) => refused(&state, &user, &site, e, &kind).await,
    }
}

async fn authorise(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(site): Path<String>,
) -> Result<Response, UiError> {
    let site = visible_site(&state, &user, &site).await?;
    let callback = callback_url(&state, &site.name);
    match super::authorise(&state, &user, &site, &callback).await {
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(e) => refused(&state, &user, &site, e, "").await,
    }
}

#[derive(Debug, Default, Deserialize)]
struct CallbackQuery {
    #[serde(default)]
    oauth_token: String,
    #[serde(default)]
    oauth_verifier: String,
}

async fn callback(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(site): Path<String>,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, UiError> {
    let site = visible_site(&state, &user, &site).await?;
    if q.oauth_verifier.is_empty() {
        let e = ApiError::BadRequest(
            "Jira came back without a verifier: access was not allowed. Authorise again, and \
             choose Allow on Jira's page."
                .into(),
        );
        return refused(&state, &user, &site, e, "").await;
    }
    let done =
        super::oauth1_callback(&state, &user, &site, &q.oauth_token, &q.oauth_verifier).await;
    settled(&state, &user, &site, done, "authorised", "").await
}

async fn refresh(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(site): Path<String>,
) -> Result<Response, UiError> {
    let site = visible_site(&state, &user, &site).await?;
    let done = super::refresh(&state, &user, &site).await;
    settled(&state, &user, &site, done, "refreshed", "").await
}

async fn settings(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(site): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let site = visible_site(&state, &user, &site).await?;
    let flag = |name: &str| match field(&fields, name) {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    };
    let done = super::set_switches(&state, &user, &site, flag("paused"), flag("auto_import")).await;
    settled(&state, &user, &site, done, "settings", "").await
}

async fn run_now(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(site): Path<String>,
) -> Result<Response, UiError> {
    let site = visible_site(&state, &user, &site).await?;
    let done = super::run_now(&state, &user, &site, None).await;
    settled(&state, &user, &site, done, "run", "").await
}

async fn turn_off(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(site): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let site = visible_site(&state, &user, &site).await?;
    let done = super::turn_off(&state, &user, &site, field(&fields, "confirm")).await;
    settled(&state, &user, &site, done, "off", "off").await
}

async fn set_import(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((site, project)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let site = visible_site(&state, &user, &site).await?;
    let on = field(&fields, "import") == "on";
    let done = super::set_import(&state, &user, &site, &project, on).await;
    settled(&state, &user, &site, done, "import", "").await
}

async fn remove_data(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((site, project)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let site = visible_site(&state, &user, &site).await?;
    let done = super::remove_project_data(&state, &user, &site, &project).await;
    settled(&state, &user, &site, done, "removed", "").await
}

async fn set_types(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((site, project)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let site = visible_site(&state, &user, &site).await?;
    let current = match state.store.ticket_project(site.id, &project).await {
        Ok(p) => state.store.type_assignments(site.id, &p.id).await?,
        Err(_) => vec![],
    };
    for (name, category) in &fields {
        let Some(issue_type) = name.strip_prefix("type-") else { continue };
        // Only what changed becomes a person's choice; the rest keeps following the default.
        if current.iter().any(|a| a.issue_type_id == issue_type && a.category.as_str() == category)
        {
            continue;
        }
        if let Err(e) = super::set_type(&state, &user, &site, &project, issue_type, category).await
        {
            return refused(&state, &user, &site, e, "").await;
        }
    }
    Ok(back(&site.name, "types"))
}
