//! A world for Jira sync tests: a store on one backend (tests are made per
//! backend with `tether_store::on_each_backend!`), on a manual clock the tests
//! move instead of sleeping; the sandbox on loopback with a few issues, behind a
//! [`Traffic`] gate that counts (and can hold) what it is handling; a site
//! pointing at it, a project tracking staging and production, and a worker.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use jira_sandbox::{
    DEFAULT_API_TOKEN, DEFAULT_EMAIL, DEFAULT_PASSWORD, DEFAULT_USER, Flavour, Sandbox,
    SandboxConfig,
};
use serde_json::Value;
use serde_json::json;
use tether_flags::{
    Clause, EnvConfig, Flag, FlagKind, Op, Rollout, Rule, Serve, TOTAL_WEIGHT, Variation,
    WeightedVariation,
};
use tether_jira::{Auth, Client, NewIssue, Options, Site};
use tether_store::testing::{TestBackend, TestDatabase};
use tether_store::{Clock, JiraAuthKind, MasterKey, NewJiraSite, NewProject, Store};
use tether_sync::Worker;
use tether_sync::jira::property::issue_properties;
use tether_sync::jira::sync::plan_flags;
use tether_sync::jira::{
    FlagRef, JiraClients, JiraContext, Plan, ReadMode, feature_flag, remote_link,
};
use tokio::sync::{oneshot, watch};

pub const PUBLIC_URL: &str = "https://tether.test";

/// Where the worlds' manual clocks start: 2026-01-01T00:00:00Z.
pub const START_MS: i64 = 1_767_225_600_000;

/// The longest a Jira row of the world's worker waits before its next attempt.
pub const MAX_DELAY: Duration = Duration::from_millis(20);

/// Idle rounds (the clock moved on each) a drain may take before the test fails.
const DRAIN_ROUNDS: usize = 10_000;

/// No pacing, millisecond backoffs, few client-side retries: the worker's own
/// retries are what the tests exercise.
pub fn fast() -> Options {
    Options {
        max_concurrency: 4,
        requests_per_second: None,
        max_retries: 1,
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(5),
        max_retry_after: Duration::ZERO,
        timeout: Duration::from_secs(5),
        page_size: 50,
        outbound: tether_jira::OutboundPolicy::OPEN,
        refuse_old_data_center: true,
    }
}

#[allow(missing_debug_implementations)]
pub struct World {
    pub label: &'static str,
    pub store: Store,
    /// The store's (and so the workers') clock.
    pub clock: Clock,
    pub sandbox: Sandbox,
    /// What the sandbox is handling.
    pub traffic: Traffic,
    pub base: String,
    pub cloud: bool,
    pub site_id: i64,
    /// The sandbox's admin, for tampering with what tether sent.
    pub admin: Client,
    pub worker: Worker,
    _db: TestDatabase,
    _shutdown: oneshot::Sender<()>,
}

/// How tether logs in to the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    /// Cloud as an installed Connect app registered without a descriptor (it reaches both the
    /// DevOps APIs and issues), or Data Center with a password.
    Plain,
    /// Cloud with a person's API token, which Jira Cloud's DevOps APIs refuse.
    ApiToken,
    /// Cloud, as an installed Connect app (key `tether`).
    Connect,
    /// Cloud, with OAuth 2.0 client credentials through the gateway-style prefix: the DevOps
    /// APIs only, no issues.
    OAuth2,
    /// Cloud, with OAuth 2.0 client credentials and an API token beside them for issues.
    OAuth2WithApiToken,
}

impl World {
    /// A world on `backend`, Cloud or Data Center, logging in plainly.
    pub async fn new(backend: TestBackend, cloud: bool) -> World {
        World::with_login(backend, cloud, Login::Plain).await
    }

    pub async fn with_login(backend: TestBackend, cloud: bool, login: Login) -> World {
        let flavour = if cloud { Flavour::Cloud } else { Flavour::data_center("9.12.0") };
        World::with_flavour(backend, flavour, login).await
    }

    /// A Data Center world playing Jira `version`, logging in plainly.
    pub async fn data_center(backend: TestBackend, version: &str) -> World {
        World::with_flavour(backend, Flavour::data_center(version), Login::Plain).await
    }

