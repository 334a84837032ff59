//! A world for ingestion tests: a store on one backend and a manual clock, a seeded sandbox
//! (Cloud or Data Center) on loopback behind a gate that counts its requests, a site with an
//! ingestion connection checked and every processable project imported, and what the sandbox
//! holds counted the sandbox's own way, to compare with what was ingested.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use jira_sandbox::{
    DEFAULT_API_TOKEN, DEFAULT_EMAIL, DEFAULT_PAT, Flavour, Knobs, Sandbox, SandboxConfig,
};
use tether_jira::{Auth, Client, Options, Site};
use tether_store::testing::{TestBackend, TestDatabase};
use tether_store::{
    Clock, JiraAuthKind, MasterKey, NewJiraSite, Store, TicketCredentials, TicketStats,
};
use tether_sync::ingest::{
    IngestOptions, IngestReport, Ingester, TicketClients, check_and_discover,
};
use tokio::sync::{oneshot, watch};

/// Where the worlds' manual clocks start: 2026-01-01T00:00:00Z.
pub const START_MS: i64 = 1_767_225_600_000;

/// No pacing, millisecond backoffs, a couple of client-side retries.
pub fn fast() -> Options {
    Options {
        max_concurrency: 4,
        requests_per_second: None,
        max_retries: 2,
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(5),
        max_retry_after: Duration::ZERO,
        timeout: Duration::from_secs(10),
        page_size: 50,
        ..Options::default()
    }
}

/// Small pages, so a few dozen issues make many; the ingester's own timings.
pub fn options() -> IngestOptions {
    IngestOptions {
        page_size: 7,
        lease: Duration::from_secs(60),
        retry_base: Duration::from_secs(1),
        retry_max: Duration::from_secs(10),
        ..IngestOptions::default()
    }
}

#[allow(missing_debug_implementations)]
pub struct World {
    pub label: &'static str,
    pub store: Store,
    pub clock: Clock,
    pub sandbox: Sandbox,
    pub traffic: Traffic,
    pub cloud: bool,
    pub site_id: i64,
    /// The sandbox's admin, for changing Jira behind tether's back.
    pub admin: Client,
    /// Where the sandbox listens, for calls `admin` has no method for.
    pub base: String,
    pub clients: TicketClients,
    _db: TestDatabase,
    _shutdown: oneshot::Sender<()>,
}

impl World {
    /// A world with `issues` generated issues; search embeds at most two histories, so
    /// changelogs are completed from elsewhere.
    pub async fn new(backend: TestBackend, cloud: bool, issues: usize) -> World {
        let flavour = if cloud { Flavour::Cloud } else { Flavour::data_center("9.12.0") };
        let sandbox = Sandbox::new(SandboxConfig::with_flavour(flavour)).unwrap();
        sandbox.seed_issues(issues, 11);
        sandbox.set_knobs(Knobs { embedded_changelog_cap: 2, ..Knobs::default() });
        World::with_sandbox(backend, sandbox).await
    }

