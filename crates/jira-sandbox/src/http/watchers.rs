//! Watchers of an issue (`/issue/{key}/watchers`): list, add (the body is a bare JSON string
//! naming the user, or empty for the caller), remove (`?accountId=` on Cloud, `?username=` on
//! Data Center). Adding or removing someone else needs `MANAGE_WATCHERS`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::platform::{find_issue, require};
use super::render;
use super::{ApiError, Ctx, Params};
use crate::state::{State as World, UserIdx};

pub(super) async fn list(ctx: Ctx, Path(key): Path<String>) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let idx = find_issue(&state, ctx.user, &key)?;
    let issue = &state.issues[idx];
    Ok(Json(json!({
        "self": format!("{}/issue/{}/watchers", ctx.api, issue.key),
        "isWatching": issue.watchers.contains(&ctx.user),
        "watchCount": issue.watchers.len(),
        "watchers": issue
            .watchers
            .iter()
            .map(|&u| render::user_details(&ctx, &state, u))
            .collect::<Vec<_>>(),
    })))
}

pub(super) async fn add(
    ctx: Ctx,
    Path(key): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let named = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::String(s)) => Some(s),
            Ok(Value::Null) => None,
            _ => return Err(ApiError::bad("The body must be a JSON string naming the user.")),
        }
    };
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    let user = match named {
        None => ctx.user,
        Some(s) => watcher(&ctx, &state, &s)?,
    };
    if user != ctx.user {
        require(&state, ctx.user, idx, "MANAGE_WATCHERS", "manage the watcher list")?;
    }
    let issue = &mut state.issues[idx];
    if !issue.watchers.contains(&user) {
        issue.watchers.push(user);
        issue.touch(&["watches"]);
        state.bump();
    }
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn remove(
    ctx: Ctx,
    Path(key): Path<String>,
    params: Params,
) -> Result<StatusCode, ApiError> {
    let param = if ctx.cloud() { "accountId" } else { "username" };
    let named = params
        .get(param)
        .ok_or_else(|| ApiError::bad(format!("The '{param}' query parameter is required.")))?
        .to_owned();
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    let user = watcher(&ctx, &state, &named)?;
    if user != ctx.user {
        require(&state, ctx.user, idx, "MANAGE_WATCHERS", "manage the watcher list")?;
    }
    state.issues[idx].watchers.retain(|&w| w != user);
    state.issues[idx].touch(&["watches"]);
    state.bump();
    Ok(StatusCode::NO_CONTENT)
}

/// A watcher as the flavour names users: accountId on Cloud, login name on Data Center.
fn watcher(ctx: &Ctx, state: &World, s: &str) -> Result<UserIdx, ApiError> {
    let found = if ctx.cloud() {
        state.users.iter().position(|u| u.account_id == s)
    } else {
        state.user_by_name(s)
    };
    found.ok_or_else(|| ApiError::NotFound(format!("The user \"{s}\" does not exist.")))
}