    async fn with_flavour(backend: TestBackend, flavour: Flavour, login: Login) -> World {
        let cloud = matches!(flavour, Flavour::Cloud);
        let db = TestDatabase::new(backend).await;
        let clock = Clock::manual(START_MS);
        let store = Store::connect(db.url(), MasterKey::generate())
            .await
            .unwrap()
            .with_clock(clock.clone());
        store.migrate().await.unwrap();
        let config = SandboxConfig::with_flavour(flavour);
        let login = if cloud && login == Login::Plain { Login::Connect } else { login };
        let sandbox = Sandbox::new(config).unwrap();
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
        let (auth_kind, user, secret) = if cloud {
            (JiraAuthKind::ApiToken, DEFAULT_EMAIL, DEFAULT_API_TOKEN)
        } else {
            (JiraAuthKind::Password, DEFAULT_USER, DEFAULT_PASSWORD)
        };
        // On Cloud the admin sends flags too (tampering) and makes issues: an app registered
        // without a descriptor reaches both (OAuth credentials reach only the DevOps APIs).
        let auth = if cloud {
            let app = sandbox.install_connect_app("sandbox-admin", "sandbox-admin");
            Auth::connect(app.key, app.shared_secret)
        } else {
            Auth::password(user, secret)
        };
        // The admin makes issues on any version the sandbox plays.
        let any = Options { refuse_old_data_center: false, ..fast() };
        let admin = Client::connect(Site::new(base.clone(), auth), any).await.unwrap();
        for n in 1..=5 {
            let new = NewIssue {
                project_key: "SAND".into(),
                issue_type: "Task".into(),
                summary: format!("Issue {n}"),
                ..NewIssue::default()
            };
            admin.create_issue(&new).await.unwrap();
        }
        let mut options = serde_json::Map::new();
        options.insert("requests_per_second".into(), Value::Null);
        let (auth_kind, user, secret) = match login {
            Login::Plain | Login::ApiToken => (auth_kind, user.to_owned(), secret.to_owned()),
            Login::Connect => {
                let app = sandbox.install_connect_app("tether", "tether");
                options.insert("app_key".into(), "tether".into());
                (JiraAuthKind::Connect, app.client_key, app.shared_secret)
            }
            Login::OAuth2 | Login::OAuth2WithApiToken => {
                options.insert("token_url".into(), format!("{base}/oauth/token").into());
                options.insert("gateway_url".into(), base.clone().into());
                let mut secret = jira_sandbox::DEFAULT_OAUTH_CLIENT_SECRET.to_owned();
                if login == Login::OAuth2WithApiToken {
                    options.insert(tether_sync::jira::PLATFORM_EMAIL.into(), DEFAULT_EMAIL.into());
                    secret = json!({"client_secret": secret, "api_token": DEFAULT_API_TOKEN})
                        .to_string();
                }
                (JiraAuthKind::OAuth2, jira_sandbox::DEFAULT_OAUTH_CLIENT_ID.to_owned(), secret)
            }
        };
        let site = NewJiraSite {
            name: "sandbox".into(),
            url: base.clone(),
            api_url: None,
            deployment: None,
            auth_kind,
            auth_user: user,
            secret: secret.into(),
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
        let worker = Worker::new(store.clone(), "w1")
            .with_jira(JiraClients::new(store.clone(), fast()), PUBLIC_URL)
            .with_retry_base(Duration::from_millis(1))
            .with_jira_max_delay(MAX_DELAY);
        World {
            label: backend.label(),
            store,
            clock,
            sandbox,
            traffic,
            base,
            cloud,
            site_id,
            admin,
            worker,
            _db: db,
            _shutdown: tx,
        }
    }

    /// A boolean flag, off everywhere, serving "on" by default when on.
    pub async fn flag(&self, key: &str, name: &str) {
        let flag = Flag {
            key: key.into(),
            name: name.into(),
            description: String::new(),
            kind: FlagKind::Boolean,
            variations: vec![
                Variation { key: "on".into(), name: "On".into(), value: json!(true) },
                Variation { key: "off".into(), name: "Off".into(), value: json!(false) },
            ],
            tags: vec![],
            custom_properties: Default::default(),
        };
        self.store.create_flag("shop", &flag, &off(), "t").await.unwrap();
    }

    pub async fn link(&self, flag: &str, issue: &str) {
        self.store.link_flag_issue("shop", flag, issue, "t").await.unwrap();
    }

    pub async fn unlink(&self, flag: &str, issue: &str) {
        assert!(self.store.unlink_flag_issue("shop", flag, issue, "t").await.unwrap());
    }

    pub async fn config(&self, flag: &str, env: &str) -> EnvConfig {
        let state = self.store.flag("shop", flag).await.unwrap();
        state.environments.into_iter().find(|e| e.env == env).unwrap().config
    }

    pub async fn set_config(&self, flag: &str, env: &str, config: &EnvConfig) {
        self.store.update_flag_config("shop", flag, env, config, None, "t").await.unwrap();
    }

    pub async fn toggle(&self, flag: &str, env: &str, on: bool) {
        let mut c = self.config(flag, env).await;
        c.on = on;
        self.set_config(flag, env, &c).await;
    }

    /// Serves "on" to `percent` of contexts by the default rule, no rules.
    pub async fn rollout(&self, flag: &str, env: &str, percent: u32) {
        let mut c = self.config(flag, env).await;
        c.rules.clear();
        c.targets.clear();
        let on = percent * TOTAL_WEIGHT / 100;
        c.default_rule = Serve::Rollout(Rollout {
            variations: vec![
                WeightedVariation { variation: "on".into(), weight: on },
                WeightedVariation { variation: "off".into(), weight: TOTAL_WEIGHT - on },
            ],
            bucket_by: None,
            salt: flag.into(),
        });
        self.set_config(flag, env, &c).await;
    }

    /// `n` targeting rules.
    pub async fn rules(&self, flag: &str, env: &str, n: usize) {
        let mut c = self.config(flag, env).await;
        c.rules = (0..n)
            .map(|i| Rule {
                id: format!("r{i}"),
                description: String::new(),
                clauses: vec![Clause::attribute("email", Op::EndsWith(format!("@{i}.test")))],
                serve: Serve::variation("on"),
            })
            .collect();
        self.set_config(flag, env, &c).await;
    }

    /// What backfill and reconcile are given.
    pub fn jira(&self) -> JiraContext {
        JiraContext {
            clients: JiraClients::new(self.store.clone(), fast()),
            public_url: PUBLIC_URL.into(),
        }
    }

    pub async fn seq(&self, flag: &str) -> i64 {
        self.store.flag_sync(self.site_id, "shop", flag).await.unwrap().unwrap().seq
    }

    pub async fn sync_row(&self, flag: &str) -> tether_store::FlagSync {
        self.store.flag_sync(self.site_id, "shop", flag).await.unwrap().unwrap()
    }

    /// The Feature Flags API document the sandbox holds (Cloud).
    pub fn jira_flag(&self, flag: &str) -> Option<Value> {
        self.sandbox.feature_flag(&format!("shop~{flag}")).map(|f| f.data)
    }

    /// The remote links of a flag, by issue (Data Center).
    pub fn links(&self, flag: &str) -> Vec<(String, Value)> {
        let gid = format!("tether:flag:shop/{flag}");
        self.sandbox
            .remote_links(None)
            .into_iter()
            .filter(|l| l.global_id.as_deref() == Some(gid.as_str()))
            .map(|l| (l.issue_key, l.object))
            .collect()
    }

    /// Ticks until nothing is pending, moving the clock past retry delays
    /// whenever a tick finds nothing due (once the sandbox has answered all it
    /// was asked: what time passing means to a request left without an answer).
    pub async fn drain(&self) -> tether_sync::TickReport {
        let mut total = tether_sync::TickReport::default();
        let mut idle = 0;
        loop {
            let r = self.worker.tick().await.unwrap();
            total.claimed += r.claimed;
            total.jira_sent += r.jira_sent;
            total.jira_deleted += r.jira_deleted;
            total.jira_failed += r.jira_failed;
            total.jira_retried += r.jira_retried;
            if r.claimed > 0 {
                continue;
            }
            if self.store.outbox_stats().await.unwrap().pending == 0 {
                return total;
            }
            idle += 1;
            assert!(idle < DRAIN_ROUNDS, "the outbox did not drain: {total:?}");
            self.pass(MAX_DELAY).await;
        }
    }

    /// Lets `by` pass: once the sandbox has settled every request it holds, the
    /// clock moves on.
    pub async fn pass(&self, by: Duration) {
        self.traffic.quiet().await;
        self.clock.advance(by);
    }
}

/// Counts the requests the sandbox is handling (from their arrival to its
/// answer, or to the client giving up), and holds those under a path prefix
/// until released: a test waits on these events instead of sleeping.
#[derive(Debug, Clone)]
pub struct Traffic(Arc<TrafficState>);

#[derive(Debug)]
struct TrafficState {
    in_flight: watch::Sender<usize>,
    held: watch::Sender<Option<String>>,
}

impl Default for Traffic {
    fn default() -> Traffic {
        Traffic(Arc::new(TrafficState {
            in_flight: watch::channel(0).0,
            held: watch::channel(None).0,
        }))
    }
}

impl Traffic {
    /// Returns once the sandbox is handling nothing.
    pub async fn quiet(&self) {
        let mut rx = self.0.in_flight.subscribe();
        rx.wait_for(|n| *n == 0).await.unwrap();
    }

