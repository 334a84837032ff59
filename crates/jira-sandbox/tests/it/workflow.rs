//! Remote links (upsert replaces the whole link), transitions with required fields,
//! changelogs, and a custom workflow.

use jira_sandbox::{
    Flavour, ProjectSpec, ProjectType, SandboxConfig, StatusCategory, StatusSpec, TransitionSpec,
    Workflow,
};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{self, jira_error};

#[tokio::test]
async fn remote_link_upsert_replaces_the_whole_link() {
    let srv = support::cloud().await;
    let key = srv.create(3, "Linked").await;
    let path = format!("/rest/api/3/issue/{key}/remotelink");
    let first = json!({
        "globalId": "tether:flag:checkout",
        "application": {"type": "dev.tether", "name": "tether"},
        "relationship": "controlled by",
        "object": {"url": "https://tether.test/flags/checkout", "title": "checkout", "summary": "on in prod",
                   "status": {"resolved": false}},
    });
    let r = srv.post(&path, first).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_u64().unwrap();

    // Same globalId, no relationship or application: they become null.
    let second = json!({
        "globalId": "tether:flag:checkout",
        "object": {"url": "https://tether.test/flags/checkout", "title": "checkout (removed)", "status": {"resolved": true}},
    });
    let r = srv.post(&path, second).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["id"].as_u64(), Some(id), "upsert keeps the id");

    let r = srv.get(&format!("{path}?globalId=tether:flag:checkout")).await;
    assert_eq!(r.body["object"]["title"], "checkout (removed)");
    assert_eq!(r.body["object"]["status"]["resolved"], true);
    assert!(r.body.get("relationship").is_none(), "{:?}", r.body);
    assert!(r.body.get("application").is_none());
    assert!(r.body["object"].get("summary").is_none());

    let links = srv.sandbox.remote_links(Some(&key));
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].relationship, None);

    let r = srv.post(&path, json!({"object": {"url": "https://x.test"}})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(jira_error(&r).contains("title"));
    let r = srv
        .post(&path, json!({"globalId": "g".repeat(256), "object": {"url": "u", "title": "t"}}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let r =
        srv.post(&path, json!({"object": {"url": "https://other.test", "title": "other"}})).await;
    let other = r.body["id"].as_u64().unwrap();
    assert_eq!(srv.get(&path).await.body.as_array().unwrap().len(), 2);
    assert_eq!(
        srv.delete(&format!("{path}?globalId=tether:flag:checkout")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        srv.delete(&format!("{path}?globalId=tether:flag:checkout")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(srv.get(&format!("{path}/{other}")).await.body["object"]["title"], "other");
    assert_eq!(srv.delete(&format!("{path}/{other}")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(srv.get(&path).await.body, json!([]));
}

#[tokio::test]
async fn transition_to_done_requires_a_resolution() {
    for srv in [support::cloud().await, support::dc().await] {
        let key = srv.create(2, "Ship it").await;
        let path = format!("/rest/api/2/issue/{key}/transitions");
        let r = srv.get(&format!("{path}?expand=transitions.fields")).await;
        let ts = r.body["transitions"].as_array().unwrap();
        let summary: Vec<(String, String, String)> = ts
            .iter()
            .map(|t| {
                (
                    t["id"].as_str().unwrap().into(),
                    t["name"].as_str().unwrap().into(),
                    t["to"]["statusCategory"]["key"].as_str().unwrap().into(),
                )
            })
            .collect();
        let want = [
            ("21", "In Progress", "indeterminate"),
            ("31", "Done", "done"),
            ("41", "Close", "done"),
        ];
        assert_eq!(summary, want.map(|(a, b, c)| (a.into(), b.into(), c.into())));
        assert_eq!(ts[1]["hasScreen"], true);
        assert_eq!(ts[1]["fields"]["resolution"]["required"], true);
        assert_eq!(ts[1]["fields"]["resolution"]["allowedValues"][0]["name"], "Done");
        assert!(srv.get(&path).await.body["transitions"][1].get("fields").is_none());

        let r = srv.post(&path, json!({"transition": {"id": "31"}})).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(jira_error(&r), "resolution: Resolution is required.");
        let r = srv.post(&path, json!({"transition": {"id": "99"}})).await;
        assert!(jira_error(&r).contains("Transition id '99' is not valid"));
        let r = srv
            .post(
                &path,
                json!({"transition": {"id": "21"}, "fields": {"resolution": {"name": "Done"}}}),
            )
            .await;
        assert!(jira_error(&r).contains("cannot be set"));

        let r = srv
            .post(
                &path,
                json!({"transition": {"id": "31"}, "fields": {"resolution": {"name": "Done"}}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
        let snap = srv.sandbox.issue(&key).unwrap();
        assert_eq!((snap.status.as_str(), snap.status_category.as_str()), ("Done", "done"));
        assert_eq!(snap.resolution.as_deref(), Some("Done"));
        let done = srv.sandbox.transitions_done(Some(&key));
        assert_eq!(done.len(), 1);
        assert_eq!((done[0].transition_id.as_str(), done[0].by.as_str()), ("31", "admin"));

        // Reopening clears the resolution; both moves are in the changelog.
        let r = srv.post(&path, json!({"transition": {"id": "11"}})).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let r =
            srv.get(&format!("/rest/api/2/issue/{key}?expand=changelog&fields=resolution")).await;
        assert_eq!(r.body["fields"]["resolution"], serde_json::Value::Null);
        let h = &r.body["changelog"]["histories"];
        assert_eq!(h[0]["items"][0]["field"], "status");
        assert_eq!(h[0]["items"][0]["toString"], "Done");
        assert_eq!(h[0]["items"][1]["field"], "resolution");
        assert_eq!(h[0]["items"][1]["toString"], "Done");
        assert_eq!(h[1]["items"][1]["fromString"], "Done");
        assert_eq!(h[1]["items"][1]["to"], serde_json::Value::Null);
    }
}

/// Each transition has its own screen, or none: a screenless one into Done resolves the issue
/// itself; a screen takes only its own fields, and names the required ones it lacks.
#[tokio::test]
async fn transition_screens_decide_what_may_and_must_be_set() {
    for srv in [support::cloud().await, support::dc().await] {
        let key = srv.create(2, "Screens").await;
        let path = format!("/rest/api/2/issue/{key}/transitions");
        let r = srv.get(&format!("{path}?expand=transitions.fields")).await;
        let fields = |id: &str| -> Vec<(String, bool)> {
            let t = r.body["transitions"].as_array().unwrap().iter().find(|t| t["id"] == id);
            let f = t.unwrap()["fields"].as_object().unwrap();
            f.iter().map(|(k, v)| (k.clone(), v["required"].as_bool().unwrap())).collect()
        };
        assert_eq!(fields("31"), [("assignee".into(), false), ("resolution".into(), true)]);
        assert_eq!(fields("41"), []);
        let close = r.body["transitions"].as_array().unwrap().iter().find(|t| t["id"] == "41");
        assert_eq!(close.unwrap()["hasScreen"], false);

        let cases = [
            // (body, status, error)
            (
                json!({"transition": {"id": "41"}, "fields": {"resolution": {"name": "Won't Do"}}}),
                400,
                "resolution: Field 'resolution' cannot be set. It is not on the appropriate screen, or unknown.",
            ),
            (
                json!({"transition": {"id": "31"}, "fields": {"labels": ["x"]}}),
                400,
                "labels: Field 'labels' cannot be set. It is not on the appropriate screen, or unknown. | resolution: Resolution is required.",
            ),
            (
                json!({"transition": {"id": "31"}, "fields": {"resolution": {"name": "Nope"}}}),
                400,
                "resolution: Could not find resolution 'Nope'.",
            ),
            (
                json!({"transition": {"id": "31"}, "fields": {"assignee": null}}),
                400,
                "resolution: Resolution is required.",
            ),
        ];
        for (body, status, want) in cases {
            let r = srv.post(&path, body.clone()).await;
            assert_eq!((r.status.as_u16(), jira_error(&r).as_str()), (status, want), "{body}");
        }
        assert_eq!(srv.sandbox.issue(&key).unwrap().status, "To Do", "refusals change nothing");

        // No screen: Close resolves the issue as Done.
        let r = srv.post(&path, json!({"transition": {"id": "41"}})).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
        let snap = srv.sandbox.issue(&key).unwrap();
        assert_eq!((snap.status.as_str(), snap.resolution.as_deref()), ("Done", Some("Done")));

        // Reopened, then Done through its screen with a resolution and an assignee: one
        // changelog entry holds the assignee, the status and the resolution.
        srv.post(&path, json!({"transition": {"id": "11"}})).await;
        let me = if srv.sandbox.flavour().is_cloud() {
            json!({"accountId": srv.get("/rest/api/2/myself").await.body["accountId"]})
        } else {
            json!({"name": "admin"})
        };
        let body = json!({"transition": {"id": "31"}, "fields": {"resolution": {"name": "Won't Do"}, "assignee": me}});
        assert_eq!(srv.post(&path, body).await.status, StatusCode::NO_CONTENT);
        let snap = srv.sandbox.issue(&key).unwrap();
        assert_eq!(
            (snap.resolution.as_deref(), snap.assignee.as_deref()),
            (Some("Won't Do"), Some("admin"))
        );
        let r = srv.get(&format!("/rest/api/2/issue/{key}?expand=changelog")).await;
        let last = r.body["changelog"]["histories"].as_array().unwrap().last().unwrap().clone();
        let items: Vec<&str> = last["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["field"].as_str().unwrap())
            .collect();
        assert_eq!(items, ["assignee", "status", "resolution"]);
        let done: Vec<(String, Option<String>)> = srv
            .sandbox
            .transitions_done(Some(&key))
            .into_iter()
            .map(|t| (t.transition_id, t.resolution))
            .collect();
        let want = [("41", Some("Done")), ("11", None), ("31", Some("Won't Do"))];
        assert_eq!(done, want.map(|(t, r)| (t.to_owned(), r.map(str::to_owned))));
    }
}

#[tokio::test]
async fn custom_workflow_per_project() {
    let mut config = SandboxConfig::with_flavour(Flavour::data_center("8.20.0"));
    let status = |name: &str, category| StatusSpec { name: name.into(), category };
    let t = |id: &str, name: &str, from: &[&str], to: &str| TransitionSpec {
        id: id.into(),
        name: name.into(),
        from: from.iter().map(|s| (*s).into()).collect(),
        to: to.into(),
        screen: None,
    };
    let mut ops = ProjectSpec::new("OPS", "Ops", ProjectType::Business);
    ops.workflow = Workflow {
        statuses: vec![
            status("Open", StatusCategory::New),
            status("Review", StatusCategory::Indeterminate),
            status("Closed", StatusCategory::Done),
        ],
        transitions: vec![
            t("5", "Submit", &["Open"], "Review"),
            t("7", "Close", &["Review"], "Closed"),
        ],
    };
    config.projects.push(ops);
    let srv = support::start(config).await;
    let r = srv
        .post("/rest/api/2/issue", json!({"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "Rotate keys"}}))
        .await;
    assert_eq!(r.body["key"], "OPS-1");
    let names = |body: &serde_json::Value| -> Vec<String> {
        body["transitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&srv.get("/rest/api/2/issue/OPS-1/transitions").await.body), ["Submit"]);
    assert_eq!(
        srv.post("/rest/api/2/issue/OPS-1/transitions", json!({"transition": {"id": "5"}}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(names(&srv.get("/rest/api/2/issue/OPS-1/transitions").await.body), ["Close"]);
    assert_eq!(
        srv.post("/rest/api/2/issue/OPS-1/transitions", json!({"transition": {"id": 7}}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(srv.sandbox.issue("OPS-1").unwrap().status_category, "done");
    // Data Center has no paged changelog resource.
    assert_eq!(srv.get("/rest/api/2/issue/OPS-1/changelog").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cloud_changelog_is_paged_and_embedded_one_truncated() {
    let srv = support::cloud().await;
    let key = srv.create(3, "Busy").await;
    for i in 0..7 {
        let id = if i % 2 == 0 { "21" } else { "11" };
        let r = srv
            .post(
                &format!("/rest/api/3/issue/{key}/transitions"),
                json!({"transition": {"id": id}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
    }
    let mut knobs = srv.sandbox.knobs();
    knobs.embedded_changelog_cap = 3;
    srv.sandbox.set_knobs(knobs);
    let r = srv.get(&format!("/rest/api/3/issue/{key}?expand=changelog")).await;
    assert_eq!(r.body["changelog"]["total"], 7);
    assert_eq!(r.body["changelog"]["startAt"], 4);
    assert_eq!(r.body["changelog"]["histories"].as_array().unwrap().len(), 3);

    let mut seen = Vec::new();
    let mut start = 0;
    loop {
        let r = srv
            .get(&format!("/rest/api/3/issue/{key}/changelog?startAt={start}&maxResults=3"))
            .await;
        assert_eq!(r.body["total"], 7);
        for v in r.body["values"].as_array().unwrap() {
            seen.push(v["id"].as_str().unwrap().to_owned());
        }
        if r.body["isLast"] == true {
            assert!(r.body.get("nextPage").is_none());
            break;
        }
        start += 3;
    }
    assert_eq!(seen.len(), 7);
}

#[tokio::test]
async fn transition_can_carry_a_comment() {
    let srv = support::cloud().await;
    let key = srv.create(3, "Carry").await;
    let path = format!("/rest/api/3/issue/{key}/transitions");
    let bad =
        json!({"transition": {"id": "21"}, "update": {"comment": [{"add": {"body": "not adf"}}]}});
    let r = srv.post(&path, bad).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(srv.sandbox.issue(&key).unwrap().status, "To Do", "a bad comment stops the move");
    let adf = json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Started"}]}]});
    let good = json!({"transition": {"id": "21"}, "update": {"comment": [{"add": {"body": adf}}]}});
    assert_eq!(srv.post(&path, good).await.status, StatusCode::NO_CONTENT);
    assert_eq!(srv.sandbox.issue(&key).unwrap().status, "In Progress");
    assert_eq!(srv.sandbox.comments(Some(&key))[0].body_text, "Started");
}
