//! `/api/projects/{project}/environments…`: environments added, changed and
//! deleted on a live project; validation (422 with the field), versions (412),
//! policies (403 naming the action), one primary, and what OFREP sees: a new
//! environment's own SDK key, and a deleted environment's key refused (401),
//! also when another process deleted it.

use reqwest::Method;
use serde_json::{Value, json};
use tether_server::ServerConfig;

use crate::TestServer;

/// (status, body, ETag) of a request with the admin token, or `token`.
async fn send(
    s: &TestServer,
    method: Method,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (u16, Value, Option<String>) {
    let mut req = s.client.request(method, s.at(path));
    if let Some(body) = body {
        req = req.json(&body);
    }
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let etag = r.headers().get("etag").map(|v| v.to_str().unwrap().to_owned());
    (status, r.json().await.unwrap_or(Value::Null), etag)
}

const ENVS: &str = "/api/projects/shop/environments";

/// Project `shop` (development, staging, production primary) with flag
/// `checkout`, on in production with alice targeted to `on`.
async fn setup(s: &TestServer) {
    let (status, _, _) =
        send(s, Method::POST, "/api/projects", Some(json!({"key": "shop", "name": "Shop"})), &[])
            .await;
    assert_eq!(status, 201);
    let flag = json!({"key": "checkout", "name": "Checkout", "kind": "boolean",
        "variations": [{"key": "on", "value": true}, {"key": "off", "value": false}]});
    assert_eq!(send(s, Method::POST, "/api/projects/shop/flags", Some(flag), &[]).await.0, 201);
    let config = json!({"on": true, "off_variation": "off", "default_rule": {"variation": "off"},
        "targets": [{"variation": "on", "keys": ["alice"]}]});
    let path = "/api/projects/shop/flags/checkout/environments/production";
    assert_eq!(send(s, Method::PUT, path, Some(config), &[]).await.0, 200);
}

/// (key, primary) of the project's environments, and its version.
async fn listed(s: &TestServer) -> (Vec<(String, bool)>, i64) {
    let (status, list, etag) = send(s, Method::GET, ENVS, None, &[]).await;
    assert_eq!(status, 200, "{list}");
    let envs: Vec<(String, bool)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["key"].as_str().unwrap().to_owned(), e["primary"].as_bool().unwrap()))
        .collect();
    let version = list[0]["version"].as_i64().unwrap();
    assert_eq!(etag, Some(format!("\"{version}\"")));
    (envs, version)
}

fn envs(list: &[(&str, bool)]) -> Vec<(String, bool)> {
    list.iter().map(|(k, p)| ((*k).to_owned(), *p)).collect()
}

async fn sdk_key(s: &TestServer, env: &str) -> String {
    let path = format!("/api/projects/shop/environments/{env}/sdk-keys");
    let (status, body, _) = send(s, Method::POST, &path, None, &[]).await;
    assert_eq!(status, 201, "{body}");
    body["key"].as_str().unwrap().to_owned()
}

