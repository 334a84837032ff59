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

/// Whether `caller` manages `w` (may change it): only then is its URL shown whole
/// and its delivery errors word for word.
fn manages(caller: &Caller, w: &Webhook) -> bool {
    caller.can(Action::UpdateWebhook, &resource(&w.name))
}

/// A URL as someone who does not manage the webhook sees it: scheme, host and port
/// only. Credentials and paths (`https://user:pass@host/SECRET`) are secrets.
fn redact_url(url: &str) -> String {
    match url.parse::<axum::http::Uri>() {
        Ok(u) => match (u.scheme_str(), u.host()) {
            (Some(scheme), Some(host)) => match u.port_u16() {
                Some(port) => format!("{scheme}://{host}:{port}/…"),
                None => format!("{scheme}://{host}/…"),
            },
            _ => "…".to_owned(),
        },
        Err(_) => "…".to_owned(),
    }
}

/// A delivery error as someone who does not manage the webhook sees it: its kind,
/// not its text, which can tell what answers at an address (a port scanner).
fn error_category(error: &str) -> &'static str {
    let e = error.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| e.contains(w));
    if has(&["not allowed", "refused to deliver"]) {
        "address not allowed"
    } else if has(&["timed out", "timeout"]) {
        "timed out"
    } else if has(&["dns", "resolve", "lookup"]) {
        "name resolution failed"
    } else if has(&["certificate", "tls", "ssl"]) {
        "TLS failed"
    } else if has(&["redirect"]) {
        "redirect not followed"
    } else if has(&["connect", "refused", "reset", "unreachable"]) {
        "connection failed"
    } else if has(&["status", "http"]) {
        "the receiver answered with an error"
    } else {
        "delivery failed"
    }
}

fn view(w: Webhook, caller: &Caller) -> WebhookView {
    let url = if manages(caller, &w) { w.url.clone() } else { redact_url(&w.url) };
    WebhookView {
        id: w.id,
        name: w.name,
        url,
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

fn delivery_view(d: DeliveryRecord, whole: bool) -> DeliveryView {
    let error = match whole {
        true => d.error,
        false => d.error.map(|e| error_category(&e).to_owned()),
    };
    DeliveryView {
        id: d.id,
        event: d.event,
        attempt: d.attempt,
        status_code: d.status_code,
        error,
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
    state
        .config
        .outbound
        .check_url_text(&body.url)
        .map_err(|e| ApiError::invalid("url", e.to_string()))?;
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
        created_by: Some(caller.token.id),
    };
    let created = state.store.create_webhook(&new, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(view(created, &caller))))
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
            .map(|w| view(w, &caller))
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
    let whole = manages(&caller, &hook);
    let log = state.store.deliveries(id, 100).await?;
    Ok(Json(log.into_iter().map(|d| delivery_view(d, whole)).collect()))
}

#[cfg(test)]
mod tests {
    use super::{error_category, redact_url};

    #[test]
    fn webhook_urls_with_credentials_are_redacted() {
        // Reported: `https://user:pass@…/SECRETPATH` was shown to every reader.
        let cases = [
            ("https://user:pass@hooks.example.com/SECRETPATH?t=x", "https://hooks.example.com/…"),
            ("http://10.0.0.5:8080/a", "http://10.0.0.5:8080/…"),
            ("not a url", "…"),
        ];
        for (url, want) in cases {
            assert_eq!(redact_url(url), want, "{url}");
        }
    }

    #[test]
    fn delivery_errors_read_as_categories() {
        let cases = [
            (
                "error sending request: tcp connect error: Connection refused (os error 111)",
                "connection failed",
            ),
            ("operation timed out", "timed out"),
            ("dns error: failed to lookup address information", "name resolution failed"),
            ("invalid peer certificate: UnknownIssuer", "TLS failed"),
            (
                "refused to deliver to 127.0.0.1: loopback addresses are not allowed",
                "address not allowed",
            ),
            ("the receiver answered HTTP 500", "the receiver answered with an error"),
            ("something else", "delivery failed"),
        ];
        for (error, want) in cases {
            assert_eq!(error_category(error), want, "{error}");
        }
    }
}
