//! `/api/projects`: create, list, read, and validation that writes nothing.

use serde_json::json;

use crate::TestServer;

#[tokio::test]
async fn projects_are_created_listed_and_read() {
    let s = TestServer::start().await;
    let body = json!({
        "key": "checkout",
        "name": "Checkout",
        "environments": [
            {"key": "dev", "name": "Dev", "kind": "development"},
            {"key": "prod", "name": "Prod", "kind": "production", "primary": true}
        ]
    });
    let (status, created) = s.post_raw("/api/projects", body.to_string()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["key"], "checkout");
    assert_eq!(created["version"], 1);
    assert_eq!(
        created["environments"][1],
        json!({"key": "prod", "name": "Prod", "kind": "production", "primary": true})
    );

    let (status, listed) = s.get_json("/api/projects").await;
    assert_eq!(status, 200);
    assert_eq!(listed, json!([created]));
    let (status, one) = s.get_json("/api/projects/checkout").await;
    assert_eq!((status, &one), (200, &created));

    let (status, err) = s.get_json("/api/projects/nope").await;
    assert_eq!(status, 404);
    assert_eq!(err, json!({"code": "not_found", "message": "no project \"nope\""}));
}

#[tokio::test]
async fn invalid_projects_get_422_with_the_field_and_nothing_is_written() {
    let s = TestServer::start().await;
    let check = |body: serde_json::Value, field: &'static str, message_part: &'static str| {
        let s = &s;
        async move {
            let (status, err) = s.post_raw("/api/projects", body.to_string()).await;
            assert_eq!(status, 422, "{body} -> {err}");
            assert_eq!(err["code"], "invalid", "{err}");
            assert_eq!(err["field"], field, "{err}");
            let message = err["message"].as_str().unwrap();
            assert!(message.contains(message_part), "{message:?} lacks {message_part:?}");
        }
    };
    check(json!({"key": "Bad Key", "name": "x"}), "key", "not a valid key").await;
    check(json!({"key": "ok", "name": "  "}), "name", "1 to 200").await;
    check(json!({"key": "ok", "name": 5}), "name", "invalid type").await;
    check(json!({"name": "x"}), "", "missing field `key`").await;
    check(
        json!({"key": "ok", "name": "x", "environments": [{"key": "a", "name": "A", "kind": "prod"}]}),
        "environments[0].kind",
        "unknown variant",
    )
    .await;
    check(
        json!({"key": "ok", "name": "x", "environments": [
            {"key": "a", "name": "A", "kind": "production", "primary": true},
            {"key": "a", "name": "B", "kind": "staging"}]}),
        "environments[1].key",
        "used twice",
    )
    .await;
    check(
        json!({"key": "ok", "name": "x", "environments": [{"key": "a", "name": "A", "kind": "production"}]}),
        "environments",
        "exactly one environment must be primary",
    )
    .await;
    assert!(s.store.list_projects().await.unwrap().is_empty());
    let log = s.store.audit_log(None, 100).await.unwrap();
    assert!(log.iter().all(|e| e.action != "project.create"), "{log:?}");
}

#[tokio::test]
async fn a_duplicate_key_is_a_409() {
    let s = TestServer::start().await;
    let body = json!({"key": "dup", "name": "Dup"}).to_string();
    assert_eq!(s.post_raw("/api/projects", body.clone()).await.0, 201);
    let (status, err) = s.post_raw("/api/projects", body).await;
    assert_eq!(status, 409);
    assert_eq!(err["code"], "conflict");
    assert!(err["message"].as_str().unwrap().contains("dup"), "{err}");
}
