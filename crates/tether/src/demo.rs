//! `tether demo`: the product on its embedded defaults. SQLite in the data
//! folder, a sample project, and two bundled Jira sandboxes in this process: a
//! Cloud one into which tether installs itself as a Connect app, and a Data
//! Center one it signs in to with a personal access token. The sandboxes live
//! in memory and stop with the demo; tether's data stays for the next run.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use jira_sandbox::{Flavour, Sandbox, SandboxConfig};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tether_store::{NewProject, Store, StoreError};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::client::Api;
use crate::config::Config;
use crate::dblock::DatabaseLock;
use crate::run::{init_tracing, open_store, run_server};

/// `tether demo`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Port for tether; 0 picks a free one. Default: 8080, or a free port if taken.
    #[arg(long)]
    port: Option<u16>,
    /// Port of the bundled Jira Cloud sandbox; the Data Center one takes the next.
    /// 0 picks free ones. Default: 8081 and 8082, or free ports if taken.
    #[arg(long, value_name = "PORT")]
    jira_port: Option<u16>,
    /// Run without the bundled Jira sandboxes (the flag platform only).
    #[arg(long)]
    no_jira: bool,
}

/// The issues the Cloud sandbox starts with (beside generated ones), and the
/// demo flags linked to them.
const CLOUD_ISSUES: &[(&str, &str, &str, &[&str])] = &[
    ("SHOP-1", "Faster checkout for returning customers", "In Progress", &["new-checkout"]),
    ("SHOP-2", "Winter sale banner on the home page", "To Do", &["banner-text"]),
    ("SHOP-3", "Show more results per search page", "In Progress", &["search-page-size"]),
    (
        "SHOP-4",
        "Launch: checkout and recommendations",
        "In Progress",
        &["new-checkout", "recommendations"],
    ),
];

/// The Data Center sandbox's issues and the warehouse flags linked to them.
const DC_ISSUES: &[(&str, &str, &str, &[&str])] =
    &[("WH-1", "Bulk picking for large orders", "In Progress", &["bulk-picking"])];

/// The project whose flags report to the Data Center sandbox.
const DC_PROJECT: &str = "warehouse";
/// The name of the Data Center sandbox's site in tether.
const DC_SITE: &str = "demo-dc-sandbox";

pub async fn demo(mut config: Config, args: DemoArgs) -> Result<()> {
    init_tracing(&config)?;
    let mut lock = DatabaseLock::acquire(config.database_url.expose_secret(), "tether demo")?;
    let store = open_store(&config).await?;
    let sdk_key = seed_demo(&store).await?;
    let api_token = demo_api_token(&store).await?;
    let listener = bind(config.listen.ip(), args.port, config.listen.port()).await?;
    config.listen = listener.local_addr()?;
    let url = config.public_url();
    if let Some(lock) = &mut lock {
        lock.announce(&url)?;
    }
    let mut banner = format!(
        "\ntether {} demo is running\n\n  web UI:   {url}/  (sign in with the admin API token below)\n  \
         SDK keys: {url}/projects/demo\n  status:   {url}/status\n  \
         API:      {url}/api/projects\n  data:     {}\n\n  \
         Evaluate flags with any OpenFeature OFREP provider, or:\n    \
         curl -s -X POST {url}/ofrep/v1/evaluate/flags/new-checkout \\\n      \
         -H 'Authorization: Bearer {sdk_key}' \\\n      \
         -H 'Content-Type: application/json' -d '{{\"context\":{{\"targetingKey\":\"user-1\"}}}}'\n  \
         SDK key (production): {sdk_key}\n  \
         Admin API token:      {api_token}\n  \
         (try: curl -s {url}/api/projects/demo/flags -H 'Authorization: Bearer {api_token}')\n\n  \
         The command line and the example apps (examples/README.md), from another terminal:\n    \
         export TETHER_URL={url} TETHER_API_TOKEN={api_token} TETHER_SDK_KEY={sdk_key}\n    \
         {exe} flags list --project demo\n    \
         (cd examples/node && npm ci && node app.mjs)\n",
        tether_server::VERSION,
        config.data_dir.display(),
        exe = invoked_as(),
    );
    let jira = if args.no_jira { None } else { Some(Sandboxes::start(args.jira_port).await?) };
    // The demo's sandboxes and the webhook receivers people try it with are local.
    config.outbound_allow_loopback = true;
    if let Some(jira) = &jira {
        // The Cloud sandbox plays Atlassian too: it signs the Connect install with its own
        // key, published where Atlassian's key service would be, from loopback.
        config.jira.connect_install_keys_url =
            format!("{}{}", jira.cloud.url, jira_sandbox::INSTALL_KEYS_PATH);
        for host in ["127.0.0.1", "localhost"] {
            if !config.jira.connect_allowed_hosts.iter().any(|h| h == host) {
                config.jira.connect_allowed_hosts.push(host.to_owned());
            }
        }
    }
    let setup = {
        let jira = jira.as_ref().map(Sandboxes::handles);
        let store = store.clone();
        let data_dir = config.data_dir.clone();
        async move {
            if let Some((cloud, dc)) = jira {
                let part =
                    connect_jira(&store, &url, &api_token, cloud, dc, &data_dir).await.context(
                        "cannot connect the demo to its Jira sandboxes \
                     (`tether demo --no-jira` runs the flag platform alone)",
                    )?;
                banner.push_str(&part);
            }
            banner.push_str("\nPress Ctrl-C to stop.\n");
            Ok(banner)
        }
    };
    let result = run_server(&config, store, listener, Some(Box::pin(setup))).await;
    if let Some(jira) = jira {
        jira.stop().await;
    }
    result
}

