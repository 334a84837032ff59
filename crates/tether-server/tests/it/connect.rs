//! The Atlassian Connect app: the descriptor Jira installs tether from.

use serde_json::json;
use tether_server::ServerConfig;

use crate::TestServer;

#[tokio::test]
async fn the_descriptor_names_the_app_its_lifecycle_and_the_issue_side_pages() {
    let config = ServerConfig {
        public_url: "https://flags.example.com".into(),
        connect_app_key: "tether-staging".into(),
        ..ServerConfig::default()
    };
    let s = TestServer::start_with(config).await;
    let r = reqwest::get(s.at("/atlassian-connect.json")).await.unwrap();
    assert_eq!(r.status(), 200);
    let d: serde_json::Value = r.json().await.unwrap();
    assert_eq!(d["key"], "tether-staging");
    assert_eq!(d["baseUrl"], "https://flags.example.com");
    assert_eq!(d["authentication"], json!({"type": "jwt"}));
    assert_eq!(
        d["lifecycle"],
        json!({"installed": "/connect/installed", "uninstalled": "/connect/uninstalled"})
    );
    assert_eq!(d["scopes"], json!(["READ", "WRITE", "DELETE"]));
    let module = &d["modules"]["jiraFeatureFlagInfoProvider"];
    assert_eq!(module["homeUrl"], "https://flags.example.com");
    assert_eq!(module["name"], json!({"value": "tether"}));
    assert_eq!(module["logoUrl"], "https://flags.example.com/static/tether-logo.svg");
    assert_eq!(
        module["actions"]["createFlag"]["templateUrl"],
        "https://flags.example.com/jira/create-flag?issueKey={issue.key}&issueSummary={issue.summary}"
    );
    assert_eq!(
        module["actions"]["linkFlag"]["templateUrl"],
        "https://flags.example.com/jira/link-flag?issueKey={issue.key}"
    );
    assert_eq!(
        module["actions"]["listFlags"]["templateUrl"],
        "https://flags.example.com/jira/issue-flags?issueKey={issue.key}"
    );
    let logo = reqwest::get(s.at("/static/tether-logo.svg")).await.unwrap();
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");
}
