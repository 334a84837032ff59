//! Users, permissions, fields and bulk reads (`/issue/bulkfetch`,
//! `/changelog/bulkfetch`).

use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::platform::find_issue;
use super::render::{self, FieldSel};
use super::{ApiError, Ctx, JsonBody, Params, page_size};
use crate::Sandbox;
use crate::state::{PERMISSIONS, State as World, UserIdx};

pub(crate) fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/user", get(user))
        .route("/user/search", get(user_search))
        .route("/user/assignable/search", get(assignable_search))
        .route("/users/search", get(users_search))
        .route("/mypermissions", get(my_permissions))
        .route("/permissions/check", post(permissions_check))
        .route("/field", get(fields))
        .route("/issue/createmeta", get(super::createmeta::legacy))
        .route("/issue/createmeta/{project}/issuetypes", get(super::createmeta::issue_types))
        .route("/issue/createmeta/{project}/issuetypes/{type_id}", get(super::createmeta::fields))
        .route("/issue/bulkfetch", post(issue_bulkfetch))
        .route("/changelog/bulkfetch", post(changelog_bulkfetch))
}

fn cloud_only(ctx: &Ctx, what: &str) -> Result<(), ApiError> {
    if ctx.cloud() { Ok(()) } else { Err(ApiError::NotFound(format!("null for uri: {what}"))) }
}

fn user_matches(state: &World, u: UserIdx, q: &str) -> bool {
    let q = q.to_lowercase();
    let s = &state.users[u].spec;
    s.display_name.to_lowercase().contains(&q)
        || s.email.to_lowercase().starts_with(&q)
        || s.name.to_lowercase().starts_with(&q)
}

fn page_of_users(
    ctx: &Ctx,
    state: &World,
    hits: Vec<UserIdx>,
    params: &Params,
) -> Result<Json<Value>, ApiError> {
    let start = params.int("startAt")?.unwrap_or(0).max(0) as usize;
    let max = page_size(&ctx.sb, params.int("maxResults")?, 50, 1000);
    Ok(Json(hits.into_iter().skip(start).take(max).map(|u| render::user(ctx, state, u)).collect()))
}

async fn user(ctx: Ctx, params: Params) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let found = if ctx.cloud() {
        let id = params
            .get("accountId")
            .ok_or_else(|| ApiError::bad("The query parameter 'accountId' is required."))?;
        state.users.iter().position(|u| u.account_id == id)
    } else {
        match (params.get("username"), params.get("key")) {
            (Some(n), _) => state.user_by_name(n),
            (None, Some(k)) => state.users.iter().position(|u| u.key == k),
            (None, None) => {
                return Err(ApiError::bad(
                    "Either the 'username' or the 'key' query parameter is required.",
                ));
            }
        }
    };
    let u = found.ok_or_else(|| ApiError::NotFound("The user does not exist.".into()))?;
    Ok(Json(render::user(&ctx, &state, u)))
}

async fn user_search(ctx: Ctx, params: Params) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let q = if ctx.cloud() {
        params.get("query").or(params.get("accountId"))
    } else {
        params.get("username")
    };
    let q = q.ok_or_else(|| {
        ApiError::bad(if ctx.cloud() {
            "One of 'query' or 'accountId' query parameters must be provided."
        } else {
            "The username query parameter was not provided"
        })
    })?;
    let hits = (0..state.users.len())
        .filter(|&u| state.users[u].account_id == q || user_matches(&state, u, q))
        .collect();
    page_of_users(&ctx, &state, hits, &params)
}

async fn assignable_search(ctx: Ctx, params: Params) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let project = match (params.get("project"), params.get("issueKey")) {
        (Some(p), _) => state.find_project(p),
        (None, Some(k)) => state.find_issue(k).map(|i| state.issues[i].project),
        (None, None) => None,
    }
    .filter(|&p| state.can_browse(ctx.user, p))
    .ok_or_else(|| ApiError::bad("A project or issue must be given."))?;
    let q = params.get("query").or(params.get("username")).unwrap_or("");
    let hits = (0..state.users.len())
        .filter(|&u| {
            state.allowed(u, Some(project), "ASSIGNABLE_USER")
                && (q.is_empty() || user_matches(&state, u, q))
        })
        .collect();
    page_of_users(&ctx, &state, hits, &params)
}

