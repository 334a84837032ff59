//! The Jira side of the API: sites (`/api/jira/sites…`, secrets write-only, a
//! connection test), which site and environments a project reports to
//! (`/api/projects/{p}/jira`), a flag's issue links
//! (`/api/projects/{p}/flags/{key}/issues…`, each new key checked against Jira
//! first), and finding issues by flag (`/api/issues…`).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tether_policy::{Action, Named, can_view_project};
use tether_store::{JiraAuthKind, JiraSite, ProjectJira, StoreError};
use tether_sync::jira::{EnvView, FlagView, RolloutView};

use super::sites::{
    ReportView, SiteBody, Stored, build_site, check_reachable, find_site, integration, run_test,
};
use super::tracking::TrackingChange;
use crate::AppState;
use crate::admin::check_key;
use crate::admin::openapi::Route;
use crate::admin::project_resource;
use crate::auth::Caller;
use crate::error::{ApiError, Json};
use crate::jira::{
    FlagLinks, LinkedIssue, SyncState, browse_url, cached_issue_anywhere, flag_links,
    issue_flag_views, read_key,
};

/// (method, path, action, summary) of this module's routes, for `/api/openapi.json`.
pub(crate) const ROUTES: &[Route] = &[
    ("get", "/api/jira/sites", "viewIntegration", "List the Jira sites the caller may see"),
    (
        "post",
        "/api/jira/sites",
        "createIntegration",
        "Register a Jira site with its credentials (kind api_token, password, pat, oauth2 or oauth1; the secret is write-only)",
    ),
    (
        "get",
        "/api/jira/sites/{name}",
        "viewIntegration",
        "A Jira site's settings (never its secret)",
    ),
    (
        "put",
        "/api/jira/sites/{name}",
        "updateIntegration",
        "Replace a Jira site's settings; without a secret the stored one is kept",
    ),
    (
        "delete",
        "/api/jira/sites/{name}",
        "deleteIntegration",
        "Remove a Jira site (refused while a project reports to it)",
    ),
    (
        "post",
        "/api/jira/sites/{name}/test",
        "updateIntegration",
        "Test the connection to a Jira site: what answered, who the credentials are, and what to fix",
    ),
    (
        "get",
        "/api/projects/{project}/jira",
        "viewProject",
        "Which Jira site a project reports to and which environments it tracks",
    ),
    (
        "put",
        "/api/projects/{project}/jira",
        "updateProject",
        "Point a project at a Jira site and choose its tracked and primary environments",
    ),
    ("delete", "/api/projects/{project}/jira", "updateProject", "Stop a project reporting to Jira"),
    (
        "get",
        "/api/projects/{project}/flags/{key}/issues",
        "viewProject",
        "A flag's linked Jira issues with summary and status, and its delivery state in Jira",
    ),
    (
        "post",
        "/api/projects/{project}/flags/{key}/issues",
        "createFlagLink",
        "Link a flag to a Jira issue (the issue is checked against Jira first)",
    ),
    (
        "delete",
        "/api/projects/{project}/flags/{key}/issues/{issue}",
        "deleteFlagLink",
        "Remove a flag's link to a Jira issue",
    ),
    (
        "get",
        "/api/issues",
        "viewProject",
        "Issues linked to flags, filtered by flag, project and whether the flag is on in the primary environment",
    ),
    (
        "get",
        "/api/issues/{key}/flags",
        "viewProject",
        "The flags linked to one issue, as Jira is shown them",
    ),
];

/// This feature's routes under `/api`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/jira/sites", get(list_sites).post(create_site))
        .route("/jira/sites/{name}", get(get_site).put(update_site).delete(delete_site))
        .route("/jira/sites/{name}/test", post(test_site))
        .route(
            "/projects/{project}/jira",
            get(get_tracking).put(put_tracking).delete(delete_tracking),
        )
        .route("/projects/{project}/flags/{key}/issues", get(list_links).post(create_link))
        .route("/projects/{project}/flags/{key}/issues/{issue}", axum::routing::delete(delete_link))
        .route("/issues", get(find_issues))
        .route("/issues/{key}/flags", get(issue_flags))
}

// ---------------------------------------------------------------- sites

