//! Worklogs (`/issue/{key}/worklog[/{id}]`): list, add, read, change and delete time logged
//! on an issue, with `adjustEstimate`; and the site-wide `/worklog/updated`,
//! `/worklog/deleted` and `/worklog/list` that clients sync worklogs with.

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::platform::find_issue;
use super::read::read_body;
use super::render;
use super::{ApiError, Ctx, JsonBody, Params, page_size};
use crate::state::{
    Estimate, State as World, UserIdx, WorklogChange, WorklogInput, parse_duration,
};
use crate::time::{now_ms, parse_jira_timestamp};

pub(super) async fn list(
    ctx: Ctx,
    Path(key): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let idx = find_issue(&state, ctx.user, &key)?;
    let issue = &state.issues[idx];
    let start = params.int("startAt")?.unwrap_or(0).max(0) as usize;
    let max = page_size(&ctx.sb, params.int("maxResults")?, 5000, 5000);
    let after = params.int("startedAfter")?;
    let before = params.int("startedBefore")?;
    let hits: Vec<_> = issue
        .worklogs
        .iter()
        .filter(|w| after.is_none_or(|a| w.started >= a) && before.is_none_or(|b| w.started <= b))
        .collect();
    let page: Vec<Value> = hits
        .iter()
        .skip(start)
        .take(max)
        .map(|w| render::worklog(&ctx, &state, issue, w))
        .collect();
    Ok(Json(json!({"startAt": start, "maxResults": max, "total": hits.len(), "worklogs": page})))
}