/// How this binary was started (`tether`, or `target/release/tether` under
/// `cargo run`), so the commands the banner suggests run as printed.
fn invoked_as() -> String {
    let arg0 = std::env::args().next().unwrap_or_default();
    let path = Path::new(&arg0);
    match std::env::current_dir()
        .ok()
        .and_then(|dir| path.strip_prefix(&dir).ok().map(Path::to_owned))
    {
        Some(relative) => relative.display().to_string(),
        None if arg0.is_empty() => "tether".to_owned(),
        None => arg0,
    }
}

/// Binds `wanted` (or the configured port), falling back to a free port when
/// the default is taken; a port asked for explicitly must be free.
async fn bind(ip: IpAddr, wanted: Option<u16>, default: u16) -> Result<TcpListener> {
    let addr = SocketAddr::new(ip, wanted.unwrap_or(default));
    match TcpListener::bind(addr).await {
        Ok(l) => Ok(l),
        Err(e) if wanted.is_none() && e.kind() == std::io::ErrorKind::AddrInUse => {
            let any = SocketAddr::new(ip, 0);
            TcpListener::bind(any).await.with_context(|| format!("cannot listen on {any}"))
        }
        Err(e) => Err(e).with_context(|| format!("cannot listen on {addr}")),
    }
}

/// A sandbox served on loopback until told to stop.
struct Served {
    sandbox: Sandbox,
    url: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Served {
    async fn start(sandbox: Sandbox, listener: TcpListener) -> Result<Served> {
        let url = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(sandbox.clone().serve(listener, async move {
            let _ = stopped.await;
        }));
        Ok(Served { sandbox, url, stop, task })
    }
}

/// The demo's two Jira sandboxes.
struct Sandboxes {
    cloud: Served,
    dc: Served,
}

impl Sandboxes {
    async fn start(port: Option<u16>) -> Result<Sandboxes> {
        let loopback = IpAddr::from([127, 0, 0, 1]);
        let cloud = sandbox(Flavour::Cloud, CLOUD_ISSUES, "Shop", 200)?;
        let dc = sandbox(Flavour::data_center("9.12.0"), DC_ISSUES, "Warehouse", 0)?;
        let cloud_listener = bind(loopback, port, 8081).await?;
        let dc_port = match port {
            Some(0) => Some(0),
            Some(p) => Some(p.checked_add(1).context("--jira-port must leave room for a second")?),
            None => None,
        };
        let dc_listener = bind(loopback, dc_port, 8082).await?;
        Ok(Sandboxes {
            cloud: Served::start(cloud, cloud_listener).await?,
            dc: Served::start(dc, dc_listener).await?,
        })
    }

