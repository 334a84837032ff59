//! Jira platform REST endpoints (`/rest/api/{2,3}`): server info, users, projects, issues,
//! comments, remote links, transitions and changelogs.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{Value, json};

use super::render::{self, FieldSel};
use super::{ApiError, ApiVersion, Ctx, JsonBody, Params, base_url, page_size, search};
use crate::state::{IssueEdit, NewIssue, RemoteLink, State as World, TransitionError, UserIdx};
use crate::text::{Body, is_adf_doc};
use crate::time::{format_jira, now_ms};
use crate::{Flavour, Sandbox};

pub(crate) fn routes() -> Router<Sandbox> {
    Router::new()
        .merge(super::meta::routes())
        .merge(super::properties::routes())
        .merge(super::webhooks::dynamic_routes())
        .route("/serverInfo", get(server_info))
        .route("/myself", get(myself))
        .route("/project", get(projects))
        .route("/project/search", get(project_search))
        .route("/project/{key}", get(project))
        .route("/status", get(statuses))
        .route("/resolution", get(resolutions))
        .route("/issue", post(create_issue))
        .route("/issue/{key}", get(get_issue).put(edit_issue).delete(delete_issue))
        .route("/issue/{key}/comment", get(list_comments).post(add_comment))
        .route("/issue/{key}/comment/{id}", get(get_comment))
        .route(
            "/issue/{key}/remotelink",
            get(list_links).post(upsert_link).delete(delete_link_by_global_id),
        )
        .route("/issue/{key}/remotelink/{link_id}", get(get_link).put(put_link).delete(delete_link))
        .route("/issue/{key}/transitions", get(transitions).post(do_transition))
        .route("/issue/{key}/changelog", get(changelog))
        .route("/search", get(search::legacy_get).post(search::legacy_post))
        .route("/search/jql", get(search::jql_get).post(search::jql_post))
        .route("/search/approximate-count", post(search::approximate_count))
}

fn version_numbers(v: &str) -> Vec<u64> {
    v.split('.')
        .take(3)
        .map(|p| {
            p.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0)
        })
        .collect()
}

async fn server_info(
    State(sb): State<Sandbox>,
    Extension(_v): Extension<ApiVersion>,
    headers: HeaderMap,
) -> Json<Value> {
    let base = base_url(&sb, &headers);
    let state = sb.read();
    let now = format_jira(now_ms());
    Json(match &state.flavour {
        Flavour::Cloud => json!({
            "baseUrl": base,
            "displayUrl": base,
            "version": "1001.0.0-SNAPSHOT",
            "versionNumbers": [1001, 0, 0],
            "deploymentType": "Cloud",
            "buildNumber": 100_287,
            "buildDate": "2025-06-02T00:00:00.000+0000",
            "serverTime": now,
            "scmInfo": "jira-sandbox",
            "serverTitle": "Jira",
            "serverTimeZone": state.server_time_zone,
        }),
        Flavour::DataCenter { version } => {
            let nums = version_numbers(version);
            let build = nums.iter().fold(0, |acc, n| acc * 100 + n);
            json!({
                "baseUrl": base,
                "version": version,
                "versionNumbers": nums,
                "deploymentType": "Server",
                "buildNumber": build,
                "buildDate": "2024-01-01T00:00:00.000+0000",
                "serverTime": now,
                "scmInfo": "jira-sandbox",
                "serverTitle": "Jira",
            })
        }
    })
}

async fn myself(ctx: Ctx) -> Json<Value> {
    let state = ctx.sb.read();
    let mut v = render::user(&ctx, &state, ctx.user);
    v["groups"] = json!({"size": 1, "items": []});
    v["applicationRoles"] = json!({"size": 1, "items": []});
    v["expand"] = json!("groups,applicationRoles");
    Json(v)
}

