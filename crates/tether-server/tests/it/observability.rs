//! Health, readiness and Prometheus metrics.

use serde_json::json;
use tether_store::NewOutboxItem;

use crate::TestServer;

#[tokio::test]
async fn health_and_readiness_answer_when_all_is_well() {
    let s = TestServer::start().await;
    assert_eq!(s.get_json("/healthz").await, (200, json!({"status": "ok"})));
    let (status, body) = s.get_json("/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["database"], "ok");
    let n = s.store.schema_status().await.unwrap().expected;
    assert!(n >= 2, "this build has at least two migrations");
    assert_eq!(body["checks"]["migrations"], format!("{n}/{n} applied"));
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let s = TestServer::start().await;
    s.store.close().await;
    let (status, body) = s.get_json("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["checks"]["database"], "unreachable");
    // Liveness does not depend on the database.
    assert_eq!(s.get_json("/healthz").await.0, 200);
}

/// The value of one sample line, `name{labels} value`.
fn sample(text: &str, name_and_labels: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(name_and_labels)?.strip_prefix(' ')?.split(' ').next()?.parse().ok()
    })
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_report_the_outbox() {
    let s = TestServer::start().await;
    for key in ["a", "b", "c"] {
        assert_eq!(s.get(&format!("/api/projects/{key}")).await.status(), 404);
    }
    s.get("/healthz").await;
    s.store.enqueue(&NewOutboxItem { kind: "test".into(), payload: "{}".into() }).await.unwrap();

    let r = s.get("/metrics").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = r.text().await.unwrap();
    assert_eq!(
        sample(
            &text,
            "tether_http_requests_total{method=\"GET\",route=\"/api/projects/{project}\",status=\"404\"}"
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "tether_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}"
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "tether_http_request_duration_seconds_count{method=\"GET\",route=\"/api/projects/{project}\"}"
        ),
        Some(3.0),
        "{text}"
    );
    assert!(text.contains("# TYPE tether_http_request_duration_seconds histogram"), "{text}");
    assert_eq!(sample(&text, "tether_outbox_pending"), Some(1.0), "{text}");
    assert!(sample(&text, "tether_outbox_oldest_age_seconds").is_some_and(|a| a >= 0.0), "{text}");

    let r = s
        .client
        .get(s.at("/metrics"))
        .header("accept", "application/openmetrics-text")
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text")
    );
}
