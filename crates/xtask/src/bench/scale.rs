//! `cargo xtask bench scale`: what flags cost as an environment grows (issue 17's scale
//! goals), in this process with the evaluator and the snapshot cache `tether serve` runs.
//!
//! - Evaluation: every flag for every one of the benchmark's contexts, over the 350-flag
//!   environment of `bench ofrep` and over one of `--flags` flags of the same mix with
//!   `--targets` more individual targets; the cost per flag evaluation of each, and their
//!   ratio (goal: at most 1.5).
//! - Memory: the resident memory a compiled snapshot adds, per flag, for the large
//!   environment and for `--environments` copies of the 350-flag one.
//! - A toggle: the large environment seeded into SQLite through `tether-store`, its snapshot
//!   built by `tether_server::Snapshots` as the server builds it; then `--toggles` times a flag
//!   is switched through the store and the snapshot refreshed, as a change made through the
//!   server is (that flag alone recompiled: `Snapshots::refresh_flag`), timed from the write's
//!   start until evaluation sees it (goal: under 5 ms).

use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, ensure};
use tether_flags::{Context, EnvConfig, Snapshot};
use tether_server::Snapshots;
use tether_store::{MasterKey, Store};

use super::seed::{self, ENV, FlagSet, PROJECT};

#[derive(Debug, Clone, clap::Args)]
pub struct ScaleArgs {
    /// Flags in the large environment.
    #[arg(long, default_value_t = 10_000)]
    flags: usize,
    /// Individual targets spread over the large environment's targeted flags.
    #[arg(long, default_value_t = 100_000)]
    targets: usize,
    /// Copies of the 350-flag environment held at once, for memory.
    #[arg(long, default_value_t = 100)]
    environments: usize,
    /// Toggles timed on the large environment.
    #[arg(long, default_value_t = 50)]
    toggles: usize,
    /// Seconds each environment's evaluation is repeated for (longer to profile it: the
    /// large one's start is announced on stderr).
    #[arg(long, default_value_t = 1, value_name = "SECS")]
    eval_seconds: u64,
}

/// Runs the benchmark in `dir` and prints its figures as Markdown; false when a goal's
/// check of correctness (not of speed) failed.
pub async fn run(args: ScaleArgs, dir: &Path) -> Result<bool> {
    ensure!(args.flags > 0 && args.toggles > 0, "--flags and --toggles must be at least 1");
    let contexts_json = seed::contexts();
    let contexts: Vec<Context<'_>> =
        contexts_json.iter().map(|c| Context::from_value(c).expect("an object")).collect();

    let small = seed::flag_set();
    let large = seed::flag_set_of(args.flags, args.targets);
    eprintln!("bench: {} flags, {} extra targets", large.flags.len(), args.targets);

    let small_snapshot = small.snapshot()?;
    let (large_snapshot, large_bytes) = measured(|| large.snapshot())?;
    let window = Duration::from_secs(args.eval_seconds.max(1));
    eprintln!("bench: evaluating {} flags", small.flags.len());
    let small_ns = ns_per_evaluation(&small_snapshot, &contexts, window);
    eprintln!("bench: evaluating {} flags", large.flags.len());
    let large_ns = ns_per_evaluation(&large_snapshot, &contexts, window);
    eprintln!("bench: evaluated");
    let (envs, envs_bytes) = measured(|| -> Result<Vec<Snapshot>> {
        (0..args.environments).map(|_| small.snapshot()).collect()
    })?;
    drop(envs);

    let url = format!("sqlite://{}", dir.join("scale.db").display());
    eprintln!("bench: seeding {} flags into {}", large.flags.len(), dir.display());
    let started = Instant::now();
    seed::seed(&url, MasterKey::generate(), &large).await?;
    let seeding = started.elapsed();
    let toggles = toggle_times(&url, &large, args.toggles).await?;

    println!("## cargo xtask bench scale\n");
    println!(
        "{} flags with {} individual targets beside the 350-flag environment; {} contexts.\n",
        large.flags.len(),
        args.targets,
        contexts.len()
    );
    println!("| measure | value |\n|---|---|");
    println!("| evaluation, 350 flags | {small_ns:.1} ns per flag |");
    println!("| evaluation, {} flags | {large_ns:.1} ns per flag |", large.flags.len());
    println!("| ratio (goal ≤ 1.5) | {:.2} |", large_ns / small_ns);
    println!(
        "| snapshot memory, {} flags | {:.1} MiB, {:.0} bytes per flag |",
        large.flags.len(),
        mib(large_bytes),
        large_bytes as f64 / large.flags.len() as f64
    );
    println!(
        "| snapshot memory, {} × 350 flags | {:.1} MiB, {:.0} bytes per flag |",
        args.environments,
        mib(envs_bytes),
        envs_bytes as f64 / (args.environments * small.flags.len()).max(1) as f64
    );
    println!("| seeding {} flags through the store | {:.1} s |", large.flags.len(), secs(seeding));
    println!("| first snapshot build from the database | {:.1} ms |", ms(toggles.first_build));
    println!(
        "| toggle → visible to evaluation (goal < 5 ms), p50 / p99 / max of {} | {:.1} / {:.1} / {:.1} ms |",
        toggles.samples.len(),
        ms(toggles.percentile(0.50)),
        ms(toggles.percentile(0.99)),
        ms(toggles.percentile(1.0)),
    );
    println!(
        "| of which the snapshot refresh, p50 | {:.1} ms |",
        ms(percentile(&toggles.refreshes, 0.50))
    );
    Ok(toggles.all_seen)
}