async fn projects(ctx: Ctx) -> Json<Value> {
    let state = ctx.sb.read();
    Json(
        (0..state.projects.len())
            .filter(|&p| state.can_browse(ctx.user, p))
            .map(|p| {
                let mut v = render::project_ref(&ctx, &state, p);
                v["expand"] =
                    json!("description,lead,issueTypes,url,projectKeys,permissions,insight");
                v
            })
            .collect(),
    )
}

async fn project_search(ctx: Ctx, params: Params) -> Result<Json<Value>, ApiError> {
    if !ctx.cloud() {
        return Err(ApiError::NotFound("null for uri: /project/search".into()));
    }
    let state = ctx.sb.read();
    let start = params.int("startAt")?.unwrap_or(0).max(0) as usize;
    let max = page_size(&ctx.sb, params.int("maxResults")?, 50, 100);
    let query = params.get("query").map(str::to_lowercase);
    let type_keys = params.list("typeKey");
    let hits: Vec<usize> = (0..state.projects.len())
        .filter(|&p| {
            let pr = &state.projects[p];
            state.can_browse(ctx.user, p)
                && query.as_ref().is_none_or(|q| {
                    pr.key.to_lowercase().contains(q) || pr.name.to_lowercase().contains(q)
                })
                && type_keys.as_ref().is_none_or(|t| t.iter().any(|t| t == pr.project_type.key()))
        })
        .collect();
    let page: Vec<Value> =
        hits.iter().skip(start).take(max).map(|&p| render::project_ref(&ctx, &state, p)).collect();
    let is_last = start + page.len() >= hits.len();
    let mut v = json!({
        "self": format!("{}/project/search?startAt={start}&maxResults={max}", ctx.api),
        "maxResults": max,
        "startAt": start,
        "total": hits.len(),
        "isLast": is_last,
        "values": page,
    });
    if !is_last {
        v["nextPage"] =
            json!(format!("{}/project/search?startAt={}&maxResults={max}", ctx.api, start + max));
    }
    Ok(Json(v))
}

async fn project(ctx: Ctx, Path(key): Path<String>) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let p =
        state.find_project(&key).filter(|&p| state.can_browse(ctx.user, p)).ok_or_else(|| {
            ApiError::NotFound(format!("No project could be found with key '{key}'."))
        })?;
    Ok(Json(render::project_full(&ctx, &state, p)))
}

async fn statuses(ctx: Ctx) -> Json<Value> {
    let state = ctx.sb.read();
    Json((0..state.statuses.len()).map(|s| render::status(&ctx, &state, s)).collect())
}

async fn resolutions(ctx: Ctx) -> Json<Value> {
    let state = ctx.sb.read();
    Json((0..state.resolutions.len()).map(|r| render::resolution(&ctx, &state, r)).collect())
}

/// An issue the caller may see; one in a project they cannot browse does not exist for them.
pub(crate) fn find_issue(state: &World, user: UserIdx, key: &str) -> Result<usize, ApiError> {
    state.find_issue(key).filter(|&i| state.can_see(user, i)).ok_or_else(|| {
        ApiError::NotFound("Issue does not exist or you do not have permission to see it.".into())
    })
}

/// 403 unless the caller holds `permission` in the issue's project.
pub(crate) fn require(
    state: &World,
    user: UserIdx,
    idx: usize,
    permission: &str,
    what: &str,
) -> Result<(), ApiError> {
    if state.allowed(user, Some(state.issues[idx].project), permission) {
        return Ok(());
    }
    Err(ApiError::Status(StatusCode::FORBIDDEN, format!("You do not have permission to {what}.")))
}

/// Reads a rich-text value as this API version expects it: ADF on v3, a string on v2.
fn read_body(ctx: &Ctx, field: &str, v: &Value) -> Result<Option<Body>, ApiError> {
    match v {
        Value::Null => Ok(None),
        Value::Object(_) if ctx.v3 && is_adf_doc(v) => Ok(Some(Body::Adf(v.clone()))),
        Value::String(s) if !ctx.v3 => Ok(Some(Body::Wiki(s.clone()))),
        _ if ctx.v3 => Err(ApiError::field(
            field,
            "Operation value must be an Atlassian Document (see the Atlassian Document Format)",
        )),
        _ => Err(ApiError::field(field, "Operation value must be a string")),
    }
}

