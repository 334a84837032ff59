//! Issue properties searchable in JQL once an app declares them: a Connect app's
//! `jiraEntityProperties` (read from its descriptor at install) or a Forge app's
//! `jira:entityProperty` modules (registered through `/_sandbox`), each value compared as its
//! declared type says, by path or alias; gone when the app is.

use axum::routing::{get, post};
use axum::{Json, Router};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{self, Auth, Server};

/// A loopback Connect app whose descriptor indexes `tether.flags`.
async fn start_app() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let descriptor = json!({
        "key": "dev.tether.index", "name": "tether", "baseUrl": base, "authentication": {"type": "jwt"},
        "lifecycle": {"installed": "/installed"}, "scopes": ["READ", "WRITE"],
        "modules": {"jiraEntityProperties": [{
            "key": "tether-flags-index", "name": {"value": "tether flags"}, "entityType": "issue",
            "keyConfigurations": [{"propertyKey": "tether.flags", "extractions": [
                {"objectName": "flags", "type": "string", "alias": "tetherFlag"},
                {"objectName": "count", "type": "number"},
                {"objectName": "updated", "type": "date"},
                {"objectName": "note", "type": "text"},
                {"objectName": "owner", "type": "user"},
                {"objectName": "environments.name", "type": "string", "alias": "tetherEnvironment"}]}]}]},
    });
    let router = Router::new()
        .route("/atlassian-connect.json", get(move || async move { Json(descriptor) }))
        .route("/installed", post(|| async { StatusCode::NO_CONTENT }));
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

async fn search(srv: &Server, jql: &str) -> Result<Vec<String>, String> {
    let r = srv.post("/rest/api/3/search/jql", json!({"jql": jql, "fields": ["summary"]})).await;
    if r.status != StatusCode::OK {
        return Err(support::jira_error(&r));
    }
    let mut keys: Vec<String> = r.body["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_owned())
        .collect();
    keys.sort();
    Ok(keys)
}

async fn property(srv: &Server, key: &str, value: Value) {
    let r = srv.put(&format!("/rest/api/3/issue/{key}/properties/tether.flags"), value).await;
    assert!(r.status.is_success(), "{:?}", r.body);
}

#[tokio::test]
async fn a_connect_apps_declared_extractions_are_searchable() {
    let srv = support::cloud().await;
    let (a, b, c) = (srv.create(3, "A").await, srv.create(3, "B").await, srv.create(3, "C").await);
    // Before any app declares it, the property is not searchable.
    let err =
        search(&srv, "issue.property[tether.flags].flags = \"new-checkout\"").await.unwrap_err();
    assert!(err.contains("does not exist"), "{err}");

    let base = start_app().await;
    let r = srv
        .call_as(
            Auth::None,
            Method::POST,
            "/_sandbox/connect/install",
            Some(json!({"descriptorUrl": format!("{base}/atlassian-connect.json")})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let me = srv.get("/rest/api/3/myself").await.body["accountId"].as_str().unwrap().to_owned();
    property(&srv, &a, json!({"flags": ["new-checkout", "dark-mode"], "count": 3, "updated": "2024-05-01T10:00:00Z",
                              "note": "Rolled out to beta users", "owner": me,
                              "environments": [{"name": "production", "on": true}, {"name": "staging", "on": false}]})).await;
    property(&srv, &b, json!({"flags": ["dark-mode"], "count": 1, "updated": "2024-04-01T10:00:00Z", "note": "internal only"})).await;
    property(&srv, &c, json!({"unrelated": true})).await;

    let p = |path: &str| format!("project = SAND AND issue.property[tether.flags].{path}");
    let cases: Vec<(String, Result<Vec<&str>, &str>)> = vec![
        (p("flags = \"new-checkout\""), Ok(vec![&a])),
        (p("flags = \"dark-mode\""), Ok(vec![&a, &b])),
        (p("flags in (\"new-checkout\", nope)"), Ok(vec![&a])),
        (p("flags != \"new-checkout\""), Ok(vec![&b])),
        (p("flags is EMPTY"), Ok(vec![&c])),
        ("project = SAND AND tetherFlag = \"dark-mode\"".into(), Ok(vec![&a, &b])),
        ("project = SAND AND tetherEnvironment = staging".into(), Ok(vec![&a])),
        (p("count > 2"), Ok(vec![&a])),
        (p("count <= 3"), Ok(vec![&a, &b])),
        (p("count in (1, 7)"), Ok(vec![&b])),
        (p("updated >= \"2024-04-15\""), Ok(vec![&a])),
        (p("updated < \"2024/04/15 00:00\""), Ok(vec![&b])),
        (p("note ~ beta"), Ok(vec![&a])),
        (p("note !~ beta"), Ok(vec![&b])),
        (p("owner = currentUser()"), Ok(vec![&a])),
        (p("owner = \"admin@sandbox.test\""), Ok(vec![&a])),
        (p("other = x"), Err("Field 'issue.property[tether.flags].other' does not exist")),
        (p("count = many"), Err("is not a number")),
        (p("note = beta"), Err("The operator '=' is not supported")),
        (p("flags ~ new"), Err("The operator '~' is not supported")),
        (
            "project = SAND AND tetherColour = red".into(),
            Err("Field 'tetherColour' does not exist"),
        ),
    ];
    for (jql, want) in cases {
        let got = search(&srv, &jql).await;
        match want {
            Ok(keys) => {
                let mut keys: Vec<String> = keys.into_iter().map(str::to_owned).collect();
                keys.sort();
                assert_eq!(got, Ok(keys), "{jql}");
            }
            Err(fragment) => {
                let err = got.expect_err(&jql);
                assert!(err.contains(fragment), "{jql}: {err}");
            }
        }
    }
    let listed =
        srv.call_as(Auth::None, Method::GET, "/_sandbox/entity-properties", None).await.body;
    assert_eq!(
        listed[0],
        json!({"property_key": "tether.flags", "path": "flags", "kind": "string", "alias": "tetherFlag"})
    );

    // Uninstalled, the app's index goes with it.
    let r = srv
        .call_as(
            Auth::None,
            Method::POST,
            "/_sandbox/connect/uninstall",
            Some(json!({"key": "dev.tether.index"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(search(&srv, &p("flags = \"dark-mode\"")).await.is_err());
}

#[tokio::test]
async fn forge_modules_registered_through_the_admin_api_are_searchable() {
    let srv = support::cloud().await;
    let a = srv.create(3, "A").await;
    property(&srv, &a, json!({"flags": ["new-checkout"]})).await;
    let modules = json!([{"key": "tether-flags", "entityType": "issue", "propertyKey": "tether.flags",
                          "values": [{"path": "flags", "type": "string", "searchAlias": "tetherFlag"}]}]);
    let path = "/_sandbox/forge/tether-forge/entity-properties";
    let r = srv.call_as(Auth::None, Method::POST, path, Some(modules)).await;
    assert_eq!((r.status, r.body["indexed"].as_u64()), (StatusCode::CREATED, Some(1)));
    assert_eq!(
        search(&srv, "project = SAND AND tetherFlag = \"new-checkout\"").await,
        Ok(vec![a.clone()])
    );
    let r = srv.call_as(Auth::None, Method::POST, path, Some(json!([{"values": []}]))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        srv.call_as(Auth::None, Method::DELETE, path, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        srv.call_as(Auth::None, Method::DELETE, path, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(search(&srv, "project = SAND AND tetherFlag = \"new-checkout\"").await.is_err());
}
