//! Code ↔ Jira through the API: repositories (the webhook secret answered once, never
//! again), settings per level inherited per field with where each comes from, 422s naming
//! the field, reset; the forges' webhook intake (401 and nothing stored on a bad
//! signature, 202 for events tether does not use, 400 malformed, 413 oversized, a
//! delivery stored once); "test settings" against the sandbox.

use jira_sandbox::{DEFAULT_OAUTH_CLIENT_ID, DEFAULT_OAUTH_CLIENT_SECRET, PermissionDenial};
use reqwest::Method as M;
use serde_json::{Value, json};
use tether_server::ServerConfig;

use crate::TestServer;
use crate::jira_api::{Jira, add_cloud_site, send};

async fn add_repo(s: &TestServer, body: Value) -> Value {
    let (status, repo) = send(s, M::POST, "/api/code/repositories", Some(body)).await;
    assert_eq!(status, 201, "{repo}");
    repo
}

#[tokio::test]
async fn a_webhook_repository_shows_its_secret_once() {
    let s = TestServer::start().await;
    let repo = add_repo(&s, json!({"name": "shop", "source": "github"})).await;
    let secret = repo["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 64);
    let id = s.store.repository_by_name("shop").await.unwrap().id;
    assert_eq!(repo["hook_url"], format!("http://127.0.0.1:8080/hooks/github/{id}"));
    let (_, again) = send(&s, M::GET, "/api/code/repositories/shop", None).await;
    assert_eq!(again["secret"], Value::Null);
    assert_eq!(again["has_secret"], true);
    let (_, listed) = send(&s, M::GET, "/api/code/repositories", None).await;
    assert!(!listed.to_string().contains(&secret));
    let (_, rotated) = send(&s, M::POST, "/api/code/repositories/shop/secret", None).await;
    assert_ne!(rotated["secret"], secret.as_str());
    // Refused inputs name their field.
    #[rustfmt::skip]
    let cases = [
        (json!({"name": "Shop!", "source": "github"}), "name"),
        (json!({"name": "tools", "source": "svn"}), "source"),
        (json!({"name": "tools", "source": "local"}), "path"),
        (json!({"name": "tools", "source": "local", "path": "relative/dir"}), "path"),
        (json!({"name": "tools", "source": "gitlab", "web_url": "ftp://x"}), "web_url"),
        (json!({"name": "tools", "source": "gitlab", "group": "nope"}), "group"),
        (json!({"name": "tools", "source": "gitlab", "settings": {"key_regex": "(["}}), "key_regex"),
    ];
    for (body, field) in cases {
        let (status, err) = send(&s, M::POST, "/api/code/repositories", Some(body.clone())).await;
        assert_eq!((status, err["field"].as_str()), (422, Some(field)), "{body}: {err}");
    }
    assert!(s.store.repository_by_name("tools").await.is_err(), "a refused repository is not kept");
    let local =
        add_repo(&s, json!({"name": "tools", "source": "local", "path": "/srv/git/tools"})).await;
    assert_eq!((local["secret"].clone(), local["hook_url"].clone()), (Value::Null, Value::Null));
}

#[tokio::test]
async fn settings_inherit_per_field_and_name_the_bad_field() {
    let s = TestServer::start().await;
    let jira = Jira::cloud().await;
    add_cloud_site(&s, &jira, "acme").await;
    assert_eq!(send(&s, M::POST, "/api/code/groups", Some(json!({"name": "web"}))).await.0, 201);
    add_repo(&s, json!({"name": "shop", "source": "gitlab", "group": "web"})).await;
    let patch = |path: &'static str, body: Value| {
        let s = &s;
        async move { send(s, M::PATCH, path, Some(body)).await }
    };
    let (status, v) = patch(
        "/api/code/settings",
        json!({"site": "acme", "comments": false, "key_prefix": "JIRA#"}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    patch("/api/code/groups/web/settings", json!({"comments": true, "transitions": ["21", "31"]}))
        .await;
    let (status, v) = patch(
        "/api/code/repositories/shop/settings",
        json!({"comment_detail": "link_only", "key_prefix": ""}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let field = |v: &Value, f: &str| {
        (
            v["fields"][f]["value"].clone(),
            v["fields"][f]["source"].clone(),
            v["fields"][f]["set_here"].clone(),
        )
    };
    assert_eq!(field(&v, "site"), (json!("acme"), json!("instance"), json!(false)));
    assert_eq!(field(&v, "comments"), (json!(true), json!("group web"), json!(false)));
    assert_eq!(field(&v, "transitions"), (json!(["21", "31"]), json!("group web"), json!(false)));
    assert_eq!(field(&v, "comment_detail"), (json!("link_only"), json!("repository"), json!(true)));
    assert_eq!(field(&v, "key_prefix"), (Value::Null, json!("repository"), json!(true)));
    assert_eq!(field(&v, "smart_commits"), (json!(true), json!("default"), json!(false)));
    // Reset one field: inherited again, the others stay.
    let (status, v) =
        send(&s, M::DELETE, "/api/code/repositories/shop/settings/key_prefix", None).await;
    assert_eq!(status, 200);
    assert_eq!(field(&v, "key_prefix"), (json!("JIRA#"), json!("instance"), json!(false)));
    assert_eq!(field(&v, "comment_detail").1, json!("repository"));
    #[rustfmt::skip]
    let refused = [
        (json!({"key_regex": "([A-Z]+-[0-9]+"}), "key_regex"),
        (json!({"key_regex": "x".repeat(256)}), "key_regex"),
        (json!({"key_prefix": "(JIRA"}), "key_prefix"),
        (json!({"project_keys": ["SHOP", "1X"]}), "project_keys"),
        (json!({"site": "nowhere"}), "site"),
        (json!({"transitions": []}), "transitions"),
        (json!({"transitions": ["close"]}), "transitions"),
        (json!({"triggers": "tags"}), "triggers"),
        (json!({"comment_detail": "verbose"}), "comment_detail"),
        (json!({"reset": ["colour"]}), "reset"),
    ];
    for (body, name) in refused {
        let (status, err) = patch("/api/code/repositories/shop/settings", body.clone()).await;
        assert_eq!((status, err["field"].as_str()), (422, Some(name)), "{body}: {err}");
    }
    let (status, err) =
        patch("/api/code/repositories/shop/settings", json!({"colour": "red"})).await;
    assert_eq!(status, 422, "unknown fields are refused");
    assert!(err["message"].as_str().unwrap().contains("colour"), "{err}");
}

/// Request headers, as `deliver` sends them.
type Headers<'a> = Vec<(&'a str, String)>;

fn signed(secret: &str, body: &[u8]) -> String {
    tether_forge::github_signature(&secret.to_owned().into(), body).unwrap()
}

fn github_push() -> Value {
    json!({"ref": "refs/heads/main", "before": "0000000000000000000000000000000000000000",
        "after": "1111111111111111111111111111111111111111", "created": true, "deleted": false, "forced": false,
        "commits": [{"id": "1111111111111111111111111111111111111111", "message": "SHOP-1 cart",
            "timestamp": "2026-01-02T10:00:00Z", "url": "https://github.com/acme/shop/commit/1111111",
            "author": {"name": "Ada", "email": "ada@example.com"}}],
        "repository": {"full_name": "acme/shop", "html_url": "https://github.com/acme/shop", "default_branch": "main"}})
}

async fn deliver(
    s: &TestServer,
    path: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> (u16, Value) {
    let mut req =
        reqwest::Client::new().post(s.at(path)).header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let r = req.body(body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn intake_stores_each_authentic_delivery_once() {
    let s =
        TestServer::start_with(ServerConfig { body_limit: 64 * 1024, ..ServerConfig::default() })
            .await;
    let repo = add_repo(&s, json!({"name": "shop", "source": "github"})).await;
    let secret = repo["secret"].as_str().unwrap().to_owned();
    let id = s.store.repository_by_name("shop").await.unwrap().id;
    let path = format!("/hooks/github/{id}");
    let body = github_push().to_string().into_bytes();
    let headers = |event: &str, delivery: &str, sig: String| {
        vec![
            ("X-GitHub-Event", event.to_owned()),
            ("X-GitHub-Delivery", delivery.to_owned()),
            ("X-Hub-Signature-256", sig),
        ]
    };
    let (status, got) =
        deliver(&s, &path, &headers("push", "d-1", signed(&secret, &body)), body.clone()).await;
    assert_eq!(status, 202, "{got}");
    let event = got["event"].as_i64().unwrap();
    let (status, again) =
        deliver(&s, &path, &headers("push", "d-1", signed(&secret, &body)), body.clone()).await;
    assert_eq!(
        (status, again["event"].as_i64(), again["duplicate"].clone()),
        (200, Some(event), json!(true))
    );
    let stored = s.store.dev_events(id, None, 10).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].body, body);
    #[rustfmt::skip]
    let refused: Vec<(Headers, Vec<u8>, u16)> = vec![
        (headers("push", "d-2", signed("another secret", &body)), body.clone(), 401),
        (headers("push", "d-3", "sha256=00".into()), body.clone(), 401),
        (vec![("X-GitHub-Event", "push".into()), ("X-GitHub-Delivery", "d-4".into())], body.clone(), 401),
        (headers("push", "d-5", signed(&secret, b"{not json")), b"{not json".to_vec(), 400),
        (headers("ping", "d-6", signed(&secret, b"{}")), b"{}".to_vec(), 202),
        (headers("push", "d-7", signed(&secret, &vec![b' '; 70 * 1024])), vec![b' '; 70 * 1024], 413),
    ];
    for (h, b, expect) in refused {
        let (status, got) = deliver(&s, &path, &h, b).await;
        assert_eq!(status, expect, "{h:?}: {got}");
    }
    assert_eq!(s.store.dev_events(id, None, 10).await.unwrap().len(), 1, "nothing else stored");
    // A GitHub repository's address takes no GitLab delivery, and an unknown id is unknown.
    let gitlab =
        vec![("X-Gitlab-Event", "Push Hook".to_owned()), ("X-Gitlab-Token", secret.clone())];
    assert_eq!(deliver(&s, &format!("/hooks/gitlab/{id}"), &gitlab, body.clone()).await.0, 404);
    assert_eq!(
        deliver(&s, "/hooks/github/999", &headers("push", "d-8", signed(&secret, &body)), body)
            .await
            .0,
        404
    );
    // The log says what is known of it.
    let (status, log) = send(&s, M::GET, "/api/code/repositories/shop/events", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (log[0]["delivery_id"].clone(), log[0]["state"].clone()),
        (json!("d-1"), json!("pending"))
    );
}

#[tokio::test]
async fn failed_signatures_spend_the_address_allowance() {
    let config = ServerConfig {
        auth_failures: tether_server::FailureLimit { burst: 2, per_minute: 1 },
        ..ServerConfig::default()
    };
    let s = TestServer::start_with(config).await;
    let repo = add_repo(&s, json!({"name": "shop", "source": "gitlab"})).await;
    let id = s.store.repository_by_name("shop").await.unwrap().id;
    let path = format!("/hooks/gitlab/{id}");
    let bad =
        vec![("X-Gitlab-Event", "Push Hook".to_owned()), ("X-Gitlab-Token", "guess".to_owned())];
    for expect in [401, 401, 429] {
        assert_eq!(deliver(&s, &path, &bad, b"{}".to_vec()).await.0, expect);
    }
    // Even the right token waits once the allowance is spent.
    let good = vec![
        ("X-Gitlab-Event", "Push Hook".to_owned()),
        ("X-Gitlab-Token", repo["secret"].as_str().unwrap().to_owned()),
    ];
    assert_eq!(deliver(&s, &path, &good, b"{}".to_vec()).await.0, 429);
}

#[tokio::test]
async fn test_settings_says_what_to_fix() {
    let s = TestServer::start().await;
    let jira = Jira::cloud().await;
    add_cloud_site(&s, &jira, "acme").await;
    add_repo(&s, json!({"name": "shop", "source": "github"})).await;
    let (_, r) = send(&s, M::POST, "/api/code/repositories/shop/test", None).await;
    assert_eq!(r["ok"], false);
    assert!(r["messages"][0].as_str().unwrap().starts_with("No Jira site is set"), "{r}");
    let settings = json!({"site": "acme", "project_keys": ["SAND"], "transitions": "automatic"});
    send(&s, M::PATCH, "/api/code/repositories/shop/settings", Some(settings)).await;
    jira.sandbox
        .deny_permission(PermissionDenial {
            user: "admin".into(),
            project: Some("SAND".into()),
            permission: "WORK_ON_ISSUES".into(),
        })
        .unwrap();
    let (_, r) = send(&s, M::POST, "/api/code/repositories/shop/test", None).await;
    assert_eq!(
        (r["deployment"].clone(), r["account"].clone()),
        (json!("cloud"), json!("Sandbox Admin <admin@sandbox.test>"))
    );
    let messages: Vec<String> = serde_json::from_value(r["messages"].clone()).unwrap();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("WORK_ON_ISSUES") && m.contains("log work from Smart Commits")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(
            |m| m.contains("OAuth 2.0 credentials with the Development Information permission")
        ),
        "{messages:?}"
    );
    // Without Smart Commits the permission is not needed; with credentials the panel works.
    send(
        &s,
        M::PATCH,
        "/api/code/repositories/shop/settings",
        Some(json!({"smart_commits": false})),
    )
    .await;
    let creds = json!({"client_id": DEFAULT_OAUTH_CLIENT_ID, "secret": DEFAULT_OAUTH_CLIENT_SECRET,
        "token_url": format!("{}/oauth/token", jira.url), "gateway_url": jira.url});
    assert_eq!(send(&s, M::PUT, "/api/code/sites/acme/devinfo", Some(creds)).await.0, 204);
    let (_, r) = send(&s, M::POST, "/api/code/repositories/shop/test", None).await;
    assert_eq!(
        (r["ok"].clone(), r["development_panel"].clone()),
        (json!(true), json!("ok")),
        "{r}"
    );
    assert_eq!(r["projects_ok"], json!(["SAND"]));
    jira.sandbox
        .set_oauth_permissions(
            DEFAULT_OAUTH_CLIENT_ID,
            vec![jira_sandbox::DevOpsPermission::DevelopmentInfoRead],
        )
        .unwrap();
    let (_, r) = send(&s, M::POST, "/api/code/repositories/shop/test", None).await;
    assert!(r["development_panel"].as_str().unwrap().contains("write permission"), "{r}");
}