/// A user reference as each flavour sends one: `{"accountId"}` on Cloud, `{"name"}` or
/// `{"key"}` on Data Center. `Ok(None)` is an explicit null (unassign).
fn read_user(
    ctx: &Ctx,
    state: &World,
    field: &str,
    v: &Value,
) -> Result<Option<UserIdx>, ApiError> {
    if v.is_null() {
        return Ok(None);
    }
    let found = if ctx.cloud() {
        v.get("accountId")
            .and_then(Value::as_str)
            .and_then(|id| state.users.iter().position(|u| u.account_id == id))
    } else {
        let by_name = v.get("name").and_then(Value::as_str).and_then(|n| state.user_by_name(n));
        by_name.or_else(|| {
            v.get("key")
                .and_then(Value::as_str)
                .and_then(|k| state.users.iter().position(|u| u.key == k))
        })
    };
    found
        .map(Some)
        .ok_or_else(|| ApiError::field(field, format!("Specify a valid value for {field}")))
}

fn read_labels(v: &Value) -> Result<Vec<String>, ApiError> {
    let arr = v.as_array().ok_or_else(|| ApiError::field("labels", "Labels must be a list."))?;
    let mut out = Vec::new();
    for l in arr {
        let s = l.as_str().ok_or_else(|| ApiError::field("labels", "Labels must be strings."))?;
        if s.contains(char::is_whitespace) {
            return Err(ApiError::field(
                "labels",
                format!("The label '{s}' contains spaces which is invalid."),
            ));
        }
        if !out.iter().any(|x: &String| x == s) {
            out.push(s.to_owned());
        }
    }
    Ok(out)
}

fn read_issue_type(state: &World, project: usize, v: &Value) -> Result<usize, ApiError> {
    let wanted = |t: &crate::state::IssueType| {
        v.get("id").and_then(Value::as_str) == Some(&t.id.to_string())
            || v.get("name").and_then(Value::as_str).is_some_and(|n| n.eq_ignore_ascii_case(t.name))
    };
    state.projects[project]
        .issue_types
        .iter()
        .copied()
        .find(|&t| wanted(&state.issue_types[t]))
        .ok_or_else(|| ApiError::field("issuetype", "Specify a valid issue type"))
}

/// Keeps a value, or adds its field errors to the ones reported together.
fn collect<T>(errors: &mut Vec<(String, String)>, r: Result<T, ApiError>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(ApiError::FieldErrors(e)) => {
            errors.extend(e);
            None
        }
        Err(_) => None,
    }
}

