//! Webhook registration: Cloud's dynamic webhooks for apps (`/rest/api/{2,3}/webhook`) and
//! the admin webhooks of `/rest/webhooks/1.0/webhook` (both flavours), plus delivery of
//! `jira:issue_updated` and `jira:issue_deleted` to loopback URLs.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::render::{self, FieldSel};
use super::{ApiError, Ctx, JsonBody, Params, page_size};
use crate::Sandbox;
use crate::jql::{Caller, compile};
use crate::state::State as World;
use crate::time::now_ms;
use crate::webhooks::{
    DYNAMIC_EVENTS, DYNAMIC_LIFETIME_MS, Webhook, WebhookKind, deliver, deliverable,
};

pub(crate) fn dynamic_routes() -> Router<Sandbox> {
    Router::new()
        .route("/webhook", get(dynamic_list).post(dynamic_register).delete(dynamic_delete))
        .route("/webhook/refresh", put(dynamic_refresh))
}

pub(crate) fn admin_routes() -> Router<Sandbox> {
    Router::new()
        .route("/webhook", get(admin_list).post(admin_register))
        .route("/webhook/{id}", get(admin_get).put(admin_update).delete(admin_delete))
}

fn login(ctx: &Ctx) -> String {
    ctx.sb.read().users[ctx.user].spec.name.clone()
}

/// Dynamic webhooks are Cloud's, for apps only.
fn app_caller(ctx: &Ctx) -> Result<(), ApiError> {
    if !ctx.cloud() {
        return Err(ApiError::NotFound("null for uri: /webhook".into()));
    }
    if !ctx.app {
        return Err(ApiError::Status(
            StatusCode::FORBIDDEN,
            "Only Connect and OAuth 2.0 apps can use this operation.".into(),
        ));
    }
    Ok(())
}

fn check_jql(ctx: &Ctx, state: &World, jql: &str) -> Result<(), String> {
    let caller = Caller { user: ctx.user, utc_offset_minutes: 0, now: now_ms() };
    compile(jql, state, caller).map(|_| ()).map_err(|e| e.0)
}

fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
}

async fn dynamic_register(ctx: Ctx, JsonBody(body): JsonBody) -> Result<Json<Value>, ApiError> {
    app_caller(&ctx)?;
    let url = body
        .get("url")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ApiError::field("url", "The URL must be provided."))?
        .to_owned();
    let hooks = body
        .get("webhooks")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::field("webhooks", "The list of webhooks must be provided."))?;
    let owner = login(&ctx);
    let now = now_ms();
    let mut state = ctx.sb.write();
    let mut results = Vec::new();
    for hook in hooks {
        let mut errors = Vec::new();
        let events = strings(hook.get("events")).unwrap_or_default();
        if events.is_empty() {
            errors.push("The list of events must not be empty.".to_owned());
        }
        for e in &events {
            if !DYNAMIC_EVENTS.contains(&e.as_str()) {
                errors.push(format!("The event {e} is not supported."));
            }
        }
        let jql = hook.get("jqlFilter").and_then(Value::as_str).unwrap_or_default();
        if jql.trim().is_empty() {
            errors.push("The JQL filter must be provided.".to_owned());
        } else if let Err(e) = check_jql(&ctx, &state, jql) {
            errors.push(e);
        }
        if !errors.is_empty() {
            results.push(json!({"errors": errors}));
            continue;
        }
        let id = state.next_webhook_id;
        state.next_webhook_id += 1;
        state.webhooks.push(Webhook {
            id,
            kind: WebhookKind::Dynamic,
            name: String::new(),
            url: url.clone(),
            events,
            jql_filter: Some(jql.to_owned()),
            field_ids_filter: strings(hook.get("fieldIdsFilter")),
            issue_property_keys_filter: strings(hook.get("issuePropertyKeysFilter")),
            exclude_body: false,
            owner: owner.clone(),
            expiration_ms: Some(now + DYNAMIC_LIFETIME_MS),
            updated_ms: now,
        });
        results.push(json!({"createdWebhookId": id}));
    }
    state.bump();
    Ok(Json(json!({"webhookRegistrationResult": results})))
}

fn dynamic_json(w: &Webhook) -> Value {
    let mut v = json!({
        "id": w.id,
        "jqlFilter": w.jql_filter,
        "events": w.events,
        "url": w.url,
        "expirationDate": w.expiration_ms,
    });
    if let Some(f) = &w.field_ids_filter {
        v["fieldIdsFilter"] = json!(f);
    }
    if let Some(f) = &w.issue_property_keys_filter {
        v["issuePropertyKeysFilter"] = json!(f);
    }
    v
}