/// OFREP's (status, value, reason) for `checkout` and a targeting key.
async fn evaluate(s: &TestServer, sdk_key: &str, who: &str) -> (u16, Value, Value) {
    let r = reqwest::Client::new()
        .post(s.at("/ofrep/v1/evaluate/flags/checkout"))
        .bearer_auth(sdk_key)
        .json(&json!({"context": {"targetingKey": who}}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    (status, body["value"].clone(), body["reason"].clone())
}

#[tokio::test]
async fn an_environment_is_added_renamed_and_deleted_with_versions() {
    let s = TestServer::start().await;
    setup(&s).await;
    let (list, version) = listed(&s).await;
    assert_eq!(list, envs(&[("development", false), ("staging", false), ("production", true)]));
    assert_eq!(version, 1);

    let body = json!({"key": "qa", "name": "QA", "kind": "testing"});
    let (status, qa, etag) = send(&s, Method::POST, ENVS, Some(body), &[]).await;
    assert_eq!(status, 201, "{qa}");
    assert_eq!(
        qa,
        json!({"key": "qa", "name": "QA", "kind": "testing", "primary": false, "version": 2})
    );
    assert_eq!(etag.as_deref(), Some("\"2\""));
    let (_, flag, _) = send(&s, Method::GET, "/api/projects/shop/flags/checkout", None, &[]).await;
    let qa_config = &flag["environments"][3];
    assert_eq!(
        (&qa_config["env"], &qa_config["on"], &qa_config["off_variation"], &qa_config["targets"]),
        (&json!("qa"), &json!(false), &json!("off"), &json!([])),
        "every flag starts off in a new environment: {flag}"
    );

    let qa_path = format!("{ENVS}/qa");
    let rename = json!({"name": "Quality"});
    let (status, saved, _) =
        send(&s, Method::PATCH, &qa_path, Some(rename.clone()), &[("if-match", "\"2\"")]).await;
    assert_eq!((status, &saved["name"], &saved["version"]), (200, &json!("Quality"), &json!(3)));
    let (status, err, _) =
        send(&s, Method::PATCH, &qa_path, Some(json!({"name": "Lost", "version": 2})), &[]).await;
    assert_eq!((status, err["code"].as_str()), (412, Some("version_mismatch")), "{err}");
    let (status, err, _) =
        send(&s, Method::PUT, &qa_path, Some(json!({"name": "Only a name"})), &[]).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("kind")), "{err}");
    let put = json!({"key": "qa", "name": "Staging 2", "kind": "staging", "version": 3});
    let (status, saved, _) = send(&s, Method::PUT, &qa_path, Some(put), &[]).await;
    assert_eq!(
        saved,
        json!({"key": "qa", "name": "Staging 2", "kind": "staging", "primary": false, "version": 4}),
        "{status}"
    );

    let (status, err, _) = send(&s, Method::DELETE, &qa_path, None, &[("if-match", "3")]).await;
    assert_eq!(status, 412, "{err}");
    let (status, _, _) = send(&s, Method::DELETE, &qa_path, None, &[("if-match", "4")]).await;
    assert_eq!(status, 204);
    let (list, version) = listed(&s).await;
    assert_eq!((list.len(), version), (3, 5));
    let (status, err, _) = send(&s, Method::DELETE, &qa_path, None, &[]).await;
    assert_eq!(
        (status, err["message"].as_str()),
        (404, Some("no environment \"qa\" in project \"shop\""))
    );

    let audit = s.store.audit_log(Some("proj/shop:env/qa"), 10).await.unwrap();
    let actions: Vec<(&str, &str)> =
        audit.iter().map(|e| (e.action.as_str(), e.actor.as_str())).collect();
    assert_eq!(
        actions,
        [
            ("environment.delete", "admin/test-admin"),
            ("environment.update", "admin/test-admin"),
            ("environment.update", "admin/test-admin"),
            ("environment.create", "admin/test-admin"),
        ]
    );
}

