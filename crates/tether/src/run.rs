//! What each command does: open the store, run the server until a signal, the
//! demo, migrations and the configuration check.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use secrecy::ExposeSecret;
use tether_server::{AppState, ServerConfig};
use tether_store::{MasterKey, Store, StoreError};
use tokio::net::TcpListener;

use crate::config::{Config, ConfigError, LogFormat};
use crate::dblock::DatabaseLock;

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub(crate) fn init_tracing(config: &Config) -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .map_err(|e| ConfigError(format!("log: {e}")))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = match config.log_format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    result.map_err(|e| anyhow::anyhow!("cannot set up logging: {e}"))
}

pub fn config_check(config: &Config) -> Result<()> {
    // Read the key (without creating one) so a malformed key fails the check.
    let key_note = match &config.master_key {
        Some(text) => {
            MasterKey::from_encoded(text.expose_secret())
                .map_err(|e| ConfigError(format!("master_key (TETHER_MASTER_KEY): {e}")))?;
            "master key: from configuration".to_owned()
        }
        None => {
            let path = config.master_key_path();
            if path.exists() {
                read_key_file(&path)?;
                format!("master key: {}", path.display())
            } else {
                format!("master key: will be generated at {} on first start", path.display())
            }
        }
    };
    print!("{}", config.to_redacted_toml());
    eprintln!("configuration is valid; {key_note}");
    Ok(())
}

/// The master key from the configuration, else from its file, which is created
/// (mode 0600) with a fresh key on first start.
fn master_key(config: &Config) -> Result<MasterKey> {
    if let Some(text) = &config.master_key {
        return MasterKey::from_encoded(text.expose_secret())
            .map_err(|e| ConfigError(format!("master_key (TETHER_MASTER_KEY): {e}")).into());
    }
    let path = config.master_key_path();
    if path.exists() {
        return read_key_file(&path);
    }
    let key = MasterKey::generate();
    write_key_file(&path, &key)?;
    tracing::warn!(
        path = %path.display(),
        "generated a new master key; back it up; without it stored secrets cannot be read"
    );
    Ok(key)
}

fn read_key_file(path: &Path) -> Result<MasterKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the master key file {}", path.display()))?;
    MasterKey::from_encoded(&text)
        .map_err(|e| ConfigError(format!("master key file {}: {e}", path.display())).into())
}

fn write_key_file(path: &Path, key: &MasterKey) -> Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create the master key file {}", path.display()))?;
    writeln!(file, "{}", key.to_base64())
        .with_context(|| format!("cannot write the master key file {}", path.display()))?;
    Ok(())
}

/// Opens the database and applies pending migrations.
pub(crate) async fn open_store(config: &Config) -> Result<Store> {
    let key = master_key(config)?;
    let url = config.database_url.expose_secret();
    let store = Store::connect(url, key).await?;
    let applied = store.migrate().await.map_err(|e| match e {
        StoreError::WrongMasterKey => anyhow::Error::new(e),
        other => anyhow::Error::new(other).context("cannot prepare the database"),
    })?;
    if applied > 0 {
        tracing::info!(applied, "applied database migrations");
    }
    Ok(store)
}

pub async fn migrate(config: Config) -> Result<()> {
    init_tracing(&config)?;
    let _lock = DatabaseLock::acquire(config.database_url.expose_secret(), "tether migrate")?;
    let store = open_store(&config).await?;
    let status = store.schema_status().await?;
    println!(
        "database is current: {} of {} migrations applied ({})",
        status.applied,
        status.expected,
        store.backend_kind().as_str()
    );
    store.close().await;
    Ok(())
}

/// Opens the store (migrating it), runs `f` on it, and closes it.
pub async fn with_store<F, Fut>(config: Config, f: F) -> Result<()>
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    init_tracing(&config)?;
    let store = open_store(&config).await?;
    let result = f(store.clone()).await;
    store.close().await;
    result
}

/// Like [`with_store`], for commands that work on data that must already be there
/// (listing tokens, backfilling a site): a missing SQLite database or master key
/// file is an error saying where it was looked for, and nothing is created.
pub async fn with_existing_store<F, Fut>(config: Config, f: F) -> Result<()>
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    existing_data(&config)?;
    with_store(config, f).await
}

fn existing_data(config: &Config) -> Result<(), ConfigError> {
    let hint = "this command creates nothing; run it in the folder `tether serve` runs in, \
                or name that configuration with --config";
    if let Some(db) = crate::dblock::sqlite_path(config.database_url.expose_secret())
        && !db.exists()
    {
        return Err(ConfigError(format!(
            "no tether database at {} (database_url); {hint}",
            db.display()
        )));
    }
    if config.master_key.is_none() {
        let key = config.master_key_path();
        if !key.exists() {
            return Err(ConfigError(format!(
                "no master key at {} (master_key_file, or data_dir's master.key); {hint}",
                key.display()
            )));
        }
    }
    Ok(())
}

