//! What an issue's development panels show: the code the Development Information API holds
//! for it (commits, branches, pull requests by repository, with Jira's summary counts), its
//! builds and deployments, the feature flags the Feature Flags API holds for it and its remote
//! links, read out of the stored documents for `/browse/{key}` and
//! `GET /_sandbox/issues/{key}/development`.

use serde::Serialize;
use serde_json::Value;

use crate::state::{DevEntity, RemoteLink, State, StoredFlag};
use crate::time::parse_jira_timestamp;

/// One issue with its feature flags and remote links.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssueDevelopment {
    pub issue_key: String,
    pub summary: String,
    pub status: String,
    pub assignee: Option<UserRef>,
    /// Commits, branches and pull requests from the Development Information API.
    pub code: CodePanel,
    /// The flags linked to the issue, by flag id.
    pub feature_flags: Vec<FlagPanel>,
    /// In the order they were added.
    pub remote_links: Vec<LinkPanel>,
    /// What the Builds API holds for the issue, by pipeline and build number.
    pub builds: Vec<BuildPanel>,
    /// What the Deployments API holds for the issue, by pipeline, environment and number.
    pub deployments: Vec<DeploymentPanel>,
}

/// A build as Jira's Development panel lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildPanel {
    pub pipeline_id: String,
    pub build_number: i64,
    pub display_name: String,
    pub url: String,
    /// `pending`, `in_progress`, `successful`, `failed`, `cancelled` or `unknown`.
    pub state: String,
    pub last_updated: String,
}

/// A deployment as Jira's Development panel lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeploymentPanel {
    pub pipeline: String,
    pub environment: String,
    /// `development`, `testing`, `staging`, `production` or `unmapped`.
    pub environment_type: String,
    pub deployment_sequence_number: i64,
    pub display_name: String,
    pub url: String,
    pub state: String,
    pub last_updated: String,
}