    fn handles(&self) -> ((Sandbox, String), (Sandbox, String)) {
        (
            (self.cloud.sandbox.clone(), self.cloud.url.clone()),
            (self.dc.sandbox.clone(), self.dc.url.clone()),
        )
    }

    async fn stop(self) {
        for served in [self.cloud, self.dc] {
            let _ = served.stop.send(());
            if tokio::time::timeout(Duration::from_secs(5), served.task).await.is_err() {
                tracing::warn!(url = served.url, "a Jira sandbox did not stop in 5 s");
            }
        }
    }
}

/// A sandbox holding `issues` (in a project named `project_name`) and
/// `generated` more from the deterministic generator.
fn sandbox(
    flavour: Flavour,
    issues: &[(&str, &str, &str, &[&str])],
    project_name: &str,
    generated: usize,
) -> Result<Sandbox> {
    let sandbox =
        Sandbox::new(SandboxConfig::with_flavour(flavour)).context("cannot set up a sandbox")?;
    let payloads: Vec<Value> = issues
        .iter()
        .map(|(key, summary, status, _)| {
            let category = if *status == "To Do" { "new" } else { "indeterminate" };
            json!({
                "key": key,
                "fields": {
                    "project": {"name": project_name, "projectTypeKey": "software"},
                    "issuetype": {"name": "Story"},
                    "summary": summary,
                    "status": {"name": status, "statusCategory": {"key": category}},
                }
            })
        })
        .collect();
    sandbox.load_issues(&Value::Array(payloads)).context("cannot load the demo issues")?;
    if generated > 0 {
        sandbox.seed_issues(generated, 1);
    }
    Ok(sandbox)
}

/// Ties the demo projects to the sandboxes, the way a user would: tether is
/// installed into the Cloud sandbox as a Connect app (Jira fetches the
/// descriptor and posts `installed`), the Data Center sandbox is registered
/// with a personal access token, and flags are linked to issues through the
/// API (which checks each issue against Jira). Returns the banner's Jira part.
async fn connect_jira(
    store: &Store,
    url: &str,
    token: &str,
    (cloud, cloud_url): (Sandbox, String),
    (dc, dc_url): (Sandbox, String),
    data_dir: &Path,
) -> Result<String> {
    forget_earlier_sandboxes(store).await?;
    let api = Api::at(url, token);

    let installed = cloud
        .install_connect_app_from(&format!("{url}/atlassian-connect.json"), &cloud_url)
        .await
        .context("cannot install tether into the Jira Cloud sandbox as a Connect app")?;
    let site = store
        .jira_site_by_client_key(&installed.client_key)
        .await
        .context("the Connect install did not register a Jira site")?;
    let environments = ["staging", "production"];
    api.call(
        reqwest::Method::PUT,
        "/api/projects/demo/jira",
        Some(json!({"site": site.name, "environments": environments})),
    )
    .await?;
    link_all(&api, "demo", CLOUD_ISSUES).await?;

    let body = json!({"name": DC_SITE, "url": dc_url, "kind": "pat",
        "secret": jira_sandbox::DEFAULT_PAT});
    api.call(reqwest::Method::POST, "/api/jira/sites", Some(body)).await?;
    let body = json!({"site": DC_SITE, "environments": environments});
    api.call(reqwest::Method::PUT, &format!("/api/projects/{DC_PROJECT}/jira"), Some(body)).await?;
    link_all(&api, DC_PROJECT, DC_ISSUES).await?;

    // Let the first delivery land, so the pages the banner names show it.
    let delivered = wait_until(Duration::from_secs(15), || {
        !cloud.feature_flags().is_empty() && !dc.remote_links(Some("WH-1")).is_empty()
    })
    .await;
    let mut out = format!(
        "\n  Flags on Jira issues, with two bundled Jira sandboxes (in memory; they stop with the demo):\n  \
         Jira Cloud sandbox:       {cloud_url}  (tether is installed there as a Connect app)\n    \
         toggle \"New checkout\" in production:  {url}/flags/demo/new-checkout?env=production\n    \
         and watch SHOP-1's feature flags:     {cloud_url}/browse/SHOP-1\n  \
         Jira Data Center sandbox: {dc_url}  (tether signs in with the personal access token {pat})\n    \
         toggle \"Bulk picking\" in production:  {url}/flags/{DC_PROJECT}/bulk-picking?env=production\n    \
         and watch WH-1's remote link:         {dc_url}/browse/WH-1\n  \
         The sandboxes' REST APIs: Cloud as {email} with API token {api_token}, \
         Data Center as {user} with password {password}.\n",
        pat = jira_sandbox::DEFAULT_PAT,
        email = jira_sandbox::DEFAULT_EMAIL,
        api_token = jira_sandbox::DEFAULT_API_TOKEN,
        user = jira_sandbox::DEFAULT_USER,
        password = jira_sandbox::DEFAULT_PASSWORD,
    );
    if !delivered {
        out.push_str(
            "  (Jira has not shown the flags yet; each flag's Integrations tab says why.)\n",
        );
    }
    let code =
        crate::demo_code::connect(store, &api, url, &site.name, (&cloud, &cloud_url), data_dir)
            .await
            .context("cannot set up the demo's code repositories")?;
    out.push_str(&code);
    Ok(out)
}

/// The sandboxes of an earlier run are gone: the demo projects' loopback sites
/// are removed (a site elsewhere, set up by hand, is left alone).
async fn forget_earlier_sandboxes(store: &Store) -> Result<()> {
    for project in ["demo", DC_PROJECT] {
        let Some(tracking) = store.project_jira(project).await? else { continue };
        let site = store.jira_site(tracking.site_id).await?;
        if !is_loopback(&site.url) {
            continue;
        }
        store.clear_project_jira(project, "demo").await?;
        store.delete_jira_site(site.id, "demo").await?;
    }
    if let Ok(site) = store.jira_site_by_name(DC_SITE).await {
        store.delete_jira_site(site.id, "demo").await?;
    }
    Ok(())
}

fn is_loopback(url: &str) -> bool {
    let Some(host) = reqwest::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_owned))
    else {
        return false;
    };
    host == "localhost"
        || host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

