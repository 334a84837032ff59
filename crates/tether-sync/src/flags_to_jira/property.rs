//! The issue property `tether.flags` (Cloud): on each issue a flag was sent
//! to (or taken from), the list of every tether flag Jira shows on it, so Jira automation and JQL (`issue.property[tether.flags].count > 0`)
//! can see them. tether owns it: rewritten whole after each change, deleted
//! when no flag is left.
//!
//! The worker writes a [`PROPERTY_KIND`] outbox row per issue concerned
//! *before* sending a flag, and handles those rows after: the value is
//! computed from what Jira was sent (each flag's `pushed` issue keys), so
//! neither a failed send nor a crash half-way can leave an issue listing a
//! flag that is no longer there.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures_util::StreamExt;
use serde::Serialize;
use serde_json::Value;
use tether_jira::{Client, Error};
use tether_store::{Project, ProjectJira, Store, StoreError};

use super::document::flag_view;
use super::sync::{FailureKind, JiraContext, Outcome, Pushed, tracking, wait_after};
use crate::SyncError;
use crate::jira::clients::ClientError;

/// Outbox kind: rewrite one issue's property on one site.
pub use tether_store::PROPERTY_KIND;
/// The payload of a [`PROPERTY_KIND`] row.
pub use tether_store::PropertyWork;

/// The property's key on each issue.
pub const ISSUE_PROPERTY: &str = "tether.flags";

/// Writes a property row per issue, unless one is already waiting (it will
/// compute the value when it runs), so a long outage does not pile up a row
/// per retry. The sender calls this before sending and again after recording
/// the send: with several workers, one may claim a waiting row in between
/// and compute the value from before the send, and the second call then
/// leaves a row that runs after it.
pub async fn enqueue_properties(
    store: &Store,
    site_id: i64,
    issues: &BTreeSet<String>,
) -> Result<(), StoreError> {
    for issue in issues {
        store.enqueue_work_unless_waiting(&PropertyWork { site_id, issue: issue.clone() }).await?;
    }
    Ok(())
}

/// Rewrites the property of each issue on a site; per issue, whether that is
/// done or to be tried again.
pub async fn sync_properties(
    store: &Store,
    jira: &JiraContext,
    site_id: i64,
    issues: &BTreeSet<String>,
) -> Result<BTreeMap<String, Outcome>, SyncError> {
    let client = match jira.clients.get(site_id).await {
        Ok((_, client)) => client,
        Err(ClientError::Store(StoreError::NotFound)) => {
            return Ok(issues.iter().map(|i| (i.clone(), Outcome::Done)).collect());
        }
        Err(ClientError::Store(e)) => return Err(e.into()),
        Err(e) => {
            let failure = FailureKind::of_client(&e);
            let error = crate::error_chain(&e);
            return Ok(issues
                .iter()
                .map(|i| {
                    let outcome = match failure {
                        FailureKind::Transient { retry_after } => {
                            Outcome::Retry { error: error.clone(), retry_after }
                        }
                        FailureKind::Permanent => Outcome::Done,
                    };
                    (i.clone(), outcome)
                })
                .collect());
        }
    };
    if !client.deployment().is_cloud() {
        return Ok(issues.iter().map(|i| (i.clone(), Outcome::Done)).collect());
    }
    if let Some(why) = skipped_because(&client) {
        // Rows queued before the site took OAuth credentials: done, not failed forever.
        tracing::info!(site_id, issues = issues.len(), reason = why, "issue properties skipped");
        return Ok(issues.iter().map(|i| (i.clone(), Outcome::Skipped(why.to_owned()))).collect());
    }
    let failed = update_issue_properties(store, &client, site_id, &jira.public_url, issues).await?;
    let in_flight = client.options().timeout;
    Ok(issues
        .iter()
        .map(|i| {
            let outcome = match failed.get(i) {
                Some(e) => {
                    Outcome::Retry { error: e.to_string(), retry_after: wait_after(e, in_flight) }
                }
                None => Outcome::Done,
            };
            (i.clone(), outcome)
        })
        .collect())
}

/// Why the property cannot be written on a site, if it cannot: its credentials are OAuth
/// credentials, which Jira refuses on issues (the property is a platform call).
pub fn skipped_because(client: &Client) -> Option<&'static str> {
    (!client.reaches_platform_apis()).then_some(
        "the site's OAuth credentials reach only Jira's DevOps APIs, not issue properties; the \
         tether.flags property (behind Jira's JQL on flags) needs an API token beside them",
    )
}

/// Requests in flight at once (the client caps them per site too).
const CONCURRENCY: usize = 8;

/// One flag in the property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PropertyFlag {
    pub project: String,
    pub key: String,
    pub name: String,
    /// On in the project's primary tracked environment.
    pub enabled: bool,
    pub url: String,
    /// The keys of the tracked environments it is on in.
    #[serde(rename = "environmentsOn")]
    pub environments_on: Vec<String>,
}

