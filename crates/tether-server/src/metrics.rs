//! Prometheus metrics: requests and latency by route, outbox depth and age.
//!
//! The registry is owned by the server state (no globals). Routes are labelled by
//! their template (`/api/projects/{key}`), never the raw path, so label
//! cardinality stays bounded.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::AppState;
use crate::error::ApiError;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

type Counter = prometheus_client::metrics::counter::Counter;

/// The server's metrics and the registry that renders them.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    /// Each route's metrics, found by borrowed method and route: the families' own lookup
    /// wants owned labels, whose allocating and hashing cost more than a flag evaluation.
    routes: RwLock<HashMap<Method, HashMap<String, Arc<RouteMetrics>>>>,
    outbox_pending: Gauge,
    outbox_oldest_age: Gauge<f64, std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests =
            Family::<RequestLabels, prometheus_client::metrics::counter::Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        let outbox_pending = Gauge::default();
        let outbox_oldest_age = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register(
            "tether_http_requests",
            "HTTP requests served, by method, route template and status",
            requests.clone(),
        );
        registry.register(
            "tether_http_request_duration_seconds",
            "HTTP request latency, by method and route template",
            latency.clone(),
        );
        registry.register(
            "tether_outbox_pending",
            "Outbox rows waiting for delivery",
            outbox_pending.clone(),
        );
        registry.register(
            "tether_outbox_oldest_age_seconds",
            "Age of the oldest outbox row waiting for delivery (0 when none)",
            outbox_oldest_age.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            routes: RwLock::default(),
            outbox_pending,
            outbox_oldest_age,
        }
    }
}

/// One route's latency histogram and its request counters by status (handles into the
/// families: the same series).
struct RouteMetrics {
    latency: Histogram,
    statuses: RwLock<Vec<(u16, Counter)>>,
}

impl Metrics {
    fn route(&self, method: &Method, route: &str) -> Arc<RouteMetrics> {
        if let Some(found) = self
            .routes
            .read()
            .ok()
            .and_then(|m| m.get(method).and_then(|routes| routes.get(route)).cloned())
        {
            return found;
        }
        let labels = RouteLabels { method: method.as_str().to_owned(), route: route.to_owned() };
        let made = Arc::new(RouteMetrics {
            latency: self.latency.get_or_create(&labels).clone(),
            statuses: RwLock::default(),
        });
        let Ok(mut m) = self.routes.write() else { return made };
        m.entry(method.clone()).or_default().entry(route.to_owned()).or_insert(made).clone()
    }

    /// Times one request of a route that began at `start` and counts it under its status.
    fn record(
        &self,
        method: &Method,
        route: &str,
        handles: &RouteMetrics,
        start: Instant,
        status: u16,
    ) {
        handles.latency.observe(start.elapsed().as_secs_f64());
        self.count(method, route, handles, status);
    }

    fn count(&self, method: &Method, route: &str, metrics: &RouteMetrics, status: u16) {
        let known = metrics
            .statuses
            .read()
            .ok()
            .and_then(|s| s.iter().find(|(code, _)| *code == status).map(|(_, c)| c.clone()));
        let counter = known.unwrap_or_else(|| {
            let counter = self
                .requests
                .get_or_create(&RequestLabels {
                    method: method.as_str().to_owned(),
                    route: route.to_owned(),
                    status,
                })
                .clone();
            if let Ok(mut s) = metrics.statuses.write()
                && !s.iter().any(|(code, _)| *code == status)
            {
                s.push((status, counter.clone()));
            }
            counter
        });
        counter.inc();
    }
}

/// Middleware: counts and times every request.
pub(crate) async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let response = next.run(req).await;
    let metrics = &state.metrics;
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let handles = metrics.route(&method, route);
    metrics.record(&method, route, &handles, start, response.status().as_u16());
    response
}

/// One route's series, found once: what the OFREP fast lane (`ofrep::lane`) records its
/// requests in, as [`track`] records the router's.
pub(crate) struct RouteHandle {
    method: Method,
    route: &'static str,
    handles: Arc<RouteMetrics>,
}

impl RouteHandle {
    /// `route` is the route's template, as the router's `MatchedPath` gives it.
    pub(crate) fn new(metrics: &Metrics, method: Method, route: &'static str) -> RouteHandle {
        let handles = metrics.route(&method, route);
        RouteHandle { method, route, handles }
    }

    /// Counts and times one request that began at `start`.
    pub(crate) fn record(&self, metrics: &Metrics, start: Instant, status: u16) {
        metrics.record(&self.method, self.route, &self.handles, start, status);
    }
}

/// `GET /metrics`.
/// Answers in OpenMetrics when the scraper asks for it, else in Prometheus' text
/// format 0.0.4 (the encoding is the same apart from the closing `# EOF` comment).
pub(crate) async fn render(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let stats = state.store.outbox_stats().await?;
    let metrics = &state.metrics;
    metrics.outbox_pending.set(stats.pending);
    let age = stats
        .oldest_created_at
        .map(|t| ((state.clock.now_ms() - t).max(0) as f64) / 1000.0)
        .unwrap_or(0.0);
    metrics.outbox_oldest_age.set(age);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &metrics.registry)
        .map_err(ApiError::internal)?;
    let wants_openmetrics = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/openmetrics-text"));
    let content_type = if wants_openmetrics {
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    } else {
        "text/plain; version=0.0.4; charset=utf-8"
    };
    Ok(([(CONTENT_TYPE, content_type)], text).into_response())
}