async fn users_search(ctx: Ctx, params: Params) -> Result<Json<Value>, ApiError> {
    cloud_only(&ctx, "/users/search")?;
    let state = ctx.sb.read();
    page_of_users(&ctx, &state, (0..state.users.len()).collect(), &params)
}

async fn my_permissions(ctx: Ctx, params: Params) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let project = match (
        params.get("projectKey").or(params.get("projectId")),
        params.get("issueKey").or(params.get("issueId")),
    ) {
        (Some(p), _) => {
            Some(state.find_project(p).filter(|&p| state.can_browse(ctx.user, p)).ok_or_else(
                || ApiError::NotFound(format!("No project could be found with key '{p}'.")),
            )?)
        }
        (None, Some(k)) => Some(state.issues[find_issue(&state, ctx.user, k)?].project),
        (None, None) => None,
    };
    let wanted: Vec<String> = match params.list("permissions") {
        Some(w) => w,
        None if ctx.cloud() => {
            return Err(ApiError::bad("The 'permissions' query parameter is required."));
        }
        None => PERMISSIONS.iter().map(|p| p.key.to_owned()).collect(),
    };
    let mut out = serde_json::Map::new();
    for key in wanted {
        let p = PERMISSIONS
            .iter()
            .find(|p| p.key == key)
            .ok_or_else(|| ApiError::bad(format!("Invalid permission key: {key}")))?;
        let scope = if p.global { None } else { project };
        // Without a project, a project permission is held if it is held in any project.
        let have = match (p.global, scope) {
            (false, None) => {
                (0..state.projects.len()).any(|pr| state.allowed(ctx.user, Some(pr), p.key))
            }
            _ => state.allowed(ctx.user, scope, p.key),
        };
        out.insert(
            key.clone(),
            json!({
                "id": p.id.to_string(),
                "key": p.key,
                "name": p.name,
                "type": if p.global { "GLOBAL" } else { "PROJECT" },
                "description": p.name,
                "havePermission": have,
            }),
        );
    }
    Ok(Json(json!({"permissions": out})))
}

async fn permissions_check(ctx: Ctx, JsonBody(body): JsonBody) -> Result<Json<Value>, ApiError> {
    cloud_only(&ctx, "/permissions/check")?;
    let state = ctx.sb.read();
    let user = match body.get("accountId").and_then(Value::as_str) {
        None => ctx.user,
        Some(id) => state
            .users
            .iter()
            .position(|u| u.account_id == id)
            .ok_or_else(|| ApiError::bad(format!("Unrecognized accountId: {id}")))?,
    };
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|x| {
                x.as_str().map(str::to_owned).or_else(|| x.as_u64().map(|n| n.to_string()))
            })
            .collect()
    };
    let known = |k: &str| PERMISSIONS.iter().any(|p| p.key == k);
    let mut global = Vec::new();
    for k in strings(body.get("globalPermissions")) {
        if !known(&k) {
            return Err(ApiError::bad(format!("Unrecognized permission keys: {k}")));
        }
        if state.allowed(user, None, &k) {
            global.push(k);
        }
    }
    let mut grants: Vec<(String, Vec<u64>, Vec<u64>)> = Vec::new();
    for req in body.get("projectPermissions").and_then(Value::as_array).into_iter().flatten() {
        let projects = strings(req.get("projects"));
        let issues = strings(req.get("issues"));
        for k in strings(req.get("permissions")) {
            if !known(&k) {
                return Err(ApiError::bad(format!("Unrecognized permission keys: {k}")));
            }
            let ok_projects: Vec<u64> = projects
                .iter()
                .filter_map(|p| state.find_project(p))
                .filter(|&p| state.can_browse(user, p) && state.allowed(user, Some(p), &k))
                .map(|p| state.projects[p].id)
                .collect();
            let ok_issues: Vec<u64> = issues
                .iter()
                .filter_map(|i| state.find_issue(i))
                .filter(|&i| {
                    let p = state.issues[i].project;
                    state.can_browse(user, p) && state.allowed(user, Some(p), &k)
                })
                .map(|i| state.issues[i].id)
                .collect();
            match grants.iter_mut().find(|g| g.0 == k) {
                Some(g) => {
                    g.1.extend(ok_projects);
                    g.2.extend(ok_issues);
                }
                None => grants.push((k, ok_projects, ok_issues)),
            }
        }
    }
    let project_permissions: Vec<Value> = grants
        .into_iter()
        .map(|(permission, projects, issues)| json!({"permission": permission, "projects": projects, "issues": issues}))
        .collect();
    Ok(Json(json!({"globalPermissions": global, "projectPermissions": project_permissions})))
}

