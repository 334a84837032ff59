//! The Development Information API: repositories with commits, branches and pull requests,
//! stored per issue key with `updateSequenceId` ordering, read and deleted by repository,
//! entity and properties, and shown as Jira's Development panel shows it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{self, Server};

const BULK: &str = "/rest/devinfo/0.10/bulk";

fn commit(id: &str, keys: &[&str], seq: i64, at: &str) -> Value {
    json!({"id": id, "issueKeys": keys, "updateSequenceId": seq, "hash": id, "message": format!("{} fix the thing\n\nbody", keys[0]),
           "author": {"name": "Alice", "email": "alice@example.com"}, "fileCount": 3, "url": format!("https://git.test/c/{id}"),
           "authorTimestamp": at, "displayId": &id[..7]})
}

fn branch(name: &str, keys: &[&str], seq: i64) -> Value {
    json!({"id": name, "issueKeys": keys, "updateSequenceId": seq, "name": name, "url": format!("https://git.test/b/{name}"),
           "lastCommit": commit("bbbbbbbbbbbb", keys, seq, "2024-05-01T09:00:00Z")})
}

fn pull_request(id: &str, keys: &[&str], status: &str, seq: i64) -> Value {
    json!({"id": id, "issueKeys": keys, "updateSequenceId": seq, "status": status, "title": format!("PR {id}"),
           "author": {"name": "Bob", "email": "bob@example.com"}, "commentCount": 2, "sourceBranch": "feature/x",
           "destinationBranch": "main", "lastUpdate": "2024-05-02T10:00:00Z", "url": format!("https://git.test/pr/{id}"),
           "displayId": format!("#{id}"), "reviewers": [{"name": "Carol", "email": "carol@example.com", "approvalStatus": "APPROVED"}]})
}

fn repo(id: &str, seq: i64, commits: Vec<Value>, branches: Vec<Value>, prs: Vec<Value>) -> Value {
    json!({"id": id, "name": format!("repo-{id}"), "url": format!("https://git.test/{id}"), "updateSequenceId": seq,
           "commits": commits, "branches": branches, "pullRequests": prs})
}

async fn submit(srv: &Server, body: Value) -> support::Resp {
    srv.app_post(BULK, body).await
}

