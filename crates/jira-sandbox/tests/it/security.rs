//! Issue-level security: an issue in a security level is invisible (404, absent from search)
//! to users outside the level.

use jira_sandbox::{Flavour, SandboxConfig, SecurityLevelSpec, UserSpec};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{self, Auth, Server};

fn config(flavour: Flavour) -> SandboxConfig {
    let mut eve = UserSpec::named("eve", "Eve Outsider");
    eve.api_token = Some("eve-token".into());
    eve.password = Some("eve-pw".into());
    let mut config = SandboxConfig::with_flavour(flavour);
    config.users.push(eve);
    config.security_levels.push(SecurityLevelSpec {
        name: "Staff".into(),
        description: "Staff only".into(),
        members: vec!["admin".into()],
    });
    config
}

async fn servers() -> Vec<(Server, Auth, &'static str)> {
    vec![
        (
            support::start(config(Flavour::Cloud)).await,
            Auth::Basic("eve@sandbox.test", "eve-token"),
            "/rest/api/3/search/jql?fields=key&jql=project%20%3D%20SAND",
        ),
        (
            support::start(config(Flavour::data_center("9.12.0"))).await,
            Auth::Basic("eve", "eve-pw"),
            "/rest/api/2/search?fields=key&jql=project%20%3D%20SAND",
        ),
    ]
}

fn keys(body: &serde_json::Value) -> Vec<String> {
    body["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn secured_issues_are_hidden_from_outsiders() {
    for (srv, eve, search) in servers().await {
        let open = srv.create(2, "Open").await;
        let secret = srv.create(2, "Secret").await;
        srv.sandbox.set_issue_security(&secret, Some("Staff")).unwrap();

        // (who, path, status)
        let cases = [
            (Auth::Default, format!("/rest/api/2/issue/{secret}"), StatusCode::OK),
            (eve.clone(), format!("/rest/api/2/issue/{secret}"), StatusCode::NOT_FOUND),
            (eve.clone(), format!("/rest/api/2/issue/{open}"), StatusCode::OK),
            (eve.clone(), format!("/rest/api/2/issue/{secret}/comment"), StatusCode::NOT_FOUND),
            (eve.clone(), format!("/rest/api/2/issue/{secret}/properties"), StatusCode::NOT_FOUND),
            (eve.clone(), format!("/rest/api/2/issue/{secret}/transitions"), StatusCode::NOT_FOUND),
        ];
        for (who, path, status) in cases {
            let r = srv.call_as(who.clone(), Method::GET, &path, None).await;
            assert_eq!(r.status, status, "{who:?} {path}: {:?}", r.body);
        }
        let r = srv.get(&format!("/rest/api/2/issue/{secret}")).await;
        assert_eq!(r.body["fields"]["security"]["name"], "Staff");
        assert!(r.body["fields"].get("security").is_some());

        let admin_sees = keys(&srv.get(search).await.body);
        assert!(admin_sees.contains(&secret) && admin_sees.contains(&open), "{admin_sees:?}");
        let eve_sees = keys(&srv.call_as(eve.clone(), Method::GET, search, None).await.body);
        assert_eq!(eve_sees, vec![open.clone()]);

        // Writing to it is as impossible as reading it.
        let r = srv
            .call_as(
                eve.clone(),
                Method::POST,
                &format!("/rest/api/2/issue/{secret}/comment"),
                Some(json!({"body": "hi"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // Lifted through the admin endpoint.
        let r = srv
            .call_as(
                Auth::None,
                Method::PUT,
                &format!("/_sandbox/issues/{secret}/security"),
                Some(json!({"level": null})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let r = srv
            .call_as(eve.clone(), Method::GET, &format!("/rest/api/2/issue/{secret}"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body["fields"].get("security").is_none());
    }
}

#[tokio::test]
async fn security_levels_over_the_admin_endpoint() {
    let srv = support::cloud().await;
    let key = srv.create(3, "Later secured").await;
    // (body, status)
    let cases = [
        (json!({"name": "Board", "members": ["admin"]}), StatusCode::CREATED),
        (json!({"name": "board", "members": []}), StatusCode::BAD_REQUEST),
        (json!({"name": "Ghosts", "members": ["nobody"]}), StatusCode::BAD_REQUEST),
        (json!({"members": []}), StatusCode::BAD_REQUEST),
    ];
    for (body, status) in cases {
        let r = srv
            .call_as(Auth::None, Method::POST, "/_sandbox/security-levels", Some(body.clone()))
            .await;
        assert_eq!(r.status, status, "{body}");
    }
    // (issue, level, status)
    let cases = [
        (key.as_str(), json!("Board"), StatusCode::NO_CONTENT),
        (key.as_str(), json!("Nope"), StatusCode::BAD_REQUEST),
        (key.as_str(), json!(7), StatusCode::BAD_REQUEST),
        ("SAND-99", json!("Board"), StatusCode::NOT_FOUND),
    ];
    for (issue, level, status) in cases {
        let path = format!("/_sandbox/issues/{issue}/security");
        let r = srv.call_as(Auth::None, Method::PUT, &path, Some(json!({"level": level}))).await;
        assert_eq!(r.status, status, "{issue} {level}");
    }
    let r = srv.get(&format!("/rest/api/3/issue/{key}?fields=security")).await;
    assert_eq!(r.body["fields"]["security"]["name"], "Board");
}

#[tokio::test]
async fn seeding_secures_issues_labelled_security() {
    let srv = support::cloud().await;
    srv.sandbox.seed_issues(200, 3);
    let jql =
        "/rest/api/3/search/jql?fields=security,labels&maxResults=100&jql=labels%20%3D%20security";
    let r = srv.get(jql).await;
    let issues = r.body["issues"].as_array().unwrap();
    assert!(!issues.is_empty());
    for i in issues {
        assert_eq!(i["fields"]["security"]["name"], "Security team", "{}", i["key"]);
    }
}
