//! Flag ↔ issue links: checking issue keys against a project's Jira site before
//! they are linked, the links of a flag with what tether last saw of each issue
//! and of the flag's delivery to Jira, the views of an issue's flags (the same
//! [`FlagView`] Jira is sent), and finding issues by flag.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tether_jira::Options;
use tether_refs::IssueKey;
use tether_store::{
    CachedIssue, EnvKind, FlagState, FlagSync, JiraSite, Project, ProjectJira, StoreError,
};
use tether_sync::jira::clients::ClientError;
use tether_sync::jira::{FlagView, flag_view};

use crate::AppState;
use crate::error::ApiError;

/// Client options for calls a person waits on: one quick retry, no long waits.
pub(crate) fn interactive_options() -> Options {
    Options {
        max_retries: 1,
        backoff_base: Duration::from_millis(200),
        max_retry_after: Duration::from_secs(5),
        timeout: Duration::from_secs(10),
        ..Options::default()
    }
}

/// Why an issue key cannot be linked; nothing was stored.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LinkError {
    #[error(
        "{0:?} is not a Jira issue key: use the project key, a dash and the number, like SHOP-123"
    )]
    InvalidKey(String),
    #[error(
        "project {0:?} reports to no Jira site: pick a site for it first (Jira page, or PUT /api/projects/{0}/jira)"
    )]
    NoSite(String),
    #[error(
        "Jira site {site:?} has no issue {key}, or the account tether uses there cannot see it; nothing was linked"
    )]
    UnknownIssue { key: String, site: String },
    #[error("cannot check {key} with Jira site {site:?}: {detail}; nothing was linked")]
    Jira { key: String, site: String, detail: String },
    #[error("storage failed")]
    Store(#[from] StoreError),
}

impl LinkError {
    /// As an API error; `field` names the input that carried the key.
    pub(crate) fn into_api(self, field: &str) -> ApiError {
        match self {
            LinkError::InvalidKey(_) | LinkError::UnknownIssue { .. } => {
                ApiError::invalid(field, self.to_string())
            }
            LinkError::NoSite(_) => ApiError::Conflict(self.to_string()),
            LinkError::Jira { .. } => ApiError::Unavailable(self.to_string()),
            LinkError::Store(e) => e.into(),
        }
    }
}

/// An issue key as a person typed it, read as Jira writes it (`shop-1 ` →
/// `SHOP-1`); what was typed, trimmed, when it is not an issue key.
pub(crate) fn read_key(typed: &str) -> Result<String, String> {
    IssueKey::parse_user_input(typed).map(|k| k.to_string()).map_err(|_| typed.trim().to_owned())
}

/// The most issues one flag may be linked to: one Feature Flags API document holds at most 100
/// issue keys, and a link Jira would not show is refused rather than dropped.
pub(crate) const MAX_ISSUES_PER_FLAG: usize = 100;

/// Why the 101st link is refused.
pub(crate) fn too_many_issues() -> String {
    format!(
        "a flag can be linked to at most {MAX_ISSUES_PER_FLAG} Jira issues: Jira's Feature Flags \
         API shows a flag on no more. Unlink an issue first, or link the others to another flag"
    )
}

/// Keys a flag definition adds to its `jira.issues` property are checked against
/// Jira like links made one by one; nothing is written when one is refused. The
/// flags service calls it through `AppState::issue_check`.
pub(crate) fn check_property_links<'a>(
    state: &'a AppState,
    project: &'a str,
    before: &'a [String],
    after: &'a tether_flags::Flag,
) -> Pin<Box<dyn Future<Output = Result<(), ApiError>> + Send + 'a>> {
    Box::pin(async move {
        let added = added_keys(before, after.jira_issues());
        if added.is_empty() {
            return Ok(());
        }
        let field = format!("custom_properties[\"{}\"].values", tether_flags::JIRA_ISSUES_PROPERTY);
        if tether_store::normalize_issue_keys(after.jira_issues()).len() > MAX_ISSUES_PER_FLAG {
            return Err(ApiError::invalid(field, too_many_issues()));
        }
        check_issues(state, project, &added).await.map(|_| ()).map_err(|e| e.into_api(&field))
    })
}