/// The property's value: `{"flags": [...], "count": n, "keys": [...], "on": [...],
/// "environmentsOn": [...]}`. The three lists of strings are what Jira's search indexes (the
/// Connect descriptor's `jiraEntityProperties` and the Forge manifest's `jira:entityProperty`
/// declare them): every flag key, the keys of the flags on in their primary environment, and
/// the tracked environments some flag is on in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssueProperty {
    pub flags: Vec<PropertyFlag>,
    pub count: usize,
    pub keys: Vec<String>,
    pub on: Vec<String>,
    #[serde(rename = "environmentsOn")]
    pub environments_on: Vec<String>,
}

impl IssueProperty {
    /// The property of an issue showing `flags`.
    pub fn of(flags: Vec<PropertyFlag>) -> IssueProperty {
        let mut keys: Vec<String> = flags.iter().map(|f| f.key.clone()).collect();
        let mut on: Vec<String> =
            flags.iter().filter(|f| f.enabled).map(|f| f.key.clone()).collect();
        let mut environments_on: Vec<String> =
            flags.iter().flat_map(|f| f.environments_on.iter().cloned()).collect();
        for list in [&mut keys, &mut on, &mut environments_on] {
            list.sort();
            list.dedup();
        }
        IssueProperty { count: flags.len(), flags, keys, on, environments_on }
    }
}

/// What the property of each issue should hold on a site: the flags Jira was
/// last sent with that issue (so a flag whose delivery is still pending does
/// not show early, nor linger after its removal went through), in their
/// current state; `None` where there are none.
pub async fn issue_properties(
    store: &Store,
    site_id: i64,
    public_url: &str,
    issues: &BTreeSet<String>,
) -> Result<BTreeMap<String, Option<IssueProperty>>, StoreError> {
    let mut on_issue: BTreeMap<String, Vec<(String, String)>> =
        issues.iter().map(|i| (i.clone(), Vec::new())).collect();
    for sync in store.flag_syncs_on_site(site_id).await? {
        let Some(pushed) = Pushed::parse(&sync) else { continue };
        for key in &pushed.issue_keys {
            if let Some(flags) = on_issue.get_mut(key) {
                flags.push((sync.project.clone(), sync.flag_key.clone()));
            }
        }
    }
    let mut projects: HashMap<String, Option<(Project, ProjectJira)>> = HashMap::new();
    let mut shown: HashMap<(String, String), Option<PropertyFlag>> = HashMap::new();
    let mut out = BTreeMap::new();
    for (issue, mut refs) in on_issue {
        refs.sort();
        let mut flags = Vec::new();
        for r in refs {
            if !shown.contains_key(&r) {
                let flag =
                    property_flag(store, site_id, public_url, &r.0, &r.1, &mut projects).await?;
                shown.insert(r.clone(), flag);
            }
            if let Some(f) = &shown[&r] {
                flags.push(f.clone());
            }
        }
        out.insert(issue, (!flags.is_empty()).then(|| IssueProperty::of(flags)));
    }
    Ok(out)
}

async fn property_flag(
    store: &Store,
    site_id: i64,
    public_url: &str,
    project: &str,
    flag: &str,
    projects: &mut HashMap<String, Option<(Project, ProjectJira)>>,
) -> Result<Option<PropertyFlag>, StoreError> {
    if !projects.contains_key(project) {
        projects.insert(project.to_owned(), tracking(store, project).await?);
    }
    let Some((p, j)) = projects[project].as_ref().filter(|(_, j)| j.site_id == site_id) else {
        return Ok(None);
    };
    let state = match store.flag(project, flag).await {
        Ok(s) => s,
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(flag_view(&state, p, j, public_url).map(|view| PropertyFlag {
        project: view.project,
        key: view.key,
        name: view.name,
        enabled: view.primary.enabled,
        environments_on: view
            .environments
            .iter()
            .filter(|e| e.enabled)
            .map(|e| e.key.clone())
            .collect(),
        url: view.url,
    }))
}

/// Rewrites (or deletes) the property on each issue. Returns the issues whose
/// update failed transiently, with the error; other failures (an issue Jira
/// does not know, no permission) are logged and skipped.
pub async fn update_issue_properties(
    store: &Store,
    client: &Client,
    site_id: i64,
    public_url: &str,
    issues: &BTreeSet<String>,
) -> Result<BTreeMap<String, Error>, StoreError> {
    let values: Vec<(String, Option<Value>)> = issue_properties(store, site_id, public_url, issues)
        .await?
        .into_iter()
        .map(|(issue, p)| (issue, p.map(|p| serde_json::to_value(p).expect("serialises"))))
        .collect();
    let answers: Vec<(String, Result<(), Error>)> = futures_util::stream::iter(values)
        .map(|(issue, value)| async move {
            let r = match &value {
                Some(v) => client.set_issue_property(&issue, ISSUE_PROPERTY, v).await.map(drop),
                None => client.delete_issue_property(&issue, ISSUE_PROPERTY).await,
            };
            (issue, r)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut transient = BTreeMap::new();
    for (issue, r) in answers {
        match r {
            Ok(()) => {}
            Err(e) if e.is_transient() => {
                transient.insert(issue, e);
            }
            Err(Error::NotFound { .. }) => {
                tracing::debug!(%issue, "no such issue for the tether.flags property");
            }
            Err(e) => {
                tracing::warn!(%issue, error = %e, "cannot update the tether.flags issue property");
            }
        }
    }
    Ok(transient)
}
