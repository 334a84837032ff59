//! A project's page: environments and their SDK keys, created (shown once),
//! listed by their last characters, and revoked so that they stop at once.

use crate::TestServer;
use crate::ui_flags::{html, post_form, setup};

async fn evaluate(s: &TestServer, key: &str) -> u16 {
    reqwest::Client::new()
        .post(s.at("/ofrep/v1/evaluate/flags/new-checkout"))
        .bearer_auth(key)
        .json(&serde_json::json!({"context": {"targetingKey": "alice"}}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// SDK keys could once be had only from the demo or a raw API call.
#[tokio::test]
async fn sdk_keys_are_created_shown_once_listed_by_hint_and_revoked_at_once() {
    let s = TestServer::start().await;
    setup(&s).await;
    let (status, page) = html(&s, "/projects/shop").await;
    assert_eq!(status, 200);
    assert_eq!(page.matches("No SDK keys yet.").count(), 3, "three environments: {page}");
    let (_, list) = html(&s, "/flags").await;
    assert!(list.contains("<a href=\"/projects/shop\">environments and SDK keys</a>"), "{list}");

    let client = reqwest::Client::new();
    let r = client
        .post(s.at("/projects/shop/environments/production/sdk-keys"))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "answered directly, not redirected");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let created = r.text().await.unwrap();
    let start = created.find("<code id=\"new-key\" class=\"secret\">").expect("the key") + 34;
    let key = created[start..start + created[start..].find('<').unwrap()].to_owned();
    assert!(key.starts_with("tether-sdk-") && key.len() > 40, "{key}");
    assert!(created.contains("A new SDK key for Production"), "{created}");
    assert_eq!(evaluate(&s, &key).await, 200, "the key evaluates");

    let (_, page) = html(&s, "/projects/shop").await;
    assert!(!page.contains(&key), "shown once only: {page}");
    let hint = &key[key.len() - 4..];
    assert!(page.contains(&format!("<code>tether-sdk-…{hint}</code>")), "{page}");
    let id = s.store.list_sdk_keys("shop", "production").await.unwrap()[0].id;

    let (status, location, _) =
        post_form(&s, &format!("/projects/shop/environments/production/sdk-keys/{id}/revoke"), &[])
            .await;
    assert_eq!((status, location.as_str()), (303, "/projects/shop?saved=revoked#env-production"));
    assert_eq!(evaluate(&s, &key).await, 401, "revoked keys stop at once, cached or not");
    let (_, page) = html(&s, "/projects/shop?saved=revoked").await;
    assert!(page.contains("Revoked the SDK key"), "{page}");
    assert!(page.contains("revoked just now"), "{page}");
    let (status, _, _) =
        post_form(&s, &format!("/projects/shop/environments/production/sdk-keys/{id}/revoke"), &[])
            .await;
    assert_eq!(status, 404, "a revoked key cannot be revoked again");
    let (status, _) = html(&s, "/projects/nope").await;
    assert_eq!(status, 404);
}
