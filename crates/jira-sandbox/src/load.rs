//! Loading real issue JSON (as `GET /issue/{key}?expand=changelog` or a search page returns
//! it), so someone can try tether against an export of their own Jira.
//!
//! Projects, users and statuses the issues mention are created on the way; a status new to a
//! project joins its workflow with a global transition into it. Unknown issue types become
//! `Task` and unknown resolutions `Done`: the sandbox's type and resolution lists are fixed.

use serde::Serialize;
use serde_json::Value;

use crate::config::{ProjectSpec, ProjectType, StatusCategory, UserSpec};
use crate::state::{ChangeItem, Comment, History, NewIssue, State, UserIdx};
use crate::text::Body;
use crate::time::{now_ms, parse_jira_timestamp};

/// What a load added; issues whose key already existed are skipped, not overwritten.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    pub issues: usize,
    pub comments: usize,
    pub histories: usize,
    pub projects_added: usize,
    pub users_added: usize,
    pub skipped_keys: Vec<String>,
}

/// JSON that is not a list of Jira issues.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("expected an array of issues, a search page with \"issues\", or one issue")]
    NotIssues,
    #[error("issue {index}: {reason}")]
    BadIssue { index: usize, reason: String },
}

pub(crate) fn load_issues(state: &mut State, json: &Value) -> Result<LoadReport, LoadError> {
    let issues: Vec<&Value> = match json {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) if o.get("issues").is_some_and(Value::is_array) => {
            o["issues"].as_array().into_iter().flatten().collect()
        }
        Value::Object(o) if o.contains_key("key") => vec![json],
        _ => return Err(LoadError::NotIssues),
    };
    // Validate everything first, so a bad file changes nothing.
    for (index, issue) in issues.iter().enumerate() {
        check(issue).map_err(|reason| LoadError::BadIssue { index, reason })?;
    }
    let mut report = LoadReport::default();
    for issue in issues {
        load_one(state, issue, &mut report);
    }
    state.bump();
    Ok(report)
}

