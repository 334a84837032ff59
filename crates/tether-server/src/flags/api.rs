//! `/api/projects/{project}/flags…`: flags, their configuration per environment
//! (replace, toggle, copy), their audit history, and segments. Every write is
//! validated in full before anything is written, can carry the version it is
//! based on (body `version` or `If-Match`), is audited by the store, and
//! refreshes the project's evaluation snapshots before it answers.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tether_flags::{EnvConfig, Flag, ValidationError};
use tether_policy::{Action, Named, Resource};
use tether_store::{AuditEntry, StoreError};

use super::initial_config;
use super::wire::{ConfigBody, FlagBody, SegmentBody, config_view, flag_view, segment_view};
use crate::AppState;
use crate::admin::check_key;
use crate::admin::openapi::Route;
use crate::api::{expected_version, with_etag};
use crate::auth::Caller;
use crate::error::{ApiError, Json};

/// This feature's routes under `/api`.
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post, put};
    axum::Router::new()
        .route("/projects/{project}/flags", get(list).post(create))
        .route("/projects/{project}/flags/{key}", get(get_flag).put(update).delete(delete))
        .route("/projects/{project}/flags/{key}/audit", get(audit))
        .route("/projects/{project}/flags/{key}/copy", post(copy))
        .route("/projects/{project}/flags/{key}/environments/{env}", put(put_config))
        .route("/projects/{project}/flags/{key}/environments/{env}/toggle", post(toggle))
        .route("/projects/{project}/segments", get(list_segments).post(create_segment))
        .route("/projects/{project}/segments/{key}", put(update_segment))
}

/// This feature's documented routes.
pub(crate) const ROUTES: &[Route] = &[
    (
        "get",
        "/api/projects/{project}/flags",
        "viewProject",
        "List a project's flags with their configuration per environment",
    ),
    (
        "post",
        "/api/projects/{project}/flags",
        "createFlag",
        "Create a flag (off in every environment)",
    ),
    (
        "get",
        "/api/projects/{project}/flags/{key}",
        "viewProject",
        "A flag with its configuration per environment",
    ),
    (
        "put",
        "/api/projects/{project}/flags/{key}",
        "updateFlag",
        "Replace a flag's definition (name, variations, tags, properties)",
    ),
    ("delete", "/api/projects/{project}/flags/{key}", "deleteFlag", "Delete a flag"),
    (
        "get",
        "/api/projects/{project}/flags/{key}/audit",
        "viewProject",
        "A flag's change history, newest first",
    ),
    (
        "post",
        "/api/projects/{project}/flags/{key}/copy",
        "copyFlagConfig",
        "Copy one environment's configuration to another",
    ),
    (
        "put",
        "/api/projects/{project}/flags/{key}/environments/{env}",
        "(updateOn, updateRules, updateFallthrough, updateTargets, updateOffVariation)",
        "Replace a flag's configuration in one environment; each changed part needs its action",
    ),
    (
        "post",
        "/api/projects/{project}/flags/{key}/environments/{env}/toggle",
        "updateOn",
        "Turn a flag on or off (or flip it) in one environment",
    ),
    ("get", "/api/projects/{project}/segments", "viewProject", "List a project's segments"),
    ("post", "/api/projects/{project}/segments", "createSegment", "Create a segment"),
    ("put", "/api/projects/{project}/segments/{key}", "updateSegment", "Replace a segment"),
];

fn project_resource(project: &str) -> Resource {
    Resource::Project(Named::new(project))
}

fn flag_resource(project: &str, flag: &Flag, env: Option<&str>) -> Resource {
    Resource::Flag {
        project: Named::new(project),
        env: env.map(Named::new),
        flag: Named::with_tags(flag.key.clone(), flag.tags.iter().cloned()),
    }
}

