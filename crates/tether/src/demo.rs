//! `tether demo`: the product on its embedded defaults. SQLite in the data
//! folder, a sample project, and two bundled Jira sandboxes in this process: a
//! Cloud one tether sends to with OAuth credentials (as a self-hosted tether
//! does with Jira Cloud), and a Data Center one it signs in to with a personal
//! access token; and the Cloud one's projects are ingested as tickets. The
//! sandboxes live in memory and stop with the demo; tether's data stays for the
//! next run.

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
const CLOUD_SITE: &str = "demo-cloud-sandbox";

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
    // The demo calls its own API where it listens: the public URL may name a proxy or a host
    // this machine does not reach.
    let local = local_url(config.listen);
    let setup = {
        let jira = jira.as_ref().map(Sandboxes::handles);
        let store = store.clone();
        let data_dir = config.data_dir.clone();
        async move {
            if let Some((cloud, dc)) = jira {
                let part = connect_jira(&store, (&local, &url), &api_token, cloud, dc, &data_dir)
                    .await
                    .context(
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
    // Named as a site admin would name their Jira, so the Integrations page tells them apart.
    let title = if flavour.is_cloud() {
        "Demo Jira Cloud sandbox"
    } else {
        "Demo Jira Data Center sandbox"
    };
    let config =
        SandboxConfig { server_title: title.to_owned(), ..SandboxConfig::with_flavour(flavour) };
    let sandbox = Sandbox::new(config).context("cannot set up a sandbox")?;
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
        // Weeks of history up to now, so the delivery insight has recent work to show.
        let now = tether_store::now_ms();
        sandbox.seed_issues_laid_out(generated, 1, jira_sandbox::Layout::recent(now));
    }
    Ok(sandbox)
}

/// Ties the demo projects to the sandboxes, the way a user would: the Cloud
/// sandbox is registered with OAuth credentials, the Data Center sandbox
/// with a personal access token, and flags are linked to issues through the
/// API (which checks each issue against Jira). Returns the banner's Jira part.
async fn connect_jira(
    store: &Store,
    (local, url): (&str, &str),
    token: &str,
    (cloud, cloud_url): (Sandbox, String),
    (dc, dc_url): (Sandbox, String),
    data_dir: &Path,
) -> Result<String> {
    forget_earlier_sandboxes(store).await?;
    let api = Api::at(local, token);

    // What a site admin creates in Jira (Settings → Apps → OAuth credentials) and pastes
    // into tether, with an account's API token beside it for the calls those credentials may
    // not make (issue checks, the tether.flags property, comments); the sandbox plays
    // Atlassian's token endpoint and gateway too.
    let body = json!({"name": CLOUD_SITE, "url": cloud_url, "kind": "oauth2",
        "user": jira_sandbox::DEFAULT_OAUTH_CLIENT_ID,
        "secret": jira_sandbox::DEFAULT_OAUTH_CLIENT_SECRET,
        "email": jira_sandbox::DEFAULT_EMAIL, "api_token": jira_sandbox::DEFAULT_API_TOKEN,
        "options": {"token_url": format!("{cloud_url}/oauth/token"), "gateway_url": cloud_url}});
    api.call(reqwest::Method::POST, "/api/jira/sites", Some(body)).await?;
    let environments = ["staging", "production"];
    api.call(
        reqwest::Method::PUT,
        "/api/projects/demo/jira",
        Some(json!({"site": CLOUD_SITE, "environments": environments})),
    )
    .await?;
    link_all(&api, "demo", CLOUD_ISSUES).await?;
    let site = store.jira_site_by_name(CLOUD_SITE).await?;
    let tickets = ingest_cloud(store, &api, &site).await?;

    let body = json!({"name": DC_SITE, "url": dc_url, "kind": "pat",
        "secret": jira_sandbox::DEFAULT_PAT});
    api.call(reqwest::Method::POST, "/api/jira/sites", Some(body)).await?;
    let body = json!({"site": DC_SITE, "environments": environments});
    api.call(reqwest::Method::PUT, &format!("/api/projects/{DC_PROJECT}/jira"), Some(body)).await?;
    link_all(&api, DC_PROJECT, DC_ISSUES).await?;
    // A connection test each, as a person runs after adding a site: it records each Jira's
    // title for the Integrations page (and says what is wrong, should anything be).
    for site in [CLOUD_SITE, DC_SITE] {
        let report =
            api.call(reqwest::Method::POST, &format!("/api/jira/sites/{site}/test"), None).await?;
        if report["ok"] != Value::Bool(true) {
            tracing::warn!(site, report = %report, "a demo Jira sandbox failed its connection test");
        }
    }

    // Let the first delivery land, so the pages the banner names show it.
    let delivered = wait_until(Duration::from_secs(15), || {
        !cloud.feature_flags().is_empty() && !dc.remote_links(Some("WH-1")).is_empty()
    })
    .await;
    let mut out = format!(
        "\n  Flags on Jira issues, with two bundled Jira sandboxes (in memory; they stop with the demo):\n  \
         Jira Cloud sandbox:       {cloud_url}  (tether sends with OAuth credentials, client id {client_id},\n                            \
         and {email}'s API token beside them for issues)\n    \
         toggle \"New checkout\" in production:  {url}/flags/demo/new-checkout?env=production\n    \
         and watch SHOP-1's feature flags:     {cloud_url}/browse/SHOP-1\n  \
         Jira Data Center sandbox: {dc_url}  (tether signs in with the personal access token {pat})\n    \
         toggle \"Bulk picking\" in production:  {url}/flags/{DC_PROJECT}/bulk-picking?env=production\n    \
         and watch WH-1's remote link:         {dc_url}/browse/WH-1\n  \
         The sandboxes' REST APIs: Cloud as {email} with API token {api_token}, \
         Data Center as {user} with password {password}.\n  \
         Instead of OAuth credentials, Jira Cloud can take tether as an app, which also puts \
         \"Create feature flag\" and \"Connect feature flag\" on each issue:\n    \
         Forge:   cd forge && npx forge register && npx forge deploy && npx forge install \
         (forge/README.md)\n    \
         Connect: Jira → Apps → Manage apps → Upload app: {url}/atlassian-connect.json \
         (existing installs only; Atlassian ends Connect support in December 2026)\n",
        client_id = jira_sandbox::DEFAULT_OAUTH_CLIENT_ID,
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
    out.push_str(&format!(
        "\n  Tickets ingested from the Jira Cloud sandbox ({tickets} so far, with their history, comments and sprints):\n    \
         {url}/tickets\n    its ingestion (connection, checks, projects): {url}/tickets/sites/{}\n    \
         searched with JQL:   {url}/tickets?jql=project%20%3D%20SHOP%20ORDER%20BY%20key\n    \
         delivery insight (cycle time, throughput, flow, first commit → flag on): {url}/insights\n",
        site.name
    ));
    let code =
        crate::demo_code::connect(store, &api, url, &site.name, (&cloud, &cloud_url), data_dir)
            .await
            .context("cannot set up the demo's code repositories")?;
    out.push_str(&code);
    // The scan closed SHOP-3 and SHOP-4 after the first ingestion pass: a pass now brings
    // that in, so the delivery insight shows it from the start.
    let run = format!("/api/tickets/sites/{}/run", tether_jira::percent_encode(&site.name));
    api.call(reqwest::Method::POST, &run, None).await.context("cannot start an ingestion pass")?;
    Ok(out)
}

/// Ticket ingestion from the Cloud sandbox, set up the way a person would: the sandbox
/// admin's API token as the service account, checked, every project auto-imported; the
/// server's ingester brings them in. Loopback needs no pacing, so the site gets none. Waits
/// (at most 60 s) for every imported project's first pass and answers how many tickets came.
async fn ingest_cloud(store: &Store, api: &Api, site: &tether_store::JiraSite) -> Result<i64> {
    let mut options = site.options.clone();
    options.insert("requests_per_second".into(), json!(500));
    let unpaced = tether_store::NewJiraSite {
        name: site.name.clone(),
        url: site.url.clone(),
        api_url: site.api_url.clone(),
        deployment: site.deployment.clone(),
        auth_kind: site.auth_kind,
        auth_user: site.auth_user.clone(),
        secret: store.jira_site_secret(site.id).await?,
        options,
    };
    store.update_jira_site(site.id, &unpaced, "demo").await?;
    let path = format!("/api/tickets/sites/{}", site.name);
    let connection = json!({"kind": "api_token", "user": jira_sandbox::DEFAULT_EMAIL,
        "secret": jira_sandbox::DEFAULT_API_TOKEN});
    api.call(reqwest::Method::PUT, &format!("{path}/connection"), Some(connection)).await?;
    api.call(reqwest::Method::PUT, &format!("{path}/settings"), Some(json!({"auto_import": true})))
        .await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let projects = store.ticket_projects(site.id).await?;
        let done =
            projects.iter().filter(|p| p.imported).all(|p| p.last_pass_finished_at.is_some());
        if done || tokio::time::Instant::now() >= deadline {
            return Ok(store.ticket_counts(site.id).await?.values().sum());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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
    for name in [CLOUD_SITE, DC_SITE] {
        if let Ok(site) = store.jira_site_by_name(name).await {
            store.delete_jira_site(site.id, "demo").await?;
        }
    }
    Ok(())
}

/// Where this process answers, from the address it listens on (an unspecified address is
/// answered on loopback).
fn local_url(listen: SocketAddr) -> String {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::from([127, 0, 0, 1]),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, listen.port()))
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
