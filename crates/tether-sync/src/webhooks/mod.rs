//! tether's outgoing webhooks (what forges send tether are "dev events", not
//! these): fan-out of change events, signed delivery, as two jobs.
//!
//! A delivery is `POST <url>` with the JSON body
//! `{"id", "event", "project", "environment", "flag", "segment", "actor", "at", "on"}`
//! and the headers `X-Tether-Event`, `X-Tether-Delivery` (stable across retries,
//! for de-duplication), `X-Tether-Timestamp` (unix seconds) and
//! `X-Tether-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
//! Any 2xx is success; anything else, or no answer, is retried.

use std::time::Instant;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;
use tether_jira::OutboundPolicy;
use tether_policy::{Named, can_view_project};
use tether_store::{
    DeliveryRecord, Event, OutboxItem, OutboxKind, OutboxWork, Store, StoreError, Webhook,
    WebhookDelivery,
};

use crate::worker::{Job, Settle, TickReport, Worker};
use crate::{MAX_ATTEMPTS, SyncError, backoff};

pub const SIGNATURE_HEADER: &str = "X-Tether-Signature";

/// The signature of a delivery: hex HMAC-SHA256 of `"<timestamp>.<body>"`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Fans each `event` row out into a delivery per matching webhook.
#[derive(Debug)]
pub(crate) struct FanOutJob;

impl Job for FanOutJob {
    fn kind(&self) -> OutboxKind {
        OutboxKind::Event
    }

    fn handle<'a>(
        &'a self,
        worker: &'a Worker,
        rows: Vec<OutboxItem>,
        report: &'a mut TickReport,
    ) -> BoxFuture<'a, Result<Vec<(OutboxItem, Settle)>, SyncError>> {
        async move {
            let mut out = Vec::with_capacity(rows.len());
            for item in rows {
                report.fanned_out += fan_out(&worker.store, &item).await?;
                out.push((item, Settle::Done));
            }
            Ok(out)
        }
        .boxed()
    }
}

/// POSTs each `webhook.delivery` row, retried with backoff until [`MAX_ATTEMPTS`].
#[derive(Debug)]
pub(crate) struct DeliveryJob;

impl Job for DeliveryJob {
    fn kind(&self) -> OutboxKind {
        OutboxKind::WebhookDelivery
    }

    fn handle<'a>(
        &'a self,
        worker: &'a Worker,
        rows: Vec<OutboxItem>,
        report: &'a mut TickReport,
    ) -> BoxFuture<'a, Result<Vec<(OutboxItem, Settle)>, SyncError>> {
        async move {
            let mut out = Vec::with_capacity(rows.len());
            for item in rows {
                let settle = match deliver(&worker.store, &worker.http, worker.outbound, &item)
                    .await?
                {
                    Outcome::Delivered => {
                        report.delivered += 1;
                        Settle::Done
                    }
                    Outcome::Failed(error) if item.attempts >= MAX_ATTEMPTS => {
                        tracing::warn!(outbox = item.id, %error, "webhook delivery given up");
                        report.given_up += 1;
                        Settle::Done
                    }
                    Outcome::Failed(error) => {
                        report.retried += 1;
                        Settle::Retry { error, delay: backoff(worker.retry_base, item.attempts) }
                    }
                    Outcome::Refused(error) => {
                        tracing::warn!(outbox = item.id, %error, "webhook delivery refused");
                        report.given_up += 1;
                        Settle::Done
                    }
                    Outcome::Gone => Settle::Done,
                };
                out.push((item, settle));
            }
            Ok(out)
        }
        .boxed()
    }
}

enum Outcome {
    Delivered,
    Failed(String),
    /// The address is not one tether may reach: given up at once.
    Refused(String),
    /// The webhook was deleted or disabled meanwhile.
    Gone,
}

/// Enqueues one delivery per enabled webhook whose filter matches the event.
async fn fan_out(store: &Store, item: &OutboxItem) -> Result<usize, SyncError> {
    let event = match Event::from_item(item) {
        Ok(e) => e,
        Err(e) => {
            let error = crate::error_chain(&e);
            tracing::error!(%error, "an event in the outbox does not parse; skipped");
            return Ok(0);
        }
    };
    let mut n = 0;
    for hook in store.list_webhooks().await? {
        if !hook.enabled || !hook.filter.matches(&event) {
            continue;
        }
        if !creator_may_view(store, &hook, &event.project).await? {
            continue;
        }
        let delivery =
            WebhookDelivery { webhook_id: hook.id, event_id: item.id, event: event.clone() };
        store.enqueue_work(&delivery).await?;
        n += 1;
    }
    Ok(n)
}

