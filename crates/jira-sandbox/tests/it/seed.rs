//! Seeding is deterministic and produces realistic shapes.

use jira_sandbox::{Flavour, Sandbox, SandboxConfig};

#[tokio::test]
async fn same_seed_same_world() {
    let a = Sandbox::new(SandboxConfig::default()).unwrap();
    let b = Sandbox::new(SandboxConfig::default()).unwrap();
    let c = Sandbox::new(SandboxConfig::with_flavour(Flavour::data_center("9.12.0"))).unwrap();
    let ra = a.seed_issues(2000, 42);
    let rb = b.seed_issues(2000, 42);
    c.seed_issues(2000, 43);
    assert_eq!((ra.issues, ra.comments, ra.histories), (rb.issues, rb.comments, rb.histories));
    assert!(ra.comments > 1000 && ra.histories > 1000, "{ra:?}");
    for key in ["DEMO-1", "WEB-17", "HELP-3", "OPS-40"] {
        assert_eq!(a.issue(key), b.issue(key), "{key}");
    }
    assert_ne!(a.issue("DEMO-1"), c.issue("DEMO-1"));
    // Histories only through the workflow: done issues carry a resolution, others none.
    for i in 1..200 {
        if let Some(s) = a.issue(&format!("DEMO-{i}")) {
            assert_eq!(s.status_category == "done", s.resolution.is_some(), "{s:?}");
            assert!(s.updated_ms >= s.created_ms);
        }
    }
    // Seeded transitions are history, not API writes.
    assert!(a.transitions_done(None).is_empty());
}

#[tokio::test]
async fn seed_over_admin_endpoint() {
    let srv = crate::support::cloud().await;
    let r = srv.post("/_sandbox/seed", serde_json::json!({"issues": 50, "seed": 9})).await;
    assert_eq!(r.body["issues"], 50);
    assert_eq!(srv.sandbox.issue_count(), 50);
    let r = srv.get("/_sandbox").await;
    assert_eq!(r.body["issues"], 50);
    assert_eq!(r.body["flavour"]["kind"], "cloud");
}

#[tokio::test]
async fn load_round_trips_exported_issues() {
    use reqwest::StatusCode;
    use serde_json::json;

    let cloud = crate::support::cloud().await;
    cloud.sandbox.seed_issues(30, 4);
    let page = cloud
        .post(
            "/rest/api/3/search/jql",
            json!({"jql": "project = WEB ORDER BY key", "fields": ["*all"], "expand": "changelog", "maxResults": 100}),
        )
        .await
        .body;
    let exported = page["issues"].as_array().unwrap().len();
    assert!(exported > 3);

    let dc = crate::support::dc().await;
    let r = dc.post("/_sandbox/load", page.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["issues"], exported);
    assert_eq!(r.body["projects_added"], 1);
    for issue in page["issues"].as_array().unwrap() {
        let key = issue["key"].as_str().unwrap();
        let (a, b) = (cloud.sandbox.issue(key).unwrap(), dc.sandbox.issue(key).unwrap());
        assert_eq!(
            (
                &a.id,
                &a.summary,
                &a.status,
                &a.resolution,
                &a.labels,
                a.created_ms,
                a.updated_ms,
                a.comments,
                a.histories
            ),
            (
                &b.id,
                &b.summary,
                &b.status,
                &b.resolution,
                &b.labels,
                b.created_ms,
                b.updated_ms,
                b.comments,
                b.histories
            ),
            "{key}"
        );
        assert_eq!(a.description_text, b.description_text);
    }
    // Loading again skips what is there; new issues continue the key sequence.
    let r = dc.post("/_sandbox/load", page).await;
    assert_eq!(r.body["issues"], 0);
    assert_eq!(r.body["skipped_keys"].as_array().unwrap().len(), exported);

    // A status the workflow lacks joins it; a malformed file changes nothing.
    let one = json!({"key": "IMP-7", "id": "777", "fields": {
        "summary": "Imported", "status": {"name": "In Review", "statusCategory": {"key": "indeterminate"}},
        "reporter": {"name": "zoe", "displayName": "Zoe Z", "emailAddress": "zoe@corp.test"},
        "created": "2023-05-01T09:00:00.000+0200", "updated": "2023-05-02T09:00:00.000+0200"}});
    let r = dc.post("/_sandbox/load", one).await;
    assert_eq!(r.body["users_added"], 1, "{:?}", r.body);
    let snap = dc.sandbox.issue("IMP-7").unwrap();
    assert_eq!(
        (snap.status.as_str(), snap.status_category.as_str()),
        ("In Review", "indeterminate")
    );
    assert_eq!(snap.reporter.as_deref(), Some("zoe"));
    assert_eq!(snap.created_ms, 1_682_924_400_000);
    let r = dc.post("/rest/api/2/issue", json!({"fields": {"project": {"key": "IMP"}, "issuetype": {"name": "Task"}, "summary": "next"}})).await;
    assert_eq!(r.body["key"], "IMP-8");
    let before = dc.sandbox.issue_count();
    let r =
        dc.post("/_sandbox/load", json!([{"key": "OK-1", "fields": {}}, {"key": "broken"}])).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(crate::support::jira_error(&r).contains("issue 1"));
    assert_eq!(dc.sandbox.issue_count(), before);
}

/// What ingestion benchmarks need: about ten changelog items, three comments and two worklogs
/// per issue, the worklogs recorded in the changelog as Jira records them.
#[tokio::test]
async fn generated_issues_have_histories_comments_and_worklogs() {
    let sb = Sandbox::new(SandboxConfig::default()).unwrap();
    let r = sb.seed_issues(3000, 5);
    let per_issue = |n: usize| n as f64 / r.issues as f64;
    assert!((9.0..=12.0).contains(&per_issue(r.history_items)), "{r:?}");
    assert!((2.5..=3.5).contains(&per_issue(r.comments)), "{r:?}");
    assert!((1.5..=2.5).contains(&per_issue(r.worklogs)), "{r:?}");
    let worklogs = sb.worklogs(None);
    assert_eq!(worklogs.len(), r.worklogs);
    assert!(worklogs.iter().all(|w| w.time_spent_seconds >= 15 * 60), "at least 15 minutes each");
    let issue = sb.issue("DEMO-1").unwrap();
    assert_eq!(
        issue.time_spent_seconds,
        worklogs
            .iter()
            .filter(|w| w.issue_key == "DEMO-1")
            .map(|w| w.time_spent_seconds)
            .sum::<u64>()
    );
}