async fn link_all(api: &Api, project: &str, issues: &[(&str, &str, &str, &[&str])]) -> Result<()> {
    for (issue, _, _, flags) in issues {
        for flag in *flags {
            let path = format!("/api/projects/{project}/flags/{flag}/issues");
            api.call(reqwest::Method::POST, &path, Some(json!({"issue": issue}))).await?;
        }
    }
    Ok(())
}

pub(crate) async fn wait_until(limit: Duration, done: impl Fn() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while !done() {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}

/// The demo's admin API token, kept (encrypted) across runs.
async fn demo_api_token(store: &Store) -> Result<String> {
    const SETTING: &str = "demo.api_token";
    if let Some(token) = store.secret(SETTING).await?.map(|t| t.expose_secret().to_owned())
        && store.token_by_secret(&token).await?.is_some()
    {
        return Ok(token);
    }
    let (_, token) = crate::admin::create_token(
        store,
        "demo-admin",
        &["admin".to_owned()],
        crate::admin::DEFAULT_MEMBER,
        "service",
    )
    .await?;
    store.put_secret(SETTING, &secrecy::SecretString::from(token.clone())).await?;
    Ok(token)
}

/// A sample project with a flag of each kind, so that a first look shows
/// something; returns the production SDK key (kept, encrypted, across runs).
async fn seed_demo(store: &Store) -> Result<String> {
    use tether_flags::{
        Clause, EnvConfig, Flag, FlagKind, Op, Rollout, Rule, Serve, Variation, WeightedVariation,
    };
    const SDK_KEY_SETTING: &str = "demo.sdk_key.production";

    for (key, name, description) in [
        ("demo", "Demo shop", "A sample project created by `tether demo`"),
        (
            DC_PROJECT,
            "Warehouse",
            "A sample project created by `tether demo`, reporting to Jira Data Center",
        ),
    ] {
        let project = NewProject {
            key: key.to_owned(),
            name: name.to_owned(),
            description: description.to_owned(),
            environments: Vec::new(),
        };
        match store.create_project(&project, "demo").await {
            Ok(_) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e).with_context(|| format!("cannot create the {key} project")),
        }
    }
    let variation =
        |key: &str, value: Value| Variation { key: key.to_owned(), name: key.to_owned(), value };
    let flag = |key: &str, name: &str, kind, variations| Flag {
        key: key.to_owned(),
        name: name.to_owned(),
        description: String::new(),
        kind,
        variations,
        tags: vec!["demo".to_owned()],
        custom_properties: Default::default(),
    };
    let config = |on, off: &str, default_rule| EnvConfig {
        on,
        off_variation: off.to_owned(),
        targets: vec![],
        rules: vec![],
        default_rule,
    };
    let rollout = |on: &str, off: &str, on_share: u32, salt: &str| {
        Serve::Rollout(Rollout {
            variations: vec![
                WeightedVariation { variation: on.to_owned(), weight: on_share },
                WeightedVariation { variation: off.to_owned(), weight: 100_000 - on_share },
            ],
            bucket_by: None,
            salt: salt.to_owned(),
        })
    };
    let mut checkout = config(true, "off", rollout("on", "off", 25_000, "new-checkout"));
    checkout.rules = vec![Rule {
        id: "staff".to_owned(),
        description: "Staff always see the new checkout".to_owned(),
        clauses: vec![Clause::attribute("email", Op::EndsWith("@demo.test".to_owned()))],
        serve: Serve::variation("on"),
    }];
    let flags = [
        (
            "demo",
            flag(
                "new-checkout",
                "New checkout",
                FlagKind::Boolean,
                vec![variation("on", json!(true)), variation("off", json!(false))],
            ),
            checkout,
        ),
        (
            "demo",
            flag(
                "banner-text",
                "Banner text",
                FlagKind::String,
                vec![
                    variation("welcome", json!("Welcome back!")),
                    variation("sale", json!("Winter sale: 20% off")),
                ],
            ),
            config(true, "welcome", Serve::variation("sale")),
        ),
        (
            "demo",
            flag(
                "search-page-size",
                "Search page size",
                FlagKind::Number,
                vec![variation("small", json!(20)), variation("large", json!(50))],
            ),
            config(false, "small", Serve::variation("large")),
        ),
        (
            "demo",
            flag(
                "recommendations",
                "Recommendation settings",
                FlagKind::Json,
                vec![
                    variation("basic", json!({"model": "popular", "slots": 3})),
                    variation("personal", json!({"model": "personal", "slots": 6})),
                ],
            ),
            config(true, "basic", Serve::variation("personal")),
        ),
        (
            DC_PROJECT,
            flag(
                "bulk-picking",
                "Bulk picking",
                FlagKind::Boolean,
                vec![variation("on", json!(true)), variation("off", json!(false))],
            ),
            config(true, "off", rollout("on", "off", 40_000, "bulk-picking")),
        ),
    ];
    for (project, flag, config) in &flags {
        match store.create_flag(project, flag, config, "demo").await {
            Ok(_) | Err(StoreError::Conflict(_)) => {}
            Err(e) => {
                return Err(e).with_context(|| format!("cannot create the demo flag {}", flag.key));
            }
        }
    }
    let kept = store.secret(SDK_KEY_SETTING).await?;
    if let Some(key) = kept.map(|k| k.expose_secret().to_owned())
        && store.sdk_key_scope(&key).await?.is_some()
    {
        return Ok(key);
    }
    let key = store.create_sdk_key("demo", "production", "demo").await?;
    store.put_secret(SDK_KEY_SETTING, &secrecy::SecretString::from(key.clone())).await?;
    Ok(key)
}
