//! Flags: their definitions, configurations per environment and segments. This
//! module is the service: the one place that authorises, validates, writes
//! through the store and refreshes the evaluation snapshots. The REST API
//! (`api.rs`) and the pages (`ui.rs`, forms read in `targeting.rs`) are adapters
//! that read a request into a change and answer in their own shape.

pub(crate) mod api;
mod forms;
mod list;
mod page;
mod targeting;
pub(crate) mod ui;
pub(crate) mod wire;

use std::future::Future;
use std::pin::Pin;

use tether_flags::{EnvConfig, Flag, ValidationError};
use tether_policy::{Action, Named, Resource};
use tether_store::{EnvConfigState, FlagState, SegmentState, StoreError};

use crate::AppState;
pub(crate) use crate::admin::project_resource;
use crate::auth::Caller;
use crate::error::ApiError;

/// The policy resource of a flag (with its tags), in one environment or in all.
pub(crate) fn flag_resource(project: &str, flag: &Flag, env: Option<&str>) -> Resource {
    Resource::Flag {
        project: Named::new(project),
        env: env.map(Named::new),
        flag: Named::with_tags(flag.key.clone(), flag.tags.iter().cloned()),
    }
}

fn segment_resource(project: &str, key: &str) -> Resource {
    Resource::Segment { project: Named::new(project), segment: Named::new(key) }
}

/// Rebuilds the project's evaluation snapshots after a change. The write stands
/// when this fails: the next tick rebuilds them.
pub(crate) async fn refresh(state: &AppState, project: &str) {
    if let Err(e) = state.snapshots.refresh_project(&state.store, project).await {
        let error = crate::error::error_chain(&e);
        tracing::warn!(project, %error, "cannot refresh snapshots after a change");
    }
}

/// Takes a change to one flag's config in one environment into that environment's snapshot
/// (that flag alone recompiled). The write stands when this fails: the next tick rebuilds it.
async fn refresh_flag(state: &AppState, project: &str, env: &str, key: &str) {
    if let Err(e) = state.snapshots.refresh_flag(&state.store, project, env, key).await {
        let error = crate::error::error_chain(&e);
        tracing::warn!(project, env, flag = key, %error, "cannot refresh the snapshot after a change");
    }
}

/// What a new flag gets in every environment: off, serving its last variation
/// when off and its first when on.
pub(crate) fn initial_config(flag: &Flag) -> EnvConfig {
    let first = flag.variations.first().map(|v| v.key.clone()).unwrap_or_default();
    let last = flag.variations.last().map(|v| v.key.clone()).unwrap_or_default();
    EnvConfig {
        on: false,
        off_variation: last,
        targets: vec![],
        rules: vec![],
        default_rule: tether_flags::Serve::Variation(first),
    }
}

/// Checks the issue keys a flag definition adds to its Jira issues property
/// (`before` → `after`) before the flag is written. The Jira feature provides
/// it (`AppState::issue_check`), so flags need not know Jira.
pub(crate) type IssueCheck =
    for<'a> fn(
        &'a AppState,
        &'a str,
        &'a [String],
        &'a Flag,
    ) -> Pin<Box<dyn Future<Output = Result<(), ApiError>> + Send + 'a>>;

/// Why a write was refused; each adapter answers it in its own shape.
#[derive(Debug)]
pub(crate) enum WriteError<E = std::convert::Infallible> {
    /// No such project, flag or environment (the message says which).
    NotFound(String),
    /// The caller may not do it.
    Forbidden(String),
    /// The adapter's own reading of the request failed (a form's inline errors).
    Rejected(E),
    /// The new configuration is not valid for the flag.
    Invalid {
        new: EnvConfig,
        errors: Vec<ValidationError>,
    },
    /// The caller's change was based on another version than the current one.
    Stale {
        based_on: i64,
        current: i64,
    },
    /// Someone else changed it between the authorisation and the write: the
    /// caller gave no version, so it is told the current one (409).
    Raced {
        current: i64,
    },
    Other(ApiError),
}

impl<E> From<ApiError> for WriteError<E> {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Forbidden(why) => WriteError::Forbidden(why),
            other => WriteError::Other(other),
        }
    }
}

impl<E> From<StoreError> for WriteError<E> {
    fn from(e: StoreError) -> Self {
        WriteError::Other(e.into())
    }
}

impl WriteError {
    /// As the API answers it.
    pub(crate) fn into_api(self) -> ApiError {
        match self {
            WriteError::NotFound(what) => ApiError::NotFound(what),
            WriteError::Forbidden(why) => ApiError::Forbidden(why),
            WriteError::Rejected(never) => match never {},
            WriteError::Invalid { errors, .. } => invalid(errors, ""),
            WriteError::Stale { based_on, current } => ApiError::PreconditionFailed(format!(
                "the configuration is at version {current}, not {based_on}: read it again, \
                 then send the change based on the current version"
            )),
            WriteError::Raced { current } => raced(current),
            WriteError::Other(e) => e,
        }
    }
}

