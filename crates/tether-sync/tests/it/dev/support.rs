//! A world for code ↔ Jira tests: the Jira sync world (a store on one backend and a manual
//! clock, the sandbox behind its traffic gate, a site) with a GitHub repository whose
//! settings name the site, a worker with the code jobs, and GitHub-shaped deliveries.

use std::time::Duration;

use serde_json::{Value, json};
use tether_store::dev::{
    CodeSettings, EventSource, NewDevEvent, NewRepository, Recorded, RepoSource,
};
use tether_store::testing::TestBackend;
use tether_sync::Worker;
use tether_sync::dev_to_jira::DevContext;
use tether_sync::dev_to_jira::report::EventReport;
use tether_sync::jira::JiraClients;

use crate::jira::support::{Login, MAX_DELAY, PUBLIC_URL, World, fast};

pub const SHA1: &str = "1111111111111111111111111111111111111111";
pub const SHA2: &str = "2222222222222222222222222222222222222222";
pub const SHA3: &str = "3333333333333333333333333333333333333333";
pub const ZERO: &str = "0000000000000000000000000000000000000000";

#[allow(missing_debug_implementations)]
pub struct DevWorld {
    pub w: World,
    pub repo_id: i64,
    pub worker: Worker,
    deliveries: std::sync::atomic::AtomicUsize,
}

/// How long a claim counts as in flight in these worlds (the clients time out sooner).
pub const HOLD: Duration = Duration::from_millis(200);

impl DevWorld {
    pub async fn new(backend: TestBackend, cloud: bool, settings: CodeSettings) -> DevWorld {
        // A person's API token on Cloud: the Development panel then needs its own OAuth 2.0
        // credentials, as the devinfo tests set up.
        let login = if cloud { Login::ApiToken } else { Login::Plain };
        DevWorld::on(World::with_login(backend, cloud, login).await, settings).await
    }

    /// The repository and worker on a world made otherwise.
    pub async fn on(w: World, settings: CodeSettings) -> DevWorld {
        let repo = NewRepository {
            name: "shop".into(),
            source: RepoSource::GitHub,
            group: None,
            secret: Some("whsec".to_owned().into()),
            path: None,
            web_url: None,
            settings,
        };
        let repo_id = w.store.create_repository(&repo, "t").await.unwrap().id;
        let instance = CodeSettings { site: Some("sandbox".into()), ..CodeSettings::default() };
        w.store.set_instance_code_settings(&instance, "t").await.unwrap();
        let worker = worker(&w, "dev-0");
        DevWorld { w, repo_id, worker, deliveries: 0.into() }
    }

    /// Stores a GitHub delivery of `event` as intake would.
    pub async fn deliver(&self, event: &str, body: &Value) -> Recorded {
        let n = self.deliveries.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.deliver_as(&format!("delivery-{n}"), event, body).await
    }

    pub async fn deliver_as(&self, delivery: &str, event: &str, body: &Value) -> Recorded {
        let new = NewDevEvent {
            repository_id: self.repo_id,
            delivery_id: delivery.into(),
            source: EventSource::GitHub,
            event_name: event.into(),
            headers: vec![
                ("X-GitHub-Event".into(), event.into()),
                ("X-GitHub-Delivery".into(), delivery.into()),
            ],
            body: body.to_string().into_bytes(),
        };
        self.w.store.record_dev_event(&new).await.unwrap()
    }

    /// Ticks until nothing is pending, letting time pass when nothing is due.
    pub async fn drain(&self) {
        for _ in 0..10_000 {
            let r = self.worker.tick().await.unwrap();
            if r.claimed > 0 {
                continue;
            }
            if self.w.store.outbox_stats().await.unwrap().pending == 0 {
                return;
            }
            self.w.pass(MAX_DELAY.max(HOLD)).await;
        }
        panic!("the outbox did not drain");
    }

    pub async fn report(&self, id: i64) -> EventReport {
        let e = self.w.store.dev_event(id).await.unwrap();
        EventReport::from_json(e.report.as_deref().expect("processed")).unwrap()
    }

