//! Findings, the service: SARIF files imported into a repository (new by fingerprint,
//! refreshed, keeping their issue), "Create Jira issue" (project and issue type from
//! Jira's create metadata; made by the worker, once, or Jira's own create form opened
//! prefilled), and the status of a finding's issue refreshed from Jira (finding an issue
//! made through the form by the label it carries).

use futures_util::TryStreamExt;
use serde::Serialize;
use serde_json::{Value, json};
use tether_jira::Search;
use tether_policy::Action;
use tether_store::DevFindingWork;
use tether_store::dev::{Finding, ImportCounts, Repository};
use tether_sync::dev_to_jira::finding::{finding_label, issue_description, issue_summary};

use super::{find_repo, repo_resource};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// A finding as the API shows it.
#[derive(Debug, Serialize)]
pub(crate) struct FindingView {
    pub id: i64,
    pub repository: String,
    pub tool: String,
    pub rule_id: String,
    pub rule_name: String,
    pub severity: String,
    pub message: String,
    pub location: String,
    pub help_uri: Option<String>,
    pub issue_key: Option<String>,
    /// Where people open the issue.
    pub issue_url: Option<String>,
    pub issue_status: Option<String>,
    pub issue_status_category: Option<String>,
    /// An issue asked for and not made yet: `{project, issue_type, state, error}`.
    pub issue_request: Option<Value>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What an import did.
#[derive(Debug, Serialize)]
pub(crate) struct ImportView {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub warnings: Vec<String>,
}

pub(crate) async fn view(
    state: &AppState,
    repo: &Repository,
    f: Finding,
) -> Result<FindingView, ApiError> {
    let issue_url = match (f.site_id, &f.issue_key) {
        (Some(site), Some(key)) => state
            .store
            .jira_site(site)
            .await
            .ok()
            .map(|s| format!("{}/browse/{key}", s.url.trim_end_matches('/'))),
        _ => None,
    };
    Ok(FindingView {
        id: f.id,
        repository: repo.name.clone(),
        tool: f.tool,
        rule_id: f.rule_id,
        rule_name: f.rule_name,
        severity: f.severity,
        message: f.message,
        location: f.location,
        help_uri: f.help_uri,
        issue_key: f.issue_key,
        issue_url,
        issue_status: f.issue_status,
        issue_status_category: f.issue_status_category,
        issue_request: f.issue_request.as_deref().and_then(|r| serde_json::from_str(r).ok()),
        created_at: f.created_at,
        updated_at: f.updated_at,
    })
}

/// Imports a SARIF log into a repository.
pub(crate) async fn import(
    state: &AppState,
    caller: &Caller,
    repo: &Repository,
    sarif: &Value,
) -> Result<ImportView, ApiError> {
    caller.require(Action::UpdateRepository, &repo_resource(&repo.name))?;
    let read = super::sarif::read(sarif).map_err(|e| ApiError::invalid("sarif", e))?;
    let ImportCounts { added, updated, unchanged } =
        state.store.import_findings(repo.id, &read.findings, &caller.actor()).await?;
    Ok(ImportView { added, updated, unchanged, warnings: read.warnings })
}

/// A finding and its repository, if the caller may see it.
pub(crate) async fn find(
    state: &AppState,
    caller: &Caller,
    id: i64,
    action: Action,
) -> Result<(Finding, Repository), ApiError> {
    let missing = || ApiError::NotFound(format!("no finding {id}"));
    let f = state.store.finding(id).await.map_err(|_| missing())?;
    let repo = state.store.repository(f.repository_id).await?;
    if !caller.can(Action::ViewRepository, &repo_resource(&repo.name)) {
        return Err(missing());
    }
    caller.require(action, &repo_resource(&repo.name))?;
    Ok((f, repo))
}

/// The Jira site and client of a repository's settings.
async fn site_client(
    state: &AppState,
    repo: &Repository,
) -> Result<(tether_store::JiraSite, tether_jira::Client), ApiError> {
    let settings = state.store.resolved_code_settings(repo).await?.settings;
    let name = settings.site.ok_or_else(|| {
        ApiError::invalid("site", "no Jira site is set for this repository (settings: site)")
    })?;
    let site = crate::jira::sites::find_site(state, &name).await?;
    let (_, client) = state.jira.get(site.id).await.map_err(|e| {
        ApiError::Unavailable(format!(
            "Jira site {name:?} cannot be reached: {}",
            tether_sync::error_chain(&e)
        ))
    })?;
    Ok((site, client))
}

fn jira_error(e: tether_jira::Error) -> ApiError {
    match e {
        tether_jira::Error::NotFound { .. } => ApiError::invalid("project", e.to_string()),
        e if e.is_transient() => ApiError::Unavailable(e.to_string()),
        e => ApiError::BadRequest(e.to_string()),
    }
}

/// The issue types one can create in `project` on the finding's site (create metadata).
pub(crate) async fn issue_types(
    state: &AppState,
    caller: &Caller,
    id: i64,
    project: &str,
) -> Result<Vec<Value>, ApiError> {
    let (_, repo) = find(state, caller, id, Action::ViewRepository).await?;
    let (_, client) = site_client(state, &repo).await?;
    let types = client.issue_types_to_create(project.trim()).await.map_err(jira_error)?;
    Ok(types.into_iter().map(|t| json!({"id": t.id, "name": t.name})).collect())
}

/// Asks the worker to make the issue (once; the finding shows it pending meanwhile).
pub(crate) async fn request_issue(
    state: &AppState,
    caller: &Caller,
    id: i64,
    project: &str,
    issue_type: &str,
) -> Result<FindingView, ApiError> {
    let (f, repo) = find(state, caller, id, Action::UpdateRepository).await?;
    if f.issue_key.is_some() {
        return Err(ApiError::Conflict(format!(
            "finding {id} already has issue {}",
            f.issue_key.unwrap_or_default()
        )));
    }
    let (site, client) = site_client(state, &repo).await?;
    let types = client.issue_types_to_create(project.trim()).await.map_err(jira_error)?;
    let chosen = types
        .iter()
        .find(|t| t.name == issue_type || t.id.as_deref() == Some(issue_type))
        .ok_or_else(|| {
            let names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
            ApiError::invalid(
                "issue_type",
                format!("project {project} takes the issue types {}", names.join(", ")),
            )
        })?;
    let work = DevFindingWork {
        finding_id: f.id,
        site_id: site.id,
        project: project.trim().to_owned(),
        issue_type: chosen.name.clone(),
    };
    let request =
        json!({"project": work.project, "issue_type": work.issue_type, "state": "pending"});
    state.store.request_finding_issue(f.id, &request.to_string(), &work, &caller.actor()).await?;
    view(state, &repo, state.store.finding(f.id).await?).await
}

/// Jira's create form for the finding, prefilled (summary, description, the label that
/// finds the issue again).
pub(crate) async fn create_url(
    state: &AppState,
    caller: &Caller,
    id: i64,
    project: &str,
    issue_type: &str,
) -> Result<String, ApiError> {
    let (f, repo) = find(state, caller, id, Action::UpdateRepository).await?;
    let (site, client) = site_client(state, &repo).await?;
    let p = client.project(project.trim()).await.map_err(jira_error)?;
    let types = client.issue_types_to_create(project.trim()).await.map_err(jira_error)?;
    let t = types
        .iter()
        .find(|t| t.name == issue_type || t.id.as_deref() == Some(issue_type))
        .and_then(|t| t.id.clone())
        .ok_or_else(|| {
            ApiError::invalid(
                "issue_type",
                format!("project {project} has no issue type {issue_type:?}"),
            )
        })?;
    let link = format!("{}/code/findings/{}", state.config.public_url.trim_end_matches('/'), f.id);
    // The form takes wiki markup on both Cloud and Data Center.
    let description = issue_description(&f, &link).to_wiki();
    let enc = tether_jira::percent_encode;
    Ok(format!(
        "{}/secure/CreateIssueDetails!init.jspa?pid={}&issuetype={}&summary={}&description={}&labels={}",
        site.url.trim_end_matches('/'),
        enc(&p.id),
        enc(&t),
        enc(&issue_summary(&f)),
        enc(&description),
        enc(&finding_label(f.id)),
    ))
}

/// Reads the issue's status from Jira (finding an issue made through the form by its
/// label first).
pub(crate) async fn refresh(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<FindingView, ApiError> {
    let (f, repo) = find(state, caller, id, Action::ViewRepository).await?;
    let (site, client) = site_client(state, &repo).await?;
    let key = match &f.issue_key {
        Some(k) => k.clone(),
        None => {
            let jql = format!("labels = \"{}\"", finding_label(f.id));
            let found: Vec<_> = client
                .search(Search::jql(jql).fields(&["status"]))
                .try_collect()
                .await
                .map_err(jira_error)?;
            match found.first() {
                Some(i) => i.key.clone(),
                None => return view(state, &repo, f).await,
            }
        }
    };
    let issue = client.issue(&key, &["status"], &[]).await.map_err(jira_error)?;
    let status = issue.fields.status.map(|s| {
        let cat = s.status_category.map(|c| c.key).unwrap_or_default();
        (s.name, cat)
    });
    state
        .store
        .set_finding_issue(
            f.id,
            site.id,
            &key,
            status.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
            &caller.actor(),
        )
        .await?;
    view(state, &repo, state.store.finding(f.id).await?).await
}

/// The findings of a repository the caller may see.
pub(crate) async fn list(
    state: &AppState,
    caller: &Caller,
    name: &str,
) -> Result<Vec<FindingView>, ApiError> {
    let repo = find_repo(state, name).await?;
    caller.require(Action::ViewRepository, &repo_resource(&repo.name))?;
    let mut out = Vec::new();
    for f in state.store.findings(Some(repo.id)).await? {
        out.push(view(state, &repo, f).await?);
    }
    Ok(out)
}
