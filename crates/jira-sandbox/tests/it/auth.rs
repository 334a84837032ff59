//! Authentication per flavour, and Data Center's CAPTCHA after repeated failures.

use reqwest::{Method, StatusCode};

use crate::support::{self, Auth, PAT, jira_error};

#[tokio::test]
async fn credentials_per_flavour() {
    let cloud = support::cloud().await;
    let dc = support::dc().await;
    let cases: &[(&support::Server, Auth, StatusCode)] = &[
        (&cloud, Auth::Default, StatusCode::OK),
        (&cloud, Auth::Basic("ADMIN@sandbox.test", "sandbox-token"), StatusCode::OK),
        (&cloud, Auth::Basic("admin@sandbox.test", "wrong"), StatusCode::UNAUTHORIZED),
        // A Data Center password is not a Cloud API token, and a username is not an email.
        (&cloud, Auth::Basic("admin", "admin"), StatusCode::UNAUTHORIZED),
        (&cloud, Auth::Basic("admin@sandbox.test", " sandbox-token"), StatusCode::UNAUTHORIZED),
        (&cloud, Auth::Bearer(PAT), StatusCode::UNAUTHORIZED),
        (&cloud, Auth::None, StatusCode::UNAUTHORIZED),
        (&dc, Auth::Default, StatusCode::OK),
        (&dc, Auth::Bearer(PAT), StatusCode::OK),
        (&dc, Auth::Bearer("not-a-pat"), StatusCode::UNAUTHORIZED),
        // A PAT is not a Basic password; an email + API token is Cloud's scheme.
        (&dc, Auth::Basic("admin", "sandbox-pat"), StatusCode::UNAUTHORIZED),
        (&dc, Auth::None, StatusCode::UNAUTHORIZED),
    ];
    for (i, (srv, auth, want)) in cases.iter().enumerate() {
        let r = srv.call_as(auth.clone(), Method::GET, "/rest/api/2/myself", None).await;
        assert_eq!(r.status, *want, "case {i}: {auth:?}");
        if *want == StatusCode::UNAUTHORIZED {
            assert!(jira_error(&r).contains("not authenticated"), "case {i}");
        }
    }
}

#[tokio::test]
async fn dc_demands_captcha_after_three_failed_basic_logins() {
    let dc = support::dc().await;
    let wrong =
        || dc.call_as(Auth::Basic("admin", "nope"), Method::GET, "/rest/api/2/myself", None);
    for attempt in 1..=2 {
        let r = wrong().await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.headers.get("X-Authentication-Denied-Reason").is_none(), "attempt {attempt}");
        assert_eq!(r.headers["X-Seraph-LoginReason"], "AUTHENTICATED_FAILED");
    }
    let r = wrong().await;
    let reason = r.headers["X-Authentication-Denied-Reason"].to_str().unwrap();
    assert!(reason.starts_with("CAPTCHA_CHALLENGE; login-url="), "{reason}");
    // Now even the right password is refused, until the failures are reset.
    let r = dc.get("/rest/api/2/myself").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.headers.contains_key("X-Authentication-Denied-Reason"));
    // A PAT is not subject to the CAPTCHA.
    let r = dc.call_as(Auth::Bearer(PAT), Method::GET, "/rest/api/2/myself", None).await;
    assert_eq!(r.status, StatusCode::OK);

    let r = dc.call_as(Auth::None, Method::POST, "/_sandbox/reset-logins", None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(dc.get("/rest/api/2/myself").await.status, StatusCode::OK);
}

