//! The Jira side of tether: sites (`sites.rs`), which site and environments a
//! project reports to, flag ↔ issue links and issues by flag (`links.rs`), the
//! Atlassian Connect app (`connect.rs`), the Forge app's manifest and remote
//! (`forge.rs`), and their adapters: the REST API
//! (`api.rs`), the `/jira` page (`ui.rs`), the flag page's Jira panel
//! (`panel.rs`), the Integrations page's section (`integration.rs`) and the
//! pages Jira opens on an issue (`issue_pages.rs`).
//!
//! Reading Jira here is allowed (a person waits on the answer: is this issue
//! real?); writing to Jira never happens here: the store's outbox does that.

pub(crate) mod api;
pub(crate) mod connect;
pub(crate) mod forge;
pub(crate) mod integration;
mod issue_pages;
mod links;
pub(crate) mod panel;
pub(crate) mod sites;
mod tracking;
pub(crate) mod ui;

pub(crate) use issue_pages::{IssueSection, issue_flags_on_site};
pub(crate) use links::*;

use tether_policy::Action;
use tether_store::{CachedIssue, FlagState};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::flags::{flag_resource, refresh};

/// Checks `issue` against the project's Jira site and links it: the one way the
/// API, the UI and the issue-side pages link. Returns the issue as Jira names it
/// and whether the link is new.
pub(crate) async fn link(
    state: &AppState,
    caller: &Caller,
    project: &str,
    flag: &FlagState,
    issue: &str,
) -> Result<(CachedIssue, bool), ApiError> {
    caller.require(Action::CreateFlagLink, &flag_resource(project, &flag.flag, None))?;
    let key = read_key(issue).unwrap_or_else(|typed| typed);
    let linked = flag.flag.jira_issues();
    if linked.len() >= MAX_ISSUES_PER_FLAG && !linked.contains(&key) {
        return Err(ApiError::invalid("issue", too_many_issues()));
    }
    let mut found = check_issues(state, project, std::slice::from_ref(&key))
        .await
        .map_err(|e| e.into_api("issue"))?;
    let issue = found.pop().expect("one key checked");
    let new = !flag.flag.jira_issues().contains(&issue.issue_key);
    state.store.link_flag_issue(project, &flag.flag.key, &issue.issue_key, &caller.actor()).await?;
    refresh(state, project).await;
    Ok((issue, new))
}

/// Removes a flag's link to `issue`; `Ok(false)` when there was none.
pub(crate) async fn unlink(
    state: &AppState,
    caller: &Caller,
    project: &str,
    flag: &FlagState,
    issue: &str,
) -> Result<bool, ApiError> {
    caller.require(Action::DeleteFlagLink, &flag_resource(project, &flag.flag, None))?;
    let issue = read_key(issue).unwrap_or_else(|typed| typed);
    let removed =
        state.store.unlink_flag_issue(project, &flag.flag.key, &issue, &caller.actor()).await?;
    if removed {
        refresh(state, project).await;
    }
    Ok(removed)
}
