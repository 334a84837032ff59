//! The worker against a real receiving server on loopback: fan-out by filter,
//! signed deliveries, retries with backoff, giving up, and the delivery log;
//! and (`jira`) flag state delivered to the Jira sandbox in both flavours.

mod dev;
mod ingest;
mod jira;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use tether_store::{MasterKey, NewProject, NewWebhook, Store, WebhookFilter};
use tether_sync::{MAX_ATTEMPTS, Worker, backoff, sign};

/// What the receiver saw: (headers, body).
type Seen = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

/// A receiver that answers `failures` 500s first, then 204s.
async fn receiver(failures: usize) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let remaining = Arc::new(Mutex::new(failures));
    let app = {
        let seen = seen.clone();
        axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let (seen, remaining) = (seen.clone(), remaining.clone());
                async move {
                    seen.lock().unwrap().push((headers, body.to_vec()));
                    let mut left = remaining.lock().unwrap();
                    if *left > 0 {
                        *left -= 1;
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::NO_CONTENT
                    }
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

struct Setup {
    store: Store,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store =
        Store::connect(&format!("sqlite://{}/t.db", dir.path().display()), MasterKey::generate())
            .await
            .unwrap();
    store.migrate().await.unwrap();
    let p = NewProject {
        key: "shop".into(),
        name: "Shop".into(),
        description: String::new(),
        environments: vec![],
    };
    store.create_project(&p, "t").await.unwrap();
    Setup { store, _dir: dir }
}

fn flag() -> tether_flags::Flag {
    tether_flags::Flag {
        key: "checkout".into(),
        name: "Checkout".into(),
        description: String::new(),
        kind: tether_flags::FlagKind::Boolean,
        variations: vec![
            tether_flags::Variation { key: "on".into(), name: String::new(), value: json!(true) },
            tether_flags::Variation { key: "off".into(), name: String::new(), value: json!(false) },
        ],
        tags: vec![],
        custom_properties: Default::default(),
    }
}

fn off() -> tether_flags::EnvConfig {
    tether_flags::EnvConfig {
        on: false,
        off_variation: "off".into(),
        targets: vec![],
        rules: vec![],
        default_rule: tether_flags::Serve::variation("on"),
    }
}

async fn hook(store: &Store, url: &str, filter: WebhookFilter) -> i64 {
    let new = NewWebhook {
        name: "ops".into(),
        url: url.to_owned(),
        secret: "s3cret".to_owned().into(),
        filter,
        enabled: true,
        created_by: None,
    };
    store.create_webhook(&new, "t").await.unwrap().id
}

/// Ticks until a tick claims nothing (bounded).
async fn drain(worker: &Worker) -> tether_sync::TickReport {
    let mut total = tether_sync::TickReport::default();
    for _ in 0..100 {
        let r = worker.tick().await.unwrap();
        total.claimed += r.claimed;
        total.fanned_out += r.fanned_out;
        total.delivered += r.delivered;
        total.retried += r.retried;
        total.given_up += r.given_up;
        if r.claimed == 0 {
            break;
        }
    }
    total
}

#[tokio::test]
async fn a_toggle_reaches_a_matching_webhook_signed_and_logged() {
    let s = setup().await;
    let (url, seen) = receiver(0).await;
    let filter = WebhookFilter { events: vec!["flag.config.updated".into()], ..Default::default() };
    let id = hook(&s.store, &url, filter).await;
    s.store.create_flag("shop", &flag(), &off(), "alice").await.unwrap();
    let mut on = off();
    on.on = true;
    s.store.update_flag_config("shop", "checkout", "production", &on, None, "alice").await.unwrap();

    let worker = Worker::new(s.store.clone(), "w1");
    let report = drain(&worker).await;
    assert_eq!((report.fanned_out, report.delivered), (1, 1), "{report:?}");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "only the config change matches the filter");
    let (headers, body) = &seen[0];
    let payload: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(payload["event"], "flag.config.updated");
    assert_eq!(
        (payload["project"].clone(), payload["environment"].clone()),
        (json!("shop"), json!("production"))
    );
    assert_eq!(
        (payload["flag"].clone(), payload["on"].clone(), payload["actor"].clone()),
        (json!("checkout"), json!(true), json!("alice"))
    );
    let timestamp: i64 = headers["x-tether-timestamp"].to_str().unwrap().parse().unwrap();
    let expected = format!("sha256={}", sign("s3cret", timestamp, body));
    assert_eq!(headers["x-tether-signature"].to_str().unwrap(), expected);
    assert_eq!(headers["x-tether-event"], "flag.config.updated");
    assert_eq!(headers["x-tether-delivery"].to_str().unwrap(), payload["id"].to_string());
    let log = s.store.deliveries(id, 10).await.unwrap();
    assert_eq!((log.len(), log[0].status_code, log[0].attempt), (1, Some(204), 1));
    assert_eq!(s.store.outbox_stats().await.unwrap().pending, 0);
}

#[tokio::test]
async fn failures_are_retried_with_the_same_delivery_id_until_they_succeed() {
    let s = setup().await;
    let (url, seen) = receiver(2).await;
    let id = hook(&s.store, &url, WebhookFilter::default()).await;
    s.store.create_flag("shop", &flag(), &off(), "alice").await.unwrap();
    let worker = Worker::new(s.store.clone(), "w1").with_retry_base(Duration::ZERO);
    let report = drain(&worker).await;
    assert_eq!((report.delivered, report.retried), (1, 2), "{report:?}");
    let seen = seen.lock().unwrap().clone();
    let ids: Vec<&str> =
        seen.iter().map(|(h, _)| h["x-tether-delivery"].to_str().unwrap()).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    let codes: Vec<Option<i64>> =
        s.store.deliveries(id, 10).await.unwrap().iter().rev().map(|d| d.status_code).collect();
    assert_eq!(codes, [Some(500), Some(500), Some(204)]);
}

#[tokio::test]
async fn a_receiver_that_never_recovers_is_given_up_after_the_last_attempt() {
    let s = setup().await;
    let (url, seen) = receiver(usize::MAX).await;
    hook(&s.store, &url, WebhookFilter::default()).await;
    s.store.create_flag("shop", &flag(), &off(), "alice").await.unwrap();
    let worker = Worker::new(s.store.clone(), "w1").with_retry_base(Duration::ZERO);
    let report = drain(&worker).await;
    assert_eq!(report.given_up, 1, "{report:?}");
    assert_eq!(seen.lock().unwrap().len() as i64, MAX_ATTEMPTS);
    assert_eq!(s.store.outbox_stats().await.unwrap().pending, 0);
}

#[tokio::test]
async fn filters_deleted_webhooks_and_unreachable_receivers() {
    let s = setup().await;
    let (url, seen) = receiver(0).await;
    let filter = WebhookFilter { projects: vec!["other".into()], ..Default::default() };
    hook(&s.store, &url, filter).await;
    s.store.create_flag("shop", &flag(), &off(), "alice").await.unwrap();
    let worker = Worker::new(s.store.clone(), "w1").with_retry_base(Duration::from_secs(3600));
    assert_eq!(drain(&worker).await.fanned_out, 0);
    assert!(seen.lock().unwrap().is_empty());

    // An unreachable receiver is a failure kept for later, logged with the cause.
    let new = NewWebhook {
        name: "down".into(),
        url: "http://127.0.0.1:1/hook".into(),
        secret: "x".to_owned().into(),
        filter: WebhookFilter::default(),
        enabled: true,
        created_by: None,
    };
    let down = s.store.create_webhook(&new, "t").await.unwrap().id;
    let mut on = off();
    on.on = true;
    s.store.update_flag_config("shop", "checkout", "staging", &on, None, "alice").await.unwrap();
    let report = drain(&worker).await;
    assert_eq!((report.fanned_out, report.retried), (1, 1), "{report:?}");
    let log = s.store.deliveries(down, 10).await.unwrap();
    assert!(log[0].error.as_deref().unwrap().contains("no answer"), "{log:?}");
    assert_eq!(s.store.outbox_stats().await.unwrap().pending, 1, "kept for a later attempt");
    // Deleting the webhook drops what was waiting for it.
    assert!(s.store.delete_webhook(down, "t").await.unwrap());
}

#[test]
fn backoff_doubles_from_its_base_and_stops_at_an_hour() {
    let check = |attempts: i64, secs: u64| {
        assert_eq!(
            backoff(Duration::from_secs(1), attempts),
            Duration::from_secs(secs),
            "{attempts}"
        )
    };
    check(1, 1);
    check(2, 2);
    check(5, 16);
    check(30, 3600);
    assert_eq!(backoff(Duration::ZERO, 7), Duration::ZERO);
}

#[test]
fn jira_waits_back_off_honour_retry_after_and_stop_at_the_cap() {
    let s = Duration::from_secs;
    let check = |attempts: i64, retry_after: Option<Duration>, expected: Duration| {
        assert_eq!(tether_sync::jira_delay(s(1), attempts, retry_after, s(300)), expected);
    };
    check(1, None, s(1));
    check(3, None, s(4));
    check(3, Some(s(30)), s(30));
    check(6, Some(s(2)), s(32));
    check(20, None, s(300));
    check(1, Some(s(3600)), s(300));
}

#[tokio::test]
async fn a_webhook_with_an_empty_filter_received_events_of_projects_its_creator_cannot_view() {
    // Reported: a webhook with no filter got the events of every project, including
    // projects the token that created it may not view.
    let s = setup().await;
    let blog = NewProject {
        key: "blog".into(),
        name: "Blog".into(),
        description: String::new(),
        environments: vec![],
    };
    s.store.create_project(&blog, "t").await.unwrap();
    s.store.put_member("ann", &["reader".to_owned()], "t").await.unwrap();
    s.store.put_role("shop-only", "allow * on proj/shop\nallow * on proj/shop:env/*:flag/*\nallow createWebhook on webhook/*", "t").await.unwrap();
    let creator = tether_store::NewToken {
        name: "ann-hooks".into(),
        kind: "service".into(),
        member: "ann".into(),
        created_by: None,
        roles: vec!["shop-only".into()],
    };
    let (creator, _) = s.store.create_token(&creator, "t").await.unwrap();
    let (url, seen) = receiver(0).await;
    let new = NewWebhook {
        name: "ann".into(),
        url,
        secret: "s3cret".to_owned().into(),
        filter: WebhookFilter::default(),
        enabled: true,
        created_by: Some(creator.id),
    };
    s.store.create_webhook(&new, "ann").await.unwrap();
    s.store.create_flag("shop", &flag(), &off(), "alice").await.unwrap();
    s.store.create_flag("blog", &flag(), &off(), "alice").await.unwrap();
    let worker = Worker::new(s.store.clone(), "w1");
    let report = drain(&worker).await;
    assert_eq!(report.fanned_out, 1, "{report:?}");
    let seen = seen.lock().unwrap().clone();
    let projects: Vec<Value> = seen
        .iter()
        .map(|(_, b)| serde_json::from_slice::<Value>(b).unwrap()["project"].clone())
        .collect();
    assert_eq!(projects, [json!("shop")], "blog is not the creator's to see");
    // A revoked creator's webhook carries nothing.
    s.store.revoke_token(creator.id, "t").await.unwrap();
    s.store
        .update_flag_config("shop", "checkout", "production", &off(), None, "alice")
        .await
        .unwrap();
    assert_eq!(drain(&worker).await.fanned_out, 0);
}

#[tokio::test]
async fn webhook_deliveries_followed_redirects_and_reached_internal_addresses() {
    // Reported: deliveries followed redirects and reached loopback and private
    // addresses. Under the product's policy a name resolving to loopback is refused
    // after resolution, and given up at once with the reason logged.
    let s = setup().await;
    let (url, seen) = receiver(0).await;
    let by_name = url.replace("127.0.0.1", "localhost");
    let id = hook(&s.store, &by_name, WebhookFilter::default()).await;
    s.store.create_flag("shop", &flag(), &off(), "alice").await.unwrap();
    let worker = Worker::new(s.store.clone(), "w1")
        .with_outbound(tether_jira::OutboundPolicy::PUBLIC_ONLY)
        .with_retry_base(Duration::ZERO);
    let report = drain(&worker).await;
    assert_eq!(report.delivered, 0, "{report:?}");
    assert!(seen.lock().unwrap().is_empty(), "nothing reached the loopback receiver");
    let log = s.store.deliveries(id, 10).await.unwrap();
    assert!(log[0].error.as_deref().unwrap_or("").contains("loopback"), "{log:?}");

    // A literal address is refused before any request, without retries.
    let (url, _) = receiver(0).await;
    let id = {
        let new = NewWebhook {
            name: "literal".into(),
            url,
            secret: "s3cret".to_owned().into(),
            filter: WebhookFilter::default(),
            enabled: true,
            created_by: None,
        };
        s.store.create_webhook(&new, "t").await.unwrap().id
    };
    s.store
        .update_flag_config("shop", "checkout", "production", &off(), None, "alice")
        .await
        .unwrap();
    let report = drain(&worker).await;
    let log = s.store.deliveries(id, 10).await.unwrap();
    assert_eq!(log.len(), 1, "refused once, not retried: {log:?} {report:?}");
    assert!(log[0].error.as_deref().unwrap().starts_with("refused to deliver"), "{log:?}");

    // Redirects are never followed, even where loopback is allowed.
    let target_hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let hits = target_hits.clone();
    let target = axum::Router::new().route(
        "/x",
        axum::routing::post(move || {
            hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { StatusCode::OK }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target_url = format!("http://{}/x", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, target).await });
    let redirect = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let to = target_url.clone();
            async move { axum::response::Redirect::temporary(&to) }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirecting = format!("http://{}/hook", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, redirect).await });
    let new = NewWebhook {
        name: "redirects".into(),
        url: redirecting,
        secret: "s3cret".to_owned().into(),
        filter: WebhookFilter::default(),
        enabled: true,
        created_by: None,
    };
    let id = s.store.create_webhook(&new, "t").await.unwrap().id;
    s.store.update_flag_config("shop", "checkout", "staging", &off(), None, "alice").await.unwrap();
    let open = Worker::new(s.store.clone(), "w2").with_retry_base(Duration::from_secs(3600));
    drain(&open).await;
    assert_eq!(
        target_hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the redirect was not followed"
    );
    let log = s.store.deliveries(id, 10).await.unwrap();
    assert_eq!(log[0].status_code, Some(307), "{log:?}");
}