/// The first problem as a 422 naming its field; the message counts the rest.
fn invalid(errors: Vec<ValidationError>, prefix: &str) -> ApiError {
    let more = errors.len().saturating_sub(1);
    let first = errors.into_iter().next().expect("validation failed with at least one error");
    // The domain's `op` carries its operand; in the API's JSON that is `value`.
    let path = match first.path.strip_suffix(".op") {
        Some(clause) if clause.ends_with(']') => format!("{clause}.value"),
        _ => first.path,
    };
    let field = if prefix.is_empty() { path } else { format!("{prefix}{path}") };
    let message = match more {
        0 => first.problem.to_string(),
        n => format!("{} (and {n} more problem{})", first.problem, if n == 1 { "" } else { "s" }),
    };
    ApiError::invalid(field, message)
}

fn not_found(what: &str, project: &str, e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::NotFound(format!("no {what} in project {project:?}")),
        other => other.into(),
    }
}

async fn refresh(state: &AppState, project: &str) {
    let result = state.snapshots.refresh_project(&state.store, project).await;
    if let Err(e) = result {
        let error = crate::error::error_chain(&e);
        tracing::warn!(project, %error, "cannot refresh snapshots after a change");
    }
}

pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Action::ViewProject, &project_resource(&project))?;
    let flags = state
        .store
        .list_flags(&project)
        .await
        .map_err(|e| not_found("such project", &project, e))?;
    Ok(Json(flags.into_iter().map(flag_view).collect::<Vec<_>>()).into_response())
}

pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Json(body): Json<FlagBody>,
) -> Result<Response, ApiError> {
    check_key("key", &body.key)?;
    let flag = body.to_domain();
    caller.require(Action::CreateFlag, &flag_resource(&project, &flag, None))?;
    tether_flags::validate_flag(&flag).map_err(|e| invalid(e, ""))?;
    crate::jira::api::check_property_links(&state, &project, &[], &flag).await?;
    let created = state
        .store
        .create_flag(&project, &flag, &initial_config(&flag), &caller.actor())
        .await
        .map_err(|e| not_found("such project", &project, e))?;
    refresh(&state, &project).await;
    Ok(with_etag(StatusCode::CREATED, created.version, flag_view(created)))
}

pub(crate) async fn get_flag(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, key)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.require(Action::ViewProject, &project_resource(&project))?;
    let flag = state
        .store
        .flag(&project, &key)
        .await
        .map_err(|e| not_found(&format!("flag {key:?}"), &project, e))?;
    Ok(with_etag(StatusCode::OK, flag.version, flag_view(flag)))
}

pub(crate) async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, key)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<FlagBody>,
) -> Result<Response, ApiError> {
    if body.key != key {
        return Err(ApiError::invalid(
            "key",
            format!("a flag's key cannot change (the URL names {key:?})"),
        ));
    }
    let expected = expected_version(&headers, body.version)?;
    let current = state
        .store
        .flag(&project, &key)
        .await
        .map_err(|e| not_found(&format!("flag {key:?}"), &project, e))?;
    let flag = body.to_domain();
    // Both the old and the new tags must allow it: retagging cannot escape a policy.
    caller.require(Action::UpdateFlag, &flag_resource(&project, &current.flag, None))?;
    caller.require(Action::UpdateFlag, &flag_resource(&project, &flag, None))?;
    tether_flags::validate_flag(&flag).map_err(|e| invalid(e, ""))?;
    let segments = segment_keys(&state, &project).await?;
    for env in &current.environments {
        tether_flags::validate_env_config(&flag, &env.config, |s| segments.iter().any(|k| k == s))
            .map_err(|e| {
                let first = &e[0];
                ApiError::invalid(
                    "variations",
                    format!(
                        "the {} environment's configuration would break: {}: {}",
                        env.env, first.path, first.problem
                    ),
                )
            })?;
    }
    crate::jira::api::check_property_links(&state, &project, current.flag.jira_issues(), &flag)
        .await?;
    let updated = state.store.update_flag(&project, &flag, expected, &caller.actor()).await?;
    refresh(&state, &project).await;
    Ok(with_etag(StatusCode::OK, updated.version, flag_view(updated)))
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, key)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let current = state
        .store
        .flag(&project, &key)
        .await
        .map_err(|e| not_found(&format!("flag {key:?}"), &project, e))?;
    caller.require(Action::DeleteFlag, &flag_resource(&project, &current.flag, None))?;
    let expected = expected_version(&headers, None)?;
    state.store.delete_flag(&project, &key, expected, &caller.actor()).await?;
    refresh(&state, &project).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn segment_keys(state: &AppState, project: &str) -> Result<Vec<String>, ApiError> {
    Ok(state.store.list_segments(project).await?.into_iter().map(|s| s.segment.key).collect())
}

