//! The code ↔ Jira API under `/api/code`: repositories (the webhook secret shown once, at
//! creation and rotation), settings per level with where each value comes from and reset
//! per field, "test settings", each repository's dev event log, scans, the Development
//! panel's credentials per site, and the code that mentions an issue.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tether_policy::Action;
use tether_store::DevScanWork;
use tether_store::dev::{Repository, StoredDevEvent};
use tether_sync::dev_to_jira::report::EventReport;

use super::wire::SettingsBody;
use super::{
    NewRepoInput, SettingsLevel, change_settings, create_group, create_repo, delete_group,
    delete_repo, find_repo, hook_url, repo_resource, rotate_secret, set_devinfo_credentials,
    settings_of, shared_resource, update_repo,
};
use crate::AppState;
use crate::admin::openapi::Route;
use crate::auth::Caller;
use crate::error::{ApiError, Json};

/// (method, path, action, summary) of this feature's routes, for `/api/openapi.json`.
pub(crate) const ROUTES: &[Route] = &[
    (
        "get",
        "/api/code/repositories",
        "viewRepository",
        "List the code repositories the caller may see",
    ),
    (
        "post",
        "/api/code/repositories",
        "createRepository",
        "Add a repository: a GitHub or GitLab webhook (its address and secret are answered once) or a local path",
    ),
    (
        "get",
        "/api/code/repositories/{name}",
        "viewRepository",
        "A repository, its webhook address and event counts (never its secret)",
    ),
    (
        "patch",
        "/api/code/repositories/{name}",
        "updateRepository",
        "Change a repository's group, local path or web URL",
    ),
    (
        "delete",
        "/api/code/repositories/{name}",
        "deleteRepository",
        "Remove a repository with its events and findings",
    ),
    (
        "post",
        "/api/code/repositories/{name}/secret",
        "updateRepository",
        "Make a new webhook secret (answered once; the old one stops working)",
    ),
    (
        "get",
        "/api/code/repositories/{name}/settings",
        "viewRepository",
        "A repository's settings in force, each with where it comes from",
    ),
    (
        "patch",
        "/api/code/repositories/{name}/settings",
        "updateRepository",
        "Set fields of a repository's settings, or reset them to inherited (`reset`); 422 names a bad field",
    ),
    (
        "delete",
        "/api/code/repositories/{name}/settings/{field}",
        "updateRepository",
        "Reset one field of a repository's settings to inherited",
    ),
    (
        "post",
        "/api/code/repositories/{name}/test",
        "viewRepository",
        "Test the settings in force: serverInfo, myself, the permissions each enabled feature needs, the Development panel's credentials",
    ),
    (
        "get",
        "/api/code/repositories/{name}/events",
        "viewRepository",
        "A repository's dev events, newest first: what matched, what was done, what failed and why",
    ),
    (
        "get",
        "/api/code/repositories/{name}/events/{id}",
        "viewRepository",
        "One dev event with its report",
    ),
    (
        "post",
        "/api/code/repositories/{name}/scan",
        "updateRepository",
        "Scan a repository's local clone for new commits (in the background)",
    ),
    (
        "get",
        "/api/code/settings",
        "viewIntegration",
        "The instance's code settings, each with where it comes from",
    ),
    (
        "patch",
        "/api/code/settings",
        "updateIntegration",
        "Set or reset fields of the instance's code settings (resource integration/code)",
    ),
    (
        "delete",
        "/api/code/settings/{field}",
        "updateIntegration",
        "Reset one field of the instance's code settings",
    ),
    ("post", "/api/code/settings/test", "viewIntegration", "Test the instance's code settings"),
    ("get", "/api/code/groups", "viewIntegration", "List the repository groups"),
    ("post", "/api/code/groups", "updateIntegration", "Add a repository group"),
    (
        "delete",
        "/api/code/groups/{group}",
        "updateIntegration",
        "Remove a repository group (its repositories keep their own settings)",
    ),
    (
        "get",
        "/api/code/groups/{group}/settings",
        "viewIntegration",
        "A group's settings, each with where it comes from",
    ),
    (
        "patch",
        "/api/code/groups/{group}/settings",
        "updateIntegration",
        "Set or reset fields of a group's settings",
    ),
    (
        "put",
        "/api/code/sites/{site}/devinfo",
        "updateIntegration",
        "Store the OAuth 2.0 credentials a Jira Cloud site's Development panel is written with (the secret is write-only)",
    ),
    (
        "delete",
        "/api/code/sites/{site}/devinfo",
        "updateIntegration",
        "Forget a site's Development panel credentials",
    ),
    (
        "get",
        "/api/issues/{key}/code",
        "viewRepository",
        "The commits and merge requests that mention an issue, in repositories the caller may see",
    ),
    (
        "post",
        "/hooks/github/{id}",
        "(the repository's webhook secret)",
        "GitHub webhook intake: push and pull_request, X-Hub-Signature-256 checked; 202 stored, 200 seen before, 401 bad signature, 400 malformed, 413 too large",
    ),
    (
        "post",
        "/hooks/gitlab/{id}",
        "(the repository's webhook token)",
        "GitLab webhook intake: Push Hook and Merge Request Hook, X-Gitlab-Token checked",
    ),
];

