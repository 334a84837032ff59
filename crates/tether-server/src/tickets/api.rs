//! The tickets API (`/api/tickets…`): a site's ingestion connection (secrets write-only) and
//! its checks, the OAuth 1.0a flow, import control, type assignments, and the ingested
//! tickets with their history.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::json;
use tether_policy::Action;

use super::{ConnectionBody, find_site, resource, site_status};
use crate::AppState;
use crate::admin::openapi::Route;
use crate::auth::Caller;
use crate::error::{ApiError, Json};

/// (method, path, action, summary) of this module's routes, for `/api/openapi.json`.
pub(crate) const ROUTES: &[Route] = &[
    (
        "get",
        "/api/tickets/sites",
        "viewIntegration",
        "The ticket ingestion of every Jira site the caller may see",
    ),
    (
        "get",
        "/api/tickets/sites/{site}",
        "viewIntegration",
        "A site's ticket ingestion: connection, last check, switches, projects with their passes",
    ),
    (
        "put",
        "/api/tickets/sites/{site}/connection",
        "updateIngestion",
        "Set the ingestion connection (kind api_token, password, pat or oauth1; the secret is write-only) and check it",
    ),
    (
        "delete",
        "/api/tickets/sites/{site}/connection",
        "deleteIngestedData",
        "Turn the ticket integration off, deleting every ticket it brought (body {\"confirm\": site name})",
    ),
    (
        "post",
        "/api/tickets/sites/{site}/oauth1/authorise",
        "updateIngestion",
        "OAuth 1.0a: get a request token and the Jira page where a user allows access",
    ),
    (
        "post",
        "/api/tickets/sites/{site}/oauth1/verify",
        "updateIngestion",
        "OAuth 1.0a: trade the request token and verifier for an access token, then check",
    ),
    (
        "post",
        "/api/tickets/sites/{site}/refresh",
        "updateIngestion",
        "Check the connection again and discover new projects",
    ),
    (
        "put",
        "/api/tickets/sites/{site}/settings",
        "updateIngestion",
        "Pause or resume all ingestion, turn auto-import on or off",
    ),
    (
        "post",
        "/api/tickets/sites/{site}/run",
        "updateIngestion",
        "Make every imported project (or one) due now",
    ),
    (
        "put",
        "/api/tickets/sites/{site}/projects/{jira_project}",
        "updateIngestion",
        "Turn a project's import on or off (its data stays)",
    ),
    (
        "post",
        "/api/tickets/sites/{site}/projects/{jira_project}/remove-data",
        "deleteIngestedData",
        "Delete everything ingested from one project",
    ),
    (
        "get",
        "/api/tickets/sites/{site}/projects/{jira_project}/types",
        "viewIntegration",
        "A project's ticket type assignments",
    ),
    (
        "get",
        "/api/tickets",
        "viewTickets",
        "Ingested tickets, newest change first; filters site, project, status (new, indeterminate, done), category, q (text), assignee; limit, offset",
    ),
    (
        "get",
        "/api/search",
        "viewTickets",
        "JQL over the ingested tickets, answered in Jira's search shape: jql, maxResults (default 50, at most 100), nextPageToken, fields (comma-separated; *navigable by default, *all adds the description)",
    ),
    (
        "post",
        "/api/search",
        "viewTickets",
        "The same search with a JSON body {jql, maxResults, nextPageToken, fields: [..]}; a refused query answers 400 {errorMessages, errors}",
    ),
    (
        "get",
        "/api/tickets/sites/{site}/tickets/{key}",
        "viewTickets",
        "One ingested ticket with its complete history, comments, worklogs and sprints",
    ),
    (
        "put",
        "/api/tickets/sites/{site}/projects/{jira_project}/types/{issue_type}",
        "updateIngestion",
        "Set what an issue type of a project counts as (story, bug, task, subtask, epic, other)",
    ),
];

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/tickets", get(list_tickets))
        .route("/search", get(super::search::get_search).post(super::search::post_search))
        .route("/tickets/sites/{site}/tickets/{key}", get(one_ticket))
        .route("/tickets/sites", get(list_sites))
        .route("/tickets/sites/{site}", get(get_site))
        .route("/tickets/sites/{site}/connection", put(put_connection).delete(delete_connection))
        .route("/tickets/sites/{site}/oauth1/authorise", post(authorise))
        .route("/tickets/sites/{site}/oauth1/verify", post(verify))
        .route("/tickets/sites/{site}/refresh", post(refresh))
        .route("/tickets/sites/{site}/settings", put(settings))
        .route("/tickets/sites/{site}/run", post(run_now))
        .route("/tickets/sites/{site}/projects/{jira_project}", put(set_import))
        .route("/tickets/sites/{site}/projects/{jira_project}/remove-data", post(remove_data))
        .route("/tickets/sites/{site}/projects/{jira_project}/types", get(types))
        .route("/tickets/sites/{site}/projects/{jira_project}/types/{issue_type}", put(set_type))
}

