//! Passes against the sandbox, both flavours, both backends: the first brings every issue of
//! every imported project with its complete history (beyond what search embeds), comments,
//! worklogs, remote links, people, sprints and catalogues; later ones bring what changed
//! since the cursor; Service Management projects and paused sites get nothing; deleted and
//! moved issues are reflected after one reconciliation; webhooks are registered and their
//! deletions acted on at once; two ingesters share the projects.

use std::time::Duration;

use tether_jira::{Doc, IssueEdit, RemoteLink, RemoteObject};
use tether_store::on_each_backend;
use tether_store::testing::TestBackend;
use tether_sync::ingest::{IngestOptions, Ingester};

use super::support::{World, options};

async fn link(w: &World, key: &str, n: u32) {
    let l = RemoteLink {
        id: None,
        global_id: Some(format!("tether-test-{key}-{n}")),
        application: None,
        relationship: Some("mentioned in".into()),
        object: RemoteObject {
            url: format!("https://ci.test/{key}/{n}"),
            title: format!("Build {n}"),
            ..RemoteObject::default()
        },
    };
    w.admin.upsert_remote_link(key, &l).await.unwrap();
}

/// The first active or future sprint of a project's boards: (id, name).
async fn open_sprint(w: &World, project: &str) -> (i64, String) {
    for board in w.admin.boards(project).await.unwrap() {
        for s in w.admin.sprints(board.id).await.unwrap_or_default() {
            if s.state.as_deref() != Some("closed") {
                return (s.id, s.name);
            }
        }
    }
    panic!("{project} has no open sprint");
}

/// `POST /rest/agile/1.0/sprint/{id}/issue`, which the client has no method for.
async fn move_to_sprint(w: &World, sprint: i64, key: &str) {
    let mut r = reqwest::Client::new()
        .post(format!("{}/rest/agile/1.0/sprint/{sprint}/issue", w.base))
        .json(&serde_json::json!({"issues": [key]}));
    r = if w.cloud {
        r.basic_auth(jira_sandbox::DEFAULT_EMAIL, Some(jira_sandbox::DEFAULT_API_TOKEN))
    } else {
        r.bearer_auth(jira_sandbox::DEFAULT_PAT)
    };
    let status = r.send().await.unwrap().status();
    assert_eq!(status.as_u16(), 204, "moving {key} to sprint {sprint}");
}

