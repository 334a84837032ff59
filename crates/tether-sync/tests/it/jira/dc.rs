//! Data Center: one remote link per linked issue, kept in step and removed on unlink.

use jira_sandbox::Knobs;
use serde_json::{Value, json};

use tether_store::on_each_backend;
use tether_store::testing::TestBackend;

use super::support::World;

fn titles(links: &[(String, Value)]) -> Vec<(String, String, bool)> {
    let mut out: Vec<(String, String, bool)> = links
        .iter()
        .map(|(issue, o)| {
            (
                issue.clone(),
                o["title"].as_str().unwrap().to_owned(),
                o["status"]["resolved"] == true,
            )
        })
        .collect();
    out.sort();
    out
}

on_each_backend!(remote_links_are_created_updated_resolved_and_removed);
async fn remote_links_are_created_updated_resolved_and_removed(backend: TestBackend) {
    let w = World::new(backend, false).await;
    w.flag("checkout", "New checkout").await;
    w.link("checkout", "SAND-1").await;
    let report = w.drain().await;
    assert_eq!(report.jira_sent, 1, "{}: {report:?}", w.label);
    let links = w.links("checkout");
    assert_eq!(
        titles(&links),
        [("SAND-1".into(), "Flag \"New checkout\": off in Production".into(), false)]
    );
    let object = &links[0].1;
    assert_eq!(object["url"], "https://tether.test/flags/shop/checkout");
    let summary = object["summary"].as_str().unwrap();
    assert!(summary.starts_with("Staging: off; Production: off. Last saved 20"), "{summary}");

    w.toggle("checkout", "production", true).await;
    w.rollout("checkout", "production", 30).await;
    w.link("checkout", "SAND-2").await;
    w.drain().await;
    assert_eq!(
        titles(&w.links("checkout")),
        [
            (
                "SAND-1".into(),
                "Flag \"New checkout\": on in Production, 30% On · 70% Off, default treatment Off"
                    .into(),
                false
            ),
            (
                "SAND-2".into(),
                "Flag \"New checkout\": on in Production, 30% On · 70% Off, default treatment Off"
                    .into(),
                false
            ),
        ],
        "{}",
        w.label
    );

    // Fully rolled out: struck through.
    w.rollout("checkout", "production", 100).await;
    w.drain().await;
    assert!(titles(&w.links("checkout")).iter().all(|(_, t, resolved)| *resolved
        && t == "Flag \"New checkout\": on in Production, 100% On, default treatment Off"));

    w.rules("checkout", "production", 3).await;
    w.unlink("checkout", "SAND-1").await;
    w.drain().await;
    assert_eq!(
        titles(&w.links("checkout")),
        [(
            "SAND-2".into(),
            "Flag \"New checkout\": on in Production, 3 rules + 100% rollout".into(),
            false
        )],
        "{}: removed from the unlinked issue",
        w.label
    );
    let row = w.sync_row("checkout").await;
    let pushed: Value = serde_json::from_str(row.pushed.as_deref().unwrap()).unwrap();
    assert_eq!(pushed["issue_keys"], json!(["SAND-2"]));

    // Archived: resolved whatever the rollout.
    let mut state = w.store.flag("shop", "checkout").await.unwrap().flag;
    state.tags.push("archived".into());
    w.store.update_flag("shop", &state, None, "t").await.unwrap();
    w.drain().await;
    assert_eq!(
        titles(&w.links("checkout")),
        [(
            "SAND-2".into(),
            "Flag \"New checkout\" (archived): on in Production, 3 rules + 100% rollout".into(),
            true
        )]
    );

    w.store.delete_flag("shop", "checkout", None, "t").await.unwrap();
    let report = w.drain().await;
    assert_eq!(report.jira_deleted, 1, "{report:?}");
    assert!(w.links("checkout").is_empty(), "{}", w.label);
    assert_eq!(w.sync_row("checkout").await.pushed, None);
}

on_each_backend!(unknown_issues_are_recorded_and_outages_retried);
async fn unknown_issues_are_recorded_and_outages_retried(backend: TestBackend) {
    let w = World::new(backend, false).await;
    w.flag("checkout", "New checkout").await;
    w.link("checkout", "SAND-1").await;
    w.link("checkout", "NOPE-4").await;
    w.sandbox.set_knobs(Knobs { fault_rate: 1.0, fault_statuses: vec![429], ..Knobs::default() });
    let r = w.worker.tick().await.unwrap();
    assert_eq!(r.jira_retried, 2, "{}: both rows (one per link) kept: {r:?}", w.label);
    assert!(w.links("checkout").is_empty());
    w.sandbox.set_knobs(Knobs::default());
    w.drain().await;
    assert_eq!(w.links("checkout").len(), 1);
    let row = w.sync_row("checkout").await;
    let result: Value = serde_json::from_str(row.result.as_deref().unwrap()).unwrap();
    assert_eq!(result["unknown_issue_keys"], json!(["NOPE-4"]), "{}", w.label);
}

on_each_backend!(a_link_jira_made_as_the_worker_died_is_removed_when_the_issue_is_unlinked);
async fn a_link_jira_made_as_the_worker_died_is_removed_when_the_issue_is_unlinked(
    backend: TestBackend,
) {
    let w = World::new(backend, false).await;
    w.flag("checkout", "New checkout").await;
    w.link("checkout", "SAND-1").await;
    w.drain().await;
    // Moved to SAND-2: the link request reaches Jira, and the worker dies
    // (SIGKILL) before it hears back; Jira makes the link all the same.
    w.unlink("checkout", "SAND-1").await;
    w.link("checkout", "SAND-2").await;
    w.traffic.hold("/rest/api/2/issue/SAND-2/");
    {
        let tick = w.worker.tick();
        tokio::select! {
            r = tick => panic!("{}: the tick ended while Jira held its request: {r:?}", w.label),
            () = w.traffic.in_flight(1) => {}
        }
    }
    w.traffic.release();
    w.traffic.quiet().await;
    let issues = |w: &World| -> Vec<String> {
        let mut keys: Vec<String> = w.links("checkout").into_iter().map(|(k, _)| k).collect();
        keys.sort();
        keys
    };
    assert_eq!(issues(&w), ["SAND-1", "SAND-2"], "{}: Jira made the link", w.label);

    // Unlinked before any worker finished the move: the link Jira made must go too.
    w.unlink("checkout", "SAND-2").await;
    w.drain().await;
    assert_eq!(issues(&w), Vec::<String>::new(), "{}: no link left behind", w.label);
    assert_eq!(w.sync_row("checkout").await.pushed, None, "{}", w.label);
}
