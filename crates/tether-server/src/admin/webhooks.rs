//! `/api/webhooks`: outgoing webhook subscriptions and their delivery log.
//! The signing secret is write-only: given at creation, never returned.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tether_policy::{Action, Named, Resource};
use tether_store::{DeliveryRecord, NewWebhook, StoreError, Webhook, WebhookFilter};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Json};

/// The events a webhook can ask for.
const EVENTS: [&str; 9] = [
    "flag.created",
    "flag.updated",
    "flag.deleted",
    "flag.config.updated",
    "segment.created",
    "segment.updated",
    "environment.created",
    "environment.updated",
    "environment.deleted",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateWebhook {
    name: String,
    url: String,
    /// Used to sign deliveries (HMAC-SHA256); at least 16 characters.
    secret: String,
    #[serde(default)]
    filter: FilterWire,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FilterWire {
    #[serde(default)]
    projects: Vec<String>,
    #[serde(default)]
    environments: Vec<String>,
    #[serde(default)]
    flags: Vec<String>,
    #[serde(default)]
    events: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct WebhookView {
    id: i64,
    name: String,
    url: String,
    filter: FilterWire,
    enabled: bool,
    created_at: i64,
    updated_at: i64,
}

#[derive(Debug, Serialize)]
pub(crate) struct DeliveryView {
    id: i64,
    event: String,
    attempt: i64,
    status_code: Option<i64>,
    error: Option<String>,
    duration_ms: i64,
    at: i64,
}

fn view(w: Webhook) -> WebhookView {
    WebhookView {
        id: w.id,
        name: w.name,
        url: w.url,
        filter: FilterWire {
            projects: w.filter.projects,
            environments: w.filter.environments,
            flags: w.filter.flags,
            events: w.filter.events,
        },
        enabled: w.enabled,
        created_at: w.created_at,
        updated_at: w.updated_at,
    }
}

fn delivery_view(d: DeliveryRecord) -> DeliveryView {
    DeliveryView {
        id: d.id,
        event: d.event,
        attempt: d.attempt,
        status_code: d.status_code,
        error: d.error,
        duration_ms: d.duration_ms,
        at: d.at,
    }
}

fn resource(name: &str) -> Resource {
    Resource::Webhook(Named::new(name))
}

pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<CreateWebhook>,
) -> Result<(StatusCode, Json<WebhookView>), ApiError> {
    super::check_key("name", &body.name)?;
    caller.require(Action::CreateWebhook, &resource(&body.name))?;
    if !(body.url.starts_with("http://") || body.url.starts_with("https://")) {
        return Err(ApiError::invalid("url", "expected an http:// or https:// URL"));
    }
    if body.secret.chars().count() < 16 {
        return Err(ApiError::invalid("secret", "a signing secret needs at least 16 characters"));
    }
    if let Some((i, e)) =
        body.filter.events.iter().enumerate().find(|(_, e)| !EVENTS.contains(&e.as_str()))
    {
        return Err(ApiError::invalid(
            format!("filter.events[{i}]"),
            format!("unknown event {e:?}; known: {}", EVENTS.join(", ")),
        ));
    }
    let f = body.filter;
    let new = NewWebhook {
        name: body.name,
        url: body.url,
        secret: body.secret.into(),
        filter: WebhookFilter {
            projects: f.projects,
            environments: f.environments,
            flags: f.flags,
            events: f.events,
        },
        enabled: body.enabled,
    };
    let created = state.store.create_webhook(&new, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(view(created))))
}

pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<WebhookView>>, ApiError> {
    let hooks = state.store.list_webhooks().await?;
    Ok(Json(
        hooks
            .into_iter()
            .filter(|w| caller.can(Action::ViewWebhook, &resource(&w.name)))
            .map(view)
            .collect(),
    ))
}

async fn find(state: &AppState, id: i64) -> Result<Webhook, ApiError> {
    match state.store.webhook(id).await {
        Ok(w) => Ok(w),
        Err(StoreError::NotFound) => Err(ApiError::NotFound(format!("no webhook {id}"))),
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let hook = find(&state, id).await?;
    caller.require(Action::DeleteWebhook, &resource(&hook.name))?;
    state.store.delete_webhook(id, &caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<DeliveryView>>, ApiError> {
    let hook = find(&state, id).await?;
    caller.require(Action::ViewWebhook, &resource(&hook.name))?;
    let log = state.store.deliveries(id, 100).await?;
    Ok(Json(log.into_iter().map(delivery_view).collect()))
}
