//! `cargo xtask bench intake`: the forges' webhook intake (`POST /hooks/github/{id}`,
//! `/hooks/gitlab/{id}`) of a release `tether serve` under load.
//!
//! Per backend (SQLite, and PostgreSQL with `--pg URL`) a fresh database gets a GitHub and
//! a GitLab repository with webhook secrets; `tether serve` runs on it (its worker too, as
//! in production) and is loaded over N keep-alive connections by `load.rs`'s closed loops,
//! first with GitHub push deliveries, then with GitLab Push Hooks. Every delivery is made
//! anew from tether-forge's fixtures (the payloads of GitHub's and GitLab's documentation):
//! its own head commit, its own `X-GitHub-Delivery` (or GitLab event UUID and
//! `Idempotency-Key`) and, for GitHub, its own `X-Hub-Signature-256`, so each is stored
//! (a 202; a 200 would be a duplicate, counted as an error). Afterwards the stored events
//! are counted and must equal the deliveries sent. Before the server is stopped, the
//! worker's backlog (outbox rows left when the load stopped) is waited for and timed, with
//! the server's CPU meanwhile: the processing the phases' figures do not include.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tether_store::dev::{CodeSettings, NewRepository, RepoSource};
use tether_store::{MasterKey, Store};

use super::load::{self, ClientKind, PhaseResult, Req, Requests};
use super::server::Server;
use super::sys;

#[derive(Debug, Clone, clap::Args)]
pub struct IntakeArgs {
    #[command(flatten)]
    load: load::LoadArgs,
    /// Also on this PostgreSQL server (a scratch database is created on it).
    #[arg(long, value_name = "URL")]
    pg: Option<String>,
    /// Stops each server when its load stops, without waiting for (and timing) the worker's
    /// backlog: the phases' figures only, in a minute instead of several.
    #[arg(long)]
    no_drain: bool,
}

const GITHUB_SECRET: &str = "bench-github-webhook-secret";
const GITLAB_TOKEN: &str = "bench-gitlab-webhook-token";
const GITHUB_FIXTURE: &str = "crates/tether-forge/tests/it/fixtures/github/push_commits.json";
const GITLAB_FIXTURE: &str = "crates/tether-forge/tests/it/fixtures/gitlab/push.json";
/// p99 target of issue 13 at 32 connections.
const P99_TARGET_MS: f64 = 5.0;

/// One phase's figures and the deliveries it sent and the store kept.
struct Outcome {
    backend: &'static str,
    result: PhaseResult,
    sent: u64,
    stored: i64,
    body_bytes: usize,
    /// The machine's 1-minute load average at the end of the phase.
    load: Option<f64>,
}

/// Runs the benchmark in `dir`; false when anything failed or a count differs.
pub async fn run(args: IntakeArgs, tether: PathBuf, dir: &Path) -> Result<bool> {
    anyhow::ensure!(args.load.connections > 0, "--connections must be at least 1");
    let root = crate::tidy::workspace_root();
    let github = Template::read(&root.join(GITHUB_FIXTURE), "after")?;
    let gitlab = Template::read(&root.join(GITLAB_FIXTURE), "after")?;
    let key = MasterKey::generate();
    let mut backends = vec![("SQLite", format!("sqlite://{}", dir.join("tether.db").display()))];
    let scratch = match &args.pg {
        Some(pg) => Some(super::scratch_database(pg).await?),
        None => None,
    };
    if let Some(db) = &scratch {
        backends.push(("PostgreSQL", db.url().to_owned()));
    }
    let mut outcomes = Vec::new();
    let mut drains = Vec::new();
    for (backend, url) in backends {
        let (gh, gl) = seed(&url, key.clone()).await?;
        let mut server = Server::start(&tether, &url, &key.to_base64(), dir)?;
        eprintln!(
            "bench: tether (pid {}) on {backend} is listening on {}",
            server.pid, server.addr
        );
        let plan = load::Plan {
            client: ClientKind::Raw,
            addr: server.addr,
            connections: args.load.connections,
            warmup: Duration::from_secs(args.load.warmup),
            duration: Duration::from_secs(args.load.duration),
            server_pid: server.pid,
            ok: 202,
        };
        let mut phases = Vec::new();
        for (name, forge, repo, template) in [
            ("github push", Forge::GitHub, gh, &github),
            ("gitlab push", Forge::GitLab, gl, &gitlab),
        ] {
            let deliveries = Arc::new(Deliveries::new(server.addr, forge, repo, template.clone()));
            eprintln!(
                "bench: {backend} {name}: {} connections, {} s warm-up, {} s measured",
                args.load.connections, args.load.warmup, args.load.duration
            );
            let result = load::run_phase(&plan, name, deliveries.clone()).await?;
            eprintln!(
                "bench: {backend} {name}: {:.0} deliveries/s, p99 {:.2} ms, {} errors",
                result.per_second(),
                result.latency.value_at_quantile(0.99) as f64 / 1e6,
                result.errors + result.warmup_errors
            );
            phases.push((result, deliveries.sent(), repo, template.size(), sys::load_average()));
        }
        // Whatever the worker had not done when the load stopped, timed until it is.
        if !args.no_drain {
            drains.push((backend, drain(&url, key.clone(), server.pid).await?));
        }
        let status = server.stop()?;
        anyhow::ensure!(status.success(), "tether exited with {status} after SIGTERM");
        let store = Store::connect(&url, key.clone()).await?;
        for (result, sent, repo, body_bytes, load) in phases {
            let stored = store.dev_event_counts(repo).await?.values().sum();
            outcomes.push(Outcome { backend, result, sent, stored, body_bytes, load });
        }
        store.close().await;
    }
    print!("{}", markdown(&args, &outcomes, &drains));
    Ok(outcomes.iter().all(|o| {
        o.result.errors + o.result.warmup_errors == 0 && i64::try_from(o.sent) == Ok(o.stored)
    }))
}

