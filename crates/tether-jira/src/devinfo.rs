//! Jira Software Cloud's Development Information API (`/rest/devinfo/0.10`): repositories
//! with their commits, branches and pull requests for the issue's Development panel. Apps
//! only: a Connect app's JWT, or OAuth 2.0 credentials with the Development Information
//! permission (through Atlassian's gateway); a person's API token is refused.
//!
//! Submitting is an upsert by entity id that keeps the highest `updateSequenceId`, so a
//! repeated or late submission is harmless. A request holds at most [`MAX_REPOSITORIES`]
//! repositories, [`MAX_ENTITIES_PER_LIST`] entities per list and [`MAX_ENTITIES`] in all;
//! [`Client::submit_devinfo_all`] splits what it is given to fit.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Api, Call, Client, seg};
use crate::error::Error;

pub const MAX_REPOSITORIES: usize = 100;
pub const MAX_ENTITIES_PER_LIST: usize = 400;
pub const MAX_ENTITIES: usize = 1000;
/// The longest commit message or pull request title Jira stores.
pub const MAX_MESSAGE: usize = 1024;

/// One `POST /bulk` request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DevInfoRequest {
    pub repositories: Vec<DevRepository>,
    /// Keeps Jira from running Smart Commits and automatic transitions on these commits
    /// (tether runs them itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prevent_transitions: Option<bool>,
    /// At most five, for deleting by property later.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_metadata: Option<DevProviderMetadata>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DevProviderMetadata {
    pub product: String,
}

