//! GitLab pushes that list fewer commits than they carry (GitLab lists at most 20 and says
//! how many there were in `total_commits_count`): the listed ones are processed, and the
//! delivery log says how many were not read — or, when the repository has a local clone,
//! that a scan of it reads them (a `dev.scan` row is queued).

use serde_json::{Value, json};
use tether_store::dev::{CodeSettings, EventSource, NewDevEvent, NewRepository, RepoSource};
use tether_store::on_each_backend;
use tether_store::testing::TestBackend;

use super::support::{DevWorld, SHA1, SHA2};

/// A GitLab push to main listing one commit of `total`.
fn cut_push(sha: &str, total: usize) -> Value {
    json!({
        "object_kind": "push", "event_name": "push",
        "before": "0000000000000000000000000000000000000000", "after": sha,
        "ref": "refs/heads/main", "checkout_sha": sha, "user_name": "Ada Lovelace",
        "project": {"id": 15, "name": "Shop", "web_url": "https://gitlab.example.com/acme/shop",
            "path_with_namespace": "acme/shop", "default_branch": "main", "visibility_level": 20},
        "commits": [{"id": sha, "message": "SAND-1 add the cart", "title": "SAND-1 add the cart",
            "timestamp": "2026-01-02T10:00:00+00:00",
            "url": format!("https://gitlab.example.com/acme/shop/-/commit/{sha}"),
            "author": {"name": "Ada Lovelace", "email": "ada@example.com"},
            "added": [], "modified": ["src/cart.rs"], "removed": []}],
        "total_commits_count": total,
        "repository": {"name": "Shop", "homepage": "https://gitlab.example.com/acme/shop"}
    })
}

async fn gitlab_repo(d: &DevWorld, name: &str, path: Option<&str>) -> i64 {
    let repo = NewRepository {
        name: name.into(),
        source: RepoSource::GitLab,
        group: None,
        secret: Some("token".to_owned().into()),
        path: path.map(str::to_owned),
        web_url: None,
        settings: CodeSettings::default(),
    };
    d.w.store.create_repository(&repo, "t").await.unwrap().id
}

async fn deliver(d: &DevWorld, repository_id: i64, delivery: &str, body: &Value) -> i64 {
    let new = NewDevEvent {
        repository_id,
        delivery_id: delivery.into(),
        source: EventSource::GitLab,
        event_name: "Push Hook".into(),
        headers: vec![("X-Gitlab-Event".into(), "Push Hook".into())],
        body: body.to_string().into_bytes(),
    };
    d.w.store.record_dev_event(&new).await.unwrap().id()
}

on_each_backend!(a_cut_gitlab_push_says_what_was_not_read_or_scans_the_clone);
async fn a_cut_gitlab_push_says_what_was_not_read_or_scans_the_clone(backend: TestBackend) {
    let d = DevWorld::new(backend, false, CodeSettings::default()).await;
    // Without a clone: the listed commit is processed, the rest named as not read.
    let lab = gitlab_repo(&d, "lab", None).await;
    let id = deliver(&d, lab, "g-1", &cut_push(SHA1, 25)).await;
    d.drain().await;
    let report = d.report(id).await;
    assert_eq!(report.summary, "push to main (25 commits)");
    assert_eq!(
        report.notes,
        ["the forge listed 1 of the push's 25 commits to main; the other 24 are not read: set \
          the repository's local clone path to complete such pushes"]
    );
    assert_eq!(d.code_links("SAND-1").len(), 1, "the listed commit is linked");
    // With a clone: a scan of it is queued for the rest (the binary's worker runs it).
    let clone = gitlab_repo(&d, "lab-clone", Some("/srv/git/shop")).await;
    let id = deliver(&d, clone, "g-2", &cut_push(SHA2, 21)).await;
    for _ in 0..20 {
        d.worker.tick().await.unwrap();
        if d.w.store.dev_event(id).await.unwrap().report.is_some() {
            break;
        }
        d.w.pass(std::time::Duration::from_millis(200)).await;
    }
    let report = d.report(id).await;
    assert_eq!(
        report.notes,
        ["the forge listed 1 of the push's 21 commits to main; the local clone is scanned for \
          the other 20"]
    );
    let scan = tether_store::DevScanWork { repository_id: clone };
    assert!(!d.w.store.enqueue_work_unless_waiting(&scan).await.unwrap(), "a scan is waiting");
}