/// The actions a change from `old` to `new` needs, one per part that changed.
fn config_actions(old: &EnvConfig, new: &EnvConfig) -> Vec<Action> {
    let mut actions = Vec::new();
    if old.on != new.on {
        actions.push(Action::UpdateOn);
    }
    if old.off_variation != new.off_variation {
        actions.push(Action::UpdateOffVariation);
    }
    if old.targets != new.targets {
        actions.push(Action::UpdateTargets);
    }
    if old.rules != new.rules {
        actions.push(Action::UpdateRules);
    }
    if old.default_rule != new.default_rule {
        actions.push(Action::UpdateFallthrough);
    }
    actions
}

/// Validates and writes one environment's configuration, asking for the
/// actions its changes need.
async fn write_config(
    state: &AppState,
    caller: &Caller,
    (project, key, env): (&str, &str, &str),
    new: EnvConfig,
    expected: Option<i64>,
    extra: Option<Action>,
) -> Result<Response, ApiError> {
    let current = state
        .store
        .flag(project, key)
        .await
        .map_err(|e| not_found(&format!("flag {key:?}"), project, e))?;
    let old = current.environments.iter().find(|e| e.env == env).ok_or_else(|| {
        ApiError::NotFound(format!("no environment {env:?} in project {project:?}"))
    })?;
    let resource = flag_resource(project, &current.flag, Some(env));
    if let Some(action) = extra {
        caller.require(action, &resource)?;
    }
    for action in config_actions(&old.config, &new) {
        caller.require(action, &resource)?;
    }
    let segments = segment_keys(state, project).await?;
    tether_flags::validate_env_config(&current.flag, &new, |s| segments.iter().any(|k| k == s))
        .map_err(|e| invalid(e, ""))?;
    let saved =
        state.store.update_flag_config(project, key, env, &new, expected, &caller.actor()).await?;
    refresh(state, project).await;
    Ok(with_etag(StatusCode::OK, saved.version, config_view(saved)))
}

pub(crate) async fn put_config(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, key, env)): Path<(String, String, String)>,
    headers: HeaderMap,
    Json(body): Json<ConfigBody>,
) -> Result<Response, ApiError> {
    let expected = expected_version(&headers, body.version)?;
    let config = body.to_domain().map_err(|(field, bad)| {
        ApiError::invalid(field, format!("operator {:?} needs {}", bad.op, bad.expected))
    })?;
    write_config(&state, &caller, (&project, &key, &env), config, expected, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ToggleBody {
    /// The state to set; without it the flag is flipped.
    on: Option<bool>,
    version: Option<i64>,
}

pub(crate) async fn toggle(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, key, env)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let body: ToggleBody = if body.iter().all(u8::is_ascii_whitespace) {
        ToggleBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?
    };
    let expected = expected_version(&headers, body.version)?;
    let current = state
        .store
        .flag(&project, &key)
        .await
        .map_err(|e| not_found(&format!("flag {key:?}"), &project, e))?;
    let old = current.environments.into_iter().find(|e| e.env == env).ok_or_else(|| {
        ApiError::NotFound(format!("no environment {env:?} in project {project:?}"))
    })?;
    let mut config = old.config;
    config.on = body.on.unwrap_or(!config.on);
    let flag = current.flag;
    caller.require(Action::UpdateOn, &flag_resource(&project, &flag, Some(&env)))?;
    write_config(&state, &caller, (&project, &key, &env), config, expected, None).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CopyBody {
    from: String,
    to: String,
    /// The version of the target environment's configuration this is based on.
    version: Option<i64>,
}

pub(crate) async fn copy(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, key)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<CopyBody>,
) -> Result<Response, ApiError> {
    let expected = expected_version(&headers, body.version)?;
    let current = state
        .store
        .flag(&project, &key)
        .await
        .map_err(|e| not_found(&format!("flag {key:?}"), &project, e))?;
    let source = current.environments.iter().find(|e| e.env == body.from).ok_or_else(|| {
        ApiError::invalid("from", format!("no environment {:?} in project {project:?}", body.from))
    })?;
    if !current.environments.iter().any(|e| e.env == body.to) {
        return Err(ApiError::invalid(
            "to",
            format!("no environment {:?} in project {project:?}", body.to),
        ));
    }
    let config = source.config.clone();
    write_config(
        &state,
        &caller,
        (&project, &key, &body.to),
        config,
        expected,
        Some(Action::CopyFlagConfig),
    )
    .await
}

#[derive(Debug, Serialize)]
pub(crate) struct AuditView {
    id: i64,
    at: i64,
    actor: String,
    action: String,
    resource: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

fn audit_view(e: AuditEntry) -> AuditView {
    let parse = |t: Option<String>| {
        t.map(|t| serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t)))
    };
    AuditView {
        id: e.id,
        at: e.at,
        actor: e.actor,
        action: e.action,
        resource: e.resource,
        before: parse(e.before),
        after: parse(e.after),
    }
}

