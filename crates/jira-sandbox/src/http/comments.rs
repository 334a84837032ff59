//! Comments on an issue (`/issue/{key}/comment[/{id}]`): list, add, read, edit, delete.

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::platform::{find_issue, require};
use super::read::read_body;
use super::render;
use super::{ApiError, Ctx, JsonBody, Params, page_size};
use crate::state::{State as World, UserIdx};
use crate::text::Body;
use crate::time::now_ms;

pub(super) async fn list_comments(
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

pub(super) async fn add_comment(
    ctx: Ctx,
    Path(key): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    require(&state, ctx.user, idx, "ADD_COMMENTS", "comment on this issue")?;
    let b = comment_body(&ctx, &body)?;
    let id = state.add_comment(idx, ctx.user, b, now_ms());
    let issue = &state.issues[idx];
    let c = issue.comments.iter().find(|c| c.id == id).expect("just added");
    Ok((StatusCode::CREATED, Json(render::comment(&ctx, &state, issue, c))).into_response())
}

/// The `body` of a comment write: ADF on v3, a string on v2, never empty.
fn comment_body(ctx: &Ctx, body: &Value) -> Result<Body, ApiError> {
    read_body(ctx, "comment", body.get("body").unwrap_or(&Value::Null))?
        .filter(|b| !b.plain_text().trim().is_empty() || matches!(b, Body::Adf(_)))
        .ok_or_else(|| ApiError::field("comment", "Comment body can not be empty!"))
}

fn find_comment(state: &World, idx: usize, id: &str) -> Result<usize, ApiError> {
    state
        .comment_position(idx, id)
        .ok_or_else(|| ApiError::NotFound(format!("Can not find a comment for the id: {id}.")))
}

/// Own comments need the `…_OWN_…` or the `…_ALL_…` permission, other people's the latter;
/// the spec answers a missing one with 400.
fn may_touch(
    state: &World,
    user: UserIdx,
    idx: usize,
    author: UserIdx,
    (own, all): (&str, &str),
    what: &str,
) -> Result<(), ApiError> {
    let project = Some(state.issues[idx].project);
    let allowed =
        state.allowed(user, project, all) || (author == user && state.allowed(user, project, own));
    if allowed {
        Ok(())
    } else {
        Err(ApiError::bad(format!("You do not have the permission to {what} this comment.")))
    }
}

pub(super) async fn edit_comment(
    ctx: Ctx,
    Path((key, id)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    let pos = find_comment(&state, idx, &id)?;
    let author = state.issues[idx].comments[pos].author;
    may_touch(&state, ctx.user, idx, author, ("EDIT_OWN_COMMENTS", "EDIT_ALL_COMMENTS"), "edit")?;
    let b = comment_body(&ctx, &body)?;
    state.edit_comment(idx, pos, b, ctx.user, now_ms());
    let issue = &state.issues[idx];
    Ok(Json(render::comment(&ctx, &state, issue, &issue.comments[pos])))
}

pub(super) async fn delete_comment(
    ctx: Ctx,
    Path((key, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    let pos = find_comment(&state, idx, &id)?;
    let author = state.issues[idx].comments[pos].author;
    let perms = ("DELETE_OWN_COMMENTS", "DELETE_ALL_COMMENTS");
    may_touch(&state, ctx.user, idx, author, perms, "delete")?;
    state.delete_comment(idx, pos, now_ms());
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn get_comment(
    ctx: Ctx,
    Path((key, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let idx = find_issue(&state, ctx.user, &key)?;
    let pos = find_comment(&state, idx, &id)?;
    let issue = &state.issues[idx];
    Ok(Json(render::comment(&ctx, &state, issue, &issue.comments[pos])))
}