async fn create_issue(ctx: Ctx, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
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
    for name in fields.keys() {
        if !["project", "issuetype", "summary", "description", "labels", "assignee", "reporter"]
            .contains(&name.as_str())
        {
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
    ) = (project, issue_type, description, labels, assignee, reporter)
    else {
        return Err(ApiError::FieldErrors(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::FieldErrors(errors));
    }
    let new = NewIssue { project, issue_type, summary, description, labels, reporter, assignee };
    let now = now_ms();
    let idx = state.create_issue(new, ctx.user, now);
    state.issues[idx].indexed_at = now + ctx.sb.knobs().search_index_delay_ms as i64;
    let i = &state.issues[idx];
    let body = json!({"id": i.id.to_string(), "key": i.key, "self": format!("{}/issue/{}", ctx.api, i.id)});
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn get_issue(
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

async fn edit_issue(
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
    ]
    .into_iter()
    .filter_map(|(f, set)| set.then_some(f))
    .collect();
    state.edit_issue(idx, edit, ctx.user, now_ms());
    super::webhooks::issue_event(&ctx, &state, idx, "jira:issue_updated", &changed);
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_issue(ctx: Ctx, Path(key): Path<String>) -> Result<StatusCode, ApiError> {
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    require(&state, ctx.user, idx, "DELETE_ISSUES", "delete this issue")?;
    super::webhooks::issue_event(&ctx, &state, idx, "jira:issue_deleted", &[]);
    state.delete_issue(idx);
    Ok(StatusCode::NO_CONTENT)
}

async fn list_comments(
    ctx: Ctx,
    Path(key): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let idx = find_issue(&state, ctx.user, &key)?;
    let issue = &state.issues[idx];
    let start = params.int("startAt")?.unwrap_or(0).max(0) as usize;
    let max = page_size(&ctx.sb, params.int("maxResults")?, 5000, 5000);
    let mut order: Vec<usize> = (0..issue.comments.len()).collect();
    if params.get("orderBy") == Some("-created") {
        order.reverse();
    }
    let page: Vec<Value> = order
        .iter()
        .skip(start)
        .take(max)
        .map(|&c| render::comment(&ctx, &state, issue, &issue.comments[c]))
        .collect();
    Ok(Json(json!({
        "startAt": start,
        "maxResults": max,
        "total": issue.comments.len(),
        "comments": page,
    })))
}

async fn add_comment(
    ctx: Ctx,
    Path(key): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    require(&state, ctx.user, idx, "ADD_COMMENTS", "comment on this issue")?;
    let b = read_body(&ctx, "comment", body.get("body").unwrap_or(&Value::Null))?
        .filter(|b| !b.plain_text().trim().is_empty() || matches!(b, Body::Adf(_)))
        .ok_or_else(|| ApiError::field("comment", "Comment body can not be empty!"))?;
    let id = state.add_comment(idx, ctx.user, b, now_ms());
    let issue = &state.issues[idx];
    let c = issue.comments.iter().find(|c| c.id == id).expect("just added");
    Ok((StatusCode::CREATED, Json(render::comment(&ctx, &state, issue, c))).into_response())
}

async fn get_comment(
    ctx: Ctx,
    Path((key, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let idx = find_issue(&state, ctx.user, &key)?;
    let issue = &state.issues[idx];
    let c =
        issue.comments.iter().find(|c| c.id.to_string() == id).ok_or_else(|| {
            ApiError::NotFound(format!("Can not find a comment for the id: {id}."))
        })?;
    Ok(Json(render::comment(&ctx, &state, issue, c)))
}

fn link_json(ctx: &Ctx, issue_key: &str, l: &RemoteLink) -> Value {
    let mut v = json!({
        "id": l.id,
        "self": format!("{}/issue/{issue_key}/remotelink/{}", ctx.api, l.id),
        "object": l.object,
    });
    if let Some(g) = &l.global_id {
        v["globalId"] = json!(g);
    }
    if let Some(a) = &l.application {
        v["application"] = a.clone();
    }
    if let Some(r) = &l.relationship {
        v["relationship"] = json!(r);
    }
    v
}

/// Validates a remote link body; every part not sent becomes null (upserts replace).
fn read_link(body: &Value) -> Result<RemoteLink, ApiError> {
    let mut errors = Vec::new();
    let global_id = body.get("globalId").and_then(Value::as_str).map(str::to_owned);
    if global_id.as_ref().is_some_and(|g| g.chars().count() > 255) {
        errors.push(("globalId".into(), "globalId must be at most 255 characters.".into()));
    }
    let object = body.get("object").cloned().unwrap_or(Value::Null);
    if !object.is_object() {
        errors.push(("object".into(), "'object' is required".into()));
    } else {
        for f in ["url", "title"] {
            if object.get(f).and_then(Value::as_str).is_none_or(str::is_empty) {
                errors.push((f.into(), format!("'{f}' is required")));
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::FieldErrors(errors));
    }
    Ok(RemoteLink {
        id: 0,
        global_id,
        application: body.get("application").filter(|a| !a.is_null()).cloned(),
        relationship: body.get("relationship").and_then(Value::as_str).map(str::to_owned),
        object,
    })
}

async fn list_links(
    ctx: Ctx,
    Path(key): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let idx = find_issue(&state, ctx.user, &key)?;
    let issue = &state.issues[idx];
    if let Some(g) = params.get("globalId") {
        let l = issue.remote_links.iter().find(|l| l.global_id.as_deref() == Some(g)).ok_or_else(
            || {
                ApiError::NotFound(format!(
                    "No remote link with globalId '{g}' exists on the issue."
                ))
            },
        )?;
        return Ok(Json(link_json(&ctx, &issue.key, l)));
    }
    Ok(Json(issue.remote_links.iter().map(|l| link_json(&ctx, &issue.key, l)).collect()))
}

async fn upsert_link(
    ctx: Ctx,
    Path(key): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let link = read_link(&body)?;
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    require(&state, ctx.user, idx, "LINK_ISSUES", "link issues")?;
    let (id, created) = state.upsert_remote_link(idx, link);
    let issue_key = state.issues[idx].key.clone();
    let body = json!({"id": id, "self": format!("{}/issue/{issue_key}/remotelink/{id}", ctx.api)});
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(body)).into_response())
}

async fn delete_link_by_global_id(
    ctx: Ctx,
    Path(key): Path<String>,
    params: Params,
) -> Result<StatusCode, ApiError> {
    let g = params
        .get("globalId")
        .ok_or_else(|| ApiError::bad("The globalId query parameter is required."))?
        .to_owned();
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    require(&state, ctx.user, idx, "LINK_ISSUES", "link issues")?;
    let links = &mut state.issues[idx].remote_links;
    let before = links.len();
    links.retain(|l| l.global_id.as_deref() != Some(g.as_str()));
    if links.len() == before {
        return Err(ApiError::NotFound(format!(
            "No remote link with globalId '{g}' exists on the issue."
        )));
    }
    state.bump();
    Ok(StatusCode::NO_CONTENT)
}

fn link_position(state: &World, idx: usize, link_id: &str) -> Result<usize, ApiError> {
    state.issues[idx].remote_links.iter().position(|l| l.id.to_string() == link_id).ok_or_else(
        || ApiError::NotFound(format!("No remote link with id '{link_id}' exists on the issue.")),
    )
}

async fn get_link(
    ctx: Ctx,
    Path((key, link_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let idx = find_issue(&state, ctx.user, &key)?;
    let pos = link_position(&state, idx, &link_id)?;
    let issue = &state.issues[idx];
    Ok(Json(link_json(&ctx, &issue.key, &issue.remote_links[pos])))
}

async fn put_link(
    ctx: Ctx,
    Path((key, link_id)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let mut link = read_link(&body)?;
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    require(&state, ctx.user, idx, "LINK_ISSUES", "link issues")?;
    let pos = link_position(&state, idx, &link_id)?;
    link.id = state.issues[idx].remote_links[pos].id;
    state.issues[idx].remote_links[pos] = link;
    state.bump();
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_link(
    ctx: Ctx,
    Path((key, link_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    require(&state, ctx.user, idx, "LINK_ISSUES", "link issues")?;
    let pos = link_position(&state, idx, &link_id)?;
    state.issues[idx].remote_links.remove(pos);
    state.bump();
    Ok(StatusCode::NO_CONTENT)
}

async fn transitions(
    ctx: Ctx,
    Path(key): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let idx = find_issue(&state, ctx.user, &key)?;
    let with_fields =
        params.list("expand").is_some_and(|e| e.iter().any(|x| x == "transitions.fields"));
    let only = params.get("transitionId");
    let project = state.issues[idx].project;
    let wf = &state.projects[project].workflow;
    let may = state.allowed(ctx.user, Some(project), "TRANSITION_ISSUES");
    let list: Vec<Value> = state
        .available_transitions(idx)
        .into_iter()
        .filter(|_| may)
        .map(|t| &wf.transitions[t])
        .filter(|t| only.is_none_or(|id| id == t.id))
        .map(|t| {
            let to = state.status_in_project(project, &t.to);
            let mut v = json!({
                "id": t.id,
                "name": t.name,
                "to": render::status(&ctx, &state, to),
                "hasScreen": !t.required_fields.is_empty(),
                "isGlobal": t.from.is_empty(),
                "isInitial": false,
                "isAvailable": true,
                "isConditional": false,
                "isLooped": false,
            });
            if with_fields {
                let mut fields = serde_json::Map::new();
                for f in &t.required_fields {
                    fields.insert(f.clone(), field_meta(&ctx, &state, f));
                }
                v["fields"] = Value::Object(fields);
            }
            v
        })
        .collect();
    Ok(Json(json!({"expand": "transitions", "transitions": list})))
}

/// FieldMetadata for a transition screen field.
fn field_meta(ctx: &Ctx, state: &World, field: &str) -> Value {
    match field {
        "resolution" => json!({
            "required": true,
            "schema": {"type": "resolution", "system": "resolution"},
            "name": "Resolution",
            "key": "resolution",
            "hasDefaultValue": false,
            "operations": ["set"],
            "allowedValues": (0..state.resolutions.len())
                .map(|r| render::resolution(ctx, state, r))
                .collect::<Vec<_>>(),
        }),
        other => json!({
            "required": true,
            "schema": {"type": "string", "system": other},
            "name": other,
            "key": other,
            "hasDefaultValue": false,
            "operations": ["set"],
        }),
    }
}

async fn do_transition(
    ctx: Ctx,
    Path(key): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    require(&state, ctx.user, idx, "TRANSITION_ISSUES", "transition this issue")?;
    let id = body
        .pointer("/transition/id")
        .and_then(|v| v.as_str().map(str::to_owned).or_else(|| v.as_u64().map(|n| n.to_string())))
        .ok_or_else(|| ApiError::bad("Missing 'transition' identifier"))?;
    let mut resolution = None;
    let mut errors = Vec::new();
    if let Some(fields) = body.get("fields").and_then(Value::as_object) {
        for (name, value) in fields {
            if name != "resolution" {
                errors.push((
                    name.clone(),
                    format!("Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."),
                ));
                continue;
            }
            let wanted = value
                .get("name")
                .or_else(|| value.get("id"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            match state.resolution_by_name_or_id(wanted) {
                Some(r) => resolution = Some(r),
                None => errors
                    .push(("resolution".into(), format!("Could not find resolution '{wanted}'."))),
            }
        }
    }
    // A comment may ride along: {"update":{"comment":[{"add":{"body":...}}]}}; it is read
    // before the move so a bad body leaves the issue untouched.
    let mut comments = Vec::new();
    for op in body.pointer("/update/comment").and_then(Value::as_array).into_iter().flatten() {
        if let Some(b) = op.pointer("/add/body") {
            match read_body(&ctx, "comment", b) {
                Ok(Some(b)) => comments.push(b),
                Ok(None) => {}
                Err(ApiError::FieldErrors(e)) => errors.extend(e),
                Err(e) => return Err(e),
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::FieldErrors(errors));
    }
    let now = now_ms();
    match state.transition(idx, &id, resolution, ctx.user, now) {
        Ok(()) => {}
        Err(TransitionError::NotAvailable(id)) => {
            return Err(ApiError::bad(format!(
                "Transition id '{id}' is not valid for this issue."
            )));
        }
        Err(TransitionError::Fields(e)) => return Err(ApiError::FieldErrors(e)),
    }
    for b in comments {
        state.add_comment(idx, ctx.user, b, now);
    }
    super::webhooks::issue_event(
        &ctx,
        &state,
        idx,
        "jira:issue_updated",
        &["status", "resolution"],
    );
    Ok(StatusCode::NO_CONTENT)
}

async fn changelog(
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
