//! `tether ingest status|run|pause|resume|remove-data` against the sandbox on loopback, on a
//! database prepared in-process: a site with an ingestion connection, checked, one project
//! imported.

use jira_sandbox::{DEFAULT_PASSWORD, DEFAULT_USER, Flavour, Sandbox, SandboxConfig};
use tether_store::{JiraAuthKind, MasterKey, NewJiraSite, Store, TicketCredentials};
use tokio::sync::oneshot;

use crate::Sandboxed;

/// Migrates the folder's database and connects a Data Center sandbox's ingestion (username
/// and password), WEB imported. Returns the store and the site's id.
pub async fn prepare(t: &Sandboxed, base: &str) -> (Store, i64) {
    let (code, _, err) = t.run(&["migrate"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let key = std::fs::read_to_string(t.path().join("tether-data/master.key")).unwrap();
    let url = format!("sqlite://{}/tether-data/tether.db", t.path().display());
    let store = Store::connect(&url, MasterKey::from_encoded(key.trim()).unwrap()).await.unwrap();
    let mut options = serde_json::Map::new();
    options.insert("requests_per_second".into(), serde_json::Value::Null);
    let site = NewJiraSite {
        name: "sandbox".into(),
        url: base.into(),
        api_url: None,
        deployment: None,
        auth_kind: JiraAuthKind::Password,
        auth_user: DEFAULT_USER.into(),
        secret: DEFAULT_PASSWORD.to_owned().into(),
        options,
    };
    let site = store.create_jira_site(&site, "t").await.unwrap().id;
    let creds = TicketCredentials::Password {
        username: DEFAULT_USER.into(),
        password: DEFAULT_PASSWORD.to_owned().into(),
    };
    store.put_ticket_connection(site, &creds, "t").await.unwrap();
    let options = tether_jira::Options { requests_per_second: None, ..Default::default() };
    let outcome = tether_sync::ingest::check_and_discover(&store, site, &options).await.unwrap();
    assert!(outcome.check.can_run(), "{:?}", outcome.check.messages());
    store.set_ticket_import(site, "WEB", true, "t").await.unwrap();
    (store, site)
}

pub async fn sandbox(issues: usize) -> (Sandbox, String, oneshot::Sender<()>) {
    let sandbox =
        Sandbox::new(SandboxConfig::with_flavour(Flavour::data_center("9.12.0"))).unwrap();
    sandbox.seed_issues(issues, 9);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, rx) = oneshot::channel::<()>();
    tokio::spawn(sandbox.clone().serve(listener, async {
        let _ = rx.await;
    }));
    (sandbox, base, stop)
}

#[tokio::test]
async fn the_ingest_commands_run_report_pause_and_remove() {
    let (_sandbox, base, _stop) = sandbox(60).await;
    let t = Sandboxed::new();
    let (store, site) = prepare(&t, &base).await;
    let web = store.ticket_project(site, "WEB").await.unwrap();

    let (code, out, err) = t.run(&["ingest", "run"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let n = store.ticket_counts(site).await.unwrap().get(&web.id).copied().unwrap_or(0);
    assert!(n > 0);
    assert!(out.contains(&format!("ingested {n} issues in 1 passes")), "{out}");

    let (code, out, err) = t.run(&["ingest", "status"], &[]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(&format!("sandbox ({base}): password as admin, running")), "{out}");
    assert!(
        out.contains("  check: ok") && out.contains(&format!("{n} tickets  last pass ")),
        "{out}"
    );
    assert!(out.contains("HELP") && out.contains("not processed (Service Management)"), "{out}");

    let (code, out, _) = t.run(&["ingest", "pause", "--site", "sandbox"], &[]).await;
    assert_eq!((code, out.as_str()), (0, "paused sandbox\n"));
    let (_, out, _) = t.run(&["ingest", "status", "--site", "sandbox"], &[]).await;
    assert!(out.contains(", paused"), "{out}");
    let (code, out, _) = t.run(&["ingest", "resume"], &[]).await;
    assert_eq!((code, out.as_str()), (0, "resumed sandbox\n"));

    let (code, out, err) =
        t.run(&["ingest", "remove-data", "--site", "sandbox", "--project", "WEB"], &[]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, format!("removed {n} tickets of WEB from sandbox\n"));
    let (code, _, err) = t.run(&["ingest", "remove-data", "--site", "sandbox"], &[]).await;
    assert_eq!(code, 1);
    assert!(err.contains("run again with --yes"), "{err}");
    let (code, out, _) = t.run(&["ingest", "remove-data", "--site", "sandbox", "--yes"], &[]).await;
    assert_eq!(code, 0);
    assert!(out.contains("turned the ticket integration of sandbox off"), "{out}");
    assert!(store.ticket_connection(site).await.unwrap().is_none());
    let (code, _, err) = t.run(&["ingest", "run", "--site", "nope"], &[]).await;
    assert_eq!(code, 1);
    assert!(err.contains("no Jira site named \"nope\"; known: sandbox"), "{err}");
    store.close().await;
}

#[tokio::test]
async fn tether_search_runs_jql_over_the_ingested_tickets() {
    let (_sandbox, base, _stop) = sandbox(30).await;
    let t = Sandboxed::new();
    let (store, site) = prepare(&t, &base).await;
    let (code, _, err) = t.run(&["ingest", "run"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let web = store.ticket_project(site, "WEB").await.unwrap();
    let n = store.ticket_counts(site).await.unwrap().get(&web.id).copied().unwrap_or(0);
    assert!(n > 3, "{n}");
    let (code, token, err) =
        t.run(&["tokens", "create", "--name", "cli", "--role", "reader"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let token = token.trim().to_owned();
    let server = t.start(&["serve"], &[]).await;
    let env = [("TETHER_API_TOKEN", token.as_str()), ("TETHER_URL", server.url.as_str())];

    let (code, out, err) =
        t.run(&["search", "project = WEB ORDER BY key", "--limit", "3"], &env).await;
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("KEY") && lines[0].contains("SUMMARY"), "{out}");
    let keys: Vec<&str> = lines[1..].iter().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(keys, ["WEB-1", "WEB-2", "WEB-3"], "{out}");
    assert!(err.contains("more tickets match"), "{err}");

    let (code, out, err) = t.run(&["search", "project = WEB", "--all", "--json"], &env).await;
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["issues"].as_array().unwrap().len() as i64, n);
    assert_eq!(v["isLast"], true);

    let (code, _, err) = t.run(&["search", "status = Nope"], &env).await;
    assert_eq!(code, 1);
    assert!(err.contains("The value 'Nope' does not exist for the field 'status'."), "{err}");
    store.close().await;
}
