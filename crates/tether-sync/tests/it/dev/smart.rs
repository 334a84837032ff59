//! Smart Commits against the sandbox: `#comment`, `#time` (a worklog of the site's
//! duration), `#<transition>` by unique prefix with its text as a comment, several keys and
//! commands, each once; an ambiguous name is refused with the candidates; the author is
//! named as Jira knows them when their email is a Jira user's.

use tether_store::dev::CodeSettings;
use tether_store::on_each_backend;
use tether_store::testing::TestBackend;
use tether_sync::dev_to_jira::report::Outcome;

use super::support::{DevWorld, SHA1, SHA2, ZERO, commit, push};

on_each_backend!(smart_commits_comment_log_work_and_transition_once);
async fn smart_commits_comment_log_work_and_transition_once(backend: TestBackend) {
    for cloud in [true, false] {
        let d = DevWorld::new(backend, cloud, CodeSettings::default()).await;
        let message = "SAND-1 SAND-2 #comment Looks good #time 1h 30m Pairing\nSAND-3 #in-progress Started on it";
        let c = commit(SHA1, message);
        let id =
            d.deliver("push", &push("feature/a", ZERO, std::slice::from_ref(&c), false)).await.id();
        d.drain().await;
        let report = d.report(id).await;
        assert!(!report.failed(), "{report:#?}");
        for key in ["SAND-1", "SAND-2"] {
            let texts = d.comments(key);
            // The mention comment, and the #comment.
            assert_eq!(texts.len(), 2, "cloud={cloud} {key}: {texts:?}");
            assert!(texts[1].starts_with("Looks good"), "{}", texts[1]);
            assert!(texts[1].contains("on behalf of Ada Lovelace <ada@example.com>, by Smart Commit in commit 1111111 of acme/shop"), "{}", texts[1]);
            let logs = d.w.sandbox.worklogs(Some(key));
            assert_eq!(logs.len(), 1, "{key}");
            assert_eq!(logs[0].time_spent_seconds, 5400);
            assert!(logs[0].comment_text.as_deref().unwrap().starts_with("Pairing"));
        }
        assert_eq!(d.w.sandbox.issue("SAND-3").unwrap().status, "In Progress");
        assert!(d.comments("SAND-3").iter().any(|t| t.starts_with("Started on it")));
        // The same commit on main: nothing again.
        d.deliver("push", &push("main", ZERO, &[c], false)).await;
        d.drain().await;
        assert_eq!(d.w.sandbox.worklogs(Some("SAND-1")).len(), 1);
        assert_eq!(d.comments("SAND-1").len(), 2);
        assert_eq!(d.w.sandbox.transitions_done(Some("SAND-3")).len(), 1);
    }
}

on_each_backend!(an_ambiguous_or_unknown_transition_name_is_refused_with_why);
async fn an_ambiguous_or_unknown_transition_name_is_refused_with_why(backend: TestBackend) {
    let d = DevWorld::new(backend, false, CodeSettings::default()).await;
    let message = "SAND-1 #xyz\nSAND-2 #do";
    let id = d.deliver("push", &push("main", ZERO, &[commit(SHA2, message)], false)).await.id();
    d.drain().await;
    let report = d.report(id).await;
    let action = |key: &str| {
        report.entities[0]
            .issues
            .iter()
            .find(|i| i.key == key)
            .unwrap()
            .actions
            .iter()
            .find(|a| a.action.starts_with('#'))
            .cloned()
            .unwrap()
    };
    let x = action("SAND-1");
    assert_eq!(x.outcome, Outcome::Failed);
    assert!(
        x.detail.starts_with(
            "no transition named #xyz from status To Do (available: In Progress, Done, Close)"
        ),
        "{}",
        x.detail
    );
    // "do" is "Done" by prefix only; "To Do" does not start with it.
    let done = action("SAND-2");
    assert_eq!(done.outcome, Outcome::Done, "{done:?}");
    assert_eq!(d.w.sandbox.issue("SAND-2").unwrap().resolution.as_deref(), Some("Done"));
}