pub(super) async fn get_one(
    ctx: Ctx,
    Path((key, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let idx = find_issue(&state, ctx.user, &key)?;
    let pos = find_worklog(&state, idx, &id)?;
    let issue = &state.issues[idx];
    Ok(Json(render::worklog(&ctx, &state, issue, &issue.worklogs[pos])))
}

pub(super) async fn add(
    ctx: Ctx,
    Path(key): Path<String>,
    params: Params,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    if !state.allowed(ctx.user, Some(state.issues[idx].project), "WORK_ON_ISSUES") {
        return Err(ApiError::bad(
            "You do not have the permission to associate a worklog to this issue.",
        ));
    }
    let estimate = estimate(&params, "reduceBy")?;
    let time_spent = time_spent(&body)?.ok_or_else(|| {
        ApiError::field("timeLogged", "You must indicate the time spent working.")
    })?;
    let now = now_ms();
    let started = started(&body)?.unwrap_or(now);
    let comment = match body.get("comment") {
        None => None,
        Some(c) => read_body(&ctx, "comment", c)?,
    };
    let input = WorklogInput { time_spent, started, comment };
    let id = state.add_worklog(idx, input, estimate, ctx.user, now);
    let issue = &state.issues[idx];
    let w = issue.worklogs.iter().find(|w| w.id == id).expect("just added");
    let body = render::worklog(&ctx, &state, issue, w);
    super::webhooks::issue_event(&ctx, &state, idx, "jira:issue_updated", &["timespent"]);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

pub(super) async fn update(
    ctx: Ctx,
    Path((key, id)): Path<(String, String)>,
    params: Params,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    let pos = find_worklog(&state, idx, &id)?;
    may_touch(&state, ctx.user, idx, pos, ("EDIT_OWN_WORKLOGS", "EDIT_ALL_WORKLOGS"), "update")?;
    let estimate = match estimate(&params, "reduceBy")? {
        // Only `new`, `leave` and `auto` mean something for an edit.
        Estimate::Manual(_) => Estimate::Auto,
        e => e,
    };
    let change = WorklogChange {
        time_spent: time_spent(&body)?,
        started: started(&body)?,
        comment: body.get("comment").map(|c| read_body(&ctx, "comment", c)).transpose()?,
    };
    state.update_worklog(idx, pos, change, estimate, ctx.user, now_ms());
    let issue = &state.issues[idx];
    Ok(Json(render::worklog(&ctx, &state, issue, &issue.worklogs[pos])))
}

pub(super) async fn delete(
    ctx: Ctx,
    Path((key, id)): Path<(String, String)>,
    params: Params,
) -> Result<StatusCode, ApiError> {
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    let pos = find_worklog(&state, idx, &id)?;
    let perms = ("DELETE_OWN_WORKLOGS", "DELETE_ALL_WORKLOGS");
    may_touch(&state, ctx.user, idx, pos, perms, "delete")?;
    let estimate = estimate(&params, "increaseBy")?;
    state.delete_worklog(idx, pos, estimate, ctx.user, now_ms());
    Ok(StatusCode::NO_CONTENT)
}

/// Jira leaves out the last minute: changes that recent may still be in flight.
const SETTLE_MS: i64 = 60_000;
const CHANGED_PAGE: usize = 1000;

/// `GET /worklog/updated?since=`: ids and update times of worklogs changed after `since`,
/// oldest first, 1000 a page, on issues the caller may see.
pub(super) async fn updated(ctx: Ctx, params: Params) -> Result<Json<Value>, ApiError> {
    let since = params.int("since")?.unwrap_or(0);
    let state = ctx.sb.read();
    let mut changed: Vec<(i64, u64)> = Vec::new();
    for (i, issue) in state.issues.iter().enumerate() {
        if !state.can_see(ctx.user, i) {
            continue;
        }
        changed.extend(issue.worklogs.iter().map(|w| (w.updated, w.id)));
    }
    Ok(Json(changed_page(&ctx, "updated", since, changed)))
}

/// `GET /worklog/deleted?since=`: ids and deletion times, like `/worklog/updated`.
pub(super) async fn deleted(ctx: Ctx, params: Params) -> Result<Json<Value>, ApiError> {
    let since = params.int("since")?.unwrap_or(0);
    let state = ctx.sb.read();
    let gone = state.deleted_worklogs.iter().map(|&(id, at)| (at, id)).collect();
    Ok(Json(changed_page(&ctx, "deleted", since, gone)))
}

fn changed_page(ctx: &Ctx, what: &str, since: i64, mut changed: Vec<(i64, u64)>) -> Value {
    let settled = now_ms() - SETTLE_MS;
    changed.retain(|&(at, _)| at > since && at <= settled);
    changed.sort_unstable();
    let page: Vec<(i64, u64)> = changed.iter().copied().take(CHANGED_PAGE).collect();
    let last = changed.len() <= CHANGED_PAGE;
    let until = page.last().map_or(since, |&(at, _)| at);
    let mut v = json!({
        "values": page
            .iter()
            .map(|&(at, id)| json!({"worklogId": id, "updatedTime": at, "properties": []}))
            .collect::<Vec<_>>(),
        "since": since,
        "until": until,
        "self": format!("{}/worklog/{what}?since={since}", ctx.api),
        "lastPage": last,
    });
    if !last {
        v["nextPage"] = json!(format!("{}/worklog/{what}?since={until}", ctx.api));
    }
    v
}

/// `POST /worklog/list {"ids": [...]}`: up to 1000 worklogs by id, those the caller may see.
pub(super) async fn by_ids(ctx: Ctx, JsonBody(body): JsonBody) -> Result<Json<Value>, ApiError> {
    let ids: Vec<u64> = body
        .get("ids")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
        .collect();
    if ids.is_empty() || ids.len() > 1000 {
        return Err(ApiError::bad("Provide between 1 and 1000 worklog ids."));
    }
    let state = ctx.sb.read();
    let mut out = Vec::new();
    for (i, issue) in state.issues.iter().enumerate() {
        if !state.can_see(ctx.user, i) {
            continue;
        }
        for w in issue.worklogs.iter().filter(|w| ids.contains(&w.id)) {
            out.push(render::worklog(&ctx, &state, issue, w));
        }
    }
    Ok(Json(Value::Array(out)))
}

fn find_worklog(state: &World, idx: usize, id: &str) -> Result<usize, ApiError> {
    state
        .worklog_position(idx, id)
        .ok_or_else(|| ApiError::NotFound(format!("Cannot find worklog with id: {id}.")))
}

/// Own worklogs need the `…_OWN_…` or the `…_ALL_…` permission, other people's the latter;
/// the spec answers a missing one with 400.
fn may_touch(
    state: &World,
    user: UserIdx,
    idx: usize,
    pos: usize,
    (own, all): (&str, &str),
    what: &str,
) -> Result<(), ApiError> {
    let project = Some(state.issues[idx].project);
    let author = state.issues[idx].worklogs[pos].author;
    if state.allowed(user, project, all) || (author == user && state.allowed(user, project, own)) {
        return Ok(());
    }
    Err(ApiError::bad(format!("You do not have the permission to {what} this worklog.")))
}

/// `timeSpentSeconds` (a number, or a string of one) or else `timeSpent` (`3h 30m`).
fn time_spent(body: &Value) -> Result<Option<u64>, ApiError> {
    let invalid = || ApiError::field("timeLogged", "Invalid time duration entered.");
    if let Some(v) = body.get("timeSpentSeconds").filter(|v| !v.is_null()) {
        let secs = v.as_u64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
        return secs.filter(|&s| s > 0).map(Some).ok_or_else(invalid);
    }
    match body.get("timeSpent").filter(|v| !v.is_null()) {
        None => Ok(None),
        Some(v) => v.as_str().and_then(parse_duration).map(Some).ok_or_else(invalid),
    }
}

fn started(body: &Value) -> Result<Option<i64>, ApiError> {
    match body.get("started").filter(|v| !v.is_null()) {
        None => Ok(None),
        Some(v) => v.as_str().and_then(parse_jira_timestamp).map(Some).ok_or_else(|| {
            ApiError::field(
                "started",
                "Invalid date format. Please enter the date in the format \"yyyy-MM-dd'T'HH:mm:ss.SSSZ\".",
            )
        }),
    }
}

/// `adjustEstimate` (default `auto`) with `newEstimate`, or with `manual`'s amount
/// (`reduceBy` when adding, `increaseBy` when deleting).
fn estimate(params: &Params, manual_param: &str) -> Result<Estimate, ApiError> {
    let amount = |name: &str, msg: &str| {
        params
            .get(name)
            .and_then(parse_duration)
            .ok_or_else(|| ApiError::field(name, msg.to_owned()))
    };
    match params.get("adjustEstimate").unwrap_or("auto") {
        "auto" => Ok(Estimate::Auto),
        "leave" => Ok(Estimate::Leave),
        "new" => amount("newEstimate", "You must supply a valid new estimate.").map(Estimate::New),
        "manual" => {
            amount(manual_param, &format!("You must supply a valid {manual_param} amount."))
                .map(Estimate::Manual)
        }
        other => Err(ApiError::bad(format!(
            "Invalid value '{other}' for adjustEstimate: use new, leave, manual or auto."
        ))),
    }
}