/// Asks the project's Jira site about each key (in order) and remembers what it
/// said. Fails on the first key that is malformed, unknown or invisible, or when
/// Jira cannot be asked. Returns the issues as Jira names them; on a site with
/// OAuth credentials, the keys as given with nothing known about them (not asked).
pub(crate) async fn check_issues(
    state: &AppState,
    project: &str,
    keys: &[String],
) -> Result<Vec<CachedIssue>, LinkError> {
    if let Some(bad) = keys.iter().find(|k| IssueKey::parse(k).is_err()) {
        return Err(LinkError::InvalidKey(bad.clone()));
    }
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let tracking = state
        .store
        .project_jira(project)
        .await?
        .ok_or_else(|| LinkError::NoSite(project.into()))?;
    let site = state.store.jira_site(tracking.site_id).await?;
    if !site_checks_issues(&site) {
        // Jira refuses OAuth credentials on issues: the keys go unchecked, and the Feature
        // Flags API's answer to the next delivery names those it does not know (shown on the
        // flag page). Nothing is cached: tether has not seen these issues.
        return Ok(tether_store::normalize_issue_keys(keys)
            .into_iter()
            .map(|issue_key| CachedIssue {
                issue_key,
                summary: String::new(),
                status: String::new(),
                status_category: String::new(),
                fetched_at: 0,
            })
            .collect());
    }
    let first = keys[0].clone();
    let (site, client) = match state.jira.get(tracking.site_id).await {
        Ok(found) => found,
        Err(ClientError::Store(e)) => return Err(e.into()),
        Err(e) => {
            let site = state.store.jira_site(tracking.site_id).await?.name;
            return Err(LinkError::Jira { key: first, site, detail: client_error_text(&e) });
        }
    };
    let mut found = Vec::with_capacity(keys.len());
    for key in keys {
        match client.issue(key, &["summary", "status"], &[]).await {
            Ok(issue) => {
                let status = issue.fields.status.as_ref();
                let cached = CachedIssue {
                    issue_key: issue.key.clone(),
                    summary: issue.fields.summary.clone().unwrap_or_default(),
                    status: status.map(|s| s.name.clone()).unwrap_or_default(),
                    status_category: status
                        .and_then(|s| s.status_category.as_ref())
                        .map(|c| c.key.clone())
                        .unwrap_or_default(),
                    fetched_at: state.clock.now_ms(),
                };
                state.store.cache_issue(site.id, &cached).await?;
                found.push(cached);
            }
            Err(tether_jira::Error::NotFound { .. }) => {
                return Err(LinkError::UnknownIssue { key: key.clone(), site: site.name });
            }
            Err(e) => {
                return Err(LinkError::Jira {
                    key: key.clone(),
                    site: site.name,
                    detail: e.to_string(),
                });
            }
        }
    }
    Ok(found)
}

/// Whether tether can ask the site about issues: not with OAuth credentials alone, which
/// reach only Jira's DevOps APIs (an API token beside them can).
pub(crate) fn site_checks_issues(site: &JiraSite) -> bool {
    site.auth_kind != tether_store::JiraAuthKind::OAuth2
        || site.options.contains_key(tether_sync::jira::PLATFORM_EMAIL)
}

/// A client error in words, without the chain's repetitions.
fn client_error_text(e: &ClientError) -> String {
    match e {
        ClientError::Jira { source, .. } => format!("{e} ({source})"),
        other => other.to_string(),
    }
}

/// Which of `after`'s keys are not in `before` (both already normalised).
pub(crate) fn added_keys(before: &[String], after: &[String]) -> Vec<String> {
    after.iter().filter(|k| !before.contains(k)).cloned().collect()
}

/// Where people open an issue on a site.
pub(crate) fn browse_url(site: &JiraSite, key: &str) -> String {
    format!("{}/browse/{key}", site.url.trim_end_matches('/'))
}

/// One linked issue as tether last saw it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LinkedIssue {
    pub key: String,
    /// From the issue cache: `None` until tether has read the issue from Jira.
    pub cached: Option<CachedIssue>,
    pub url: Option<String>,
    /// Jira said it does not know this key (on the last delivery).
    pub unknown: bool,
}