#[derive(Debug, Serialize)]
pub(crate) struct SiteView {
    name: String,
    url: String,
    api_url: Option<String>,
    /// `cloud` or `dc`, once a connection detected it.
    deployment: Option<String>,
    kind: &'static str,
    /// The account tether acts as; for an installed Connect app, its clientKey, which
    /// only those who may change the site see (it names the installation to Jira).
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<String>,
    options: Map<String, Value>,
    /// The site's Jira Cloud cloudId, once tether learned it (a connection test, a Connect
    /// install): what matches Forge installations to the site.
    cloud_id: Option<String>,
    /// False once a Connect app was uninstalled.
    enabled: bool,
    created_at: i64,
    updated_at: i64,
}

/// The site as `caller` may see it.
pub(crate) fn site_view(caller: &Caller, s: JiraSite) -> SiteView {
    let shows_user = s.auth_kind != JiraAuthKind::Connect
        || caller.can(Action::UpdateIntegration, &integration(&s.name));
    SiteView {
        name: s.name,
        url: s.url,
        api_url: s.api_url,
        deployment: s.deployment,
        kind: s.auth_kind.as_str(),
        user: shows_user.then_some(s.auth_user),
        options: s.options,
        cloud_id: s.cloud_id,
        enabled: s.enabled,
        created_at: s.created_at,
        updated_at: s.updated_at,
    }
}

pub(crate) async fn list_sites(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<SiteView>>, ApiError> {
    let sites = state.store.list_jira_sites().await?;
    Ok(Json(
        sites
            .into_iter()
            .filter(|s| caller.can(Action::ViewIntegration, &integration(&s.name)))
            .map(|s| site_view(&caller, s))
            .collect(),
    ))
}

pub(crate) async fn create_site(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<SiteBody>,
) -> Result<(StatusCode, Json<SiteView>), ApiError> {
    let name = body.name.clone().unwrap_or_default();
    check_key("name", &name)?;
    caller.require(Action::CreateIntegration, &integration(&name))?;
    let new = build_site(name, body, None)?;
    check_reachable(state.config.outbound, &new)?;
    let site = state.store.create_jira_site(&new, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(site_view(&caller, site))))
}

