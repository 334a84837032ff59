//! End to end: a running `tether serve` delivers a signed webhook for a toggle
//! made through its API.

use std::time::Duration;

use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::Sandboxed;

#[tokio::test]
async fn a_toggle_through_the_api_is_delivered_to_a_webhook() {
    let t = Sandboxed::new();
    let (code, token, err) =
        t.run(&["tokens", "create", "--name", "ops", "--role", "admin"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let token = token.trim().to_owned();

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(HeaderMap, Value)>();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, axum::Json(body): axum::Json<Value>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((headers, body));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut server = t.start(&["serve"], &[]).await;
    let client = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        client.post(format!("{}{path}", server.url)).bearer_auth(&token).json(&body).send()
    };
    assert_eq!(
        post("/api/projects", json!({"key": "shop", "name": "Shop"})).await.unwrap().status(),
        201
    );
    let hook = json!({"name": "ops", "url": hook_url, "secret": "sixteen-chars-or-more",
        "filter": {"events": ["flag.config.updated"]}});
    assert_eq!(post("/api/webhooks", hook).await.unwrap().status(), 201);
    let flag = json!({"key": "checkout", "name": "Checkout", "kind": "boolean",
        "variations": [{"key": "on", "value": true}, {"key": "off", "value": false}]});
    assert_eq!(post("/api/projects/shop/flags", flag).await.unwrap().status(), 201);
    let r = post("/api/projects/shop/flags/checkout/environments/production/toggle", json!({}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let (headers, body) = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("no webhook arrived within 30 s")
        .unwrap();
    assert_eq!(body["event"], "flag.config.updated");
    assert_eq!(
        (body["flag"].clone(), body["environment"].clone(), body["on"].clone()),
        (json!("checkout"), json!("production"), json!(true))
    );
    assert_eq!(body["actor"], "admin/ops");
    assert!(headers["x-tether-signature"].to_str().unwrap().starts_with("sha256="));
    server.signal("TERM");
    assert_eq!(server.child.wait().await.unwrap().code(), Some(0));
}

#[tokio::test]
async fn outbound_requests_to_internal_addresses_are_refused_by_default() {
    // Reported: webhooks and Jira site URLs accepted loopback, link-local
    // (169.254.169.254) and private addresses.
    let t = Sandboxed::new();
    let (code, token, err) =
        t.run(&["tokens", "create", "--name", "ops", "--role", "admin"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let token = token.trim().to_owned();
    // The product's defaults, not the tests' loopback allowance.
    let server = t.start(&["serve"], &[("TETHER_OUTBOUND_ALLOW_LOOPBACK", "false")]).await;
    let client = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        client.post(format!("{}{path}", server.url)).bearer_auth(&token).json(&body).send()
    };
    for url in
        ["http://127.0.0.1:9/hook", "http://169.254.169.254/latest/meta-data", "http://10.0.0.8/x"]
    {
        let r =
            post("/api/webhooks", json!({"name": "w", "url": url, "secret": "0123456789abcdef"}))
                .await
                .unwrap();
        assert_eq!(r.status(), 422, "{url}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["field"], "url", "{body}");
        assert!(body["message"].as_str().unwrap().contains("not allowed"), "{body}");
    }
    let site = json!({"name": "inside", "url": "http://192.168.1.10/jira", "kind": "pat",
        "user": "", "secret": "x"});
    let r = post("/api/jira/sites", site).await.unwrap();
    assert_eq!(r.status(), 422);
    server.signal("TERM");
}
