//! Pushes and pull requests against the sandbox, Cloud and Data Center: links, comments
//! (ADF on v3, wiki markup on v2; link-only mode), transitions (automatic with the
//! resolution screen filled, custom ids stopping at the first failure, skipped when
//! resolved, not by merge commits the forge wrote), nothing twice across replays,
//! re-pushes, force-pushes and deleted branches.

use std::time::Duration;

use serde_json::Value;
use tether_store::dev::{CodeSettings, CommentDetail, LedgerKey, LedgerState, Transitions};
use tether_store::on_each_backend;
use tether_store::testing::TestBackend;
use tether_sync::GiveWay;
use tether_sync::dev_to_jira::report::Outcome;

use super::support::{DevWorld, SHA1, SHA2, SHA3, ZERO, commit, delete_branch, pull_request, push};

fn automatic() -> CodeSettings {
    CodeSettings { transitions: Some(Transitions::Automatic), ..CodeSettings::default() }
}

on_each_backend!(a_push_to_main_links_comments_and_closes);
async fn a_push_to_main_links_comments_and_closes(backend: TestBackend) {
    for cloud in [true, false] {
        let d = DevWorld::new(backend, cloud, automatic()).await;
        let body = push(
            "main",
            ZERO,
            &[
                commit(SHA1, "SAND-1 add the cart\n\nMore words"),
                commit(SHA2, "Fixes SAND-2, SAND-3"),
            ],
            false,
        );
        let id = d.deliver("push", &body).await.id();
        d.drain().await;
        let report = d.report(id).await;
        assert_eq!(report.entities.len(), 2, "{report:?}");
        assert!(!report.failed(), "{report:#?}");
        // One link per (issue, commit), whole, with a stable globalId.
        let links = d.code_links("SAND-1");
        assert_eq!(links.len(), 1, "cloud={cloud}");
        let (gid, object) = &links[0];
        assert_eq!(gid, &format!("tether:code:{}:commit:{SHA1}", d.repo_id));
        assert_eq!(object["title"], "1111111 acme/shop: SAND-1 add the cart");
        assert_eq!(object["url"], format!("https://github.com/acme/shop/commit/{SHA1}"));
        assert_eq!(object["status"]["resolved"], false);
        // The comment says who, where, and quotes the first line.
        let comments = d.comments("SAND-1");
        assert_eq!(comments.len(), 1, "cloud={cloud}: {comments:?}");
        assert!(
            comments[0].starts_with(
                "Ada Lovelace mentioned this issue in commit 1111111 of acme/shop on branch main"
            ),
            "{}",
            comments[0]
        );
        assert!(comments[0].contains("SAND-1 add the cart") && !comments[0].contains("More words"));
        // Wiki markup on v2, ADF on v3.
        let raw = &d.w.sandbox.comments(Some("SAND-1"))[0].body;
        assert_eq!(raw.is_string(), !cloud, "{raw}");
        // Both closed issues moved to Done through the screen that requires a resolution.
        for key in ["SAND-2", "SAND-3"] {
            let issue = d.w.sandbox.issue(key).unwrap();
            assert_eq!(
                (issue.status.as_str(), issue.resolution.as_deref()),
                ("Done", Some("Done")),
                "{key}"
            );
            let done = d.w.sandbox.transitions_done(Some(key));
            assert_eq!(done.len(), 1, "{key}");
            assert_eq!(done[0].transition_id, "31");
            assert_eq!(d.code_links(key)[0].1["status"]["resolved"], true, "{key}: struck through");
        }
        assert_eq!(d.w.sandbox.issue("SAND-1").unwrap().status, "To Do");
    }
}