pub(crate) async fn get_site(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<SiteView>, ApiError> {
    caller.require(Action::ViewIntegration, &integration(&name))?;
    Ok(Json(site_view(&caller, find_site(&state, &name).await?)))
}

pub(crate) async fn update_site(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<SiteBody>,
) -> Result<Json<SiteView>, ApiError> {
    caller.require(Action::UpdateIntegration, &integration(&name))?;
    if body.name.as_ref().is_some_and(|n| *n != name) {
        return Err(ApiError::invalid(
            "name",
            format!("a site's name cannot change (the URL names {name:?})"),
        ));
    }
    let current = find_site(&state, &name).await?;
    if current.auth_kind == JiraAuthKind::Connect {
        return Err(ApiError::Conflict(format!(
            "{name:?} is an installed Connect app: its settings come from Jira's install; \
             reinstall the app in Jira to change them"
        )));
    }
    let secret = state.store.jira_site_secret(current.id).await?;
    let mut new = build_site(name, body, Some(Stored { site: &current, secret }))?;
    check_reachable(state.config.outbound, &new)?;
    if new.url == current.url && new.api_url == current.api_url {
        new.deployment = current.deployment.clone();
    }
    let site = state.store.update_jira_site(current.id, &new, &caller.actor()).await?;
    state.jira.forget(site.id).await;
    Ok(Json(site_view(&caller, site)))
}

pub(crate) async fn delete_site(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Action::DeleteIntegration, &integration(&name))?;
    let site = find_site(&state, &name).await?;
    state.store.delete_jira_site(site.id, &caller.actor()).await?;
    state.jira.forget(site.id).await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestBody {
    /// Jira project keys to check permissions in; by default those of the
    /// issues linked in projects reporting to this site (at most 10).
    #[serde(default)]
    projects: Option<Vec<String>>,
}

pub(crate) async fn test_site(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<ReportView>, ApiError> {
    // The test sends the stored credentials where the site points: only those who
    // may change the site may make it.
    caller.require(Action::UpdateIntegration, &integration(&name))?;
    let body: TestBody = if body.iter().all(u8::is_ascii_whitespace) {
        TestBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?
    };
    let site = find_site(&state, &name).await?;
    Ok(Json(run_test(&state, &site, body.projects).await?))
}

// ---------------------------------------------------------------- project tracking

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TrackingBody {
    /// The site's name.
    site: String,
    /// Environment keys to show in Jira; default: the production-type ones.
    #[serde(default)]
    environments: Option<Vec<String>>,
    /// The environment whose state is the summary; default: the project's primary if tracked.
    #[serde(default)]
    primary_environment: Option<String>,
    #[serde(default)]
    version: Option<i64>,
}

#[derive(Debug, Serialize)]
pub(crate) struct TrackingView {
    project: String,
    site: String,
    /// As configured (`null`: the production-type environments).
    environments: Option<Vec<String>>,
    /// As configured (`null`: the project's primary when tracked, else the first tracked).
    primary_environment: Option<String>,
    /// Resolved: the environments Jira is shown.
    tracked: Vec<String>,
    /// Resolved: the environment whose state is the summary.
    primary: String,
    version: i64,
    updated_at: i64,
}

async fn tracking_view(state: &AppState, t: ProjectJira) -> Result<TrackingView, ApiError> {
    let site = state.store.jira_site(t.site_id).await?;
    Ok(TrackingView {
        project: t.project,
        site: site.name,
        environments: t.environments,
        primary_environment: t.primary,
        tracked: t.tracked,
        primary: t.primary_env,
        version: t.version,
        updated_at: t.updated_at,
    })
}

fn no_project(project: &str) -> impl FnOnce(StoreError) -> ApiError + '_ {
    move |e| match e {
        StoreError::NotFound => ApiError::NotFound(format!("no project with key {project:?}")),
        other => other.into(),
    }
}

pub(crate) async fn get_tracking(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Json<TrackingView>, ApiError> {
    caller.require(Action::ViewProject, &project_resource(&project))?;
    match state.store.project_jira(&project).await.map_err(no_project(&project))? {
        Some(t) => Ok(Json(tracking_view(&state, t).await?)),
        None => Err(ApiError::NotFound(format!("project {project:?} reports to no Jira site"))),
    }
}

pub(crate) async fn put_tracking(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Json(body): Json<TrackingBody>,
) -> Result<Json<TrackingView>, ApiError> {
    let change = TrackingChange {
        site: &body.site,
        environments: body.environments.as_deref(),
        primary: body.primary_environment.as_deref(),
        based_on: body.version,
    };
    let saved = super::tracking::set(&state, &caller, &project, change).await?;
    Ok(Json(tracking_view(&state, saved).await?))
}

pub(crate) async fn delete_tracking(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<StatusCode, ApiError> {
    if super::tracking::clear(&state, &caller, &project).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("project {project:?} reports to no Jira site")))
    }
}

// ---------------------------------------------------------------- links

#[derive(Debug, Serialize)]
pub(crate) struct IssueView {
    key: String,
    summary: Option<String>,
    status: Option<String>,
    /// `new`, `indeterminate` or `done`.
    status_category: Option<String>,
    /// The issue on its Jira site.
    url: Option<String>,
    /// When tether last read the issue from Jira.
    fetched_at: Option<i64>,
    /// Jira reported this key as unknown on the last delivery.
    unknown: bool,
}

fn issue_view(i: LinkedIssue) -> IssueView {
    IssueView {
        summary: i.cached.as_ref().map(|c| c.summary.clone()),
        status: i.cached.as_ref().map(|c| c.status.clone()),
        status_category: i.cached.as_ref().map(|c| c.status_category.clone()),
        fetched_at: i.cached.as_ref().map(|c| c.fetched_at),
        key: i.key,
        url: i.url,
        unknown: i.unknown,
    }
}

#[derive(Debug, Serialize)]
struct FailureView {
    flag: String,
    messages: Vec<String>,
}

#[derive(Debug, Serialize)]
struct SyncView {
    /// `pending` (a change Jira has not acknowledged), `synced` or `failing`.
    state: &'static str,
    seq: i64,
    pushed_seq: Option<i64>,
    pushed_at: Option<i64>,
    pushed_issue_keys: Vec<String>,
    pushed_environments: Vec<String>,
    unknown_issue_keys: Vec<String>,
    failures: Vec<FailureView>,
    last_error: Option<String>,
}

