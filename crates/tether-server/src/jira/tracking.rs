//! Which Jira site a project reports to and which of its environments Jira is
//! shown (the project's *tracking*): set and cleared here for the API and the
//! `/jira` page alike.

use tether_policy::Action;
use tether_store::{ProjectJira, StoreError};

use crate::AppState;
use crate::admin::project_resource;
use crate::auth::Caller;
use crate::error::ApiError;

/// A tracking change as asked for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TrackingChange<'a> {
    pub(crate) site: &'a str,
    /// The tracked environments; `None` keeps the default set (production
    /// environments, or the primary one), so new production environments join it.
    pub(crate) environments: Option<&'a [String]>,
    pub(crate) primary: Option<&'a str>,
    /// The tracking's version the change is based on, if the caller knows it.
    pub(crate) based_on: Option<i64>,
}

/// Points `project` at a site. Errors name their field (`site`, `environments[i]`,
/// `primary_environment`); a stale `based_on` is a 412.
pub(crate) async fn set(
    state: &AppState,
    caller: &Caller,
    project: &str,
    change: TrackingChange<'_>,
) -> Result<ProjectJira, ApiError> {
    caller.require(Action::UpdateProject, &project_resource(project))?;
    state.store.project(project).await.map_err(no_project(project))?;
    let site = match state.store.jira_site_by_name(change.site).await {
        Ok(s) => s,
        Err(StoreError::NotFound) => {
            return Err(ApiError::invalid("site", format!("no Jira site named {:?}", change.site)));
        }
        Err(e) => return Err(e.into()),
    };
    state
        .store
        .set_project_jira(
            project,
            site.id,
            change.environments,
            change.primary,
            change.based_on,
            &caller.actor(),
        )
        .await
        .map_err(store_invalid)
}

/// Stops `project` reporting to Jira; `Ok(false)` when it reported to no site.
pub(crate) async fn clear(
    state: &AppState,
    caller: &Caller,
    project: &str,
) -> Result<bool, ApiError> {
    caller.require(Action::UpdateProject, &project_resource(project))?;
    state.store.clear_project_jira(project, &caller.actor()).await.map_err(no_project(project))
}

fn no_project(project: &str) -> impl FnOnce(StoreError) -> ApiError + '_ {
    move |e| match e {
        StoreError::NotFound => ApiError::NotFound(format!("no project {project:?}")),
        other => other.into(),
    }
}

/// The store's "field: message" refusals as a 422 naming the field.
pub(crate) fn store_invalid(e: StoreError) -> ApiError {
    match e {
        StoreError::Invalid(m) => match m.split_once(": ") {
            Some((field, message)) if !field.contains(' ') => ApiError::invalid(field, message),
            _ => ApiError::invalid("", m),
        },
        other => other.into(),
    }
}
