//! Issues and comments: create, get, edit, ADF on v3, strings on v2, validation errors.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{self, jira_error};

fn adf(text: &str) -> Value {
    json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]})
}

// Regression: creating an issue with an assignee on Cloud hung forever, because reading the
// flavour took the state lock the create already held for writing.
#[tokio::test]
async fn create_get_edit_on_v3_with_adf() {
    let srv = support::cloud().await;
    let me = srv.get("/rest/api/3/myself").await.body["accountId"].clone();
    let r = srv
        .post(
            "/rest/api/3/issue",
            json!({"fields": {
                "project": {"key": "SAND"}, "issuetype": {"name": "Bug"}, "summary": "Checkout fails",
                "description": adf("Steps to reproduce"), "labels": ["payments"],
                "assignee": {"accountId": me},
            }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["key"], "SAND-1");
    assert!(
        r.body["self"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/rest/api/3/issue/{}", r.body["id"].as_str().unwrap()))
    );

    let r = srv.get("/rest/api/3/issue/SAND-1").await;
    let f = &r.body["fields"];
    assert_eq!(f["summary"], "Checkout fails");
    assert_eq!(f["description"], adf("Steps to reproduce"));
    assert_eq!(f["issuetype"]["name"], "Bug");
    assert_eq!(f["status"]["name"], "To Do");
    assert_eq!(f["status"]["statusCategory"]["key"], "new");
    assert_eq!(f["assignee"]["accountId"], me);
    assert_eq!(f["reporter"]["accountId"], me);
    assert_eq!(f["resolution"], Value::Null);
    assert!(f["created"].as_str().unwrap().ends_with("+0000"));

    // v2 on Cloud shows the same description as a string.
    let r = srv.get("/rest/api/2/issue/SAND-1?fields=description,labels").await;
    assert_eq!(r.body["fields"]["description"], "Steps to reproduce");
    assert_eq!(r.body["fields"].as_object().unwrap().len(), 2);

    let r = srv
        .put(
            "/rest/api/3/issue/SAND-1",
            json!({"fields": {"summary": "Checkout fails on Safari", "assignee": null},
                   "update": {"labels": [{"add": "safari"}, {"remove": "payments"}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let snap = srv.sandbox.issue("SAND-1").unwrap();
    assert_eq!(snap.summary, "Checkout fails on Safari");
    assert_eq!(snap.labels, ["safari"]);
    assert_eq!(snap.assignee, None);

    let r = srv.get("/rest/api/3/issue/SAND-1?expand=changelog").await;
    let fields: Vec<&str> = r.body["changelog"]["histories"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["field"].as_str())
        .collect();
    assert_eq!(fields, ["summary", "labels", "assignee"]);
}

#[tokio::test]
async fn create_validation_errors() {
    let srv = support::cloud().await;
    let cases: &[(Value, &str)] = &[
        (
            json!({"fields": {"issuetype": {"name": "Task"}, "summary": "x"}}),
            "project: Specify a valid project ID or key",
        ),
        (
            json!({"fields": {"project": {"key": "SAND"}, "summary": "x"}}),
            "issuetype: Specify an issue type",
        ),
        (
            json!({"fields": {"project": {"key": "SAND"}, "issuetype": {"name": "Incident"}, "summary": "x"}}),
            "issuetype: Specify a valid issue type",
        ),
        (
            json!({"fields": {"project": {"key": "SAND"}, "issuetype": {"name": "Task"}}}),
            "summary: You must specify a summary",
        ),
        (
            json!({"fields": {"project": {"key": "SAND"}, "issuetype": {"name": "Task"}, "summary": "x", "description": "plain"}}),
            "description: Operation value must be an Atlassian Document",
        ),
        (
            json!({"fields": {"project": {"key": "SAND"}, "issuetype": {"name": "Task"}, "summary": "x", "labels": ["a b"]}}),
            "contains spaces",
        ),
        (
            json!({"fields": {"project": {"key": "SAND"}, "issuetype": {"name": "Task"}, "summary": "x", "priority": {"name": "Urgent"}}}),
            "priority: The priority selected is invalid.",
        ),
        (
            json!({"fields": {"project": {"key": "SAND"}, "issuetype": {"name": "Task"}, "summary": "x", "environment": "prod"}}),
            "environment: Field 'environment' cannot be set",
        ),
        (
            json!({"fields": {"project": {"key": "SAND"}, "issuetype": {"name": "Task"}, "summary": "x", "assignee": {"accountId": "nobody"}}}),
            "assignee: Specify a valid value for assignee",
        ),
    ];
    for (body, want) in cases {
        let r = srv.post("/rest/api/3/issue", body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        let msg = jira_error(&r);
        assert!(msg.contains(want), "{body}: {msg}");
    }
    // Broken JSON comes back in the same shape.
    let r = srv.post("/rest/api/3/issue", Value::String("not an object".into())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    jira_error(&r);
    assert_eq!(srv.sandbox.issue_count(), 0);
    let r = srv.get("/rest/api/3/issue/SAND-404").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(jira_error(&r).contains("Issue does not exist"));
}

#[tokio::test]
async fn dc_issue_uses_wiki_strings_and_names() {
    let srv = support::dc().await;
    let r = srv
        .post(
            "/rest/api/2/issue",
            json!({"fields": {"project": {"key": "SAND"}, "issuetype": {"id": "10001"}, "summary": "Wiki",
                   "description": "h1. Title\n*bold*", "assignee": {"name": "admin"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = srv.get("/rest/api/2/issue/SAND-1").await;
    assert_eq!(r.body["fields"]["description"], "h1. Title\n*bold*");
    assert_eq!(r.body["fields"]["assignee"]["name"], "admin");
    let r = srv.post("/rest/api/2/issue/SAND-1/comment", json!({"body": {"type": "doc"}})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(jira_error(&r).contains("must be a string"));
}

#[tokio::test]
async fn comments_round_trip_per_version() {
    let srv = support::cloud().await;
    let key = srv.create(3, "Commented").await;
    let r = srv
        .post(&format!("/rest/api/3/issue/{key}/comment"), json!({"body": adf("From v3")}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["body"], adf("From v3"));
    assert_eq!(r.body["author"]["emailAddress"], "admin@sandbox.test");
    let r =
        srv.post(&format!("/rest/api/2/issue/{key}/comment"), json!({"body": "From *v2*"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let bad = srv.post(&format!("/rest/api/3/issue/{key}/comment"), json!({"body": "plain"})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(jira_error(&bad).contains("Atlassian Document"));

    let r = srv.get(&format!("/rest/api/3/issue/{key}/comment")).await;
    assert_eq!(r.body["total"], 2);
    assert_eq!(r.body["comments"][1]["body"]["content"][0]["content"][0]["text"], "From *v2*");
    let r = srv
        .get(&format!("/rest/api/2/issue/{key}/comment?maxResults=1&startAt=0&orderBy=-created"))
        .await;
    assert_eq!(r.body["comments"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["comments"][0]["body"], "From *v2*");

    let stored = srv.sandbox.comments(Some(&key));
    let texts: Vec<&str> = stored.iter().map(|c| c.body_text.as_str()).collect();
    assert_eq!(texts, ["From v3", "From *v2*"]);
    assert_eq!(stored[0].body, adf("From v3"));
    assert_eq!(stored[1].author, "admin");
    let admin = srv.get("/_sandbox/comments?issue=SAND-1").await;
    assert_eq!(admin.body.as_array().unwrap().len(), 2);
}