/// A fresh database with a GitHub and a GitLab repository; their ids.
async fn seed(url: &str, key: MasterKey) -> Result<(i64, i64)> {
    let store = Store::connect(url, key).await.with_context(|| format!("cannot open {url}"))?;
    store.migrate().await?;
    let repo = |name: &str, source, secret: &str| NewRepository {
        name: name.into(),
        source,
        group: None,
        secret: Some(secret.to_owned().into()),
        path: None,
        web_url: None,
        settings: CodeSettings::default(),
    };
    let (github, gitlab) = (
        repo("shop", RepoSource::GitHub, GITHUB_SECRET),
        repo("web", RepoSource::GitLab, GITLAB_TOKEN),
    );
    let gh = store.create_repository(&github, "bench").await?.id;
    let gl = store.create_repository(&gitlab, "bench").await?.id;
    store.close().await;
    Ok((gh, gl))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Forge {
    GitHub,
    GitLab,
}

/// A fixture split around its head commit's id, which each delivery replaces with its own.
#[derive(Debug, Clone)]
struct Template {
    parts: Vec<String>,
}

impl Template {
    /// Reads `path` and splits it around the value of its top-level `field` (a commit id,
    /// found wherever it occurs: the head commit's id and URL too).
    fn read(path: &Path, field: &str) -> Result<Template> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let json: serde_json::Value = serde_json::from_str(&text)?;
        let sha = json[field]
            .as_str()
            .filter(|s| s.len() == 40)
            .ok_or_else(|| anyhow!("{} has no commit id at {field:?}", path.display()))?;
        Ok(Template { parts: text.split(sha).map(str::to_owned).collect() })
    }

    fn body(&self, sha: &str) -> Vec<u8> {
        self.parts.join(sha).into_bytes()
    }

    fn size(&self) -> usize {
        self.body(&"0".repeat(40)).len()
    }
}

/// Deliveries made on demand, each different, counted as they are made (each one made is
/// sent: the load loop asks for a request only to send it).
struct Deliveries {
    addr: std::net::SocketAddr,
    forge: Forge,
    path: String,
    template: Template,
    made: AtomicU64,
}

impl Deliveries {
    fn new(addr: std::net::SocketAddr, forge: Forge, repo: i64, template: Template) -> Deliveries {
        let path = match forge {
            Forge::GitHub => format!("/hooks/github/{repo}"),
            Forge::GitLab => format!("/hooks/gitlab/{repo}"),
        };
        Deliveries { addr, forge, path, template, made: AtomicU64::new(0) }
    }

    fn sent(&self) -> u64 {
        self.made.load(Ordering::Relaxed)
    }
}

impl Requests for Deliveries {
    /// Connections start this far apart, so no two ever make the same delivery.
    fn len(&self) -> usize {
        1 << 40
    }

