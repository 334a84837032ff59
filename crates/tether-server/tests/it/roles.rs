//! Custom roles through the API and the `/roles` page: statements validated with
//! errors naming the statement and field, built-in roles read-only, roles given
//! to tokens, and a role limiting an integration token to some projects.

use reqwest::Method as M;
use serde_json::{Value, json};

use crate::TestServer;
use crate::jira_api::send;
use crate::ui_flags::{browser_like, csrf_token};

#[tokio::test]
async fn custom_roles_could_not_be_created_except_in_tests() {
    // Reported: no API, CLI or page made custom roles, so an integration token could
    // not be limited to some projects.
    let s = TestServer::start().await;
    for key in ["shop", "blog"] {
        let (status, _) =
            send(&s, M::POST, "/api/projects", Some(json!({"key": key, "name": key}))).await;
        assert_eq!(status, 201);
    }
    let role = json!({"statements": [
        {"effect": "allow", "actions": ["viewProject", "createFlagLink", "deleteFlagLink"], "resources": ["proj/shop", "proj/shop:env/*:flag/*"]},
        {"effect": "deny", "actions": ["updateOn"], "resources": ["proj/*:env/*:flag/*"]}
    ]});
    let (status, created) = send(&s, M::PUT, "/api/roles/shop-links", Some(role.clone())).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["built_in"], false);
    assert_eq!(created["statements"], role["statements"], "stored as given");
    assert_eq!(created["holders"], json!([]));
    let (status, _) = send(&s, M::PUT, "/api/roles/shop-links", Some(role)).await;
    assert_eq!(status, 200, "a second put replaces");

    // Refusals name the statement and the field.
    let cases = [
        (json!({"statements": []}), "statements"),
        (
            json!({"statements": [{"effect": "maybe", "actions": ["x"], "resources": ["proj/*"]}]}),
            "statements[0].effect",
        ),
        (
            json!({"statements": [{"effect": "allow", "actions": ["noSuchAction"], "resources": ["proj/*"]}]}),
            "statements[0].actions[0]",
        ),
        (
            json!({"statements": [{"effect": "allow", "actions": ["viewProject"], "resources": ["proj/*", "bogus/x"]}]}),
            "statements[0].resources[1]",
        ),
        (
            json!({"statements": [{"effect": "allow", "actions": ["viewProject"], "notActions": ["x"], "resources": ["proj/*"]}]}),
            "statements[0].actions",
        ),
        (
            json!({"statements": [{"effect": "allow", "actions": [], "resources": ["proj/*"]}]}),
            "statements[0].actions",
        ),
    ];
    for (body, field) in cases {
        let (status, err) = send(&s, M::PUT, "/api/roles/bad", Some(body.clone())).await;
        assert_eq!((status, err["field"].as_str()), (422, Some(field)), "{body}: {err}");
    }
    assert_eq!(send(&s, M::GET, "/api/roles/bad", None).await.0, 404, "nothing was stored");
    // Built-in roles are read-only.
    let (status, _) = send(
        &s,
        M::PUT,
        "/api/roles/admin",
        Some(json!({"statements": [
        {"effect": "allow", "actions": ["*"], "resources": ["proj/*"]}]})),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(send(&s, M::DELETE, "/api/roles/writer", None).await.0, 409);

    // A token with the role: links in shop, cannot see blog, cannot toggle.
    let (status, token) = send(
        &s,
        M::POST,
        "/api/tokens",
        Some(json!({"name": "jira-app", "kind": "service", "roles": ["shop-links"]})),
    )
    .await;
    assert_eq!(status, 201, "{token}");
    let secret = token["token"].as_str().unwrap().to_owned();
    let as_app = |path: &str| s.client.get(s.at(path)).bearer_auth(&secret).send();
    let listed: Value = as_app("/api/projects").await.unwrap().json().await.unwrap();
    let keys: Vec<&str> =
        listed.as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["shop"]);
    assert_eq!(as_app("/api/projects/blog").await.unwrap().status(), 404);
    let (_, role) = send(&s, M::GET, "/api/roles/shop-links", None).await;
    assert_eq!(role["holders"], json!(["token jira-app"]));
    let (status, err) = send(&s, M::DELETE, "/api/roles/shop-links", None).await;
    assert_eq!(status, 409, "held roles stay: {err}");

    // Other roles for the token; then the role can go.
    let id = token["id"].as_i64().unwrap();
    let (status, err) =
        send(&s, M::PUT, &format!("/api/tokens/{id}/roles"), Some(json!({"roles": ["nope"]})))
            .await;
    assert_eq!((status, err["field"].as_str()), (422, Some("roles[0]")));
    let (status, changed) =
        send(&s, M::PUT, &format!("/api/tokens/{id}/roles"), Some(json!({"roles": ["reader"]})))
            .await;
    assert_eq!((status, changed["roles"].clone()), (200, json!(["reader"])));
    assert_eq!(send(&s, M::DELETE, "/api/roles/shop-links", None).await.0, 204);
    // A token may not raise its own roles.
    let r = s
        .client
        .put(s.at(&format!("/api/tokens/{id}/roles")))
        .bearer_auth(&secret)
        .json(&json!({"roles": ["admin"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn the_roles_page_creates_and_deletes_custom_roles() {
    let s = TestServer::start().await;
    let browser = browser_like();
    browser.post(s.at("/signin")).form(&[("token", s.token.as_str())]).send().await.unwrap();
    let token = csrf_token(&browser, &s, "/roles").await;
    let statements = "# links in shop\nallow viewProject on proj/shop\nallow createFlagLink on proj/shop:env/*:flag/*";
    let r = browser
        .post(s.at("/roles"))
        .form(&[("name", "linker"), ("statements", statements), ("csrf", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    let page = browser.get(s.at("/roles?saved=linker")).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("Saved the role linker.")
            && page.contains("allow createFlagLink on proj/shop:env/*:flag/*"),
        "{page}"
    );
    let r = browser
        .post(s.at("/roles"))
        .form(&[
            ("name", "bad"),
            ("statements", "allow viewProject on proj/*\nallow frobnicate on proj/*"),
            ("csrf", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("line 2") && page.contains("frobnicate"),
        "the line and what is wrong: {page}"
    );
    assert!(page.contains("allow frobnicate on proj/*"), "the input comes back as typed");
    let r = browser
        .post(s.at("/roles/linker/delete"))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(send(&s, M::GET, "/api/roles/linker", None).await.0, 404);
}
