//! Jira's prefilled create-issue page: `GET /secure/CreateIssueDetails!init.jspa?pid=…&
//! issuetype=…&summary=…&description=…&priority=…&labels=…` (Data Center and Cloud) renders a
//! plain HTML form with those values; submitting it (`POST /secure/CreateIssueDetails.jspa`)
//! creates the issue and redirects to `/browse/{key}`. Like `/browse`, the page needs no login;
//! the issue is created by the user a Basic or Bearer header names, else by the first
//! configured user (the browser's "logged-in" user).

use std::fmt::Write;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::browse::escape;
use super::{Params, base_url};
use crate::Sandbox;
use crate::state::{NewIssue, State as World, UserIdx};
use crate::text::Body;
use crate::time::now_ms;

/// The form's values, from the query (prefill) or the submitted form.
#[derive(Debug, Default)]
struct Values {
    project: Option<String>,
    issue_type: Option<String>,
    summary: String,
    description: String,
    priority: Option<String>,
    labels: Vec<String>,
}

impl Values {
    fn from_pairs(pairs: &[(String, String)]) -> Values {
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        Values {
            project: get("pid").filter(|s| !s.is_empty()),
            issue_type: get("issuetype").filter(|s| !s.is_empty()),
            summary: get("summary").unwrap_or_default(),
            description: get("description").unwrap_or_default(),
            priority: get("priority").filter(|s| !s.is_empty()),
            labels: pairs
                .iter()
                .filter(|(k, _)| k == "labels")
                .flat_map(|(_, v)| v.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
                .collect(),
        }
    }
}

pub(crate) async fn form(State(sb): State<Sandbox>, params: Params) -> Response {
    let values = Values::from_pairs(&params.0);
    let state = sb.read();
    Html(page(&state, &values, &[])).into_response()
}

pub(crate) async fn submit(
    State(sb): State<Sandbox>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let creator = match creator(&sb, &method, &uri, &headers) {
        Ok(u) => u,
        Err(denied) => return denied.into_response(),
    };
    let values = Values::from_pairs(&pairs);
    let mut state = sb.write();
    let mut errors = Vec::new();
    let project = values.project.as_deref().and_then(|p| state.find_project(p)).filter(|&p| {
        state.can_browse(creator, p) && state.allowed(creator, Some(p), "CREATE_ISSUES")
    });
    if project.is_none() {
        errors.push("Choose a project you may create issues in.".to_owned());
    }
    let issue_type = project.and_then(|p| {
        let wanted = values.issue_type.as_deref()?;
        state.projects[p]
            .issue_types
            .iter()
            .copied()
            .find(|&t| state.issue_types[t].id.to_string() == wanted)
    });
    if project.is_some() && issue_type.is_none() {
        errors.push("Choose an issue type of the project.".to_owned());
    }
    let summary = values.summary.trim().to_owned();
    if summary.is_empty() {
        errors.push("You must specify a summary of the issue.".to_owned());
    }
    let priority = match values.priority.as_deref() {
        None => None,
        Some(p) => match state.priority_by_name_or_id(p) {
            Some(p) => Some(p),
            None => {
                errors.push("The priority selected is invalid.".to_owned());
                None
            }
        },
    };
    let (Some(project), Some(issue_type), true) = (project, issue_type, errors.is_empty()) else {
        return (StatusCode::BAD_REQUEST, Html(page(&state, &values, &errors))).into_response();
    };
    let description = values.description.trim();
    let new = NewIssue {
        project,
        issue_type,
        summary,
        description: (!description.is_empty()).then(|| Body::Wiki(description.to_owned())),
        labels: values.labels.clone(),
        reporter: Some(creator),
        assignee: None,
        priority,
    };
    let idx = state.create_issue(new, creator, now_ms());
    Redirect::to(&format!("/browse/{}", state.issues[idx].key)).into_response()
}

/// The user a request's credentials name, or the first user when it carries none.
fn creator(
    sb: &Sandbox,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<UserIdx, super::auth::Denied> {
    if !headers.contains_key(header::AUTHORIZATION) {
        return Ok(0);
    }
    let base = base_url(sb, headers);
    let principal = super::auth::authenticate(sb, method, uri, headers, &base)?;
    Ok(principal.0.unwrap_or(0))
}

fn options(out: &mut String, items: impl Iterator<Item = (String, String)>, chosen: Option<&str>) {
    for (value, label) in items {
        let selected = if chosen == Some(value.as_str()) { " selected" } else { "" };
        let _ = write!(
            out,
            "<option value=\"{}\"{selected}>{}</option>",
            escape(&value),
            escape(&label)
        );
    }
}

fn page(state: &World, v: &Values, errors: &[String]) -> String {
    let mut out = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Create issue - Jira \
         sandbox</title></head><body><h1>Create issue</h1>",
    );
    for e in errors {
        let _ = write!(out, "<p class=\"error\" role=\"alert\">{}</p>", escape(e));
    }
    out.push_str("<form method=\"post\" action=\"/secure/CreateIssueDetails.jspa\">");
    out.push_str("<p><label>Project <select name=\"pid\">");
    // The prefilled project, by id or key.
    let chosen_project = v.project.as_deref().and_then(|p| state.find_project(p));
    let chosen_id = chosen_project.map(|p| state.projects[p].id.to_string());
    let projects =
        state.projects.iter().map(|p| (p.id.to_string(), format!("{} ({})", p.name, p.key)));
    options(&mut out, projects, chosen_id.as_deref());
    out.push_str("</select></label></p><p><label>Issue type <select name=\"issuetype\">");
    let types: Vec<usize> = match chosen_project {
        Some(p) => state.projects[p].issue_types.clone(),
        None => (0..state.issue_types.len()).collect(),
    };
    let types = types
        .into_iter()
        .map(|t| (state.issue_types[t].id.to_string(), state.issue_types[t].name.to_owned()));
    options(&mut out, types, v.issue_type.as_deref());
    let _ = write!(
        out,
        "</select></label></p><p><label>Summary <input name=\"summary\" value=\"{}\" required></label></p>\
         <p><label>Description <textarea name=\"description\">{}</textarea></label></p>\
         <p><label>Priority <select name=\"priority\"><option value=\"\">(default)</option>",
        escape(&v.summary),
        escape(&v.description)
    );
    let chosen_priority = v
        .priority
        .as_deref()
        .and_then(|p| state.priority_by_name_or_id(p))
        .map(|p| state.priorities[p].id.to_string());
    let priorities = state.priorities.iter().map(|p| (p.id.to_string(), p.name.clone()));
    options(&mut out, priorities, chosen_priority.as_deref());
    let _ = write!(
        out,
        "</select></label></p><p><label>Labels <input name=\"labels\" value=\"{}\"></label></p>\
         <p><button type=\"submit\">Create</button></p></form></body></html>",
        escape(&v.labels.join(" "))
    );
    out
}