/// How a flag's delivery to its project's Jira site stands.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct SyncState {
    pub seq: i64,
    pub pushed_seq: Option<i64>,
    pub pushed_at: Option<i64>,
    /// What Jira holds, as last delivered.
    pub pushed_issue_keys: Vec<String>,
    pub pushed_environments: Vec<String>,
    pub unknown_issue_keys: Vec<String>,
    /// Jira's refusals: flag id → messages.
    pub failures: Vec<(String, Vec<String>)>,
    pub last_error: Option<String>,
}

impl SyncState {
    /// A change Jira has not acknowledged yet.
    pub(crate) fn pending(&self) -> bool {
        self.pushed_seq.is_none_or(|p| p < self.seq)
    }

    fn from_row(row: &FlagSync) -> SyncState {
        let json = |text: &Option<String>| -> serde_json::Value {
            text.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default()
        };
        let strings = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        };
        let pushed = json(&row.pushed);
        let result = json(&row.result);
        let failures = result["failed"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(id, messages)| (id.clone(), strings(messages)))
            .collect();
        SyncState {
            seq: row.seq,
            pushed_seq: row.pushed_seq,
            pushed_at: row.pushed_at,
            pushed_issue_keys: strings(&pushed["issue_keys"]),
            pushed_environments: strings(&pushed["environments"]),
            unknown_issue_keys: strings(&result["unknown_issue_keys"]),
            failures,
            last_error: row.last_error.clone(),
        }
    }
}

/// A flag's links: its project's site (if any), each issue, the delivery state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FlagLinks {
    pub site: Option<JiraSite>,
    pub tracking: Option<ProjectJira>,
    pub issues: Vec<LinkedIssue>,
    /// `None` when the flag was never meant for Jira (no site, or never linked).
    pub sync: Option<SyncState>,
}

pub(crate) async fn flag_links(
    state: &AppState,
    project: &str,
    flag: &FlagState,
) -> Result<FlagLinks, StoreError> {
    let tracking = state.store.project_jira(project).await?;
    let site = match &tracking {
        Some(t) => Some(state.store.jira_site(t.site_id).await?),
        None => None,
    };
    let sync = match &site {
        Some(site) => state
            .store
            .flag_sync(site.id, project, &flag.flag.key)
            .await?
            .map(|row| SyncState::from_row(&row)),
        None => None,
    };
    let mut issues = Vec::new();
    for key in flag.flag.jira_issues() {
        let cached = match &site {
            Some(site) => state.store.cached_issue(site.id, key).await?,
            None => None,
        };
        issues.push(LinkedIssue {
            key: key.clone(),
            url: site.as_ref().map(|s| browse_url(s, key)),
            unknown: sync.as_ref().is_some_and(|s| s.unknown_issue_keys.contains(key)),
            cached,
        });
    }
    Ok(FlagLinks { site, tracking, issues, sync })
}

/// The project's tracking, or what it would be by default (its production
/// environments, else its primary) when it reports to no site, so that links
/// made before a site was chosen still have a view.
pub(crate) async fn tracking_or_default(
    state: &AppState,
    project: &Project,
) -> Result<ProjectJira, StoreError> {
    if let Some(t) = state.store.project_jira(&project.key).await? {
        return Ok(t);
    }
    let (tracked, primary_env) = default_tracking(project);
    Ok(ProjectJira {
        project: project.key.clone(),
        site_id: 0,
        environments: None,
        primary: None,
        tracked,
        primary_env,
        version: 0,
        updated_at: 0,
    })
}

/// What a project tracks when nothing is configured: its production-type
/// environments (else its primary), and the primary among them (else the first).
pub(crate) fn default_tracking(project: &Project) -> (Vec<String>, String) {
    let mut tracked: Vec<String> = project
        .environments
        .iter()
        .filter(|e| e.kind == EnvKind::Production)
        .map(|e| e.key.clone())
        .collect();
    let primary = project.environments.iter().find(|e| e.primary).map(|e| e.key.clone());
    if tracked.is_empty() {
        tracked.extend(primary.clone());
    }
    let primary_env = primary
        .filter(|p| tracked.contains(p))
        .or_else(|| tracked.first().cloned())
        .unwrap_or_default();
    (tracked, primary_env)
}

