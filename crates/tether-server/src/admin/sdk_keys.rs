//! SDK keys, the credentials applications evaluate flags with (one environment
//! each): the service the API (`/api/projects/{p}/environments/{e}/sdk-keys`) and
//! the project page both use. A key is shown once, when created; afterwards
//! only its last characters. A revoked key stops evaluating at once in this
//! process (its cached verification is dropped).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use tether_policy::{Action, Named, Resource};
use tether_store::{SdkKeyInfo, StoreError};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Json};

fn env_resource(project: &str, env: &str) -> Resource {
    Resource::Environment { project: Named::new(project), env: Named::new(env) }
}

fn env_not_found(project: &str, env: &str, e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => {
            ApiError::NotFound(format!("no environment {env:?} in project {project:?}"))
        }
        other => other.into(),
    }
}

/// Creates a key for an environment; the key is returned this once.
pub(crate) async fn create(
    state: &AppState,
    caller: &Caller,
    project: &str,
    env: &str,
) -> Result<String, ApiError> {
    caller.require(Action::ViewSdkKey, &env_resource(project, env))?;
    state
        .store
        .create_sdk_key(project, env, &caller.actor())
        .await
        .map_err(|e| env_not_found(project, env, e))
}

/// An environment's keys (hints only), live and revoked.
pub(crate) async fn list(
    state: &AppState,
    caller: &Caller,
    project: &str,
    env: &str,
) -> Result<Vec<SdkKeyInfo>, ApiError> {
    caller.require(Action::ViewSdkKey, &env_resource(project, env))?;
    Ok(state.store.list_sdk_keys(project, env).await?)
}

/// Whether `caller` may revoke the environment's keys (to offer the button).
pub(crate) fn may_revoke(caller: &Caller, project: &str, env: &str) -> bool {
    caller.can(Action::UpdateEnvironment, &env_resource(project, env))
}

/// Revokes a live key of the environment.
pub(crate) async fn revoke(
    state: &AppState,
    caller: &Caller,
    project: &str,
    env: &str,
    id: i64,
) -> Result<(), ApiError> {
    caller.require(Action::UpdateEnvironment, &env_resource(project, env))?;
    if !state.store.revoke_sdk_key(project, env, id, &caller.actor()).await? {
        return Err(ApiError::NotFound(format!("no live SDK key {id} in {project}/{env}")));
    }
    state.sdk_keys.forget_environment(project, env);
    Ok(())
}

#[derive(Debug, Serialize)]
pub(crate) struct SdkKeyView {
    id: i64,
    hint: String,
    created_at: i64,
    revoked_at: Option<i64>,
}

fn view(k: SdkKeyInfo) -> SdkKeyView {
    SdkKeyView { id: k.id, hint: k.hint, created_at: k.created_at, revoked_at: k.revoked_at }
}

#[derive(Debug, Serialize)]
pub(crate) struct CreatedSdkKey {
    /// The key itself: shown this once, never again.
    key: String,
}

pub(crate) async fn create_api(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, env)): Path<(String, String)>,
) -> Result<(StatusCode, Json<CreatedSdkKey>), ApiError> {
    let key = create(&state, &caller, &project, &env).await?;
    Ok((StatusCode::CREATED, Json(CreatedSdkKey { key })))
}

pub(crate) async fn list_api(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, env)): Path<(String, String)>,
) -> Result<Json<Vec<SdkKeyView>>, ApiError> {
    let keys = list(&state, &caller, &project, &env).await?;
    Ok(Json(keys.into_iter().map(view).collect()))
}

pub(crate) async fn revoke_api(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, env, id)): Path<(String, String, i64)>,
) -> Result<StatusCode, ApiError> {
    revoke(&state, &caller, &project, &env, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