/// Field id of the sprint custom field, found by clients through its schema `custom` key.
use super::render::SPRINT_FIELD;

async fn fields(ctx: Ctx) -> Json<Value> {
    if let Some(loaded) = &ctx.sb.read().fields_meta {
        return Json(Value::Array(loaded.clone()));
    }
    let system = |id: &str, name: &str, schema: Value, orderable: bool| {
        json!({
            "id": id, "key": id, "name": name, "custom": false, "orderable": orderable,
            "navigable": true, "searchable": true, "clauseNames": [id], "schema": schema,
        })
    };
    let sys = |t: &str, system_name: &str| json!({"type": t, "system": system_name});
    let arr = |items: &str, system_name: &str| json!({"type": "array", "items": items, "system": system_name});
    let mut list = vec![
        system("summary", "Summary", sys("string", "summary"), true),
        system("description", "Description", sys("string", "description"), true),
        system("labels", "Labels", arr("string", "labels"), true),
        system("status", "Status", sys("status", "status"), false),
        system("resolution", "Resolution", sys("resolution", "resolution"), true),
        system("resolutiondate", "Resolved", sys("datetime", "resolutiondate"), false),
        system("reporter", "Reporter", sys("user", "reporter"), true),
        system("assignee", "Assignee", sys("user", "assignee"), true),
        system("creator", "Creator", sys("user", "creator"), false),
        system("created", "Created", sys("datetime", "created"), false),
        system("updated", "Updated", sys("datetime", "updated"), false),
        system("project", "Project", sys("project", "project"), false),
        system("issuetype", "Issue Type", sys("issuetype", "issuetype"), true),
        system("comment", "Comment", sys("comments-page", "comment"), true),
        system("issuelinks", "Linked Issues", arr("issuelinks", "issuelinks"), true),
        system("subtasks", "Sub-tasks", arr("issuelinks", "subtasks"), false),
    ];
    list.push(json!({
        "id": SPRINT_FIELD, "key": SPRINT_FIELD, "name": "Sprint",
        "custom": true, "orderable": true, "navigable": true, "searchable": true,
        "clauseNames": ["Sprint", "cf[10020]"],
        "schema": {"type": "array", "items": "json", "custom": "com.pyxis.greenhopper.jira:gh-sprint", "customId": 10020},
    }));
    list.push(json!({
        "id": "customfield_10016", "key": "customfield_10016", "name": "Story point estimate",
        "custom": true, "orderable": true, "navigable": true, "searchable": true,
        "clauseNames": ["Story point estimate", "cf[10016]"],
        "schema": {"type": "number", "custom": "com.pyxis.greenhopper.jira:jsw-story-points", "customId": 10016},
    }));
    let _ = &ctx;
    Json(Value::Array(list))
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_owned).or_else(|| x.as_u64().map(|n| n.to_string())))
        .collect()
}