pub async fn serve(config: Config) -> Result<()> {
    init_tracing(&config)?;
    let mut lock = DatabaseLock::acquire(config.database_url.expose_secret(), "tether serve")?;
    let store = open_store(&config).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    if let Some(lock) = &mut lock {
        lock.announce(&config.public_url())?;
    }
    run_server(&config, store, listener, None).await
}

/// `tether jira-sandbox`'s options.
#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    /// Which Jira to play: Cloud (REST v3 and v2) or Data Center (v2 only).
    #[arg(long, value_enum, default_value = "cloud")]
    flavour: SandboxFlavour,
    /// The version a Data Center sandbox reports.
    #[arg(long, default_value = "9.12.0", value_name = "VERSION")]
    dc_version: String,
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 8081)]
    port: u16,
    /// Generate this many issues (with projects, users, histories, comments).
    #[arg(long, default_value_t = 0, value_name = "N")]
    seed_issues: usize,
    /// Load issues from a JSON file of Jira issue payloads (an array, or a search response
    /// page), with users.json, statuses.json, priorities.json, resolutions.json,
    /// issuetypes.json, fields.json, projects.json, boards.json and sprints.json beside it when
    /// there.
    #[arg(long, value_name = "FILE")]
    seed_file: Option<std::path::PathBuf>,
    /// Seed of the deterministic generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SandboxFlavour {
    Cloud,
    Dc,
}

pub async fn jira_sandbox(args: SandboxArgs) -> Result<()> {
    use jira_sandbox::{Flavour, Sandbox, SandboxConfig};
    let flavour = match args.flavour {
        SandboxFlavour::Cloud => Flavour::Cloud,
        SandboxFlavour::Dc => Flavour::data_center(&args.dc_version),
    };
    let sandbox =
        Sandbox::new(SandboxConfig::with_flavour(flavour)).context("cannot set up the sandbox")?;
    if let Some(path) = &args.seed_file {
        // The issues file and, beside it, the site's users, statuses, projects, boards and
        // sprints (jira_sandbox::EXPORT_FILES).
        let report = sandbox.load_export_file(path).map_err(|e| match e {
            jira_sandbox::LoadError::BadFile { file, reason }
                if file == path.display().to_string() && reason.starts_with("cannot read") =>
            {
                let why = reason.trim_start_matches("cannot read it: ");
                ConfigError(format!("cannot read seed file {}: {why}", path.display()))
            }
            e => ConfigError(format!("seed file {}: {e}", path.display())),
        })?;
        eprintln!("loaded {} issues from {}", report.issues, report.files.join(", "));
    }
    if args.seed_issues > 0 {
        let started = std::time::Instant::now();
        let report = sandbox.seed_issues(args.seed_issues, args.seed);
        eprintln!(
            "generated {} issues, {} comments, {} history entries in {} ms",
            report.issues,
            report.comments,
            report.histories,
            started.elapsed().as_millis()
        );
    }
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], args.port));
    let listener =
        TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let url = format!("http://{}", listener.local_addr()?);
    print!("{}", sandbox.banner(&url));
    println!("Press Ctrl-C to stop.");
    let signals = Signals::install()?;
    sandbox
        .serve(listener, async move {
            signals.recv().await;
        })
        .await
        .context("the sandbox server failed")
}

/// Work that runs once the server accepts requests, and yields what to print
/// then; the server stops (and the command fails) if it fails.
pub(crate) type Setup = std::pin::Pin<Box<dyn Future<Output = Result<String>> + Send>>;

