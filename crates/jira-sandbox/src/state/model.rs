//! The types of the sandbox's world: what an issue, a project, a sprint or a stored flag is.

use std::collections::BTreeMap;

use serde_json::Value;

use super::UserIdx;
use crate::config::{ProjectType, StatusCategory, UserSpec, Workflow};
use crate::text::Body;

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
    pub raw: Option<Value>,
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

/// Registry entries (statuses, issue types, resolutions, priorities, users) loaded from an
/// export keep the JSON they came as in `raw`, which is what the API then answers for them.
#[derive(Debug)]
pub(crate) struct Status {
    pub id: u64,
    pub name: String,
    pub category: StatusCategory,
    pub raw: Option<Value>,
}

#[derive(Debug)]
pub(crate) struct IssueType {
    pub id: u64,
    pub name: String,
    pub description: String,
    pub subtask: bool,
    pub hierarchy_level: i32,
    pub raw: Option<Value>,
}

#[derive(Debug)]
pub(crate) struct Resolution {
    pub id: u64,
    pub name: String,
    pub description: String,
    pub raw: Option<Value>,
}

/// A version (fix version) of a project.
#[derive(Debug, Clone)]
pub(crate) struct Version {
    pub id: u64,
    pub name: String,
    pub project: usize,
    pub released: bool,
    pub raw: Option<Value>,
}

/// One of the site's priorities (Jira's five defaults unless loaded otherwise).
#[derive(Debug)]
pub(crate) struct Priority {
    pub id: u64,
    pub name: String,
    pub description: String,
    /// `statusColor`, e.g. `#d04437`.
    pub color: String,
    /// File name under `/images/icons/priorities/`.
    pub icon: String,
    pub raw: Option<Value>,
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
    /// Index into `State::priorities`.
    pub priority: Option<usize>,
    pub worklogs: Vec<Worklog>,
    /// Users watching the issue, in the order they started.
    pub watchers: Vec<UserIdx>,
    /// Keys the issue had before it was moved to another project; they still find it.
    pub previous_keys: Vec<String>,
    /// Indices into `State::versions`.
    pub fix_versions: Vec<usize>,
    /// The parent's key (a sub-task's, or on Cloud a story's epic).
    pub parent: Option<String>,
    /// The epic's key in Data Center's "Epic Link" field.
    pub epic_link: Option<String>,
    /// An imported issue's `fields` as the export gave them: what the API answers for every
    /// field not in `touched` (description, comments and worklogs always come from the model).
    pub raw_fields: Option<serde_json::Map<String, Value>>,
    /// Fields changed through the API since the import.
    pub touched: std::collections::BTreeSet<&'static str>,
    /// Time tracking, in seconds: the original and the remaining estimate.
    pub original_estimate: Option<u64>,
    pub remaining_estimate: Option<u64>,
}

/// Time logged on an issue.
#[derive(Debug, Clone)]
pub(crate) struct Worklog {
    pub id: u64,
    pub author: UserIdx,
    pub update_author: UserIdx,
    pub comment: Option<Body>,
    /// When the work started (the caller says), and when the entry was written.
    pub started: i64,
    pub time_spent: u64,
    pub created: i64,
    pub updated: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct Comment {
    pub id: u64,
    pub author: UserIdx,
    pub update_author: UserIdx,
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
    /// `fieldtype` (`jira` or `custom`); `None` is `jira`.
    pub field_type: Option<String>,
    /// `fieldId` as an export gave it; `None` derives it from the field (Cloud).
    pub field_id: Option<String>,
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

/// A build or deployment as the Builds or Deployments API stored it.
#[derive(Debug, Clone)]
pub(crate) struct ProviderDoc {
    pub data: Value,
    pub update_sequence: i64,
    /// The known issue keys it is linked to.
    pub issue_keys: Vec<String>,
    pub properties: BTreeMap<String, String>,
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
    /// `None`: the default priority.
    pub priority: Option<usize>,
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
    pub priority: Option<usize>,
}

/// A worklog as a write carries it once the wire format is decoded.
#[derive(Debug, Clone)]
pub(crate) struct WorklogInput {
    pub time_spent: u64,
    pub started: i64,
    pub comment: Option<Body>,
}

/// What a worklog edit changes; `None` leaves a part alone.
#[derive(Debug, Clone, Default)]
pub(crate) struct WorklogChange {
    pub time_spent: Option<u64>,
    pub started: Option<i64>,
    pub comment: Option<Option<Body>>,
}

/// How a worklog write moves the remaining estimate (`adjustEstimate` and its companions),
/// in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Estimate {
    /// By the time logged (down when adding, back up when deleting).
    Auto,
    Leave,
    /// To this value.
    New(u64),
    /// Down (adding) or up (deleting) by this amount.
    Manual(u64),
}

/// What a transition request sets on the issue through the transition's screen.
#[derive(Debug, Clone, Default)]
pub(crate) struct TransitionInput {
    /// Every field id the request set (`fields`, `update`), screen or not, for the check.
    pub fields: Vec<String>,
    pub resolution: Option<usize>,
    /// The other screen fields, applied with the move.
    pub edit: IssueEdit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TransitionError {
    NotAvailable(String),
    /// (field id, message) pairs for Jira's `errors` map.
    Fields(Vec<(String, String)>),
}
