//! `cargo xtask bench processes --pg URL`: several `tether serve` processes on one PostgreSQL
//! database (issue 17's "several processes" goal).
//!
//! - Throughput: the 350-flag environment of `bench ofrep` seeded into a scratch database;
//!   single evaluations from `--connections` connections against one process, then spread
//!   round-robin over `--processes` processes (each connection keeps its process), with every
//!   process's CPU summed. On a machine with fewer cores than processes plus the load
//!   generator, the processes share the cores: the report says how many there are.
//! - A toggle: a flag switched through a store of its own (as another process or the CLI
//!   would), timed until every process's OFREP answer shows it, each process polled over its
//!   own connection (goal: within 1 s; PostgreSQL's notifications carry it, not the poll).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, ensure};
use tether_flags::EnvConfig;
use tether_store::{MasterKey, Store};

use super::check;
use super::load::{self, ClientKind, Conn, PhaseResult, Req};
use super::seed::{self, ENV, PROJECT};
use super::server::Server;
use super::sys;

#[derive(Debug, Clone, clap::Args)]
pub struct ProcessesArgs {
    /// The PostgreSQL server (a scratch database is created on it).
    #[arg(long)]
    pg: String,
    /// How many `tether serve` processes share the database.
    #[arg(long, default_value_t = 3)]
    processes: usize,
    #[command(flatten)]
    load: load::LoadArgs,
    /// Toggles timed until every process sees them.
    #[arg(long, default_value_t = 20)]
    toggles: usize,
}

/// Runs the benchmark in `dir` and prints its figures as Markdown; false when an answer was
/// wrong, a request failed or a toggle was not seen by every process within 10 s.
pub async fn run(args: ProcessesArgs, tether: &Path, dir: &Path) -> Result<bool> {
    ensure!(
        args.processes > 0 && args.load.connections > 0,
        "--processes and --connections must be at least 1"
    );
    let set = seed::flag_set();
    let snapshot = set.snapshot()?;
    let contexts = seed::contexts();
    let key = MasterKey::generate();
    let scratch = super::scratch_database(&args.pg).await?;
    let url = scratch.url().to_owned();
    eprintln!("bench: seeding {} flags into a scratch database", seed::FLAGS);
    let sdk_key = seed::seed(&url, key.clone(), &set).await?;

    let mut servers = Vec::new();
    for n in 0..args.processes {
        let home = dir.join(format!("p{n}"));
        std::fs::create_dir_all(&home)?;
        let server = Server::start(tether, &url, &key.to_base64(), &home)?;
        eprintln!("bench: tether {n} (pid {}) is listening on {}", server.pid, server.addr);
        let compared = check::verify(server.addr, &sdk_key, &snapshot, &contexts).await?;
        eprintln!("bench: tether {n}: {compared} evaluations checked against tether-flags");
        servers.push(server);
    }
    let targets: Vec<(SocketAddr, u32)> = servers.iter().map(|s| (s.addr, s.pid)).collect();

    let keys: Vec<&str> = snapshot.flag_keys().collect();
    let requests: Vec<Req> = (0..keys.len() * contexts.len() / 2)
        .map(|k| {
            let ctx = &contexts[k % contexts.len()];
            Req::post(
                targets[0].0,
                &check::single_path(keys[(k * 151) % keys.len()]),
                &sdk_key,
                check::body(ctx),
            )
        })
        .collect();
    let requests: Arc<dyn load::Requests> = Arc::new(requests);
    let plan = load::Plan {
        client: ClientKind::Raw,
        addr: targets[0].0,
        connections: args.load.connections,
        warmup: Duration::from_secs(args.load.warmup),
        duration: Duration::from_secs(args.load.duration),
        server_pid: targets[0].1,
        ok: 200,
    };
    let mut phases = Vec::new();
    for (name, over) in [("1 process", &targets[..1]), ("all processes", &targets[..])] {
        eprintln!(
            "bench: {name}: {} connections over {} process(es)",
            args.load.connections,
            over.len()
        );
        let result = load::run_spread(&plan, over, name, requests.clone()).await?;
        eprintln!(
            "bench: {name}: {:.0} requests/s, p99 {:.2} ms, {} errors",
            result.per_second(),
            result.latency.value_at_quantile(0.99) as f64 / 1e6,
            result.errors + result.warmup_errors
        );
        phases.push((result, over.len(), sys::load_average()));
    }

    let toggles = toggle_times(&url, key, &sdk_key, &targets, args.toggles).await?;
    for mut server in servers {
        let status = server.stop()?;
        ensure!(status.success(), "tether exited with {status} after SIGTERM");
    }
    print!("{}", markdown(&args, &phases, &toggles));
    let errors: u64 = phases.iter().map(|(r, ..)| r.errors + r.warmup_errors).sum();
    Ok(errors == 0 && toggles.iter().all(|t| t.is_some()))
}