/// The code linked to an issue, as Jira's Development panel summarises it ("3 branches",
/// "12 commits", "2 pull requests OPEN") and lists it per repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodePanel {
    pub branches: usize,
    pub commits: usize,
    pub pull_requests: usize,
    /// The status the summary shows for the pull requests: the first of OPEN, MERGED, DECLINED,
    /// UNKNOWN that any of them has (the spec's precedence).
    pub pull_request_status: Option<String>,
    /// The newest commit time or pull request update, as submitted.
    pub last_updated: Option<String>,
    pub repositories: Vec<RepositoryPanel>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepositoryPanel {
    pub id: String,
    pub name: String,
    pub url: String,
    /// Newest first.
    pub commits: Vec<CommitPanel>,
    pub branches: Vec<BranchPanel>,
    pub pull_requests: Vec<PullRequestPanel>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitPanel {
    pub id: String,
    pub display_id: String,
    pub message: String,
    pub author: String,
    pub url: String,
    pub file_count: u64,
    pub author_timestamp: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BranchPanel {
    pub id: String,
    pub name: String,
    pub url: String,
    /// `lastCommit.displayId`.
    pub last_commit: Option<String>,
    pub create_pull_request_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PullRequestPanel {
    pub id: String,
    pub display_id: String,
    pub title: String,
    /// OPEN, MERGED, DECLINED or UNKNOWN.
    pub status: String,
    pub url: String,
    pub source_branch: String,
    pub destination_branch: Option<String>,
    pub author: String,
    pub last_update: String,
    pub comment_count: i64,
    /// Reviewer names, with `(approved)` after those who approved.
    pub reviewers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRef {
    /// Login name.
    pub name: String,
    pub display_name: String,
}

/// A feature flag as Jira's panel shows it: its summary, then one row per environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlagPanel {
    pub id: String,
    pub key: String,
    /// `displayName`, or the key when the flag has none.
    pub display_name: String,
    /// `summary.url`.
    pub url: Option<String>,
    /// `summary.status.enabled`.
    pub enabled: bool,
    pub default_value: Option<String>,
    pub rollout: Option<Rollout>,
    /// `summary.lastUpdated`, as submitted.
    pub last_updated: String,
    pub update_sequence_id: i64,
    /// `details`, one per environment.
    pub environments: Vec<EnvironmentPanel>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvironmentPanel {
    pub name: String,
    /// `development`, `testing`, `staging` or `production`, when given.
    #[serde(rename = "type")]
    pub env_type: Option<String>,
    pub url: String,
    pub enabled: bool,
    pub default_value: Option<String>,
    pub rollout: Option<Rollout>,
    pub last_updated: String,
}

/// The one rollout form a flag status sends, serialized as Jira's (`{"percentage": 25}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rollout {
    Percentage(f64),
    Rules(u64),
    Text(String),
}

/// A remote link as Jira's panel draws it: icon, title linked to the URL, struck through
/// when resolved, with its status icon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkPanel {
    pub id: u64,
    pub global_id: Option<String>,
    pub relationship: Option<String>,
    /// `application.name`.
    pub application: Option<String>,
    pub title: String,
    pub url: String,
    pub summary: Option<String>,
    /// `object.status.resolved`: drawn struck through.
    pub resolved: bool,
    /// `object.icon`.
    pub icon: Option<Icon>,
    /// `object.status.icon`.
    pub status_icon: Option<Icon>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Icon {
    /// `url16x16`.
    pub url: String,
    pub title: Option<String>,
}

pub(crate) fn development(state: &State, issue_key: &str) -> Option<IssueDevelopment> {
    let issue = &state.issues[state.find_issue(issue_key)?];
    let feature_flags = state
        .flags
        .iter()
        .filter(|(_, f)| f.issue_keys.contains(&issue.key))
        .map(|(id, f)| flag_panel(id, f))
        .collect();
    Some(IssueDevelopment {
        issue_key: issue.key.clone(),
        summary: issue.summary.clone(),
        status: state.statuses[issue.status].name.clone(),
        assignee: issue.assignee.map(|u| UserRef {
            name: state.users[u].spec.name.clone(),
            display_name: state.users[u].spec.display_name.clone(),
        }),
        code: code_panel(state, &issue.key),
        feature_flags,
        remote_links: issue.remote_links.iter().map(link_panel).collect(),
        builds: state
            .builds
            .iter()
            .filter(|(_, d)| d.issue_keys.contains(&issue.key))
            .map(|((pipeline, number), d)| BuildPanel {
                pipeline_id: pipeline.clone(),
                build_number: *number,
                display_name: string(&d.data, "displayName").unwrap_or_default(),
                url: string(&d.data, "url").unwrap_or_default(),
                state: string(&d.data, "state").unwrap_or_default(),
                last_updated: string(&d.data, "lastUpdated").unwrap_or_default(),
            })
            .collect(),
        deployments: state
            .deployments
            .iter()
            .filter(|(_, d)| d.issue_keys.contains(&issue.key))
            .map(|((_, _, number), d)| DeploymentPanel {
                pipeline: string(&d.data["pipeline"], "displayName").unwrap_or_default(),
                environment: string(&d.data["environment"], "displayName").unwrap_or_default(),
                environment_type: string(&d.data["environment"], "type").unwrap_or_default(),
                deployment_sequence_number: *number,
                display_name: string(&d.data, "displayName").unwrap_or_default(),
                url: string(&d.data, "url").unwrap_or_default(),
                state: string(&d.data, "state").unwrap_or_default(),
                last_updated: string(&d.data, "lastUpdated").unwrap_or_default(),
            })
            .collect(),
    })
}

fn code_panel(state: &State, key: &str) -> CodePanel {
    let linked = |e: &&DevEntity| e.issue_keys.iter().any(|k| k == key);
    let mut repositories = Vec::new();
    for (id, repo) in &state.devinfo {
        let mut commits: Vec<CommitPanel> =
            repo.commits.values().filter(linked).map(|e| commit_panel(&e.data)).collect();
        commits.sort_by_key(|c| std::cmp::Reverse(parse_jira_timestamp(&c.author_timestamp)));
        let branches: Vec<BranchPanel> = repo
            .branches
            .values()
            .filter(linked)
            .map(|e| BranchPanel {
                id: string(&e.data, "id").unwrap_or_default(),
                name: string(&e.data, "name").unwrap_or_default(),
                url: string(&e.data, "url").unwrap_or_default(),
                last_commit: string(&e.data["lastCommit"], "displayId"),
                create_pull_request_url: string(&e.data, "createPullRequestUrl"),
            })
            .collect();
        let pull_requests: Vec<PullRequestPanel> = repo
            .pull_requests
            .values()
            .filter(linked)
            .map(|e| pull_request_panel(&e.data))
            .collect();
        if commits.is_empty() && branches.is_empty() && pull_requests.is_empty() {
            continue;
        }
        repositories.push(RepositoryPanel {
            id: id.clone(),
            name: string(&repo.data, "name").unwrap_or_default(),
            url: string(&repo.data, "url").unwrap_or_default(),
            commits,
            branches,
            pull_requests,
        });
    }
    let count = |f: fn(&RepositoryPanel) -> usize| repositories.iter().map(f).sum();
    let pull_request_status = ["OPEN", "MERGED", "DECLINED", "UNKNOWN"]
        .into_iter()
        .find(|s| repositories.iter().flat_map(|r| &r.pull_requests).any(|p| p.status == *s))
        .map(str::to_owned);
    let times = repositories.iter().flat_map(|r| {
        let c = r.commits.iter().map(|c| &c.author_timestamp);
        c.chain(r.pull_requests.iter().map(|p| &p.last_update))
    });
    let last_updated = times.max_by_key(|t| parse_jira_timestamp(t)).cloned();
    CodePanel {
        branches: count(|r| r.branches.len()),
        commits: count(|r| r.commits.len()),
        pull_requests: count(|r| r.pull_requests.len()),
        pull_request_status,
        last_updated,
        repositories,
    }
}

fn commit_panel(c: &Value) -> CommitPanel {
    CommitPanel {
        id: string(c, "id").unwrap_or_default(),
        display_id: string(c, "displayId").unwrap_or_default(),
        message: string(c, "message").unwrap_or_default(),
        author: string(&c["author"], "name").unwrap_or_default(),
        url: string(c, "url").unwrap_or_default(),
        file_count: c["fileCount"].as_u64().unwrap_or(0),
        author_timestamp: string(c, "authorTimestamp").unwrap_or_default(),
    }
}

fn pull_request_panel(p: &Value) -> PullRequestPanel {
    PullRequestPanel {
        id: string(p, "id").unwrap_or_default(),
        display_id: string(p, "displayId").unwrap_or_default(),
        title: string(p, "title").unwrap_or_default(),
        status: string(p, "status").unwrap_or_default(),
        url: string(p, "url").unwrap_or_default(),
        source_branch: string(p, "sourceBranch").unwrap_or_default(),
        destination_branch: string(p, "destinationBranch"),
        author: string(&p["author"], "name").unwrap_or_default(),
        last_update: string(p, "lastUpdate").unwrap_or_default(),
        comment_count: p["commentCount"].as_i64().unwrap_or(0),
        reviewers: p["reviewers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| {
                let name = string(r, "name")?;
                Some(if r["approvalStatus"] == "APPROVED" {
                    format!("{name} (approved)")
                } else {
                    name
                })
            })
            .collect(),
    }
}

fn string(v: &Value, field: &str) -> Option<String> {
    v.get(field).and_then(Value::as_str).map(str::to_owned)
}

/// `(enabled, defaultValue, rollout)` of a flag status.
fn status(v: &Value) -> (bool, Option<String>, Option<Rollout>) {
    let st = &v["status"];
    let r = &st["rollout"];
    let rollout = if let Some(p) = r.get("percentage").and_then(Value::as_f64) {
        Some(Rollout::Percentage(p))
    } else if let Some(n) = r.get("rules").and_then(Value::as_u64) {
        Some(Rollout::Rules(n))
    } else {
        string(r, "text").map(Rollout::Text)
    };
    (st["enabled"].as_bool().unwrap_or(false), string(st, "defaultValue"), rollout)
}

fn flag_panel(id: &str, f: &StoredFlag) -> FlagPanel {
    let d = &f.data;
    let key = string(d, "key").unwrap_or_default();
    let (enabled, default_value, rollout) = status(&d["summary"]);
    FlagPanel {
        id: id.to_owned(),
        display_name: string(d, "displayName").unwrap_or_else(|| key.clone()),
        key,
        url: string(&d["summary"], "url"),
        enabled,
        default_value,
        rollout,
        last_updated: string(&d["summary"], "lastUpdated").unwrap_or_default(),
        update_sequence_id: f.update_sequence_id,
        environments: d["details"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|det| {
                let (enabled, default_value, rollout) = status(det);
                EnvironmentPanel {
                    name: string(&det["environment"], "name").unwrap_or_default(),
                    env_type: string(&det["environment"], "type"),
                    url: string(det, "url").unwrap_or_default(),
                    enabled,
                    default_value,
                    rollout,
                    last_updated: string(det, "lastUpdated").unwrap_or_default(),
                }
            })
            .collect(),
    }
}

fn icon(v: &Value) -> Option<Icon> {
    Some(Icon { url: string(v, "url16x16")?, title: string(v, "title") })
}

fn link_panel(l: &RemoteLink) -> LinkPanel {
    let o = &l.object;
    LinkPanel {
        id: l.id,
        global_id: l.global_id.clone(),
        relationship: l.relationship.clone(),
        application: l.application.as_ref().and_then(|a| string(a, "name")),
        title: string(o, "title").unwrap_or_default(),
        url: string(o, "url").unwrap_or_default(),
        summary: string(o, "summary"),
        resolved: o["status"]["resolved"].as_bool().unwrap_or(false),
        icon: icon(&o["icon"]),
        status_icon: icon(&o["status"]["icon"]),
    }
}
