//! Comments on an issue (`/issue/{key}/comment[/{id}]`).

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::platform::{find_issue, require};
use super::read::read_body;
use super::render;
use super::{ApiError, Ctx, JsonBody, Params, page_size};
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
    let b = read_body(&ctx, "comment", body.get("body").unwrap_or(&Value::Null))?
        .filter(|b| !b.plain_text().trim().is_empty() || matches!(b, Body::Adf(_)))
        .ok_or_else(|| ApiError::field("comment", "Comment body can not be empty!"))?;
    let id = state.add_comment(idx, ctx.user, b, now_ms());
    let issue = &state.issues[idx];
    let c = issue.comments.iter().find(|c| c.id == id).expect("just added");
    Ok((StatusCode::CREATED, Json(render::comment(&ctx, &state, issue, c))).into_response())
}

pub(super) async fn get_comment(
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
