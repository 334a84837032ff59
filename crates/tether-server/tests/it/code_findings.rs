//! Findings through the API against a sandbox Jira: a SARIF log imported (again: nothing
//! doubled), the issue types of a project from create metadata, "Create Jira issue" made
//! once by the worker with the finding's details, Jira's create form prefilled, and the
//! status of the issue refreshed.

use std::time::Duration;

use reqwest::Method as M;
use serde_json::{Value, json};
use tether_sync::Worker;
use tether_sync::dev_to_jira::DevContext;
use tether_sync::jira::JiraClients;

use crate::TestServer;
use crate::jira_api::{Jira, add_cloud_site, send};

fn sarif() -> Value {
    json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Semgrep OSS", "rules": [
        {"id": "sql-injection", "name": "SQL injection", "helpUri": "https://semgrep.dev/r/sql",
         "properties": {"security-severity": "8.1"}}]}},
        "results": [
            {"ruleId": "sql-injection", "message": {"text": "Query built from user input"},
             "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/db.rs"}, "region": {"startLine": 12}}}]},
            {"ruleId": "sql-injection", "message": {"text": "Another query"},
             "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/api.rs"}, "region": {"startLine": 3}}}]}]}]})
}

#[tokio::test]
async fn a_finding_becomes_one_jira_issue_and_shows_its_status() {
    let s = TestServer::start().await;
    let jira = Jira::cloud().await;
    add_cloud_site(&s, &jira, "acme").await;
    let body = json!({"name": "shop", "source": "github", "settings": {"site": "acme"}});
    assert_eq!(send(&s, M::POST, "/api/code/repositories", Some(body)).await.0, 201);
    let (status, got) =
        send(&s, M::POST, "/api/code/repositories/shop/findings", Some(sarif())).await;
    assert_eq!(
        (status, got["added"].clone(), got["updated"].clone()),
        (200, json!(2), json!(0)),
        "{got}"
    );
    let (_, got) = send(&s, M::POST, "/api/code/repositories/shop/findings", Some(sarif())).await;
    assert_eq!((got["added"].clone(), got["unchanged"].clone()), (json!(0), json!(2)));
    let (_, list) = send(&s, M::GET, "/api/code/repositories/shop/findings", None).await;
    let finding =
        list.as_array().unwrap().iter().find(|f| f["location"] == "src/db.rs:12").unwrap().clone();
    assert_eq!(finding["severity"], "high");
    let id = finding["id"].as_i64().unwrap();
    let (status, types) =
        send(&s, M::GET, &format!("/api/code/findings/{id}/issue-types?project=SAND"), None).await;
    assert_eq!(status, 200, "{types}");
    assert!(types.as_array().unwrap().iter().any(|t| t["name"] == "Bug"), "{types}");
    let (status, err) = send(
        &s,
        M::POST,
        &format!("/api/code/findings/{id}/issue"),
        Some(json!({"project": "SAND", "issue_type": "Nope"})),
    )
    .await;
    assert_eq!((status, err["field"].clone()), (422, json!("issue_type")));
    let (status, pending) = send(
        &s,
        M::POST,
        &format!("/api/code/findings/{id}/issue"),
        Some(json!({"project": "SAND", "issue_type": "Bug"})),
    )
    .await;
    assert_eq!(status, 202, "{pending}");
    assert_eq!(pending["issue_request"]["state"], "pending");
    // The worker makes it, once.
    let clients = JiraClients::new(
        s.store.clone(),
        tether_jira::Options { requests_per_second: None, ..Default::default() },
    );
    let mut ctx = DevContext::new(clients, Default::default(), "http://tether.test");
    ctx.hold = Duration::from_millis(1);
    let worker = Worker::new(s.store.clone(), "w").with_code(ctx);
    for _ in 0..3 {
        worker.tick().await.unwrap();
    }
    let (_, made) = send(&s, M::GET, &format!("/api/code/findings/{id}"), None).await;
    let key = made["issue_key"].as_str().expect("made").to_owned();
    assert_eq!(
        (made["issue_status"].clone(), made["issue_request"].clone()),
        (json!("To Do"), Value::Null)
    );
    assert_eq!(made["issue_url"], format!("{}/browse/{key}", jira.url));
    let issue = jira.sandbox.issue(&key).unwrap();
    assert_eq!(issue.summary, "[high] sql-injection: Query built from user input");
    assert!(issue.labels.contains(&format!("tether-finding-{id}")));
    let text = issue.description_text.unwrap();
    assert!(
        text.contains("src/db.rs:12")
            && text.contains("Semgrep OSS")
            && text.contains("SQL injection"),
        "{text}"
    );
    assert_eq!(jira.sandbox.issue_count(), 4, "one issue made");
    let (status, _) = send(
        &s,
        M::POST,
        &format!("/api/code/findings/{id}/issue"),
        Some(json!({"project": "SAND", "issue_type": "Bug"})),
    )
    .await;
    assert_eq!(status, 409);
    // Moved in Jira: the refresh shows it.
    let admin = tether_jira::Client::connect(
        tether_jira::Site::new(
            jira.url.clone(),
            tether_jira::Auth::api_token("admin@sandbox.test", "sandbox-token"),
        ),
        Default::default(),
    )
    .await
    .unwrap();
    admin.transition(&key, "41", Default::default()).await.unwrap();
    let (_, fresh) = send(&s, M::POST, &format!("/api/code/findings/{id}/refresh"), None).await;
    assert_eq!(
        (fresh["issue_status"].clone(), fresh["issue_status_category"].clone()),
        (json!("Done"), json!("done"))
    );
    // The other finding: Jira's own form, prefilled, with the label that finds it again.
    let other = list.as_array().unwrap().iter().find(|f| f["location"] == "src/api.rs:3").unwrap()
        ["id"]
        .as_i64()
        .unwrap();
    let (status, url) = send(
        &s,
        M::GET,
        &format!("/api/code/findings/{other}/create-url?project=SAND&issue_type=Bug"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{url}");
    let url = url["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/secure/CreateIssueDetails!init.jspa?pid=", jira.url)),
        "{url}"
    );
    assert!(url.contains(&format!("labels=tether-finding-{other}")), "{url}");
    let form = reqwest::get(url).await.unwrap().text().await.unwrap();
    assert!(form.contains("[high] sql-injection: Another query"), "{form}");
}
