//! Jira Software Cloud's DevOps APIs take apps only: Basic auth with an API token gets 401;
//! OAuth 2.0 credentials get what their per-API permissions allow (403 otherwise), changeable
//! through `/_sandbox/oauth-clients`; and the Builds and Deployments APIs store what they get.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{self, Auth, Server};

async fn token(srv: &Server, id: &str, secret: &str) -> (String, String) {
    let r = srv
        .call_as(
            Auth::None,
            Method::POST,
            "/oauth/token",
            Some(json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    (
        r.body["access_token"].as_str().unwrap().to_owned(),
        r.body["scope"].as_str().unwrap().to_owned(),
    )
}

fn build(key: &str, number: i64, seq: i64) -> Value {
    json!({"pipelineId": "ci", "buildNumber": number, "updateSequenceNumber": seq, "displayName": format!("ci #{number}"),
           "url": format!("https://ci.test/{number}"), "state": "successful", "lastUpdated": "2024-05-01T10:00:00Z", "issueKeys": [key]})
}

fn deployment(key: &str, number: i64) -> Value {
    json!({"deploymentSequenceNumber": number, "updateSequenceNumber": 1, "displayName": "deploy", "url": "https://cd.test/1",
           "description": "to prod", "lastUpdated": "2024-05-01T10:00:00Z", "state": "successful",
           "pipeline": {"id": "cd", "displayName": "CD", "url": "https://cd.test"},
           "environment": {"id": "prod", "displayName": "Production", "type": "production"},
           "associations": [{"associationType": "issueIdOrKeys", "values": [key]}]})
}

/// Every DevOps API: `(a read path, a write path and body)`.
fn apis(key: &str) -> Vec<(&'static str, String, String, Value)> {
    vec![
        (
            "feature flags",
            "/rest/featureflags/0.1/flag/x".into(),
            "/rest/featureflags/0.1/bulk".into(),
            json!({"flags": [crate::featureflags::flag("x", 1, &[key])]}),
        ),
        (
            "builds",
            "/rest/builds/0.1/pipelines/ci/builds/1".into(),
            "/rest/builds/0.1/bulk".into(),
            json!({"builds": [build(key, 1, 1)]}),
        ),
        (
            "deployments",
            "/rest/deployments/0.1/pipelines/cd/environments/prod/deployments/1".into(),
            "/rest/deployments/0.1/bulk".into(),
            json!({"deployments": [deployment(key, 1)]}),
        ),
    ]
}

#[tokio::test]
async fn basic_auth_is_refused_and_oauth_credentials_are_held_to_their_permissions() {
    let srv = support::cloud().await;
    let key = srv.create(3, "DevOps").await;
    for (name, read, write, body) in apis(&key) {
        // A person, even the admin with a valid API token: 401.
        let r = srv.post(&write, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name}: {:?}", r.body);
        assert!(r.body[0]["message"].as_str().unwrap().contains("accepts only apps"), "{name}");
        assert_eq!(srv.get(&read).await.status, StatusCode::UNAUTHORIZED, "{name}");
        // The default credentials hold every permission.
        assert_eq!(srv.app_post(&write, body.clone()).await.status, StatusCode::ACCEPTED, "{name}");
        assert_eq!(srv.app_get(&read).await.status, StatusCode::OK, "{name}");
    }

    // Read-only feature flags, nothing else: the same token, permissions changed by the admin.
    let r = srv
        .call_as(
            Auth::None,
            Method::PUT,
            "/_sandbox/oauth-clients/sandbox-client/permissions",
            Some(json!(["feature_flags_read"])),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let cases = [
        // (method, api, status)
        (Method::GET, 0, 200),
        (Method::POST, 0, 403),
        (Method::GET, 1, 403),
        (Method::POST, 2, 403),
    ];
    let apis = apis(&key);
    for (method, i, status) in cases {
        let (name, read, write, body) = &apis[i];
        let r = match method {
            Method::GET => srv.app_get(read).await,
            _ => srv.app_post(write, body.clone()).await,
        };
        assert_eq!(r.status.as_u16(), status, "{method} {name}: {:?}", r.body);
    }
    let r = srv.app_post("/rest/featureflags/0.1/bulk", apis[0].3.clone()).await;
    assert_eq!(
        r.body[0]["message"],
        "These OAuth 2.0 credentials do not have the Feature flags: write permission (write:feature-flag:jira-software) that the Feature Flags API needs."
    );
    let r = srv
        .call_as(
            Auth::None,
            Method::PUT,
            "/_sandbox/oauth-clients/nope/permissions",
            Some(json!([])),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn new_credentials_carry_their_permissions_in_the_token_scope() {
    let srv = support::cloud().await;
    let body = json!({"client_id": "ci", "client_secret": "ci-secret", "user": "admin", "permissions": ["builds_write", "deployments_write"]});
    let r = srv.call_as(Auth::None, Method::POST, "/_sandbox/oauth-clients", Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let listed = srv.call_as(Auth::None, Method::GET, "/_sandbox/oauth-clients", None).await.body;
    assert_eq!(
        listed[1],
        json!({"client_id": "ci", "user": "admin", "permissions": ["builds_write", "deployments_write"]})
    );
    assert!(!listed.to_string().contains("secret"), "no secrets listed: {listed}");
    let (token, scope) = token(&srv, "ci", "ci-secret").await;
    assert_eq!(
        scope,
        // No platform scope: these credentials reach the DevOps APIs only.
        "write:build:jira-software write:deployment:jira-software"
    );
    let key = srv.create(3, "Built").await;
    let auth = Auth::Bearer(Box::leak(token.into_boxed_str()));
    let r = srv
        .call_as(
            auth.clone(),
            Method::POST,
            "/rest/builds/0.1/bulk",
            Some(json!({"builds": [build(&key, 7, 1)]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = srv
        .call_as(auth.clone(), Method::GET, "/rest/builds/0.1/pipelines/ci/builds/7", None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "write without read: {:?}", r.body);
    let r = srv.call_as(auth, Method::GET, "/rest/featureflags/0.1/flag/x", None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The platform API still answers it, as the user the credentials act as.
    assert_eq!(srv.sandbox.development(&key).unwrap().builds[0].build_number, 7);
}

#[tokio::test]
async fn builds_and_deployments_are_stored_by_key_and_sequence_number() {
    let srv = support::cloud().await;
    let key = srv.create(3, "Shipped").await;
    let r = srv
        .app_post("/rest/builds/0.1/bulk", json!({"properties": {"repo": "a"}, "builds": [build(&key, 1, 2), build("NOPE-1", 2, 1), {"pipelineId": "ci", "buildNumber": 3}]}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(r.body["acceptedBuilds"], json!([{"pipelineId": "ci", "buildNumber": 1}]));
    assert_eq!(r.body["unknownIssueKeys"], json!(["NOPE-1"]));
    assert_eq!(r.body["rejectedBuilds"][0]["key"], json!({"pipelineId": "ci", "buildNumber": 3}));
    let errors: Vec<&str> = r.body["rejectedBuilds"][0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        errors.contains(&"updateSequenceNumber: must be an integer")
            && errors.contains(&"issueKeys: must not be null"),
        "{errors:?}"
    );
    // An older update sequence number is ignored, not failed.
    let mut old = build(&key, 1, 1);
    old["state"] = json!("failed");
    let r = srv.app_post("/rest/builds/0.1/bulk", json!({"builds": [old]})).await;
    assert_eq!(r.body["acceptedBuilds"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        srv.app_get("/rest/builds/0.1/pipelines/ci/builds/1").await.body["state"],
        "successful"
    );

    let r = srv
        .app_post("/rest/deployments/0.1/bulk", json!({"deployments": [deployment(&key, 4)]}))
        .await;
    assert_eq!(
        r.body["acceptedDeployments"],
        json!([{"pipelineId": "cd", "environmentId": "prod", "deploymentSequenceNumber": 4}])
    );
    let dev = srv.sandbox.development(&key).unwrap();
    assert_eq!((dev.builds.len(), dev.deployments[0].environment_type.as_str()), (1, "production"));
    let gate = srv
        .app_get("/rest/deployments/0.1/pipelines/cd/environments/prod/deployments/4/gating-status")
        .await;
    assert_eq!(gate.body["gatingStatus"], "allowed");

    assert_eq!(
        srv.app_delete("/rest/builds/0.1/bulkByProperties").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        srv.app_delete("/rest/builds/0.1/bulkByProperties?repo=a").await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        srv.app_get("/rest/builds/0.1/pipelines/ci/builds/1").await.status,
        StatusCode::NOT_FOUND
    );
    let one = "/rest/deployments/0.1/pipelines/cd/environments/prod/deployments/4";
    assert_eq!(srv.app_delete(one).await.status, StatusCode::ACCEPTED);
    assert_eq!(srv.app_get(one).await.status, StatusCode::NOT_FOUND);

    // The gateway form, and Data Center, which has none of these APIs.
    let cloud_id = jira_sandbox::CLOUD_ID;
    let r = srv
        .call_as(
            Auth::App,
            Method::GET,
            &format!("/jira/builds/0.1/cloud/{cloud_id}/pipelines/ci/builds/1"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let dc = support::dc().await;
    assert_eq!(
        dc.get("/rest/builds/0.1/pipelines/ci/builds/1").await.status,
        StatusCode::NOT_FOUND
    );
}
