//! Issues (`/issue`, `/issue/{key}`): create, read, edit, delete, and Cloud's paged changelog.

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::platform::{find_issue, require};
use super::read::{collect, read_body, read_issue_type, read_labels, read_priority, read_user};
use super::render::{self, FieldSel};
use super::{ApiError, Ctx, JsonBody, Params, page_size};
use crate::state::{IssueEdit, NewIssue};
use crate::time::now_ms;

pub(super) async fn create_issue(ctx: Ctx, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let mut state = ctx.sb.write();
    let fields = body
        .get("fields")
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::bad("Issue fields are required."))?;
    let mut errors = Vec::new();
    let project = fields.get("project").and_then(|p| {
        p.get("key")
            .and_then(Value::as_str)
            .and_then(|k| state.project_by_key(k))
            .or_else(|| p.get("id").and_then(Value::as_str).and_then(|id| state.find_project(id)))
    });
    let project = project.filter(|&p| state.can_browse(ctx.user, p));
    match project {
        None => errors.push(("project".into(), "Specify a valid project ID or key".into())),
        Some(p) if !state.allowed(ctx.user, Some(p), "CREATE_ISSUES") => errors.push((
            "project".into(),
            "You do not have permission to create issues in this project.".into(),
        )),
        Some(_) => {}
    }
    let issue_type = match (project, fields.get("issuetype")) {
        (Some(p), Some(t)) => match read_issue_type(&state, p, t) {
            Ok(t) => Some(t),
            Err(_) => {
                errors.push(("issuetype".into(), "Specify a valid issue type".into()));
                None
            }
        },
        (_, None) => {
            errors.push(("issuetype".into(), "Specify an issue type".into()));
            None
        }
        (None, Some(_)) => None,
    };
    let summary = fields.get("summary").and_then(Value::as_str).unwrap_or("").trim().to_owned();
    if summary.is_empty() {
        errors.push(("summary".into(), "You must specify a summary of the issue.".into()));
    }
    let description = fields
        .get("description")
        .map(|d| collect(&mut errors, read_body(&ctx, "description", d)))
        .unwrap_or(Some(None));
    let labels =
        fields.get("labels").map(|l| collect(&mut errors, read_labels(l))).unwrap_or(Some(vec![]));
    let assignee = fields
        .get("assignee")
        .map(|a| collect(&mut errors, read_user(&ctx, &state, "assignee", a)))
        .unwrap_or(Some(None));
    let reporter = fields
        .get("reporter")
        .map(|a| collect(&mut errors, read_user(&ctx, &state, "reporter", a)))
        .unwrap_or(Some(Some(ctx.user)));
    let priority = fields
        .get("priority")
        .map(|p| collect(&mut errors, read_priority(&state, p).map(Some)))
        .unwrap_or(Some(None));
    const SETTABLE: &[&str] = &[
        "project",
        "issuetype",
        "summary",
        "description",
        "labels",
        "assignee",
        "reporter",
        "priority",
    ];
    for name in fields.keys() {
        if !SETTABLE.contains(&name.as_str()) {
            errors.push((
                name.clone(),
                format!(
                    "Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
                ),
            ));
        }
    }
    let (
        Some(project),
        Some(issue_type),
        Some(description),
        Some(labels),
        Some(assignee),
        Some(reporter),
        Some(priority),
    ) = (project, issue_type, description, labels, assignee, reporter, priority)
    else {
        return Err(ApiError::FieldErrors(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::FieldErrors(errors));
    }
    let new = NewIssue {
        project,
        issue_type,
        summary,
        description,
        labels,
        reporter,
        assignee,
        priority,
    };
    let now = now_ms();
    let idx = state.create_issue(new, ctx.user, now);
    state.issues[idx].indexed_at = now + ctx.sb.knobs().search_index_delay_ms as i64;
    let i = &state.issues[idx];
    let body = json!({"id": i.id.to_string(), "key": i.key, "self": format!("{}/issue/{}", ctx.api, i.id)});
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

pub(super) async fn get_issue(
    ctx: Ctx,
    Path(key): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let idx = find_issue(&state, ctx.user, &key)?;
    let sel = FieldSel::parse(params.list("fields"), FieldSel::all());
    let expand = params.list("expand").unwrap_or_default();
    let changelog = expand.iter().any(|e| e == "changelog").then(|| {
        // Cloud truncates embedded changelogs; Data Center returns them whole.
        ctx.cloud().then(|| ctx.sb.knobs().embedded_changelog_cap as usize)
    });
    Ok(Json(render::issue(&ctx, &state, idx, &sel, changelog)))
}

pub(super) async fn edit_issue(
    ctx: Ctx,
    Path(key): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    require(&state, ctx.user, idx, "EDIT_ISSUES", "edit this issue")?;
    let mut edit = IssueEdit::default();
    let mut errors = Vec::new();
    let empty = serde_json::Map::new();
    let fields = body.get("fields").and_then(Value::as_object).unwrap_or(&empty);
    let update = body.get("update").and_then(Value::as_object).unwrap_or(&empty);
    // `update` operations become plain sets here; labels also know add and remove.
    let mut sets: Vec<(String, Value)> =
        fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut labels = state.issues[idx].labels.clone();
    let mut labels_touched = false;
    for (name, ops) in update {
        for op in ops.as_array().into_iter().flatten() {
            let Some((verb, value)) = op.as_object().and_then(|o| o.iter().next()) else {
                continue;
            };
            match (name.as_str(), verb.as_str()) {
                ("labels", "add") => {
                    if let Some(l) = value.as_str().filter(|l| !labels.iter().any(|x| x == l)) {
                        labels.push(l.to_owned());
                    }
                    labels_touched = true;
                }
                ("labels", "remove") => {
                    labels.retain(|x| Some(x.as_str()) != value.as_str());
                    labels_touched = true;
                }
                (_, "set") => sets.push((name.clone(), value.clone())),
                _ => errors.push((
                    name.clone(),
                    format!("Operation '{verb}' is not supported on field '{name}'."),
                )),
            }
        }
    }
    if labels_touched {
        edit.labels = Some(labels);
    }
    for (name, value) in sets {
        let r = match name.as_str() {
            "summary" => match value.as_str().map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => {
                    edit.summary = Some(s.to_owned());
                    Ok(())
                }
                None => Err(ApiError::field("summary", "You must specify a summary of the issue.")),
            },
            "description" => {
                read_body(&ctx, "description", &value).map(|b| edit.description = Some(b))
            }
            "labels" => read_labels(&value).map(|l| edit.labels = Some(l)),
            "assignee" => {
                read_user(&ctx, &state, "assignee", &value).map(|u| edit.assignee = Some(u))
            }
            "reporter" => {
                read_user(&ctx, &state, "reporter", &value).map(|u| edit.reporter = Some(u))
            }
            "issuetype" => read_issue_type(&state, state.issues[idx].project, &value)
                .map(|t| edit.issue_type = Some(t)),
            "priority" => read_priority(&state, &value).map(|p| edit.priority = Some(p)),
            _ => Err(ApiError::field(
                &name,
                format!(
                    "Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
                ),
            )),
        };
        if let Err(ApiError::FieldErrors(e)) = r {
            errors.extend(e);
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::FieldErrors(errors));
    }
    let changed: Vec<&str> = [
        ("summary", edit.summary.is_some()),
        ("description", edit.description.is_some()),
        ("labels", edit.labels.is_some()),
        ("assignee", edit.assignee.is_some()),
        ("reporter", edit.reporter.is_some()),
        ("issuetype", edit.issue_type.is_some()),
        ("priority", edit.priority.is_some()),
    ]
    .into_iter()
    .filter_map(|(f, set)| set.then_some(f))
    .collect();
    state.edit_issue(idx, edit, ctx.user, now_ms());
    super::webhooks::issue_event(&ctx, &state, idx, "jira:issue_updated", &changed);
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn delete_issue(
    ctx: Ctx,
    Path(key): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    require(&state, ctx.user, idx, "DELETE_ISSUES", "delete this issue")?;
    super::webhooks::issue_event(&ctx, &state, idx, "jira:issue_deleted", &[]);
    state.delete_issue(idx);
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn changelog(
    ctx: Ctx,
    Path(key): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    if !ctx.cloud() {
        // Data Center has no paged changelog resource; `expand=changelog` returns it whole.
        return Err(ApiError::NotFound("null for uri: /issue/changelog".into()));
    }
    let state = ctx.sb.read();
    let idx = find_issue(&state, ctx.user, &key)?;
    let issue = &state.issues[idx];
    let start = params.int("startAt")?.unwrap_or(0).max(0) as usize;
    let max = page_size(&ctx.sb, params.int("maxResults")?, 100, 100);
    let total = issue.histories.len();
    let values: Vec<Value> = issue
        .histories
        .iter()
        .skip(start)
        .take(max)
        .map(|h| render::history(&ctx, &state, h))
        .collect();
    let is_last = start + values.len() >= total;
    let mut v = json!({
        "self": format!("{}/issue/{}/changelog?startAt={start}&maxResults={max}", ctx.api, issue.key),
        "maxResults": max,
        "startAt": start,
        "total": total,
        "isLast": is_last,
        "values": values,
    });
    if !is_last {
        v["nextPage"] = json!(format!(
            "{}/issue/{}/changelog?startAt={}&maxResults={max}",
            ctx.api,
            issue.key,
            start + max
        ));
    }
    Ok(Json(v))
}

/// `PUT /issue/{key}/assignee` with a user as each flavour names one (`accountId` on Cloud,
/// `name` or `key` on Data Center): `null` unassigns, `"-1"` picks the project's default
/// assignee (unassigned, as the sandbox's projects are configured).
pub(super) async fn assign(
    ctx: Ctx,
    Path(key): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    require(&state, ctx.user, idx, "ASSIGN_ISSUES", "assign this issue")?;
    let names: &[&str] = if ctx.cloud() { &["accountId"] } else { &["name", "key"] };
    let given: Vec<(&str, &Value)> =
        names.iter().filter_map(|n| body.get(*n).map(|v| (*n, v))).collect();
    let (field, value) = match given.as_slice() {
        [one] => *one,
        [] => {
            return Err(ApiError::bad(format!("{} is required.", names.join(" or "))));
        }
        _ => return Err(ApiError::bad("Only one of name and key may be given.")),
    };
    let assignee = match value {
        Value::Null => None,
        Value::String(s) if s == "-1" => None,
        Value::String(s) => {
            let found = match field {
                "accountId" => state.users.iter().position(|u| u.account_id == *s),
                "name" => state.user_by_name(s),
                _ => state.users.iter().position(|u| u.key == *s),
            };
            let u = found.ok_or_else(|| ApiError::bad(format!("User '{s}' does not exist.")))?;
            if !state.allowed(u, Some(state.issues[idx].project), "ASSIGNABLE_USER") {
                return Err(ApiError::field(
                    "assignee",
                    format!("User '{s}' cannot be assigned issues."),
                ));
            }
            Some(u)
        }
        _ => return Err(ApiError::bad(format!("'{field}' must be a string or null."))),
    };
    let edit = IssueEdit { assignee: Some(assignee), ..IssueEdit::default() };
    state.edit_issue(idx, edit, ctx.user, now_ms());
    super::webhooks::issue_event(&ctx, &state, idx, "jira:issue_updated", &["assignee"]);
    Ok(StatusCode::NO_CONTENT)
}
