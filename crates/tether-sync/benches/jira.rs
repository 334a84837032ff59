//! Jira delivery benchmark (not a test): toggle-to-visible latency through the
//! running worker, and a backfill of many linked flags, against the Cloud
//! sandbox on loopback.
//!
//! ```text
//! cargo bench -p tether-sync --bench jira [-- --toggles 200 --flags 10000]
//! ```
//!
//! Toggle: one linked flag; each toggle is a store write (as the API makes it),
//! timed until the sandbox holds the new `updateSequenceId` (polled in-process
//! every 100 µs). The worker runs as in `tether serve` (woken by the write, 500
//! ms idle poll) with the client's default options (4 requests at once, 10 a
//! second per site); toggles are 250 ms apart, as a person clicks. Backfill:
//! `--flags` flags, each linked to one of 100 issues, sent by
//! `tether_sync::jira::backfill` without pacing (the sandbox does not rate
//! limit), properties included. Targets: toggle p99 under 200 ms; backfill of
//! 10,000 flags under 10 s. SQLite in a temporary folder; the sandbox shares
//! the process (and the 2 cores).

use std::time::{Duration, Instant};

use jira_sandbox::{DEFAULT_API_TOKEN, DEFAULT_EMAIL, Sandbox, SandboxConfig};
use serde_json::json;
use tether_flags::{CustomProperty, EnvConfig, Flag, FlagKind, Serve, Variation};
use tether_jira::{Auth, Client, NewIssue, Options, Site};
use tether_store::{JiraAuthKind, MasterKey, NewJiraSite, NewProject, Store};
use tether_sync::Worker;
use tether_sync::jira::{JiraClients, JiraContext};

const PUBLIC_URL: &str = "https://tether.test";

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let toggles = arg("--toggles", 200);
    let flags = arg("--flags", 10_000);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (store, sandbox, site_id, _dir, base) = setup(100).await;
        toggle_latency(&store, &sandbox, toggles).await;
        backfill(&store, &sandbox, site_id, flags, &base).await;
    });
}