    /// Returns once the sandbox is handling at least `n` requests.
    pub async fn in_flight(&self, n: usize) {
        let mut rx = self.0.in_flight.subscribe();
        rx.wait_for(|c| *c >= n).await.unwrap();
    }

    /// Holds every request whose path starts with `prefix` until [`Traffic::release`].
    pub fn hold(&self, prefix: &str) {
        self.0.held.send_replace(Some(prefix.to_owned()));
    }

    pub fn release(&self) {
        self.0.held.send_replace(None);
    }
}

/// Decrements the count however the request ends (answered, or dropped when the
/// client gave up).
struct Handled(Traffic);

impl Drop for Handled {
    fn drop(&mut self) {
        self.0.0.in_flight.send_modify(|n| *n -= 1);
    }
}

async fn gate(State(traffic): State<Traffic>, req: Request, next: Next) -> Response {
    traffic.0.in_flight.send_modify(|n| *n += 1);
    let _handled = Handled(traffic.clone());
    let path = req.uri().path().to_owned();
    let mut held = traffic.0.held.subscribe();
    let free = |h: &Option<String>| !h.as_deref().is_some_and(|p| path.starts_with(p));
    held.wait_for(free).await.unwrap();
    next.run(req).await
}

/// Differences between what tether has and what the sandbox holds, for these
/// flags (and on Cloud these issues' properties); empty when Jira is in step.
pub async fn differences(w: &World, flags: &[String], issues: &[&str]) -> Vec<String> {
    let refs: Vec<FlagRef> = flags.iter().map(|f| FlagRef::new("shop", f.clone())).collect();
    let plans = plan_flags(&w.store, w.site_id, PUBLIC_URL, &refs, ReadMode::Site).await.unwrap();
    let mut out = Vec::new();
    for (f, plan) in plans {
        if w.cloud {
            let held = w.jira_flag(&f.flag);
            let wanted = match &plan {
                Plan::Push { seq, view, .. } => {
                    Some(serde_json::to_value(feature_flag(view, *seq)).unwrap())
                }
                Plan::Remove { .. } => None,
            };
            if held != wanted {
                out.push(format!("{f}: Jira holds {held:?}, tether has {wanted:?}"));
            }
        } else {
            let mut held = w.links(&f.flag);
            held.sort_by(|a, b| a.0.cmp(&b.0));
            let wanted: Vec<(String, Value)> = match &plan {
                Plan::Push { view, .. } => {
                    let object = serde_json::to_value(remote_link(view).object).unwrap();
                    let mut keys = tether_store::normalize_issue_keys(&view.issue_keys);
                    // No link can be made on an issue Jira does not have.
                    keys.retain(|k| w.sandbox.issue(k).is_some());
                    keys.sort();
                    keys.into_iter().map(|k| (k, object.clone())).collect()
                }
                Plan::Remove { .. } => vec![],
            };
            if held != wanted {
                out.push(format!("{f}: Jira holds {held:?}, tether has {wanted:?}"));
            }
        }
    }
    if w.cloud {
        let issues = issues.iter().map(|i| (*i).to_owned()).collect();
        let wanted = issue_properties(&w.store, w.site_id, PUBLIC_URL, &issues).await.unwrap();
        for (issue, wanted) in wanted {
            let wanted = wanted.map(|p| serde_json::to_value(p).unwrap());
            let held = w.sandbox.issue_properties(&issue).unwrap().get("tether.flags").cloned();
            if held != wanted {
                out.push(format!("{issue}: property {held:?}, tether has {wanted:?}"));
            }
        }
    }
    out
}

pub fn off() -> EnvConfig {
    EnvConfig {
        on: false,
        off_variation: "off".into(),
        targets: vec![],
        rules: vec![],
        default_rule: Serve::variation("on"),
    }
}