/// A repository and the entities of it sent in one request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DevRepository {
    /// Unique per provider; at most 1024 characters.
    pub id: String,
    pub name: String,
    pub url: String,
    pub update_sequence_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commits: Vec<DevCommit>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<DevBranch>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pull_requests: Vec<DevPullRequest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DevCommit {
    pub id: String,
    pub issue_keys: Vec<String>,
    pub update_sequence_id: i64,
    pub hash: String,
    /// `MERGE_COMMIT` for merge commits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    pub message: String,
    pub author: DevAuthor,
    pub file_count: u32,
    pub url: String,
    /// ISO 8601.
    pub author_timestamp: String,
    pub display_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DevAuthor {
    pub name: String,
    /// Required by the API; empty when the forge withholds it.
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DevBranch {
    pub id: String,
    pub issue_keys: Vec<String>,
    pub update_sequence_id: i64,
    pub name: String,
    pub last_commit: DevCommit,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_pull_request_url: Option<String>,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DevPullRequest {
    pub id: String,
    pub issue_keys: Vec<String>,
    pub update_sequence_id: i64,
    /// `OPEN`, `MERGED`, `DECLINED` or `UNKNOWN`.
    pub status: String,
    pub title: String,
    pub author: DevAuthor,
    pub comment_count: u32,
    pub source_branch: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_branch: Option<String>,
    /// ISO 8601.
    pub last_update: String,
    pub url: String,
    pub display_id: String,
}

/// The 202 answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DevInfoResult {
    /// Per repository id, the entity ids stored.
    pub accepted_devinfo_entities: BTreeMap<String, DevEntityIds>,
    /// Per repository id, what was refused and why.
    pub failed_devinfo_entities: BTreeMap<String, DevRepositoryErrors>,
    pub unknown_issue_keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DevEntityIds {
    pub commits: Vec<String>,
    pub branches: Vec<String>,
    pub pull_requests: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DevRepositoryErrors {
    pub error_messages: Vec<DevErrorMessage>,
    pub commits: Vec<DevEntityError>,
    pub branches: Vec<DevEntityError>,
    pub pull_requests: Vec<DevEntityError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DevEntityError {
    pub id: String,
    pub error_messages: Vec<DevErrorMessage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DevErrorMessage {
    pub message: String,
}

impl DevRepositoryErrors {
    /// Every message, prefixed with the entity it is about.
    pub fn messages(&self) -> Vec<String> {
        let mut out: Vec<String> = self.error_messages.iter().map(|m| m.message.clone()).collect();
        for (kind, list) in [
            ("commit", &self.commits),
            ("branch", &self.branches),
            ("pull request", &self.pull_requests),
        ] {
            for e in list {
                for m in &e.error_messages {
                    out.push(format!("{kind} {}: {}", e.id, m.message));
                }
            }
        }
        out
    }
}

/// Which kind of entity a delete names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevEntityKind {
    Commit,
    Branch,
    PullRequest,
}

impl DevEntityKind {
    fn path(self) -> &'static str {
        match self {
            DevEntityKind::Commit => "commit",
            DevEntityKind::Branch => "branch",
            DevEntityKind::PullRequest => "pull_request",
        }
    }
}

impl Client {
    /// `POST /bulk`. Safe to repeat (an upsert keeping the highest `updateSequenceId`).
    pub async fn submit_devinfo(&self, request: &DevInfoRequest) -> Result<DevInfoResult, Error> {
        let body = serde_json::to_value(request).map_err(|e| Error::Other(e.to_string()))?;
        let call = Call::new(Method::POST, Api::DevInfo, "bulk").body(body).idempotent();
        self.json(&call).await
    }

    /// Submits a repository's entities in as many requests as the API's limits need (each
    /// list cut at [`MAX_ENTITIES_PER_LIST`], each request at [`MAX_ENTITIES`]), merging the
    /// answers. Messages and titles longer than Jira keeps are cut.
    pub async fn submit_devinfo_all(
        &self,
        mut repository: DevRepository,
        properties: &BTreeMap<String, String>,
    ) -> Result<DevInfoResult, Error> {
        for c in &mut repository.commits {
            c.message = cut(&c.message, MAX_MESSAGE);
        }
        for b in &mut repository.branches {
            b.last_commit.message = cut(&b.last_commit.message, MAX_MESSAGE);
        }
        for p in &mut repository.pull_requests {
            p.title = cut(&p.title, MAX_MESSAGE);
        }
        let mut merged = DevInfoResult::default();
        let mut commits = std::mem::take(&mut repository.commits).into_iter();
        let mut branches = std::mem::take(&mut repository.branches).into_iter();
        let mut pulls = std::mem::take(&mut repository.pull_requests).into_iter();
        // A third of the request's budget per list keeps every list under its own cap.
        let per_list = (MAX_ENTITIES / 3).min(MAX_ENTITIES_PER_LIST);
        loop {
            let mut part = repository.clone();
            part.commits = commits.by_ref().take(per_list).collect();
            part.branches = branches.by_ref().take(per_list).collect();
            part.pull_requests = pulls.by_ref().take(per_list).collect();
            let request = DevInfoRequest {
                repositories: vec![part],
                prevent_transitions: Some(true),
                properties: properties.clone(),
                provider_metadata: Some(DevProviderMetadata { product: "tether".into() }),
            };
            let got = self.submit_devinfo(&request).await?;
            for (repo, ids) in got.accepted_devinfo_entities {
                let into = merged.accepted_devinfo_entities.entry(repo).or_default();
                into.commits.extend(ids.commits);
                into.branches.extend(ids.branches);
                into.pull_requests.extend(ids.pull_requests);
            }
            merged.failed_devinfo_entities.extend(got.failed_devinfo_entities);
            for key in got.unknown_issue_keys {
                if !merged.unknown_issue_keys.contains(&key) {
                    merged.unknown_issue_keys.push(key);
                }
            }
            if commits.len() + branches.len() + pulls.len() == 0 {
                return Ok(merged);
            }
        }
    }

    /// `GET /repository/{id}`: the repository as Jira holds it (`None` when it has none).
    pub async fn devinfo_repository(&self, id: &str) -> Result<Option<serde_json::Value>, Error> {
        match self.json(&Call::get(Api::DevInfo, format!("repository/{}", seg(id)))).await {
            Ok(v) => Ok(Some(v)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `DELETE /repository/{id}/{kind}/{entityId}`, only data at or below
    /// `update_sequence_id` when given (a deleted branch, a commit no longer reachable).
    pub async fn delete_devinfo_entity(
        &self,
        repository_id: &str,
        kind: DevEntityKind,
        entity_id: &str,
        update_sequence_id: Option<i64>,
    ) -> Result<(), Error> {
        let path = format!("repository/{}/{}/{}", seg(repository_id), kind.path(), seg(entity_id));
        let mut call = Call::new(Method::DELETE, Api::DevInfo, path);
        if let Some(n) = update_sequence_id {
            call = call.param("_updateSequenceId", n.to_string());
        }
        match self.execute(&call).await {
            Ok(_) | Err(Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `GET /existsByProperties?k=v`: whether anything was stored with these properties.
    /// Needs the API's read permission.
    pub async fn devinfo_exists_by_properties(
        &self,
        properties: &BTreeMap<String, String>,
    ) -> Result<bool, Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Exists {
            #[serde(default)]
            has_data_matching_properties: bool,
        }
        let mut call = Call::get(Api::DevInfo, "existsByProperties");
        for (k, v) in properties {
            call = call.param(k, v.clone());
        }
        let got: Exists = self.json(&call).await?;
        Ok(got.has_data_matching_properties)
    }

    /// `DELETE /bulkByProperties?k=v`: everything stored with all these properties. Needs
    /// the API's write permission.
    pub async fn delete_devinfo_by_properties(
        &self,
        properties: &BTreeMap<String, String>,
    ) -> Result<(), Error> {
        let mut call = Call::new(Method::DELETE, Api::DevInfo, "bulkByProperties");
        for (k, v) in properties {
            call = call.param(k, v.clone());
        }
        self.execute(&call).await.map(|_| ())
    }
}

/// `s` cut to at most `max` characters, marked with `…` when cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}
