//! `/api/projects`: list, create and read projects with their environments.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tether_store::{EnvKind, Environment, NewEnvironment, NewProject, Project, StoreError};

use tether_policy::{Action, Named, Resource, can_view_project};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Json};

#[derive(Debug, Serialize)]
pub(crate) struct ProjectView {
    key: String,
    name: String,
    description: String,
    version: i64,
    created_at: i64,
    updated_at: i64,
    environments: Vec<EnvironmentView>,
}

#[derive(Debug, Serialize)]
struct EnvironmentView {
    key: String,
    name: String,
    kind: &'static str,
    primary: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateProject {
    key: String,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    environments: Vec<CreateEnvironment>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateEnvironment {
    key: String,
    name: String,
    kind: WireEnvKind,
    #[serde(default)]
    primary: bool,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum WireEnvKind {
    Development,
    Testing,
    Staging,
    Production,
}

impl From<WireEnvKind> for EnvKind {
    fn from(k: WireEnvKind) -> EnvKind {
        match k {
            WireEnvKind::Development => EnvKind::Development,
            WireEnvKind::Testing => EnvKind::Testing,
            WireEnvKind::Staging => EnvKind::Staging,
            WireEnvKind::Production => EnvKind::Production,
        }
    }
}

impl From<Project> for ProjectView {
    fn from(p: Project) -> ProjectView {
        ProjectView {
            key: p.key,
            name: p.name,
            description: p.description,
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
            environments: p.environments.into_iter().map(env_view).collect(),
        }
    }
}

fn env_view(e: Environment) -> EnvironmentView {
    EnvironmentView { key: e.key, name: e.name, kind: e.kind.as_str(), primary: e.primary }
}

/// The projects the caller may view.
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ProjectView>>, ApiError> {
    let projects = state.store.list_projects().await?;
    Ok(Json(
        projects
            .into_iter()
            .filter(|p| can_view_project(&caller.principal, &Named::new(p.key.clone())))
            .map(ProjectView::from)
            .collect(),
    ))
}

pub(crate) async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(key): Path<String>,
) -> Result<Json<ProjectView>, ApiError> {
    caller.require(Action::ViewProject, &project_resource(&key))?;
    match state.store.project(&key).await {
        Ok(p) => Ok(Json(p.into())),
        Err(StoreError::NotFound) => Err(ApiError::NotFound(format!("no project {key:?}"))),
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<CreateProject>,
) -> Result<(StatusCode, Json<ProjectView>), ApiError> {
    caller.require(Action::CreateProject, &project_resource(&body.key))?;
    let new = validate(body)?;
    let project = state.store.create_project(&new, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(project.into())))
}

/// Checks a request in full before anything is written.
fn validate(body: CreateProject) -> Result<NewProject, ApiError> {
    check_key("key", &body.key)?;
    check_name("name", &body.name)?;
    let mut seen = std::collections::HashSet::new();
    for (i, env) in body.environments.iter().enumerate() {
        check_key(&format!("environments[{i}].key"), &env.key)?;
        check_name(&format!("environments[{i}].name"), &env.name)?;
        if !seen.insert(env.key.as_str()) {
            return Err(ApiError::invalid(
                format!("environments[{i}].key"),
                format!("environment key {:?} is used twice", env.key),
            ));
        }
    }
    if !body.environments.is_empty() {
        let primaries = body.environments.iter().filter(|e| e.primary).count();
        if primaries != 1 {
            return Err(ApiError::invalid(
                "environments",
                format!("exactly one environment must be primary, found {primaries}"),
            ));
        }
    }
    Ok(NewProject {
        key: body.key,
        name: body.name.trim().to_owned(),
        description: body.description,
        environments: body
            .environments
            .into_iter()
            .map(|e| NewEnvironment {
                key: e.key,
                name: e.name.trim().to_owned(),
                kind: e.kind.into(),
                primary: e.primary,
            })
            .collect(),
    })
}

/// Keys appear in URLs and resource specifiers: lower-case letters, digits,
/// `-`, `_` and `.`, starting with a letter or digit, at most 64 characters.
pub(crate) fn check_key(field: &str, key: &str) -> Result<(), ApiError> {
    let ok = !key.is_empty()
        && key.len() <= 64
        && key.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            format!(
                "{key:?} is not a valid key: use 1 to 64 lower-case letters, digits, '-', '_' or '.', \
                 starting with a letter or digit"
            ),
        ))
    }
}

pub(super) fn check_name(field: &str, name: &str) -> Result<(), ApiError> {
    let len = name.trim().chars().count();
    if (1..=200).contains(&len) {
        Ok(())
    } else {
        Err(ApiError::invalid(field, "a name must have 1 to 200 characters"))
    }
}

/// The policy resource of a project.
pub(crate) fn project_resource(project: &str) -> Resource {
    Resource::Project(Named::new(project))
}
