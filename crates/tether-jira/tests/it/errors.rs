//! The error enum's mapping, retries on 5xx/429/503 and their limits. Request counts are
//! observed through the sandbox's rate-limit window: once it is spent, the next request gets a
//! 429 whose Retry-After (a minute) is longer than the client waits.

use std::time::Duration;

use futures_util::TryStreamExt;
use jira_sandbox::{Knobs, PermissionDenial, RateLimit, SandboxConfig};
use tether_jira::{Doc, Error, Options, Search};

use crate::support::{self, fast};

#[tokio::test]
async fn statuses_map_to_what_a_caller_acts_on() {
    let config = SandboxConfig {
        denied_permissions: vec![PermissionDenial {
            user: "admin".into(),
            project: Some("SAND".into()),
            permission: "ADD_COMMENTS".into(),
        }],
        ..SandboxConfig::default()
    };
    let server = support::start(config).await;
    let client = server.client().await;
    let key = server.new_issue(&client, "errors").await;

    let err = client.issue("SAND-999", &[], &[]).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    let err = client.add_comment(&key, &Doc::text("x")).await.unwrap_err();
    assert!(matches!(&err, Error::Forbidden { messages } if !messages.is_empty()), "{err:?}");
    let err = client.search(Search::jql("project = ")).try_collect::<Vec<_>>().await.unwrap_err();
    assert!(
        matches!(&err, Error::BadRequest { status: 400, messages } if !messages.is_empty()),
        "{err:?}"
    );
    // Cloud removed the legacy search.
    let err = client.get_json("search", &[("jql", "project = SAND")]).await.unwrap_err();
    assert!(matches!(err, Error::BadRequest { status: 410, .. }), "{err:?}");
    let err = client
        .create_issue(&tether_jira::NewIssue { project_key: "SAND".into(), ..Default::default() })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::BadRequest { status: 400, messages } if !messages.is_empty()),
        "{err:?}"
    );

    let html = support::not_jira(200, "text/html", "<html></html>").await;
    let other = tether_jira::Client::with_deployment(
        tether_jira::Site::new(html, tether_jira::Auth::Anonymous),
        fast(),
        client.deployment(),
        None,
    )
    .unwrap();
    let err = other.myself().await.unwrap_err();
    assert!(
        matches!(&err, Error::Decode { endpoint, .. } if endpoint == "GET /rest/api/3/myself"),
        "{err:?}"
    );
    let closed = tether_jira::Client::with_deployment(
        tether_jira::Site::new(support::closed_port().await, tether_jira::Auth::Anonymous),
        Options { max_retries: 1, ..fast() },
        client.deployment(),
        None,
    )
    .unwrap();
    let err = closed.myself().await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)) && err.is_transient(), "{err:?}");
}

#[tokio::test]
async fn rate_limits_honour_retry_after() {
    let server = support::cloud().await;
    let client = server.client().await;
    server.sandbox.set_knobs(Knobs {
        rate_limit: Some(RateLimit { requests: 2, window_seconds: 1 }),
        ..Knobs::default()
    });
    // Six requests through a 2-per-second window: with millisecond backoffs and five retries,
    // only waiting out Retry-After gets them all through.
    for _ in 0..6 {
        client.myself().await.expect("waited out the rate limit");
    }
}

#[tokio::test]
async fn a_retry_after_beyond_patience_is_handed_back() {
    let server = support::cloud().await;
    let client = server.client().await;
    server.sandbox.set_knobs(Knobs {
        rate_limit: Some(RateLimit { requests: 1, window_seconds: 60 }),
        ..Knobs::default()
    });
    client.myself().await.unwrap();
    let err = client.myself().await.unwrap_err();
    assert!(err.is_transient() && err.retry_after().is_some(), "{err:?}");
    let Error::RateLimited { retry_after: Some(wait) } = err else { panic!("{err:?}") };
    assert!(wait > Duration::from_secs(5) && wait <= Duration::from_secs(60), "{wait:?}");
}