async fn first_then_incremental(w: World) {
    link(&w, "DEMO-1", 1).await;
    link(&w, "DEMO-1", 2).await;
    link(&w, "WEB-2", 1).await;
    let ing = w.ingester("i1");
    let report = w.drain(&ing).await;
    assert!(report.passes >= 4 && report.failed == 0, "{report:?}");
    w.assert_in_step().await;
    let stats = w.store.ticket_stats(w.site_id).await.unwrap();
    assert!(
        stats.sprints > 0 && stats.sprint_memberships > 0 && stats.users > 1 && stats.statuses > 0,
        "{stats:?}"
    );
    let projects = w.store.ticket_projects(w.site_id).await.unwrap();
    let help = projects.iter().find(|p| p.key == "HELP").unwrap();
    assert!(!help.imported);
    assert!(
        !w.store.ticket_counts(w.site_id).await.unwrap().contains_key(&help.id),
        "Service Management is not processed"
    );
    let counts = w.store.ticket_counts(w.site_id).await.unwrap();
    for p in projects.iter().filter(|p| p.imported) {
        assert!(
            p.cursor_ms.is_some() && p.checkpoint.is_none() && !p.in_pass(),
            "{}: {p:?}",
            p.key
        );
        assert_eq!(p.next_due_at, super::support::START_MS + 300_000, "{}", p.key);
        // The progress shown per project: the last pass brought every ticket it holds.
        assert_eq!(p.last_pass_issues, counts.get(&p.id).copied(), "{}", p.key);
    }
    let t = w.store.ticket(w.site_id, "DEMO-1").await.unwrap().unwrap();
    assert!(
        t.status.is_some()
            && t.status_category.is_some()
            && t.issue_type.is_some()
            && t.category.is_some(),
        "{t:?}"
    );
    assert_eq!(w.store.ticket_history(w.site_id, &t.id).await.unwrap().len() as i64, {
        w.admin
            .full_changelog(&t.id)
            .await
            .unwrap()
            .iter()
            .map(|h| h.items.len() as i64)
            .sum::<i64>()
    });

    // Nothing is due before the poll interval; then only what changed comes again.
    assert_eq!(w.drain(&ing).await.passes, 0);
    let web3 = w.store.ticket(w.site_id, "WEB-3").await.unwrap().unwrap();
    let web3_history = w.store.ticket_history(w.site_id, &web3.id).await.unwrap().len();
    let edit =
        IssueEdit { summary: Some("Changed behind tether's back".into()), ..IssueEdit::default() };
    w.admin.edit_issue("WEB-3", &edit).await.unwrap();
    // An issue moved into a sprint through Jira Software's API: a new sprint membership and a
    // Sprint item in its changelog.
    let sprint = open_sprint(&w, "WEB").await;
    let mut outside = None;
    for n in (1..40).filter(|&n| n != 3) {
        let Some(t) = w.store.ticket(w.site_id, &format!("WEB-{n}")).await.unwrap() else {
            continue;
        };
        if !w.store.ticket_sprints(w.site_id, &t.id).await.unwrap().contains(&sprint.1) {
            outside = Some(t);
            break;
        }
    }
    let moved = outside.expect("a WEB issue outside the open sprint");
    move_to_sprint(&w, sprint.0, &moved.key).await;
    w.admin.add_comment("OPS-2", &Doc::text("A new comment")).await.unwrap();
    // A remote link comes with the issue's next change (adding one does not touch it).
    link(&w, "WEB-3", 1).await;
    w.admin.edit_issue("WEB-3", &edit).await.unwrap();
    w.pass(Duration::from_secs(301)).await;
    let report = w.drain(&ing).await;
    assert!(report.passes >= 4, "{report:?}");
    assert!(
        report.issues < stats.tickets as usize / 2,
        "incremental passes bring what changed: {report:?}"
    );
    let t = w.store.ticket(w.site_id, "WEB-3").await.unwrap().unwrap();
    assert_eq!(t.summary, "Changed behind tether's back");
    let history = w.store.ticket_history(w.site_id, &t.id).await.unwrap();
    assert_eq!(history.len(), web3_history + 1, "the summary changed once (then to itself)");
    assert_eq!(history.last().map(|h| h.field.as_str()), Some("summary"), "{history:?}");
    let sprints = w.store.ticket_sprints(w.site_id, &moved.id).await.unwrap();
    assert!(sprints.contains(&sprint.1), "{}: {sprints:?}", moved.key);
    let history = w.store.ticket_history(w.site_id, &moved.id).await.unwrap();
    let last = history.last().map(|h| (h.field.as_str(), h.to_string.as_deref()));
    assert!(
        matches!(last, Some(("Sprint", Some(to))) if to.contains(sprint.1.as_str())),
        "{history:?}"
    );
    // Progress of the incremental passes: each brought only its project's changes.
    let projects = w.store.ticket_projects(w.site_id).await.unwrap();
    let last = |key: &str| projects.iter().find(|p| p.key == key).unwrap().last_pass_issues;
    assert_eq!((last("WEB"), last("OPS")), (Some(2), Some(1)), "WEB-3 and the moved; OPS-2");
    let ops2 = w.store.ticket(w.site_id, "OPS-2").await.unwrap().unwrap();
    let comments = w.store.ticket_comments(w.site_id, &ops2.id).await.unwrap();
    assert_eq!(comments.last().and_then(|c| c.text.clone()).as_deref(), Some("A new comment"));
    w.assert_in_step().await;
}

on_each_backend!(cloud_first_pass_then_incremental, flavor = "multi_thread", worker_threads = 2);
async fn cloud_first_pass_then_incremental(backend: TestBackend) {
    first_then_incremental(World::new(backend, true, 40).await).await;
}

