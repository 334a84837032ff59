//! `cargo xtask bench ofrep`: a load benchmark of tether's OFREP endpoints over loopback
//! (`search` and `ingest` are in modules of their own; `intake` loads the forges' webhook
//! intake the same way, `scan` times local repository scans).
//!
//! The `floor` phase first runs the same single-evaluation load against a minimal hyper
//! server answering one of tether's answers verbatim (`floor.rs`), so every run prints
//! tether's server CPU per request as a multiple of what any Rust HTTP server here costs.
//!
//! It builds `tether` in release, seeds a fresh SQLite database in a temporary folder with
//! `tether-store` (a project, 350 flags of every kind, two segments, an SDK key for
//! production), starts `tether serve` on `127.0.0.1:0`, checks its answers against local
//! evaluation, then drives it with N keep-alive connections in closed loops: the `single`
//! phase evaluates one flag per request over a rotating set of flags and contexts, the
//! `bulk` phase all 350 per request (no `If-None-Match`, so every request evaluates).
//! Every latency goes into an HDR histogram; the server's RSS is sampled every second; CPU
//! use of the server, the generator and everything else is read from `/proc`. The summary
//! is printed as Markdown. The server is stopped and the folder deleted at the end, also
//! on error or Ctrl-C.
//!
//! `cargo xtask` runs a debug build of this crate; a debug load generator would measure
//! itself, so the debug build builds `tether` and `xtask` in release and hands over to
//! the release `xtask` with the same arguments.

mod check;
mod edge;
mod floor;
mod ingest;
mod intake;
mod load;
mod processes;
mod report;
mod scale;
mod scan;
mod search;
mod seed;
mod server;
mod sys;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow};
use clap::Subcommand;
use tether_store::MasterKey;

use self::load::{ClientKind, Req};
use self::server::Server;

/// Set by the debug build for the release build it hands over to: the `tether` binary.
const TETHER_BIN_ENV: &str = "XTASK_BENCH_TETHER_BIN";

