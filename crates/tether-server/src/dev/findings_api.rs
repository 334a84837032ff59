//! The findings API: SARIF imported into a repository, listed, and per finding the Jira
//! issue types of a project, "create a Jira issue" (the worker makes it) or Jira's own
//! create form prefilled, and the issue's status refreshed.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use tether_policy::Action;

use super::findings::{self, FindingView, ImportView};
use super::{find_repo, repo_resource};
use crate::AppState;
use crate::admin::openapi::Route;
use crate::auth::Caller;
use crate::error::{ApiError, Json};

pub(crate) const ROUTES: &[Route] = &[
    (
        "post",
        "/api/code/repositories/{name}/findings",
        "updateRepository",
        "Import the findings of a SARIF 2.1.0 log (the body): new ones by fingerprint, known ones refreshed",
    ),
    (
        "get",
        "/api/code/repositories/{name}/findings",
        "viewRepository",
        "A repository's findings with their Jira issue and its status",
    ),
    (
        "get",
        "/api/code/findings",
        "viewRepository",
        "Every finding of the repositories the caller may see",
    ),
    ("get", "/api/code/findings/{id}", "viewRepository", "One finding"),
    (
        "get",
        "/api/code/findings/{id}/issue-types",
        "viewRepository",
        "The issue types a Jira project takes (?project=KEY), from Jira's create metadata",
    ),
    (
        "post",
        "/api/code/findings/{id}/issue",
        "updateRepository",
        "Create a Jira issue for a finding ({project, issue_type}): made once by the worker, with rule, severity, location and a link back",
    ),
    (
        "get",
        "/api/code/findings/{id}/create-url",
        "updateRepository",
        "Jira's create form prefilled for a finding (?project=&issue_type=)",
    ),
    (
        "post",
        "/api/code/findings/{id}/refresh",
        "viewRepository",
        "Read the status of a finding's issue from Jira (finding an issue made through the form by its label)",
    ),
];

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/code/repositories/{name}/findings", get(list).post(import))
        .route("/code/findings", get(all))
        .route("/code/findings/{id}", get(one))
        .route("/code/findings/{id}/issue-types", get(issue_types))
        .route("/code/findings/{id}/issue", post(create_issue))
        .route("/code/findings/{id}/create-url", get(create_url))
        .route("/code/findings/{id}/refresh", post(refresh))
}

async fn import(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(sarif): Json<Value>,
) -> Result<Json<ImportView>, ApiError> {
    let repo = find_repo(&state, &name).await?;
    Ok(Json(findings::import(&state, &caller, &repo, &sarif).await?))
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Vec<FindingView>>, ApiError> {
    Ok(Json(findings::list(&state, &caller, &name).await?))
}

async fn all(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<FindingView>>, ApiError> {
    let mut out = Vec::new();
    for repo in state.store.repositories().await? {
        if caller.can(Action::ViewRepository, &repo_resource(&repo.name)) {
            out.extend(findings::list(&state, &caller, &repo.name).await?);
        }
    }
    Ok(Json(out))
}

async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<FindingView>, ApiError> {
    let (f, repo) = findings::find(&state, &caller, id, Action::ViewRepository).await?;
    Ok(Json(findings::view(&state, &repo, f).await?))
}

#[derive(Debug, Deserialize)]
struct TypesQuery {
    project: String,
}

async fn issue_types(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<TypesQuery>,
) -> Result<Json<Vec<Value>>, ApiError> {
    Ok(Json(findings::issue_types(&state, &caller, id, &q.project).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueBody {
    project: String,
    issue_type: String,
}

async fn create_issue(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<IssueBody>,
) -> Result<Response, ApiError> {
    let v = findings::request_issue(&state, &caller, id, &body.project, &body.issue_type).await?;
    Ok((StatusCode::ACCEPTED, Json(v)).into_response())
}

#[derive(Debug, Deserialize)]
struct CreateQuery {
    project: String,
    issue_type: String,
}

async fn create_url(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<CreateQuery>,
) -> Result<Json<Value>, ApiError> {
    let url = findings::create_url(&state, &caller, id, &q.project, &q.issue_type).await?;
    Ok(Json(json!({"url": url})))
}

async fn refresh(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<FindingView>, ApiError> {
    Ok(Json(findings::refresh(&state, &caller, id).await?))
}