    pub async fn set_settings(&self, s: CodeSettings) {
        self.w.store.set_repository_settings(self.repo_id, &s, "t").await.unwrap();
    }

    /// Remote links on `issue` made for code (by globalId prefix).
    pub fn code_links(&self, issue: &str) -> Vec<(String, Value)> {
        self.w
            .sandbox
            .remote_links(Some(issue))
            .into_iter()
            .filter(|l| l.global_id.as_deref().is_some_and(|g| g.starts_with("tether:code:")))
            .map(|l| (l.global_id.unwrap(), l.object))
            .collect()
    }

    /// The comments' text as a reader sees it (wiki markup read as Jira renders it).
    pub fn comments(&self, issue: &str) -> Vec<String> {
        self.w
            .sandbox
            .comments(Some(issue))
            .into_iter()
            .map(|c| match c.body {
                Value::String(wiki) => tether_jira::wiki_to_text(&wiki),
                _ => c.body_text,
            })
            .collect()
    }
}

/// A worker with the code jobs, its retries and claims on the world's (manual) clock.
pub fn worker(w: &World, name: &str) -> Worker {
    let clients = JiraClients::new(w.store.clone(), fast());
    let mut ctx = DevContext::new(clients.clone(), fast(), PUBLIC_URL);
    ctx.hold = HOLD;
    Worker::new(w.store.clone(), name)
        .with_code(ctx)
        .with_retry_base(Duration::from_millis(1))
        .with_jira_max_delay(MAX_DELAY)
}

pub fn repository() -> Value {
    json!({
        "full_name": "acme/shop",
        "html_url": "https://github.com/acme/shop",
        "default_branch": "main",
        "private": false,
    })
}

pub fn commit(sha: &str, message: &str) -> Value {
    json!({
        "id": sha,
        "message": message,
        "timestamp": "2026-01-02T10:00:00Z",
        "url": format!("https://github.com/acme/shop/commit/{sha}"),
        "author": {"name": "Ada Lovelace", "email": "ada@example.com", "username": "ada"},
        "added": ["src/a.rs"],
        "modified": ["src/b.rs"],
        "removed": [],
    })
}

/// A push of `commits` to `branch` (`before` → the last commit).
pub fn push(branch: &str, before: &str, commits: &[Value], forced: bool) -> Value {
    let after = commits.last().map_or(ZERO.to_owned(), |c| c["id"].as_str().unwrap().to_owned());
    json!({
        "ref": format!("refs/heads/{branch}"),
        "before": before,
        "after": after,
        "created": before == ZERO,
        "deleted": false,
        "forced": forced,
        "commits": commits,
        "head_commit": commits.last(),
        "repository": repository(),
    })
}

/// A branch deleted.
pub fn delete_branch(branch: &str, before: &str) -> Value {
    json!({
        "ref": format!("refs/heads/{branch}"),
        "before": before,
        "after": ZERO,
        "created": false,
        "deleted": true,
        "forced": false,
        "commits": [],
        "head_commit": null,
        "repository": repository(),
    })
}

/// A pull request event; `merged` with `action: closed` is a merge.
pub fn pull_request(
    number: u64,
    action: &str,
    merged: bool,
    title: &str,
    body: &str,
    head: &str,
) -> Value {
    let state = if action == "closed" { "closed" } else { "open" };
    json!({
        "action": action,
        "number": number,
        "pull_request": {
            "number": number,
            "title": title,
            "body": body,
            "state": state,
            "merged": merged,
            "merged_at": if merged { json!("2026-01-03T10:00:00Z") } else { Value::Null },
            "merge_commit_sha": if merged { json!(SHA3) } else { Value::Null },
            "html_url": format!("https://github.com/acme/shop/pull/{number}"),
            "head": {"ref": head, "sha": SHA2},
            "base": {"ref": "main", "sha": SHA1},
            "user": {"login": "ada"},
            "draft": false,
            "updated_at": "2026-01-03T10:00:00Z",
        },
        "repository": repository(),
        "sender": {"login": "grace"},
    })
}