    fn get(&self, i: usize) -> std::borrow::Cow<'_, Req> {
        self.made.fetch_add(1, Ordering::Relaxed);
        let sha = format!("{:040x}", i as u64 + 1);
        let uuid = format!("{:08x}-4b1d-4e2a-9c3f-{:012x}", i >> 48, i & 0xffff_ffff_ffff);
        let body = self.template.body(&sha);
        let req = match self.forge {
            Forge::GitHub => {
                let mut mac =
                    Hmac::<Sha256>::new_from_slice(GITHUB_SECRET.as_bytes()).expect("any key");
                mac.update(&body);
                let signature = format!("sha256={}", hex(&mac.finalize().into_bytes()));
                let headers = [
                    ("user-agent", "GitHub-Hookshot/8a5b3c1"),
                    ("x-github-event", "push"),
                    ("x-github-delivery", uuid.as_str()),
                    ("x-github-hook-id", "488126543"),
                    ("x-github-hook-installation-target-type", "repository"),
                    ("x-hub-signature-256", signature.as_str()),
                ];
                Req::post_with(self.addr, &self.path, &headers, body)
            }
            Forge::GitLab => {
                let headers = [
                    ("user-agent", "GitLab/17.6.0"),
                    ("x-gitlab-event", "Push Hook"),
                    ("x-gitlab-token", GITLAB_TOKEN),
                    ("x-gitlab-event-uuid", uuid.as_str()),
                    ("x-gitlab-webhook-uuid", "f0b4e2c6-1d3a-4f5e-8a7b-9c0d1e2f3a4b"),
                    ("idempotency-key", uuid.as_str()),
                    ("x-gitlab-instance", "https://gitlab.example.com"),
                ];
                Req::post_with(self.addr, &self.path, &headers, body)
            }
        };
        std::borrow::Cow::Owned(req)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn markdown(args: &IntakeArgs, outcomes: &[Outcome], drains: &[(&str, Drain)]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // The command's flags beyond the load's, as given.
    let pg = if args.pg.is_some() { " --pg URL" } else { "" };
    let no_drain = if args.no_drain { " --no-drain" } else { "" };
    let _ = writeln!(s, "\n### Webhook intake benchmark\n");
    let _ = writeln!(
        s,
        "`cargo xtask bench intake --connections {} --duration {} --warmup {}{pg}{no_drain}`\n",
        args.load.connections, args.load.duration, args.load.warmup
    );
    let _ = writeln!(
        s,
        "- tether (release), its worker running; {} ({cores} cores), shared by the server and \
         the load generator. Deliveries: tether-forge's push fixtures ({}), each with its own \
         head commit and delivery id (GitHub: its own signature).",
        sys::cpu_model(),
        outcomes
            .iter()
            .take(2)
            .map(|o| format!("{} {} bytes", o.result.name, o.body_bytes))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        s,
        "- {} keep-alive connections in closed loops; {} s warm-up, {} s measured per phase; \
         latency from writing a request (made beforehand) to reading its last byte. Target: \
         p99 under {P99_TARGET_MS} ms. CPU per request: tether's, and the load generator's; \
         others: the rest of the machine (PostgreSQL's server among them), in cores; load: the \
         1-minute load average at the phase's end.\n",
        args.load.connections, args.load.warmup, args.load.duration
    );
    let _ = writeln!(
        s,
        "| backend | deliveries | requests/s | p50 | p99 | max | server CPU per request | \
         generator CPU per request | others | load | errors | sent | stored | p99 target |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for o in outcomes {
        let r = &o.result;
        let q = |p: f64| format!("{:.2} ms", r.latency.value_at_quantile(p) as f64 / 1e6);
        let per_request = r.cpu.server / r.per_second().max(1e-9) * 1e6;
        let generator = r.cpu.generator / r.per_second().max(1e-9) * 1e6;
        let load = o.load.map_or_else(|| "?".to_owned(), |l| format!("{l:.1}"));
        let p99 = r.latency.value_at_quantile(0.99) as f64 / 1e6;
        let _ = writeln!(
            s,
            "| {} | {} | {:.0} | {} | {} | {:.2} ms | {per_request:.0} µs ({:.2} cores) | \
             {generator:.0} µs | {:.2} cores | {load} | {} | {} | {} | {} |",
            o.backend,
            r.name,
            r.per_second(),
            q(0.5),
            q(0.99),
            r.latency.max() as f64 / 1e6,
            r.cpu.server,
            r.cpu.other,
            r.errors + r.warmup_errors,
            o.sent,
            o.stored,
            if p99 < P99_TARGET_MS { "met" } else { "missed" }
        );
    }
    let _ = writeln!(s);
    for (backend, d) in drains {
        let per_row = if d.rows > 0 { d.cpu_seconds / d.rows as f64 * 1e6 } else { 0.0 };
        let _ = writeln!(
            s,
            "- {backend}: {} outbox rows (each stored delivery makes two) were waiting when the \
             load stopped; the worker finished them in {:.1} s{}, using {:.2} s of server CPU \
             ({per_row:.0} µs a row).",
            d.rows,
            d.seconds,
            if d.left > 0 {
                format!(" except {} (gave up waiting)", d.left)
            } else {
                String::new()
            },
            d.cpu_seconds,
        );
    }
    s
}

/// The worker's backlog when the load stopped: its outbox rows, how long until none was
/// left (or `left` when waiting was given up), and the server's CPU meanwhile.
struct Drain {
    rows: i64,
    left: i64,
    seconds: f64,
    cpu_seconds: f64,
}

/// The longest the backlog is waited for.
const DRAIN_LIMIT: Duration = Duration::from_secs(600);

async fn drain(url: &str, key: MasterKey, server_pid: u32) -> Result<Drain> {
    let store = Store::connect(url, key).await?;
    let started = std::time::Instant::now();
    let before = sys::CpuSample::take(&[server_pid]);
    let rows = store.outbox_stats().await?.pending;
    let mut left = rows;
    while left > 0 && started.elapsed() < DRAIN_LIMIT {
        tokio::time::sleep(Duration::from_millis(50)).await;
        left = store.outbox_stats().await?.pending;
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu = before.until(&sys::CpuSample::take(&[server_pid]));
    store.close().await;
    Ok(Drain { rows, left, seconds, cpu_seconds: cpu.server * seconds })
}