#[tokio::test]
async fn successful_login_resets_the_failure_count() {
    let dc = support::dc().await;
    for _ in 0..5 {
        for _ in 0..2 {
            let r = dc
                .call_as(Auth::Basic("admin", "nope"), Method::GET, "/rest/api/2/myself", None)
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(dc.get("/rest/api/2/myself").await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn oauth2_client_credentials_and_gateway_urls() {
    use serde_json::json;
    let srv = support::cloud().await;
    let client = reqwest::Client::new();
    let url = format!("{}/oauth/token", srv.base);
    let r = client
        .post(&url)
        .json(&json!({"grant_type": "client_credentials", "client_id": "sandbox-client", "client_secret": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "access_denied");
    // Form body with the client as Basic credentials works too.
    let r = client
        .post(&url)
        .basic_auth("sandbox-client", Some("sandbox-secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let token: &'static str =
        Box::leak(body["access_token"].as_str().unwrap().to_owned().into_boxed_str());

    let cloud_id =
        srv.call_as(Auth::None, Method::GET, "/_edge/tenant_info", None).await.body["cloudId"]
            .as_str()
            .unwrap()
            .to_owned();
    let me = srv
        .call_as(
            Auth::Bearer(token),
            Method::GET,
            &format!("/ex/jira/{cloud_id}/rest/api/3/myself"),
            None,
        )
        .await;
    // Not associated with any Jira user: the platform APIs refuse it (see the test below).
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{:?}", me.body);
    assert!(!body["scope"].as_str().unwrap().contains("jira-work"), "{body}");
    let key = srv.create(3, "Gateway").await;
    let flag = json!({"flags": [{"id": "gw", "key": "gw", "updateSequenceId": 1, "issueKeys": [key],
        "summary": {"status": {"enabled": false}, "lastUpdated": "2024-01-01T00:00:00Z"},
        "details": [{"url": "https://t.test", "lastUpdated": "2024-01-01T00:00:00Z", "environment": {"name": "prod"}, "status": {"enabled": false}}]}]});
    let r = srv
        .call_as(
            Auth::Bearer(token),
            Method::POST,
            &format!("/jira/featureflags/0.1/cloud/{cloud_id}/bulk"),
            Some(flag),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    let r = srv
        .call_as(
            Auth::Bearer(token),
            Method::GET,
            &format!("/jira/featureflags/0.1/cloud/{cloud_id}/flag/gw?x=1"),
            None,
        )
        .await;
    assert_eq!(r.body["id"], "gw", "{:?} {:?}", r.status, r.body);
    let r = srv
        .call_as(Auth::Bearer(token), Method::GET, "/ex/jira/not-this-site/rest/api/3/myself", None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = srv
        .call_as(
            Auth::Bearer("forged"),
            Method::GET,
            &format!("/ex/jira/{cloud_id}/rest/api/3/myself"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let dc = support::dc().await;
    assert_eq!(
        dc.call_as(Auth::None, Method::POST, "/oauth/token", None).await.status,
        StatusCode::NOT_FOUND
    );
}

/// OAuth credentials for self-hosted tools reach the DevOps APIs only: every platform and
/// agile endpoint answers 401 "scope does not match", on the site URL and through the gateway.
#[tokio::test]
async fn oauth_credentials_reach_only_the_devops_apis() {
    use serde_json::json;
    let srv = support::cloud().await;
    let key = srv.create(3, "Not for system tokens").await;
    let cloud_id =
        srv.call_as(Auth::None, Method::GET, "/_edge/tenant_info", None).await.body["cloudId"]
            .as_str()
            .unwrap()
            .to_owned();
    let gw = format!("/ex/jira/{cloud_id}");
    let issue = format!("/rest/api/3/issue/{key}");
    let property = format!("{issue}/properties/tether.flags");
    let comment = format!("{issue}/comment");
    let refused = json!({"code": 401, "message": "Unauthorized; scope does not match"});
    // (method, path, body, expected status)
    let cases: Vec<(Method, String, Option<serde_json::Value>, StatusCode)> = vec![
        (Method::GET, "/rest/api/3/myself".into(), None, StatusCode::UNAUTHORIZED),
        (Method::GET, format!("{gw}/rest/api/3/myself"), None, StatusCode::UNAUTHORIZED),
        (Method::GET, "/rest/api/2/serverInfo".into(), None, StatusCode::UNAUTHORIZED),
        (Method::GET, issue.clone(), None, StatusCode::UNAUTHORIZED),
        (Method::GET, format!("{gw}{issue}"), None, StatusCode::UNAUTHORIZED),
        (
            Method::PUT,
            format!("{gw}{property}"),
            Some(json!({"flags": []})),
            StatusCode::UNAUTHORIZED,
        ),
        (
            Method::POST,
            format!("{gw}{comment}"),
            Some(json!({"body": "x"})),
            StatusCode::UNAUTHORIZED,
        ),
        (
            Method::GET,
            format!("{gw}/rest/api/3/search/jql?jql=project%3DSAND"),
            None,
            StatusCode::UNAUTHORIZED,
        ),
        (Method::GET, format!("{gw}/rest/agile/1.0/board"), None, StatusCode::UNAUTHORIZED),
        (Method::GET, format!("{gw}/rest/webhooks/1.0/webhook"), None, StatusCode::UNAUTHORIZED),
        (Method::GET, "/rest/featureflags/0.1/flag/none".into(), None, StatusCode::NOT_FOUND),
        (
            Method::GET,
            format!("/jira/featureflags/0.1/cloud/{cloud_id}/flag/none"),
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::GET,
            format!("/jira/devinfo/0.10/cloud/{cloud_id}/repository/none"),
            None,
            StatusCode::NOT_FOUND,
        ),
    ];
    for (method, path, body, want) in cases {
        let r = srv.call_as(Auth::App, method.clone(), &path, body).await;
        assert_eq!(r.status, want, "{method} {path}: {:?}", r.body);
        if want == StatusCode::UNAUTHORIZED {
            assert_eq!(r.body, refused, "{method} {path}");
        }
    }
    // The same calls with the admin's API token still work: the refusal is the token's.
    assert_eq!(srv.get(&issue).await.status, StatusCode::OK);
}