on_each_backend!(nothing_twice_across_replays_repushes_force_pushes_and_deleted_branches);
async fn nothing_twice_across_replays_repushes_force_pushes_and_deleted_branches(
    backend: TestBackend,
) {
    for cloud in [true, false] {
        let d = DevWorld::new(backend, cloud, automatic()).await;
        let c1 = commit(SHA1, "SAND-1 first");
        let c2 = commit(SHA2, "Closes SAND-2");
        let first = push("feature/x", ZERO, &[c1.clone(), c2.clone()], false);
        d.deliver_as("one", "push", &first).await;
        // The same delivery again is not even stored.
        assert!(matches!(
            d.deliver_as("one", "push", &first).await,
            tether_store::dev::Recorded::Duplicate(_)
        ));
        d.drain().await;
        // The same commits pushed again, force-pushed, then merged into main, the branch deleted.
        d.deliver("push", &push("feature/x", SHA2, &[c1.clone(), c2.clone()], true)).await;
        d.deliver("push", &push("main", ZERO, &[c1.clone(), c2.clone()], false)).await;
        d.deliver("push", &delete_branch("feature/x", SHA2)).await;
        d.drain().await;
        for key in ["SAND-1", "SAND-2"] {
            assert_eq!(d.code_links(key).len(), 1, "cloud={cloud} {key}");
            assert_eq!(d.comments(key).len(), 1, "cloud={cloud} {key}");
        }
        // Closed once, when it reached main.
        assert_eq!(d.w.sandbox.transitions_done(Some("SAND-2")).len(), 1);
        // The repository's URL changes: the ledger, keyed on the repository's id, holds.
        let mut moved = push("main", SHA2, &[c1, c2], false);
        moved["repository"]["html_url"] = Value::from("https://github.com/acme-renamed/shop");
        d.deliver("push", &moved).await;
        d.drain().await;
        assert_eq!(d.comments("SAND-1").len(), 1);
        assert_eq!(d.code_links("SAND-1").len(), 1, "an upsert, not a second link");
    }
}

on_each_backend!(link_only_copies_no_message_text);
async fn link_only_copies_no_message_text(backend: TestBackend) {
    let settings =
        CodeSettings { comment_detail: Some(CommentDetail::LinkOnly), ..CodeSettings::default() };
    for cloud in [true, false] {
        let d = DevWorld::new(backend, cloud, settings.clone()).await;
        d.deliver(
            "push",
            &push("main", ZERO, &[commit(SHA1, "SAND-1 secret plans for the merger")], false),
        )
        .await;
        d.drain().await;
        let comments = d.comments("SAND-1");
        assert_eq!(comments.len(), 1);
        assert!(!comments[0].contains("secret"), "{}", comments[0]);
        assert!(comments[0].contains("commit 1111111"));
        let (_, object) = &d.code_links("SAND-1")[0];
        assert!(!object.to_string().contains("secret"), "{object}");
    }
}

on_each_backend!(custom_transitions_stop_at_the_first_failure);
async fn custom_transitions_stop_at_the_first_failure(backend: TestBackend) {
    let settings = CodeSettings {
        transitions: Some(Transitions::Custom(vec!["21".into(), "999".into(), "41".into()])),
        ..CodeSettings::default()
    };
    let d = DevWorld::new(backend, false, settings).await;
    let id = d
        .deliver("push", &push("main", ZERO, &[commit(SHA1, "Resolves SAND-4")], false))
        .await
        .id();
    d.drain().await;
    assert_eq!(d.w.sandbox.issue("SAND-4").unwrap().status, "In Progress");
    let report = d.report(id).await;
    let action =
        report.entities[0].issues[0].actions.iter().find(|a| a.action == "transition").unwrap();
    assert_eq!(action.outcome, Outcome::Failed);
    assert!(action.detail.starts_with("applied In Progress (id 21 → In Progress), then stopped: transition 999 is not available"), "{}", action.detail);
}