/// The flag's history, newest first: its definition and every environment's configuration.
pub(crate) async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, key)): Path<(String, String)>,
) -> Result<Json<Vec<AuditView>>, ApiError> {
    caller.require(Action::ViewProject, &project_resource(&project))?;
    let flag = state
        .store
        .flag(&project, &key)
        .await
        .map_err(|e| not_found(&format!("flag {key:?}"), &project, e))?;
    let mut resources = vec![format!("proj/{project}:flag/{key}")];
    resources.extend(
        flag.environments.iter().map(|e| format!("proj/{project}:env/{}:flag/{key}", e.env)),
    );
    let mut entries = Vec::new();
    for r in &resources {
        entries.extend(state.store.audit_log(Some(r), 200).await?);
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.id));
    entries.truncate(200);
    Ok(Json(entries.into_iter().map(audit_view).collect()))
}

fn segment_resource(project: &str, key: &str) -> Resource {
    Resource::Segment { project: Named::new(project), segment: Named::new(key) }
}

pub(crate) async fn list_segments(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Action::ViewProject, &project_resource(&project))?;
    state.store.project(&project).await.map_err(|e| not_found("such project", &project, e))?;
    let segments = state.store.list_segments(&project).await?;
    Ok(Json(segments.into_iter().map(segment_view).collect::<Vec<_>>()).into_response())
}

fn segment_from(body: &SegmentBody) -> Result<tether_flags::Segment, ApiError> {
    check_key("key", &body.key)?;
    let segment = body.to_domain().map_err(|(field, bad)| {
        ApiError::invalid(field, format!("operator {:?} needs {}", bad.op, bad.expected))
    })?;
    tether_flags::validate_segment(&segment).map_err(|e| invalid(e, ""))?;
    Ok(segment)
}

pub(crate) async fn create_segment(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Json(body): Json<SegmentBody>,
) -> Result<Response, ApiError> {
    caller.require(Action::CreateSegment, &segment_resource(&project, &body.key))?;
    let segment = segment_from(&body)?;
    let created = state
        .store
        .create_segment(&project, &segment, &caller.actor())
        .await
        .map_err(|e| not_found("such project", &project, e))?;
    refresh(&state, &project).await;
    Ok(with_etag(StatusCode::CREATED, created.version, segment_view(created)))
}

pub(crate) async fn update_segment(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, key)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<SegmentBody>,
) -> Result<Response, ApiError> {
    if body.key != key {
        return Err(ApiError::invalid(
            "key",
            format!("a segment's key cannot change (the URL names {key:?})"),
        ));
    }
    caller.require(Action::UpdateSegment, &segment_resource(&project, &key))?;
    let expected = expected_version(&headers, body.version)?;
    let segment = segment_from(&body)?;
    let saved = state
        .store
        .update_segment(&project, &segment, expected, &caller.actor())
        .await
        .map_err(|e| not_found(&format!("segment {key:?}"), &project, e))?;
    refresh(&state, &project).await;
    Ok(with_etag(StatusCode::OK, saved.version, segment_view(saved)))
}
