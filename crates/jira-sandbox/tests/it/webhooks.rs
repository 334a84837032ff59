//! Webhook registration: Cloud's dynamic app webhooks and the admin webhooks of
//! `/rest/webhooks/1.0`, and delivery of issue events to a receiver on loopback.

use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::support::{self, Auth, Server};

/// A receiver on 127.0.0.1 that forwards every POSTed body to the returned channel.
async fn receiver() -> (String, mpsc::UnboundedReceiver<Value>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Router::new()
        .route(
            "/hook",
            post(
                |State(tx): State<mpsc::UnboundedSender<Value>>, Json(v): Json<Value>| async move {
                    let _ = tx.send(v);
                },
            ),
        )
        .with_state(tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}

async fn next_event(rx: &mut mpsc::UnboundedReceiver<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a delivery")
        .expect("open")
}

/// An OAuth 2.0 access token: the dynamic webhook API is for apps only.
async fn app_token(srv: &Server) -> &'static str {
    let r = srv
        .call_as(
            Auth::None,
            Method::POST,
            "/oauth/token",
            Some(json!({"grant_type": "client_credentials", "client_id": "sandbox-client", "client_secret": "sandbox-secret"})),
        )
        .await;
    Box::leak(r.body["access_token"].as_str().unwrap().to_owned().into_boxed_str())
}