/// The 409 of a write that lost a race it could not know about.
fn raced(current: i64) -> ApiError {
    ApiError::Conflict(format!(
        "it changed while this request was being checked (now at version {current}); \
         nothing was written: read it again and repeat the change if it is still wanted"
    ))
}

/// The first problem as a 422 naming its field; the message counts the rest.
pub(crate) fn invalid(errors: Vec<ValidationError>, prefix: &str) -> ApiError {
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

fn no_flag(project: &str, key: &str) -> impl FnOnce(StoreError) -> ApiError {
    let what = format!("no flag {key:?} in project {project:?}");
    move |e| match e {
        StoreError::NotFound => ApiError::NotFound(what),
        other => other.into(),
    }
}

fn no_project(project: &str) -> impl FnOnce(StoreError) -> ApiError {
    let what = format!("no project {project:?}");
    move |e| match e {
        StoreError::NotFound => ApiError::NotFound(what),
        other => other.into(),
    }
}

/// A flag, or a 404 naming it.
pub(crate) async fn load(
    state: &AppState,
    project: &str,
    key: &str,
) -> Result<FlagState, ApiError> {
    state.store.flag(project, key).await.map_err(no_flag(project, key))
}

/// The flag's audit entries (its definition's and those of `envs`' configurations),
/// newest first, at most `limit`.
pub(crate) async fn history(
    state: &AppState,
    project: &str,
    key: &str,
    envs: &[&str],
    limit: usize,
) -> Result<Vec<tether_store::AuditEntry>, ApiError> {
    let resources = std::iter::once(format!("proj/{project}:flag/{key}"))
        .chain(envs.iter().map(|env| format!("proj/{project}:env/{env}:flag/{key}")));
    let mut entries = Vec::new();
    for r in resources {
        entries.extend(state.store.audit_log(Some(&r), limit as i64).await?);
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.id));
    entries.truncate(limit);
    Ok(entries)
}

async fn segment_keys(state: &AppState, project: &str) -> Result<Vec<String>, ApiError> {
    Ok(state.store.list_segments(project).await?.into_iter().map(|s| s.segment.key).collect())
}

/// Creates a flag with `config` in every environment (default: [`initial_config`]).
pub(crate) async fn create(
    state: &AppState,
    caller: &Caller,
    project: &str,
    flag: &Flag,
    config: Option<EnvConfig>,
) -> Result<FlagState, ApiError> {
    caller.require(Action::CreateFlag, &flag_resource(project, flag, None))?;
    tether_flags::validate_flag(flag).map_err(|e| invalid(e, ""))?;
    (state.issue_check)(state, project, &[], flag).await?;
    let config = config.unwrap_or_else(|| initial_config(flag));
    let created = state
        .store
        .create_flag(project, flag, &config, &caller.actor())
        .await
        .map_err(no_project(project))?;
    refresh(state, project).await;
    Ok(created)
}