#[tokio::test]
async fn invalid_requests_are_422_with_the_field_and_write_nothing() {
    let s = TestServer::start().await;
    setup(&s).await;
    let check = |method: Method, path: String, body: Value, field: &'static str| {
        let s = &s;
        async move {
            let (status, err, _) = send(s, method.clone(), &path, Some(body.clone()), &[]).await;
            assert_eq!(
                (status, err["code"].as_str(), err["field"].as_str()),
                (422, Some("invalid"), Some(field)),
                "{method} {path} {body}: {err}"
            );
        }
    };
    let post = |body: Value, field| check(Method::POST, ENVS.to_owned(), body, field);
    post(json!({"key": "QA!", "name": "QA", "kind": "testing"}), "key").await;
    post(json!({"key": "qa", "name": "  ", "kind": "testing"}), "name").await;
    post(json!({"key": "qa", "name": "QA", "kind": "prod"}), "kind").await;
    post(json!({"key": "qa", "name": "QA"}), "kind").await;
    post(json!({"name": "QA", "kind": "testing"}), "key").await;
    post(json!({"key": "qa", "name": "QA", "kind": "testing", "copy_from": "nope"}), "copy_from")
        .await;
    let patch =
        |env: &str, body: Value, field| check(Method::PATCH, format!("{ENVS}/{env}"), body, field);
    patch("staging", json!({"key": "stage"}), "key").await;
    patch("staging", json!({"name": ""}), "name").await;
    patch("staging", json!({"kind": "qa"}), "kind").await;
    patch("production", json!({"primary": false}), "primary").await;
    check(Method::PUT, format!("{ENVS}/staging"), json!({"kind": "staging"}), "name").await;

    let (status, err, _) = send(
        &s,
        Method::POST,
        ENVS,
        Some(json!({"key": "staging", "name": "Again", "kind": "staging"})),
        &[],
    )
    .await;
    assert_eq!((status, err["code"].as_str()), (409, Some("conflict")), "{err}");
    let (list, version) = listed(&s).await;
    assert_eq!((list.len(), version), (3, 1), "nothing written");
    let audit = s.store.audit_log(None, 100).await.unwrap();
    assert!(audit.iter().all(|e| !e.action.starts_with("environment.")), "{audit:?}");
    let (status, _, _) = send(&s, Method::GET, "/api/projects/nope/environments", None, &[]).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn one_environment_is_primary_and_it_cannot_be_deleted() {
    let s = TestServer::start().await;
    setup(&s).await;
    let body = json!({"key": "live", "name": "Live", "kind": "production", "primary": true});
    let (status, live, _) = send(&s, Method::POST, ENVS, Some(body), &[]).await;
    assert_eq!((status, &live["primary"]), (201, &json!(true)), "{live}");
    let (list, _) = listed(&s).await;
    assert_eq!(
        list,
        envs(&[("development", false), ("staging", false), ("production", false), ("live", true)]),
        "the old primary is demoted"
    );

    let (status, err, _) = send(&s, Method::DELETE, &format!("{ENVS}/live"), None, &[]).await;
    assert_eq!((status, err["code"].as_str()), (409, Some("conflict")), "{err}");
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("\"live\" is the primary environment"), "{message}");

    let (status, saved, _) =
        send(&s, Method::PATCH, &format!("{ENVS}/production"), Some(json!({"primary": true})), &[])
            .await;
    assert_eq!((status, &saved["primary"]), (200, &json!(true)), "{saved}");
    let (list, _) = listed(&s).await;
    assert_eq!(
        list,
        envs(&[("development", false), ("staging", false), ("production", true), ("live", false)])
    );
    assert_eq!(send(&s, Method::DELETE, &format!("{ENVS}/live"), None, &[]).await.0, 204);
    let (_, project, _) = send(&s, Method::GET, "/api/projects/shop", None, &[]).await;
    assert_eq!(project["environments"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn each_change_needs_its_action_and_a_403_names_it() {
    let s = TestServer::start().await;
    setup(&s).await;
    s.store
        .put_role(
            "env-keeper",
            "allow viewProject on proj/*\n\
             allow createEnvironment updateEnvironment on proj/*:env/*",
            "test",
        )
        .await
        .unwrap();
    let token = |name: &'static str, roles: &'static [&'static str]| {
        let s = &s;
        async move {
            let (status, body, _) = send(
                s,
                Method::POST,
                "/api/tokens",
                Some(json!({"name": name, "kind": "service", "roles": roles})),
                &[],
            )
            .await;
            assert_eq!(status, 201, "{body}");
            body["token"].as_str().unwrap().to_owned()
        }
    };
    let reader = token("reader", &["reader"]).await;
    let keeper = token("keeper", &["env-keeper"]).await;
    let as_token = |token: &str, method: Method, path: String, body: Option<Value>| {
        let mut req = s.client.request(method, s.at(&path)).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let denied = |(status, err): (u16, Value), action: &str, resource: &str| {
        assert_eq!(status, 403, "{err}");
        let message = err["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("`{action}` on `{resource}`")),
            "{action} {resource}: {message}"
        );
    };
    let qa = json!({"key": "qa", "name": "QA", "kind": "testing"});
    assert_eq!(as_token(&reader, Method::GET, ENVS.into(), None).await.0, 200, "a reader lists");
    denied(
        as_token(&reader, Method::POST, ENVS.into(), Some(qa.clone())).await,
        "createEnvironment",
        "proj/shop:env/qa",
    );
    denied(
        as_token(&reader, Method::PATCH, format!("{ENVS}/staging"), Some(json!({"name": "S"})))
            .await,
        "updateEnvironment",
        "proj/shop:env/staging",
    );
    denied(
        as_token(&reader, Method::DELETE, format!("{ENVS}/staging"), None).await,
        "deleteEnvironment",
        "proj/shop:env/staging",
    );
    // The keeper adds and renames environments, but which one is primary is a
    // project setting, and deleting is not among its actions.
    assert_eq!(as_token(&keeper, Method::POST, ENVS.into(), Some(qa)).await.0, 201);
    let rename = Some(json!({"name": "Quality"}));
    assert_eq!(as_token(&keeper, Method::PATCH, format!("{ENVS}/qa"), rename).await.0, 200);
    denied(
        as_token(&keeper, Method::PATCH, format!("{ENVS}/qa"), Some(json!({"primary": true})))
            .await,
        "updateProject",
        "proj/shop",
    );
    let live = json!({"key": "live", "name": "Live", "kind": "production", "primary": true});
    denied(
        as_token(&keeper, Method::POST, ENVS.into(), Some(live)).await,
        "updateProject",
        "proj/shop",
    );
    denied(
        as_token(&keeper, Method::DELETE, format!("{ENVS}/qa"), None).await,
        "deleteEnvironment",
        "proj/shop:env/qa",
    );
    let (list, _) = listed(&s).await;
    assert_eq!(
        list,
        envs(&[("development", false), ("staging", false), ("production", true), ("qa", false)])
    );
}

#[tokio::test]
async fn a_new_environment_evaluates_with_its_own_sdk_key_until_it_is_deleted() {
    let s = TestServer::start().await;
    setup(&s).await;
    let body =
        json!({"key": "canary", "name": "Canary", "kind": "production", "copy_from": "production"});
    assert_eq!(send(&s, Method::POST, ENVS, Some(body), &[]).await.0, 201);
    let body = json!({"key": "qa", "name": "QA", "kind": "testing"});
    assert_eq!(send(&s, Method::POST, ENVS, Some(body), &[]).await.0, 201);
    let canary = sdk_key(&s, "canary").await;
    let qa = sdk_key(&s, "qa").await;
    let production = sdk_key(&s, "production").await;

    assert_eq!(
        evaluate(&s, &canary, "alice").await,
        (200, json!(true), json!("TARGETING_MATCH")),
        "copied from production"
    );
    assert_eq!(evaluate(&s, &canary, "bob").await, (200, json!(false), json!("DEFAULT")));
    assert_eq!(
        evaluate(&s, &qa, "alice").await,
        (200, json!(false), json!("DISABLED")),
        "a fresh environment serves the off variation"
    );
    // The copy is the canary's own: production changing does not touch it.
    let path = "/api/projects/shop/flags/checkout/environments/production/toggle";
    assert_eq!(send(&s, Method::POST, path, Some(json!({"on": false})), &[]).await.0, 200);
    assert_eq!(evaluate(&s, &production, "alice").await.2, json!("DISABLED"));
    assert_eq!(evaluate(&s, &canary, "alice").await.2, json!("TARGETING_MATCH"));

    assert_eq!(send(&s, Method::DELETE, &format!("{ENVS}/canary"), None, &[]).await.0, 204);
    let (status, _, _) = evaluate(&s, &canary, "alice").await;
    assert_eq!(status, 401, "a deleted environment's key stops working at once");
    assert_eq!(evaluate(&s, &qa, "alice").await.0, 200, "other keys keep working");
    let keys =
        send(&s, Method::GET, "/api/projects/shop/environments/canary/sdk-keys", None, &[]).await;
    assert_eq!(keys.1, json!([]), "{keys:?}");
}

/// Another process sharing the database deletes an environment and re-creates
/// one under the same key; this process learns of it at its next tick.
#[tokio::test]
async fn environments_deleted_or_recreated_elsewhere_are_picked_up_by_the_tick() {
    // The test ticks by hand; the background refresh must not race it.
    let config = ServerConfig {
        snapshot_refresh: std::time::Duration::from_secs(3600),
        ..ServerConfig::default()
    };
    let s = TestServer::start_with(config).await;
    setup(&s).await;
    let body = json!({"key": "qa", "name": "QA", "kind": "testing", "copy_from": "production"});
    assert_eq!(send(&s, Method::POST, ENVS, Some(body), &[]).await.0, 201);
    let old = sdk_key(&s, "qa").await;
    assert_eq!(evaluate(&s, &old, "alice").await.2, json!("TARGETING_MATCH"));

    // Elsewhere: deleted, then re-created empty under the same key, at the same
    // config version the old one had.
    s.store.delete_environment("shop", "qa", None, "elsewhere").await.unwrap();
    let qa = tether_store::NewEnvironment {
        key: "qa".into(),
        name: "QA again".into(),
        kind: tether_store::EnvKind::Testing,
        primary: false,
    };
    let off = |f: &tether_flags::Flag| tether_flags::EnvConfig {
        on: false,
        off_variation: f.variations.last().unwrap().key.clone(),
        targets: vec![],
        rules: vec![],
        default_rule: tether_flags::Serve::variation(f.variations[0].key.clone()),
    };
    s.store.create_environment("shop", &qa, None, off, None, "elsewhere").await.unwrap();
    let new = s.store.create_sdk_key("shop", "qa", "elsewhere").await.unwrap();
    assert_eq!(
        s.store.environment_version("shop", "qa").await.unwrap(),
        1,
        "the old and the new environment are both at config version 1"
    );

    s.state.snapshots.tick(&s.store).await.unwrap();
    assert_eq!(evaluate(&s, &old, "alice").await.0, 401, "the deleted environment's key");
    assert_eq!(
        evaluate(&s, &new, "alice").await,
        (200, json!(false), json!("DISABLED")),
        "the new environment's own flags, not the old snapshot"
    );

    // Deleted elsewhere for good.
    s.store.delete_environment("shop", "qa", None, "elsewhere").await.unwrap();
    s.state.snapshots.tick(&s.store).await.unwrap();
    assert_eq!(evaluate(&s, &new, "alice").await.0, 401);
}
