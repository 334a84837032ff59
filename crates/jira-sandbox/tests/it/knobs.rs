//! Knobs: rate limiting with Jira's headers, injected faults, runtime changes over HTTP.

use jira_sandbox::{Knobs, RateLimit, SandboxConfig};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{self, Auth, jira_error};

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let mut config = SandboxConfig::default();
    config.knobs.rate_limit = Some(RateLimit { requests: 3, window_seconds: 60 });
    let srv = support::start(config).await;
    for _ in 0..3 {
        assert_eq!(srv.get("/rest/api/3/myself").await.status, StatusCode::OK);
    }
    let r = srv.get("/rest/api/3/myself").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers["Retry-After"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(r.headers["X-RateLimit-Limit"], "3");
    assert_eq!(r.headers["X-RateLimit-Remaining"], "0");
    assert!(r.headers.contains_key("X-RateLimit-Reset"));
    assert_eq!(r.headers["RateLimit-Reason"], "jira-burst-based");
    jira_error(&r);
    // The admin endpoint is never limited, and lifts the limit at runtime.
    let r = srv.call_as(Auth::None, Method::PUT, "/_sandbox/knobs", Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["rate_limit"], serde_json::Value::Null);
    assert_eq!(srv.get("/rest/api/3/myself").await.status, StatusCode::OK);
}

#[tokio::test]
async fn injected_faults_are_deterministic() {
    async fn statuses(rate: f64) -> Vec<u16> {
        let config = SandboxConfig {
            rng_seed: 11,
            knobs: Knobs { fault_rate: rate, fault_statuses: vec![500, 503], ..Knobs::default() },
            ..SandboxConfig::default()
        };
        let srv = support::start(config).await;
        let mut out = Vec::new();
        for _ in 0..40 {
            let r = srv.get("/rest/api/3/myself").await;
            if r.status == StatusCode::SERVICE_UNAVAILABLE {
                assert!(r.headers.contains_key("Retry-After"));
            }
            out.push(r.status.as_u16());
        }
        out
    }
    let a = statuses(0.3).await;
    assert_eq!(a, statuses(0.3).await, "same seed, same faults");
    let faults = a.iter().filter(|&&s| s != 200).count();
    assert!((4..=24).contains(&faults), "{faults} of 40");
    assert!(a.contains(&500) && a.contains(&503), "{a:?}");
    assert!(statuses(1.0).await.iter().all(|&s| s != 200));
}

#[tokio::test]
async fn knobs_round_trip_over_http() {
    let srv = support::cloud().await;
    let r = srv
        .call_as(
            Auth::None,
            Method::PUT,
            "/_sandbox/knobs",
            Some(json!({"page_size_cap": 3, "latency_ms": 1, "latency_rate": 1.0})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(srv.sandbox.knobs().page_size_cap, Some(3));
    let r = srv
        .call_as(Auth::None, Method::PUT, "/_sandbox/knobs", Some(json!({"no_such_knob": 1})))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        srv.call_as(Auth::None, Method::GET, "/_sandbox/knobs", None).await.body["page_size_cap"],
        3
    );
    assert_eq!(srv.get("/rest/api/3/myself").await.status, StatusCode::OK);
}
