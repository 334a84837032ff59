//! One exported issue: its key and id, project, type, status, resolution, priority, people,
//! times, labels, fix versions, parent, Epic Link, sprints, estimates, comments, worklogs and
//! changelog, each kept as given, plus every field as it came (`Issue::raw_fields`).

use serde_json::{Map, Value, json};

use super::LoadReport;
use super::registry::{self, id_of, str_at};
use crate::state::{ChangeItem, Comment, History, NewIssue, State, UserIdx, Worklog};
use crate::text::Body;
use crate::time::{now_ms, parse_jira_timestamp};

pub(super) fn check(issue: &Value) -> Result<(), String> {
    let key = issue.get("key").and_then(Value::as_str).ok_or("no \"key\"")?;
    let (project, number) = key.rsplit_once('-').ok_or("key has no '-'")?;
    if project.is_empty() || number.parse::<u64>().is_err() {
        return Err(format!("{key:?} is not an issue key"));
    }
    if !issue.get("fields").is_some_and(Value::is_object) {
        return Err(format!("{key}: no \"fields\" object"));
    }
    Ok(())
}

fn time_at(v: &Value, path: &str) -> Option<i64> {
    str_at(v, path).and_then(parse_jira_timestamp)
}

fn body(v: Option<&Value>) -> Option<Body> {
    match v? {
        Value::String(s) => Some(Body::Wiki(s.clone())),
        v @ Value::Object(_) => Some(Body::Adf(v.clone())),
        _ => None,
    }
}

fn project(state: &mut State, issue: &Value, key_prefix: &str, report: &mut LoadReport) -> usize {
    if let Some(p) = state.project_by_key(key_prefix) {
        return p;
    }
    let mut described = issue["fields"]["project"].clone();
    if !described.is_object() {
        described = json!({});
    }
    described["key"] = json!(key_prefix.to_ascii_uppercase());
    // A key the sandbox refuses (say, lower-case or one letter) lands in the first project.
    registry::project(state, &described, report).unwrap_or(0)
}