/// This feature's routes under `/api`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/code/repositories", get(list).post(create))
        .route("/code/repositories/{name}", get(one).patch(patch).delete(remove))
        .route("/code/repositories/{name}/secret", post(secret))
        .route("/code/repositories/{name}/settings", get(repo_settings).patch(patch_repo_settings))
        .route("/code/repositories/{name}/settings/{field}", delete(reset_repo_field))
        .route("/code/repositories/{name}/test", post(test_repo))
        .route("/code/repositories/{name}/events", get(events))
        .route("/code/repositories/{name}/events/{id}", get(event))
        .route("/code/repositories/{name}/scan", post(scan))
        .route("/code/settings", get(instance_settings).patch(patch_instance_settings))
        .route("/code/settings/{field}", delete(reset_instance_field))
        .route("/code/settings/test", post(test_instance))
        .route("/code/groups", get(groups).post(add_group))
        .route("/code/groups/{group}", delete(remove_group))
        .route("/code/groups/{group}/settings", get(group_settings).patch(patch_group_settings))
        .route("/code/sites/{site}/devinfo", put(put_devinfo).delete(delete_devinfo))
        .route("/issues/{key}/code", get(issue_code))
}

#[derive(Debug, Serialize)]
pub(crate) struct RepoView {
    pub name: String,
    pub source: &'static str,
    pub group: Option<String>,
    /// Where the forge delivers this repository's webhooks.
    pub hook_url: Option<String>,
    pub has_secret: bool,
    pub path: Option<String>,
    pub web_url: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub(crate) fn repo_view(state: &AppState, r: &Repository) -> RepoView {
    RepoView {
        name: r.name.clone(),
        source: r.source.as_str(),
        group: r.group.clone(),
        hook_url: hook_url(state, r),
        has_secret: r.has_secret,
        path: r.path.clone(),
        web_url: r.web_url.clone(),
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<RepoView>>, ApiError> {
    let repos = state.store.repositories().await?;
    Ok(Json(
        repos
            .iter()
            .filter(|r| caller.can(Action::ViewRepository, &repo_resource(&r.name)))
            .map(|r| repo_view(&state, r))
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBody {
    name: String,
    source: String,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    web_url: Option<String>,
    /// Settings to set on the repository at once.
    #[serde(default)]
    settings: Option<SettingsBody>,
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<CreateBody>,
) -> Result<Response, ApiError> {
    let input = NewRepoInput {
        name: body.name,
        source: body.source,
        group: body.group,
        path: body.path,
        web_url: body.web_url,
    };
    let (repo, secret) = create_repo(&state, &caller, input).await?;
    if let Some(s) = body.settings {
        let level = SettingsLevel::Repository(Box::new(repo.clone()));
        if let Err(e) = change_settings(&state, &caller, &level, s).await {
            // Nothing half-made: the repository goes with its refused settings.
            state.store.delete_repository(repo.id, &caller.actor()).await?;
            return Err(e);
        }
    }
    let mut view = serde_json::to_value(repo_view(&state, &repo)).expect("a view serialises");
    if let Some(secret) = secret {
        view["secret"] = Value::String(secret);
    }
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let repo = find_repo(&state, &name).await?;
    caller.require(Action::ViewRepository, &repo_resource(&repo.name))?;
    let counts = state.store.dev_event_counts(repo.id).await?;
    let mut view = serde_json::to_value(repo_view(&state, &repo)).expect("a view serialises");
    view["events"] = json!(counts);
    Ok(Json(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatchBody {
    #[serde(default)]
    group: Option<Option<String>>,
    #[serde(default)]
    path: Option<Option<String>>,
    #[serde(default)]
    web_url: Option<Option<String>>,
}

async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<PatchBody>,
) -> Result<Json<RepoView>, ApiError> {
    let repo = find_repo(&state, &name).await?;
    let group = body.group.unwrap_or_else(|| repo.group.clone());
    let path = body.path.unwrap_or_else(|| repo.path.clone());
    let web_url = body.web_url.unwrap_or_else(|| repo.web_url.clone());
    let repo = update_repo(&state, &caller, &repo, group, path, web_url).await?;
    Ok(Json(repo_view(&state, &repo)))
}

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let repo = find_repo(&state, &name).await?;
    delete_repo(&state, &caller, &repo).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn secret(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let repo = find_repo(&state, &name).await?;
    let secret = rotate_secret(&state, &caller, &repo).await?;
    Ok(Json(json!({"hook_url": hook_url(&state, &repo), "secret": secret})))
}

async fn repo_level(state: &AppState, name: &str) -> Result<SettingsLevel, ApiError> {
    Ok(SettingsLevel::Repository(Box::new(find_repo(state, name).await?)))
}

async fn repo_settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<super::wire::SettingsView>, ApiError> {
    Ok(Json(settings_of(&state, &caller, &repo_level(&state, &name).await?).await?))
}

async fn patch_repo_settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<SettingsBody>,
) -> Result<Json<super::wire::SettingsView>, ApiError> {
    let level = repo_level(&state, &name).await?;
    Ok(Json(change_settings(&state, &caller, &level, body).await?))
}

fn reset(field: String) -> SettingsBody {
    SettingsBody { reset: vec![field], ..SettingsBody::default() }
}

async fn reset_repo_field(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, field)): Path<(String, String)>,
) -> Result<Json<super::wire::SettingsView>, ApiError> {
    let level = repo_level(&state, &name).await?;
    Ok(Json(change_settings(&state, &caller, &level, reset(field)).await?))
}

async fn test_repo(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<super::check::TestReport>, ApiError> {
    let repo = find_repo(&state, &name).await?;
    caller.require(Action::ViewRepository, &repo_resource(&repo.name))?;
    let resolved = state.store.resolved_code_settings(&repo).await?;
    Ok(Json(super::check::test_settings(&state, &resolved.settings, Some(&repo)).await?))
}

#[derive(Debug, Serialize)]
pub(crate) struct EventView {
    pub id: i64,
    pub delivery_id: String,
    pub source: &'static str,
    pub event: String,
    pub received_at: i64,
    pub state: &'static str,
    pub processed_at: Option<i64>,
    pub report: Option<EventReport>,
    pub development_panel: Option<Value>,
}

pub(crate) fn event_view(e: &StoredDevEvent) -> EventView {
    EventView {
        id: e.id,
        delivery_id: e.delivery_id.clone(),
        source: e.source.as_str(),
        event: e.event_name.clone(),
        received_at: e.received_at,
        state: e.state.as_str(),
        processed_at: e.processed_at,
        report: e.report.as_deref().and_then(EventReport::from_json),
        development_panel: e.devinfo_report.as_deref().and_then(|r| serde_json::from_str(r).ok()),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct EventsQuery {
    #[serde(default)]
    before: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
}

async fn events(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Query(q): Query<EventsQuery>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    let repo = find_repo(&state, &name).await?;
    caller.require(Action::ViewRepository, &repo_resource(&repo.name))?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let events = state.store.dev_events(repo.id, q.before, limit).await?;
    Ok(Json(events.iter().map(event_view).collect()))
}

async fn event(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Json<EventView>, ApiError> {
    let repo = find_repo(&state, &name).await?;
    caller.require(Action::ViewRepository, &repo_resource(&repo.name))?;
    let e = state.store.dev_event(id).await?;
    if e.repository_id != repo.id {
        return Err(ApiError::NotFound(format!("no event {id} in repository {name:?}")));
    }
    Ok(Json(event_view(&e)))
}

async fn scan(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let repo = find_repo(&state, &name).await?;
    caller.require(Action::UpdateRepository, &repo_resource(&repo.name))?;
    if repo.path.is_none() {
        return Err(ApiError::invalid("path", "this repository has no local clone to scan"));
    }
    let queued =
        state.store.enqueue_work_unless_waiting(&DevScanWork { repository_id: repo.id }).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"queued": queued}))).into_response())
}

async fn instance_settings(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<super::wire::SettingsView>, ApiError> {
    Ok(Json(settings_of(&state, &caller, &SettingsLevel::Instance).await?))
}

async fn patch_instance_settings(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<SettingsBody>,
) -> Result<Json<super::wire::SettingsView>, ApiError> {
    Ok(Json(change_settings(&state, &caller, &SettingsLevel::Instance, body).await?))
}

async fn reset_instance_field(
    State(state): State<AppState>,
    caller: Caller,
    Path(field): Path<String>,
) -> Result<Json<super::wire::SettingsView>, ApiError> {
    Ok(Json(change_settings(&state, &caller, &SettingsLevel::Instance, reset(field)).await?))
}

async fn test_instance(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<super::check::TestReport>, ApiError> {
    caller.require(Action::ViewIntegration, &shared_resource())?;
    let instance = state.store.instance_code_settings().await?;
    let resolved = tether_store::dev::resolve(&instance, None, &Default::default());
    Ok(Json(super::check::test_settings(&state, &resolved.settings, None).await?))
}

async fn groups(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<String>>, ApiError> {
    caller.require(Action::ViewIntegration, &shared_resource())?;
    Ok(Json(state.store.repo_groups().await?.into_iter().map(|g| g.name).collect()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GroupBody {
    name: String,
}

async fn add_group(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<GroupBody>,
) -> Result<StatusCode, ApiError> {
    create_group(&state, &caller, &body.name).await?;
    Ok(StatusCode::CREATED)
}

async fn remove_group(
    State(state): State<AppState>,
    caller: Caller,
    Path(group): Path<String>,
) -> Result<StatusCode, ApiError> {
    delete_group(&state, &caller, &group).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn group_settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(group): Path<String>,
) -> Result<Json<super::wire::SettingsView>, ApiError> {
    Ok(Json(settings_of(&state, &caller, &SettingsLevel::Group(group)).await?))
}

async fn patch_group_settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(group): Path<String>,
    Json(body): Json<SettingsBody>,
) -> Result<Json<super::wire::SettingsView>, ApiError> {
    Ok(Json(change_settings(&state, &caller, &SettingsLevel::Group(group), body).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DevInfoBody {
    client_id: String,
    secret: String,
    #[serde(default)]
    token_url: Option<String>,
    #[serde(default)]
    gateway_url: Option<String>,
}

async fn put_devinfo(
    State(state): State<AppState>,
    caller: Caller,
    Path(site): Path<String>,
    Json(body): Json<DevInfoBody>,
) -> Result<StatusCode, ApiError> {
    set_devinfo_credentials(
        &state,
        &caller,
        &site,
        &body.client_id,
        &body.secret,
        body.token_url,
        body.gateway_url,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_devinfo(
    State(state): State<AppState>,
    caller: Caller,
    Path(site): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Action::UpdateIntegration, &crate::jira::sites::integration(&site))?;
    let site = crate::jira::sites::find_site(&state, &site).await?;
    state.store.delete_devinfo_credentials(site.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize)]
pub(crate) struct MentionView {
    pub repository: String,
    /// `commit`, `pull_request`.
    pub kind: String,
    pub title: String,
    pub url: String,
    pub author: String,
    pub branch: String,
    pub state: String,
    pub at: i64,
}

/// What mentions `key`, in repositories the caller may see.
pub(crate) async fn mentions(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> Result<Vec<MentionView>, ApiError> {
    let repos = state.store.repositories().await?;
    let mut out = Vec::new();
    for m in state.store.mentions_of_issue(key).await? {
        let Some(repo) = repos.iter().find(|r| r.id == m.repository_id) else { continue };
        if !caller.can(Action::ViewRepository, &repo_resource(&repo.name)) {
            continue;
        }
        out.push(MentionView {
            repository: repo.name.clone(),
            kind: m.kind,
            title: m.title,
            url: m.url,
            author: m.author,
            branch: m.branch,
            state: m.state,
            at: m.at,
        });
    }
    Ok(out)
}

async fn issue_code(
    State(state): State<AppState>,
    caller: Caller,
    Path(key): Path<String>,
) -> Result<Json<Vec<MentionView>>, ApiError> {
    let key = tether_refs::IssueKey::parse_user_input(&key)
        .map_err(|e| ApiError::BadRequest(format!("{key:?} is not an issue key: {e}")))?;
    Ok(Json(mentions(&state, &caller, key.as_str()).await?))
}