/// Serves until SIGINT or SIGTERM, with the background worker beside it.
/// Prints `setup`'s banner once it is done (or a plain line without one).
pub(crate) async fn run_server(
    config: &Config,
    store: Store,
    listener: TcpListener,
    setup: Option<Setup>,
) -> Result<()> {
    let addr = listener.local_addr()?;
    // Unless configured, links (and the webhook URLs people paste into forges) name the
    // address actually bound, which for `listen = "…:0"` is not the configured one.
    let public_url = match &config.public_url {
        Some(_) => config.public_url(),
        None => format!("http://{addr}"),
    };
    let server_config = ServerConfig {
        body_limit: config.body_limit,
        public_url: public_url.clone(),
        ofrep_rate_limit: config.ofrep_rate_limit,
        connect_app_key: config.jira.connect_app_key.clone(),
        connect_install_keys_url: config.jira.connect_install_keys_url.clone(),
        forge_app_id: Some(config.jira.forge_app_id.trim().to_owned()).filter(|a| !a.is_empty()),
        forge_jwks_url: config.jira.forge_jwks_url.clone(),
        connect_allowed_hosts: config.jira.connect_allowed_hosts.clone(),
        auth_failures: tether_server::FailureLimit {
            burst: config.auth_failure_burst,
            per_minute: config.auth_failures_per_minute,
        },
        outbound: config.outbound(),
        sessions: tether_store::SessionLimits {
            idle: Duration::from_secs(config.session_idle_minutes.saturating_mul(60)),
            absolute: Duration::from_secs(config.session_absolute_hours.saturating_mul(3600)),
        },
        ..ServerConfig::default()
    };
    let state = AppState::new(store.clone(), server_config);
    let signals = Signals::install()?;
    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (failed_tx, failed_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        tokio::select! {
            name = signals.recv() => {
                tracing::info!(signal = name, "shutting down; letting requests in flight finish");
            }
            Ok(()) = failed_rx => tracing::info!("shutting down after a failed start"),
        }
        let _ = stop_tx.send(true);
        let _ = signalled_tx.send(());
    };
    // Background work (webhook deliveries, flag state and code to Jira, scans) beside the
    // server, stopped with it.
    let worker_name = format!("tether-{}-{:x}", std::process::id(), rand::random::<u32>());
    let options =
        tether_jira::Options { outbound: config.outbound(), ..tether_jira::Options::default() };
    let jira_clients = tether_sync::jira::JiraClients::new(store.clone(), options.clone());
    let code = tether_sync::dev_to_jira::DevContext::new(
        jira_clients.clone(),
        options,
        public_url.clone(),
    );
    let worker = tether_sync::Worker::new(store.clone(), worker_name)
        .with_outbound(config.outbound())
        .with_jira(jira_clients, public_url)
        .with_code(code)
        .with_job(crate::git::ScanJob)
        // The forges' deliveries are answered first: see GiveWay.
        .with_give_way(tether_sync::GiveWay::default());
    let ingest_stop = stop_rx.clone();
    let worker = tokio::spawn(worker.run(WORKER_IDLE, async move {
        let mut stop = stop_rx;
        let _ = stop.wait_for(|stopped| *stopped).await;
    }));
    // Ticket ingestion beside it: its own claims, its own loop (see tether_sync::ingest).
    let ingester = ingester(config, &store);
    let ingester = tokio::spawn(ingester.run(INGEST_IDLE, async move {
        let mut stop = ingest_stop;
        let _ = stop.wait_for(|stopped| *stopped).await;
    }));
    tracing::info!(%addr, backend = store.backend_kind().as_str(), "tether is listening");
    let mut setup = setup;
    if setup.is_none() {
        println!("tether is listening on http://{addr}");
    }
    let mut failed_tx = Some(failed_tx);
    let mut setup_error = None;
    let server = tether_server::serve(state, listener, shutdown);
    tokio::pin!(server);
    tokio::pin!(signalled_rx);
    let grace = Duration::from_secs(config.shutdown_grace_seconds);
    loop {
        tokio::select! {
            result = &mut server => {
                result.context("the server failed")?;
                break;
            }
            Ok(()) = &mut signalled_rx => {
                if tokio::time::timeout(grace, &mut server).await.is_err() {
                    tracing::warn!(
                        seconds = grace.as_secs(),
                        "requests still running after the grace period; stopping anyway"
                    );
                }
                break;
            }
            done = async { setup.as_mut().expect("guarded").await }, if setup.is_some() => {
                setup = None;
                match done {
                    Ok(banner) => println!("{banner}"),
                    Err(e) => {
                        setup_error = Some(e);
                        if let Some(tx) = failed_tx.take() {
                            let _ = tx.send(());
                        }
                    }
                }
            }
        }
    }
    if tokio::time::timeout(grace, worker).await.is_err() {
        tracing::warn!("background work still running after the grace period; stopping anyway");
    }
    if tokio::time::timeout(grace, ingester).await.is_err() {
        tracing::warn!("ticket ingestion still running after the grace period; stopping anyway");
    }
    store.close().await;
    tracing::info!("stopped");
    match setup_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// How long the background worker waits when it found nothing to do.
const WORKER_IDLE: Duration = Duration::from_millis(500);
/// How long the ingester waits when nothing was due.
const INGEST_IDLE: Duration = Duration::from_secs(1);

/// The ticket ingester of this process: Jira reaches it at the public URL for webhooks.
pub(crate) fn ingester(config: &Config, store: &Store) -> tether_sync::ingest::Ingester {
    use tether_sync::ingest::{IngestOptions, Ingester, TicketClients};
    let name = format!("tether-ingest-{}-{:x}", std::process::id(), rand::random::<u32>());
    let options =
        IngestOptions { public_url: Some(config.public_url()), ..IngestOptions::default() };
    let clients = TicketClients::new(
        store.clone(),
        tether_jira::Options { outbound: config.outbound(), ..tether_jira::Options::default() },
    );
    Ingester::new(store.clone(), clients, name, options)
}

/// SIGINT (Ctrl-C) and SIGTERM handlers, installed before the server says it is
/// listening so that a signal sent right after that line is never missed.
struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                int: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
                term: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// Resolves on the first signal, naming it.
    async fn recv(mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.int.recv() => "SIGINT",
                _ = self.term.recv() => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}