/// A JSON body that may be left out (then every field takes its default).
fn optional<T: Default + serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))
}

async fn list_sites(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let mut out = Vec::new();
    for site in state.store.list_jira_sites().await? {
        if caller.can(Action::ViewIntegration, &resource(&site.name)) {
            out.push(site_status(&state, &site).await?);
        }
    }
    Ok(Json(out).into_response())
}

async fn get_site(
    State(state): State<AppState>,
    caller: Caller,
    Path(site): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Action::ViewIntegration, &resource(&site))?;
    let site = find_site(&state, &site).await?;
    Ok(Json(site_status(&state, &site).await?).into_response())
}

async fn put_connection(
    State(state): State<AppState>,
    caller: Caller,
    Path(site): Path<String>,
    Json(body): Json<ConnectionBody>,
) -> Result<Response, ApiError> {
    caller.require(Action::UpdateIngestion, &resource(&site))?;
    let site = find_site(&state, &site).await?;
    let outcome = super::set_connection(&state, &caller, &site, &body).await?;
    let status = site_status(&state, &site).await?;
    let check = outcome.as_ref().map(super::outcome_json);
    Ok(Json(json!({"status": status, "check": check})).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Confirm {
    #[serde(default)]
    confirm: String,
}

async fn delete_connection(
    State(state): State<AppState>,
    caller: Caller,
    Path(site): Path<String>,
    Json(body): Json<Confirm>,
) -> Result<Response, ApiError> {
    caller.require(Action::DeleteIngestedData, &resource(&site))?;
    let site = find_site(&state, &site).await?;
    if super::turn_off(&state, &caller, &site, &body.confirm).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::NotFound("this site has no ticket ingestion connection".into()))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthoriseBody {
    /// Where Jira sends the user back; default tether's own callback page.
    #[serde(default)]
    callback: Option<String>,
}

async fn authorise(
    State(state): State<AppState>,
    caller: Caller,
    Path(site): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: AuthoriseBody = optional(&body)?;
    caller.require(Action::UpdateIngestion, &resource(&site))?;
    let site = find_site(&state, &site).await?;
    let callback = body.callback.unwrap_or_else(|| super::ui::callback_url(&state, &site.name));
    let url = super::authorise(&state, &caller, &site, &callback).await?;
    Ok(Json(json!({"authorize_url": url})).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    oauth_token: String,
    oauth_verifier: String,
}

async fn verify(
    State(state): State<AppState>,
    caller: Caller,
    Path(site): Path<String>,
    Json(body): Json<VerifyBody>,
) -> Result<Response, ApiError> {
    caller.require(Action::UpdateIngestion, &resource(&site))?;
    let site = find_site(&state, &site).await?;
    let outcome =
        super::oauth1_callback(&state, &caller, &site, &body.oauth_token, &body.oauth_verifier)
            .await?;
    Ok(Json(super::outcome_json(&outcome)).into_response())
}

async fn refresh(
    State(state): State<AppState>,
    caller: Caller,
    Path(site): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Action::UpdateIngestion, &resource(&site))?;
    let site = find_site(&state, &site).await?;
    let outcome = super::refresh(&state, &caller, &site).await?;
    Ok(Json(super::outcome_json(&outcome)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    #[serde(default)]
    paused: Option<bool>,
    #[serde(default)]
    auto_import: Option<bool>,
}

async fn settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(site): Path<String>,
    Json(body): Json<Settings>,
) -> Result<Response, ApiError> {
    caller.require(Action::UpdateIngestion, &resource(&site))?;
    let site = find_site(&state, &site).await?;
    super::set_switches(&state, &caller, &site, body.paused, body.auto_import).await?;
    Ok(Json(site_status(&state, &site).await?).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunBody {
    #[serde(default)]
    project: Option<String>,
}

async fn run_now(
    State(state): State<AppState>,
    caller: Caller,
    Path(site): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: RunBody = optional(&body)?;
    caller.require(Action::UpdateIngestion, &resource(&site))?;
    let site = find_site(&state, &site).await?;
    let n = super::run_now(&state, &caller, &site, body.project.as_deref()).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"due": n}))).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportBody {
    import: bool,
}

async fn set_import(
    State(state): State<AppState>,
    caller: Caller,
    Path((site, project)): Path<(String, String)>,
    Json(body): Json<ImportBody>,
) -> Result<Response, ApiError> {
    caller.require(Action::UpdateIngestion, &resource(&site))?;
    let site = find_site(&state, &site).await?;
    super::set_import(&state, &caller, &site, &project, body.import).await?;
    let p = state.store.ticket_project(site.id, &project).await?;
    let n = state.store.ticket_counts(site.id).await?.get(&p.id).copied().unwrap_or(0);
    Ok(Json(super::views::project_view(&p, n, state.clock.now_ms())).into_response())
}

async fn remove_data(
    State(state): State<AppState>,
    caller: Caller,
    Path((site, project)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.require(Action::DeleteIngestedData, &resource(&site))?;
    let site = find_site(&state, &site).await?;
    let removed = super::remove_project_data(&state, &caller, &site, &project).await?;
    Ok(Json(json!({"removed_tickets": removed})).into_response())
}

async fn types(
    State(state): State<AppState>,
    caller: Caller,
    Path((site, project)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.require(Action::ViewIntegration, &resource(&site))?;
    let site = find_site(&state, &site).await?;
    let p = state.store.ticket_project(site.id, &project).await.map_err(|e| match e {
        tether_store::StoreError::NotFound => {
            ApiError::NotFound(format!("no Jira project {project:?}"))
        }
        other => other.into(),
    })?;
    let list: Vec<_> = state
        .store
        .type_assignments(site.id, &p.id)
        .await?
        .into_iter()
        .map(|a| {
            json!({
                "issue_type": a.issue_type_id,
                "name": a.name,
                "category": a.category.as_str(),
                "edited": a.edited,
            })
        })
        .collect();
    Ok(Json(json!({"project": p.key, "can_create": p.can_create, "types": list})).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TypeBody {
    category: String,
}

async fn set_type(
    State(state): State<AppState>,
    caller: Caller,
    Path((site, project, issue_type)): Path<(String, String, String)>,
    Json(body): Json<TypeBody>,
) -> Result<Response, ApiError> {
    caller.require(Action::UpdateIngestion, &resource(&site))?;
    let site = find_site(&state, &site).await?;
    super::set_type(&state, &caller, &site, &project, &issue_type, &body.category).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    site: String,
    #[serde(default)]
    project: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    offset: Option<i64>,
}

fn ticket_json(site: &str, t: &tether_store::TicketRow) -> serde_json::Value {
    json!({
        "site": site,
        "id": t.id,
        "key": t.key,
        "project": t.project_key,
        "summary": t.summary,
        "status": t.status,
        "status_category": t.status_category,
        "issue_type": t.issue_type,
        "category": t.category,
        "priority": t.priority,
        "resolution": t.resolution,
        "assignee": t.assignee,
        "reporter": t.reporter,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "resolved_at": t.resolved_at,
        "labels": serde_json::from_str::<serde_json::Value>(&t.labels).unwrap_or_default(),
        "story_points": t.story_points,
        "parent": t.parent_key,
        "epic": t.epic_key,
    })
}

async fn list_tickets(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Query(q): axum::extract::Query<ListQuery>,
) -> Result<Response, ApiError> {
    if !q.site.is_empty() {
        caller.require(Action::ViewTickets, &resource(&q.site))?;
        find_site(&state, &q.site).await?;
    }
    let sites: Vec<_> = state
        .store
        .list_jira_sites()
        .await?
        .into_iter()
        .filter(|s| caller.can(Action::ViewTickets, &resource(&s.name)))
        .collect();
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let offset = q.offset.unwrap_or(0).max(0);
    let found = find(&state, &sites, &q, limit, offset).await?;
    let list: Vec<_> = found.iter().map(|(t, site)| ticket_json(site, t)).collect();
    Ok(Json(json!({"tickets": list, "limit": limit, "offset": offset})).into_response())
}

/// Tickets matching the list's filters on the sites given, most recently updated first.
async fn find(
    state: &AppState,
    sites: &[tether_store::JiraSite],
    q: &ListQuery,
    limit: i64,
    offset: i64,
) -> Result<Vec<(tether_store::TicketRow, String)>, ApiError> {
    let nonempty = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let mut out = Vec::new();
    for site in sites.iter().filter(|s| q.site.is_empty() || s.name == q.site) {
        if state.store.ticket_connection(site.id).await?.is_none() {
            continue;
        }
        let filter = tether_store::TicketFilter {
            site_id: Some(site.id),
            project: nonempty(&q.project),
            status_category: nonempty(&q.status),
            category: nonempty(&q.category),
            text: nonempty(&q.q),
            assignee: nonempty(&q.assignee),
            limit: limit + offset,
            offset: 0,
        };
        for t in state.store.list_tickets(&filter).await? {
            out.push((t, site.name.clone()));
        }
    }
    out.sort_by(|(a, _), (b, _)| b.updated_at.cmp(&a.updated_at).then(b.key.cmp(&a.key)));
    Ok(out.into_iter().skip(offset as usize).take(limit as usize).collect())
}

async fn one_ticket(
    State(state): State<AppState>,
    caller: Caller,
    Path((site, key)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.require(Action::ViewTickets, &resource(&site))?;
    let s = find_site(&state, &site).await?;
    let Some(t) = state.store.ticket(s.id, &key).await? else {
        return Err(ApiError::NotFound(format!("no ticket {key:?} was ingested from {site:?}")));
    };
    let mut out = ticket_json(&s.name, &t);
    out["description"] = json!(t.description);
    out["custom_fields"] = serde_json::from_str(&t.custom).unwrap_or_default();
    out["sprints"] = json!(state.store.ticket_sprints(s.id, &t.id).await?);
    out["history"] = state
        .store
        .ticket_history(s.id, &t.id)
        .await?
        .into_iter()
        .map(|h| json!({"id": h.history_id, "at": h.at, "author": h.author, "field": h.field, "from": h.from_string, "to": h.to_string}))
        .collect();
    let note = |n: tether_store::NoteRow| json!({"id": n.id, "author": n.author, "text": n.text, "at": n.at, "seconds": n.seconds});
    out["comments"] =
        state.store.ticket_comments(s.id, &t.id).await?.into_iter().map(note).collect();
    out["worklogs"] =
        state.store.ticket_worklogs(s.id, &t.id).await?.into_iter().map(note).collect();
    Ok(Json(out).into_response())
}
