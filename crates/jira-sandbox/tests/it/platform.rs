//! serverInfo, myself and projects in both flavours.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{self, Auth, jira_error};

#[tokio::test]
async fn server_info_per_flavour_and_anonymous() {
    let cloud = support::cloud().await;
    let dc = support::dc().await;
    let cases: &[(&support::Server, &str, &str, &str)] = &[
        (&cloud, "/rest/api/3/serverInfo", "Cloud", "1001.0.0-SNAPSHOT"),
        (&cloud, "/rest/api/2/serverInfo", "Cloud", "1001.0.0-SNAPSHOT"),
        (&dc, "/rest/api/2/serverInfo", "Server", "9.12.0"),
    ];
    for (srv, path, deployment, version) in cases {
        let r = srv.call_as(Auth::None, reqwest::Method::GET, path, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.body["deploymentType"], *deployment, "{path}");
        assert_eq!(r.body["version"], *version, "{path}");
        assert_eq!(r.body["baseUrl"], srv.base.as_str());
    }
    let r = dc.get("/rest/api/2/serverInfo").await;
    assert_eq!(r.body["versionNumbers"], serde_json::json!([9, 12, 0]));
}

#[tokio::test]
async fn dc_has_no_v3() {
    let dc = support::dc().await;
    for path in ["/rest/api/3/serverInfo", "/rest/api/3/myself", "/rest/api/3/issue/SAND-1"] {
        assert_eq!(dc.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn myself_shape_per_flavour() {
    let cloud = support::cloud().await;
    let r = cloud.get("/rest/api/3/myself").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["accountId"].as_str().map(str::len), Some(24));
    assert_eq!(r.body["emailAddress"], "admin@sandbox.test");
    assert_eq!(r.body["timeZone"], "UTC");
    assert!(r.body.get("name").is_none(), "Cloud users have no name");

    let dc = support::dc().await;
    let r = dc.get("/rest/api/2/myself").await;
    assert_eq!(r.body["name"], "admin");
    assert_eq!(r.body["key"], "JIRAUSER10000");
    assert_eq!(r.body["timeZone"], "UTC");
    assert!(r.body.get("accountId").is_none(), "DC users have no accountId");
}

#[tokio::test]
async fn projects_and_issue_types() {
    let srv = support::cloud().await;
    srv.sandbox.seed_issues(1, 1);
    let r = srv.get("/rest/api/3/project").await;
    let keys: Vec<&str> =
        r.body.as_array().unwrap().iter().filter_map(|p| p["key"].as_str()).collect();
    assert_eq!(keys, ["SAND", "DEMO", "WEB", "OPS", "HELP"]);

    let cases: &[(&str, &str, &[&str])] = &[
        ("SAND", "software", &["Epic", "Task", "Story", "Bug", "Sub-task"]),
        ("OPS", "business", &["Task", "Sub-task"]),
        ("HELP", "service_desk", &["Service Request", "Incident", "Sub-task"]),
    ];
    for (key, ptype, types) in cases {
        let r = srv.get(&format!("/rest/api/3/project/{key}")).await;
        assert_eq!(r.body["projectTypeKey"], *ptype);
        let names: Vec<&str> = r.body["issueTypes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["name"].as_str())
            .collect();
        assert_eq!(&names, types, "{key}");
    }
    let r = srv.get("/rest/api/3/project/NOPE").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(jira_error(&r).contains("NOPE"));

    let r = srv.get("/rest/api/3/project/search?maxResults=2&startAt=2").await;
    assert_eq!(r.body["total"], 5);
    assert_eq!(r.body["isLast"], false);
    let keys: Vec<&str> =
        r.body["values"].as_array().unwrap().iter().filter_map(|p| p["key"].as_str()).collect();
    assert_eq!(keys, ["WEB", "OPS"]);
    assert!(r.body["nextPage"].as_str().unwrap().contains("startAt=4"));

    let dc = support::dc().await;
    assert_eq!(dc.get("/rest/api/2/project/search").await.status, StatusCode::NOT_FOUND);
    assert_eq!(dc.get("/rest/api/2/project/SAND").await.body["key"], "SAND");
}

#[tokio::test]
async fn banner_names_url_and_default_credentials() {
    let cloud = support::cloud().await;
    let b = cloud.sandbox.banner(&cloud.base);
    assert!(
        b.contains(&cloud.base) && b.contains("admin@sandbox.test") && b.contains("sandbox-token"),
        "{b}"
    );
    let line = format!("  View an issue in a browser: {}/browse/<KEY>\n", cloud.base);
    assert!(b.contains(&line), "{b}");
    let dc = support::dc().await;
    dc.sandbox.seed_issues(3, 1);
    let b = dc.sandbox.banner("http://localhost:8080/");
    assert!(
        b.contains("9.12.0") && b.contains("password admin") && b.contains("sandbox-pat"),
        "{b}"
    );
    // With issues, an example that opens: the page exists.
    let example = b
        .lines()
        .find_map(|l| l.strip_suffix(')')?.split_once("(e.g. http://localhost:8080"))
        .map(|(_, path)| path.to_owned())
        .unwrap_or_else(|| panic!("no example issue URL: {b}"));
    assert!(example.starts_with("/browse/"), "{b}");
    let html = reqwest::get(format!("{}{example}", dc.base)).await.unwrap();
    assert_eq!(html.status(), StatusCode::OK, "{example}");
    let _: Value = Value::Null;
}
