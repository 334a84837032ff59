//! `/api/projects/{project}/environments…`: a project's environments after its
//! creation. List; add one (every flag off, serving its off variation, or with
//! another environment's configurations); change its name, kind or whether it
//! is primary (the old primary is demoted in the same transaction); delete it
//! with its flag configurations and SDK keys (never the primary, so never the
//! last). Environments are versioned with their project: `version` in a body or
//! `If-Match` is the project's version, which every change here bumps.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tether_policy::{Action, Named, Resource};
use tether_store::{EnvironmentChange, NewEnvironment, Project, StoreError};

use super::check_key;
use super::project_resource;
use super::projects::{WireEnvKind, check_name};
use crate::AppState;
use crate::api::{expected_version, with_etag};
use crate::auth::Caller;
use crate::error::{ApiError, Json};
use crate::flags::initial_config;

/// An environment, with the version of its project's environments.
#[derive(Debug, Serialize)]
pub(crate) struct EnvironmentView {
    key: String,
    name: String,
    kind: &'static str,
    primary: bool,
    /// The project's version: send it back to change or delete this environment.
    version: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBody {
    // Missing fields are refused below, naming them (serde would name none).
    #[serde(default)]
    key: String,
    #[serde(default)]
    name: String,
    kind: Option<WireEnvKind>,
    #[serde(default)]
    primary: bool,
    /// The environment whose flag configurations the new one starts with.
    copy_from: Option<String>,
    version: Option<i64>,
}

/// PATCH changes what it names; PUT needs `name` and `kind`. `key` may be sent
/// but not changed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateBody {
    key: Option<String>,
    name: Option<String>,
    kind: Option<WireEnvKind>,
    primary: Option<bool>,
    version: Option<i64>,
}

fn env_resource(project: &str, env: &str) -> Resource {
    Resource::Environment { project: Named::new(project), env: Named::new(env) }
}

fn views(p: Project) -> Vec<EnvironmentView> {
    let version = p.version;
    p.environments
        .into_iter()
        .map(|e| EnvironmentView {
            key: e.key,
            name: e.name,
            kind: e.kind.as_str(),
            primary: e.primary,
            version,
        })
        .collect()
}

/// The environment `env` of a project as saved, with the project's ETag.
fn answer(status: StatusCode, p: Project, env: &str) -> Result<Response, ApiError> {
    let version = p.version;
    let view = views(p)
        .into_iter()
        .find(|e| e.key == env)
        .ok_or_else(|| ApiError::NotFound(format!("no environment {env:?}")))?;
    Ok(with_etag(status, version, view))
}

async fn project(state: &AppState, project: &str) -> Result<Project, ApiError> {
    state.store.project(project).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::NotFound(format!("no project with key {project:?}")),
        other => other.into(),
    })
}

fn env_not_found(project: &str, env: &str) -> impl FnOnce(StoreError) -> ApiError {
    let message = format!("no environment {env:?} in project {project:?}");
    move |e| match e {
        StoreError::NotFound => ApiError::NotFound(message),
        other => other.into(),
    }
}

pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Action::ViewProject, &project_resource(&key))?;
    let p = project(&state, &key).await?;
    let version = p.version;
    Ok(with_etag(StatusCode::OK, version, views(p)))
}

pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(key): Path<String>,
    headers: HeaderMap,
    Json(body): Json<CreateBody>,
) -> Result<Response, ApiError> {
    check_key("key", &body.key)?;
    check_name("name", &body.name)?;
    let kind = body.kind.ok_or_else(|| {
        ApiError::invalid("kind", "kind is required: development, testing, staging or production")
    })?;
    let expected = expected_version(&headers, body.version)?;
    caller.require(Action::CreateEnvironment, &env_resource(&key, &body.key))?;
    if body.primary {
        // Which environment is primary is a setting of the project.
        caller.require(Action::UpdateProject, &project_resource(&key))?;
    }
    let p = project(&state, &key).await?;
    if p.environments.iter().any(|e| e.key == body.key) {
        return Err(ApiError::Conflict(format!(
            "an environment with key {:?} exists in project {key:?}",
            body.key
        )));
    }
    if let Some(from) = &body.copy_from
        && !p.environments.iter().any(|e| &e.key == from)
    {
        return Err(ApiError::invalid(
            "copy_from",
            format!("no environment {from:?} in project {key:?} to copy from"),
        ));
    }
    let new = NewEnvironment {
        key: body.key.clone(),
        name: body.name.trim().to_owned(),
        kind: kind.into(),
        primary: body.primary,
    };
    let saved = state
        .store
        .create_environment(
            &key,
            &new,
            body.copy_from.as_deref(),
            initial_config,
            expected,
            &caller.actor(),
        )
        .await
        .map_err(env_not_found(&key, body.copy_from.as_deref().unwrap_or(&body.key)))?;
    // A snapshot cached under this key belongs to a deleted namesake.
    state.snapshots.forget(&key, &new.key);
    answer(StatusCode::CREATED, saved, &new.key)
}

pub(crate) async fn patch(
    state: State<AppState>,
    caller: Caller,
    path: Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<UpdateBody>,
) -> Result<Response, ApiError> {
    update(state, caller, path, headers, body, false).await
}

pub(crate) async fn put(
    state: State<AppState>,
    caller: Caller,
    path: Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<UpdateBody>,
) -> Result<Response, ApiError> {
    update(state, caller, path, headers, body, true).await
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((key, env)): Path<(String, String)>,
    headers: HeaderMap,
    body: UpdateBody,
    replace: bool,
) -> Result<Response, ApiError> {
    if body.key.as_ref().is_some_and(|k| *k != env) {
        return Err(ApiError::invalid(
            "key",
            format!("an environment's key cannot change (the URL names {env:?})"),
        ));
    }
    if replace && body.name.is_none() {
        return Err(ApiError::invalid("name", "PUT replaces the environment: name is required"));
    }
    if replace && body.kind.is_none() {
        return Err(ApiError::invalid("kind", "PUT replaces the environment: kind is required"));
    }
    if let Some(name) = &body.name {
        check_name("name", name)?;
    }
    let expected = expected_version(&headers, body.version)?;
    caller.require(Action::UpdateEnvironment, &env_resource(&key, &env))?;
    let p = project(&state, &key).await?;
    let current =
        p.environments.iter().find(|e| e.key == env).ok_or_else(|| {
            ApiError::NotFound(format!("no environment {env:?} in project {key:?}"))
        })?;
    if body.primary == Some(false) && current.primary {
        return Err(ApiError::invalid(
            "primary",
            format!(
                "{env:?} is the primary environment of project {key:?}: make another \
                 environment primary instead"
            ),
        ));
    }
    if body.primary == Some(true) && !current.primary {
        caller.require(Action::UpdateProject, &project_resource(&key))?;
    }
    let change = EnvironmentChange {
        name: body.name.map(|n| n.trim().to_owned()),
        kind: body.kind.map(Into::into),
        primary: body.primary,
    };
    let saved = state
        .store
        .update_environment(&key, &env, &change, expected, &caller.actor())
        .await
        .map_err(env_not_found(&key, &env))?;
    answer(StatusCode::OK, saved, &env)
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((key, env)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let expected = expected_version(&headers, None)?;
    caller.require(Action::DeleteEnvironment, &env_resource(&key, &env))?;
    state
        .store
        .delete_environment(&key, &env, expected, &caller.actor())
        .await
        .map_err(env_not_found(&key, &env))?;
    // Its SDK keys stop working now, not when their cached verification expires.
    state.snapshots.forget(&key, &env);
    state.sdk_keys.forget_environment(&key, &env);
    Ok(StatusCode::NO_CONTENT)
}
