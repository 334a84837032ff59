//! A repository's page: where its events come from (the webhook address, a new secret shown
//! once, or its local path with the last scan and a scan button), its settings with where
//! each comes from (set or reset per field, "Test settings"), and its delivery log: per
//! event what matched, what was done, what failed and why. Also the page of a commit of a
//! local repository without a web URL, which its Jira links point at.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::Value;
use tether_policy::Action;
use tether_store::DevScanWork;
use tether_store::dev::Repository;

use super::api::{EventView, event_view};
use super::check::TestReport;
use super::ui::{SettingRow, form_change, setting_rows};
use super::{SettingsLevel, change_settings, find_repo, repo_resource, settings_of};
use crate::error::ApiError;
use crate::web::format::absolute_time;
use crate::web::page::{UiError, field, html};
use crate::web::signin::UiUser;
use crate::web::{Nav, nav_for};
use crate::{AppState, VERSION};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/code/repositories/{name}", get(page))
        .route("/code/repositories/{name}/settings", post(set))
        .route("/code/repositories/{name}/test", post(test))
        .route("/code/repositories/{name}/scan", post(scan))
        .route("/code/repositories/{name}/secret", post(secret))
        .route("/code/repositories/{name}/delete", post(delete))
        .route("/code/repositories/{name}/commit/{sha}", get(commit))
}

struct EventRow {
    e: EventView,
    received: String,
}

#[derive(Template)]
#[template(path = "code_repo.html")]
struct RepoPage {
    nav: Nav,
    version: &'static str,
    name: String,
    source: &'static str,
    group: Option<String>,
    hook_url: Option<String>,
    path: Option<String>,
    web_url: Option<String>,
    scan: Option<Value>,
    secret: Option<String>,
    notice: Option<String>,
    action: String,
    test_action: String,
    rows: Vec<SettingRow>,
    can_change: bool,
    report: Option<TestReport>,
    events: Vec<EventRow>,
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    #[serde(default)]
    done: String,
}

/// What the page shows after a form, besides the repository.
#[derive(Default)]
struct Extra {
    secret: Option<String>,
    notice: Option<String>,
    error: Option<(String, String)>,
    report: Option<TestReport>,
}

async fn repo_for(
    state: &AppState,
    user: &crate::auth::Caller,
    name: &str,
) -> Result<Repository, UiError> {
    let repo = find_repo(state, name)
        .await
        .map_err(|_| UiError::NotFound(format!("/code/repositories/{name}")))?;
    if !user.can(Action::ViewRepository, &repo_resource(&repo.name)) {
        return Err(UiError::NotFound(format!("/code/repositories/{name}")));
    }
    Ok(repo)
}

async fn render(
    state: &AppState,
    user: &crate::auth::Caller,
    repo: &Repository,
    extra: Extra,
    status: StatusCode,
) -> Result<Response, UiError> {
    let view = settings_of(state, user, &SettingsLevel::Repository(Box::new(repo.clone()))).await?;
    let error = extra.error.as_ref().map(|(f, m)| (f.as_str(), m.clone()));
    let events = state.store.dev_events(repo.id, None, 50).await?;
    let scan = match repo.path {
        Some(_) => state
            .store
            .setting(&format!("dev.scan.{}", repo.id))
            .await?
            .and_then(|s| serde_json::from_str(&s).ok()),
        None => None,
    };
    let page = RepoPage {
        nav: nav_for("/code", user),
        version: VERSION,
        name: repo.name.clone(),
        source: repo.source.as_str(),
        group: repo.group.clone(),
        hook_url: super::hook_url(state, repo),
        path: repo.path.clone(),
        web_url: repo.web_url.clone(),
        scan,
        secret: extra.secret,
        notice: extra.notice,
        action: format!("/code/repositories/{}/settings", repo.name),
        test_action: format!("/code/repositories/{}/test", repo.name),
        rows: setting_rows(&view, error),
        can_change: user.can(Action::UpdateRepository, &repo_resource(&repo.name)),
        report: extra.report,
        events: events
            .iter()
            .map(|e| EventRow { received: absolute_time(e.received_at), e: event_view(e) })
            .collect(),
    };
    html(status, &page)
}

