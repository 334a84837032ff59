//! The flag admin API: create, read, replace, configure per environment,
//! toggle, copy, versions, validation (422 with the field) and audit, and the
//! effect of each on OFREP.

use serde_json::{Value, json};

use crate::TestServer;

async fn send(
    s: &TestServer,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value, Option<String>) {
    let mut req = s.client.request(method, s.at(path));
    if let Some(body) = body {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let etag = r.headers().get("etag").map(|v| v.to_str().unwrap().to_owned());
    (status, r.json().await.unwrap_or(Value::Null), etag)
}

async fn setup(s: &TestServer) {
    let (status, _, _) = send(
        s,
        reqwest::Method::POST,
        "/api/projects",
        Some(json!({"key": "shop", "name": "Shop"})),
    )
    .await;
    assert_eq!(status, 201);
    let flag = json!({
        "key": "checkout", "name": "New checkout", "kind": "boolean", "tags": ["web"],
        "variations": [{"key": "on", "value": true}, {"key": "off", "value": false}]
    });
    let (status, body, etag) =
        send(s, reqwest::Method::POST, "/api/projects/shop/flags", Some(flag)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(etag.as_deref(), Some("\"1\""));
}

async fn ofrep(s: &TestServer, key: &str, ctx: Value) -> Value {
    let sdk = s.store.create_sdk_key("shop", "production", "t").await.unwrap();
    let r = reqwest::Client::new()
        .post(s.at(&format!("/ofrep/v1/evaluate/flags/{key}")))
        .bearer_auth(sdk)
        .json(&json!({"context": ctx}))
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_new_flag_is_off_everywhere_and_a_toggle_reaches_ofrep_at_once() {
    let s = TestServer::start().await;
    setup(&s).await;
    let (_, flag, _) =
        send(&s, reqwest::Method::GET, "/api/projects/shop/flags/checkout", None).await;
    let envs: Vec<(&str, bool, &str)> = flag["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["env"].as_str().unwrap(),
                e["on"].as_bool().unwrap(),
                e["off_variation"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        envs,
        [("development", false, "off"), ("staging", false, "off"), ("production", false, "off")]
    );
    assert_eq!(flag["environments"][2]["default_rule"], json!({"variation": "on"}));
    assert_eq!(ofrep(&s, "checkout", json!({"targetingKey": "u"})).await["reason"], "DISABLED");

    let (status, env, etag) = send(
        &s,
        reqwest::Method::POST,
        "/api/projects/shop/flags/checkout/environments/production/toggle",
        None,
    )
    .await;
    assert_eq!(status, 200, "{env}");
    assert_eq!(
        (env["on"].as_bool(), env["version"].as_i64(), etag.as_deref()),
        (Some(true), Some(2), Some("\"2\""))
    );
    assert_eq!(env["updated_by"], "admin/test-admin");
    let answer = ofrep(&s, "checkout", json!({"targetingKey": "u"})).await;
    assert_eq!(
        (answer["value"].clone(), answer["reason"].clone()),
        (json!(true), json!("STATIC")),
        "{answer}"
    );

    let (status, env, _) = send(
        &s,
        reqwest::Method::POST,
        "/api/projects/shop/flags/checkout/environments/production/toggle",
        Some(json!({"on": true})),
    )
    .await;
    assert_eq!(
        (status, env["on"].as_bool()),
        (200, Some(true)),
        "setting the same state is not a flip"
    );
}

#[tokio::test]
async fn a_rollout_with_rules_is_saved_exactly_and_served() {
    let s = TestServer::start().await;
    setup(&s).await;
    let config = json!({
        "on": true,
        "off_variation": "off",
        "targets": [{"variation": "on", "keys": ["vip"]}],
        "rules": [{"id": "staff", "clauses": [{"attribute": "email", "op": "ends_with", "value": "@shop.test"}], "serve": {"variation": "on"}}],
        "default_rule": {"rollout": {"variations": [{"variation": "on", "weight": 33333}, {"variation": "off", "weight": 66667}], "salt": "s"}},
        "version": 1
    });
    let (status, env, _) = send(
        &s,
        reqwest::Method::PUT,
        "/api/projects/shop/flags/checkout/environments/production",
        Some(config.clone()),
    )
    .await;
    assert_eq!(status, 200, "{env}");
    assert_eq!(env["default_rule"], config["default_rule"]);
    assert_eq!(
        env["rules"][0]["clauses"][0],
        json!({"attribute": "email", "op": "ends_with", "value": "@shop.test", "negate": false})
    );
    assert_eq!(
        ofrep(&s, "checkout", json!({"targetingKey": "a", "email": "x@shop.test"})).await["metadata"]
            ["ruleId"],
        "staff"
    );
    assert_eq!(ofrep(&s, "checkout", json!({"targetingKey": "a"})).await["reason"], "SPLIT");

    // The same write again is based on a stale version: 412, nothing changes.
    let (status, err, _) = send(
        &s,
        reqwest::Method::PUT,
        "/api/projects/shop/flags/checkout/environments/production",
        Some(config),
    )
    .await;
    assert_eq!((status, err["code"].as_str()), (412, Some("version_mismatch")), "{err}");
    let r = s
        .client
        .post(s.at("/api/projects/shop/flags/checkout/environments/production/toggle"))
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412);
}

#[tokio::test]
async fn invalid_writes_get_422_naming_the_field_and_write_nothing() {
    let s = TestServer::start().await;
    setup(&s).await;
    let path = "/api/projects/shop/flags/checkout/environments/production";
    let check = |body: Value, field: &'static str, part: &'static str| {
        let s = &s;
        async move {
            let (status, err, _) = send(s, reqwest::Method::PUT, path, Some(body.clone())).await;
            assert_eq!(status, 422, "{body} -> {err}");
            assert_eq!(err["field"], field, "{err}");
            assert!(err["message"].as_str().unwrap().contains(part), "{err} lacks {part:?}");
        }
    };
    let base = |default_rule: Value| json!({"on": true, "off_variation": "off", "default_rule": default_rule});
    check(base(json!({"variation": "maybe"})), "default_rule.variation", "maybe").await;
    check(
        base(json!({"rollout": {"variations": [{"variation": "on", "weight": 50000}, {"variation": "off", "weight": 40000}]}})),
        "default_rule.rollout.variations",
        "100000",
    )
    .await;
    let bad_regex = json!({"on": true, "off_variation": "off", "default_rule": {"variation": "on"},
        "rules": [{"id": "r", "clauses": [{"attribute": "a", "op": "matches", "value": "(("}], "serve": {"variation": "on"}}]});
    check(bad_regex, "rules[0].clauses[0].value", "regular expression").await;
    let bad_operand = json!({"on": true, "off_variation": "off", "default_rule": {"variation": "on"},
        "rules": [{"id": "r", "clauses": [{"attribute": "a", "op": "number_less", "value": "ten"}], "serve": {"variation": "on"}}]});
    check(bad_operand, "rules[0].clauses[0].value", "a number").await;
    let (_, flag, _) =
        send(&s, reqwest::Method::GET, "/api/projects/shop/flags/checkout", None).await;
    assert_eq!(flag["environments"][2]["version"], 1, "nothing was written");

    let dup = json!({"key": "checkout", "name": "Again", "kind": "boolean",
        "variations": [{"key": "on", "value": true}, {"key": "off", "value": false}]});
    assert_eq!(send(&s, reqwest::Method::POST, "/api/projects/shop/flags", Some(dup)).await.0, 409);
    let wrong_kind = json!({"key": "n", "name": "N", "kind": "number", "variations": [{"key": "a", "value": "text"}]});
    let (status, err, _) =
        send(&s, reqwest::Method::POST, "/api/projects/shop/flags", Some(wrong_kind)).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("variations[0].value")), "{err}");
}

#[tokio::test]
async fn copy_update_delete_and_the_audit_trail() {
    let s = TestServer::start().await;
    setup(&s).await;
    send(
        &s,
        reqwest::Method::POST,
        "/api/projects/shop/flags/checkout/environments/staging/toggle",
        None,
    )
    .await;
    let (status, env, _) = send(
        &s,
        reqwest::Method::POST,
        "/api/projects/shop/flags/checkout/copy",
        Some(json!({"from": "staging", "to": "production"})),
    )
    .await;
    assert_eq!(
        (status, env["env"].as_str(), env["on"].as_bool()),
        (200, Some("production"), Some(true)),
        "{env}"
    );

    let renamed = json!({"key": "checkout", "name": "Checkout v2", "kind": "boolean", "version": 1,
        "variations": [{"key": "on", "value": true}, {"key": "off", "value": false}]});
    let (status, flag, _) =
        send(&s, reqwest::Method::PUT, "/api/projects/shop/flags/checkout", Some(renamed)).await;
    assert_eq!(
        (status, flag["name"].as_str(), flag["version"].as_i64()),
        (200, Some("Checkout v2"), Some(2)),
        "{flag}"
    );

    let (_, audit, _) =
        send(&s, reqwest::Method::GET, "/api/projects/shop/flags/checkout/audit", None).await;
    let actions: Vec<&str> =
        audit.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["flag.update", "flag.config.update", "flag.config.update", "flag.create"]);
    assert_eq!(audit[0]["before"]["name"], "New checkout");
    assert_eq!(audit[0]["after"]["name"], "Checkout v2");
    assert_eq!(audit[0]["actor"], "admin/test-admin");

    assert_eq!(
        send(&s, reqwest::Method::DELETE, "/api/projects/shop/flags/checkout", None).await.0,
        204
    );
    assert_eq!(
        send(&s, reqwest::Method::GET, "/api/projects/shop/flags/checkout", None).await.0,
        404
    );
    assert_eq!(ofrep(&s, "checkout", json!({})).await["errorCode"], "FLAG_NOT_FOUND");
}

