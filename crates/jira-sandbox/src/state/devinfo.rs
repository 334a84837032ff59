//! What the Development Information API holds: repositories and their commits, branches and
//! pull requests, each with its own `updateSequenceId` (a newer one replaces, an older or
//! equal one is ignored), the issue keys it is linked to and the request properties it came
//! with (for delete- and exists-by-properties).

use std::collections::BTreeMap;

use serde_json::Value;

use super::State;

/// A repository as stored: its own fields (without the entity lists) and its entities by
/// type and id.
#[derive(Debug, Clone)]
pub(crate) struct DevRepo {
    pub data: Value,
    pub update_sequence_id: i64,
    pub properties: BTreeMap<String, String>,
    pub commits: BTreeMap<String, DevEntity>,
    pub branches: BTreeMap<String, DevEntity>,
    pub pull_requests: BTreeMap<String, DevEntity>,
}

#[derive(Debug, Clone)]
pub(crate) struct DevEntity {
    /// As submitted.
    pub data: Value,
    pub update_sequence_id: i64,
    /// The known issue keys it is linked to.
    pub issue_keys: Vec<String>,
    pub properties: BTreeMap<String, String>,
}

/// The three entity kinds, by the names each part of the API gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntityKind {
    Commit,
    Branch,
    PullRequest,
}

impl EntityKind {
    pub const ALL: [EntityKind; 3] =
        [EntityKind::Commit, EntityKind::Branch, EntityKind::PullRequest];

    /// The list's name in a repository (`commits`, `branches`, `pullRequests`).
    pub fn list(self) -> &'static str {
        match self {
            EntityKind::Commit => "commits",
            EntityKind::Branch => "branches",
            EntityKind::PullRequest => "pullRequests",
        }
    }

    /// The `{entityType}` of `DELETE /repository/{repositoryId}/{entityType}/{entityId}`.
    pub fn from_path(s: &str) -> Option<EntityKind> {
        match s {
            "commit" => Some(EntityKind::Commit),
            "branch" => Some(EntityKind::Branch),
            "pull_request" => Some(EntityKind::PullRequest),
            _ => None,
        }
    }
}

impl DevRepo {
    pub fn new(data: Value, update_sequence_id: i64, properties: BTreeMap<String, String>) -> Self {
        DevRepo {
            data,
            update_sequence_id,
            properties,
            commits: BTreeMap::new(),
            branches: BTreeMap::new(),
            pull_requests: BTreeMap::new(),
        }
    }

    pub fn entities(&self, kind: EntityKind) -> &BTreeMap<String, DevEntity> {
        match kind {
            EntityKind::Commit => &self.commits,
            EntityKind::Branch => &self.branches,
            EntityKind::PullRequest => &self.pull_requests,
        }
    }

    pub fn entities_mut(&mut self, kind: EntityKind) -> &mut BTreeMap<String, DevEntity> {
        match kind {
            EntityKind::Commit => &mut self.commits,
            EntityKind::Branch => &mut self.branches,
            EntityKind::PullRequest => &mut self.pull_requests,
        }
    }
}

/// Properties to match (all of them) and an optional `_updateSequenceId` ceiling.
#[derive(Debug, Clone)]
pub(crate) struct PropertyQuery {
    pub properties: Vec<(String, String)>,
    pub max_sequence: Option<i64>,
}

impl PropertyQuery {
    fn matches(&self, properties: &BTreeMap<String, String>, sequence: i64) -> bool {
        self.properties.iter().all(|(k, v)| properties.get(k) == Some(v))
            && self.max_sequence.is_none_or(|m| sequence <= m)
    }
}

impl State {
    /// Stores an entity unless a newer one is there; `false` when it names no known issue
    /// (and so is not stored, as Jira drops what it cannot link).
    pub fn store_dev_entity(
        &mut self,
        repo: &str,
        kind: EntityKind,
        id: &str,
        entity: DevEntity,
    ) -> bool {
        if entity.issue_keys.is_empty() {
            return false;
        }
        let Some(r) = self.devinfo.get_mut(repo) else { return false };
        let list = r.entities_mut(kind);
        if list.get(id).is_none_or(|e| e.update_sequence_id < entity.update_sequence_id) {
            list.insert(id.to_owned(), entity);
        }
        self.bump();
        true
    }

    /// Deletes repositories and entities matching `query`; a repository goes with its
    /// entities.
    pub fn delete_dev_by_properties(&mut self, query: &PropertyQuery) {
        self.devinfo.retain(|_, r| !query.matches(&r.properties, r.update_sequence_id));
        for r in self.devinfo.values_mut() {
            for kind in EntityKind::ALL {
                r.entities_mut(kind)
                    .retain(|_, e| !query.matches(&e.properties, e.update_sequence_id));
            }
        }
        self.bump();
    }

    pub fn dev_exists_by_properties(&self, query: &PropertyQuery) -> bool {
        self.devinfo.values().any(|r| {
            query.matches(&r.properties, r.update_sequence_id)
                || EntityKind::ALL.iter().any(|&k| {
                    r.entities(k)
                        .values()
                        .any(|e| query.matches(&e.properties, e.update_sequence_id))
                })
        })
    }
}