/// The views of the flags linked to `issue` in projects `visible` lets through,
/// in project then flag order.
pub(crate) async fn issue_flag_views(
    state: &AppState,
    issue: &str,
    visible: impl Fn(&str) -> bool,
) -> Result<Vec<FlagView>, StoreError> {
    let mut views = Vec::new();
    let mut current: Option<(Project, ProjectJira)> = None;
    for link in state.store.issue_flags(issue).await? {
        if !visible(&link.project) {
            continue;
        }
        if current.as_ref().is_none_or(|(p, _)| p.key != link.project) {
            let project = state.store.project(&link.project).await?;
            let tracking = tracking_or_default(state, &project).await?;
            current = Some((project, tracking));
        }
        let (project, tracking) = current.as_ref().expect("set above");
        let flag = match state.store.flag(&link.project, &link.flag).await {
            Ok(f) => f,
            Err(StoreError::NotFound) => continue,
            Err(e) => return Err(e),
        };
        if let Some(view) = flag_view(&flag, project, tracking, &state.config.public_url) {
            views.push(view);
        }
    }
    Ok(views)
}

/// What tether knows of an issue from any site's cache, with the link to it.
pub(crate) async fn cached_issue_anywhere(
    state: &AppState,
    issue: &str,
) -> Result<Option<(CachedIssue, String)>, StoreError> {
    for site in state.store.list_jira_sites().await? {
        if let Some(c) = state.store.cached_issue(site.id, issue).await? {
            let url = browse_url(&site, issue);
            return Ok(Some((c, url)));
        }
    }
    Ok(None)
}

/// One flag linked to a found issue.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IssueFlagRef {
    pub project: String,
    pub flag: String,
    pub name: String,
    /// On in the primary tracked environment.
    pub enabled: bool,
    pub environment: String,
}

/// An issue with the flags linked to it that matched a search.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FoundIssue {
    pub issue: String,
    /// What tether last read of it, and where it is.
    pub cached: Option<(CachedIssue, String)>,
    pub flags: Vec<IssueFlagRef>,
}

/// Issues linked to flags (in projects `visible` lets through), optionally only
/// one project's, one flag key's, or those whose flag is on (or off) in its
/// project's primary tracked environment; in issue key order.
pub(crate) async fn find_issues(
    state: &AppState,
    project: Option<&str>,
    flag: Option<&str>,
    enabled: Option<bool>,
    visible: impl Fn(&str) -> bool,
) -> Result<Vec<FoundIssue>, StoreError> {
    let links = state.store.issue_links(project, flag).await?;
    let mut found: Vec<FoundIssue> = Vec::new();
    let mut projects: std::collections::HashMap<String, ProjectJira> =
        std::collections::HashMap::new();
    for link in links {
        if !visible(&link.project) {
            continue;
        }
        if !projects.contains_key(&link.project) {
            let p = state.store.project(&link.project).await?;
            let t = tracking_or_default(state, &p).await?;
            projects.insert(link.project.clone(), t);
        }
        let tracking = &projects[&link.project];
        let f = match state.store.flag(&link.project, &link.flag).await {
            Ok(f) => f,
            Err(StoreError::NotFound) => continue,
            Err(e) => return Err(e),
        };
        let on = f.environments.iter().any(|c| c.env == tracking.primary_env && c.config.on);
        if enabled.is_some_and(|want| want != on) {
            continue;
        }
        let r = IssueFlagRef {
            project: link.project.clone(),
            flag: link.flag.clone(),
            name: f.flag.name.clone(),
            enabled: on,
            environment: tracking.primary_env.clone(),
        };
        match found.last_mut() {
            Some(last) if last.issue == link.issue => last.flags.push(r),
            _ => {
                let cached = cached_issue_anywhere(state, &link.issue).await?;
                found.push(FoundIssue { issue: link.issue, cached, flags: vec![r] });
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests;