async fn dynamic_list(ctx: Ctx, params: Params) -> Result<Json<Value>, ApiError> {
    app_caller(&ctx)?;
    let owner = login(&ctx);
    let start = params.int("startAt")?.unwrap_or(0).max(0) as usize;
    let max = page_size(&ctx.sb, params.int("maxResults")?, 100, 100).max(1);
    let state = ctx.sb.read();
    let mine: Vec<&Webhook> = state
        .webhooks
        .iter()
        .filter(|w| w.kind == WebhookKind::Dynamic && w.owner == owner)
        .collect();
    let values: Vec<Value> = mine.iter().skip(start).take(max).map(|w| dynamic_json(w)).collect();
    let is_last = start + values.len() >= mine.len();
    let mut v = json!({
        "self": format!("{}/webhook?startAt={start}&maxResults={max}", ctx.api),
        "maxResults": max,
        "startAt": start,
        "total": mine.len(),
        "isLast": is_last,
        "values": values,
    });
    if !is_last {
        v["nextPage"] =
            json!(format!("{}/webhook?startAt={}&maxResults={max}", ctx.api, start + max));
    }
    Ok(Json(v))
}

fn webhook_ids(body: &Value) -> Result<Vec<u64>, ApiError> {
    body.get("webhookIds")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .ok_or_else(|| ApiError::field("webhookIds", "The list of webhook IDs must be provided."))
}

async fn dynamic_delete(ctx: Ctx, JsonBody(body): JsonBody) -> Result<StatusCode, ApiError> {
    app_caller(&ctx)?;
    let ids = webhook_ids(&body)?;
    let owner = login(&ctx);
    let mut state = ctx.sb.write();
    state
        .webhooks
        .retain(|w| !(w.kind == WebhookKind::Dynamic && w.owner == owner && ids.contains(&w.id)));
    state.bump();
    Ok(StatusCode::ACCEPTED)
}

async fn dynamic_refresh(ctx: Ctx, JsonBody(body): JsonBody) -> Result<Json<Value>, ApiError> {
    app_caller(&ctx)?;
    let ids = webhook_ids(&body)?;
    let owner = login(&ctx);
    let expires = now_ms() + DYNAMIC_LIFETIME_MS;
    let mut state = ctx.sb.write();
    for w in state
        .webhooks
        .iter_mut()
        .filter(|w| w.kind == WebhookKind::Dynamic && w.owner == owner && ids.contains(&w.id))
    {
        w.expiration_ms = Some(expires);
    }
    Ok(Json(json!({"expirationDate": expires})))
}

/// Admin webhooks need the ADMINISTER global permission.
fn admin_only(ctx: &Ctx) -> Result<(), ApiError> {
    if ctx.sb.read().allowed(ctx.user, None, "ADMINISTER") {
        return Ok(());
    }
    Err(ApiError::Status(
        StatusCode::FORBIDDEN,
        "You must be a Jira administrator to manage webhooks.".into(),
    ))
}

fn admin_json(ctx: &Ctx, state: &World, w: &Webhook) -> Value {
    let updater = state.user_by_name(&w.owner);
    json!({
        "name": w.name,
        "url": w.url,
        "excludeBody": w.exclude_body,
        "filters": {"issue-related-events-section": w.jql_filter.clone().unwrap_or_default()},
        "events": w.events,
        "enabled": true,
        "self": format!("{}/rest/webhooks/1.0/webhook/{}", ctx.base, w.id),
        "lastUpdatedUser": updater.map(|u| state.users[u].key.clone()),
        "lastUpdatedDisplayName": updater.map(|u| state.users[u].spec.display_name.clone()),
        "lastUpdated": w.updated_ms,
    })
}

/// Reads an admin webhook body into `w` (name, url and events are required).
fn read_admin(ctx: &Ctx, state: &World, body: &Value, w: &mut Webhook) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    match body.get("name").and_then(Value::as_str).filter(|s| !s.trim().is_empty()) {
        Some(n) => w.name = n.to_owned(),
        None => errors.push(("name".to_owned(), "The webhook name must be provided.".to_owned())),
    }
    match body.get("url").and_then(Value::as_str).filter(|s| s.starts_with("http")) {
        Some(u) => w.url = u.to_owned(),
        None => errors.push(("url".to_owned(), "A valid http(s) URL must be provided.".to_owned())),
    }
    w.events = strings(body.get("events")).unwrap_or_default();
    let jql = body
        .pointer("/filters/issue-related-events-section")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty());
    if let Some(jql) = jql
        && let Err(e) = check_jql(ctx, state, jql)
    {
        errors.push(("filters".to_owned(), e));
    }
    w.jql_filter = jql.map(str::to_owned);
    w.exclude_body = body.get("excludeBody").and_then(Value::as_bool).unwrap_or(false);
    if errors.is_empty() { Ok(()) } else { Err(ApiError::FieldErrors(errors)) }
}

