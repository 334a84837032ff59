//! Reliability of the real server: `tether serve` delivers 1,000 random flag
//! changes (made in the database by another process, in four bursts) to the
//! sandbox failing 30% of requests (429 and 503), while it is killed with
//! SIGKILL at random moments and started again; after each burst, once the
//! outbox has drained, the sandbox holds exactly tether's state.

use std::time::{Duration, Instant};

use jira_sandbox::{DEFAULT_API_TOKEN, DEFAULT_EMAIL, Knobs, Sandbox, SandboxConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tether_flags::{
    Clause, EnvConfig, Flag, FlagKind, Op, Rollout, Rule, Serve, TOTAL_WEIGHT, Variation,
    WeightedVariation,
};
use tether_jira::{Auth, Client, NewIssue, Options, Site};
use tether_store::{JiraAuthKind, MasterKey, NewJiraSite, NewProject, Store};
use tether_sync::jira::property::issue_properties;
use tether_sync::jira::sync::plan_flags;
use tether_sync::jira::{FlagRef, Plan, ReadMode, feature_flag};
use tokio::sync::oneshot;

use crate::{Running, Sandboxed};

const PUBLIC_URL: &str = "https://tether.test";
const FLAGS: usize = 20;
const CHANGES: usize = 1_000;
const ISSUES: [&str; 5] = ["SAND-1", "SAND-2", "SAND-3", "SAND-4", "SAND-5"];

fn env() -> [(&'static str, &'static str); 1] {
    [("TETHER_PUBLIC_URL", PUBLIC_URL)]
}

async fn config(store: &Store, flag: &str, env: &str) -> EnvConfig {
    let state = store.flag("shop", flag).await.unwrap();
    state.environments.into_iter().find(|e| e.env == env).unwrap().config
}

async fn change(store: &Store, rng: &mut StdRng) {
    let flag = format!("f{}", rng.gen_range(0..FLAGS));
    let env = if rng.gen_bool(0.7) { "production" } else { "staging" };
    let mut c = config(store, &flag, env).await;
    match rng.gen_range(0..10) {
        0..=2 => c.on = !c.on,
        3..=4 => {
            let on = rng.gen_range(0..=100) * TOTAL_WEIGHT / 100;
            c.rules.clear();
            c.default_rule = Serve::Rollout(Rollout {
                variations: vec![
                    WeightedVariation { variation: "on".into(), weight: on },
                    WeightedVariation { variation: "off".into(), weight: TOTAL_WEIGHT - on },
                ],
                bucket_by: None,
                salt: flag.clone(),
            });
        }
        5 => {
            c.rules = (0..rng.gen_range(0..3))
                .map(|i| Rule {
                    id: format!("r{i}"),
                    description: String::new(),
                    clauses: vec![Clause::attribute("email", Op::EndsWith(format!("@{i}.test")))],
                    serve: Serve::variation("on"),
                })
                .collect();
        }
        6..=7 => {
            let issue = ISSUES[rng.gen_range(0..ISSUES.len())];
            store.link_flag_issue("shop", &flag, issue, "t").await.unwrap();
            return;
        }
        _ => {
            let linked = store.flag("shop", &flag).await.unwrap().flag.jira_issues().to_vec();
            if !linked.is_empty() {
                let issue = &linked[rng.gen_range(0..linked.len())];
                store.unlink_flag_issue("shop", &flag, issue, "t").await.unwrap();
            }
            return;
        }
    }
    store.update_flag_config("shop", &flag, env, &c, None, "t").await.unwrap();
}

/// Kills the server with SIGKILL and starts it again. The dead process's
/// claims are expired at once, standing in for the 60-second lease running out.
async fn kill_and_restart(t: &Sandboxed, server: Running, store: &Store) -> Running {
    server.signal("KILL");
    let mut server = server;
    server.child.wait().await.unwrap();
    store.expire_outbox_claims().await.unwrap();
    t.start(&["serve"], &env()).await
}

async fn differences(store: &Store, sandbox: &Sandbox, site_id: i64) -> Vec<String> {
    let refs: Vec<FlagRef> = (0..FLAGS).map(|n| FlagRef::new("shop", format!("f{n}"))).collect();
    let mut out = Vec::new();
    for (f, plan) in plan_flags(store, site_id, PUBLIC_URL, &refs, ReadMode::Site).await.unwrap() {
        let held = sandbox.feature_flag(&format!("shop~{}", f.flag)).map(|r| r.data);
        let wanted = match &plan {
            Plan::Push { seq, view, .. } => {
                Some(serde_json::to_value(feature_flag(view, *seq)).unwrap())
            }
            Plan::Remove { .. } => None,
        };
        if held != wanted {
            out.push(format!("{f}: Jira holds {held:?}, tether has {wanted:?}"));
        }
    }
    let issues = ISSUES.iter().map(|i| (*i).to_owned()).collect();
    for (issue, wanted) in issue_properties(store, site_id, PUBLIC_URL, &issues).await.unwrap() {
        let wanted: Option<Value> = wanted.map(|p| serde_json::to_value(p).unwrap());
        let held = sandbox.issue_properties(&issue).unwrap().get("tether.flags").cloned();
        if held != wanted {
            out.push(format!("{issue}: property {held:?}, tether has {wanted:?}"));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flag_changes_reach_jira_through_sigkills_and_faults() {
    let sandbox = Sandbox::new(SandboxConfig::default()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (_stop, rx) = oneshot::channel::<()>();
    tokio::spawn(sandbox.clone().serve(listener, async {
        let _ = rx.await;
    }));
    let admin = Client::connect(
        Site::new(base.clone(), Auth::api_token(DEFAULT_EMAIL, DEFAULT_API_TOKEN)),
        Options { requests_per_second: None, ..Options::default() },
    )
    .await
    .unwrap();
    for n in 1..=ISSUES.len() {
        let issue = NewIssue {
            project_key: "SAND".into(),
            issue_type: "Task".into(),
            summary: format!("Issue {n}"),
            ..NewIssue::default()
        };
        admin.create_issue(&issue).await.unwrap();
    }

    let t = Sandboxed::new();
    let (code, _, err) = t.run(&["migrate"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let key = std::fs::read_to_string(t.path().join("tether-data/master.key")).unwrap();
    let url = format!("sqlite://{}/tether-data/tether.db", t.path().display());
    let store = Store::connect(&url, MasterKey::from_encoded(key.trim()).unwrap()).await.unwrap();
    let mut options = serde_json::Map::new();
    options.insert("requests_per_second".into(), Value::Null);
    options.insert("token_url".into(), format!("{base}/oauth/token").into());
    options.insert("gateway_url".into(), base.to_string().into());
    options.insert(tether_sync::jira::PLATFORM_EMAIL.into(), DEFAULT_EMAIL.into());
    let secret = json!({"client_secret": jira_sandbox::DEFAULT_OAUTH_CLIENT_SECRET,
        "api_token": DEFAULT_API_TOKEN});
    let site = NewJiraSite {
        name: "sandbox".into(),
        url: base.clone(),
        api_url: None,
        deployment: None,
        // OAuth credentials, as Jira Cloud's Feature Flags API requires, with an API token
        // beside them for the issue property.
        auth_kind: JiraAuthKind::OAuth2,
        auth_user: jira_sandbox::DEFAULT_OAUTH_CLIENT_ID.into(),
        secret: secret.to_string().into(),
        options,
    };
    let site_id = store.create_jira_site(&site, "t").await.unwrap().id;
    let project = NewProject {
        key: "shop".into(),
        name: "Shop".into(),
        description: String::new(),
        environments: vec![],
    };
    store.create_project(&project, "t").await.unwrap();
    let tracked = ["staging".to_owned(), "production".to_owned()];
    store.set_project_jira("shop", site_id, Some(&tracked), None, None, "t").await.unwrap();
    for n in 0..FLAGS {
        let flag = Flag {
            key: format!("f{n}"),
            name: format!("Flag {n}"),
            description: String::new(),
            kind: FlagKind::Boolean,
            variations: vec![
                Variation { key: "on".into(), name: "On".into(), value: json!(true) },
                Variation { key: "off".into(), name: "Off".into(), value: json!(false) },
            ],
            tags: vec![],
            custom_properties: Default::default(),
        };
        let off = EnvConfig {
            on: false,
            off_variation: "off".into(),
            targets: vec![],
            rules: vec![],
            default_rule: Serve::variation("on"),
        };
        store.create_flag("shop", &flag, &off, "t").await.unwrap();
    }
    sandbox.set_knobs(Knobs {
        fault_rate: 0.3,
        fault_statuses: vec![429, 503],
        ..Knobs::default()
    });

    // Four bursts of changes; while the server works through each, it is
    // killed three times at random moments; then, drained, Jira must hold
    // exactly tether's state.
    let started = Instant::now();
    let mut server = t.start(&["serve"], &env()).await;
    let mut rng = StdRng::seed_from_u64(11);
    let mut kills = 0;
    for burst in 0..4 {
        for _ in 0..CHANGES / 4 {
            change(&store, &mut rng).await;
        }
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(rng.gen_range(0..700))).await;
            server = kill_and_restart(&t, server, &store).await;
            kills += 1;
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        while store.outbox_stats().await.unwrap().pending > 0 {
            assert!(Instant::now() < deadline, "the outbox did not drain");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let diff = differences(&store, &sandbox, site_id).await;
        assert!(
            diff.is_empty(),
            "after burst {burst}: {} differences:\n{}",
            diff.len(),
            diff.join("\n")
        );
    }
    let took = started.elapsed();
    server.signal("TERM");
    server.child.wait().await.unwrap();

    assert!(!sandbox.feature_flags().is_empty());
    eprintln!(
        "tether serve: {CHANGES} changes, {kills} SIGKILLs, 30% faults: in step after {took:.1?}"
    );
    store.close().await;
}