/// Whether the token that created `hook` may view `project` (a webhook carries
/// only what its creator may see, whatever its filter says). Webhooks made before
/// their creator was kept have none and see every project; a revoked creator sees
/// nothing.
async fn creator_may_view(store: &Store, hook: &Webhook, project: &str) -> Result<bool, SyncError> {
    let Some(id) = hook.created_by else { return Ok(true) };
    let token = match store.token(id).await {
        Ok(t) if t.revoked_at.is_none() => t,
        Ok(_) | Err(StoreError::NotFound) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    Ok(match store.principal_of(&token).await? {
        Ok(principal) => can_view_project(&principal, &Named::new(project)),
        Err(_) => false,
    })
}

async fn deliver(
    store: &Store,
    http: &reqwest::Client,
    outbound: OutboundPolicy,
    item: &OutboxItem,
) -> Result<Outcome, SyncError> {
    let delivery = match WebhookDelivery::from_item(item) {
        Ok(d) => d,
        Err(e) => {
            let error = crate::error_chain(&e);
            tracing::error!(%error, "a webhook delivery in the outbox does not parse; dropped");
            return Ok(Outcome::Gone);
        }
    };
    let hook = match store.webhook(delivery.webhook_id).await {
        Ok(h) if h.enabled => h,
        Ok(_) | Err(StoreError::NotFound) => return Ok(Outcome::Gone),
        Err(e) => return Err(e.into()),
    };
    let refused = match reqwest::Url::parse(&hook.url) {
        Ok(url) => outbound.check_url(&url).err().map(|e| format!("refused to deliver: {e}")),
        Err(e) => Some(format!("refused to deliver: the URL does not parse: {e}")),
    };
    if let Some(error) = refused {
        // The address will not change by retrying: recorded once, not retried.
        record(store, &hook, &delivery, item, None, Some(error.clone()), 0).await?;
        return Ok(Outcome::Refused(error));
    }
    let secret = store.webhook_secret(hook.id).await?;
    let mut body = serde_json::to_value(&delivery.event).expect("an event serialises");
    body["id"] = delivery.event_id.into();
    let body = serde_json::to_vec(&body).expect("JSON serialises");
    let timestamp = store.clock().now_ms() / 1000;
    let signature = sign(secret.expose_secret(), timestamp, &body);
    let started = Instant::now();
    let result = http
        .post(&hook.url)
        .header("Content-Type", "application/json")
        .header("X-Tether-Event", &delivery.event.event)
        .header("X-Tether-Delivery", delivery.event_id.to_string())
        .header("X-Tether-Timestamp", timestamp.to_string())
        .header(SIGNATURE_HEADER, format!("sha256={signature}"))
        .body(body)
        .send()
        .await;
    let duration_ms = started.elapsed().as_millis() as i64;
    let (status_code, error, outcome) = match result {
        Ok(r) if r.status().is_success() => {
            (Some(i64::from(r.status().as_u16())), None, Outcome::Delivered)
        }
        Ok(r) => {
            let status = r.status();
            let message = format!("the receiver answered {status}");
            (Some(i64::from(status.as_u16())), Some(message.clone()), Outcome::Failed(message))
        }
        Err(e) => {
            let message = format!("no answer: {}", crate::error_chain(&e));
            (None, Some(message.clone()), Outcome::Failed(message))
        }
    };
    record(store, &hook, &delivery, item, status_code, error, duration_ms).await?;
    Ok(outcome)
}

async fn record(
    store: &Store,
    hook: &Webhook,
    delivery: &WebhookDelivery,
    item: &OutboxItem,
    status_code: Option<i64>,
    error: Option<String>,
    duration_ms: i64,
) -> Result<(), SyncError> {
    store
        .record_delivery(&DeliveryRecord {
            id: 0,
            webhook_id: hook.id,
            event: delivery.event.event.clone(),
            attempt: item.attempts,
            status_code,
            error,
            duration_ms,
            at: store.clock().now_ms(),
        })
        .await?;
    Ok(())
}