fn messages(r: &support::Resp) -> Vec<String> {
    r.body["errorMessages"]
        .as_array()
        .unwrap_or_else(|| panic!("not the devinfo error shape: {:?}", r.body))
        .iter()
        .map(|m| m["message"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn repositories_are_stored_per_issue_and_shown_as_the_development_panel() {
    let srv = support::cloud().await;
    let a = srv.create(3, "Code me").await;
    let b = srv.create(3, "Other").await;
    let body = json!({
        "properties": {"source": "github"},
        "repositories": [repo("1", 1,
            vec![commit("aaaaaaaaaaaa", &[&a], 1, "2024-05-01T10:00:00Z"), commit("cccccccccccc", &[&a, &b, "NOPE-9"], 1, "2024-05-03T10:00:00+02:00")],
            vec![branch("feature/x", &[&a], 1)],
            vec![pull_request("7", &[&a], "MERGED", 1), pull_request("8", &[&a], "OPEN", 1), pull_request("9", &["NOPE-1"], "OPEN", 1)])],
    });
    let r = submit(&srv, body).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    assert_eq!(
        r.body["acceptedDevinfoEntities"]["1"],
        json!({"commits": ["aaaaaaaaaaaa", "cccccccccccc"], "branches": ["feature/x"], "pullRequests": ["7", "8"]})
    );
    assert_eq!(r.body["unknownIssueKeys"], json!(["NOPE-9", "NOPE-1"]));
    assert_eq!(r.body["failedDevinfoEntities"], json!({}));

    let dev = srv.sandbox.development(&a).unwrap().code;
    assert_eq!((dev.commits, dev.branches, dev.pull_requests), (2, 1, 2));
    assert_eq!(dev.pull_request_status.as_deref(), Some("OPEN"), "OPEN comes first");
    assert_eq!(dev.last_updated.as_deref(), Some("2024-05-03T10:00:00+02:00"));
    let r = &dev.repositories[0];
    assert_eq!(
        (r.name.as_str(), r.commits[0].display_id.as_str()),
        ("repo-1", "ccccccc"),
        "newest commit first"
    );
    assert_eq!(r.pull_requests[0].reviewers, ["Carol (approved)"]);
    assert_eq!(srv.sandbox.development(&b).unwrap().code.commits, 1);

    // The same through /_sandbox and on the issue page.
    let json = srv.get(&format!("/_sandbox/issues/{a}/development")).await.body;
    assert_eq!(json["code"]["pull_requests"], 2);
    let html =
        reqwest::get(format!("{}/browse/{a}", srv.base)).await.unwrap().text().await.unwrap();
    for want in [
        "1 branch",
        "2 commits",
        "2 pull requests <strong>OPEN</strong>",
        "feature/x",
        "fix the thing",
    ] {
        assert!(html.contains(want), "{want}: {html}");
    }

    // GET repository: as stored, entities included.
    let r = srv.app_get("/rest/devinfo/0.10/repository/1").await;
    assert_eq!(
        (r.body["name"].as_str(), r.body["commits"].as_array().map(Vec::len)),
        (Some("repo-1"), Some(2))
    );
    assert_eq!(srv.app_get("/rest/devinfo/0.10/repository/2").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn update_sequence_ids_order_updates_per_repository_and_entity() {
    let srv = support::cloud().await;
    let a = srv.create(3, "Ordered").await;
    submit(&srv, json!({"repositories": [repo("1", 5, vec![], vec![], vec![pull_request("7", &[&a], "OPEN", 5)])]})).await;
    // Older: ignored, yet accepted (not a failure).
    let mut stale = repo("1", 4, vec![], vec![], vec![pull_request("7", &[&a], "DECLINED", 4)]);
    stale["name"] = json!("renamed");
    let r = submit(&srv, json!({"repositories": [stale]})).await;
    assert_eq!(r.body["acceptedDevinfoEntities"]["1"]["pullRequests"], json!(["7"]));
    let stored = srv.app_get("/rest/devinfo/0.10/repository/1").await.body;
    assert_eq!(
        (stored["name"].as_str(), stored["pullRequests"][0]["status"].as_str()),
        (Some("repo-1"), Some("OPEN"))
    );
    // Newer: replaces.
    let mut newer = repo("1", 6, vec![], vec![], vec![pull_request("7", &[&a], "MERGED", 6)]);
    newer["name"] = json!("renamed");
    submit(&srv, json!({"repositories": [newer]})).await;
    let stored = srv.app_get("/rest/devinfo/0.10/repository/1").await.body;
    assert_eq!(
        (stored["name"].as_str(), stored["pullRequests"][0]["status"].as_str()),
        (Some("renamed"), Some("MERGED"))
    );
}

#[tokio::test]
async fn bad_requests_and_bad_entities_are_refused_as_the_api_says() {
    let srv = support::cloud().await;
    let a = srv.create(3, "Strict").await;
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({}), 400, "No repositories or development information entities were provided."),
        (
            json!({"repositories": []}),
            400,
            "No repositories or development information entities were provided.",
        ),
        (
            json!({"repositories": [repo("1", 1, vec![], vec![], vec![])], "properties": {"_x": "y"}}),
            400,
            "Property key '_x' must not start with '_'.",
        ),
        (
            json!({"repositories": [repo("1", 1, vec![], vec![], vec![])], "properties": {"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6"}}),
            400,
            "No more than 5 properties may be submitted.",
        ),
    ];
    for (body, status, want) in cases {
        let r = submit(&srv, body.clone()).await;
        assert_eq!((r.status.as_u16(), messages(&r)), (status, vec![want.to_owned()]), "{body}");
    }
    let many: Vec<Value> =
        (0..400).map(|i| commit(&format!("{i:012}"), &[&a], 1, "2024-05-01T10:00:00Z")).collect();
    let big = json!({"repositories": [repo("1", 1, many.clone(), vec![], vec![]), repo("2", 1, many.clone(), vec![], vec![]), repo("3", 1, many, vec![], vec![])]});
    let r = submit(&srv, big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);

    // A repository without a name fails whole; a commit without a message fails alone.
    let mut no_name = repo(
        "9",
        1,
        vec![commit("aaaaaaaaaaaa", &[&a], 1, "2024-05-01T10:00:00Z")],
        vec![],
        vec![],
    );
    no_name.as_object_mut().unwrap().remove("name");
    let mut no_message = commit("dddddddddddd", &[&a], 1, "2024-05-01T10:00:00Z");
    no_message.as_object_mut().unwrap().remove("message");
    let mut bad_status = pull_request("5", &[&a], "WHATEVER", 1);
    bad_status["issueKeys"] = json!([]);
    let good = repo(
        "1",
        1,
        vec![no_message, commit("eeeeeeeeeeee", &[&a], 1, "2024-05-01T10:00:00Z")],
        vec![],
        vec![bad_status],
    );
    let r = submit(&srv, json!({"repositories": [no_name, good]})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let failed = &r.body["failedDevinfoEntities"];
    assert_eq!(failed["9"]["errorMessages"][0]["message"], "name must not be null");
    assert_eq!(
        failed["1"]["commits"],
        json!([{"id": "dddddddddddd", "errorMessages": [{"message": "message must not be null"}]}])
    );
    let pr_errors: Vec<&str> = failed["1"]["pullRequests"][0]["errorMessages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        pr_errors,
        [
            "issueKeys must contain between 1 and 100 issue keys",
            "status must be one of OPEN, MERGED, DECLINED, UNKNOWN"
        ]
    );
    assert_eq!(r.body["acceptedDevinfoEntities"]["1"], json!({"commits": ["eeeeeeeeeeee"]}));
    assert!(r.body["acceptedDevinfoEntities"].get("9").is_none());
}

#[tokio::test]
async fn data_is_deleted_by_repository_entity_and_properties() {
    let srv = support::cloud().await;
    let a = srv.create(3, "Deleted").await;
    let c = |id: &str| commit(id, &[&a], 3, "2024-05-01T10:00:00Z");
    submit(&srv, json!({"properties": {"org": "x", "team": "1"}, "repositories": [repo("1", 3, vec![c("aaaaaaaaaaaa"), c("bbbbbbbbbbbb")], vec![], vec![])]})).await;
    submit(&srv, json!({"properties": {"org": "x", "team": "2"}, "repositories": [repo("2", 3, vec![c("cccccccccccc")], vec![], vec![])]})).await;
    let commits = |srv: &Server| srv.sandbox.development(&a).unwrap().code.commits;
    assert_eq!(commits(&srv), 3);

    let exists = |q: &'static str| {
        let srv = &srv;
        async move {
            srv.app_get(&format!("/rest/devinfo/0.10/existsByProperties?{q}")).await.body["hasDataMatchingProperties"].clone()
        }
    };
    assert_eq!(exists("org=x&team=2").await, true);
    assert_eq!(exists("org=y").await, false);
    assert_eq!(exists("org=x&_updateSequenceId=2").await, false, "everything is at 3");
    assert_eq!(
        srv.app_get("/rest/devinfo/0.10/existsByProperties").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        srv.app_get("/rest/devinfo/0.10/existsByProperties?a=1&a=2").await.status,
        StatusCode::BAD_REQUEST
    );

    // One entity; then below-the-ceiling deletes leave newer data alone.
    let r = srv.app_delete("/rest/devinfo/0.10/repository/1/commit/aaaaaaaaaaaa").await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(commits(&srv), 2);
    assert_eq!(
        srv.app_delete("/rest/devinfo/0.10/repository/1/tag/x").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        srv.app_delete("/rest/devinfo/0.10/repository/1?_updateSequenceId=2").await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(commits(&srv), 2, "the repository is newer than the ceiling");
    assert_eq!(
        srv.app_delete("/rest/devinfo/0.10/bulkByProperties?team=2").await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(commits(&srv), 1);
    assert_eq!(
        srv.app_delete("/rest/devinfo/0.10/repository/1").await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(commits(&srv), 0);
    assert_eq!(srv.app_get("/rest/devinfo/0.10/repository/1").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_apps_on_cloud_may_call_it() {
    let srv = support::cloud().await;
    let r = srv.post(BULK, json!({"repositories": []})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        messages(&r)[0].contains("Development Information API accepts only apps"),
        "{:?}",
        r.body
    );
    let r = srv
        .call_as(
            support::Auth::None,
            reqwest::Method::PUT,
            "/_sandbox/oauth-clients/sandbox-client/permissions",
            Some(json!(["development_info_read"])),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(srv.app_post(BULK, json!({"repositories": []})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(srv.app_get("/rest/devinfo/0.10/repository/1").await.status, StatusCode::NOT_FOUND);
    let dc = support::dc().await;
    assert_eq!(dc.get("/rest/devinfo/0.10/repository/1").await.status, StatusCode::NOT_FOUND);
}
