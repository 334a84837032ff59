//! The sandbox's world: users, projects, workflows, issues and everything written to them.
//!
//! Plain data plus the mutations both the HTTP layer and the library API use, so that the two
//! cannot drift. No JSON wire shapes here except for payloads Jira stores opaquely (remote link
//! objects, feature flag documents).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::config::{
    Flavour, PermissionDenial, ProjectSpec, ProjectType, SandboxConfig, StatusCategory, UserSpec,
    Workflow,
};
use crate::text::Body;
use crate::{ConfigError, TransitionRecord};

pub(crate) type UserIdx = usize;

#[derive(Debug)]
pub(crate) struct State {
    pub flavour: Flavour,
    pub server_time_zone: String,
    pub users: Vec<User>,
    pub projects: Vec<Project>,
    pub statuses: Vec<Status>,
    pub issue_types: Vec<IssueType>,
    pub resolutions: Vec<Resolution>,
    pub issues: Vec<Issue>,
    pub issue_by_key: HashMap<String, usize>,
    pub issue_by_id: HashMap<u64, usize>,
    pub next_issue_id: u64,
    pub next_comment_id: u64,
    pub next_link_id: u64,
    pub next_history_id: u64,
    pub transitions_done: Vec<TransitionRecord>,
    pub flags: BTreeMap<String, StoredFlag>,
    /// Installed Atlassian Connect apps.
    pub connect_apps: Vec<ConnectApp>,
    /// Each app key's clientKey, kept after an uninstall so a reinstall reuses it.
    pub connect_client_keys: BTreeMap<String, String>,
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
    /// OAuth 1.0a consumers (Data Center application links).
    pub oauth1_consumers: Vec<crate::oauth1::Consumer>,
    /// Bumped on every write; search caches are keyed on it.
    pub generation: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BoardKind {
    Scrum,
    Kanban,
}

impl BoardKind {
    pub fn key(self) -> &'static str {
        match self {
            BoardKind::Scrum => "scrum",
            BoardKind::Kanban => "kanban",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Board {
    pub id: u64,
    pub name: String,
    pub kind: BoardKind,
    pub project: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SprintState {
    Closed,
    Active,
    Future,
}

impl SprintState {
    pub fn key(self) -> &'static str {
        match self {
            SprintState::Closed => "closed",
            SprintState::Active => "active",
            SprintState::Future => "future",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Sprint {
    pub id: u64,
    /// Index into `State::boards` of the board it was created on.
    pub board: usize,
    /// 1-based position on its board (seeded sprints are two weeks each from the seed epoch).
    pub number: u64,
    pub name: String,
    pub state: SprintState,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub complete: Option<i64>,
    pub goal: String,
}

#[derive(Debug, Clone)]
pub(crate) struct SecurityLevel {
    pub id: u64,
    pub name: String,
    pub description: String,
    pub members: Vec<UserIdx>,
}

#[derive(Debug, Clone)]
pub(crate) struct User {
    pub spec: UserSpec,
    pub account_id: String,
    /// Data Center user key (`JIRAUSER10000` style, as Jira 8+ assigns).
    pub key: String,
}

#[derive(Debug)]
pub(crate) struct Project {
    pub id: u64,
    pub key: String,
    pub name: String,
    pub project_type: ProjectType,
    pub lead: UserIdx,
    pub workflow: Workflow,
    /// Registry index of each workflow status, in workflow order.
    pub status_ids: Vec<usize>,
    pub issue_types: Vec<usize>,
    pub next_number: u64,
}

#[derive(Debug)]
pub(crate) struct Status {
    pub id: u64,
    pub name: String,
    pub category: StatusCategory,
}

#[derive(Debug)]
pub(crate) struct IssueType {
    pub id: u64,
    pub name: &'static str,
    pub description: &'static str,
    pub subtask: bool,
    pub hierarchy_level: i32,
}

#[derive(Debug)]
pub(crate) struct Resolution {
    pub id: u64,
    pub name: &'static str,
    pub description: &'static str,
}

#[derive(Debug, Clone)]
pub(crate) struct Issue {
    pub id: u64,
    pub key: String,
    pub project: usize,
    pub number: u64,
    pub issue_type: usize,
    pub summary: String,
    pub description: Option<Body>,
    pub labels: Vec<String>,
    pub status: usize,
    pub resolution: Option<usize>,
    pub resolution_date: Option<i64>,
    pub reporter: Option<UserIdx>,
    pub assignee: Option<UserIdx>,
    pub creator: UserIdx,
    pub created: i64,
    pub updated: i64,
    /// Wall-clock time from which Cloud search sees the issue (eventual consistency knob).
    pub indexed_at: i64,
    pub comments: Vec<Comment>,
    pub remote_links: Vec<RemoteLink>,
    pub histories: Vec<History>,
    /// Indices into `State::sprints`, oldest first (an unfinished issue carries over).
    pub sprints: Vec<usize>,
    /// Issue properties: key → any JSON value.
    pub properties: BTreeMap<String, Value>,
    /// Index into `State::security_levels`.
    pub security: Option<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct Comment {
    pub id: u64,
    pub author: UserIdx,
    pub body: Body,
    pub created: i64,
    pub updated: i64,
}

/// Stored as sent: an upsert replaces every part, and omitted parts become null.
#[derive(Debug, Clone)]
pub(crate) struct RemoteLink {
    pub id: u64,
    pub global_id: Option<String>,
    pub application: Option<Value>,
    pub relationship: Option<String>,
    pub object: Value,
}

#[derive(Debug, Clone)]
pub(crate) struct History {
    pub id: u64,
    pub author: Option<UserIdx>,
    pub created: i64,
    pub items: Vec<ChangeItem>,
}

#[derive(Debug, Clone)]
pub(crate) struct ChangeItem {
    pub field: String,
    pub from: Option<String>,
    pub from_string: Option<String>,
    pub to: Option<String>,
    pub to_string: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct StoredFlag {
    pub data: Value,
    pub update_sequence_id: i64,
    pub issue_keys: Vec<String>,
    pub properties: BTreeMap<String, String>,
    /// The user (a Connect app's) that submitted it; uninstalling the app deletes it.
    pub owner: Option<UserIdx>,
}

/// An installed Connect app: requests it signs with `shared_secret` act as its app user.
#[derive(Debug, Clone)]
pub(crate) struct ConnectApp {
    pub key: String,
    pub client_key: String,
    pub shared_secret: String,
    pub user: UserIdx,
    /// Set when installed from a descriptor (the handshake); `None` for library installs.
    pub descriptor: Option<Value>,
}

/// What a create carries once the wire format is decoded.
#[derive(Debug, Clone)]
pub(crate) struct NewIssue {
    pub project: usize,
    pub issue_type: usize,
    pub summary: String,
    pub description: Option<Body>,
    pub labels: Vec<String>,
    pub reporter: Option<UserIdx>,
    pub assignee: Option<UserIdx>,
}

/// The fields an edit may change; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub(crate) struct IssueEdit {
    pub summary: Option<String>,
    pub description: Option<Option<Body>>,
    pub labels: Option<Vec<String>>,
    pub reporter: Option<Option<UserIdx>>,
    pub assignee: Option<Option<UserIdx>>,
    pub issue_type: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TransitionError {
    NotAvailable(String),
    /// (field id, message) pairs for Jira's `errors` map.
    Fields(Vec<(String, String)>),
}

fn derived_account_id(name: &str) -> String {
    // Shaped like a real accountId (24 hex digits) and stable across runs.
    let digest = Sha256::digest(format!("jira-sandbox-account:{name}").as_bytes());
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

fn well_known_status_id(name: &str) -> Option<u64> {
    match name {
        "To Do" => Some(10000),
        "In Progress" => Some(3),
        "Done" => Some(10001),
        _ => None,
    }
}

impl State {
    pub fn new(config: &SandboxConfig) -> Result<State, ConfigError> {
        let mut state = State {
            flavour: config.flavour.clone(),
            server_time_zone: config.server_time_zone.clone(),
            users: Vec::new(),
            projects: Vec::new(),
            statuses: Vec::new(),
            issue_types: builtin_issue_types(),
            resolutions: builtin_resolutions(),
            issues: Vec::new(),
            issue_by_key: HashMap::new(),
            issue_by_id: HashMap::new(),
            next_issue_id: 10000,
            next_comment_id: 10000,
            next_link_id: 10000,
            next_history_id: 10000,
            transitions_done: Vec::new(),
            flags: BTreeMap::new(),
            denials: Vec::new(),
            oauth_clients: Vec::new(),
            connect_apps: Vec::new(),
            connect_client_keys: BTreeMap::new(),
            boards: Vec::new(),
            sprints: Vec::new(),
            security_levels: Vec::new(),
            webhooks: Vec::new(),
            next_webhook_id: 1,
            oauth1_consumers: Vec::new(),
            generation: 0,
        };
        if config.users.is_empty() {
            return Err(ConfigError::NoUsers);
        }
        for spec in &config.users {
            state.add_user(spec.clone())?;
        }
        for spec in &config.projects {
            state.add_project(spec)?;
        }
        for c in &config.oauth_clients {
            let user = state
                .user_by_name(&c.user)
                .ok_or_else(|| ConfigError::UnknownUser(c.user.clone()))?;
            state.oauth_clients.push((c.clone(), user));
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

    pub fn add_user(&mut self, spec: UserSpec) -> Result<UserIdx, ConfigError> {
        if self.user_by_name(&spec.name).is_some() {
            return Err(ConfigError::DuplicateUser(spec.name));
        }
        let account_id = spec.account_id.clone().unwrap_or_else(|| derived_account_id(&spec.name));
        let key = format!("JIRAUSER{}", 10000 + self.users.len());
        self.users.push(User { spec, account_id, key });
        Ok(self.users.len() - 1)
    }

    pub fn add_project(&mut self, spec: &ProjectSpec) -> Result<usize, ConfigError> {
        let key_ok = spec.key.len() >= 2
            && spec.key.starts_with(|c: char| c.is_ascii_uppercase())
            && spec.key.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            return Err(ConfigError::BadProjectKey(spec.key.clone()));
        }
        if self.project_by_key(&spec.key).is_some() {
            return Err(ConfigError::DuplicateProject(spec.key.clone()));
        }
        let lead = match &spec.lead {
            None => 0,
            Some(name) => {
                self.user_by_name(name).ok_or_else(|| ConfigError::UnknownUser(name.clone()))?
            }
        };
        let wf = &spec.workflow;
        if wf.statuses.is_empty() {
            return Err(ConfigError::EmptyWorkflow(spec.key.clone()));
        }
        for t in &wf.transitions {
            let names = t.from.iter().chain(std::iter::once(&t.to));
            for name in names {
                if !wf.statuses.iter().any(|s| &s.name == name) {
                    return Err(ConfigError::UnknownStatus {
                        project: spec.key.clone(),
                        status: name.clone(),
                    });
                }
            }
        }
        let mut status_ids = Vec::new();
        for s in &wf.statuses {
            status_ids.push(self.intern_status(&s.name, s.category));
        }
        let issue_types = match spec.project_type {
            ProjectType::Software => vec![0, 1, 2, 3, 4],
            ProjectType::Business => vec![1, 4],
            ProjectType::ServiceDesk => vec![5, 6, 4],
        };
        self.projects.push(Project {
            id: 10000 + self.projects.len() as u64,
            key: spec.key.clone(),
            name: spec.name.clone(),
            project_type: spec.project_type,
            lead,
            workflow: spec.workflow.clone(),
            status_ids,
            issue_types,
            next_number: 1,
        });
        Ok(self.projects.len() - 1)
    }

    /// Statuses are global in Jira: the same name is the same status in every workflow.
    fn intern_status(&mut self, name: &str, category: StatusCategory) -> usize {
        if let Some(i) = self.statuses.iter().position(|s| s.name == name) {
            return i;
        }
        let used: Vec<u64> = self.statuses.iter().map(|s| s.id).collect();
        let id = well_known_status_id(name)
            .unwrap_or_else(|| (10002..).find(|id| !used.contains(id)).unwrap_or(u64::MAX));
        self.statuses.push(Status { id, name: name.to_owned(), category });
        self.statuses.len() - 1
    }

    pub fn user_by_name(&self, name: &str) -> Option<UserIdx> {
        self.users.iter().position(|u| u.spec.name == name)
    }

    /// A user as a caller may name one: accountId, login name, user key or email.
    pub fn find_user(&self, s: &str) -> Option<UserIdx> {
        self.users.iter().position(|u| {
            u.account_id == s
                || u.spec.name == s
                || u.key == s
                || u.spec.email.eq_ignore_ascii_case(s)
        })
    }

    pub fn project_by_key(&self, key: &str) -> Option<usize> {
        self.projects.iter().position(|p| p.key.eq_ignore_ascii_case(key))
    }

    /// A project named by key or numeric id.
    pub fn find_project(&self, s: &str) -> Option<usize> {
        self.project_by_key(s).or_else(|| self.projects.iter().position(|p| p.id.to_string() == s))
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

    pub fn deny(&mut self, d: &PermissionDenial) -> Result<(), ConfigError> {
        let user =
            self.user_by_name(&d.user).ok_or_else(|| ConfigError::UnknownUser(d.user.clone()))?;
        let project = match &d.project {
            None => None,
            Some(k) => {
                Some(self.project_by_key(k).ok_or_else(|| ConfigError::UnknownProject(k.clone()))?)
            }
        };
        if !PERMISSIONS.iter().any(|p| p.key == d.permission) {
            return Err(ConfigError::UnknownPermission(d.permission.clone()));
        }
        self.denials.push((user, project, d.permission.clone()));
        self.bump();
        Ok(())
    }

    /// Whether `user` holds `permission` in `project` (or globally when `None`).
    pub fn allowed(&self, user: UserIdx, project: Option<usize>, permission: &str) -> bool {
        !self
            .denials
            .iter()
            .any(|(u, p, perm)| *u == user && perm == permission && (p.is_none() || *p == project))
    }

    pub fn can_browse(&self, user: UserIdx, project: usize) -> bool {
        self.allowed(user, Some(project), "BROWSE_PROJECTS")
    }

    /// Whether `user` may see issue `idx`: browse its project and belong to its security
    /// level, if it has one.
    pub fn can_see(&self, user: UserIdx, idx: usize) -> bool {
        let issue = &self.issues[idx];
        self.can_browse(user, issue.project)
            && issue.security.is_none_or(|l| self.security_levels[l].members.contains(&user))
    }

    pub fn add_security_level(
        &mut self,
        spec: &crate::config::SecurityLevelSpec,
    ) -> Result<usize, ConfigError> {
        if self.security_levels.iter().any(|l| l.name.eq_ignore_ascii_case(&spec.name)) {
            return Err(ConfigError::DuplicateSecurityLevel(spec.name.clone()));
        }
        let members = spec
            .members
            .iter()
            .map(|m| self.user_by_name(m).ok_or_else(|| ConfigError::UnknownUser(m.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        self.security_levels.push(SecurityLevel {
            id: 10000 + self.security_levels.len() as u64,
            name: spec.name.clone(),
            description: spec.description.clone(),
            members,
        });
        self.bump();
        Ok(self.security_levels.len() - 1)
    }

    pub fn security_level_by_name(&self, name: &str) -> Option<usize> {
        self.security_levels
            .iter()
            .position(|l| l.name.eq_ignore_ascii_case(name) || l.id.to_string() == name)
    }

    pub fn add_oauth1_consumer(
        &mut self,
        spec: &crate::config::OAuth1ConsumerSpec,
    ) -> Result<(), ConfigError> {
        let consumer = crate::oauth1::Consumer::new(self, spec)?;
        self.oauth1_consumers.retain(|c| c.key != spec.consumer_key);
        self.oauth1_consumers.push(consumer);
        Ok(())
    }

    pub fn bump(&mut self) {
        self.generation += 1;
    }

    pub fn create_issue(&mut self, new: NewIssue, by: UserIdx, now: i64) -> usize {
        let project = &mut self.projects[new.project];
        let number = project.next_number;
        project.next_number += 1;
        let key = format!("{}-{}", project.key, number);
        let status = project.status_ids[0];
        let id = self.next_issue_id;
        self.next_issue_id += 1;
        let idx = self.issues.len();
        self.issues.push(Issue {
            id,
            key: key.clone(),
            project: new.project,
            number,
            issue_type: new.issue_type,
            summary: new.summary,
            description: new.description,
            labels: new.labels,
            status,
            resolution: None,
            resolution_date: None,
            reporter: new.reporter,
            assignee: new.assignee,
            creator: by,
            created: now,
            updated: now,
            indexed_at: 0,
            comments: Vec::new(),
            remote_links: Vec::new(),
            histories: Vec::new(),
            sprints: Vec::new(),
            properties: BTreeMap::new(),
            security: None,
        });
        self.issue_by_key.insert(key, idx);
        self.issue_by_id.insert(id, idx);
        self.bump();
        idx
    }

    fn user_ref(&self, u: Option<UserIdx>) -> (Option<String>, Option<String>) {
        match u {
            None => (None, None),
            Some(u) => {
                let user = &self.users[u];
                let id = if self.flavour.is_cloud() {
                    user.account_id.clone()
                } else {
                    user.spec.name.clone()
                };
                (Some(id), Some(user.spec.display_name.clone()))
            }
        }
    }

    pub fn push_history(
        &mut self,
        issue: usize,
        author: Option<UserIdx>,
        at: i64,
        items: Vec<ChangeItem>,
    ) {
        if items.is_empty() {
            return;
        }
        let id = self.next_history_id;
        self.next_history_id += 1;
        let issue = &mut self.issues[issue];
        issue.histories.push(History { id, author, created: at, items });
        issue.updated = issue.updated.max(at);
    }

    pub fn edit_issue(&mut self, idx: usize, edit: IssueEdit, by: UserIdx, now: i64) {
        let mut items = Vec::new();
        let text_item = |field: &str, old: Option<String>, new: Option<String>| ChangeItem {
            field: field.to_owned(),
            from: None,
            from_string: old,
            to: None,
            to_string: new,
        };
        if let Some(summary) = edit.summary {
            let old = std::mem::replace(&mut self.issues[idx].summary, summary.clone());
            if old != summary {
                items.push(text_item("summary", Some(old), Some(summary)));
            }
        }
        if let Some(desc) = edit.description {
            let old = self.issues[idx].description.as_ref().map(Body::plain_text);
            let new = desc.as_ref().map(Body::plain_text);
            self.issues[idx].description = desc;
            if old != new {
                items.push(text_item("description", old, new));
            }
        }
        if let Some(labels) = edit.labels {
            let old = self.issues[idx].labels.join(" ");
            let new = labels.join(" ");
            self.issues[idx].labels = labels;
            if old != new {
                let none_if_empty = |s: String| if s.is_empty() { None } else { Some(s) };
                items.push(text_item("labels", none_if_empty(old), none_if_empty(new)));
            }
        }
        for (field, change) in [("assignee", edit.assignee), ("reporter", edit.reporter)] {
            let Some(new) = change else { continue };
            let slot = match field {
                "assignee" => &mut self.issues[idx].assignee,
                _ => &mut self.issues[idx].reporter,
            };
            let old = std::mem::replace(slot, new);
            if old != new {
                let (from, from_string) = self.user_ref(old);
                let (to, to_string) = self.user_ref(new);
                items.push(ChangeItem {
                    field: field.to_owned(),
                    from,
                    from_string,
                    to,
                    to_string,
                });
            }
        }
        if let Some(t) = edit.issue_type {
            let old = std::mem::replace(&mut self.issues[idx].issue_type, t);
            if old != t {
                items.push(ChangeItem {
                    field: "issuetype".into(),
                    from: Some(self.issue_types[old].id.to_string()),
                    from_string: Some(self.issue_types[old].name.to_owned()),
                    to: Some(self.issue_types[t].id.to_string()),
                    to_string: Some(self.issue_types[t].name.to_owned()),
                });
            }
        }
        self.issues[idx].updated = now;
        self.push_history(idx, Some(by), now, items);
        self.bump();
    }

    /// Removes an issue; later issues move down one index, so the key and id maps are rebuilt.
    pub fn delete_issue(&mut self, idx: usize) {
        self.issues.remove(idx);
        self.issue_by_key =
            self.issues.iter().enumerate().map(|(i, issue)| (issue.key.clone(), i)).collect();
        self.issue_by_id = self.issues.iter().enumerate().map(|(i, issue)| (issue.id, i)).collect();
        self.bump();
    }

    pub fn add_comment(&mut self, idx: usize, author: UserIdx, body: Body, now: i64) -> u64 {
        let id = self.next_comment_id;
        self.next_comment_id += 1;
        let issue = &mut self.issues[idx];
        issue.comments.push(Comment { id, author, body, created: now, updated: now });
        issue.updated = now;
        self.bump();
        id
    }

    /// Upsert by globalId: returns the link id and whether it was created.
    pub fn upsert_remote_link(&mut self, idx: usize, mut link: RemoteLink) -> (u64, bool) {
        let issue = &mut self.issues[idx];
        let existing = link
            .global_id
            .as_ref()
            .and_then(|g| issue.remote_links.iter().position(|l| l.global_id.as_ref() == Some(g)));
        let result = match existing {
            Some(pos) => {
                link.id = issue.remote_links[pos].id;
                issue.remote_links[pos] = link;
                (issue.remote_links[pos].id, false)
            }
            None => {
                link.id = self.next_link_id;
                self.next_link_id += 1;
                let id = link.id;
                issue.remote_links.push(link);
                (id, true)
            }
        };
        self.bump();
        result
    }

    /// Transitions offered from the issue's current status, in workflow order.
    pub fn available_transitions(&self, idx: usize) -> Vec<usize> {
        let issue = &self.issues[idx];
        let project = &self.projects[issue.project];
        let current = &self.statuses[issue.status].name;
        project
            .workflow
            .transitions
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                if t.from.is_empty() {
                    // A global transition is not offered into the status the issue is in.
                    &t.to != current
                } else {
                    t.from.iter().any(|f| f == current)
                }
            })
            .map(|(i, _)| i)
            .collect()
    }

    pub fn status_in_project(&self, project: usize, name: &str) -> usize {
        let p = &self.projects[project];
        let pos = p.workflow.statuses.iter().position(|s| s.name == name).unwrap_or(0);
        p.status_ids[pos]
    }

    pub fn transition(
        &mut self,
        idx: usize,
        transition_id: &str,
        resolution: Option<usize>,
        by: UserIdx,
        now: i64,
    ) -> Result<(), TransitionError> {
        let Some(t_idx) = self.available_transitions(idx).into_iter().find(|&t| {
            self.projects[self.issues[idx].project].workflow.transitions[t].id == transition_id
        }) else {
            return Err(TransitionError::NotAvailable(transition_id.to_owned()));
        };
        let project = self.issues[idx].project;
        let spec = self.projects[project].workflow.transitions[t_idx].clone();
        let wants_resolution = spec.required_fields.iter().any(|f| f == "resolution");
        match (wants_resolution, resolution) {
            (true, None) => {
                return Err(TransitionError::Fields(vec![(
                    "resolution".to_owned(),
                    "Resolution is required.".to_owned(),
                )]));
            }
            (false, Some(_)) => {
                return Err(TransitionError::Fields(vec![(
                    "resolution".to_owned(),
                    "Field 'resolution' cannot be set. It is not on the appropriate screen, or unknown."
                        .to_owned(),
                )]));
            }
            _ => {}
        }
        let to = self.status_in_project(project, &spec.to);
        self.apply_status(idx, to, resolution, Some(by), now);
        let issue = &self.issues[idx];
        self.transitions_done.push(TransitionRecord {
            issue_key: issue.key.clone(),
            transition_id: spec.id.clone(),
            transition_name: spec.name.clone(),
            to_status: spec.to.clone(),
            resolution: resolution.map(|r| self.resolutions[r].name.to_owned()),
            by: self.users[by].spec.name.clone(),
            at_ms: now,
        });
        Ok(())
    }

    /// Moves an issue and records the changelog; leaving a done status clears the resolution,
    /// as the post functions of Jira's default workflows do.
    pub fn apply_status(
        &mut self,
        idx: usize,
        to: usize,
        resolution: Option<usize>,
        by: Option<UserIdx>,
        now: i64,
    ) {
        let from = self.issues[idx].status;
        let mut items = Vec::new();
        if from != to {
            items.push(ChangeItem {
                field: "status".into(),
                from: Some(self.statuses[from].id.to_string()),
                from_string: Some(self.statuses[from].name.clone()),
                to: Some(self.statuses[to].id.to_string()),
                to_string: Some(self.statuses[to].name.clone()),
            });
        }
        let new_resolution = if self.statuses[to].category == StatusCategory::Done {
            resolution.or(self.issues[idx].resolution)
        } else {
            None
        };
        let old_resolution = self.issues[idx].resolution;
        if old_resolution != new_resolution {
            let r = |r: Option<usize>| r.map(|r| &self.resolutions[r]);
            items.push(ChangeItem {
                field: "resolution".into(),
                from: r(old_resolution).map(|r| r.id.to_string()),
                from_string: r(old_resolution).map(|r| r.name.to_owned()),
                to: r(new_resolution).map(|r| r.id.to_string()),
                to_string: r(new_resolution).map(|r| r.name.to_owned()),
            });
        }
        let issue = &mut self.issues[idx];
        issue.status = to;
        issue.resolution = new_resolution;
        issue.resolution_date = new_resolution.map(|_| issue.resolution_date.unwrap_or(now));
        issue.updated = now;
        self.push_history(idx, by, now, items);
        self.bump();
    }

    /// The registry index of status `name` in `project`, adding it to the project's workflow
    /// (with a global transition into it) when an imported issue brings a new one.
    pub fn ensure_status(&mut self, project: usize, name: &str, category: StatusCategory) -> usize {
        let wf = &self.projects[project].workflow;
        if let Some(pos) = wf.statuses.iter().position(|s| s.name == name) {
            return self.projects[project].status_ids[pos];
        }
        let idx = self.intern_status(name, category);
        let p = &mut self.projects[project];
        let next_id = p
            .workflow
            .transitions
            .iter()
            .filter_map(|t| t.id.parse::<u64>().ok())
            .max()
            .unwrap_or(1)
            + 10;
        p.workflow.statuses.push(crate::config::StatusSpec { name: name.to_owned(), category });
        p.workflow.transitions.push(crate::config::TransitionSpec {
            id: next_id.to_string(),
            name: name.to_owned(),
            from: Vec::new(),
            to: name.to_owned(),
            required_fields: Vec::new(),
        });
        p.status_ids.push(idx);
        idx
    }

    pub fn resolution_by_name_or_id(&self, s: &str) -> Option<usize> {
        self.resolutions
            .iter()
            .position(|r| r.name.eq_ignore_ascii_case(s) || r.id.to_string() == s)
    }
}

fn builtin_issue_types() -> Vec<IssueType> {
    let t = |id, name, description, subtask, hierarchy_level| IssueType {
        id,
        name,
        description,
        subtask,
        hierarchy_level,
    };
    vec![
        t(10000, "Epic", "A big user story that needs to be broken down.", false, 1),
        t(10001, "Task", "A small, distinct piece of work.", false, 0),
        t(10002, "Story", "Functionality or a feature expressed as a user goal.", false, 0),
        t(10003, "Bug", "A problem or error.", false, 0),
        t(10004, "Sub-task", "A small piece of work that's part of a larger task.", true, -1),
        t(10005, "Service Request", "Requests for help or information.", false, 0),
        t(10006, "Incident", "A system outage or incident.", false, 0),
    ]
}

fn builtin_resolutions() -> Vec<Resolution> {
    let r = |id, name, description| Resolution { id, name, description };
    vec![
        r(10000, "Done", "Work has been completed on this issue."),
        r(10001, "Won't Do", "This issue won't be actioned."),
        r(10002, "Duplicate", "The problem is a duplicate of an existing issue."),
        r(10003, "Cannot Reproduce", "All attempts at reproducing this issue failed."),
    ]
}

/// One of Jira's built-in permissions.
#[derive(Debug)]
pub(crate) struct Permission {
    pub id: u32,
    pub key: &'static str,
    pub name: &'static str,
    pub global: bool,
}

const fn perm(id: u32, key: &'static str, name: &'static str, global: bool) -> Permission {
    Permission { id, key, name, global }
}

pub(crate) const PERMISSIONS: &[Permission] = &[
    perm(0, "ADMINISTER", "Administer Jira", true),
    perm(44, "SYSTEM_ADMIN", "Jira System Administrator", true),
    perm(1, "USE", "Browse users and groups", true),
    perm(10, "BROWSE_PROJECTS", "Browse Projects", false),
    perm(11, "CREATE_ISSUES", "Create Issues", false),
    perm(12, "EDIT_ISSUES", "Edit Issues", false),
    perm(13, "ASSIGN_ISSUES", "Assign Issues", false),
    perm(14, "RESOLVE_ISSUES", "Resolve Issues", false),
    perm(15, "ADD_COMMENTS", "Add Comments", false),
    perm(16, "DELETE_ISSUES", "Delete Issues", false),
    perm(17, "ASSIGNABLE_USER", "Assignable User", false),
    perm(18, "CLOSE_ISSUES", "Close Issues", false),
    perm(21, "LINK_ISSUES", "Link Issues", false),
    perm(23, "ADMINISTER_PROJECTS", "Administer Projects", false),
    perm(28, "SCHEDULE_ISSUES", "Schedule Issues", false),
    perm(29, "VIEW_DEV_TOOLS", "View Development Tools", false),
    perm(34, "EDIT_ALL_COMMENTS", "Edit All Comments", false),
    perm(46, "TRANSITION_ISSUES", "Transition Issues", false),
    perm(32, "MANAGE_WATCHERS", "Manage Watchers", false),
    perm(20, "WORK_ON_ISSUES", "Work On Issues", false),
];