/// Replaces a flag's definition; its configurations must stay valid with it.
pub(crate) async fn update(
    state: &AppState,
    caller: &Caller,
    project: &str,
    flag: &Flag,
    based_on: Option<i64>,
) -> Result<FlagState, ApiError> {
    let current = load(state, project, &flag.key).await?;
    // Both the old and the new tags must allow it: retagging cannot escape a policy.
    caller.require(Action::UpdateFlag, &flag_resource(project, &current.flag, None))?;
    caller.require(Action::UpdateFlag, &flag_resource(project, flag, None))?;
    tether_flags::validate_flag(flag).map_err(|e| invalid(e, ""))?;
    let segments = segment_keys(state, project).await?;
    for env in &current.environments {
        tether_flags::validate_env_config(flag, &env.config, |s| segments.iter().any(|k| k == s))
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
    (state.issue_check)(state, project, current.flag.jira_issues(), flag).await?;
    let expected = based_on.unwrap_or(current.version);
    let updated =
        match state.store.update_flag(project, flag, Some(expected), &caller.actor()).await {
            Err(StoreError::VersionMismatch { current, .. }) if based_on.is_none() => {
                return Err(raced(current));
            }
            other => other?,
        };
    refresh(state, project).await;
    Ok(updated)
}

/// Deletes a flag.
pub(crate) async fn delete(
    state: &AppState,
    caller: &Caller,
    project: &str,
    key: &str,
    based_on: Option<i64>,
) -> Result<(), ApiError> {
    let current = load(state, project, key).await?;
    caller.require(Action::DeleteFlag, &flag_resource(project, &current.flag, None))?;
    let expected = based_on.unwrap_or(current.version);
    match state.store.delete_flag(project, key, Some(expected), &caller.actor()).await {
        Err(StoreError::VersionMismatch { current, .. }) if based_on.is_none() => {
            return Err(raced(current));
        }
        other => other?,
    }
    refresh(state, project).await;
    Ok(())
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

/// Which environment configuration a write is for, and what it was based on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConfigWrite<'a> {
    pub(crate) project: &'a str,
    pub(crate) key: &'a str,
    pub(crate) env: &'a str,
    /// The version the caller based the change on (the API's `version` or
    /// `If-Match`, a form's hidden field); without it, the version the change is
    /// authorised against.
    pub(crate) based_on: Option<i64>,
    /// The action the request stands for, asked before anything else (toggling
    /// asks for `updateOn` even when the state does not change; copying asks for
    /// `copyFlagConfig`).
    pub(crate) action: Option<Action>,
}

/// Writes one environment's configuration: `make` builds it from the current
/// flag and configuration; every part it changes needs its action; it is
/// validated in full, then written only if nothing changed since it was read
/// (the version it was authorised against), and the snapshots are refreshed.
pub(crate) async fn write_config<E>(
    state: &AppState,
    caller: &Caller,
    w: ConfigWrite<'_>,
    make: impl FnOnce(&FlagState, &EnvConfigState) -> Result<EnvConfig, E>,
) -> Result<EnvConfigState, WriteError<E>> {
    let (project, key, env) = (w.project, w.key, w.env);
    let current = match state.store.flag(project, key).await {
        Ok(f) => f,
        Err(StoreError::NotFound) => {
            return Err(WriteError::NotFound(format!("no flag {key:?} in project {project:?}")));
        }
        Err(e) => return Err(e.into()),
    };
    let Some(old) = current.environments.iter().find(|e| e.env == env) else {
        return Err(WriteError::NotFound(format!("no environment {env:?} in project {project:?}")));
    };
    let resource = flag_resource(project, &current.flag, Some(env));
    if let Some(action) = w.action {
        caller.require(action, &resource)?;
    }
    if let Some(based_on) = w.based_on.filter(|v| *v != old.version) {
        return Err(WriteError::Stale { based_on, current: old.version });
    }
    let new = make(&current, old).map_err(WriteError::Rejected)?;
    for action in config_actions(&old.config, &new) {
        caller.require(action, &resource)?;
    }
    let segments = segment_keys(state, project).await?;
    if let Err(errors) =
        tether_flags::validate_env_config(&current.flag, &new, |s| segments.iter().any(|k| k == s))
    {
        return Err(WriteError::Invalid { new, errors });
    }
    let expected = w.based_on.unwrap_or(old.version);
    let saved = match state
        .store
        .update_flag_config(project, key, env, &new, Some(expected), &caller.actor())
        .await
    {
        Ok(saved) => saved,
        Err(StoreError::VersionMismatch { current, .. }) => {
            return Err(match w.based_on {
                Some(based_on) => WriteError::Stale { based_on, current },
                None => WriteError::Raced { current },
            });
        }
        Err(StoreError::NotFound) => {
            return Err(WriteError::NotFound(format!("no flag {key:?} in project {project:?}")));
        }
        Err(e) => return Err(e.into()),
    };
    refresh_flag(state, project, env, key).await;
    Ok(saved)
}

/// Reads and checks a segment from its wire form.
pub(crate) async fn save_segment(
    state: &AppState,
    caller: &Caller,
    project: &str,
    segment: &tether_flags::Segment,
    write: SegmentWrite,
) -> Result<SegmentState, ApiError> {
    let resource = segment_resource(project, &segment.key);
    tether_flags::validate_segment(segment).map_err(|e| invalid(e, ""))?;
    let saved = match write {
        SegmentWrite::Create => {
            caller.require(Action::CreateSegment, &resource)?;
            state
                .store
                .create_segment(project, segment, &caller.actor())
                .await
                .map_err(no_project(project))?
        }
        SegmentWrite::Update { based_on } => {
            caller.require(Action::UpdateSegment, &resource)?;
            let missing = || {
                ApiError::NotFound(format!("no segment {:?} in project {project:?}", segment.key))
            };
            let current = state
                .store
                .list_segments(project)
                .await
                .map_err(no_project(project))?
                .into_iter()
                .find(|s| s.segment.key == segment.key)
                .ok_or_else(missing)?;
            let expected = based_on.unwrap_or(current.version);
            match state
                .store
                .update_segment(project, segment, Some(expected), &caller.actor())
                .await
            {
                Err(StoreError::VersionMismatch { current, .. }) if based_on.is_none() => {
                    return Err(raced(current));
                }
                Err(StoreError::NotFound) => return Err(missing()),
                other => other?,
            }
        }
    };
    refresh(state, project).await;
    Ok(saved)
}

/// Whether a segment write creates or replaces.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SegmentWrite {
    Create,
    Update { based_on: Option<i64> },
}

#[cfg(test)]
mod tests;
