//! Jira's JSON, as far as tether reads and writes it. Every optional or privacy-hidden field is
//! an `Option` or defaulted, and unknown fields are ignored, so a Jira that sends more (or, on
//! Cloud, less) than the spec's examples still decodes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::text::Body;

/// `GET /rest/api/2/serverInfo`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServerInfo {
    pub base_url: Option<String>,
    pub version: Option<String>,
    pub version_numbers: Option<Vec<u32>>,
    /// `Cloud` or `Server` (Data Center says `Server` too).
    pub deployment_type: Option<String>,
    pub build_number: Option<i64>,
    pub server_title: Option<String>,
    pub server_time_zone: Option<String>,
}

/// A user: `accountId` on Cloud, `name`/`key` on Data Center. Email and time zone may be
/// hidden by Cloud's privacy settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct User {
    pub account_id: Option<String>,
    pub name: Option<String>,
    pub key: Option<String>,
    pub display_name: Option<String>,
    pub email_address: Option<String>,
    pub time_zone: Option<String>,
    pub active: Option<bool>,
}

impl User {
    /// The id this deployment uses to name a user in requests: accountId, else name.
    pub fn id(&self) -> Option<&str> {
        self.account_id.as_deref().or(self.name.as_deref())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    pub id: String,
    pub key: String,
    #[serde(rename = "self", default)]
    pub self_url: Option<String>,
    #[serde(default)]
    pub fields: IssueFields,
    #[serde(default)]
    pub changelog: Option<Changelog>,
    /// Present with `expand=transitions`.
    #[serde(default)]
    pub transitions: Option<Vec<Transition>>,
}

/// The fields tether reads; anything else (custom fields) lands in `other`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct IssueFields {
    pub summary: Option<String>,
    pub description: Option<Body>,
    pub status: Option<Status>,
    pub resolution: Option<NamedRef>,
    pub labels: Vec<String>,
    pub reporter: Option<User>,
    pub assignee: Option<User>,
    pub created: Option<String>,
    pub updated: Option<String>,
    pub resolutiondate: Option<String>,
    pub issuetype: Option<IssueTypeRef>,
    pub project: Option<ProjectRef>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl IssueFields {
    /// `created` as epoch milliseconds.
    pub fn created_ms(&self) -> Option<i64> {
        self.created.as_deref().and_then(parse_timestamp)
    }

    /// `updated` as epoch milliseconds.
    pub fn updated_ms(&self) -> Option<i64> {
        self.updated.as_deref().and_then(parse_timestamp)
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Status {
    pub id: Option<String>,
    pub name: String,
    pub status_category: Option<StatusCategory>,
}

/// `key` is `new`, `indeterminate` or `done` (and `undefined` in theory).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StatusCategory {
    pub id: Option<i64>,
    pub key: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NamedRef {
    pub id: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct IssueTypeRef {
    pub id: Option<String>,
    pub name: String,
    pub subtask: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProjectRef {
    pub id: Option<String>,
    pub key: String,
    pub name: Option<String>,
    pub project_type_key: Option<String>,
}

/// An issue's changelog as embedded by `expand=changelog`: possibly truncated, which
/// `total > histories.len()` tells.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Changelog {
    pub start_at: Option<u64>,
    pub max_results: Option<u64>,
    pub total: Option<u64>,
    pub histories: Vec<History>,
}

impl Changelog {
    /// Whether Jira left histories out (then page `/issue/{key}/changelog`).
    pub fn is_truncated(&self) -> bool {
        self.total.is_some_and(|t| t > self.histories.len() as u64)
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct History {
    pub id: String,
    pub author: Option<User>,
    pub created: Option<String>,
    pub items: Vec<ChangeItem>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ChangeItem {
    pub field: String,
    pub field_id: Option<String>,
    pub fieldtype: Option<String>,
    pub from: Option<String>,
    pub from_string: Option<String>,
    pub to: Option<String>,
    pub to_string: Option<String>,
}

/// `GET|POST /rest/api/3/search/jql`: no `total`, a token for the next page.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JqlSearchPage {
    pub issues: Vec<Issue>,
    pub next_page_token: Option<String>,
    pub is_last: Option<bool>,
}

/// `GET|POST /rest/api/2/search` (Data Center): offsets and a total.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OffsetSearchPage {
    pub start_at: u64,
    pub max_results: u64,
    pub total: u64,
    pub issues: Vec<Issue>,
}

/// `GET /rest/api/3/issue/{key}/changelog` (Cloud).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ChangelogPage {
    pub start_at: u64,
    pub max_results: u64,
    pub total: Option<u64>,
    pub is_last: Option<bool>,
    pub values: Vec<History>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    pub id: String,
    #[serde(default)]
    pub author: Option<User>,
    #[serde(default)]
    pub body: Option<Body>,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub updated: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CommentPage {
    pub start_at: u64,
    pub max_results: u64,
    pub total: u64,
    pub comments: Vec<Comment>,
}

/// A remote issue link. Jira replaces a link with the same `globalId` whole, so this is
/// always sent complete: a field left out would be erased.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteLink {
    /// Set by Jira on links it returns; not sent.
    #[serde(default, skip_serializing)]
    pub id: Option<u64>,
    /// Up to 255 characters; the upsert key.
    #[serde(default)]
    pub global_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<Application>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship: Option<String>,
    pub object: RemoteObject,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Application {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RemoteObject {
    pub url: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<Icon>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<RemoteStatus>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Icon {
    #[serde(rename = "url16x16", skip_serializing_if = "Option::is_none")]
    pub url16x16: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// `resolved: true` draws the link struck through.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RemoteStatus {
    pub resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<Icon>,
}

/// What `POST .../remotelink` answers: 201 for a new link, 200 for a replaced one.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RemoteLinkCreated {
    pub id: u64,
    #[serde(rename = "self")]
    pub self_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Transition {
    pub id: String,
    pub name: String,
    pub to: Option<Status>,
    pub has_screen: Option<bool>,
    /// With `expand=transitions.fields`: the screen's fields, by field id.
    pub fields: BTreeMap<String, FieldMeta>,
}

impl Transition {
    /// The status category key of the target status (`new`, `indeterminate`, `done`).
    pub fn target_category(&self) -> Option<&str> {
        self.to.as_ref()?.status_category.as_ref().map(|c| c.key.as_str())
    }

    /// Field ids the transition screen requires (often `resolution`).
    pub fn required_fields(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().filter(|(_, f)| f.required).map(|(k, _)| k.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FieldMeta {
    pub required: bool,
    pub name: Option<String>,
    pub allowed_values: Option<Vec<Value>>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct TransitionList {
    pub transitions: Vec<Transition>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Project {
    pub id: String,
    pub key: String,
    pub name: String,
    /// `software`, `business` or `service_desk`.
    pub project_type_key: Option<String>,
    pub issue_types: Vec<IssueTypeRef>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ProjectSearchPage {
    pub start_at: u64,
    pub total: Option<u64>,
    pub is_last: Option<bool>,
    pub values: Vec<Project>,
}

/// One entry of `GET /mypermissions`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PermissionGrant {
    pub key: String,
    pub name: Option<String>,
    pub have_permission: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct MyPermissions {
    pub permissions: BTreeMap<String, PermissionGrant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CreatedIssue {
    pub id: String,
    pub key: String,
    #[serde(rename = "self")]
    pub self_url: Option<String>,
}

/// `POST /rest/api/3/issue/bulkfetch`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BulkFetch {
    pub issues: Vec<Issue>,
    pub issue_errors: Vec<Value>,
}

/// Jira's error body: `{"errorMessages": [...], "errors": {"field": "message"}}`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ErrorBody {
    pub error_messages: Vec<String>,
    pub errors: BTreeMap<String, Value>,
    /// Some gateways answer `{"message": ...}` instead.
    pub message: Option<String>,
}

impl ErrorBody {
    pub fn messages(self) -> Vec<String> {
        let mut out = self.error_messages;
        out.extend(self.errors.into_iter().map(|(k, v)| match v {
            Value::String(s) => format!("{k}: {s}"),
            other => format!("{k}: {other}"),
        }));
        out.extend(self.message);
        out
    }

    /// The messages of any error body Jira sends: the usual object, or the Feature Flags
    /// API's list `[{"message": ...}]`.
    pub fn parse(body: &[u8]) -> Vec<String> {
        if let Ok(list) = serde_json::from_slice::<Vec<ErrorBody>>(body) {
            return list.into_iter().flat_map(ErrorBody::messages).collect();
        }
        serde_json::from_slice::<ErrorBody>(body).map(ErrorBody::messages).unwrap_or_default()
    }
}

/// Jira's timestamp `2024-01-31T10:15:00.000+0000` (also `Z` or `+00:00`, with or without
/// milliseconds) as epoch milliseconds.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let (date, rest) = s.split_once('T')?;
    let mut d = date.splitn(3, '-');
    let (y, mo, da): (i64, u32, u32) =
        (d.next()?.parse().ok()?, d.next()?.parse().ok()?, d.next()?.parse().ok()?);
    let zone_at = rest.find(['+', '-', 'Z']).unwrap_or(rest.len());
    let (time, zone) = rest.split_at(zone_at);
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.splitn(3, ':');
    let h: i64 = t.next()?.parse().ok()?;
    let mi: i64 = t.next()?.parse().ok()?;
    let sec: i64 = t.next().unwrap_or("0").parse().ok()?;
    let ms: i64 = match frac.len() {
        0 => 0,
        n => frac.get(..3.min(n))?.parse::<i64>().ok()? * 10_i64.pow(3 - 3.min(n) as u32),
    };
    let offset_min: i64 = match zone {
        "" | "Z" => 0,
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let digits: String = z[1..].chars().filter(char::is_ascii_digit).collect();
            if digits.len() != 4 {
                return None;
            }
            sign * (digits[..2].parse::<i64>().ok()? * 60 + digits[2..].parse::<i64>().ok()?)
        }
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, da);
    Some(((days * 86_400 + h * 3600 + mi * 60 + sec) - offset_min * 60) * 1000 + ms)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse() {
        let cases: &[(&str, Option<i64>)] = &[
            ("2024-01-31T10:15:00.000+0000", Some(1_706_696_100_000)),
            ("2024-01-31T10:15:00.123+0000", Some(1_706_696_100_123)),
            ("2024-01-31T11:15:00.000+0100", Some(1_706_696_100_000)),
            ("2024-01-31T05:15:00.000-05:00", Some(1_706_696_100_000)),
            ("2024-01-31T10:15:00Z", Some(1_706_696_100_000)),
            ("1970-01-01T00:00:00.000+0000", Some(0)),
            ("2024-02-29T00:00:00.5Z", Some(1_709_164_800_500)),
            ("2024-13-01T00:00:00Z", None),
            ("yesterday", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_timestamp(input), *want, "{input}");
        }
    }

    #[test]
    fn tolerant_decoding() {
        // Unknown fields ignored, privacy-hidden email absent, custom fields kept.
        let issue: Issue = serde_json::from_value(serde_json::json!({
            "id": "10001", "key": "DEMO-1", "expand": "renderedFields", "unknown": {"x": 1},
            "fields": {
                "summary": "s", "customfield_10020": [1],
                "assignee": {"accountId": "abc", "displayName": "Ana"},
                "status": {"name": "Done", "statusCategory": {"key": "done"}}
            }
        }))
        .unwrap();
        assert_eq!(issue.fields.assignee.as_ref().unwrap().email_address, None);
        assert_eq!(issue.fields.assignee.as_ref().unwrap().id(), Some("abc"));
        assert!(issue.fields.other.contains_key("customfield_10020"));
        assert!(issue.fields.labels.is_empty());
        let errors: ErrorBody = serde_json::from_value(serde_json::json!({
            "errorMessages": ["bad jql"], "errors": {"summary": "required"}
        }))
        .unwrap();
        assert_eq!(errors.messages(), vec!["bad jql".to_owned(), "summary: required".to_owned()]);
        let flags = br#"[{"message":"too many flags"},{"message":"id: required"}]"#;
        assert_eq!(ErrorBody::parse(flags), ["too many flags", "id: required"]);
        assert_eq!(ErrorBody::parse(br#"{"errorMessages":["x"]}"#), ["x"]);
        assert!(ErrorBody::parse(b"<html>").is_empty());
    }
}