#[tokio::test]
async fn dynamic_webhooks_for_apps() {
    let srv = support::cloud().await;
    let (url, mut events) = receiver().await;
    let app = Auth::Bearer(app_token(&srv).await);
    let body = json!({
        "url": url,
        "webhooks": [
            {"events": ["jira:issue_updated", "jira:issue_deleted"], "jqlFilter": "project = SAND", "fieldIdsFilter": ["summary"]},
            {"events": ["bogus:event"], "jqlFilter": "project = SAND"},
            {"events": ["jira:issue_created"], "jqlFilter": "project = "},
            {"events": ["comment_created"], "jqlFilter": "project = SAND"},
        ],
    });
    let r =
        srv.call_as(Auth::Default, Method::POST, "/rest/api/3/webhook", Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "people cannot use the app API");
    let r = srv.call_as(app.clone(), Method::POST, "/rest/api/3/webhook", Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let results = r.body["webhookRegistrationResult"].as_array().unwrap();
    let created: Vec<Option<u64>> =
        results.iter().map(|x| x["createdWebhookId"].as_u64()).collect();
    assert!(
        created[0].is_some()
            && created[1].is_none()
            && created[2].is_none()
            && created[3].is_some()
    );
    assert!(results[1]["errors"][0].as_str().unwrap().contains("bogus:event"));
    assert!(results[2]["errors"].as_array().is_some_and(|e| !e.is_empty()));

    // (query, ids on the page, isLast)
    let cases = [
        ("", vec![created[0], created[3]], true),
        ("?maxResults=1", vec![created[0]], false),
        ("?startAt=1&maxResults=1", vec![created[3]], true),
    ];
    for (query, ids, is_last) in cases {
        let r = srv
            .call_as(app.clone(), Method::GET, &format!("/rest/api/3/webhook{query}"), None)
            .await;
        let got: Vec<Option<u64>> =
            r.body["values"].as_array().unwrap().iter().map(|w| w["id"].as_u64()).collect();
        assert_eq!(got, ids, "{query}");
        assert_eq!(r.body["isLast"], is_last, "{query}");
        assert_eq!(r.body["total"], 2);
    }
    let r = srv.call_as(app.clone(), Method::GET, "/rest/api/3/webhook", None).await;
    let first = &r.body["values"][0];
    assert_eq!(first["jqlFilter"], "project = SAND");
    assert_eq!(first["fieldIdsFilter"], json!(["summary"]));
    assert!(first["expirationDate"].as_i64().unwrap() > 0);

    // Delivery: a summary edit matches the field filter, a label edit does not.
    let key = srv.create(3, "Watched").await;
    let r =
        srv.put(&format!("/rest/api/3/issue/{key}"), json!({"fields": {"labels": ["x"]}})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = srv
        .put(&format!("/rest/api/3/issue/{key}"), json!({"fields": {"summary": "Watched closely"}}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let e = next_event(&mut events).await;
    assert_eq!(e["webhookEvent"], "jira:issue_updated");
    assert_eq!(e["issue"]["key"], key.as_str());
    assert_eq!(e["issue"]["fields"]["summary"], "Watched closely");
    let r = srv.delete(&format!("/rest/api/3/issue/{key}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let e = next_event(&mut events).await;
    assert_eq!(e["webhookEvent"], "jira:issue_deleted");
    assert_eq!(e["issue"]["key"], key.as_str());
    assert_eq!(srv.get(&format!("/rest/api/3/issue/{key}")).await.status, StatusCode::NOT_FOUND);

    let r = srv.call_as(app.clone(), Method::DELETE, "/rest/api/3/webhook", Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let ids = json!({"webhookIds": [created[0], created[3]]});
    let r = srv
        .call_as(app.clone(), Method::PUT, "/rest/api/3/webhook/refresh", Some(ids.clone()))
        .await;
    assert!(r.body["expirationDate"].as_i64().is_some());
    let r = srv.call_as(app.clone(), Method::DELETE, "/rest/api/3/webhook", Some(ids)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = srv.call_as(app, Method::GET, "/rest/api/3/webhook", None).await;
    assert_eq!(r.body["total"], 0);
    assert!(srv.sandbox.webhooks().is_empty());

    let dc = support::dc().await;
    assert_eq!(dc.get("/rest/api/2/webhook").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn admin_webhooks_in_both_flavours() {
    for srv in [support::cloud().await, support::dc().await] {
        let (url, mut events) = receiver().await;
        let hook = json!({
            "name": "tether",
            "url": url,
            "events": ["jira:issue_updated", "jira:issue_deleted"],
            "filters": {"issue-related-events-section": "project = SAND"},
            "excludeBody": false,
        });
        // (body, status)
        let cases = [
            (json!({"url": "http://127.0.0.1:1/x", "events": []}), StatusCode::BAD_REQUEST),
            (json!({"name": "x", "url": "not a url", "events": []}), StatusCode::BAD_REQUEST),
            (
                json!({"name": "x", "url": "http://127.0.0.1:1/x", "filters": {"issue-related-events-section": "project ="}}),
                StatusCode::BAD_REQUEST,
            ),
            (hook.clone(), StatusCode::CREATED),
        ];
        let mut created = Value::Null;
        for (body, status) in cases {
            let r = srv.post("/rest/webhooks/1.0/webhook", body.clone()).await;
            assert_eq!(r.status, status, "{body}: {:?}", r.body);
            created = r.body;
        }
        assert_eq!(created["name"], "tether");
        assert_eq!(created["enabled"], true);
        assert_eq!(created["filters"]["issue-related-events-section"], "project = SAND");
        let self_url = created["self"].as_str().unwrap().to_owned();
        let path = &self_url[srv.base.len()..];
        assert!(path.starts_with("/rest/webhooks/1.0/webhook/"));

        let list = srv.get("/rest/webhooks/1.0/webhook").await;
        assert_eq!(list.body.as_array().unwrap().len(), 1);
        assert_eq!(srv.get(path).await.body["url"], url.as_str());

        let key = srv.create(2, "Hooked").await;
        let r = srv
            .post(
                &format!("/rest/api/2/issue/{key}/transitions"),
                json!({"transition": {"id": "21"}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let e = next_event(&mut events).await;
        assert_eq!(e["webhookEvent"], "jira:issue_updated");
        assert_eq!(e["issue"]["fields"]["status"]["name"], "In Progress");

        let mut renamed = hook.clone();
        renamed["name"] = json!("renamed");
        let r = srv.put(path, renamed).await;
        assert_eq!(r.body["name"], "renamed");
        assert_eq!(srv.delete(path).await.status, StatusCode::NO_CONTENT);
        assert_eq!(srv.get(path).await.status, StatusCode::NOT_FOUND);
        assert_eq!(srv.delete(path).await.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn admin_webhooks_need_administer() {
    let config = jira_sandbox::SandboxConfig {
        denied_permissions: vec![jira_sandbox::PermissionDenial {
            user: "admin".into(),
            project: None,
            permission: "ADMINISTER".into(),
        }],
        ..jira_sandbox::SandboxConfig::with_flavour(jira_sandbox::Flavour::data_center("9.12.0"))
    };
    let srv = support::start(config).await;
    assert_eq!(srv.get("/rest/webhooks/1.0/webhook").await.status, StatusCode::FORBIDDEN);
}
