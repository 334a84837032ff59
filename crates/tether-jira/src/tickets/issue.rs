//! An issue read for ingestion: the typed parts tether indexes (type, status, people, sprint,
//! story points, …), every field as Jira returned it, custom fields named from the site's field
//! catalogue, and the embedded comments, worklogs and changelog with whether they are whole.

use std::collections::BTreeMap;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::wire::{
    CommentList, FieldInfo, IssueTypeInfo, NamedInfo, RawComment, RawIssue, StatusInfo, Worklog,
    WorklogList,
};
use crate::text::{adf_to_text, wiki_to_text};
use crate::wire::{History, User, parse_timestamp};

/// The custom field type of Jira Software's sprint field.
pub const SPRINT_FIELD_TYPE: &str = "com.pyxis.greenhopper.jira:gh-sprint";
/// The custom field type of Data Center's Epic Link.
pub const EPIC_LINK_FIELD_TYPE: &str = "com.pyxis.greenhopper.jira:gh-epic-link";
/// Cloud's "Story point estimate" (team-managed projects).
pub const STORY_POINTS_FIELD_TYPE: &str =
    "com.atlassian.jira.plugin.system.customfieldtypes:jsw-story-points";

/// What the site's `GET /field` says, indexed for reading issues.
#[derive(Debug, Clone, Default)]
pub struct FieldCatalog {
    names: BTreeMap<String, String>,
    custom: BTreeMap<String, String>,
    sprint: Option<String>,
    epic_link: Option<String>,
    story_points: Vec<String>,
}

impl FieldCatalog {
    pub fn new(fields: &[FieldInfo]) -> FieldCatalog {
        let mut c = FieldCatalog::default();
        for f in fields {
            c.names.insert(f.id.clone(), f.name.clone());
            let kind = f.schema.as_ref().and_then(|s| s.custom.as_deref());
            if f.custom || f.id.starts_with("customfield_") {
                c.custom.insert(f.id.clone(), f.name.clone());
            }
            match kind {
                Some(SPRINT_FIELD_TYPE) if c.sprint.is_none() => c.sprint = Some(f.id.clone()),
                Some(EPIC_LINK_FIELD_TYPE) if c.epic_link.is_none() => {
                    c.epic_link = Some(f.id.clone())
                }
                Some(STORY_POINTS_FIELD_TYPE) => c.story_points.push(f.id.clone()),
                _ => {}
            }
        }
        // Company-managed projects keep story points in a number field named "Story Points"
        // (Data Center and Cloud alike); it comes after Cloud's own estimate field.
        for f in fields {
            let number = f.schema.as_ref().and_then(|s| s.kind.as_deref()) == Some("number");
            let named = f.name.eq_ignore_ascii_case("story points")
                || f.name.eq_ignore_ascii_case("story point estimate");
            if f.custom && number && named && !c.story_points.contains(&f.id) {
                c.story_points.push(f.id.clone());
            }
        }
        c
    }

    /// A field's name, by id.
    pub fn name(&self, id: &str) -> Option<&str> {
        self.names.get(id).map(String::as_str)
    }

    pub fn sprint_field(&self) -> Option<&str> {
        self.sprint.as_deref()
    }
}

/// A sprint an issue names in its sprint field: Cloud's object, or Data Center's
/// `…Sprint@1f2e[id=1,rapidViewId=1,state=CLOSED,name=…,…]` string.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SprintRef {
    pub id: i64,
    pub name: String,
    pub state: Option<String>,
    pub board_id: Option<i64>,
    pub goal: Option<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub complete_ms: Option<i64>,
}

impl SprintRef {
    /// Reads one value of the sprint field; `None` for anything unrecognisable.
    pub fn read(v: &Value) -> Option<SprintRef> {
        match v {
            Value::Object(o) => {
                let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
                let t = |k: &str| o.get(k).and_then(Value::as_str).and_then(parse_timestamp);
                Some(SprintRef {
                    id: o.get("id").and_then(int)?,
                    name: s("name").unwrap_or_default(),
                    state: s("state").map(|x| x.to_ascii_lowercase()),
                    board_id: o.get("boardId").or(o.get("originBoardId")).and_then(int),
                    goal: s("goal").filter(|g| !g.is_empty()),
                    start_ms: t("startDate"),
                    end_ms: t("endDate"),
                    complete_ms: t("completeDate"),
                })
            }
            Value::String(text) => read_sprint_string(text),
            _ => None,
        }
    }
}

