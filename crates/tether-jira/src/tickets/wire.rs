//! Jira's JSON for ingestion: the site's catalogues (statuses, issue types, priorities,
//! resolutions, fields), projects with their type, category and style, boards and sprints,
//! worklogs, and issues as raw field maps. Tolerant like the rest of the client: everything
//! optional is an `Option` or defaulted, and unknown fields are ignored.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::wire::{Changelog, History, User};

/// `GET /status`: a status with its category.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StatusInfo {
    pub id: String,
    pub name: String,
    pub status_category: Option<CategoryInfo>,
}

/// A status category: `key` is `new`, `indeterminate`, `done` (or `undefined`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CategoryInfo {
    pub id: Option<i64>,
    pub key: String,
    pub name: Option<String>,
}

/// `GET /issuetype`, or an issue's `issuetype`. `hierarchyLevel`: -1 sub-task, 0 standard,
/// 1 epic (and higher levels on Premium Cloud sites); Data Center has no levels, only
/// `subtask`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IssueTypeInfo {
    pub id: String,
    pub name: String,
    pub subtask: bool,
    pub hierarchy_level: Option<i64>,
    /// Cloud: the name before translation, when the site is in another language.
    pub untranslated_name: Option<String>,
}

/// Something Jira lists with an id and a name (priorities, resolutions, security levels).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NamedInfo {
    pub id: String,
    pub name: String,
}

/// `GET /field`: a field and, for custom fields, its schema.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FieldInfo {
    pub id: String,
    pub name: String,
    pub custom: bool,
    pub schema: Option<FieldSchema>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FieldSchema {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The custom field type, e.g. `com.pyxis.greenhopper.jira:gh-sprint`.
    pub custom: Option<String>,
    pub custom_id: Option<i64>,
}

/// A project as ingestion needs it: type, category and whether it is team-managed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TicketProject {
    pub id: String,
    pub key: String,
    pub name: String,
    /// `software`, `business` (Work Management) or `service_desk` (Service Management).
    pub project_type_key: Option<String>,
    pub project_category: Option<NamedInfo>,
    /// Cloud: `classic` (company-managed) or `next-gen` (team-managed).
    pub style: Option<String>,
    /// Cloud: true for team-managed projects.
    pub simplified: Option<bool>,
    pub issue_types: Vec<IssueTypeInfo>,
}

impl TicketProject {
    /// Whether Jira Cloud manages this project's permissions in the project itself
    /// (team-managed, once "next-gen"), where accounts get access by being added as members.
    pub fn team_managed(&self) -> bool {
        self.simplified == Some(true) || self.style.as_deref() == Some("next-gen")
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ProjectPage {
    pub total: Option<u64>,
    pub is_last: Option<bool>,
    pub values: Vec<TicketProject>,
}

/// `GET /rest/agile/1.0/board`: a board, `type` `scrum` or `kanban`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Board {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// `GET /rest/agile/1.0/board/{id}/sprint` values.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Sprint {
    pub id: i64,
    pub name: String,
    /// `future`, `active` or `closed`.
    pub state: Option<String>,
    pub origin_board_id: Option<i64>,
    pub goal: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub complete_date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct AgilePage<T> {
    pub start_at: u64,
    pub max_results: u64,
    pub total: Option<u64>,
    pub is_last: Option<bool>,
    pub values: Vec<T>,
}

/// A worklog: who logged how much time, and when the work started.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Worklog {
    pub id: String,
    pub author: Option<User>,
    /// ADF on v3, wiki markup on v2.
    pub comment: Option<Value>,
    pub started: Option<String>,
    pub time_spent_seconds: Option<i64>,
    pub created: Option<String>,
    pub updated: Option<String>,
}

/// A comment as Jira returns it, body kept as given (ADF or wiki markup).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RawComment {
    pub id: String,
    pub author: Option<User>,
    pub body: Option<Value>,
    pub created: Option<String>,
    pub updated: Option<String>,
}