/// Switches flags through a store of this process's own and times each until every server
/// answers it; `None` for a toggle some server had not shown after 10 s.
async fn toggle_times(
    url: &str,
    key: MasterKey,
    sdk_key: &str,
    targets: &[(SocketAddr, u32)],
    toggles: usize,
) -> Result<Vec<Option<Duration>>> {
    let store = Store::connect(url, key).await?;
    let set = seed::flag_set();
    let mut conns = Vec::new();
    for (addr, _) in targets {
        conns.push((*addr, Conn::connect(ClientKind::Raw, *addr).await?));
    }
    let body = check::body(&serde_json::json!({"targetingKey": "someone-else"}));
    let mut times = Vec::new();
    for n in 0..toggles {
        let (flag, config) = &set.flags[(n * 37) % set.flags.len()];
        let state = store.flag(PROJECT, &flag.key).await?;
        let current = state
            .environments
            .iter()
            .find(|e| e.env == ENV)
            .context("the flag has no config in the benchmark's environment")?;
        let next = EnvConfig { on: !current.config.on, ..config.clone() };
        let want = if next.on { None } else { Some("DISABLED") };
        let started = Instant::now();
        store.update_flag_config(PROJECT, &flag.key, ENV, &next, None, "bench").await?;
        let mut seen_by_all = Some(Duration::ZERO);
        for (addr, conn) in &mut conns {
            let req = Req::post(*addr, &check::single_path(&flag.key), sdk_key, body.clone());
            loop {
                let answer = conn.send(&req, true).await?;
                let got: serde_json::Value =
                    serde_json::from_slice(&answer.body.unwrap_or_default()).unwrap_or_default();
                let disabled = got["reason"] == "DISABLED";
                if disabled == want.is_some() {
                    break;
                }
                if started.elapsed() > Duration::from_secs(10) {
                    seen_by_all = None;
                    break;
                }
                tokio::task::yield_now().await;
            }
        }
        times.push(seen_by_all.map(|_| started.elapsed()));
    }
    store.close().await;
    Ok(times)
}

fn markdown(
    args: &ProcessesArgs,
    phases: &[(PhaseResult, usize, Option<f64>)],
    toggles: &[Option<Duration>],
) -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out = String::from("### Several processes on one PostgreSQL database\n\n");
    out.push_str(&format!(
        "`cargo xtask bench processes --pg URL --processes {} --connections {} --duration {} --warmup {} --toggles {}`\n\n",
        args.processes, args.load.connections, args.load.duration, args.load.warmup, args.toggles
    ));
    out.push_str(&format!(
        "- {} ({cores} cores), shared by every process, PostgreSQL's server and the load generator; {} flags, single evaluations (OFREP), each connection kept on one process.\n\n",
        sys::cpu_model(),
        seed::FLAGS
    ));
    out.push_str("| processes | requests/s | p50 | p99 | servers' CPU per request | servers' CPU | generator CPU | others | load | errors |\n");
    out.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let base = phases.first().map_or(1.0, |(r, ..)| r.per_second().max(1e-9));
    for (r, n, load) in phases {
        let per_request = r.cpu.server / r.per_second().max(1e-9) * 1e6;
        out.push_str(&format!(
            "| {n} | {:.0} ({:.2}×) | {:.2} ms | {:.2} ms | {per_request:.1} µs | {:.2} cores | {:.2} cores | {:.2} cores | {} | {} |\n",
            r.per_second(),
            r.per_second() / base,
            r.latency.value_at_quantile(0.50) as f64 / 1e6,
            r.latency.value_at_quantile(0.99) as f64 / 1e6,
            r.cpu.server,
            r.cpu.generator,
            r.cpu.other,
            load.map_or("—".to_owned(), |l| format!("{l:.1}")),
            r.errors + r.warmup_errors,
        ));
    }
    let mut seen: Vec<Duration> = toggles.iter().flatten().copied().collect();
    seen.sort();
    let at = |p: f64| {
        let i = ((seen.len() as f64 * p).ceil() as usize).clamp(1, seen.len().max(1)) - 1;
        seen.get(i).map_or("—".to_owned(), |d| format!("{:.1} ms", d.as_secs_f64() * 1e3))
    };
    out.push_str(&format!(
        "\nA toggle written through another store until all {} processes answer it (goal: within 1 s), {} toggles: p50 {}, p99 {}, max {}; not seen within 10 s: {}.\n",
        args.processes,
        toggles.len(),
        at(0.5),
        at(0.99),
        at(1.0),
        toggles.iter().filter(|t| t.is_none()).count()
    ));
    out
}
