//! The findings pages: the list (per repository or all), each with its Jira issue and that
//! issue's status, or "Create Jira issue": the project first, then its issue types (from
//! Jira's create metadata) with the choice of having tether make the issue or opening
//! Jira's own create form prefilled.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use tether_policy::Action;

use super::findings::{self, FindingView};
use super::repo_resource;
use crate::error::ApiError;
use crate::web::page::{UiError, field, html};
use crate::web::signin::UiUser;
use crate::web::{Nav, nav_for};
use crate::{AppState, VERSION};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/code/findings", get(list))
        .route("/code/findings/{id}", get(one))
        .route("/code/findings/{id}/issue", post(create))
        .route("/code/findings/{id}/form", post(open_form))
        .route("/code/findings/{id}/refresh", post(refresh))
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    repository: String,
}

#[derive(Template)]
#[template(path = "code_findings.html")]
struct ListPage {
    nav: Nav,
    version: &'static str,
    repository: String,
    findings: Vec<FindingView>,
}

async fn list(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    let mut out = Vec::new();
    for repo in state.store.repositories().await? {
        let wanted = q.repository.is_empty() || q.repository == repo.name;
        if wanted && user.can(Action::ViewRepository, &repo_resource(&repo.name)) {
            out.extend(findings::list(&state, &user, &repo.name).await?);
        }
    }
    let page = ListPage {
        nav: nav_for("/code", &user),
        version: VERSION,
        repository: q.repository,
        findings: out,
    };
    html(StatusCode::OK, &page)
}

#[derive(Debug, Default, Deserialize)]
struct OneQuery {
    #[serde(default)]
    project: String,
}

#[derive(Template)]
#[template(path = "code_finding.html")]
struct OnePage {
    nav: Nav,
    version: &'static str,
    f: FindingView,
    project: String,
    /// The project's issue types (id, name), once a project is chosen.
    types: Vec<(String, String)>,
    error: Option<String>,
}

async fn render_one(
    state: &AppState,
    user: &crate::auth::Caller,
    id: i64,
    project: String,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let (f, repo) = findings::find(state, user, id, Action::ViewRepository)
        .await
        .map_err(|_| UiError::NotFound(format!("/code/findings/{id}")))?;
    let f = findings::view(state, &repo, f).await?;
    let (types, error) = if project.trim().is_empty() || f.issue_key.is_some() || error.is_some() {
        (vec![], error)
    } else {
        match findings::issue_types(state, user, id, &project).await {
            Ok(t) => (
                t.iter()
                    .map(|t| {
                        (
                            t["id"].as_str().unwrap_or_default().to_owned(),
                            t["name"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect(),
                None,
            ),
            Err(e) => (vec![], Some(e.to_string())),
        }
    };
    let page = OnePage { nav: nav_for("/code", user), version: VERSION, f, project, types, error };
    html(status, &page)
}

async fn one(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(id): Path<i64>,
    Query(q): Query<OneQuery>,
) -> Result<Response, UiError> {
    render_one(&state, &user, id, q.project, None, StatusCode::OK).await
}

async fn create(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let (project, issue_type) = (field(&fields, "project"), field(&fields, "issue_type"));
    match findings::request_issue(&state, &user, id, project, issue_type).await {
        Ok(_) => Ok(Redirect::to(&format!("/code/findings/{id}")).into_response()),
        Err(e @ (ApiError::Invalid { .. } | ApiError::Conflict(_) | ApiError::Unavailable(_))) => {
            render_one(
                &state,
                &user,
                id,
                project.to_owned(),
                Some(e.to_string()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn open_form(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let (project, issue_type) = (field(&fields, "project"), field(&fields, "issue_type"));
    match findings::create_url(&state, &user, id, project, issue_type).await {
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(e @ (ApiError::Invalid { .. } | ApiError::Unavailable(_))) => {
            render_one(
                &state,
                &user,
                id,
                project.to_owned(),
                Some(e.to_string()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn refresh(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(id): Path<i64>,
) -> Result<Response, UiError> {
    match findings::refresh(&state, &user, id).await {
        Ok(_) => Ok(Redirect::to(&format!("/code/findings/{id}")).into_response()),
        Err(e @ ApiError::Unavailable(_)) => {
            render_one(
                &state,
                &user,
                id,
                String::new(),
                Some(e.to_string()),
                StatusCode::SERVICE_UNAVAILABLE,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
