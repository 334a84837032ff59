//! The sandbox's world: users, projects, workflows, issues and everything written to them.
//!
//! Plain data plus the mutations both the HTTP layer and the library API use, so that the two
//! cannot drift. No JSON wire shapes here except for payloads Jira stores opaquely (remote link
//! objects, feature flag documents). The types are in `model`; the mutations by subject in
//! `directory` (users, projects, permissions, security levels), `issues`, `comments`, `links`
//! and `workflow` (transitions and statuses).

use std::collections::{BTreeMap, HashMap};

use crate::config::{Flavour, SandboxConfig};
use crate::{ConfigError, TransitionRecord};

mod comments;
mod devinfo;
mod directory;
mod entity_index;
mod issues;
pub(crate) use issues::SPRINT_TOUCHED;
mod links;
mod model;
mod workflow;
mod worklogs;

pub(crate) use devinfo::{DevEntity, DevRepo, EntityKind, PropertyQuery};
pub(crate) use directory::PERMISSIONS;
pub use entity_index::EntityPropertyError;
pub(crate) use entity_index::{Extraction, IndexType, values_at};
pub(crate) use model::*;
pub(crate) use workflow::screen_field_name;
pub(crate) use worklogs::{format_duration, parse_duration};

pub(crate) type UserIdx = usize;

#[derive(Debug)]
pub(crate) struct State {
    pub flavour: Flavour,
    pub server_time_zone: String,
    pub server_title: String,
    pub users: Vec<User>,
    pub projects: Vec<Project>,
    pub statuses: Vec<Status>,
    pub issue_types: Vec<IssueType>,
    pub resolutions: Vec<Resolution>,
    pub priorities: Vec<Priority>,
    /// Fix versions of every project.
    pub versions: Vec<Version>,
    /// The field id of the sprint custom field (`customfield_10020` unless an export says
    /// otherwise), and of Data Center's "Epic Link" when an export names one.
    pub sprint_field: String,
    pub epic_link_field: Option<String>,
    /// `GET /field` as an export gave it (replacing the sandbox's own list).
    pub fields_meta: Option<Vec<serde_json::Value>>,
    pub issues: Vec<Issue>,
    pub issue_by_key: HashMap<String, usize>,
    pub issue_by_id: HashMap<u64, usize>,
    pub next_issue_id: u64,
    pub next_comment_id: u64,
    pub next_link_id: u64,
    pub next_history_id: u64,
    pub next_worklog_id: u64,
    /// Deleted worklogs and when (for `/worklog/deleted`).
    pub deleted_worklogs: Vec<(u64, i64)>,
    pub transitions_done: Vec<TransitionRecord>,
    pub flags: BTreeMap<String, StoredFlag>,
    /// The Builds API's builds by (pipelineId, buildNumber), and the Deployments API's
    /// deployments by (pipeline id, environment id, deploymentSequenceNumber).
    pub builds: BTreeMap<(String, i64), ProviderDoc>,
    pub deployments: BTreeMap<(String, String, i64), ProviderDoc>,
    /// The Development Information API's repositories, by id.
    pub devinfo: BTreeMap<String, DevRepo>,
    /// Installed Atlassian Connect apps.
    pub connect_apps: Vec<ConnectApp>,
    /// Each app key's clientKey, kept after an uninstall so a reinstall reuses it.
    pub connect_client_keys: BTreeMap<String, String>,
    /// Forge apps installed on this site.
    pub forge_installations: Vec<crate::forge::ForgeInstallation>,
    /// OAuth 2.0 client-credentials apps and the user each acts as.
    pub oauth_clients: Vec<(crate::config::OAuthClient, UserIdx)>,
    /// (user, project or all, permission key) the user lacks.
    pub denials: Vec<(UserIdx, Option<usize>, String)>,
    /// Agile boards (ids from 1) and sprints (ids from 1), in creation order.
    pub boards: Vec<Board>,
    pub sprints: Vec<Sprint>,
    /// Issue security levels; an issue with a level is visible to its members only.
    pub security_levels: Vec<SecurityLevel>,
    /// Registered webhooks (Cloud's dynamic app webhooks and Data Center's admin webhooks).
    pub webhooks: Vec<crate::webhooks::Webhook>,
    pub next_webhook_id: u64,
    /// Forge apps' `jira:entityProperty` modules, by app (registered through the admin API).
    pub forge_entity_properties: Vec<(String, Vec<Extraction>)>,
    /// OAuth 1.0a consumers (Data Center application links).
    pub oauth1_consumers: Vec<crate::oauth1::Consumer>,
    /// Bumped on every write; search caches are keyed on it.
    pub generation: u64,
}