pub(super) fn load_one(state: &mut State, issue: &Value, report: &mut LoadReport) {
    let key = str_at(issue, "/key").expect("checked").to_owned();
    if state.issue_by_key.contains_key(&key) {
        report.skipped_keys.push(key);
        return;
    }
    let (prefix, number) = key.rsplit_once('-').expect("checked");
    let number: u64 = number.parse().expect("checked");
    let p = project(state, issue, prefix, report);
    let f = &issue["fields"];
    let issue_type = f
        .get("issuetype")
        .and_then(|t| registry::issue_type(state, t))
        .or_else(|| state.issue_types.iter().position(|t| t.name == "Task"))
        .unwrap_or(state.projects[p].issue_types[0]);
    if !state.projects[p].issue_types.contains(&issue_type) {
        state.projects[p].issue_types.push(issue_type);
    }
    let reporter = registry::user(state, f.get("reporter"), report);
    let assignee = registry::user(state, f.get("assignee"), report);
    let creator = registry::user(state, f.get("creator"), report).or(reporter).unwrap_or(0);
    let created = time_at(f, "/created").unwrap_or_else(now_ms);
    let labels = f["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l.as_str().map(str::to_owned))
        .collect();
    let priority =
        f.get("priority").filter(|v| v.is_object()).and_then(|v| registry::priority(state, v));
    let new = NewIssue {
        project: p,
        issue_type,
        summary: str_at(f, "/summary").unwrap_or("(no summary)").to_owned(),
        description: body(f.get("description")),
        labels,
        reporter,
        assignee,
        priority,
    };
    let idx = state.create_issue(new, creator, created);

    // The issue's own key and, when free, its id.
    let generated = state.issues[idx].key.clone();
    state.issue_by_key.remove(&generated);
    state.issue_by_key.insert(key.clone(), idx);
    let pr = &mut state.projects[p];
    pr.next_number = pr.next_number.max(number + 1);
    if let Some(id) = id_of(issue).filter(|id| !state.issue_by_id.contains_key(id)) {
        let old = state.issues[idx].id;
        state.issue_by_id.remove(&old);
        state.issue_by_id.insert(id, idx);
        state.issues[idx].id = id;
    }
    let status = match f.get("status").filter(|s| s.is_object()) {
        Some(s) => registry::status(state, s, report),
        None => state.projects[p].status_ids[0],
    };
    state.ensure_status_in(p, status);
    let resolution =
        f.get("resolution").filter(|r| r.is_object()).and_then(|r| registry::resolution(state, r));
    let fix_versions: Vec<usize> = f["fixVersions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| registry::version(state, p, v))
        .collect();
    let sprints = sprints(state, f, report);
    let epic_link = state
        .epic_link_field
        .as_ref()
        .and_then(|id| f.get(id))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let comments = comments(state, f, creator, created, report);
    let worklogs = worklogs(state, f, creator, created, report);
    let histories = histories(state, issue, created, report);
    let watchers = f.pointer("/watches/isWatching").and_then(Value::as_bool).unwrap_or(false);

    let i = &mut state.issues[idx];
    i.key = key;
    i.number = number;
    i.status = status;
    i.resolution = resolution;
    i.resolution_date = resolution.map(|_| time_at(f, "/resolutiondate").unwrap_or(created));
    i.updated = time_at(f, "/updated").unwrap_or(created).max(created);
    i.fix_versions = fix_versions;
    i.parent = str_at(f, "/parent/key").map(str::to_owned);
    i.epic_link = epic_link;
    i.sprints = sprints;
    i.original_estimate = f.get("timeoriginalestimate").and_then(Value::as_u64);
    i.remaining_estimate = f.get("timeestimate").and_then(Value::as_u64);
    // Who watches is not in an export; the creator's watch would be an invention.
    i.watchers = if watchers { vec![creator] } else { Vec::new() };
    report.comments += comments.len();
    report.worklogs += worklogs.len();
    report.histories += histories.len();
    i.comments = comments;
    i.worklogs = worklogs;
    i.histories = histories;
    i.raw_fields = f.as_object().cloned().or_else(|| Some(Map::new()));
    report.issues += 1;
}

/// The sprints of the sprint field: Cloud's objects, or Data Center's
/// `com.atlassian.greenhopper.service.sprint.Sprint@…[id=…,rapidViewId=…,state=…,name=…,…]`.
fn sprints(state: &mut State, f: &Value, report: &mut LoadReport) -> Vec<usize> {
    let field = state.sprint_field.clone();
    let mut out = Vec::new();
    for v in f.get(&field).and_then(Value::as_array).into_iter().flatten() {
        let described = match v {
            Value::String(s) => match dc_sprint(s) {
                Some(d) => d,
                None => continue,
            },
            v => v.clone(),
        };
        if let Some(s) = registry::sprint(state, &described, report)
            && !out.contains(&s)
        {
            out.push(s);
        }
    }
    out
}

/// Data Center's sprint string, read into the agile API's shape.
fn dc_sprint(s: &str) -> Option<Value> {
    let inner = s.split_once('[')?.1.strip_suffix(']')?;
    const KEYS: &[&str] = &[
        "id",
        "rapidViewId",
        "state",
        "name",
        "startDate",
        "endDate",
        "completeDate",
        "activatedDate",
        "sequence",
        "goal",
    ];
    let mut v = Map::new();
    for (n, k) in KEYS.iter().enumerate() {
        let Some(start) =
            inner.find(&format!("{k}=")).filter(|&i| i == 0 || inner[..i].ends_with(','))
        else {
            continue;
        };
        let from = start + k.len() + 1;
        // A value runs to the next known key (names may hold commas).
        let end = KEYS[n + 1..]
            .iter()
            .filter_map(|next| inner[from..].find(&format!(",{next}=")).map(|e| from + e))
            .min()
            .unwrap_or(inner.len());
        let value = &inner[from..end];
        if value != "<null>" {
            v.insert((*k).to_owned(), json!(value));
        }
    }
    v.get("id")?;
    Some(Value::Object(v))
}

fn comments(
    state: &mut State,
    f: &Value,
    creator: UserIdx,
    created: i64,
    report: &mut LoadReport,
) -> Vec<Comment> {
    let mut out = Vec::new();
    for c in f.pointer("/comment/comments").and_then(Value::as_array).into_iter().flatten() {
        let Some(b) = body(c.get("body")) else { continue };
        let author = registry::user(state, c.get("author"), report).unwrap_or(creator);
        let update_author = registry::user(state, c.get("updateAuthor"), report).unwrap_or(author);
        let at = time_at(c, "/created").unwrap_or(created);
        let id = id_of(c).unwrap_or_else(|| {
            state.next_comment_id += 1;
            state.next_comment_id - 1
        });
        let updated = time_at(c, "/updated").unwrap_or(at);
        out.push(Comment { id, author, update_author, body: b, created: at, updated });
    }
    out
}

fn worklogs(
    state: &mut State,
    f: &Value,
    creator: UserIdx,
    created: i64,
    report: &mut LoadReport,
) -> Vec<Worklog> {
    let mut out = Vec::new();
    for w in f.pointer("/worklog/worklogs").and_then(Value::as_array).into_iter().flatten() {
        let Some(time_spent) = w.get("timeSpentSeconds").and_then(Value::as_u64) else { continue };
        let author = registry::user(state, w.get("author"), report).unwrap_or(creator);
        let update_author = registry::user(state, w.get("updateAuthor"), report).unwrap_or(author);
        let at = time_at(w, "/created").unwrap_or(created);
        let id = id_of(w).unwrap_or_else(|| {
            state.next_worklog_id += 1;
            state.next_worklog_id - 1
        });
        out.push(Worklog {
            id,
            author,
            update_author,
            comment: body(w.get("comment")),
            started: time_at(w, "/started").unwrap_or(at),
            time_spent,
            created: at,
            updated: time_at(w, "/updated").unwrap_or(at),
        });
    }
    out
}

/// Every history with every item as given (field, fieldtype, fieldId, from and to, as ids and
/// as strings), oldest first.
fn histories(
    state: &mut State,
    issue: &Value,
    created: i64,
    report: &mut LoadReport,
) -> Vec<History> {
    let mut out = Vec::new();
    for h in issue.pointer("/changelog/histories").and_then(Value::as_array).into_iter().flatten() {
        let author = registry::user(state, h.get("author"), report);
        let items = h["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| ChangeItem {
                field: str_at(i, "/field").unwrap_or("unknown").to_owned(),
                field_type: str_at(i, "/fieldtype").map(str::to_owned),
                field_id: str_at(i, "/fieldId").map(str::to_owned),
                from: str_at(i, "/from").map(str::to_owned),
                from_string: str_at(i, "/fromString").map(str::to_owned),
                to: str_at(i, "/to").map(str::to_owned),
                to_string: str_at(i, "/toString").map(str::to_owned),
            })
            .collect();
        let id = id_of(h).unwrap_or_else(|| {
            state.next_history_id += 1;
            state.next_history_id - 1
        });
        out.push(History { id, author, created: time_at(h, "/created").unwrap_or(created), items });
    }
    out.sort_by_key(|h| (h.created, h.id));
    out
}
