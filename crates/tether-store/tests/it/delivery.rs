//! The facts delivery insight is computed from, on both backends: per ticket when it started,
//! finished and was first committed to, its flags and when they were first on in production;
//! the status-category moves and sprint memberships of the tickets a query selects.

use tether_store::dev::Mention;
use tether_store::on_each_backend;
use tether_store::testing::TestBackend;

use crate::search::{at, ingest, repository, shop, web, world};

on_each_backend!(delivery_facts_follow_the_history_the_code_and_the_flags);
async fn delivery_facts_follow_the_history_the_code_and_the_flags(backend: TestBackend) {
    let w = world(backend).await;
    let s = &w.t.store;
    let mut config = shop(s, w.acme).await;
    s.link_flag_issue("shop", "checkout", "WEB-1", "t").await.unwrap();
    w.t.clock.advance(std::time::Duration::from_secs(3600));
    let turned_on = s.clock().now_ms();
    config.on = true;
    s.update_flag_config("shop", "checkout", "production", &config, None, "t").await.unwrap();
    let repo = repository(s).await;
    let commit_at = at(3, 8).unwrap();
    s.upsert_mention(&Mention {
        repository_id: repo.id,
        entity: format!("{}:commit:abc", repo.id),
        issue_key: "WEB-1".into(),
        kind: "commit".into(),
        title: "t".into(),
        url: "u".into(),
        author: String::new(),
        branch: String::new(),
        state: String::new(),
        at: commit_at,
    })
    .await
    .unwrap();

    let facts = s.delivery_facts("project = WEB", &w.scope()).await.unwrap();
    let row = |key: &str| facts.tickets.iter().find(|t| t.key == key).unwrap().clone();
    let web1 = row("WEB-1");
    assert_eq!(
        (web1.created_at, web1.first_progress_at, web1.done_at, web1.first_commit_at),
        (at(1, 10), at(2, 9), at(10, 12), Some(commit_at)),
        "{}",
        w.t.label
    );
    assert_eq!(web1.flags, ["shop/checkout"]);
    assert_eq!(web1.status_category.as_deref(), Some("done"));
    let web2 = row("WEB-2");
    assert_eq!((web2.first_progress_at, web2.done_at), (at(20, 10), None));
    assert!(web2.flags.is_empty());
    let web10 = row("WEB-10");
    assert_eq!((web10.first_progress_at, web10.done_at, web10.first_commit_at), (None, None, None));
    assert_eq!(facts.tickets.len(), 3);

    let moves: Vec<(String, i64, Option<String>, Option<String>)> = facts
        .moves
        .iter()
        .map(|m| (m.issue_id.clone(), m.at, m.from_category.clone(), m.to_category.clone()))
        .collect();
    let cat = |c: &str| Some(c.to_owned());
    assert_eq!(
        moves,
        [
            ("1001".into(), at(2, 9).unwrap(), cat("new"), cat("indeterminate")),
            ("1001".into(), at(10, 12).unwrap(), cat("indeterminate"), cat("done")),
            ("1002".into(), at(20, 10).unwrap(), cat("new"), cat("indeterminate")),
        ]
    );
    let mut members = facts.sprint_members.clone();
    members.sort();
    assert_eq!(members, [(w.acme, "1001".into(), 1), (w.acme, "1002".into(), 2)]);
    assert_eq!(
        facts.sprints.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["Sprint 1", "Sprint 2"]
    );
    assert_eq!(facts.flag_first_on.get("shop/checkout"), Some(&turned_on));

    // The query narrows every part.
    let done = s.delivery_facts("statusCategory = Done", &w.scope()).await.unwrap();
    assert_eq!(done.tickets.iter().map(|t| t.key.as_str()).collect::<Vec<_>>(), ["WEB-1"]);
    assert_eq!(done.moves.len(), 2);
    assert_eq!(done.sprint_members, [(w.acme, "1001".into(), 1)]);
}

// Two sites holding tickets with the same ids (1001, 1002, 1010), selected through one query:
// the moves and sprints are read by joining the selection on (site, issue).
on_each_backend!(delivery_facts_pair_each_move_and_sprint_with_its_own_site);
async fn delivery_facts_pair_each_move_and_sprint_with_its_own_site(backend: TestBackend) {
    let w = world(backend).await;
    let s = &w.t.store;
    let mirror = ingest(s, "mirror", "1", "WEB", web()).await;
    let mut both = w.scope();
    both.site_ids.push(mirror);
    let cases = [(w.scope(), vec![w.acme]), (both, vec![w.acme, mirror])];
    for (scope, sites) in cases {
        let facts = s.delivery_facts("project = WEB", &scope).await.unwrap();
        let mut moves: Vec<(i64, String, i64)> =
            facts.moves.iter().map(|m| (m.site_id, m.issue_id.clone(), m.at)).collect();
        moves.sort();
        let mut members = facts.sprint_members.clone();
        members.sort();
        let mut want_moves = Vec::new();
        let mut want_members = Vec::new();
        for &site in &sites {
            want_moves.push((site, "1001".to_owned(), at(2, 9).unwrap()));
            want_moves.push((site, "1001".to_owned(), at(10, 12).unwrap()));
            want_moves.push((site, "1002".to_owned(), at(20, 10).unwrap()));
            want_members.push((site, "1001".to_owned(), 1));
            want_members.push((site, "1002".to_owned(), 2));
        }
        want_moves.sort();
        want_members.sort();
        assert_eq!(moves, want_moves, "{}: sites {sites:?}", w.t.label);
        assert_eq!(members, want_members, "{}: sites {sites:?}", w.t.label);
        assert_eq!(facts.tickets.len(), 3 * sites.len(), "{}", w.t.label);
    }
}
