//! Issue properties: PUT creates (201) or replaces (200) any JSON value, GET reads it or lists
//! the keys, DELETE removes it.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{self, jira_error};

#[tokio::test]
async fn properties_round_trip_in_every_api() {
    let cloud = support::cloud().await;
    let dc = support::dc().await;
    for (srv, api) in [(&cloud, 3), (&cloud, 2), (&dc, 2)] {
        let key = srv.create(api, "Has properties").await;
        let base = format!("/rest/api/{api}/issue/{key}/properties");
        let r = srv.get(&base).await;
        assert_eq!(r.body, json!({"keys": []}), "api {api}");

        // (property, value, expected status): any JSON value, created then replaced.
        let cases = [
            ("tether.flags", json!({"flags": ["new-checkout"], "n": 1}), StatusCode::CREATED),
            ("tether.flags", json!({"flags": []}), StatusCode::OK),
            ("a.number", json!(42), StatusCode::CREATED),
            ("a.string", json!("text"), StatusCode::CREATED),
            ("a.list", json!([1, "two", null]), StatusCode::CREATED),
            ("a.bool", json!(false), StatusCode::CREATED),
        ];
        for (prop, value, status) in &cases {
            let r = srv.put(&format!("{base}/{prop}"), value.clone()).await;
            assert_eq!(r.status, *status, "api {api} {prop}: {:?}", r.body);
        }
        let r = srv.get(&format!("{base}/tether.flags")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, json!({"key": "tether.flags", "value": {"flags": []}}));
        let r = srv.get(&format!("{base}/a.list")).await;
        assert_eq!(r.body["value"], json!([1, "two", null]));

        let r = srv.get(&base).await;
        let keys: Vec<&str> =
            r.body["keys"].as_array().unwrap().iter().map(|k| k["key"].as_str().unwrap()).collect();
        assert_eq!(keys, ["a.bool", "a.list", "a.number", "a.string", "tether.flags"]);
        let self_link = r.body["keys"][0]["self"].as_str().unwrap();
        assert!(self_link.ends_with(&format!("/rest/api/{api}/issue/{key}/properties/a.bool")));
        assert_eq!(srv.sandbox.issue_properties(&key).unwrap().len(), 5);

        let r = srv.delete(&format!("{base}/a.number")).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        // (path, status) for what is not there.
        let missing = [
            (format!("{base}/a.number"), StatusCode::NOT_FOUND),
            (format!("/rest/api/{api}/issue/SAND-999/properties"), StatusCode::NOT_FOUND),
            (format!("/rest/api/{api}/issue/SAND-999/properties/x"), StatusCode::NOT_FOUND),
        ];
        for (path, status) in missing {
            let r = srv.get(&path).await;
            assert_eq!(r.status, status, "{path}");
            jira_error(&r);
        }
        let r = srv.delete(&format!("{base}/a.number")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let long = "k".repeat(256);
        let r = srv.put(&format!("{base}/{long}"), json!(1)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let r = srv.put(&format!("{base}/big"), json!("x".repeat(40_000))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        jira_error(&r);
    }
}

#[tokio::test]
async fn writing_properties_needs_edit_permission() {
    let mut config = jira_sandbox::SandboxConfig::default();
    config.denied_permissions.push(jira_sandbox::PermissionDenial {
        user: "admin".into(),
        project: Some("SAND".into()),
        permission: "EDIT_ISSUES".into(),
    });
    let srv = support::start(config).await;
    let key = srv.create(3, "Read only").await;
    let r = srv.put(&format!("/rest/api/3/issue/{key}/properties/x"), json!(1)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = srv.delete(&format!("/rest/api/3/issue/{key}/properties/x")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = srv.get(&format!("/rest/api/3/issue/{key}/properties")).await;
    assert_eq!(r.status, StatusCode::OK);
}