/// One of an issue's embedded lists (comments, worklogs), with how many there are in all.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct CommentList {
    pub total: Option<u64>,
    pub comments: Vec<RawComment>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct WorklogList {
    pub total: Option<u64>,
    pub worklogs: Vec<Worklog>,
}

/// An issue as search returns it with `fields=*all` and `expand=changelog`: its fields as
/// Jira sent them, read into a [`super::Ticket`] with the site's field catalogue.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RawIssue {
    pub id: String,
    pub key: String,
    pub fields: RawFields,
    pub changelog: Option<Changelog>,
}

/// An issue's `fields` object as the text Jira sent, checked to be JSON but not read into
/// values: [`super::Ticket::read`] reads the fields tether indexes one by one and keeps the
/// rest as given. Reading every field of a page into `Value` trees, only to write most of
/// them back out as text, was most of the ingester's own CPU (see the README's ingestion
/// figures).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawFields(Box<RawValue>);

impl RawFields {
    /// The fields as JSON text, as Jira sent them.
    pub fn get(&self) -> &str {
        self.0.get()
    }
}

impl Default for RawFields {
    /// No fields: `{}`.
    fn default() -> RawFields {
        RawFields(RawValue::from_string("{}".to_owned()).expect("`{}` is JSON"))
    }
}

impl PartialEq for RawFields {
    fn eq(&self, other: &RawFields) -> bool {
        self.get() == other.get()
    }
}

/// `POST /rest/api/3/search/jql` with fields (Cloud): no total, `isLast`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct JqlPage {
    pub issues: Vec<RawIssue>,
    pub next_page_token: Option<String>,
    pub is_last: Option<bool>,
}

/// `GET /rest/api/2/search` (Data Center): offsets and a total.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct OffsetPage {
    pub start_at: u64,
    pub total: u64,
    pub issues: Vec<RawIssue>,
}

/// An issue's id (and key, where Jira gives it) in an id listing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct IssueId {
    pub id: String,
    pub key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct IdJqlPage {
    pub issues: Vec<IssueId>,
    pub next_page_token: Option<String>,
    pub is_last: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct IdOffsetPage {
    pub total: u64,
    pub issues: Vec<IssueId>,
}

/// `POST /rest/api/3/changelog/bulkfetch` (Cloud).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct BulkChangelogPage {
    pub issue_change_logs: Vec<IssueChangelog>,
    pub next_page_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct IssueChangelog {
    pub issue_id: String,
    pub change_histories: Vec<History>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct CommentPage {
    pub start_at: u64,
    pub total: u64,
    pub comments: Vec<RawComment>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct WorklogPage {
    pub start_at: u64,
    pub total: u64,
    pub worklogs: Vec<Worklog>,
}

/// `GET /issue/createmeta/{project}/issuetypes`: Cloud names the list `issueTypes`, Data
/// Center `values`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct CreateMetaTypes {
    pub issue_types: Vec<IssueTypeInfo>,
    pub values: Vec<IssueTypeInfo>,
    pub total: Option<u64>,
    pub is_last: Option<bool>,
}

/// The legacy `GET /issue/createmeta?projectIds=` (Data Center before 8.4).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct LegacyCreateMeta {
    pub projects: Vec<LegacyCreateMetaProject>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct LegacyCreateMetaProject {
    pub id: String,
    pub issuetypes: Vec<IssueTypeInfo>,
}

/// `GET /project/{id}/securitylevel`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct SecurityLevels {
    pub levels: Vec<NamedInfo>,
}

/// An admin webhook (`/rest/webhooks/1.0/webhook`) as Jira lists it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AdminWebhook {
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    /// `…/rest/webhooks/1.0/webhook/{id}`: the id is its last segment.
    #[serde(rename = "self")]
    pub self_url: Option<String>,
}

impl AdminWebhook {
    /// The webhook's id, from its `self` URL.
    pub fn id(&self) -> Option<&str> {
        self.self_url.as_deref()?.trim_end_matches('/').rsplit('/').next()
    }
}