on_each_backend!(resolved_issues_and_forge_merge_commits_do_not_close);
async fn resolved_issues_and_forge_merge_commits_do_not_close(backend: TestBackend) {
    let d = DevWorld::new(backend, true, automatic()).await;
    // Already resolved: skipped.
    d.w.admin.transition("SAND-1", "41", Default::default()).await.unwrap();
    let merge = "Merge pull request #7 from acme/SAND-5\n\nCloses SAND-5";
    let id = d
        .deliver(
            "push",
            &push("main", ZERO, &[commit(SHA1, "Fixes SAND-1"), commit(SHA2, merge)], false),
        )
        .await
        .id();
    // A push to another branch does not close either.
    let other =
        d.deliver("push", &push("dev", ZERO, &[commit(SHA3, "Fixes SAND-4")], false)).await.id();
    d.drain().await;
    let report = d.report(id).await;
    let outcome = |e: usize, key: &str| {
        let issue = report.entities[e].issues.iter().find(|i| i.key == key).unwrap();
        issue
            .actions
            .iter()
            .find(|a| a.action == "transition")
            .map(|a| (a.outcome, a.detail.clone()))
    };
    let (o, detail) = outcome(0, "SAND-1").unwrap();
    assert_eq!(o, Outcome::Skipped);
    assert!(detail.starts_with("already resolved"), "{detail}");
    assert_eq!(outcome(1, "SAND-5").unwrap().0, Outcome::Skipped);
    assert_eq!(d.w.sandbox.issue("SAND-5").unwrap().status, "To Do");
    let r = d.report(other).await;
    assert_eq!(
        r.entities[0].issues[0].actions.iter().find(|a| a.action == "transition").unwrap().outcome,
        Outcome::Skipped
    );
    assert_eq!(d.w.sandbox.issue("SAND-4").unwrap().status, "To Do");
}

on_each_backend!(a_merged_pull_request_closes_and_strikes_its_link);
async fn a_merged_pull_request_closes_and_strikes_its_link(backend: TestBackend) {
    for cloud in [true, false] {
        let d = DevWorld::new(backend, cloud, automatic()).await;
        d.deliver(
            "pull_request",
            &pull_request(7, "opened", false, "Cart for SAND-1", "Closes SAND-2", "SAND-3-cart"),
        )
        .await;
        d.drain().await;
        // Keys from the title, the description and the branch; nothing closes while open.
        for key in ["SAND-1", "SAND-2", "SAND-3"] {
            let links = d.code_links(key);
            assert_eq!(links.len(), 1, "{key}");
            assert_eq!(links[0].1["title"], "#7 acme/shop: Cart for SAND-1");
            assert_eq!(links[0].1["status"]["resolved"], false);
        }
        assert_eq!(d.w.sandbox.issue("SAND-2").unwrap().status, "To Do");
        d.deliver(
            "pull_request",
            &pull_request(7, "closed", true, "Cart for SAND-1", "Closes SAND-2", "SAND-3-cart"),
        )
        .await;
        d.drain().await;
        assert_eq!(d.w.sandbox.issue("SAND-2").unwrap().status, "Done", "cloud={cloud}");
        assert_eq!(
            d.comments("SAND-2").len(),
            1,
            "one comment for the request, whatever its events"
        );
        for key in ["SAND-1", "SAND-2", "SAND-3"] {
            assert_eq!(d.code_links(key)[0].1["status"]["resolved"], true, "{key}");
        }
        // A late replay of the opening event does not unstrike the links.
        d.deliver(
            "pull_request",
            &pull_request(7, "opened", false, "Cart for SAND-1", "Closes SAND-2", "SAND-3-cart"),
        )
        .await;
        d.drain().await;
        assert_eq!(d.code_links("SAND-1")[0].1["status"]["resolved"], true);
    }
}

on_each_backend!(unknown_issues_and_missing_sites_are_reported);
async fn unknown_issues_and_missing_sites_are_reported(backend: TestBackend) {
    let d = DevWorld::new(backend, false, CodeSettings::default()).await;
    let id = d
        .deliver("push", &push("main", ZERO, &[commit(SHA1, "SAND-99 and NOPE-1")], false))
        .await
        .id();
    d.drain().await;
    let report = d.report(id).await;
    assert!(report.failed());
    let details: Vec<&str> =
        report.entities[0].issues.iter().map(|i| i.actions[0].detail.as_str()).collect();
    assert_eq!(
        details,
        [
            "Jira has no issue SAND-99, or tether's account cannot see it",
            "Jira has no issue NOPE-1, or tether's account cannot see it",
        ]
    );
    d.set_settings(CodeSettings { site: Some("elsewhere".into()), ..CodeSettings::default() })
        .await;
    let id = d.deliver("push", &push("main", ZERO, &[commit(SHA2, "SAND-1")], false)).await.id();
    d.drain().await;
    assert_eq!(
        d.report(id).await.error.as_deref(),
        Some("the Jira site \"elsewhere\" does not exist")
    );
    let k = LedgerKey {
        site_id: d.w.site_id,
        issue_key: "SAND-1",
        entity: &format!("{}:commit:{SHA2}", d.repo_id),
        action: "comment",
    };
    assert_eq!(d.w.store.ledger_entry(k).await.unwrap(), None);
    let k1 =
        LedgerKey { entity: &format!("{}:commit:{SHA1}", d.repo_id), issue_key: "SAND-99", ..k };
    assert_eq!(
        d.w.store.ledger_entry(LedgerKey { action: "link", ..k1 }).await.unwrap().map(|e| e.state),
        None::<LedgerState>
    );
}