async fn admin_register(ctx: Ctx, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    admin_only(&ctx)?;
    let owner = login(&ctx);
    let mut state = ctx.sb.write();
    let mut w = Webhook {
        id: 0,
        kind: WebhookKind::Admin,
        name: String::new(),
        url: String::new(),
        events: Vec::new(),
        jql_filter: None,
        field_ids_filter: None,
        issue_property_keys_filter: None,
        exclude_body: false,
        owner,
        expiration_ms: None,
        updated_ms: now_ms(),
    };
    read_admin(&ctx, &state, &body, &mut w)?;
    w.id = state.next_webhook_id;
    state.next_webhook_id += 1;
    let out = admin_json(&ctx, &state, &w);
    state.webhooks.push(w);
    state.bump();
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

async fn admin_list(ctx: Ctx) -> Result<Json<Value>, ApiError> {
    admin_only(&ctx)?;
    let state = ctx.sb.read();
    Ok(Json(
        state
            .webhooks
            .iter()
            .filter(|w| w.kind == WebhookKind::Admin)
            .map(|w| admin_json(&ctx, &state, w))
            .collect(),
    ))
}

fn admin_pos(state: &World, id: u64) -> Result<usize, ApiError> {
    state
        .webhooks
        .iter()
        .position(|w| w.kind == WebhookKind::Admin && w.id == id)
        .ok_or_else(|| ApiError::NotFound(format!("No webhook with id {id}.")))
}

async fn admin_get(ctx: Ctx, Path(id): Path<u64>) -> Result<Json<Value>, ApiError> {
    admin_only(&ctx)?;
    let state = ctx.sb.read();
    let pos = admin_pos(&state, id)?;
    Ok(Json(admin_json(&ctx, &state, &state.webhooks[pos])))
}

async fn admin_update(
    ctx: Ctx,
    Path(id): Path<u64>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    admin_only(&ctx)?;
    let owner = login(&ctx);
    let mut state = ctx.sb.write();
    let pos = admin_pos(&state, id)?;
    let mut w = state.webhooks[pos].clone();
    read_admin(&ctx, &state, &body, &mut w)?;
    w.owner = owner;
    w.updated_ms = now_ms();
    let out = admin_json(&ctx, &state, &w);
    state.webhooks[pos] = w;
    state.bump();
    Ok(Json(out))
}

async fn admin_delete(ctx: Ctx, Path(id): Path<u64>) -> Result<StatusCode, ApiError> {
    admin_only(&ctx)?;
    let mut state = ctx.sb.write();
    let pos = admin_pos(&state, id)?;
    state.webhooks.remove(pos);
    state.bump();
    Ok(StatusCode::NO_CONTENT)
}

/// Sends `event` about issue `idx` to every live webhook that asks for it, whose JQL filter
/// matches the issue (as its owner sees it) and whose URL is on the loopback interface.
/// Call with the issue still present (before a delete).
pub(crate) fn issue_event(ctx: &Ctx, state: &World, idx: usize, event: &str, changed: &[&str]) {
    let now = now_ms();
    let mut targets = Vec::new();
    for w in &state.webhooks {
        if !w.events.iter().any(|e| e == event)
            || w.expiration_ms.is_some_and(|e| e < now)
            || !deliverable(&w.url)
        {
            continue;
        }
        if let (Some(fields), "jira:issue_updated") = (&w.field_ids_filter, event)
            && !changed.iter().any(|c| fields.iter().any(|f| f == c))
        {
            continue;
        }
        let Some(owner) = state.user_by_name(&w.owner) else { continue };
        let matches = match &w.jql_filter {
            None => state.can_see(owner, idx),
            Some(jql) => {
                let caller = Caller { user: owner, utc_offset_minutes: 0, now };
                compile(jql, state, caller).is_ok_and(|c| c.matches(state, idx))
            }
        };
        if matches {
            targets.push(w.url.clone());
        }
    }
    if targets.is_empty() {
        return;
    }
    let payload = json!({
        "timestamp": now,
        "webhookEvent": event,
        "issue_event_type_name": if event == "jira:issue_deleted" { "issue_deleted" } else { "issue_generic" },
        "user": render::user(ctx, state, ctx.user),
        "issue": render::issue(ctx, state, idx, &FieldSel::all(), None),
    });
    deliver(targets, payload);
}