fn sync_view(s: SyncState) -> SyncView {
    let state = if s.last_error.is_some() || !s.failures.is_empty() {
        "failing"
    } else if s.pending() {
        "pending"
    } else {
        "synced"
    };
    SyncView {
        state,
        seq: s.seq,
        pushed_seq: s.pushed_seq,
        pushed_at: s.pushed_at,
        pushed_issue_keys: s.pushed_issue_keys,
        pushed_environments: s.pushed_environments,
        unknown_issue_keys: s.unknown_issue_keys,
        failures: s
            .failures
            .into_iter()
            .map(|(flag, messages)| FailureView { flag, messages })
            .collect(),
        last_error: s.last_error,
    }
}

#[derive(Debug, Serialize)]
struct SiteRef {
    name: String,
    url: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct LinksView {
    project: String,
    flag: String,
    /// The site the project reports to, if any.
    site: Option<SiteRef>,
    tracked_environments: Vec<String>,
    primary_environment: Option<String>,
    issues: Vec<IssueView>,
    /// How the flag's delivery to Jira stands; `null` when Jira was never told of it.
    sync: Option<SyncView>,
}

fn links_view(project: String, flag: String, l: FlagLinks) -> LinksView {
    LinksView {
        project,
        flag,
        site: l.site.map(|s| SiteRef { name: s.name, url: s.url }),
        tracked_environments: l.tracking.as_ref().map(|t| t.tracked.clone()).unwrap_or_default(),
        primary_environment: l.tracking.map(|t| t.primary_env),
        issues: l.issues.into_iter().map(issue_view).collect(),
        sync: l.sync.map(sync_view),
    }
}

async fn find_flag(
    state: &AppState,
    project: &str,
    key: &str,
) -> Result<tether_store::FlagState, ApiError> {
    match state.store.flag(project, key).await {
        Ok(f) => Ok(f),
        Err(StoreError::NotFound) => {
            Err(ApiError::NotFound(format!("no flag {key:?} in project {project:?}")))
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn list_links(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, key)): Path<(String, String)>,
) -> Result<Json<LinksView>, ApiError> {
    caller.require(Action::ViewProject, &project_resource(&project))?;
    let flag = find_flag(&state, &project, &key).await?;
    let links = flag_links(&state, &project, &flag).await?;
    Ok(Json(links_view(project, key, links)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LinkBody {
    issue: String,
}

pub(crate) async fn create_link(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, key)): Path<(String, String)>,
    Json(body): Json<LinkBody>,
) -> Result<Response, ApiError> {
    let flag = find_flag(&state, &project, &key).await?;
    let (issue, new) = super::link(&state, &caller, &project, &flag, &body.issue).await?;
    let tracking = state.store.project_jira(&project).await?;
    let site = match tracking {
        Some(t) => Some(state.store.jira_site(t.site_id).await?),
        None => None,
    };
    let view = issue_view(LinkedIssue {
        key: issue.issue_key.clone(),
        url: site.as_ref().map(|s| browse_url(s, &issue.issue_key)),
        unknown: false,
        cached: Some(issue),
    });
    let status = if new { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(view)).into_response())
}

pub(crate) async fn delete_link(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, key, issue)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let flag = find_flag(&state, &project, &key).await?;
    if super::unlink(&state, &caller, &project, &flag, &issue).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        let issue = read_key(&issue).unwrap_or_else(|typed| typed);
        Err(ApiError::NotFound(format!("{issue} is not linked to flag {key:?}")))
    }
}

// ---------------------------------------------------------------- issues by flag

#[derive(Debug, Default, Deserialize)]
pub(crate) struct IssuesQuery {
    #[serde(default)]
    flag: Option<String>,
    #[serde(default)]
    enabled: Option<String>,
    #[serde(default)]
    project: Option<String>,
}