#[tokio::test]
async fn server_errors_are_retried() {
    for (status, rate) in [(500u16, 0.5), (502, 0.5), (503, 0.3)] {
        let server = support::dc().await;
        let client = server.client().await;
        server.sandbox.set_knobs(Knobs {
            fault_rate: rate,
            fault_statuses: vec![status],
            ..Knobs::default()
        });
        for _ in 0..4 {
            client.myself().await.unwrap_or_else(|e| panic!("{status}: {e:?}"));
        }
    }
    let server = support::dc().await;
    let client =
        server.client_with(server.default_auth(), Options { max_retries: 2, ..fast() }).await;
    server.sandbox.set_knobs(Knobs {
        fault_rate: 1.0,
        fault_statuses: vec![500],
        ..Knobs::default()
    });
    assert!(matches!(client.myself().await, Err(Error::Unavailable { status: 500, .. })));
}

#[tokio::test]
async fn other_4xx_and_non_idempotent_500s_are_not_retried() {
    let server = support::cloud().await;
    let client = server.client().await;
    let key = server.new_issue(&client, "count me").await;
    // A 404 costs one request of the window of two: the next succeeds, the one after is over.
    server.sandbox.set_knobs(Knobs {
        rate_limit: Some(RateLimit { requests: 2, window_seconds: 60 }),
        ..Knobs::default()
    });
    assert!(matches!(client.issue("SAND-999", &[], &[]).await, Err(Error::NotFound { .. })));
    client.myself().await.expect("second request of the window");
    assert!(matches!(client.myself().await, Err(Error::RateLimited { .. })));

    // Adding a comment is not idempotent: a 500 may come after the write, so it is not
    // repeated. A GET is, and its retry runs into the spent window.
    server.sandbox.set_knobs(Knobs {
        rate_limit: Some(RateLimit { requests: 2, window_seconds: 60 }),
        fault_rate: 1.0,
        fault_statuses: vec![500],
        ..Knobs::default()
    });
    let err = client.add_comment(&key, &Doc::text("once")).await.unwrap_err();
    assert!(matches!(err, Error::Unavailable { status: 500, .. }), "{err:?}");
    assert!(matches!(client.myself().await, Err(Error::RateLimited { .. })));
}

#[tokio::test]
async fn concurrency_cap_and_pace_still_complete_everything() {
    let server = support::dc().await;
    let options = Options { max_concurrency: 2, requests_per_second: Some(200.0), ..fast() };
    let client = server.client_with(server.default_auth(), options).await;
    let calls = (0..20).map(|_| {
        let c = client.clone();
        async move { c.myself().await }
    });
    let results = futures_util::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
}

#[tokio::test]
async fn errors_tell_a_worker_whether_and_when_to_try_again() {
    let server = support::cloud().await;
    let once = Options { max_retries: 0, ..fast() };
    let client = server.client_with(server.default_auth(), once.clone()).await;
    let fault =
        |status| Knobs { fault_rate: 1.0, fault_statuses: vec![status], ..Knobs::default() };
    // (knobs, transient, Retry-After): the sandbox sends `Retry-After: 1` with its 503s.
    let cases = [
        (fault(503), true, Some(Duration::from_secs(1))),
        (fault(500), true, None),
        (fault(502), true, None),
        (fault(408), true, None),
        (fault(400), false, None),
    ];
    for (knobs, transient, retry_after) in cases {
        let status = knobs.fault_statuses[0];
        server.sandbox.set_knobs(knobs);
        let err = client.myself().await.unwrap_err();
        assert_eq!(
            (err.is_transient(), err.retry_after()),
            (transient, retry_after),
            "{status}: {err:?}"
        );
    }
    server.sandbox.set_knobs(Knobs::default());
    let err = client.issue("SAND-999", &[], &[]).await.unwrap_err();
    assert!(!err.is_transient(), "{err:?}");
    let wrong =
        server.client_with(tether_jira::Auth::api_token("x@y.z", "nope"), once.clone()).await;
    let err = wrong.myself().await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }) && !err.is_transient(), "{err:?}");

    // No answer in time: a timeout, which is worth another try.
    let impatient = server
        .client_with(server.default_auth(), Options { timeout: Duration::from_millis(200), ..once })
        .await;
    server.sandbox.set_knobs(Knobs { latency_ms: 5_000, latency_rate: 1.0, ..Knobs::default() });
    let err = impatient.myself().await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)) && err.is_transient(), "{err:?}");
}
