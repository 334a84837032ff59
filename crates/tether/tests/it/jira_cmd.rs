//! `tether jira backfill` and `tether jira reconcile` against the sandbox on
//! loopback, on a database prepared in-process.

use jira_sandbox::{DEFAULT_API_TOKEN, DEFAULT_EMAIL, Sandbox, SandboxConfig};
use serde_json::json;
use tether_flags::{EnvConfig, Flag, FlagKind, Serve, Variation};
use tether_jira::{Auth, Client, NewIssue, Options, Site};
use tether_store::{JiraAuthKind, MasterKey, NewJiraSite, NewProject, Store};
use tokio::sync::oneshot;

use crate::Sandboxed;

const PUBLIC: (&str, &str) = ("TETHER_PUBLIC_URL", "https://tether.test");

/// Migrates the folder's database, then adds a site on the sandbox, a project
/// reporting to it and three flags: two linked to SAND-1, one to an issue
/// Jira does not have.
async fn prepare(t: &Sandboxed, base: &str) -> Store {
    let (code, _, err) = t.run(&["migrate"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let key = std::fs::read_to_string(t.path().join("tether-data/master.key")).unwrap();
    let url = format!("sqlite://{}/tether-data/tether.db", t.path().display());
    let store = Store::connect(&url, MasterKey::from_encoded(key.trim()).unwrap()).await.unwrap();
    let mut options = serde_json::Map::new();
    options.insert("requests_per_second".into(), serde_json::Value::Null);
    options.insert("token_url".into(), format!("{base}/oauth/token").into());
    options.insert("gateway_url".into(), base.to_string().into());
    let site = NewJiraSite {
        name: "sandbox".into(),
        url: base.into(),
        api_url: None,
        deployment: None,
        // OAuth credentials, as Jira Cloud's Feature Flags API requires.
        auth_kind: JiraAuthKind::OAuth2,
        auth_user: jira_sandbox::DEFAULT_OAUTH_CLIENT_ID.into(),
        secret: jira_sandbox::DEFAULT_OAUTH_CLIENT_SECRET.to_owned().into(),
        options,
    };
    let site = store.create_jira_site(&site, "t").await.unwrap();
    let project = NewProject {
        key: "shop".into(),
        name: "Shop".into(),
        description: String::new(),
        environments: vec![],
    };
    store.create_project(&project, "t").await.unwrap();
    store.set_project_jira("shop", site.id, None, None, None, "t").await.unwrap();
    for (key, issue) in [("f0", "SAND-1"), ("f1", "SAND-1"), ("f2", "NOPE-7")] {
        let flag = Flag {
            key: key.into(),
            name: format!("Flag {key}"),
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
        store.link_flag_issue("shop", key, issue, "t").await.unwrap();
    }
    store
}

#[tokio::test]
async fn backfill_sends_everything_and_reconcile_repairs_what_jira_lost() {
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
    let issue = NewIssue {
        project_key: "SAND".into(),
        issue_type: "Task".into(),
        summary: "Checkout".into(),
        ..NewIssue::default()
    };
    admin.create_issue(&issue).await.unwrap();

    let t = Sandboxed::new();
    let store = prepare(&t, &base).await;
    let (code, out, err) = t.run(&["jira", "backfill", "--site", "sandbox"], &[PUBLIC]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "backfill of Jira site \"sandbox\" (Cloud): 3 flags\n  sent:               2\n  removed:            0\n  \
         failed:             0\n  queued for retry:   0\n  \
         shown nowhere:      1 (linked only to issues Jira does not have)\n  unknown issue keys: 1 (NOPE-7)\n  \
         issue properties:   skipped: the site's OAuth credentials reach only Jira's DevOps APIs, not issue properties; the tether.flags property (behind Jira's JQL on flags) needs an API token beside them\n"
    );
    assert!(err.contains("backfill: 3/3 flags sent"), "progress lines without a terminal: {err}");
    let sent = sandbox.feature_flag("shop~f0").expect("sent");
    assert_eq!(sent.data["summary"]["url"], "https://tether.test/flags/shop/f0");
    assert_eq!(sandbox.feature_flags().len(), 2);

    // Jira Cloud's Feature Flags API takes apps only: delete as the OAuth credentials.
    let oauth2 = Auth::OAuth2 {
        platform: None,
        client_id: jira_sandbox::DEFAULT_OAUTH_CLIENT_ID.into(),
        client_secret: jira_sandbox::DEFAULT_OAUTH_CLIENT_SECRET.to_owned().into(),
        token_url: format!("{base}/oauth/token"),
        gateway_url: base.clone(),
    };
    let devops = Client::connect(
        Site::new(base.clone(), oauth2),
        Options { requests_per_second: None, ..Options::default() },
    )
    .await
    .unwrap();
    devops.delete_feature_flag("shop~f1", None).await.unwrap();
    let (code, out, err) =
        t.run(&["jira", "reconcile", "--site", "sandbox", "--dry-run"], &[PUBLIC]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "reconcile of Jira site \"sandbox\" (Cloud): 3 flags checked\n  in sync:  2\n  missing:  1\n      \
         shop/f1: not in Jira\n  stale:    0\n  dry run: nothing changed; run without --dry-run to repair 1 flag\n"
    );
    assert!(sandbox.feature_flag("shop~f1").is_none());
    let (code, out, err) = t.run(&["jira", "reconcile", "--site", "sandbox"], &[PUBLIC]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("  repaired: 1  (shop/f1)\n"), "{out}");
    assert!(sandbox.feature_flag("shop~f1").is_some());

    let (code, _, err) = t.run(&["jira", "backfill", "--site", "nope"], &[PUBLIC]).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no Jira site named \"nope\"; known: sandbox"), "{err}");
    store.close().await;
}