#[derive(Debug, Serialize)]
struct IssueFlagRef {
    project: String,
    flag: String,
    name: String,
    /// On in the primary tracked environment.
    enabled: bool,
    environment: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct FoundIssue {
    issue: String,
    summary: Option<String>,
    status: Option<String>,
    url: Option<String>,
    flags: Vec<IssueFlagRef>,
}

pub(crate) async fn find_issues(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<IssuesQuery>,
) -> Result<Json<Vec<FoundIssue>>, ApiError> {
    let enabled = match q.enabled.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "enabled must be true or false, got {other:?}"
            )));
        }
    };
    let project = q.project.as_deref().filter(|p| !p.is_empty());
    if let Some(p) = project {
        caller.require(Action::ViewProject, &project_resource(p))?;
    }
    let flag = q.flag.as_deref().filter(|f| !f.is_empty());
    let found = crate::jira::find_issues(&state, project, flag, enabled, |p| {
        can_view_project(&caller.principal, &Named::new(p.to_owned()))
    })
    .await?;
    Ok(Json(
        found
            .into_iter()
            .map(|i| FoundIssue {
                summary: i.cached.as_ref().map(|(c, _)| c.summary.clone()),
                status: i.cached.as_ref().map(|(c, _)| c.status.clone()),
                url: i.cached.map(|(_, u)| u),
                issue: i.issue,
                flags: i
                    .flags
                    .into_iter()
                    .map(|f| IssueFlagRef {
                        project: f.project,
                        flag: f.flag,
                        name: f.name,
                        enabled: f.enabled,
                        environment: f.environment,
                    })
                    .collect(),
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize)]
struct EnvWire {
    key: String,
    name: String,
    kind: String,
    enabled: bool,
    /// The off variation's name: what is served when the flag is off.
    default_value: String,
    /// `{"percentage": 25}` or `{"rules": 2}`.
    rollout: Value,
    /// The rollout in words: `30% true · 70% false, default treatment false`, `2 rules`,
    /// `1 rule + 25% rollout`.
    rollout_text: String,
    url: String,
    last_saved: i64,
}

fn env_wire(e: EnvView) -> EnvWire {
    let rollout = match &e.rollout {
        RolloutView::Percentage(p) => json!({"percentage": p}),
        RolloutView::Split { shares, percentage, default_treatment } => json!({
            "percentage": percentage,
            "shares": shares.iter().map(|(v, p)| json!({"variation": v, "percentage": p})).collect::<Vec<_>>(),
            "default_treatment": default_treatment,
        }),
        RolloutView::Rules(n) => json!({"rules": n}),
        RolloutView::RulesAndRollout { rules, percentage } => {
            json!({"rules": rules, "percentage": percentage})
        }
    };
    EnvWire {
        rollout_text: e.rollout.describe(),
        rollout,
        key: e.key,
        name: e.name,
        kind: e.kind,
        enabled: e.enabled,
        default_value: e.default_value,
        url: e.url,
        last_saved: e.last_saved,
    }
}

#[derive(Debug, Serialize)]
struct FlagViewWire {
    project: String,
    key: String,
    name: String,
    url: String,
    issue_keys: Vec<String>,
    primary: EnvWire,
    environments: Vec<EnvWire>,
    last_saved: i64,
    fully_rolled_out: bool,
    archived: bool,
}

fn flag_view_wire(v: FlagView) -> FlagViewWire {
    FlagViewWire {
        project: v.project,
        key: v.key,
        name: v.name,
        url: v.url,
        issue_keys: v.issue_keys,
        primary: env_wire(v.primary),
        environments: v.environments.into_iter().map(env_wire).collect(),
        last_saved: v.last_saved,
        fully_rolled_out: v.fully_rolled_out,
        archived: v.archived,
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct IssueFlagsView {
    issue: String,
    summary: Option<String>,
    status: Option<String>,
    url: Option<String>,
    flags: Vec<FlagViewWire>,
}

pub(crate) async fn issue_flags(
    State(state): State<AppState>,
    caller: Caller,
    Path(key): Path<String>,
) -> Result<Json<IssueFlagsView>, ApiError> {
    let issue = read_key(&key).unwrap_or_else(|typed| typed);
    let views = issue_flag_views(&state, &issue, |p| {
        can_view_project(&caller.principal, &Named::new(p.to_owned()))
    })
    .await?;
    // What tether knows of the issue is shown only beside flags the caller may see:
    // an issue linked only in other projects is not the caller's to read about.
    let cached = match views.is_empty() {
        true => None,
        false => cached_issue_anywhere(&state, &issue).await?,
    };
    Ok(Json(IssueFlagsView {
        summary: cached.as_ref().map(|(c, _)| c.summary.clone()),
        status: cached.as_ref().map(|(c, _)| c.status.clone()),
        url: cached.map(|(_, u)| u),
        issue,
        flags: views.into_iter().map(flag_view_wire).collect(),
    }))
}
