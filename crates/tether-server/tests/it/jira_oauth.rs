//! Jira Cloud's OAuth credentials with an Atlassian account's API token beside them: the token
//! makes the calls the credentials may not (issues, properties), is kept write-only like every
//! secret, and is never sent to a new address without being given again.

use serde_json::json;

use crate::TestServer;
use crate::jira_api::{Jira, send, shop};

use reqwest::Method as M;

/// Posts `body` as a new site and checks it is refused with a 422 naming `field`, in a
/// message containing `part`.
pub async fn refused_site(s: &TestServer, body: serde_json::Value, field: &str, part: &str) {
    let (status, err) = send(s, M::POST, "/api/jira/sites", Some(body.clone())).await;
    assert_eq!(status, 422, "{body} -> {err}");
    assert_eq!(err["field"], field, "{err}");
    assert!(err["message"].as_str().unwrap().contains(part), "{err} lacks {part:?}");
}

fn oauth_site(jira: &Jira) -> serde_json::Value {
    json!({"url": jira.url, "kind": "oauth2", "user": "sandbox-client", "secret": "sandbox-secret",
        "email": "admin@sandbox.test", "api_token": "sandbox-token",
        "options": {"token_url": format!("{}/oauth/token", jira.url), "gateway_url": jira.url}})
}

#[tokio::test]
async fn an_api_token_beside_oauth_credentials_checks_issues_and_is_kept_write_only() {
    let s = TestServer::start().await;
    let jira = Jira::cloud().await;
    let mut body = oauth_site(&jira);
    body["name"] = json!("acme");
    let (status, site) = send(&s, M::POST, "/api/jira/sites", Some(body.clone())).await;
    assert_eq!(status, 201, "{site}");
    assert_eq!(site["options"]["platform_email"], "admin@sandbox.test", "{site}");
    let (_, listed) = send(&s, M::GET, "/api/jira/sites", None).await;
    for secret in ["sandbox-token", "sandbox-secret"] {
        assert!(!listed.to_string().contains(secret), "{secret} leaked: {listed}");
    }

    // The token's account is who the connection test checks, with its project permissions;
    // no limit is left to tell.
    let (status, report) =
        send(&s, M::POST, "/api/jira/sites/acme/test", Some(json!({"projects": ["SAND"]}))).await;
    assert_eq!(status, 200);
    assert_eq!(report["ok"], true, "{report}");
    assert!(report["account"].as_str().unwrap().contains("admin@sandbox.test"), "{report}");
    assert_eq!(report["projects_ok"], json!(["SAND"]), "{report}");
    assert_eq!(report["limits"], json!([]), "{report}");

    // Issue keys are checked against Jira before linking, as with any credential that may.
    shop(&s).await;
    send(&s, M::PUT, "/api/projects/shop/jira", Some(json!({"site": "acme"}))).await;
    let link = |key: &str| Some(json!({"issue": key}));
    let (status, linked) =
        send(&s, M::POST, "/api/projects/shop/flags/checkout/issues", link("SAND-1")).await;
    assert_eq!((status, linked["summary"].as_str()), (201, Some("Faster checkout")), "{linked}");
    let (status, err) =
        send(&s, M::POST, "/api/projects/shop/flags/checkout/issues", link("SAND-99")).await;
    assert_eq!(status, 422, "{err}");

    // An update naming the same account keeps the stored token; another account needs its own;
    // a new address needs both secrets again.
    let mut update = oauth_site(&jira);
    update.as_object_mut().unwrap().remove("api_token");
    update.as_object_mut().unwrap().remove("secret");
    let (status, kept) = send(&s, M::PUT, "/api/jira/sites/acme", Some(update.clone())).await;
    assert_eq!(status, 200, "{kept}");
    let (_, report) = send(&s, M::POST, "/api/jira/sites/acme/test", None).await;
    assert_eq!(report["ok"], true, "the kept token still works: {report}");
    update["email"] = json!("someone@sandbox.test");
    let (status, err) = send(&s, M::PUT, "/api/jira/sites/acme", Some(update.clone())).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("api_token")), "{err}");
    update["email"] = json!("admin@sandbox.test");
    update["url"] = json!("https://acme.atlassian.net");
    update["secret"] = json!("sandbox-secret");
    let (status, err) = send(&s, M::PUT, "/api/jira/sites/acme", Some(update)).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("api_token")), "{err}");
    assert!(err["message"].as_str().unwrap().contains("url changed"), "{err}");

    // Without the email the token goes: OAuth credentials alone, and the test says their limit.
    let mut alone = oauth_site(&jira);
    for k in ["email", "api_token", "secret"] {
        alone.as_object_mut().unwrap().remove(k);
    }
    let (status, site) = send(&s, M::PUT, "/api/jira/sites/acme", Some(alone)).await;
    assert_eq!(status, 200, "{site}");
    assert_eq!(site["options"].get("platform_email"), None, "{site}");
    let (_, report) = send(&s, M::POST, "/api/jira/sites/acme/test", None).await;
    assert_eq!(report["limits"], json!([tether_jira::OAUTH_CREDENTIALS_LIMIT]), "{report}");
}

#[tokio::test]
async fn a_misplaced_api_token_gets_422_naming_the_field() {
    let s = TestServer::start().await;
    let jira = Jira::cloud().await;
    let check = |edit: fn(&mut serde_json::Value), field: &'static str, part: &'static str| {
        let mut body = oauth_site(&jira);
        body["name"] = json!("a");
        edit(&mut body);
        let s = &s;
        async move { refused_site(s, body, field, part).await }
    };
    check(|b| drop(b.as_object_mut().unwrap().remove("api_token")), "api_token", "API token of")
        .await;
    check(|b| drop(b.as_object_mut().unwrap().remove("email")), "email", "email of the Atlassian")
        .await;
    check(|b| b["email"] = json!("admin"), "email", "email of the Atlassian").await;
    check(
        |b| {
            b["kind"] = json!("pat");
            b.as_object_mut().unwrap().remove("options");
        },
        "email",
        "only oauth2 sites",
    )
    .await;
    assert!(s.store.list_jira_sites().await.unwrap().is_empty());
}