on_each_backend!(a_tick_writes_what_its_events_found_in_a_few_commits);
async fn a_tick_writes_what_its_events_found_in_a_few_commits(backend: TestBackend) {
    // No site to call: each event is planned, its mentions and report written, nothing else.
    let settings = CodeSettings { site: Some("elsewhere".into()), ..CodeSettings::default() };
    let d = DevWorld::new(backend, false, settings).await;
    let mut ids = Vec::new();
    for n in 0..20 {
        let sha = format!("{n:040x}");
        let pushed = push("main", ZERO, &[commit(&sha, &format!("SAND-1 step {n}"))], false);
        ids.push(d.deliver("push", &pushed).await.id());
    }
    let before = d.w.store.writes_begun();
    let tick = d.worker.tick().await.unwrap();
    let writes = d.w.store.writes_begun() - before;
    assert_eq!(tick.claimed, 40, "a dev.event and a dev.devinfo row per delivery");
    // The claim; per kind, what its rows found (one transaction) and how they settled. One
    // write per event and kind or more (63 here) was what this replaced.
    assert_eq!(writes, 5);
    for id in ids {
        let report = d.report(id).await;
        assert_eq!(report.error.as_deref(), Some("the Jira site \"elsewhere\" does not exist"));
        let e = d.w.store.dev_event(id).await.unwrap();
        assert!(e.devinfo_report.is_some_and(|r| r.contains("elsewhere")), "{id}");
    }
    assert_eq!(d.w.store.mentions_of_issue("SAND-1").await.unwrap().len(), 20);
    assert_eq!(d.w.store.outbox_stats().await.unwrap().pending, 0);
}

on_each_backend!(the_worker_gives_way_while_deliveries_arrive);
async fn the_worker_gives_way_while_deliveries_arrive(backend: TestBackend) {
    let settings = CodeSettings { site: Some("elsewhere".into()), ..CodeSettings::default() };
    let d = DevWorld::new(backend, false, settings).await;
    let g = GiveWay {
        busy_within: Duration::from_millis(50),
        rows: 4,
        parts: 10,
        least: Duration::from_millis(1),
        longest: Duration::from_millis(5),
    };
    let worker = super::support::worker(&d.w, "dev-polite").with_give_way(g);
    let world = &d;
    let deliver = |n: usize| {
        let pushed = push("main", ZERO, &[commit(&format!("{n:040x}"), "SAND-1")], false);
        async move { world.deliver("push", &pushed).await.id() }
    };
    for n in 0..3 {
        deliver(n).await;
    }
    // The last delivery arrived now by the store's clock: the intake is busy. Four rows a
    // tick (a dev.event and a dev.devinfo row per delivery), a pause after each row and
    // after each job's rows are settled.
    let tick = worker.tick().await.unwrap();
    assert_eq!((tick.claimed, tick.gave_way), (4, 4 + 2));
    let tick = worker.tick().await.unwrap();
    assert_eq!((tick.claimed, tick.gave_way), (2, 2 + 2));
    for n in 3..6 {
        deliver(n).await;
    }
    d.w.pass(Duration::from_millis(51)).await;
    let tick = worker.tick().await.unwrap();
    assert_eq!((tick.claimed, tick.gave_way), (6, 0), "no delivery for longer than busy_within");
    // Without GiveWay (the default), never.
    deliver(6).await;
    let tick = d.worker.tick().await.unwrap();
    assert_eq!((tick.claimed, tick.gave_way), (2, 0));
}