fn check(issue: &Value) -> Result<(), String> {
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

fn str_at<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    v.pointer(path).and_then(Value::as_str)
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

/// Finds or creates the user a Jira user object describes (either flavour's shape).
fn user(state: &mut State, v: Option<&Value>, report: &mut LoadReport) -> Option<UserIdx> {
    let v = v.filter(|v| v.is_object())?;
    let account_id = str_at(v, "/accountId");
    let name = str_at(v, "/name");
    let email = str_at(v, "/emailAddress");
    let existing = state.users.iter().position(|u| {
        account_id.is_some_and(|a| u.account_id == a)
            || name.is_some_and(|n| u.spec.name == n)
            || email.is_some_and(|e| u.spec.email.eq_ignore_ascii_case(e))
    });
    if existing.is_some() {
        return existing;
    }
    let display = str_at(v, "/displayName").unwrap_or("Imported User");
    let login = name
        .map(str::to_owned)
        .or_else(|| email.and_then(|e| e.split('@').next()).map(str::to_owned))
        .or_else(|| account_id.map(|a| format!("user-{a}")))
        .unwrap_or_else(|| display.to_lowercase().replace(' ', "."));
    let mut spec = UserSpec::named(&login, display);
    spec.account_id = account_id.map(str::to_owned);
    if let Some(e) = email {
        spec.email = e.to_owned();
    }
    if let Some(tz) = str_at(v, "/timeZone") {
        spec.time_zone = tz.to_owned();
    }
    let idx = state.add_user(spec).ok()?;
    report.users_added += 1;
    Some(idx)
}

fn project(state: &mut State, issue: &Value, key_prefix: &str, report: &mut LoadReport) -> usize {
    if let Some(p) = state.project_by_key(key_prefix) {
        return p;
    }
    let name = str_at(issue, "/fields/project/name").unwrap_or(key_prefix);
    let ptype = match str_at(issue, "/fields/project/projectTypeKey") {
        Some("business") => ProjectType::Business,
        Some("service_desk") => ProjectType::ServiceDesk,
        _ => ProjectType::Software,
    };
    let spec = ProjectSpec::new(&key_prefix.to_ascii_uppercase(), name, ptype);
    match state.add_project(&spec) {
        Ok(p) => {
            report.projects_added += 1;
            p
        }
        // A key the sandbox refuses (say, lower-case or one letter) lands in the first project.
        Err(_) => 0,
    }
}

fn category(key: Option<&str>) -> StatusCategory {
    match key {
        Some("done") => StatusCategory::Done,
        Some("indeterminate") => StatusCategory::Indeterminate,
        _ => StatusCategory::New,
    }
}

fn load_one(state: &mut State, issue: &Value, report: &mut LoadReport) {
    let key = str_at(issue, "/key").expect("checked").to_owned();
    if state.issue_by_key.contains_key(&key) {
        report.skipped_keys.push(key);
        return;
    }
    let (prefix, number) = key.rsplit_once('-').expect("checked");
    let number: u64 = number.parse().expect("checked");
    let p = project(state, issue, prefix, report);
    let f = &issue["fields"];
    let type_name = str_at(f, "/issuetype/name").unwrap_or("Task");
    let types = &state.projects[p].issue_types;
    let issue_type = types
        .iter()
        .copied()
        .find(|&t| state.issue_types[t].name.eq_ignore_ascii_case(type_name))
        .or_else(|| state.issue_types.iter().position(|t| t.name == "Task"))
        .unwrap_or(types[0]);
    let reporter = user(state, f.get("reporter"), report);
    let assignee = user(state, f.get("assignee"), report);
    let creator = user(state, f.get("creator"), report).or(reporter).unwrap_or(0);
    let created = time_at(f, "/created").unwrap_or_else(now_ms);
    let labels = f
        .get("labels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|l| l.as_str().map(str::to_owned))
        .collect();
    let new = NewIssue {
        project: p,
        issue_type,
        summary: str_at(f, "/summary").unwrap_or("(no summary)").to_owned(),
        description: body(f.get("description")),
        labels,
        reporter,
        assignee,
        priority: str_at(f, "/priority/name").and_then(|n| state.priority_by_name_or_id(n)),
    };
    let idx = state.create_issue(new, creator, created);

    // Keep the issue's own key and, when free, its id.
    let generated = state.issues[idx].key.clone();
    state.issue_by_key.remove(&generated);
    state.issue_by_key.insert(key.clone(), idx);
    let project = &mut state.projects[p];
    project.next_number = project.next_number.max(number + 1);
    if let Some(id) = str_at(issue, "/id").and_then(|i| i.parse::<u64>().ok())
        && !state.issue_by_id.contains_key(&id)
    {
        let old = state.issues[idx].id;
        state.issue_by_id.remove(&old);
        state.issue_by_id.insert(id, idx);
        state.issues[idx].id = id;
        state.next_issue_id = state.next_issue_id.max(id + 1);
    }
    let status_name = str_at(f, "/status/name").unwrap_or("To Do").to_owned();
    let cat = category(str_at(f, "/status/statusCategory/key"));
    let status = state.ensure_status(p, &status_name, cat);
    let resolution = f
        .get("resolution")
        .filter(|r| r.is_object())
        .map(|r| str_at(r, "/name").and_then(|n| state.resolution_by_name_or_id(n)).unwrap_or(0));

    let mut comments = Vec::new();
    for c in f.pointer("/comment/comments").and_then(Value::as_array).into_iter().flatten() {
        let Some(b) = body(c.get("body")) else {
            continue;
        };
        let author = user(state, c.get("author"), report).unwrap_or(creator);
        let update_author = user(state, c.get("updateAuthor"), report).unwrap_or(author);
        let at = time_at(c, "/created").unwrap_or(created);
        let id = state.next_comment_id;
        state.next_comment_id += 1;
        comments.push(Comment {
            id,
            author,
            update_author,
            body: b,
            created: at,
            updated: time_at(c, "/updated").unwrap_or(at),
        });
    }
    let mut histories = Vec::new();
    for h in issue.pointer("/changelog/histories").and_then(Value::as_array).into_iter().flatten() {
        let author = user(state, h.get("author"), report);
        let items = h
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|i| ChangeItem {
                field: str_at(i, "/field").unwrap_or("unknown").to_owned(),
                field_type: None,
                field_id: None,
                from: str_at(i, "/from").map(str::to_owned),
                from_string: str_at(i, "/fromString").map(str::to_owned),
                to: str_at(i, "/to").map(str::to_owned),
                to_string: str_at(i, "/toString").map(str::to_owned),
            })
            .collect();
        let id = state.next_history_id;
        state.next_history_id += 1;
        histories.push(History {
            id,
            author,
            created: time_at(h, "/created").unwrap_or(created),
            items,
        });
    }
    histories.sort_by_key(|h| h.created);

    let i = &mut state.issues[idx];
    i.key = key;
    i.status = status;
    i.resolution = resolution;
    i.resolution_date = resolution.map(|_| time_at(f, "/resolutiondate").unwrap_or(created));
    i.updated = time_at(f, "/updated").unwrap_or(created).max(created);
    report.comments += comments.len();
    report.histories += histories.len();
    i.comments = comments;
    i.histories = histories;
    report.issues += 1;
}