/// The cost of one flag evaluation: every flag for every context, repeated for at least
/// `window`.
fn ns_per_evaluation(snapshot: &Snapshot, contexts: &[Context<'_>], window: Duration) -> f64 {
    let started = Instant::now();
    let mut evaluations = 0u64;
    while started.elapsed() < window {
        for ctx in contexts {
            for (key, eval) in snapshot.evaluate_all(ctx) {
                black_box((key, &eval.value));
            }
            evaluations += snapshot.len() as u64;
        }
    }
    started.elapsed().as_nanos() as f64 / evaluations as f64
}

/// What `make` returns, and the resident memory it added while kept (the allocator may keep
/// freed pages, so this is an upper bound near the truth for large structures).
fn measured<T>(make: impl FnOnce() -> Result<T>) -> Result<(T, usize)> {
    let before = resident_bytes()?;
    let made = make()?;
    let after = resident_bytes()?;
    Ok((made, after.saturating_sub(before)))
}

fn resident_bytes() -> Result<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").context("cannot read statm")?;
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .context("statm has no resident size")?;
    Ok(pages * rustix::param::page_size())
}

struct Toggles {
    first_build: Duration,
    samples: Vec<Duration>,
    refreshes: Vec<Duration>,
    all_seen: bool,
}

impl Toggles {
    fn percentile(&self, p: f64) -> Duration {
        percentile(&self.samples, p)
    }
}

fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len().max(1)) - 1;
    sorted.get(i).copied().unwrap_or_default()
}

/// Switches flags through the store and refreshes the snapshot as the server does after a
/// change it made; checks each toggle is what evaluation then sees.
async fn toggle_times(url: &str, set: &FlagSet, toggles: usize) -> Result<Toggles> {
    let store = Store::connect(url, MasterKey::generate()).await?;
    let snapshots = Snapshots::default();
    let started = Instant::now();
    snapshots.get(&store, PROJECT, ENV).await?;
    let first_build = started.elapsed();
    let anyone = serde_json::json!({"targetingKey": "someone-else"});
    let ctx = Context::from_value(&anyone).expect("an object");
    let (mut samples, mut refreshes, mut all_seen) = (Vec::new(), Vec::new(), true);
    let mut current: HashMap<&str, EnvConfig> = HashMap::new();
    for n in 0..toggles {
        let (flag, config) = &set.flags[(n * 7919) % set.flags.len()];
        let next = current.entry(flag.key.as_str()).or_insert_with(|| config.clone());
        next.on = !next.on;
        let next = next.clone();
        let started = Instant::now();
        store.update_flag_config(PROJECT, &flag.key, ENV, &next, None, "bench").await?;
        let refresh_started = Instant::now();
        let snapshot = snapshots
            .refresh_flag(&store, PROJECT, ENV, &flag.key)
            .await?
            .context("the environment's snapshot was built before")?;
        let seen = snapshot.snapshot.evaluate(&flag.key, &ctx).reason.as_str() == "DISABLED";
        samples.push(started.elapsed());
        refreshes.push(refresh_started.elapsed());
        all_seen &= seen != next.on;
    }
    store.close().await;
    Ok(Toggles { first_build, samples, refreshes, all_seen })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