async fn setup(issues: usize) -> (Store, Sandbox, i64, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let store = Store::connect(&url, MasterKey::generate()).await.unwrap();
    store.migrate().await.unwrap();
    let sandbox = Sandbox::new(SandboxConfig::default()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(sandbox.clone().serve(listener, std::future::pending()));
    let admin = Client::connect(
        Site::new(base.clone(), Auth::api_token(DEFAULT_EMAIL, DEFAULT_API_TOKEN)),
        Options { requests_per_second: None, ..Options::default() },
    )
    .await
    .unwrap();
    for n in 0..issues {
        let new = NewIssue {
            project_key: "SAND".into(),
            issue_type: "Task".into(),
            summary: format!("Issue {n}"),
            ..NewIssue::default()
        };
        admin.create_issue(&new).await.unwrap();
    }
    let site = NewJiraSite {
        name: "sandbox".into(),
        url: base.clone(),
        api_url: None,
        deployment: None,
        auth_kind: JiraAuthKind::ApiToken,
        auth_user: DEFAULT_EMAIL.into(),
        secret: DEFAULT_API_TOKEN.to_owned().into(),
        options: serde_json::Map::new(),
    };
    let site_id = store.create_jira_site(&site, "bench").await.unwrap().id;
    let project = NewProject {
        key: "shop".into(),
        name: "Shop".into(),
        description: String::new(),
        environments: vec![],
    };
    store.create_project(&project, "bench").await.unwrap();
    store.set_project_jira("shop", site_id, None, None, None, "bench").await.unwrap();
    (store, sandbox, site_id, dir, base)
}

fn flag(key: &str, issue: &str) -> Flag {
    let mut custom_properties = std::collections::BTreeMap::new();
    custom_properties.insert(
        tether_flags::JIRA_ISSUES_PROPERTY.to_owned(),
        CustomProperty { name: "Jira issues".into(), values: vec![issue.to_owned()] },
    );
    Flag {
        key: key.into(),
        name: format!("Flag {key}"),
        description: String::new(),
        kind: FlagKind::Boolean,
        variations: vec![
            Variation { key: "on".into(), name: "On".into(), value: json!(true) },
            Variation { key: "off".into(), name: "Off".into(), value: json!(false) },
        ],
        tags: vec![],
        custom_properties,
    }
}

fn off() -> EnvConfig {
    EnvConfig {
        on: false,
        off_variation: "off".into(),
        targets: vec![],
        rules: vec![],
        default_rule: Serve::variation("on"),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn toggle_latency(store: &Store, sandbox: &Sandbox, toggles: usize) {
    store.create_flag("shop", &flag("toggled", "SAND-1"), &off(), "bench").await.unwrap();
    let clients = JiraClients::new(store.clone(), Options::default());
    let worker = Worker::new(store.clone(), "bench").with_jira(clients, PUBLIC_URL);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(Duration::from_millis(500), async {
        let _ = stopped.await;
    }));
    let site_id = store.list_jira_sites().await.unwrap()[0].id;
    let mut took = Vec::with_capacity(toggles);
    let mut config = off();
    for n in 0..toggles + 5 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        config.on = !config.on;
        let started = Instant::now();
        store
            .update_flag_config("shop", "toggled", "production", &config, None, "bench")
            .await
            .unwrap();
        let seq = store.flag_sync(site_id, "shop", "toggled").await.unwrap().unwrap().seq;
        loop {
            if sandbox.feature_flag("shop~toggled").is_some_and(|f| f.update_sequence_id >= seq) {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "toggle {n} never arrived");
            tokio::time::sleep(Duration::from_micros(100)).await;
        }
        // The first few warm up connections and caches.
        if n >= 5 {
            took.push(started.elapsed());
        }
    }
    let _ = stop.send(());
    running.await.unwrap();
    took.sort();
    println!(
        "toggle-to-visible over {} toggles: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        took.len(),
        ms(percentile(&took, 0.5)),
        ms(percentile(&took, 0.9)),
        ms(percentile(&took, 0.99)),
        ms(*took.last().unwrap()),
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn backfill(store: &Store, sandbox: &Sandbox, site_id: i64, flags: usize, _base: &str) {
    let started = Instant::now();
    for n in 0..flags {
        let issue = format!("SAND-{}", n % 100 + 1);
        store.create_flag("shop", &flag(&format!("b{n}"), &issue), &off(), "bench").await.unwrap();
    }
    println!("made {flags} linked flags in {:.1} s", started.elapsed().as_secs_f64());
    // No pacing for this site: the sandbox does not rate limit.
    let site = store.jira_site(site_id).await.unwrap();
    let mut options = site.options.clone();
    options.insert("requests_per_second".into(), serde_json::Value::Null);
    let update = NewJiraSite {
        name: site.name.clone(),
        url: site.url.clone(),
        api_url: None,
        deployment: site.deployment.clone(),
        auth_kind: site.auth_kind,
        auth_user: site.auth_user.clone(),
        secret: DEFAULT_API_TOKEN.to_owned().into(),
        options,
    };
    store.update_jira_site(site_id, &update, "bench").await.unwrap();
    let jira = JiraContext {
        clients: JiraClients::new(store.clone(), Options::default()),
        public_url: PUBLIC_URL.into(),
    };
    let started = Instant::now();
    let report = tether_sync::jira::backfill(store, &jira, site_id, &mut |_, _| {}).await.unwrap();
    let took = started.elapsed();
    assert_eq!(report.stats.sent, flags + 1, "{report:?}");
    assert_eq!(sandbox.feature_flags().len(), flags + 1);
    println!(
        "backfill of {} linked flags: {:.2} s ({:.0} flags/s), {} issue properties",
        report.flags,
        took.as_secs_f64(),
        report.flags as f64 / took.as_secs_f64(),
        report.properties
    );
}