/// Data Center's `toString` of a sprint: `name=value` pairs in brackets, where a name may hold
/// commas, so a pair starts only at a known key.
fn read_sprint_string(text: &str) -> Option<SprintRef> {
    const KEYS: [&str; 13] = [
        "id",
        "rapidViewId",
        "state",
        "name",
        "goal",
        "startDate",
        "endDate",
        "completeDate",
        "activatedDate",
        "sequence",
        "autoStartStop",
        "synced",
        "incompleteIssuesDestinationId",
    ];
    let inner = text.split_once('[')?.1.strip_suffix(']')?;
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for part in inner.split(',') {
        match part.split_once('=').filter(|(k, _)| KEYS.contains(k)) {
            Some((k, v)) => pairs.push((k, v.to_owned())),
            None => {
                let (_, v) = pairs.last_mut()?;
                v.push(',');
                v.push_str(part);
            }
        }
    }
    let get = |k: &str| {
        pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str()).filter(|v| *v != "<null>")
    };
    Some(SprintRef {
        id: get("id")?.parse().ok()?,
        name: get("name").unwrap_or_default().to_owned(),
        state: get("state").map(str::to_ascii_lowercase),
        board_id: get("rapidViewId").and_then(|v| v.parse().ok()),
        goal: get("goal").filter(|g| !g.is_empty()).map(str::to_owned),
        start_ms: get("startDate").and_then(parse_timestamp),
        end_ms: get("endDate").and_then(parse_timestamp),
        complete_ms: get("completeDate").and_then(parse_timestamp),
    })
}

/// A field's value read as `T`; `None` when null or of another shape.
fn typed<T: serde::de::DeserializeOwned>(v: &RawValue) -> Option<T> {
    serde_json::from_str(v.get()).ok()
}

/// The `id` and `key` of a field's object (`project`, `parent`); its other members are
/// skipped, not read into values.
#[derive(serde::Deserialize)]
struct IdKey {
    id: Option<Value>,
    key: Option<Value>,
}

fn int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.parse().ok())
}

/// An embedded list and whether it holds everything (`total` said no more).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Embedded<T> {
    pub items: Vec<T>,
    /// False when Jira left some out (page the issue's own endpoint), or did not embed the
    /// list at all.
    pub complete: bool,
}

/// An issue, read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ticket {
    pub id: String,
    pub key: String,
    pub project_id: Option<String>,
    pub project_key: Option<String>,
    pub summary: String,
    /// The description as plain text, and as given (the JSON text of ADF on v3, of a wiki
    /// markup string on v2).
    pub description_text: Option<String>,
    pub description_raw: Option<String>,
    pub issue_type: Option<IssueTypeInfo>,
    pub status: Option<StatusInfo>,
    pub priority: Option<NamedInfo>,
    pub resolution: Option<NamedInfo>,
    pub resolved_ms: Option<i64>,
    pub created_ms: Option<i64>,
    pub updated_ms: Option<i64>,
    pub due_date: Option<String>,
    pub assignee: Option<User>,
    pub reporter: Option<User>,
    pub creator: Option<User>,
    pub labels: Vec<String>,
    pub components: Vec<String>,
    pub fix_versions: Vec<String>,
    pub parent_id: Option<String>,
    pub parent_key: Option<String>,
    /// Data Center's Epic Link (an issue key); Cloud puts epics in `parent`.
    pub epic_key: Option<String>,
    pub sprints: Vec<SprintRef>,
    pub story_points: Option<f64>,
    /// Every field as Jira returned it, except `comment` and `worklog` (kept below): a JSON
    /// object's text, each value as Jira sent it.
    pub fields: String,
    /// Custom fields with a value: id → `{"name": …, "value": …}`.
    pub custom: Map<String, Value>,
    pub comments: Embedded<RawComment>,
    pub worklogs: Embedded<Worklog>,
    pub changelog: Embedded<History>,
}

