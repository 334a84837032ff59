//! Knobs: rate limiting with Jira's headers, injected faults and timeouts (and the path they
//! are scoped to), runtime changes over HTTP.

use std::time::Duration;

use jira_sandbox::{CLOUD_ID, DEFAULT_API_TOKEN, DEFAULT_EMAIL, Knobs, RateLimit, SandboxConfig};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

/// A client with a 300 ms timeout, as a sync engine would configure one.
fn impatient() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_millis(300)).build().unwrap()
}

async fn myself(client: &reqwest::Client, srv: &support::Server) -> reqwest::Result<StatusCode> {
    let r = client
        .get(format!("{}/rest/api/3/myself", srv.base))
        .basic_auth(DEFAULT_EMAIL, Some(DEFAULT_API_TOKEN))
        .send()
        .await?;
    Ok(r.status())
}

#[tokio::test]
async fn injected_timeouts_make_a_client_with_a_shorter_timeout_time_out() {
    // The default hold is 30 s, far beyond the client's 300 ms.
    let config = SandboxConfig {
        knobs: Knobs { timeout_rate: 1.0, ..Knobs::default() },
        ..SandboxConfig::default()
    };
    assert_eq!(config.knobs.timeout_ms, 30_000);
    let srv = support::start(config).await;
    let client = impatient();
    for _ in 0..2 {
        let err = myself(&client, &srv).await.expect_err("held past the client's timeout");
        assert!(err.is_timeout(), "{err:?}");
    }
    // Off again at runtime: the same client gets its answer.
    srv.sandbox.set_knobs(Knobs { timeout_rate: 0.0, ..Knobs::default() });
    assert_eq!(myself(&client, &srv).await.unwrap(), StatusCode::OK);
}

#[tokio::test]
async fn an_injected_timeout_drops_the_connection_without_a_response() {
    let config = SandboxConfig {
        knobs: Knobs { timeout_rate: 1.0, timeout_ms: 20, ..Knobs::default() },
        ..SandboxConfig::default()
    };
    let srv = support::start(config).await;
    let addr = srv.base.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /rest/api/3/serverInfo HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    // Waits for the server's first move: closing (0 bytes, or a reset) or answering.
    let mut buf = [0u8; 256];
    let n = tcp.read(&mut buf).await.unwrap_or(0);
    assert_eq!(n, 0, "an answer came back: {:?}", String::from_utf8_lossy(&buf[..n]));
    // A patient client sees the connection close, not a timeout and not a status.
    let err = myself(&reqwest::Client::new(), &srv).await.expect_err("no answer");
    assert!(!err.is_timeout() && err.status().is_none(), "{err:?}");
}

#[tokio::test]
async fn faults_and_timeouts_can_be_scoped_to_a_path_prefix() {
    let srv = support::cloud().await;
    // Set over HTTP, as a test in another process would.
    let knobs = json!({"fault_rate": 1.0, "fault_statuses": [500], "timeout_rate": 0.0,
                       "fault_path_prefix": "/rest/featureflags"});
    let r = srv.call_as(Auth::None, Method::PUT, "/_sandbox/knobs", Some(knobs)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["fault_path_prefix"], "/rest/featureflags");
    assert_eq!(r.body["timeout_ms"], 30_000);
    assert_eq!(srv.get("/rest/api/3/myself").await.status, StatusCode::OK);
    let r = srv.get("/rest/featureflags/0.1/flag/x").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    // The OAuth 2.0 gateway form is matched by the path it stands for.
    let r = srv.get(&format!("/jira/featureflags/0.1/cloud/{CLOUD_ID}/flag/x")).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);

    let knobs = json!({"timeout_rate": 1.0, "fault_path_prefix": "/rest/featureflags"});
    srv.call_as(Auth::None, Method::PUT, "/_sandbox/knobs", Some(knobs)).await;
    let client = impatient();
    assert_eq!(myself(&client, &srv).await.unwrap(), StatusCode::OK);
    let err = client
        .get(format!("{}/rest/featureflags/0.1/flag/x", srv.base))
        .basic_auth(DEFAULT_EMAIL, Some(DEFAULT_API_TOKEN))
        .send()
        .await
        .expect_err("held");
    assert!(err.is_timeout(), "{err:?}");
}