#[tokio::test]
async fn segments_and_sdk_keys_through_the_api() {
    let s = TestServer::start().await;
    setup(&s).await;
    let segment = json!({"key": "beta", "name": "Beta", "included": ["ann"]});
    assert_eq!(
        send(&s, reqwest::Method::POST, "/api/projects/shop/segments", Some(segment)).await.0,
        201
    );
    let config = json!({"on": true, "off_variation": "off", "default_rule": {"variation": "off"},
        "rules": [{"id": "beta", "clauses": [{"segments": ["beta"]}], "serve": {"variation": "on"}}]});
    let (status, body, _) = send(
        &s,
        reqwest::Method::PUT,
        "/api/projects/shop/flags/checkout/environments/production",
        Some(config),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, created, _) = send(
        &s,
        reqwest::Method::POST,
        "/api/projects/shop/environments/production/sdk-keys",
        None,
    )
    .await;
    assert_eq!(status, 201);
    let key = created["key"].as_str().unwrap().to_owned();
    let answer: Value = reqwest::Client::new()
        .post(s.at("/ofrep/v1/evaluate/flags/checkout"))
        .bearer_auth(&key)
        .json(&json!({"context": {"targetingKey": "ann"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["value"], true, "{answer}");
    let (_, keys, _) =
        send(&s, reqwest::Method::GET, "/api/projects/shop/environments/production/sdk-keys", None)
            .await;
    assert_eq!(keys[0]["hint"], key[key.len() - 4..]);
    assert!(!keys.to_string().contains(&key), "the key itself is never listed");
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_with_its_action() {
    let s = TestServer::start().await;
    let (status, doc, _) = send(&s, reqwest::Method::GET, "/api/openapi.json", None).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 12, "{}", paths.len());
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            assert!(
                op["x-tether-action"].as_str().is_some_and(|a| !a.is_empty()),
                "{method} {path}"
            );
            // Every documented route exists: no "no API route" 404 and no 405.
            let concrete = path
                .replace("{project}", "shop")
                .replace("{key}", "k")
                .replace("{env}", "production")
                .replace("{id}", "999");
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = s.client.request(m, s.at(&concrete)).json(&json!({})).send().await.unwrap();
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            assert!(
                status != 405 && !body.contains("no API route"),
                "{method} {path}: {status} {body}"
            );
        }
    }
    let actions = doc["x-tether-actions"].as_array().unwrap();
    assert!(actions.iter().any(|a| a["name"] == "updateOn"));
}

#[tokio::test]
async fn webhooks_are_created_listed_without_secrets_and_validated() {
    let s = TestServer::start().await;
    let body = json!({"name": "ops", "url": "http://127.0.0.1:9/hook", "secret": "a-long-enough-secret",
        "filter": {"events": ["flag.config.updated"], "projects": ["shop"]}});
    let (status, created, _) = send(&s, reqwest::Method::POST, "/api/webhooks", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    assert!(created.get("secret").is_none(), "{created}");
    let (_, listed, _) = send(&s, reqwest::Method::GET, "/api/webhooks", None).await;
    assert_eq!(listed[0]["filter"]["events"], json!(["flag.config.updated"]));
    assert!(!listed.to_string().contains("a-long-enough-secret"));
    let check = |body: Value, field: &'static str| {
        let s = &s;
        async move {
            let (status, err, _) =
                send(s, reqwest::Method::POST, "/api/webhooks", Some(body)).await;
            assert_eq!((status, err["field"].as_str()), (422, Some(field)), "{err}");
        }
    };
    check(json!({"name": "a", "url": "ftp://x", "secret": "a-long-enough-secret"}), "url").await;
    check(json!({"name": "b", "url": "http://x", "secret": "short"}), "secret").await;
    check(json!({"name": "c", "url": "http://x", "secret": "a-long-enough-secret", "filter": {"events": ["flag.exploded"]}}), "filter.events[0]").await;
    let id = created["id"].as_i64().unwrap();
    let (status, log, _) =
        send(&s, reqwest::Method::GET, &format!("/api/webhooks/{id}/deliveries"), None).await;
    assert_eq!((status, log), (200, json!([])));
    assert_eq!(
        send(&s, reqwest::Method::DELETE, &format!("/api/webhooks/{id}"), None).await.0,
        204
    );
}
