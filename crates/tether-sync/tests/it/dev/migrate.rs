//! A Data Center site moved to Jira Cloud (`migrate_site`): a Data Center sandbox with
//! what tether made there (code links, comments, a Smart Commit worklog, a flag's remote
//! link), then a Cloud sandbox holding the same issue keys under other ids with what a
//! migration carries over (comments in ADF, remote links; one comment and one issue not).
//! A dry run changes nothing; the move re-maps the ledger to the Cloud ids, and a worker
//! pass after it (with the same push delivered again) posts nothing twice on Cloud.

use std::time::Duration;

use jira_sandbox::{Flavour, Sandbox, SandboxConfig};
use serde_json::{Value, json};
use tether_jira::{Auth, Client, RemoteLink, Site};
use tether_store::dev::{CodeSettings, LedgerEntry};
use tether_store::testing::TestBackend;
use tether_store::{JiraAuthKind, NewJiraSite, on_each_backend};
use tether_sync::Worker;
use tether_sync::dev_to_jira::DevContext;
use tether_sync::jira::{JiraClients, MigrationReport, migrate_site};
use tokio::sync::oneshot;

use super::support::{DevWorld, HOLD, SHA1, SHA2, SHA3, ZERO, commit, push};
use crate::jira::support::{MAX_DELAY, PUBLIC_URL, fast};

/// Cloud ids start here; the Data Center sandbox's are far below.
const CLOUD_ID_BASE: u64 = 20_000;

on_each_backend!(a_site_moved_to_cloud_is_remapped_by_key_and_posts_nothing_twice);
async fn a_site_moved_to_cloud_is_remapped_by_key_and_posts_nothing_twice(backend: TestBackend) {
    let d = DevWorld::new(backend, false, CodeSettings::default()).await;
    let worker = both_jobs(&d);
    d.w.flag("checkout", "New checkout").await;
    d.w.link("checkout", "SAND-1").await;
    let body = push(
        "main",
        ZERO,
        &[commit(SHA1, "SAND-1 add the cart #time 1h"), commit(SHA2, "SAND-2 SAND-4 tidy")],
        false,
    );
    d.deliver("push", &body).await;
    drain(&d, &worker).await;
    let dc = &d.w.sandbox;
    assert_eq!(dc.comments(Some("SAND-1")).len(), 1);
    assert_eq!(dc.worklogs(Some("SAND-1")).len(), 1);
    assert_eq!(d.w.links("checkout").len(), 1, "the flag's Data Center link");
    let dc_comments = dc.comments(None).len();

    // The Cloud site after a migration: SAND-4 did not come over, nor SAND-2's comment.
    let cloud = CloudJira::start().await;
    cloud.carry_over(dc, &["SAND-4"], &["SAND-2"]).await;
    let target = cloud.site();

    let before = Snapshot::take(&d, &cloud.sandbox).await;
    let dry = migrate(&d, target.clone(), true).await;
    assert_eq!(Snapshot::take(&d, &cloud.sandbox).await, before, "a dry run changes nothing");
    assert!(dry.moved.is_none());
    check_report(&dry);

    let report = migrate(&d, target, false).await;
    check_report(&report);
    let moved = report.moved.expect("moved");
    assert_eq!(moved.flags_queued, 1);
    let site = d.w.store.jira_site(d.w.site_id).await.unwrap();
    assert_eq!(
        (site.url.as_str(), site.deployment.as_deref()),
        (cloud.base.as_str(), Some("cloud"))
    );
    // The ledger points at the Cloud issue, comment and worklog.
    let ledger = d.w.store.ledger_for_site(d.w.site_id).await.unwrap();
    let row = |key: &str, action: &str| -> LedgerEntry {
        ledger
            .iter()
            .find(|e| e.issue_key == key && (e.action == action || e.action.starts_with(action)))
            .unwrap_or_else(|| panic!("{key} {action}: {ledger:#?}"))
            .clone()
    };
    let sand1 = cloud.sandbox.issue("SAND-1").unwrap();
    assert_eq!(row("SAND-1", "comment").issue_id.as_deref(), Some(sand1.id.as_str()));
    assert_eq!(row("SAND-1", "comment").detail, cloud.sandbox.comments(Some("SAND-1"))[0].id);
    assert_eq!(row("SAND-1", "smart:").detail, cloud.sandbox.worklogs(Some("SAND-1"))[0].id);
    assert!(row("SAND-2", "comment").detail.starts_with("not found on"), "{ledger:#?}");
    assert_eq!(row("SAND-4", "comment").issue_id, None, "SAND-4 is not on Cloud");
    // The flag's Data Center link carried over was taken away before Cloud is sent the flag.
    assert!(flag_links(&cloud.sandbox).is_empty());

    // The worker sends the flag the Cloud way; the same push again and a new commit post
    // nothing twice.
    let again = push(
        "main",
        SHA2,
        &[
            commit(SHA1, "SAND-1 add the cart #time 1h"),
            commit(SHA2, "SAND-2 SAND-4 tidy"),
            commit(SHA3, "SAND-3 more"),
        ],
        false,
    );
    d.deliver("push", &again).await;
    drain(&d, &worker).await;
    let c = &cloud.sandbox;
    let sync = d.w.sync_row("checkout").await;
    let flag = c.feature_flag("shop~checkout").unwrap_or_else(|| panic!("not on Cloud: {sync:?}"));
    assert_eq!(flag.data["issueKeys"], json!(["SAND-1"]));
    assert!(flag_links(c).is_empty(), "no flag remote link on Cloud");
    let count = |key: &str| {
        let links = c
            .remote_links(Some(key))
            .into_iter()
            .filter(|l| l.global_id.as_deref().is_some_and(|g| g.starts_with("tether:code:")))
            .count();
        (c.comments(Some(key)).len(), c.worklogs(Some(key)).len(), links)
    };
    assert_eq!(count("SAND-1"), (1, 1, 1), "SAND-1: the carried comment, worklog, link");
    assert_eq!(count("SAND-2"), (0, 0, 1), "SAND-2: its comment was kept as done");
    assert_eq!(count("SAND-3"), (1, 0, 1), "SAND-3: new work reaches Cloud once");
    assert!(c.issue("SAND-4").is_none());
    assert_eq!(dc.comments(None).len(), dc_comments, "nothing more went to the old site");
}

