//! `/api/projects/{project}/flags…`: flags, their configuration per environment
//! (replace, toggle, copy), their audit history, and segments, as JSON over the
//! service in `flags/mod.rs`. A write can carry the version it is based on (body
//! `version` or `If-Match`: 412 when stale); without one it is still written only
//! if nothing changed since it was authorised (409 otherwise).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tether_flags::EnvConfig;
use tether_policy::Action;
use tether_store::{AuditEntry, StoreError};

use super::wire::{ConfigBody, FlagBody, SegmentBody, config_view, flag_view, segment_view};
use super::{ConfigWrite, SegmentWrite, WriteError, project_resource};
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

fn no_project(project: &str) -> impl FnOnce(StoreError) -> ApiError + '_ {
    move |e| match e {
        StoreError::NotFound => ApiError::NotFound(format!("no project {project:?}")),
        other => other.into(),
    }
}

pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Action::ViewProject, &project_resource(&project))?;
    let flags = state.store.list_flags(&project).await.map_err(no_project(&project))?;
    Ok(Json(flags.into_iter().map(flag_view).collect::<Vec<_>>()).into_response())
}

pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Json(body): Json<FlagBody>,
) -> Result<Response, ApiError> {
    check_key("key", &body.key)?;
    let created = super::create(&state, &caller, &project, &body.to_domain(), None).await?;
    Ok(with_etag(StatusCode::CREATED, created.version, flag_view(created)))
}

pub(crate) async fn get_flag(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, key)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.require(Action::ViewProject, &project_resource(&project))?;
    let flag = super::load(&state, &project, &key).await?;
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
    let based_on = expected_version(&headers, body.version)?;
    let updated = super::update(&state, &caller, &project, &body.to_domain(), based_on).await?;
    Ok(with_etag(StatusCode::OK, updated.version, flag_view(updated)))
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, key)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let based_on = expected_version(&headers, None)?;
    super::delete(&state, &caller, &project, &key, based_on).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Writes one environment's configuration and answers with it.
async fn write_config(
    state: &AppState,
    caller: &Caller,
    w: ConfigWrite<'_>,
    make: impl FnOnce(&EnvConfig) -> EnvConfig,
) -> Result<Response, ApiError> {
    let saved = super::write_config(state, caller, w, |_, old| {
        Ok::<_, std::convert::Infallible>(make(&old.config))
    })
    .await
    .map_err(WriteError::into_api)?;
    Ok(with_etag(StatusCode::OK, saved.version, config_view(saved)))
}

pub(crate) async fn put_config(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, key, env)): Path<(String, String, String)>,
    headers: HeaderMap,
    Json(body): Json<ConfigBody>,
) -> Result<Response, ApiError> {
    let based_on = expected_version(&headers, body.version)?;
    let config = body.to_domain().map_err(|(field, bad)| {
        ApiError::invalid(field, format!("operator {:?} needs {}", bad.op, bad.expected))
    })?;
    let w = ConfigWrite { project: &project, key: &key, env: &env, based_on, action: None };
    write_config(&state, &caller, w, |_| config).await
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
    let based_on = expected_version(&headers, body.version)?;
    let action = Some(Action::UpdateOn);
    let w = ConfigWrite { project: &project, key: &key, env: &env, based_on, action };
    write_config(&state, &caller, w, |old| EnvConfig {
        on: body.on.unwrap_or(!old.on),
        ..old.clone()
    })
    .await
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
    let based_on = expected_version(&headers, body.version)?;
    let current = super::load(&state, &project, &key).await?;
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
    let action = Some(Action::CopyFlagConfig);
    let w = ConfigWrite { project: &project, key: &key, env: &body.to, based_on, action };
    write_config(&state, &caller, w, |_| config).await
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
    let flag = super::load(&state, &project, &key).await?;
    let envs: Vec<&str> = flag.environments.iter().map(|e| e.env.as_str()).collect();
    let entries = super::history(&state, &project, &key, &envs, 200).await?;
    Ok(Json(entries.into_iter().map(audit_view).collect()))
}

pub(crate) async fn list_segments(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Action::ViewProject, &project_resource(&project))?;
    state.store.project(&project).await.map_err(no_project(&project))?;
    let segments = state.store.list_segments(&project).await?;
    Ok(Json(segments.into_iter().map(segment_view).collect::<Vec<_>>()).into_response())
}

fn segment_from(body: &SegmentBody) -> Result<tether_flags::Segment, ApiError> {
    check_key("key", &body.key)?;
    body.to_domain().map_err(|(field, bad)| {
        ApiError::invalid(field, format!("operator {:?} needs {}", bad.op, bad.expected))
    })
}

pub(crate) async fn create_segment(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Json(body): Json<SegmentBody>,
) -> Result<Response, ApiError> {
    let segment = segment_from(&body)?;
    let created =
        super::save_segment(&state, &caller, &project, &segment, SegmentWrite::Create).await?;
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
    let based_on = expected_version(&headers, body.version)?;
    let segment = segment_from(&body)?;
    let write = SegmentWrite::Update { based_on };
    let saved = super::save_segment(&state, &caller, &project, &segment, write).await?;
    Ok(with_etag(StatusCode::OK, saved.version, segment_view(saved)))
}