on_each_backend!(
    data_center_first_pass_then_incremental,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn data_center_first_pass_then_incremental(backend: TestBackend) {
    first_then_incremental(World::new(backend, false, 40).await).await;
}

async fn deleted_and_moved(w: World) {
    let ing = w.ingester("i1");
    w.drain(&ing).await;
    let before = w.store.ticket_stats(w.site_id).await.unwrap().tickets;
    let moved_in = w.store.ticket(w.site_id, "DEMO-2").await.unwrap().unwrap();
    w.sandbox.delete_issue("DEMO-1").unwrap();
    let new_key = w.sandbox.move_issue("DEMO-2", "WEB").unwrap();
    w.sandbox.move_issue("DEMO-3", "HELP").unwrap();
    // An incremental pass alone finds the moved issue under its new key (its update) but
    // cannot see what left the project.
    w.pass(Duration::from_secs(301)).await;
    w.drain(&ing).await;
    assert!(w.store.ticket(w.site_id, "DEMO-1").await.unwrap().is_some(), "not reconciled yet");
    // One reconciliation later, Jira and tether agree.
    w.pass(Duration::from_secs(3600)).await;
    let report = w.drain(&ing).await;
    assert_eq!(report.removed, 2, "{} {}: {report:?}", w.label, w.flavour());
    assert!(w.store.ticket(w.site_id, "DEMO-1").await.unwrap().is_none());
    assert!(
        w.store.ticket(w.site_id, "DEMO-3").await.unwrap().is_none(),
        "moved to a project not imported"
    );
    let moved = w.store.ticket(w.site_id, &new_key).await.unwrap().unwrap();
    assert_eq!(
        (moved.id.as_str(), moved.project_key.as_deref()),
        (moved_in.id.as_str(), Some("WEB"))
    );
    assert!(
        w.store.ticket(w.site_id, "DEMO-2").await.unwrap().is_none(),
        "no ticket under the old key"
    );
    assert!(
        !w.store.ticket_history(w.site_id, &moved.id).await.unwrap().is_empty(),
        "the history moved with it"
    );
    assert_eq!(w.store.ticket_stats(w.site_id).await.unwrap().tickets, before - 2);
    w.assert_in_step().await;
}

on_each_backend!(
    cloud_deleted_and_moved_issues_are_reflected_after_one_reconciliation,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn cloud_deleted_and_moved_issues_are_reflected_after_one_reconciliation(
    backend: TestBackend,
) {
    deleted_and_moved(World::new(backend, true, 30).await).await;
}

on_each_backend!(
    data_center_deleted_and_moved_issues_are_reflected_after_one_reconciliation,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn data_center_deleted_and_moved_issues_are_reflected_after_one_reconciliation(
    backend: TestBackend,
) {
    deleted_and_moved(World::new(backend, false, 30).await).await;
}

on_each_backend!(
    paused_sites_and_projects_not_imported_get_nothing,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn paused_sites_and_projects_not_imported_get_nothing(backend: TestBackend) {
    let w = World::new(backend, true, 20).await;
    w.store.set_ticket_switches(w.site_id, Some(true), Some(false), "t").await.unwrap();
    let ing = w.ingester("i1");
    assert_eq!(w.drain(&ing).await.passes, 0);
    assert_eq!(w.store.ticket_stats(w.site_id).await.unwrap().tickets, 0);
    for p in w.store.ticket_projects(w.site_id).await.unwrap() {
        let on = p.key == "WEB";
        w.store.set_ticket_import(w.site_id, &p.id, on, "t").await.unwrap();
    }
    w.store.set_ticket_switches(w.site_id, Some(false), None, "t").await.unwrap();
    let report = w.drain(&ing).await;
    assert_eq!(report.passes, 1, "{report:?}");
    let counts = w.store.ticket_counts(w.site_id).await.unwrap();
    let web = w.store.ticket_project(w.site_id, "WEB").await.unwrap();
    assert_eq!(counts.keys().collect::<Vec<_>>(), [&web.id]);
}

on_each_backend!(
    webhooks_are_registered_and_their_deletions_act_at_once,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn webhooks_are_registered_and_their_deletions_act_at_once(backend: TestBackend) {
    let w = World::new(backend, false, 20).await;
    let options = IngestOptions { public_url: Some("http://127.0.0.1:9".into()), ..options() };
    let ing = Ingester::new(w.store.clone(), w.clients.clone(), "i1", options);
    w.drain(&ing).await;
    let hooks = w.sandbox.webhooks();
    let hook = hooks
        .iter()
        .find(|h| h.url.starts_with("http://127.0.0.1:9/hooks/jira/tickets/"))
        .expect("registered");
    assert!(hook.events.iter().any(|e| e == "jira:issue_deleted"), "{:?}", hook.events);
    let conn = w.store.ticket_connection(w.site_id).await.unwrap().unwrap();
    assert!(conn.webhook_id.is_some());
    let token = hook.url.rsplit('/').next().unwrap();
    assert!(w.store.ticket_webhook_token_matches(w.site_id, token).await.unwrap());
    assert!(!w.store.ticket_webhook_token_matches(w.site_id, "guess").await.unwrap());

    // Jira says an issue was deleted: the next pass (due at once) removes it, long before a
    // reconciliation would.
    let gone = w.store.ticket(w.site_id, "WEB-1").await.unwrap().unwrap();
    w.sandbox.delete_issue("WEB-1").unwrap();
    w.store
        .record_ticket_hook(
            w.site_id,
            "jira:issue_deleted",
            Some(&gone.id),
            Some("WEB-1"),
            Some(&gone.project_id),
        )
        .await
        .unwrap();
    let report = w.drain(&ing).await;
    assert_eq!((report.passes, report.removed), (1, 1), "{report:?}");
    assert!(w.store.ticket(w.site_id, "WEB-1").await.unwrap().is_none());
}

on_each_backend!(two_ingesters_share_the_projects, flavor = "multi_thread", worker_threads = 4);
async fn two_ingesters_share_the_projects(backend: TestBackend) {
    let w = World::new(backend, true, 60).await;
    let (a, b) = (w.ingester("a"), w.ingester("b"));
    let (ra, rb) = tokio::join!(w.drain(&a), w.drain(&b));
    assert_eq!(ra.passes + rb.passes, 4, "each project passed once: {ra:?} {rb:?}");
    w.assert_in_step().await;
}
