//! Issue properties (`/issue/{key}/properties[/{propertyKey}]`): any JSON value stored under a
//! key, as apps and integrations use them.

use axum::Json;
use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Value, json};

use super::platform::{find_issue, require};
use super::{ApiError, Ctx, JsonBody};
use crate::Sandbox;

/// Jira's limits: keys up to 255 characters, values up to 32,768 bytes of JSON.
const MAX_KEY_CHARS: usize = 255;
const MAX_VALUE_BYTES: usize = 32_768;

pub(crate) fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/issue/{key}/properties", get(list))
        .route("/issue/{key}/properties/{property}", get(get_one).put(put_one).delete(delete_one))
}

fn missing(property: &str) -> ApiError {
    ApiError::NotFound(format!("The property with key '{property}' does not exist."))
}

async fn list(ctx: Ctx, Path(key): Path<String>) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let issue = &state.issues[find_issue(&state, ctx.user, &key)?];
    let keys: Vec<Value> = issue
        .properties
        .keys()
        .map(|k| json!({"self": format!("{}/issue/{}/properties/{k}", ctx.api, issue.key), "key": k}))
        .collect();
    Ok(Json(json!({"keys": keys})))
}

async fn get_one(
    ctx: Ctx,
    Path((key, property)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let issue = &state.issues[find_issue(&state, ctx.user, &key)?];
    let value = issue.properties.get(&property).ok_or_else(|| missing(&property))?;
    Ok(Json(json!({"key": property, "value": value})))
}

async fn put_one(
    ctx: Ctx,
    Path((key, property)): Path<(String, String)>,
    JsonBody(value): JsonBody,
) -> Result<StatusCode, ApiError> {
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    require(&state, ctx.user, idx, "EDIT_ISSUES", "edit this issue")?;
    if property.is_empty() || property.chars().count() > MAX_KEY_CHARS {
        return Err(ApiError::bad(format!(
            "The property key must be between 1 and {MAX_KEY_CHARS} characters long."
        )));
    }
    if value.to_string().len() > MAX_VALUE_BYTES {
        return Err(ApiError::bad(format!(
            "The property value cannot be longer than {MAX_VALUE_BYTES} bytes."
        )));
    }
    let created = state.issues[idx].properties.insert(property, value).is_none();
    state.bump();
    Ok(if created { StatusCode::CREATED } else { StatusCode::OK })
}

async fn delete_one(
    ctx: Ctx,
    Path((key, property)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    require(&state, ctx.user, idx, "EDIT_ISSUES", "edit this issue")?;
    state.issues[idx].properties.remove(&property).ok_or_else(|| missing(&property))?;
    state.bump();
    Ok(StatusCode::NO_CONTENT)
}