impl State {
    pub fn new(config: &SandboxConfig) -> Result<State, ConfigError> {
        let mut state = State {
            flavour: config.flavour.clone(),
            server_time_zone: config.server_time_zone.clone(),
            server_title: config.server_title.clone(),
            users: Vec::new(),
            projects: Vec::new(),
            statuses: Vec::new(),
            issue_types: directory::builtin_issue_types(),
            resolutions: directory::builtin_resolutions(),
            priorities: directory::builtin_priorities(),
            versions: Vec::new(),
            sprint_field: crate::http::SPRINT_FIELD.to_owned(),
            epic_link_field: None,
            fields_meta: None,
            issues: Vec::new(),
            issue_by_key: HashMap::new(),
            issue_by_id: HashMap::new(),
            next_issue_id: 10000,
            next_comment_id: 10000,
            next_link_id: 10000,
            next_history_id: 10000,
            next_worklog_id: 10000,
            deleted_worklogs: Vec::new(),
            transitions_done: Vec::new(),
            flags: BTreeMap::new(),
            builds: BTreeMap::new(),
            deployments: BTreeMap::new(),
            devinfo: BTreeMap::new(),
            denials: Vec::new(),
            oauth_clients: Vec::new(),
            connect_apps: Vec::new(),
            connect_client_keys: BTreeMap::new(),
            forge_installations: Vec::new(),
            boards: Vec::new(),
            sprints: Vec::new(),
            security_levels: Vec::new(),
            webhooks: Vec::new(),
            next_webhook_id: 1,
            oauth1_consumers: Vec::new(),
            forge_entity_properties: Vec::new(),
            generation: 0,
        };
        if config.users.is_empty() {
            return Err(ConfigError::NoUsers);
        }
        if let Flavour::DataCenter { version } = &config.flavour {
            match config.flavour.dc_version() {
                Some((major, ..)) if (6..=11).contains(&major) => {}
                _ => return Err(ConfigError::UnsupportedVersion(version.clone())),
            }
        }
        for spec in &config.users {
            state.add_user(spec.clone())?;
        }
        for spec in &config.projects {
            state.add_project(spec)?;
        }
        for c in &config.oauth_clients {
            state.add_oauth_client(c.clone())?;
        }
        for d in &config.denied_permissions {
            state.deny(d)?;
        }
        for l in &config.security_levels {
            state.add_security_level(l)?;
        }
        for c in &config.oauth1_consumers {
            state.add_oauth1_consumer(c)?;
        }
        Ok(state)
    }

    /// An issue named by key (case-insensitive) or numeric id.
    pub fn find_issue(&self, s: &str) -> Option<usize> {
        if let Some(&i) = self.issue_by_key.get(s) {
            return Some(i);
        }
        if let Ok(id) = s.parse::<u64>() {
            return self.issue_by_id.get(&id).copied();
        }
        self.issue_by_key.get(&s.to_ascii_uppercase()).copied()
    }

    /// Adds OAuth 2.0 credentials, or replaces those with the same client id in place (so
    /// tokens issued to them, which name their position, stay theirs).
    pub fn add_oauth_client(
        &mut self,
        client: crate::config::OAuthClient,
    ) -> Result<(), ConfigError> {
        let user = self
            .user_by_name(&client.user)
            .ok_or_else(|| ConfigError::UnknownUser(client.user.clone()))?;
        match self.oauth_clients.iter().position(|(c, _)| c.client_id == client.client_id) {
            Some(i) => self.oauth_clients[i] = (client, user),
            None => self.oauth_clients.push((client, user)),
        }
        Ok(())
    }

    /// Whether this is a Data Center older than `major.minor` (never on Cloud).
    pub fn dc_older_than(&self, (major, minor): (u32, u32)) -> bool {
        self.flavour.dc_version().is_some_and(|v| (v.0, v.1) < (major, minor))
    }

    /// Every id counter past the ids in use (after an import brought its own).
    pub fn settle_counters(&mut self) {
        let max = |it: &mut dyn Iterator<Item = u64>| it.max().map_or(0, |m| m + 1);
        self.next_issue_id = self.next_issue_id.max(max(&mut self.issues.iter().map(|i| i.id)));
        self.next_comment_id = self
            .next_comment_id
            .max(max(&mut self.issues.iter().flat_map(|i| i.comments.iter().map(|c| c.id))));
        self.next_worklog_id = self
            .next_worklog_id
            .max(max(&mut self.issues.iter().flat_map(|i| i.worklogs.iter().map(|w| w.id))));
        self.next_history_id = self
            .next_history_id
            .max(max(&mut self.issues.iter().flat_map(|i| i.histories.iter().map(|h| h.id))));
        self.reindex();
    }

    pub fn bump(&mut self) {
        self.generation += 1;
    }
}