fn check_report(r: &MigrationReport) {
    assert_eq!((r.from_deployment.as_deref(), r.to_deployment.as_str()), (Some("dc"), "cloud"));
    assert_eq!(r.issues, 3, "SAND-1, SAND-2, SAND-4: {r:#?}");
    assert_eq!(r.found, 2);
    let missing: Vec<&str> = r.missing.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(missing, ["SAND-4"]);
    let kind = |k: &str| {
        let c = r.ledger[k];
        (c.rows, c.remapped, c.not_found, c.kept, c.issue_missing)
    };
    assert_eq!(kind("remote link"), (3, 2, 0, 0, 1), "{r:#?}");
    assert_eq!(kind("comment"), (3, 1, 1, 0, 1), "{r:#?}");
    assert_eq!(kind("smart commit"), (1, 1, 0, 0, 0), "{r:#?}");
    assert_eq!((r.flags.flags, r.flags.stale_links, r.flags.forgotten), (1, 1, true));
}

async fn migrate(d: &DevWorld, target: NewJiraSite, dry_run: bool) -> MigrationReport {
    migrate_site(&d.w.store, &fast(), d.w.site_id, target, dry_run, "t").await.unwrap()
}

/// What a dry run must leave as it was.
#[derive(Debug, PartialEq)]
struct Snapshot {
    site: tether_store::JiraSite,
    ledger: Vec<LedgerEntry>,
    syncs: Vec<tether_store::FlagSync>,
    outbox_pending: i64,
    cloud: (usize, usize, usize),
}

impl Snapshot {
    async fn take(d: &DevWorld, cloud: &Sandbox) -> Snapshot {
        let s = &d.w.store;
        Snapshot {
            site: s.jira_site(d.w.site_id).await.unwrap(),
            ledger: s.ledger_for_site(d.w.site_id).await.unwrap(),
            syncs: s.flag_syncs_on_site(d.w.site_id).await.unwrap(),
            outbox_pending: s.outbox_stats().await.unwrap().pending,
            cloud: (
                cloud.comments(None).len(),
                cloud.remote_links(None).len(),
                cloud.feature_flags().len(),
            ),
        }
    }
}

fn flag_links(s: &Sandbox) -> Vec<String> {
    s.remote_links(None)
        .into_iter()
        .filter(|l| l.global_id.as_deref().is_some_and(|g| g.starts_with("tether:flag:")))
        .map(|l| l.issue_key)
        .collect()
}

/// One worker with the code and the flag jobs, on the world's clock.
fn both_jobs(d: &DevWorld) -> Worker {
    let clients = JiraClients::new(d.w.store.clone(), fast());
    let mut ctx = DevContext::new(clients.clone(), fast(), PUBLIC_URL);
    ctx.hold = HOLD;
    Worker::new(d.w.store.clone(), "both")
        .with_code(ctx)
        .with_jira(clients, PUBLIC_URL)
        .with_retry_base(Duration::from_millis(1))
        .with_jira_max_delay(MAX_DELAY)
}

