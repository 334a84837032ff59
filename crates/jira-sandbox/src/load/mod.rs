//! Loading a real Jira export, so someone can try tether against data of their own Jira and the
//! sandbox serves it back as Jira served it.
//!
//! The issues are JSON as `GET /issue/{key}?expand=changelog` or a search page returns them.
//! Beside them may come the site's users, projects, statuses, priorities, resolutions, issue
//! types, fields, boards and sprints (each as the API lists them). Everything keeps its ids,
//! names and the JSON it came as: statuses by id (two sharing a name but not a category stay
//! two), issue types with their sub-task flag, hierarchy level and localized names, every
//! field of an issue (custom fields included), every changelog item as given; timestamps keep
//! their instants. What an issue names and no file describes (a project, a user, a status) is
//! created on the way. All-or-nothing on malformed input: everything is checked first.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::state::State;

mod issues;
mod registry;

/// What a load added; issues whose key already existed are skipped, not overwritten.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    pub issues: usize,
    pub comments: usize,
    pub histories: usize,
    pub worklogs: usize,
    pub projects_added: usize,
    pub users_added: usize,
    pub statuses_added: usize,
    pub boards_added: usize,
    pub sprints_added: usize,
    pub skipped_keys: Vec<String>,
    /// The files read, when loaded from a directory.
    pub files: Vec<String>,
}

/// Input that is not a Jira export.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("expected an array of issues, a search page with \"issues\", or one issue")]
    NotIssues,
    #[error("issue {index}: {reason}")]
    BadIssue { index: usize, reason: String },
    #[error("{file}: {reason}")]
    BadFile { file: String, reason: String },
}

/// The files beside an issues file that `load_export` reads when they are there, and what each
/// holds (as the API answers it: an array, or a page with `values`).
pub const EXPORT_FILES: &[(&str, &str)] = &[
    ("users.json", "GET /rest/api/3/users/search (or /user per user)"),
    ("statuses.json", "GET /rest/api/3/status"),
    ("priorities.json", "GET /rest/api/3/priority"),
    ("resolutions.json", "GET /rest/api/3/resolution"),
    ("issuetypes.json", "GET /rest/api/3/issuetype"),
    ("fields.json", "GET /rest/api/3/field"),
    ("projects.json", "GET /rest/api/3/project?expand=issueTypes (or project/search pages)"),
    ("boards.json", "GET /rest/agile/1.0/board"),
    ("sprints.json", "GET /rest/agile/1.0/board/{id}/sprint, all boards' sprints in one list"),
];

/// An export held in memory: the issues and, by file name, the other parts.
#[derive(Debug, Clone, Default)]
pub struct Export {
    pub issues: Value,
    /// `(file name from EXPORT_FILES, its JSON)`.
    pub parts: Vec<(String, Value)>,
}

impl Export {
    /// `{"issues": ..., "users": [...], "projects": [...], ...}`: the issues plus parts named
    /// like the files without `.json`. `None` when `json` has none of the parts, or is one
    /// issue (whose `fields` is no field list).
    pub fn from_bundle(json: &Value) -> Option<Export> {
        let o = json.as_object().filter(|o| !o.contains_key("key"))?;
        let parts: Vec<(String, Value)> = EXPORT_FILES
            .iter()
            .filter_map(|(file, _)| {
                let name = file.trim_end_matches(".json");
                o.get(name).map(|v| ((*file).to_owned(), v.clone()))
            })
            .collect();
        if parts.is_empty() {
            return None;
        }
        Some(Export { issues: o.get("issues").cloned().unwrap_or(Value::Array(vec![])), parts })
    }
}

pub(crate) fn load_issues(state: &mut State, json: &Value) -> Result<LoadReport, LoadError> {
    match Export::from_bundle(json) {
        Some(export) => load_export(state, &export),
        None => load_export(state, &Export { issues: json.clone(), parts: Vec::new() }),
    }
}

pub(crate) fn load_export(state: &mut State, export: &Export) -> Result<LoadReport, LoadError> {
    let issues = issue_list(&export.issues)?;
    for (index, issue) in issues.iter().enumerate() {
        issues::check(issue).map_err(|reason| LoadError::BadIssue { index, reason })?;
    }
    let mut parts = Vec::new();
    for (file, json) in &export.parts {
        let items = registry::items(json).ok_or_else(|| LoadError::BadFile {
            file: file.clone(),
            reason: "expected an array, or a page with \"values\"".into(),
        })?;
        parts.push((file.as_str(), items));
    }
    let mut report = LoadReport::default();
    // Registries first, in an order where each can name what came before.
    for wanted in EXPORT_FILES.iter().map(|(f, _)| *f) {
        for (file, items) in parts.iter().filter(|(f, _)| *f == wanted) {
            registry::load(state, file, items, &mut report);
        }
    }
    for issue in issues {
        issues::load_one(state, issue, &mut report);
    }
    state.settle_counters();
    state.bump();
    Ok(report)
}

/// Reads an issues file and the files of [`EXPORT_FILES`] beside it.
pub(crate) fn read_export(path: &Path) -> Result<(Export, Vec<String>), LoadError> {
    let read = |p: &Path| -> Result<Value, LoadError> {
        let bad = |reason: String| LoadError::BadFile { file: p.display().to_string(), reason };
        let text = std::fs::read_to_string(p).map_err(|e| bad(format!("cannot read it: {e}")))?;
        serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))
    };
    let issues = read(path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut export = Export { issues, parts: Vec::new() };
    let mut files = vec![path.display().to_string()];
    for (file, _) in EXPORT_FILES {
        let p = dir.join(file);
        if p.is_file() && p != path {
            export.parts.push(((*file).to_owned(), read(&p)?));
            files.push(p.display().to_string());
        }
    }
    Ok((export, files))
}

fn issue_list(json: &Value) -> Result<Vec<&Value>, LoadError> {
    Ok(match json {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) if o.get("issues").is_some_and(Value::is_array) => {
            o["issues"].as_array().into_iter().flatten().collect()
        }
        Value::Object(o) if o.contains_key("key") => vec![json],
        _ => return Err(LoadError::NotIssues),
    })
}