#[derive(Debug, Subcommand)]
pub enum Bench {
    /// Load-tests OFREP single and bulk evaluation of a release `tether serve` over loopback.
    Ofrep(OfrepArgs),
    /// JQL search and delivery insight over 100,000 seeded tickets, on SQLite (and PostgreSQL
    /// with `--pg URL`).
    Search(search::SearchArgs),
    /// Jira ticket ingestion of 100,000 sandbox issues through `tether ingest run`: time and
    /// peak memory against a bare fetch loop and the Python `jira` library, an incremental
    /// pass, and with `--kill` SIGKILLs at random moments (and faults) ending identical; on
    /// SQLite (and PostgreSQL with `--pg URL`).
    Ingest(ingest::IngestArgs),
    /// The bare fetch loop of `ingest`, in a process of its own (not for people).
    #[command(hide = true)]
    IngestBare(ingest::BareArgs),
    /// Webhook intake (GitHub and GitLab push deliveries, each stored) of a release `tether
    /// serve` over 32 connections, on SQLite (and PostgreSQL with `--pg URL`).
    Intake(intake::IntakeArgs),
    /// `tether repos scan --now` over a local repository of 100,000 commits made with `git
    /// fast-import`, then rescans with nothing new.
    Scan(scan::ScanArgs),
    /// Flags at scale: evaluation cost per flag at 10,000 flags and 100,000 targets against
    /// 350, snapshot memory per flag, and a toggle's time until evaluation sees it.
    Scale(scale::ScaleArgs),
    /// Several `tether serve` processes on one PostgreSQL database: single-evaluation
    /// throughput on one process and spread over all, and a toggle's time until every
    /// process answers it.
    Processes(processes::ProcessesArgs),
    /// The floor phase's minimal HTTP server (started by `ofrep`; not for people).
    #[command(hide = true)]
    FloorServer(floor::FloorArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct OfrepArgs {
    /// Concurrent keep-alive connections, each in a closed loop.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Measured seconds per phase.
    #[arg(long, default_value_t = 20, value_name = "SECS")]
    duration: u64,
    /// Unmeasured seconds of load before each phase.
    #[arg(long, default_value_t = 3, value_name = "SECS")]
    warmup: u64,
    /// Which phases to run: `all` is the floors, single and bulk; `both` single and bulk.
    /// The bulk floor runs with `all` only.
    #[arg(long, value_enum, default_value_t = PhaseChoice::All)]
    phase: PhaseChoice,
    /// The load generator's HTTP client.
    #[arg(long, value_enum, default_value_t = ClientKind::Raw)]
    client: ClientKind,
    /// Worker threads of the load generator.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Also run the single and bulk phases, same flags and contexts, against a peer in the
    /// same run: `unleash-edge` (offline mode; the binary from the PATH or `UNLEASH_EDGE_BIN`,
    /// installed with `cargo install --locked unleash-edge`).
    #[arg(long, value_enum)]
    peer: Option<Peer>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Peer {
    UnleashEdge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PhaseChoice {
    Floor,
    Single,
    Bulk,
    Both,
    All,
}

impl PhaseChoice {
    fn includes(self, phase: &str) -> bool {
        match self {
            PhaseChoice::All => true,
            PhaseChoice::Both => phase != "floor",
            PhaseChoice::Floor => phase == "floor",
            PhaseChoice::Single => phase == "single",
            PhaseChoice::Bulk => phase == "bulk",
        }
    }
}

/// Runs a benchmark; the exit code is a failure when any request failed.
pub fn run(bench: Bench) -> Result<ExitCode> {
    if let Bench::FloorServer(args) = bench {
        return floor::serve(args).map(|()| ExitCode::SUCCESS);
    }
    if let Bench::IngestBare(args) = bench {
        return ingest::bare(args).map(|()| ExitCode::SUCCESS);
    }
    if let Bench::Ofrep(args) = &bench {
        anyhow::ensure!(args.connections > 0, "--connections must be at least 1");
        anyhow::ensure!(args.duration > 0, "--duration must be at least 1 second");
    }
    let root = crate::tidy::workspace_root();
    let find = |bins: &[(String, PathBuf)], name: &str| {
        bins.iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p.clone())
            .ok_or_else(|| anyhow!("cargo built no `{name}` binary"))
    };
    if let Bench::Scale(args) = bench {
        // In this process, no `tether` binary: only the measuring code wants release.
        if cfg!(debug_assertions) {
            let xtask = find(&server::cargo_build_release(&root, &["xtask"])?, "xtask")?;
            return hand_over(&xtask, None);
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        return runtime.block_on(in_temp_dir(|dir| async move {
            let ok = scale::run(args, &dir).await?;
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }));
    }
    let tether = match std::env::var_os(TETHER_BIN_ENV) {
        // The server runs in a temporary folder: a relative path would not find it there.
        Some(path) => std::path::absolute(&path)
            .with_context(|| format!("cannot find {}", PathBuf::from(&path).display()))?,
        None if cfg!(debug_assertions) => {
            let bins = server::cargo_build_release(&root, &["tether", "xtask"])?;
            let (tether, xtask) = (find(&bins, "tether")?, find(&bins, "xtask")?);
            return hand_over(&xtask, Some(&tether));
        }
        None => find(&server::cargo_build_release(&root, &["tether"])?, "tether")?,
    };
    let threads = match &bench {
        Bench::Ofrep(args) => args.threads.max(1),
        // Most of the two-core machines this runs on is for the server.
        Bench::Intake(_) => 1,
        _ => 2,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    match bench {
        Bench::Ofrep(args) => runtime.block_on(ofrep(args, tether)),
        Bench::Search(args) => runtime.block_on(in_temp_dir(|dir| async move {
            let ok = search::run(args, tether, &dir).await?;
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        })),
        Bench::Intake(args) => runtime.block_on(in_temp_dir(|dir| async move {
            let ok = intake::run(args, tether, &dir).await?;
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        })),
        Bench::Scan(args) => runtime.block_on(in_temp_dir(|dir| async move {
            let ok = scan::run(args, tether, &dir).await?;
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        })),
        Bench::Processes(args) => runtime.block_on(in_temp_dir(|dir| async move {
            let ok = processes::run(args, &tether, &dir).await?;
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        })),
        Bench::Ingest(args) => runtime.block_on(in_temp_dir(|dir| async move {
            let ok = ingest::run(args, tether, &dir).await?;
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        })),
        Bench::FloorServer(_) | Bench::IngestBare(_) | Bench::Scale(_) => {
            unreachable!("run above")
        }
    }
}

/// Runs the release build of xtask with this process's arguments (and the release `tether`
/// it should use), answering its exit code.
fn hand_over(xtask: &Path, tether: Option<&Path>) -> Result<ExitCode> {
    eprintln!("bench: handing over to the release build {}", xtask.display());
    let mut command = Command::new(xtask);
    command.args(std::env::args_os().skip(1));
    if let Some(tether) = tether {
        command.env(TETHER_BIN_ENV, tether);
    }
    let status = command.status().with_context(|| format!("cannot run {}", xtask.display()))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

/// Runs a benchmark in a temporary folder, deleted afterwards (also on error or Ctrl-C).
async fn in_temp_dir<F, Fut>(bench: F) -> Result<ExitCode>
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: Future<Output = Result<ExitCode>>,
{
    let dir = tempfile::Builder::new()
        .prefix("tether-bench-")
        .tempdir()
        .context("cannot create a temporary folder")?;
    let result = tokio::select! {
        r = bench(dir.path().to_owned()) => r,
        e = interrupted() => Err(e),
    };
    let path = dir.path().to_owned();
    dir.close().with_context(|| format!("cannot delete {}", path.display()))?;
    result
}

async fn ofrep(args: OfrepArgs, tether: PathBuf) -> Result<ExitCode> {
    let dir = tempfile::Builder::new()
        .prefix("tether-bench-")
        .tempdir()
        .context("cannot create a temporary folder")?;
    // On Ctrl-C or SIGTERM the benchmark's future is dropped, and with it the server guard
    // (SIGTERM, wait); the folder goes after it.
    let result = tokio::select! {
        r = bench_in(&args, &tether, dir.path()) => r,
        e = interrupted() => Err(e),
    };
    let path = dir.path().to_owned();
    dir.close().with_context(|| format!("cannot delete {}", path.display()))?;
    result
}

async fn bench_in(args: &OfrepArgs, tether: &Path, dir: &Path) -> Result<ExitCode> {
    // Found first, so a missing peer fails the run before any load.
    let edge_bin = match args.peer {
        Some(Peer::UnleashEdge) => Some(edge::find_binary()?),
        None => None,
    };
    let set = seed::flag_set();
    let snapshot = set.snapshot()?;
    let contexts = seed::contexts();
    let key = MasterKey::generate();
    let key_base64 = key.to_base64();
    let url = format!("sqlite://{}", dir.join("tether.db").display());
    eprintln!("bench: seeding {} flags into {}", seed::FLAGS, dir.display());
    let sdk_key = seed::seed(&url, key, &set).await?;

    let mut server = Server::start(tether, &url, &key_base64, dir)?;
    let addr = server.addr;
    eprintln!("bench: tether (pid {}) is listening on {addr}", server.pid);
    let memory = MemorySampler::start(server.pid);
    let compared = check::verify(addr, &sdk_key, &snapshot, &contexts).await?;
    eprintln!("bench: {compared} evaluations checked against tether-flags: all equal");
    let idle_rss = sys::rss_kib(server.pid).unwrap_or(0);

    // Single: 11,200 distinct (flag, context) pairs per cycle, half of all 22,400: flag
    // (151k mod 350) with context (k mod 64), distinct for k below lcm(350, 64); each
    // connection starts at its own point of the cycle.
    // The same pairs for every server (tether, the floor, a peer): (flag key, context index).
    let keys: Vec<&str> = snapshot.flag_keys().collect();
    let pairs: Vec<(&str, usize)> = (0..keys.len() * contexts.len() / 2)
        .map(|k| (keys[(k * 151) % keys.len()], k % contexts.len()))
        .collect();
    let single = |addr| -> Vec<Req> {
        pairs
            .iter()
            .map(|&(key, c)| {
                Req::post(addr, &check::single_path(key), &sdk_key, check::body(&contexts[c]))
            })
            .collect()
    };
    let bulk_to = |addr| -> Vec<Req> {
        contexts
            .iter()
            .map(|ctx| Req::post(addr, check::BULK_PATH, &sdk_key, check::body(ctx)))
            .collect()
    };
    let bulk = bulk_to(addr);
    let reasons = report::reason_mix(&snapshot, &contexts);
    let plan = load::Plan {
        client: args.client,
        addr,
        connections: args.connections,
        warmup: Duration::from_secs(args.warmup),
        duration: Duration::from_secs(args.duration),
        server_pid: server.pid,
        ok: 200,
    };
    let mut results = Vec::new();
    let tether_single = single(addr);

    // The floor answers what tether answers to the first single request, byte for byte;
    // the bulk floor (with the bulk phase) what it answers to the first bulk request, 38 KiB
    // of it, under the bulk phase's load: what HTTP and the kernel cost for that answer.
    type Requests<'a> = &'a dyn Fn(std::net::SocketAddr) -> Vec<Req>;
    let floors: [(&str, &Req, Requests); 2] =
        [("floor", &tether_single[0], &single), ("bulk floor", &bulk[0], &bulk_to)];
    for (name, first, reqs) in floors {
        if !args.phase.includes("floor") || (name == "bulk floor" && !args.phase.includes("bulk")) {
            continue;
        }
        let mut conn = load::Conn::connect(ClientKind::Raw, addr).await?;
        let answer = conn.send(first, true).await?;
        anyhow::ensure!(
            answer.status == 200,
            "tether answered {} to {name}'s request",
            answer.status
        );
        let body_file = dir.join(format!("{}-body.json", name.replace(' ', "-")));
        std::fs::write(&body_file, answer.body.unwrap_or_default())?;
        let mut floor = Server::floor(&body_file)?;
        eprintln!("bench: the {name} server (pid {}) is listening on {}", floor.pid, floor.addr);
        let plan = load::Plan { addr: floor.addr, server_pid: floor.pid, ..plan };
        results.push(run_phase(args, &plan, name, reqs(floor.addr)).await?);
        floor.stop()?;
    }
    let phases: Vec<(&'static str, Vec<Req>)> = [("single", tether_single), ("bulk", bulk)]
        .into_iter()
        .filter(|(name, _)| args.phase.includes(name))
        .collect();
    for (name, reqs) in phases {
        results.push(run_phase(args, &plan, name, reqs).await?);
    }
    let mut peer_checked = None;
    if let Some(bin) = &edge_bin
        && (args.phase.includes("single") || args.phase.includes("bulk"))
    {
        let mut edge = edge::start(bin, &set, dir)?;
        eprintln!("bench: unleash-edge (pid {}) is listening on {}", edge.pid, edge.addr);
        let checked = edge::verify(edge.addr, &snapshot, &contexts).await?;
        eprintln!(
            "bench: Edge's answers equal tether's in {} evaluations ({} percentages not compared)",
            checked.0, checked.1
        );
        peer_checked = Some(checked);
        let unleash: Vec<Vec<u8>> = contexts
            .iter()
            .map(|ctx| serde_json::to_vec(&edge::context(ctx)).expect("JSON serialises"))
            .collect();
        let edge_single: Vec<Req> = pairs
            .iter()
            .map(|&(key, c)| edge::request(edge.addr, &edge::single_path(key), unleash[c].clone()))
            .collect();
        let edge_bulk: Vec<Req> = unleash
            .iter()
            .map(|body| edge::request(edge.addr, edge::BULK_PATH, body.clone()))
            .collect();
        let plan = load::Plan { addr: edge.addr, server_pid: edge.pid, ..plan };
        for (name, reqs) in [("edge single", edge_single), ("edge bulk", edge_bulk)] {
            if args.phase.includes(name.trim_start_matches("edge ")) {
                results.push(run_phase(args, &plan, name, reqs).await?);
            }
        }
        edge.stop()?;
    }
    let samples = memory.stop();
    let status = server.stop()?;
    let errors: u64 = results.iter().map(|r| r.errors + r.warmup_errors).sum();
    let out = report::Report {
        args: args.clone(),
        results: &results,
        samples: &samples,
        idle_rss,
        reasons,
        compared,
        peer_checked,
    };
    print!("{}", out.markdown());
    if !status.success() {
        eprintln!("bench: tether exited with {status} after SIGTERM");
    }
    Ok(if errors == 0 && status.success() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// One phase of load, announced and summed up on stderr.
async fn run_phase(
    args: &OfrepArgs,
    plan: &load::Plan,
    name: &'static str,
    reqs: Vec<Req>,
) -> Result<load::PhaseResult> {
    eprintln!(
        "bench: phase {name}: {} connections, {} s warm-up, {} s measured",
        args.connections, args.warmup, args.duration
    );
    let result = load::run_phase(plan, name, Arc::new(reqs)).await?;
    eprintln!(
        "bench: phase {name}: {:.0} requests/s, p99 {:.2} ms, {} errors",
        result.per_second(),
        result.latency.value_at_quantile(0.99) as f64 / 1e6,
        result.errors
    );
    Ok(result)
}

/// The server's RSS, sampled every second on a thread of its own.
struct MemorySampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Vec<(Instant, u64)>>,
}

impl MemorySampler {
    fn start(pid: u32) -> MemorySampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut samples = Vec::new();
            let mut next = Instant::now();
            while !flag.load(Ordering::Relaxed) {
                if let Some(kib) = sys::rss_kib(pid) {
                    samples.push((Instant::now(), kib));
                }
                next += Duration::from_secs(1);
                // Wake often enough to stop promptly, sample on the second.
                while !flag.load(Ordering::Relaxed) && Instant::now() < next {
                    std::thread::sleep(
                        next.saturating_duration_since(Instant::now())
                            .min(Duration::from_millis(50)),
                    );
                }
            }
            samples
        });
        MemorySampler { stop, thread }
    }

    fn stop(self) -> Vec<(Instant, u64)> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// A new database on the PostgreSQL server at `admin_url`, dropped when the value is (a killed
/// run's is dropped by a later one after two hours).
pub(crate) async fn scratch_database(
    admin_url: &str,
) -> Result<tether_store::testing::ScratchDatabase> {
    tether_store::testing::ScratchDatabase::create(admin_url)
        .await
        .map_err(|e| anyhow!("cannot create a scratch database on {admin_url}: {e}"))
}

/// Resolves when the benchmark is asked to stop (Ctrl-C, or SIGTERM as `timeout` and service
/// managers send), so that its folder, servers and scratch databases are cleaned up.
async fn interrupted() -> anyhow::Error {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = tokio::signal::ctrl_c() => anyhow!("interrupted"),
            _ = term.recv() => anyhow!("terminated"),
        },
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            anyhow!("interrupted")
        }
    }
}