    pub async fn with_sandbox(backend: TestBackend, sandbox: Sandbox) -> World {
        let cloud = sandbox.flavour().is_cloud();
        let db = TestDatabase::new(backend).await;
        let clock = Clock::manual(START_MS);
        let store = Store::connect(db.url(), MasterKey::generate())
            .await
            .unwrap()
            .with_clock(clock.clone());
        store.migrate().await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let traffic = Traffic::default();
        let app = jira_sandbox::router(sandbox.clone())
            .layer(axum::middleware::from_fn_with_state(traffic.clone(), gate));
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
        });
        let auth = if cloud {
            Auth::api_token(DEFAULT_EMAIL, DEFAULT_API_TOKEN)
        } else {
            Auth::personal_access_token(DEFAULT_PAT)
        };
        let admin = Client::connect(Site::new(base.clone(), auth), fast()).await.unwrap();
        let mut site_options = serde_json::Map::new();
        site_options.insert("requests_per_second".into(), serde_json::Value::Null);
        let site = NewJiraSite {
            name: "acme".into(),
            url: base.clone(),
            api_url: None,
            deployment: None,
            auth_kind: JiraAuthKind::Pat,
            auth_user: String::new(),
            secret: "flag-side".to_owned().into(),
            options: site_options,
        };
        let site_id = store.create_jira_site(&site, "t").await.unwrap().id;
        let creds = if cloud {
            TicketCredentials::ApiToken {
                email: DEFAULT_EMAIL.into(),
                token: DEFAULT_API_TOKEN.to_owned().into(),
            }
        } else {
            TicketCredentials::Pat { token: DEFAULT_PAT.to_owned().into() }
        };
        store.put_ticket_connection(site_id, &creds, "t").await.unwrap();
        let outcome = check_and_discover(&store, site_id, &fast()).await.unwrap();
        assert!(outcome.check.can_run(), "{:?}", outcome.check.messages());
        store.set_ticket_switches(site_id, None, Some(true), "t").await.unwrap();
        let clients = TicketClients::new(store.clone(), fast());
        World {
            label: backend.label(),
            store,
            clock,
            sandbox,
            traffic,
            cloud,
            site_id,
            base: base.clone(),
            admin,
            clients,
            _db: db,
            _shutdown: tx,
        }
    }

    pub fn ingester(&self, name: &str) -> Ingester {
        Ingester::new(self.store.clone(), self.clients.clone(), name, options())
    }

    /// Ticks until a tick finds nothing to do (bounded).
    pub async fn drain(&self, ing: &Ingester) -> IngestReport {
        let mut total = IngestReport::default();
        for _ in 0..1_000 {
            let r = ing.tick().await.unwrap();
            total.sites += r.sites;
            total.passes += r.passes;
            total.issues += r.issues;
            total.removed += r.removed;
            total.failed += r.failed;
            if !r.busy() {
                return total;
            }
        }
        panic!("ingestion did not settle");
    }

    /// Lets time pass once the sandbox has answered everything it holds.
    pub async fn pass(&self, by: Duration) {
        self.traffic.quiet().await;
        self.clock.advance(by);
    }

    /// Keys of the projects tether imports (processable ones: not HELP).
    pub fn imported(key: &str) -> bool {
        !key.starts_with("HELP-")
    }

    /// What the sandbox holds in the imported projects, counted as the store counts.
    pub async fn truth(&self) -> TicketStats {
        let mut t = TicketStats::default();
        let projects = self.admin.ticket_projects().await.unwrap();
        let mut keys = Vec::new();
        for p in projects.iter().filter(|p| p.project_type_key.as_deref() != Some("service_desk")) {
            for i in self.admin.project_issue_ids(&p.id).await.unwrap() {
                keys.push(i.id);
            }
        }
        t.tickets = keys.len() as i64;
        for id in &keys {
            t.changes += self
                .admin
                .full_changelog(id)
                .await
                .unwrap()
                .iter()
                .map(|h| h.items.len() as i64)
                .sum::<i64>();
            t.remote_links += self.admin.remote_links(id).await.unwrap().len() as i64;
        }
        t.comments =
            self.sandbox.comments(None).iter().filter(|c| World::imported(&c.issue_key)).count()
                as i64;
        t.worklogs =
            self.sandbox.worklogs(None).iter().filter(|w| World::imported(&w.issue_key)).count()
                as i64;
        t
    }

    /// Asserts the store holds what the sandbox holds (tickets, history items, comments,
    /// worklogs, remote links).
    pub async fn assert_in_step(&self) {
        let got = self.store.ticket_stats(self.site_id).await.unwrap();
        let want = self.truth().await;
        let pick = |s: &TicketStats| (s.tickets, s.changes, s.comments, s.worklogs, s.remote_links);
        assert_eq!(
            pick(&got),
            pick(&want),
            "{} {}: (tickets, changes, comments, worklogs, remote links)",
            self.label,
            self.flavour()
        );
    }

    pub fn flavour(&self) -> &'static str {
        if self.cloud { "cloud" } else { "dc" }
    }
}

/// Counts the requests the sandbox is handling, from their arrival to its answer.
#[derive(Debug, Clone)]
pub struct Traffic(Arc<watch::Sender<usize>>);

impl Default for Traffic {
    fn default() -> Traffic {
        Traffic(Arc::new(watch::channel(0).0))
    }
}

impl Traffic {
    pub async fn quiet(&self) {
        let mut rx = self.0.subscribe();
        rx.wait_for(|n| *n == 0).await.unwrap();
    }
}

struct Handled(Traffic);

impl Drop for Handled {
    fn drop(&mut self) {
        self.0.0.send_modify(|n| *n -= 1);
    }
}

async fn gate(State(traffic): State<Traffic>, req: Request, next: Next) -> Response {
    traffic.0.send_modify(|n| *n += 1);
    let _handled = Handled(traffic.clone());
    next.run(req).await
}
