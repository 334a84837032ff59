//! Remote links on an issue (`/issue/{key}/remotelink[/{id}]`), upserted by `globalId`.

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::platform::{find_issue, require};
use super::{ApiError, Ctx, JsonBody, Params};
use crate::state::{RemoteLink, State as World};

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

pub(super) async fn list_links(
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

pub(super) async fn upsert_link(
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

pub(super) async fn delete_link_by_global_id(
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

pub(super) async fn get_link(
    ctx: Ctx,
    Path((key, link_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let idx = find_issue(&state, ctx.user, &key)?;
    let pos = link_position(&state, idx, &link_id)?;
    let issue = &state.issues[idx];
    Ok(Json(link_json(&ctx, &issue.key, &issue.remote_links[pos])))
}

pub(super) async fn put_link(
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

pub(super) async fn delete_link(
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