async fn drain(d: &DevWorld, worker: &Worker) {
    for _ in 0..10_000 {
        if worker.tick().await.unwrap().claimed > 0 {
            continue;
        }
        if d.w.store.outbox_stats().await.unwrap().pending == 0 {
            return;
        }
        d.w.pass(MAX_DELAY.max(HOLD)).await;
    }
    panic!("the outbox did not drain");
}

/// A Jira Cloud sandbox on loopback.
struct CloudJira {
    sandbox: Sandbox,
    base: String,
    admin: Client,
    _shutdown: oneshot::Sender<()>,
}

impl CloudJira {
    async fn start() -> CloudJira {
        let sandbox = Sandbox::new(SandboxConfig::with_flavour(Flavour::Cloud)).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let app = jira_sandbox::router(sandbox.clone());
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
        });
        let auth = Auth::api_token(jira_sandbox::DEFAULT_EMAIL, jira_sandbox::DEFAULT_API_TOKEN);
        let admin = Client::connect(Site::new(base.clone(), auth), fast()).await.unwrap();
        CloudJira { sandbox, base, admin, _shutdown: tx }
    }

    /// The site's new settings: Cloud's OAuth 2.0 credentials (what its DevOps APIs take).
    fn site(&self) -> NewJiraSite {
        let mut options = serde_json::Map::new();
        options.insert("requests_per_second".into(), Value::Null);
        options.insert("token_url".into(), format!("{}/oauth/token", self.base).into());
        options.insert("gateway_url".into(), self.base.clone().into());
        // Issues are remapped with the API token beside the OAuth credentials.
        options
            .insert(tether_sync::jira::PLATFORM_EMAIL.into(), jira_sandbox::DEFAULT_EMAIL.into());
        let secret = serde_json::json!({"client_secret": jira_sandbox::DEFAULT_OAUTH_CLIENT_SECRET,
            "api_token": jira_sandbox::DEFAULT_API_TOKEN});
        NewJiraSite {
            name: "sandbox".into(),
            url: self.base.clone(),
            api_url: None,
            deployment: None,
            auth_kind: JiraAuthKind::OAuth2,
            auth_user: jira_sandbox::DEFAULT_OAUTH_CLIENT_ID.into(),
            secret: secret.to_string().into(),
            options,
        }
    }

    /// What a migration brings over from `dc`: every issue but `left` under a new id, its
    /// comments (in ADF) but those of `uncommented`, its worklogs and remote links.
    async fn carry_over(&self, dc: &Sandbox, left: &[&str], uncommented: &[&str]) {
        let mut issues = Vec::new();
        for n in 1..=5u64 {
            let key = format!("SAND-{n}");
            if left.contains(&key.as_str()) {
                continue;
            }
            let i = dc.issue(&key).unwrap();
            let comments: Vec<Value> = if uncommented.contains(&key.as_str()) {
                vec![]
            } else {
                dc.comments(Some(&key)).iter().map(|c| json!({"body": adf(&c.body)})).collect()
            };
            let worklogs: Vec<Value> = dc
                .worklogs(Some(&key))
                .iter()
                .map(|w| {
                    let comment = w.comment.as_ref().map(adf);
                    json!({"timeSpentSeconds": w.time_spent_seconds, "comment": comment})
                })
                .collect();
            issues.push(json!({
                "id": (CLOUD_ID_BASE + n).to_string(),
                "key": key,
                "fields": {
                    "summary": i.summary,
                    "project": {"key": "SAND"},
                    "issuetype": {"name": i.issue_type},
                    "comment": {"comments": comments},
                    "worklog": {"worklogs": worklogs},
                },
            }));
        }
        self.sandbox.load_issues(&Value::Array(issues)).unwrap();
        for l in dc.remote_links(None) {
            if left.contains(&l.issue_key.as_str()) {
                continue;
            }
            let link: RemoteLink = serde_json::from_value(json!({
                "globalId": l.global_id,
                "application": l.application,
                "relationship": l.relationship,
                "object": l.object,
            }))
            .unwrap();
            self.admin.upsert_remote_link(&l.issue_key, &link).await.unwrap();
        }
    }
}

/// Wiki markup as a migration writes it in ADF: `[text|url]` becomes linked text.
fn adf(body: &Value) -> Value {
    let Value::String(wiki) = body else { return body.clone() };
    let mut nodes = Vec::new();
    let mut rest = wiki.as_str();
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']').map(|c| open + c) else { break };
        if open > 0 {
            nodes.push(json!({"type": "text", "text": &rest[..open]}));
        }
        let inner = &rest[open + 1..close];
        match inner.split_once('|') {
            Some((text, url)) => nodes.push(json!({
                "type": "text",
                "text": text,
                "marks": [{"type": "link", "attrs": {"href": url}}],
            })),
            None => nodes.push(json!({"type": "text", "text": inner})),
        }
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        nodes.push(json!({"type": "text", "text": rest}));
    }
    json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": nodes}]})
}
