//! Search in both paging styles, the legacy endpoints, and JQL over HTTP.

use std::collections::HashSet;

use jira_sandbox::{SandboxConfig, UserSpec};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{self, Auth, jira_error};

#[tokio::test]
async fn cloud_pages_with_next_page_token_and_no_total() {
    let srv = support::cloud().await;
    srv.sandbox.seed_issues(250, 7);
    let jql = "project in (DEMO, WEB, SAND, OPS, HELP) ORDER BY created ASC";
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut body = json!({"jql": jql, "maxResults": 100, "fields": ["summary", "created"]});
        if let Some(t) = &token {
            body["nextPageToken"] = json!(t);
        }
        let r = srv.post("/rest/api/3/search/jql", body).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert!(r.body.get("total").is_none(), "no total on Cloud's new search");
        pages += 1;
        let issues = r.body["issues"].as_array().unwrap();
        let created: Vec<&str> =
            issues.iter().map(|i| i["fields"]["created"].as_str().unwrap()).collect();
        assert!(created.windows(2).all(|w| w[0] <= w[1]), "ORDER BY created ASC");
        ids.extend(issues.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        if r.body["isLast"] == true {
            assert!(r.body.get("nextPageToken").is_none());
            break;
        }
        token = Some(r.body["nextPageToken"].as_str().unwrap().to_owned());
    }
    assert_eq!(pages, 3);
    assert_eq!(ids.len(), 250);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 250, "no repeats");
    let r = srv.post("/rest/api/3/search/approximate-count", json!({"jql": jql})).await;
    assert_eq!(r.body["count"], 250);

    // GET works too; without fields only ids come back.
    let r = srv.get("/rest/api/3/search/jql?jql=project%3DDEMO&maxResults=2").await;
    let first = &r.body["issues"][0];
    assert_eq!(first.as_object().unwrap().keys().collect::<Vec<_>>(), ["id"]);
    // A token from another query is refused.
    let r = srv
        .get(&format!(
            "/rest/api/3/search/jql?jql=project%3DWEB&nextPageToken={}",
            r.body["nextPageToken"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn cloud_refuses_legacy_search_and_unbounded_jql() {
    let srv = support::cloud().await;
    for (method, path) in
        [(Method::GET, "/rest/api/2/search?jql=project=SAND"), (Method::POST, "/rest/api/3/search")]
    {
        let body = (method == Method::POST).then(|| json!({"jql": "project = SAND"}));
        let r = srv.call_as(Auth::Default, method, path, body).await;
        assert_eq!(r.status, StatusCode::GONE, "{path}");
        assert!(jira_error(&r).contains("/rest/api/3/search/jql"));
    }
    for jql in ["", "order by created DESC"] {
        let r = srv.post("/rest/api/3/search/jql", json!({"jql": jql})).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{jql:?}");
        assert!(jira_error(&r).contains("Unbounded JQL"));
    }
}

#[tokio::test]
async fn dc_pages_with_start_at_and_total() {
    let srv = support::dc().await;
    srv.sandbox.seed_issues(120, 3);
    let mut keys = Vec::new();
    let mut start = 0;
    loop {
        let r = srv.get(&format!("/rest/api/2/search?jql=order%20by%20key&startAt={start}&maxResults=50&fields=summary")).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(r.body["total"], 120);
        assert_eq!(r.body["startAt"], start);
        let issues = r.body["issues"].as_array().unwrap();
        keys.extend(issues.iter().map(|i| i["key"].as_str().unwrap().to_owned()));
        start += issues.len();
        if issues.is_empty() || start >= 120 {
            break;
        }
    }
    assert_eq!(keys.len(), 120);
    assert_eq!(keys.iter().collect::<HashSet<_>>().len(), 120);
    // maxResults above the cap is cut to it; POST takes the same request.
    let r = srv
        .post(
            "/rest/api/2/search",
            json!({"jql": "project = DEMO", "maxResults": 5000, "startAt": 0}),
        )
        .await;
    assert_eq!(r.body["maxResults"], 1000);
    assert_eq!(
        srv.get("/rest/api/2/search/jql?jql=project=DEMO").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn page_size_cap_knob() {
    let srv = support::dc().await;
    srv.sandbox.seed_issues(30, 1);
    let mut knobs = srv.sandbox.knobs();
    knobs.page_size_cap = Some(7);
    srv.sandbox.set_knobs(knobs);
    let r = srv.get("/rest/api/2/search?jql=&maxResults=50").await;
    assert_eq!(r.body["maxResults"], 7);
    assert_eq!(r.body["issues"].as_array().unwrap().len(), 7);
    assert_eq!(r.body["total"], 30);
}

/// The keys a query finds, in order, or a fragment of its 400 message.
type Expected = Result<Vec<&'static str>, &'static str>;

#[tokio::test]
async fn jql_over_http() {
    let mut config = SandboxConfig::default();
    let mut berlin = UserSpec::named("berlin", "Berta");
    berlin.email = "berlin@sandbox.test".into();
    berlin.api_token = Some("berlin-token".into());
    berlin.time_zone = "Europe/Berlin".into();
    berlin.utc_offset_minutes = 60;
    config.users.push(berlin);
    let srv = support::start(config).await;
    let k1 = srv.create(3, "Alpha checkout").await;
    let k2 = srv.create(3, "Beta search").await;
    srv.put(&format!("/rest/api/3/issue/{k2}"), json!({"fields": {"labels": ["flagged"]}})).await;
    let created = srv.sandbox.issue(&k1).unwrap().created_ms;

    let cases: Vec<(String, Auth, Expected)> = vec![
        ("project = SAND ORDER BY key ASC".into(), Auth::Default, Ok(vec!["SAND-1", "SAND-2"])),
        ("labels = flagged".into(), Auth::Default, Ok(vec!["SAND-2"])),
        ("summary ~ checkout".into(), Auth::Default, Ok(vec!["SAND-1"])),
        (
            format!("created >= {created} AND project = SAND ORDER BY key"),
            Auth::Default,
            Ok(vec!["SAND-1", "SAND-2"]),
        ),
        ("created < 1000 AND project = SAND".into(), Auth::Default, Ok(vec![])),
        (
            "reporter = currentUser() AND statusCategory != Done ORDER BY key DESC".into(),
            Auth::Default,
            Ok(vec!["SAND-2", "SAND-1"]),
        ),
        // Berlin (UTC+1) typing tomorrow's midnight in its zone still finds nothing yet.
        (
            "project = SAND AND created > \"2999/01/01 00:00\"".into(),
            Auth::Basic("berlin@sandbox.test", "berlin-token"),
            Ok(vec![]),
        ),
        (
            "project = SAND AND assignee = currentUser()".into(),
            Auth::Basic("berlin@sandbox.test", "berlin-token"),
            Ok(vec![]),
        ),
        (
            "project = SAND AND fixVersion = 1.0".into(),
            Auth::Default,
            Err("The value '1.0' does not exist for the field 'fixVersion'."),
        ),
        ("project = INT".into(), Auth::Default, Err("reserved JQL word")),
        ("project = SAND AND (labels = x".into(), Auth::Default, Err("Expecting ')'")),
    ];
    for (jql, auth, want) in cases {
        let r = srv
            .call_as(
                auth,
                Method::POST,
                "/rest/api/3/search/jql",
                Some(json!({"jql": jql, "fields": ["key"]})),
            )
            .await;
        match want {
            Ok(keys) => {
                assert_eq!(r.status, StatusCode::OK, "{jql}: {:?}", r.body);
                let got: Vec<&str> = r.body["issues"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["key"].as_str().unwrap())
                    .collect();
                assert_eq!(got, keys, "{jql}");
            }
            Err(fragment) => {
                assert_eq!(r.status, StatusCode::BAD_REQUEST, "{jql}");
                let msg = jira_error(&r);
                assert!(msg.contains(fragment), "{jql}: {msg}");
            }
        }
    }
}

#[tokio::test]
async fn cloud_search_is_eventually_consistent_unless_reconciled() {
    let srv = support::cloud().await;
    let mut knobs = srv.sandbox.knobs();
    knobs.search_index_delay_ms = 60_000;
    srv.sandbox.set_knobs(knobs);
    let key = srv.create(3, "Fresh").await;
    let id: u64 = srv.sandbox.issue(&key).unwrap().id.parse().unwrap();
    let r = srv.post("/rest/api/3/search/jql", json!({"jql": "project = SAND"})).await;
    assert_eq!(r.body["issues"], json!([]));
    let r =
        srv.post("/rest/api/3/search/approximate-count", json!({"jql": "project = SAND"})).await;
    assert_eq!(r.body["count"], 0);
    let r = srv
        .post("/rest/api/3/search/jql", json!({"jql": "project = SAND", "reconcileIssues": [id]}))
        .await;
    assert_eq!(r.body["issues"][0]["id"], id.to_string());
    let too_many: Vec<u64> = (0..51).collect();
    let r = srv
        .post(
            "/rest/api/3/search/jql",
            json!({"jql": "project = SAND", "reconcileIssues": too_many}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Reads by key are consistent at once.
    assert_eq!(srv.get(&format!("/rest/api/3/issue/{key}")).await.status, StatusCode::OK);
}
