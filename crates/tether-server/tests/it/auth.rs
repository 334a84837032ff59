//! API authentication and authorisation: tokens, roles, the creator bound, and
//! 403s that say which action on which resource was denied.

use serde_json::{Value, json};

use crate::TestServer;

/// Creates a token through the API with the caller's token; returns (id, secret).
async fn token(s: &TestServer, as_token: &str, name: &str, roles: &[&str]) -> (i64, String) {
    let r = s
        .client
        .post(s.at("/api/tokens"))
        .bearer_auth(as_token)
        .json(&json!({"name": name, "kind": "service", "roles": roles}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{:?}", r.text().await);
    let body: Value = r.json().await.unwrap();
    (body["id"].as_i64().unwrap(), body["token"].as_str().unwrap().to_owned())
}

async fn post(s: &TestServer, token: &str, path: &str, body: Value) -> (u16, Value) {
    let r = s.client.post(s.at(path)).bearer_auth(token).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn no_token_or_a_bad_one_is_401_in_the_error_shape() {
    let s = TestServer::start().await;
    let anonymous = reqwest::Client::new();
    let r = anonymous.get(s.at("/api/projects")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized");
    let r =
        anonymous.get(s.at("/api/projects")).bearer_auth("tether-api-nope").send().await.unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["message"], "unknown or revoked API token");
}

#[tokio::test]
async fn a_reader_reads_and_is_told_exactly_what_it_may_not_do() {
    let s = TestServer::start().await;
    assert_eq!(
        post(&s, &s.token, "/api/projects", json!({"key": "shop", "name": "Shop"})).await.0,
        201
    );
    let (_, reader) = token(&s, &s.token, "reader", &["reader"]).await;
    let r = s.client.get(s.at("/api/projects")).bearer_auth(&reader).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let (status, err) =
        post(&s, &reader, "/api/projects", json!({"key": "other", "name": "Other"})).await;
    assert_eq!(status, 403, "{err}");
    assert_eq!(err["code"], "forbidden");
    let message = err["message"].as_str().unwrap();
    assert!(message.contains("createProject") && message.contains("proj/other"), "{message}");
}

#[tokio::test]
async fn a_token_never_exceeds_the_token_that_created_it() {
    let s = TestServer::start().await;
    assert_eq!(
        post(&s, &s.token, "/api/projects", json!({"key": "shop", "name": "Shop"})).await.0,
        201
    );
    let (_, reader) = token(&s, &s.token, "reader", &["reader"]).await;
    // A reader may not create tokens at all.
    let (status, _) =
        post(&s, &reader, "/api/tokens", json!({"name": "x", "roles": ["admin"]})).await;
    assert_eq!(status, 403);
    // A writer creates an admin-roled token, which still cannot do what the writer cannot.
    let (_, writer) = token(&s, &s.token, "writer", &["writer"]).await;
    let (_, escalated) = token(&s, &writer, "escalated", &["admin"]).await;
    let (status, err) =
        post(&s, &escalated, "/api/tokens", json!({"name": "y", "roles": ["reader"]})).await;
    assert_eq!(status, 201, "the writer may create its own tokens: {err}");
    let r = s.client.get(s.at("/api/tokens")).bearer_auth(&escalated).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // What the writer lacks stays denied however the token is roled: tokens of
    // another member.
    s.store.put_member("bob", &["admin".to_owned()], "test").await.unwrap();
    let bobs = tether_store::NewToken {
        name: "bobs".into(),
        kind: "personal".into(),
        member: "bob".into(),
        created_by: None,
        roles: vec!["admin".into()],
    };
    let (bobs, _) = s.store.create_token(&bobs, "test").await.unwrap();
    let r = s
        .client
        .delete(s.at(&format!("/api/tokens/{}", bobs.id)))
        .bearer_auth(&escalated)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "{:?}", r.text().await);
    let r = s.client.delete(s.at(&format!("/api/tokens/{}", bobs.id))).send().await.unwrap();
    assert_eq!(r.status(), 204, "the admin may");
    // Revoking the creator revokes what it created.
    let writer_id =
        s.store.list_tokens().await.unwrap().iter().find(|t| t.name == "writer").unwrap().id;
    let r = s.client.delete(s.at(&format!("/api/tokens/{writer_id}"))).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let r = s.client.get(s.at("/api/projects")).bearer_auth(&escalated).send().await.unwrap();
    assert_eq!(r.status(), 401, "a token whose creator was revoked stops working");
}

#[tokio::test]
async fn the_jira_integration_role_links_but_cannot_toggle() {
    let s = TestServer::start().await;
    assert_eq!(
        post(&s, &s.token, "/api/projects", json!({"key": "shop", "name": "Shop"})).await.0,
        201
    );
    let flag = json!({"key": "f", "name": "F", "kind": "boolean",
        "variations": [{"key": "on", "value": true}, {"key": "off", "value": false}]});
    assert_eq!(post(&s, &s.token, "/api/projects/shop/flags", flag).await.0, 201);
    let (_, jira) = token(&s, &s.token, "jira", &["jira-integration"]).await;
    let r = s.client.get(s.at("/api/projects/shop")).bearer_auth(&jira).send().await.unwrap();
    assert_eq!(r.status(), 200, "it may view projects");
    let (status, err) =
        post(&s, &jira, "/api/projects/shop/flags/f/environments/production/toggle", json!({}))
            .await;
    assert_eq!(status, 403, "{err}");
    assert!(err["message"].as_str().unwrap().contains("updateOn"), "{err}");
}

#[tokio::test]
async fn projects_a_token_may_not_view_are_not_listed() {
    let s = TestServer::start().await;
    for key in ["alpha", "beta"] {
        assert_eq!(
            post(&s, &s.token, "/api/projects", json!({"key": key, "name": key})).await.0,
            201
        );
    }
    s.store.put_role("alpha-only", "allow viewProject on proj/alpha", "test").await.unwrap();
    let (_, narrow) = token(&s, &s.token, "narrow", &["alpha-only"]).await;
    let listed: Value = s
        .client
        .get(s.at("/api/projects"))
        .bearer_auth(&narrow)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys: Vec<&str> =
        listed.as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["alpha"]);
    let r = s.client.get(s.at("/api/projects/beta")).bearer_auth(&narrow).send().await.unwrap();
    assert_eq!(r.status(), 404, "a project the token may not view reads as missing");
}

#[tokio::test]
async fn leaks_across_projects_404_versus_403() {
    // Reported: 404 versus 403 told whether a flag exists in a project the caller
    // cannot view, and /api/issues/{KEY}/flags showed such a project's flags.
    let s = TestServer::start().await;
    for key in ["shop", "secret"] {
        let (status, _) =
            post(&s, &s.token, "/api/projects", json!({"key": key, "name": key})).await;
        assert_eq!(status, 201);
    }
    let flag = json!({"key": "hidden", "name": "Hidden", "kind": "boolean",
        "variations": [{"key": "on", "name": "On", "value": true}, {"key": "off", "name": "Off", "value": false}]});
    assert_eq!(post(&s, &s.token, "/api/projects/secret/flags", flag).await.0, 201);
    s.store.link_flag_issue("secret", "hidden", "SAND-1", "test").await.unwrap();
    s.store
        .put_role("shop-writer", "allow * on proj/shop\nallow * on proj/shop:env/*:flag/*", "test")
        .await
        .unwrap();
    let (_, narrow) = token(&s, &s.token, "narrow", &["shop-writer"]).await;
    let call = |method: reqwest::Method, path: &str| {
        let req = s.client.request(method, s.at(path)).bearer_auth(&narrow);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    use reqwest::Method as M;
    for (method, existing, missing) in [
        (M::GET, "/api/projects/secret/flags/hidden", "/api/projects/nope/flags/hidden"),
        (M::GET, "/api/projects/secret/flags/nothere", "/api/projects/nope/flags/nothere"),
        (
            M::POST,
            "/api/projects/secret/flags/hidden/environments/production/toggle",
            "/api/projects/nope/flags/hidden/environments/production/toggle",
        ),
        (M::DELETE, "/api/projects/secret/flags/hidden", "/api/projects/nope/flags/hidden"),
        (
            M::GET,
            "/api/projects/secret/flags/hidden/issues",
            "/api/projects/nope/flags/hidden/issues",
        ),
    ] {
        let (a, body_a) = call(method.clone(), existing).await;
        let (b, body_b) = call(method.clone(), missing).await;
        assert_eq!((a, b), (404, 404), "{method} {existing}: {body_a} / {body_b}");
        assert_eq!(
            body_a["message"].as_str().unwrap().replace("secret", "nope"),
            body_b["message"],
            "the same answer for not there and not yours"
        );
    }
    let (status, issue) = call(M::GET, "/api/issues/SAND-1/flags").await;
    assert_eq!(status, 200);
    assert_eq!(issue["flags"], json!([]), "{issue}");
    let (_, found) = call(M::GET, "/api/issues?flag=hidden").await;
    assert!(!found.to_string().contains("hidden"), "{found}");
    assert!(!s.store.flag("secret", "hidden").await.unwrap().environments[0].config.on);
}

async fn delete_as(s: &TestServer, token: &str, path: &str) -> u16 {
    s.client.delete(s.at(path)).bearer_auth(token).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_writer_token_revoked_its_own_creator_and_siblings() {
    // Reported: a writer token revoked the admin token that created it (and its
    // siblings), which cascaded to every token below and locked everyone out.
    let s = TestServer::start().await;
    let (root_id, root) = token(&s, &s.token, "root-writer", &["writer"]).await;
    let (writer_id, writer) = token(&s, &root, "writer", &["writer"]).await;
    let (sibling_id, _) = token(&s, &root, "sibling", &["reader"]).await;
    let (child_id, child) = token(&s, &writer, "child", &["writer"]).await;
    let (grandchild_id, _) = token(&s, &child, "grandchild", &["reader"]).await;
    let admin_id = s.store.list_tokens().await.unwrap()[0].id;
    for (target, what) in
        [(root_id, "its creator"), (sibling_id, "a sibling"), (admin_id, "the admin")]
    {
        let status = delete_as(&s, &writer, &format!("/api/tokens/{target}")).await;
        assert_eq!(status, 403, "a writer may not revoke {what}");
    }
    assert_eq!(delete_as(&s, &writer, &format!("/api/tokens/{grandchild_id}")).await, 204);
    assert_eq!(delete_as(&s, &writer, &format!("/api/tokens/{child_id}")).await, 204);
    assert_eq!(delete_as(&s, &writer, &format!("/api/tokens/{writer_id}")).await, 204, "itself");
    // The admin revokes any token.
    assert_eq!(delete_as(&s, &s.token, &format!("/api/tokens/{sibling_id}")).await, 204);
    let (status, _) = s.get_json("/api/projects").await;
    assert_eq!(status, 200, "the admin still works");
}

#[tokio::test]
async fn no_rate_limits_on_authentication_failures() {
    // Reported: 500 bad tokens, 300 bad sign-ins and 300 bad SDK keys in under a
    // second, all answered 401, each one a fresh guess.
    let config = tether_server::ServerConfig {
        auth_failures: tether_server::FailureLimit { burst: 5, per_minute: 1 },
        ..tether_server::ServerConfig::default()
    };
    let s = TestServer::start_with(config).await;
    let plain = reqwest::Client::new();
    let mut statuses = Vec::new();
    for i in 0..8 {
        let r = plain
            .get(s.at("/api/projects"))
            .bearer_auth(format!("tether-api-guess-{i}"))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429, 429], "API tokens");
    let r = plain.post(s.at("/signin")).form(&[("token", "guess")]).send().await.unwrap();
    assert_eq!(r.status(), 429, "sign-ins share the address's allowance");
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let r = plain
        .post(s.at("/ofrep/v1/evaluate/flags"))
        .bearer_auth("tether-sdk-guess")
        .json(&json!({"context": {"targetingKey": "u"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "and SDK keys");
    assert!(r.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn sign_in_failures_are_limited_too() {
    let config = tether_server::ServerConfig {
        auth_failures: tether_server::FailureLimit { burst: 3, per_minute: 1 },
        ..tether_server::ServerConfig::default()
    };
    let s = TestServer::start_with(config).await;
    let plain =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = plain.post(s.at("/signin")).form(&[("token", "guess")]).send().await.unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
}

#[tokio::test]
async fn webhook_urls_with_credentials_are_shown_to_readers() {
    // Reported: `https://user:pass@…/SECRETPATH` was listed whole to every reader.
    let s = TestServer::start().await;
    let url = "https://user:pass@hooks.example.com/SECRETPATH";
    let body = json!({"name": "ci", "url": url, "secret": "0123456789abcdef"});
    assert_eq!(post(&s, &s.token, "/api/webhooks", body).await.0, 201);
    let (_, reader) = token(&s, &s.token, "reader", &["reader"]).await;
    let listed: Value = s
        .client
        .get(s.at("/api/webhooks"))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["url"], "https://hooks.example.com/…", "{listed}");
    assert!(!listed.to_string().contains("pass") && !listed.to_string().contains("SECRETPATH"));
    let (_, whole) = s.get_json("/api/webhooks").await;
    assert_eq!(whole[0]["url"], url, "those who manage it see it whole");
}
