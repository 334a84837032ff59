//! Permissions (and what they hide), users, fields, create metadata, bulk reads.

use jira_sandbox::{Flavour, PermissionDenial, SandboxConfig, UserSpec};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{self, Auth, jira_error};

fn deny(user: &str, project: Option<&str>, permission: &str) -> PermissionDenial {
    PermissionDenial {
        user: user.into(),
        project: project.map(Into::into),
        permission: permission.into(),
    }
}

#[tokio::test]
async fn permissions_are_reported_and_enforced() {
    let config = SandboxConfig {
        denied_permissions: vec![
            deny("admin", Some("SAND"), "ADD_COMMENTS"),
            deny("admin", None, "ADMINISTER"),
        ],
        ..SandboxConfig::default()
    };
    let srv = support::start(config).await;
    srv.sandbox.seed_issues(20, 5);
    let key = srv.create(3, "Mine").await;

    let r = srv.get("/rest/api/3/mypermissions?projectKey=SAND").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "Cloud requires the permissions parameter");
    assert!(jira_error(&r).contains("permissions"));
    let r = srv.get("/rest/api/3/mypermissions?projectKey=SAND&permissions=BROWSE_PROJECTS,ADD_COMMENTS,ADMINISTER").await;
    let have = |k: &str| r.body["permissions"][k]["havePermission"].as_bool().unwrap();
    assert!(have("BROWSE_PROJECTS") && !have("ADD_COMMENTS") && !have("ADMINISTER"));
    let r = srv.get("/rest/api/3/mypermissions?projectKey=DEMO&permissions=ADD_COMMENTS").await;
    assert_eq!(r.body["permissions"]["ADD_COMMENTS"]["havePermission"], true);
    assert_eq!(
        srv.get("/rest/api/3/mypermissions?permissions=NOPE").await.status,
        StatusCode::BAD_REQUEST
    );

    let r = srv
        .post(
            &format!("/rest/api/3/issue/{key}/comment"),
            json!({"body": {"type": "doc", "version": 1, "content": []}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    jira_error(&r);

    let r = srv
        .post("/rest/api/3/permissions/check", json!({
            "globalPermissions": ["ADMINISTER", "USE"],
            "projectPermissions": [{"permissions": ["ADD_COMMENTS", "BROWSE_PROJECTS"], "projects": [10000, 10001]}],
        }))
        .await;
    assert_eq!(r.body["globalPermissions"], json!(["USE"]));
    assert_eq!(
        r.body["projectPermissions"][0],
        json!({"permission": "ADD_COMMENTS", "projects": [10001], "issues": []})
    );
    assert_eq!(r.body["projectPermissions"][1]["projects"], json!([10000, 10001]));

    // Taking BROWSE_PROJECTS away hides the project, its issues and JQL values.
    srv.sandbox.deny_permission(deny("admin", Some("DEMO"), "BROWSE_PROJECTS")).unwrap();
    let keys: Vec<String> = srv
        .get("/rest/api/3/project")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap().to_owned())
        .collect();
    assert!(!keys.contains(&"DEMO".to_owned()), "{keys:?}");
    assert_eq!(srv.get("/rest/api/3/issue/DEMO-1").await.status, StatusCode::NOT_FOUND);
    let r = srv.post("/rest/api/3/search/jql", json!({"jql": "project = DEMO"})).await;
    assert!(jira_error(&r).contains("The value 'DEMO' does not exist for the field 'project'."));
    let r = srv.post("/rest/api/3/search/approximate-count", json!({"jql": "created > 0"})).await;
    let visible = r.body["count"].as_u64().unwrap();
    assert!(visible < 21, "{visible}");
    let r = srv.post("/rest/api/3/issue", json!({"fields": {"project": {"key": "DEMO"}, "issuetype": {"name": "Task"}, "summary": "x"}})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn users_and_user_search() {
    let mut config = SandboxConfig::default();
    config.users.push(UserSpec::named("alice", "Alice Andersen"));
    let srv = support::start(config).await;
    let r = srv.get("/rest/api/3/user/search?query=ali").await;
    let names: Vec<&str> =
        r.body.as_array().unwrap().iter().map(|u| u["displayName"].as_str().unwrap()).collect();
    assert_eq!(names, ["Alice Andersen"]);
    let id = r.body[0]["accountId"].as_str().unwrap().to_owned();
    assert_eq!(
        srv.get(&format!("/rest/api/3/user?accountId={id}")).await.body["displayName"],
        "Alice Andersen"
    );
    assert_eq!(
        srv.get("/rest/api/3/users/search?maxResults=1").await.body.as_array().unwrap().len(),
        1
    );
    assert_eq!(
        srv.get("/rest/api/3/user/assignable/search?project=SAND")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let mut config = SandboxConfig::with_flavour(Flavour::data_center("9.12.0"));
    config.users.push(UserSpec::named("alice", "Alice Andersen"));
    let dc = support::start(config).await;
    assert_eq!(dc.get("/rest/api/2/user/search?username=ali").await.body[0]["name"], "alice");
    assert_eq!(dc.get("/rest/api/2/user?username=alice").await.body["key"], "JIRAUSER10001");
    assert_eq!(dc.get("/rest/api/2/users/search").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn fields_createmeta_and_tenant_info() {
    let srv = support::cloud().await;
    let r = srv.get("/rest/api/3/field").await;
    let sprint = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["schema"]["custom"] == "com.pyxis.greenhopper.jira:gh-sprint")
        .unwrap();
    assert_eq!(sprint["id"], "customfield_10020");

    let r = srv.get("/rest/api/3/issue/createmeta/SAND/issuetypes").await;
    assert_eq!(r.body["total"], 5);
    assert_eq!(r.body["issueTypes"][1]["name"], "Task");
    let r = srv.get("/rest/api/3/issue/createmeta/SAND/issuetypes/10001").await;
    let required: Vec<&str> = r.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["required"] == true)
        .map(|f| f["fieldId"].as_str().unwrap())
        .collect();
    assert_eq!(required, ["issuetype", "project", "summary", "reporter"]);
    assert_eq!(
        srv.get("/rest/api/3/issue/createmeta/NOPE/issuetypes").await.status,
        StatusCode::NOT_FOUND
    );
    let r = srv.call_as(Auth::None, Method::GET, "/_edge/tenant_info", None).await;
    assert!(r.body["cloudId"].as_str().is_some_and(|c| c.len() == 36));

    let dc = support::dc().await;
    let r = dc.get("/rest/api/2/issue/createmeta/SAND/issuetypes").await;
    assert_eq!(r.body["values"].as_array().unwrap().len(), 5, "{:?}", r.body);
    assert_eq!(r.body["isLast"], true);
    assert_eq!(
        dc.call_as(Auth::None, Method::GET, "/_edge/tenant_info", None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn bulk_fetches() {
    let srv = support::cloud().await;
    srv.sandbox.seed_issues(60, 2);
    let r = srv
        .post(
            "/rest/api/3/issue/bulkfetch",
            json!({"issueIdsOrKeys": ["DEMO-1", "NOPE-1", "10002"], "fields": ["summary"]}),
        )
        .await;
    let issues = r.body["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 2);
    assert_eq!(issues[0]["fields"].as_object().unwrap().len(), 1);
    let too_many: Vec<String> = (0..101).map(|i| format!("DEMO-{i}")).collect();
    assert_eq!(
        srv.post("/rest/api/3/issue/bulkfetch", json!({"issueIdsOrKeys": too_many})).await.status,
        StatusCode::BAD_REQUEST
    );

    // Page through every status change of every issue, 7 histories at a time.
    let ids: Vec<String> = (10000..10060).map(|i| i.to_string()).collect();
    let mut total_status = 0;
    for id in &ids {
        let r = srv.get(&format!("/rest/api/3/issue/{id}?fields=summary&expand=changelog")).await;
        let histories = r.body["changelog"]["histories"].as_array().unwrap().clone();
        total_status += histories
            .iter()
            .filter(|h| h["items"].as_array().unwrap().iter().any(|i| i["field"] == "status"))
            .count();
    }
    assert!(total_status > 0);
    let mut seen = 0;
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"issueIdsOrKeys": ids, "fieldIds": ["status"], "maxResults": 7});
        if let Some(t) = &token {
            body["nextPageToken"] = json!(t);
        }
        let r = srv.post("/rest/api/3/changelog/bulkfetch", body).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        for log in r.body["issueChangeLogs"].as_array().unwrap() {
            for h in log["changeHistories"].as_array().unwrap() {
                assert!(h["items"].as_array().unwrap().iter().all(|i| i["fieldId"] == "status"));
                seen += 1;
            }
        }
        match r.body["nextPageToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    // Every history with a status item, and only those.
    assert_eq!(seen, total_status);
    let _: Value = Value::Null;
}