async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(name): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, UiError> {
    let repo = repo_for(&state, &user, &name).await?;
    let notice = match q.done.as_str() {
        "settings" => Some("Saved the setting.".to_owned()),
        "scan" => Some("Scan queued: new commits show in the log below once read.".to_owned()),
        _ => None,
    };
    render(&state, &user, &repo, Extra { notice, ..Extra::default() }, StatusCode::OK).await
}

async fn set(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(name): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let repo = repo_for(&state, &user, &name).await?;
    let level = SettingsLevel::Repository(Box::new(repo.clone()));
    let result = match form_change(&fields) {
        Ok(body) => change_settings(&state, &user, &level, body).await.map(drop),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/code/repositories/{name}?done=settings")).into_response())
        }
        Err(ApiError::Invalid { field: f, message }) => {
            let at = if tether_store::dev::SettingField::parse(&f).is_some() {
                f
            } else {
                field(&fields, "field").to_owned()
            };
            let extra = Extra { error: Some((at, message)), ..Extra::default() };
            render(&state, &user, &repo, extra, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn test(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(name): Path<String>,
) -> Result<Response, UiError> {
    let repo = repo_for(&state, &user, &name).await?;
    let resolved = state.store.resolved_code_settings(&repo).await?;
    let report = super::check::test_settings(&state, &resolved.settings, Some(&repo)).await?;
    render(&state, &user, &repo, Extra { report: Some(report), ..Extra::default() }, StatusCode::OK)
        .await
}

async fn scan(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(name): Path<String>,
) -> Result<Response, UiError> {
    let repo = repo_for(&state, &user, &name).await?;
    user.require(Action::UpdateRepository, &repo_resource(&repo.name))?;
    if repo.path.is_none() {
        return Err(ApiError::invalid("path", "this repository has no local clone to scan").into());
    }
    state.store.enqueue_work_unless_waiting(&DevScanWork { repository_id: repo.id }).await?;
    Ok(Redirect::to(&format!("/code/repositories/{name}?done=scan")).into_response())
}

async fn secret(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(name): Path<String>,
) -> Result<Response, UiError> {
    let repo = repo_for(&state, &user, &name).await?;
    let secret = super::rotate_secret(&state, &user, &repo).await?;
    render(&state, &user, &repo, Extra { secret: Some(secret), ..Extra::default() }, StatusCode::OK)
        .await
}

async fn delete(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(name): Path<String>,
) -> Result<Response, UiError> {
    let repo = repo_for(&state, &user, &name).await?;
    super::delete_repo(&state, &user, &repo).await?;
    Ok(Redirect::to("/code").into_response())
}

#[derive(Template)]
#[template(path = "code_commit.html")]
struct CommitPage {
    nav: Nav,
    version: &'static str,
    repo: String,
    sha: String,
    title: String,
    author: String,
    branch: String,
    issues: Vec<String>,
}

/// `GET /code/repositories/{name}/commit/{sha}`: a local repository's commit, as tether saw
/// it (what its Jira links open when the repository has no web URL).
async fn commit(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((name, sha)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let repo = repo_for(&state, &user, &name).await?;
    let mentions =
        state.store.mentions_of_entity(repo.id, &format!("{}:commit:{sha}", repo.id)).await?;
    let Some(first) = mentions.first() else {
        return Err(UiError::NotFound(format!("/code/repositories/{name}/commit/{sha}")));
    };
    let page = CommitPage {
        nav: nav_for("/code", &user),
        version: VERSION,
        repo: repo.name.clone(),
        title: first.title.clone(),
        author: first.author.clone(),
        branch: first.branch.clone(),
        issues: mentions.iter().map(|m| m.issue_key.clone()).collect(),
        sha,
    };
    html(StatusCode::OK, &page)
}
