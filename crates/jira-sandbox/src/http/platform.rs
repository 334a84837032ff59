//! Jira platform REST endpoints (`/rest/api/{2,3}`): the route table, and server info, the
//! caller, projects, statuses and resolutions. Issues, comments, remote links and transitions
//! have modules of their own; what they share (finding an issue the caller may see, permission
//! checks) is here.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use serde_json::{Value, json};

use super::render;
use super::{
    ApiError, ApiVersion, Ctx, Params, base_url, comments, issues, links, page_size, search,
    transitions, watchers, worklogs,
};
use crate::state::{State as World, UserIdx};
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
        .route("/issuetype", get(issue_types))
        .route("/issuetype/{id}", get(issue_type))
        .route("/priority", get(priorities))
        .route("/priority/{id}", get(priority))
        .route("/issue", post(issues::create_issue))
        .route(
            "/issue/{key}",
            get(issues::get_issue).put(issues::edit_issue).delete(issues::delete_issue),
        )
        .route("/issue/{key}/comment", get(comments::list_comments).post(comments::add_comment))
        .route(
            "/issue/{key}/comment/{id}",
            get(comments::get_comment).put(comments::edit_comment).delete(comments::delete_comment),
        )
        .route("/issue/{key}/assignee", put(issues::assign))
        .route("/issue/{key}/worklog", get(worklogs::list).post(worklogs::add))
        .route(
            "/issue/{key}/worklog/{id}",
            get(worklogs::get_one).put(worklogs::update).delete(worklogs::delete),
        )
        .route("/worklog/updated", get(worklogs::updated))
        .route("/worklog/deleted", get(worklogs::deleted))
        .route("/worklog/list", post(worklogs::by_ids))
        .route(
            "/issue/{key}/watchers",
            get(watchers::list).post(watchers::add).delete(watchers::remove),
        )
        .route(
            "/issue/{key}/remotelink",
            get(links::list_links).post(links::upsert_link).delete(links::delete_link_by_global_id),
        )
        .route(
            "/issue/{key}/remotelink/{link_id}",
            get(links::get_link).put(links::put_link).delete(links::delete_link),
        )
        .route(
            "/issue/{key}/transitions",
            get(transitions::transitions).post(transitions::do_transition),
        )
        .route("/issue/{key}/changelog", get(issues::changelog))
        .route("/search", get(search::legacy_get).post(search::legacy_post))
        .route("/search/jql", get(search::jql_get).post(search::jql_post))
        .route("/search/approximate-count", post(search::approximate_count))
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
            "serverTitle": state.server_title,
            "serverTimeZone": state.server_time_zone,
        }),
        Flavour::DataCenter { version } => {
            let (major, minor, patch) = state.flavour.dc_version().unwrap_or_default();
            let nums = [major, minor, patch];
            let build = nums.iter().fold(0u64, |acc, &n| acc * 100 + u64::from(n));
            json!({
                "baseUrl": base,
                "version": version,
                "versionNumbers": nums,
                "deploymentType": "Server",
                "buildNumber": build,
                "buildDate": "2024-01-01T00:00:00.000+0000",
                "serverTime": now,
                "scmInfo": "jira-sandbox",
                "serverTitle": state.server_title,
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

/// Every issue type, as `GET /issuetype` lists them to someone who can see every project.
async fn issue_types(ctx: Ctx) -> Json<Value> {
    let state = ctx.sb.read();
    Json((0..state.issue_types.len()).map(|t| render::issue_type(&ctx, &state, t)).collect())
}

async fn issue_type(ctx: Ctx, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let t = state.issue_types.iter().position(|t| t.id.to_string() == id).ok_or_else(|| {
        ApiError::NotFound(format!("The issue type with id '{id}' does not exist."))
    })?;
    Ok(Json(render::issue_type(&ctx, &state, t)))
}

async fn priorities(ctx: Ctx) -> Json<Value> {
    let state = ctx.sb.read();
    Json((0..state.priorities.len()).map(|p| render::priority(&ctx, &state, p)).collect())
}

async fn priority(ctx: Ctx, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let p = state.priorities.iter().position(|p| p.id.to_string() == id).ok_or_else(|| {
        ApiError::NotFound(format!("The priority with id '{id}' does not exist."))
    })?;
    Ok(Json(render::priority(&ctx, &state, p)))
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