impl Ticket {
    /// Reads a search result (or `GET issue`) with the site's field catalogue.
    pub fn read(raw: RawIssue, catalog: &FieldCatalog) -> Ticket {
        let RawIssue { id, key, fields: raw_fields, changelog } = raw;
        // Each field's text, not read yet; an object Jira did not send counts as no fields.
        let fields: BTreeMap<String, &RawValue> =
            serde_json::from_str(raw_fields.get()).unwrap_or_default();
        let comments = match fields.get("comment") {
            Some(v) => {
                let list: CommentList = typed(v).unwrap_or_default();
                let complete = list.total.is_some_and(|t| t <= list.comments.len() as u64);
                Embedded { items: list.comments, complete }
            }
            None => Embedded::default(),
        };
        let worklogs = match fields.get("worklog") {
            Some(v) => {
                let list: WorklogList = typed(v).unwrap_or_default();
                let complete = list.total.is_some_and(|t| t <= list.worklogs.len() as u64);
                Embedded { items: list.worklogs, complete }
            }
            None => Embedded::default(),
        };
        let changelog = match changelog {
            Some(c) => Embedded { complete: !c.is_truncated(), items: c.histories },
            None => Embedded::default(),
        };
        let get = |k: &str| fields.get(k).copied().filter(|v| v.get() != "null");
        let text = |k: &str| get(k).and_then(typed::<String>);
        let time = |k: &str| text(k).as_deref().and_then(parse_timestamp);
        let names = |k: &str| -> Vec<String> {
            get(k)
                .and_then(typed::<Vec<Value>>)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| {
                            x.as_str()
                                .map(str::to_owned)
                                .or_else(|| x.get("name")?.as_str().map(str::to_owned))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let id_and_key = |k: &str| -> (Option<String>, Option<String>) {
            let Some(IdKey { id, key }) = get(k).and_then(typed) else { return (None, None) };
            let text = |v: Option<Value>| v?.as_str().map(str::to_owned);
            (text(id), text(key))
        };
        let description = get("description");
        let description_text = description.and_then(typed::<Value>).map(|d| match d {
            Value::String(s) => wiki_to_text(&s),
            adf => adf_to_text(&adf),
        });
        let sprints = catalog
            .sprint
            .as_deref()
            .and_then(&get)
            .and_then(typed::<Vec<Value>>)
            .map(|a| a.iter().filter_map(SprintRef::read).collect())
            .unwrap_or_default();
        let story_points = catalog.story_points.iter().find_map(|f| get(f).and_then(typed::<f64>));
        let epic_key = catalog.epic_link.as_deref().and_then(&text);
        let custom: Map<String, Value> = fields
            .iter()
            .filter(|(k, v)| v.get() != "null" && catalog.custom.contains_key(k.as_str()))
            .filter_map(|(k, v)| {
                let name = catalog.custom.get(k).cloned().unwrap_or_default();
                Some((k.clone(), serde_json::json!({"name": name, "value": typed::<Value>(v)?})))
            })
            .collect();
        let (project_id, project_key) = id_and_key("project");
        let (parent_id, parent_key) = id_and_key("parent");
        // Every field but the two kept in tables of their own, each value as Jira sent it.
        let mut kept = String::with_capacity(raw_fields.get().len());
        kept.push('{');
        for (k, v) in fields.iter().filter(|(k, _)| !matches!(k.as_str(), "comment" | "worklog")) {
            if kept.len() > 1 {
                kept.push(',');
            }
            kept.push_str(&serde_json::to_string(k).expect("a string serialises"));
            kept.push(':');
            kept.push_str(v.get());
        }
        kept.push('}');
        Ticket {
            project_id,
            project_key,
            summary: text("summary").unwrap_or_default(),
            description_text,
            description_raw: description.map(|d| d.get().to_owned()),
            issue_type: get("issuetype").and_then(typed),
            status: get("status").and_then(typed),
            priority: get("priority").and_then(typed),
            resolution: get("resolution").and_then(typed),
            resolved_ms: time("resolutiondate"),
            created_ms: time("created"),
            updated_ms: time("updated"),
            due_date: text("duedate"),
            assignee: get("assignee").and_then(typed),
            reporter: get("reporter").and_then(typed),
            creator: get("creator").and_then(typed),
            labels: names("labels"),
            components: names("components"),
            fix_versions: names("fixVersions"),
            parent_id,
            parent_key,
            epic_key,
            sprints,
            story_points,
            custom,
            comments,
            worklogs,
            changelog,
            id,
            key,
            fields: kept,
        }
    }
}

/// The stable id of a user: Cloud's accountId, else Data Center's user key, else the name.
pub fn user_id(u: &User) -> Option<&str> {
    u.account_id.as_deref().or(u.key.as_deref()).or(u.name.as_deref()).filter(|s| !s.is_empty())
}

/// A body as plain text: ADF on v3, wiki markup on v2.
pub fn body_text(v: &Value) -> String {
    match v {
        Value::String(s) => wiki_to_text(s),
        Value::Null => String::new(),
        adf => adf_to_text(adf),
    }
}

#[cfg(test)]
mod tests;
