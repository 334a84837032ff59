//! `tether jira-sandbox`: the bundled Jira stand-in, run as a user runs it.

use serde_json::json;

use crate::Sandboxed;

#[tokio::test]
async fn the_cloud_sandbox_serves_seeded_issues_with_the_printed_credentials() {
    let t = Sandboxed::new();
    let mut jira = t.start(&["jira-sandbox", "--port", "0", "--seed-issues", "30"], &[]).await;
    let client = reqwest::Client::new();
    let info: serde_json::Value = client
        .get(format!("{}/rest/api/2/serverInfo", jira.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["deploymentType"], "Cloud", "{info}");

    let unauthorised = client.get(format!("{}/rest/api/3/myself", jira.url)).send().await.unwrap();
    assert_eq!(unauthorised.status(), 401);
    let page: serde_json::Value = client
        .post(format!("{}/rest/api/3/search/jql", jira.url))
        .basic_auth("admin@sandbox.test", Some("sandbox-token"))
        .json(&json!({"jql": "created >= -3650d ORDER BY key ASC", "maxResults": 10, "fields": ["summary"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["issues"].as_array().map(Vec::len), Some(10), "{page}");
    assert!(page.get("total").is_none(), "Cloud's new search has no total: {page}");
    jira.signal("TERM");
    assert_eq!(jira.child.wait().await.unwrap().code(), Some(0));
}

#[tokio::test]
async fn the_dc_sandbox_loads_a_seed_file_of_real_issue_json() {
    let t = Sandboxed::new();
    let export = json!([
        {"key": "IMP-1", "fields": {"summary": "Imported one", "labels": ["export"]}},
        {"key": "IMP-2", "fields": {"summary": "Imported two"}}
    ]);
    std::fs::write(t.path().join("issues.json"), export.to_string()).unwrap();
    let mut jira = t
        .start(
            &[
                "jira-sandbox",
                "--flavour",
                "dc",
                "--dc-version",
                "7.13.0",
                "--port",
                "0",
                "--seed-file",
                "issues.json",
            ],
            &[],
        )
        .await;
    let client = reqwest::Client::new();
    let info: serde_json::Value = client
        .get(format!("{}/rest/api/2/serverInfo", jira.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (info["deploymentType"].as_str(), info["version"].as_str()),
        (Some("Server"), Some("7.13.0"))
    );
    let found: serde_json::Value = client
        .get(format!("{}/rest/api/2/search", jira.url))
        .query(&[("jql", "labels = export")])
        // Jira 7.13 has no personal access tokens (they came with 8.14): a password it is.
        .basic_auth("admin", Some("admin"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["issues"][0]["key"], "IMP-1");
    jira.signal("INT");
    assert_eq!(jira.child.wait().await.unwrap().code(), Some(0));
}

#[tokio::test]
async fn a_bad_seed_file_exits_2_naming_it() {
    let t = Sandboxed::new();
    std::fs::write(t.path().join("bad.json"), "[{\"key\": \"broken\"}]").unwrap();
    let (code, _, err) =
        t.run(&["jira-sandbox", "--port", "0", "--seed-file", "bad.json"], &[]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("seed file bad.json: issue 0"), "{err}");
    let (code, _, err) =
        t.run(&["jira-sandbox", "--port", "0", "--seed-file", "missing.json"], &[]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot read seed file missing.json"), "{err}");
}