async fn issue_bulkfetch(ctx: Ctx, JsonBody(body): JsonBody) -> Result<Json<Value>, ApiError> {
    cloud_only(&ctx, "/issue/bulkfetch")?;
    let ids = strings(body.get("issueIdsOrKeys"));
    if ids.is_empty() || ids.len() > 100 {
        return Err(ApiError::bad(
            "issueIdsOrKeys must contain between 1 and 100 issue ids or keys.",
        ));
    }
    let fields = body.get("fields").map(|f| strings(Some(f)));
    let sel = FieldSel::parse(fields.filter(|f| !f.is_empty()), FieldSel::navigable());
    let changelog = strings(body.get("expand"))
        .iter()
        .any(|e| e == "changelog")
        .then(|| Some(ctx.sb.knobs().embedded_changelog_cap as usize));
    let state = ctx.sb.read();
    let mut issues = Vec::new();
    for id in &ids {
        if let Ok(i) = find_issue(&state, ctx.user, id) {
            issues.push(render::issue(&ctx, &state, i, &sel, changelog));
        }
    }
    // Unknown or hidden issues are left out silently, as Jira does; issueErrors is for
    // retriable failures the sandbox never has.
    Ok(Json(json!({"issues": issues, "issueErrors": []})))
}

async fn changelog_bulkfetch(ctx: Ctx, JsonBody(body): JsonBody) -> Result<Json<Value>, ApiError> {
    cloud_only(&ctx, "/changelog/bulkfetch")?;
    let ids = strings(body.get("issueIdsOrKeys"));
    if ids.is_empty() || ids.len() > 1000 {
        return Err(ApiError::bad(
            "issueIdsOrKeys must contain between 1 and 1000 issue ids or keys.",
        ));
    }
    let field_ids = strings(body.get("fieldIds"));
    if field_ids.len() > 10 {
        return Err(ApiError::bad("fieldIds must contain at most 10 field ids."));
    }
    let max = page_size(&ctx.sb, body.get("maxResults").and_then(Value::as_i64), 1000, 1000).max(1);
    let fingerprint = format!("{}|{}", ids.join(","), field_ids.join(","));
    let start = match body.get("nextPageToken").and_then(Value::as_str) {
        None => 0,
        Some(t) => URL_SAFE_NO_PAD
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| {
                let (n, fp) = s.split_once(':')?;
                (fp == super::search::fingerprint(&fingerprint)).then_some(())?;
                n.parse::<usize>().ok()
            })
            .ok_or_else(|| ApiError::bad("The provided next page token is invalid or expired."))?,
    };
    let state = ctx.sb.read();
    // Every (issue, history) pair in request order, histories filtered to the fields asked for.
    let mut all: Vec<(usize, Value)> = Vec::new();
    for id in &ids {
        let Ok(i) = find_issue(&state, ctx.user, id) else {
            continue;
        };
        for h in &state.issues[i].histories {
            let mut v = render::history(&ctx, &state, h);
            if !field_ids.is_empty() {
                let items: Vec<Value> = v["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|it| {
                        it["fieldId"].as_str().is_some_and(|f| field_ids.iter().any(|x| x == f))
                    })
                    .cloned()
                    .collect();
                if items.is_empty() {
                    continue;
                }
                v["items"] = Value::Array(items);
            }
            all.push((i, v));
        }
    }
    let mut groups: Vec<Value> = Vec::new();
    let mut last_issue = None;
    for (i, h) in all.iter().skip(start).take(max) {
        if last_issue != Some(*i) {
            groups.push(json!({"issueId": state.issues[*i].id.to_string(), "changeHistories": []}));
            last_issue = Some(*i);
        }
        if let Some(g) = groups.last_mut().and_then(|g| g["changeHistories"].as_array_mut()) {
            g.push(h.clone());
        }
    }
    let mut out = json!({"issueChangeLogs": groups});
    if start + max < all.len() {
        let token = format!("{}:{}", start + max, super::search::fingerprint(&fingerprint));
        out["nextPageToken"] = json!(URL_SAFE_NO_PAD.encode(token));
    }
    Ok(Json(out))
}
