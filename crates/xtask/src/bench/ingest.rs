//! `cargo xtask bench ingest`: Jira ticket ingestion at scale, from a release `tether
//! jira-sandbox` seeded with generated issues (about 10 history entries and 3 comments each)
//! into SQLite (and PostgreSQL with `--pg URL`) through tether's real path, `tether ingest run`
//! as a child process.
//!
//! Per size (`--small`, then `--issues`): the bare fetch loop (`ingest/jira.rs`, the limit) in
//! a child of its own, then a full ingestion per backend, each timed with its peak RSS
//! (`VmHWM`, sampled); at the small size also the Python `jira` library fetching the same data
//! (`ingest/python_jira_fetch.py`). At the large size, with `--kill`, the same ingestion again
//! into a fresh database with `tether ingest run` SIGKILLed at seeded random moments and
//! restarted until done, then again under 30% injected faults (500s and 503s, `--fault-issues`
//! many issues: faults make the client back off for seconds at a time), each compared, row
//! checksums of every ticket table, with the uninterrupted run. Last, 1% of the issues are
//! changed (a summary and a comment each, through the sandbox's REST API) and an incremental
//! pass is timed per backend. Prints a Markdown table.

mod jira;
mod tether;

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use self::jira::Sandbox;
use self::tether::{Run, Target};

#[derive(Debug, Clone, clap::Args)]
pub struct IngestArgs {
    /// Issues the sandbox generates for the large size.
    #[arg(long, default_value_t = 100_000)]
    issues: usize,
    /// The small size, to show peak memory independent of the issue count and to compare with
    /// the Python `jira` library (0: skip).
    #[arg(long, default_value_t = 10_000)]
    small: usize,
    /// Also ingest into this PostgreSQL server (scratch databases are created on it).
    #[arg(long, value_name = "URL")]
    pg: Option<String>,
    /// Also at the large size, the Python library (slow: minutes per 10,000 issues).
    #[arg(long)]
    python_large: bool,
    /// SIGKILL `tether ingest run` at random moments and check it ends identical.
    #[arg(long)]
    kill: bool,
    /// Issues of the run under 30% faults with kills (0: skip).
    #[arg(long, default_value_t = 1_000)]
    fault_issues: usize,
    /// Requests in flight at once for the run under faults (the site's `max_concurrency`):
    /// faults make each request wait (503s carry `Retry-After: 1`, 500s back off), and more
    /// requests at a time overlap the waits. The uninterrupted run it is compared with uses the
    /// client's default of 4.
    #[arg(long, default_value_t = 4)]
    fault_concurrency: usize,
    /// How many times `tether ingest run` is killed per run with `--kill`.
    #[arg(long, default_value_t = 10)]
    kills: usize,
    /// Longest a killed run lives, in seconds (each lives a random 0.2 s up to this).
    #[arg(long, default_value_t = 8.0)]
    max_life: f64,
    /// Seed of the kills and of the changed issues.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

/// The child side of the bare loop (`xtask bench ingest-bare`).
#[derive(Debug, Clone, clap::Args)]
pub struct BareArgs {
    #[arg(long)]
    url: String,
    /// Project ids, comma-separated.
    #[arg(long)]
    projects: String,
}

pub fn bare(args: BareArgs) -> Result<()> {
    jira::bare_main(&args.url, &args.projects)
}

/// A row of the report.
struct Row {
    issues: usize,
    what: String,
    seconds: f64,
    peak_kib: Option<u64>,
    note: String,
}

pub async fn run(args: IngestArgs, tether: PathBuf, dir: &Path) -> Result<bool> {
    let mut rows = Vec::new();
    let mut ok = true;
    // PostgreSQL scratch databases, dropped when the run ends.
    let mut scratches = Vec::new();
    let mut sizes = vec![args.issues];
    if args.small > 0 && args.small < args.issues {
        sizes.insert(0, args.small);
    }
    for &n in &sizes {
        let large = n == args.issues;
        let sandbox = Sandbox::start(&tether, n)?;
        let projects: Vec<String> = sandbox
            .projects()
            .await?
            .into_iter()
            .filter(|p| p.3 == "software" || p.3 == "business")
            .map(|p| p.0)
            .collect();
        let (bare, bare_kib) = jira::bare_child(&sandbox.url, &projects)?;
        eprintln!(
            "bench: bare loop, {n} issues: {} issues, {} requests in {:.1} s",
            bare.issues, bare.requests, bare.seconds
        );
        rows.push(Row {
            issues: n,
            what: "bare fetch loop (the limit)".into(),
            seconds: bare.seconds,
            peak_kib: Some(bare_kib),
            note: format!("{} issues, {} requests", bare.issues, bare.requests),
        });
        let mut backends =
            vec![("SQLite", format!("sqlite://{}", dir.join(format!("full-{n}.db")).display()))];
        if let Some(pg) = &args.pg {
            let db = super::scratch_database(pg).await?;
            backends.push(("PostgreSQL", db.url().to_owned()));
            scratches.push(db);
        }
        let mut targets = Vec::new();
        for (name, url) in backends {
            let target = Target::new(url, dir, &sandbox, None).await?;
            let r = target.ingest(&tether)?;
            eprintln!(
                "bench: tether ingest run, {name}, {n} issues: {} in {:.1} s, peak {} MiB",
                r.issues,
                r.seconds,
                r.peak_kib / 1024
            );
            if r.issues != bare.issues {
                eprintln!(
                    "bench: tether ingested {} issues, the bare loop fetched {}",
                    r.issues, bare.issues
                );
                ok = false;
            }
            rows.push(row(n, &format!("`tether ingest run`, {name}"), r, bare.seconds));
            targets.push((name, target));
        }
        if !large || args.python_large {
            let (issues, seconds) = python(&sandbox.url, &projects)?;
            eprintln!("bench: Python jira, {n} issues: {issues} in {seconds:.1} s");
            let sqlite = rows.iter().rev().find(|r| r.issues == n && r.what.contains("SQLite"));
            let ratio = sqlite.map_or(0.0, |r| seconds / r.seconds);
            rows.push(Row {
                issues: n,
                what: "Python `jira` library, same requests".into(),
                seconds,
                peak_kib: None,
                note: format!("{issues} issues; tether on SQLite {ratio:.1}× faster"),
            });
        }
        if large && args.kill {
            for (name, reference) in &targets {
                let fresh = match *name {
                    "SQLite" => format!("sqlite://{}", dir.join("killed.db").display()),
                    _ => {
                        let db =
                            super::scratch_database(args.pg.as_deref().unwrap_or_default()).await?;
                        let url = db.url().to_owned();
                        scratches.push(db);
                        url
                    }
                };
                let target = Target::new(fresh, dir, &sandbox, None).await?;
                let (kills, runs, seconds) =
                    target.ingest_killed(&tether, args.seed, args.max_life, args.kills).await?;
                let same = target.checksums().await? == reference.checksums().await?;
                ok &= same;
                eprintln!(
                    "bench: killed {kills} times ({runs} runs) on {name}: checksums equal: {same}"
                );
                rows.push(Row {
                    issues: n,
                    what: format!("SIGKILLed at random and restarted, {name}"),
                    seconds,
                    peak_kib: None,
                    note: format!(
                        "{kills} kills in {runs} runs; row checksums {} the uninterrupted run's",
                        if same { "equal" } else { "DIFFER from" }
                    ),
                });
                target.store.close().await;
            }
        }
        if large {
            let keys = targets[0].1.keys().await?;
            let changed = sandbox.change_issues(&keys, keys.len() / 100, args.seed).await?;
            for (name, target) in &targets {
                let r = target.ingest(&tether)?;
                eprintln!("bench: incremental, {name}: {} issues in {:.2} s", r.issues, r.seconds);
                rows.push(Row {
                    issues: n,
                    what: format!("incremental pass, 1% changed, {name}"),
                    seconds: r.seconds,
                    peak_kib: Some(r.peak_kib),
                    note: format!("{changed} changed, {} read again", r.issues),
                });
            }
        }
        for (_, target) in targets {
            target.store.close().await;
        }
        let sandbox_kib = sandbox.peak_kib();
        eprintln!("bench: the sandbox with {n} issues peaked at {} MiB", sandbox_kib / 1024);
        drop(sandbox);
    }
    if args.kill && args.fault_issues > 0 {
        rows.push(faulted(&args, &tether, dir).await?);
        ok &= rows.last().is_some_and(|r| r.note.contains("equal"));
    }
    println!("{}", markdown(&rows));
    Ok(ok)
}

/// Kills under 30% injected faults on a sandbox of its own, against an uninterrupted run
/// without faults.
async fn faulted(args: &IngestArgs, tether: &Path, dir: &Path) -> Result<Row> {
    let n = args.fault_issues;
    let sandbox = Sandbox::start(tether, n)?;
    let url = |name: &str| format!("sqlite://{}", dir.join(name).display());
    let reference = Target::new(url("faults-reference.db"), dir, &sandbox, None).await?;
    reference.ingest(tether)?;
    let target = Target::new(url("faults.db"), dir, &sandbox, Some(args.fault_concurrency)).await?;
    sandbox.set_faults(0.3).await?;
    let (kills, runs, seconds) =
        target.ingest_killed(tether, args.seed + 1, args.max_life, args.kills).await?;
    sandbox.set_faults(0.0).await?;
    let same = target.checksums().await? == reference.checksums().await?;
    eprintln!("bench: 30% faults, killed {kills} times ({runs} runs): checksums equal: {same}");
    Ok(Row {
        issues: n,
        what: format!(
            "30% faults (500/503), SIGKILLed at random, SQLite, {} requests at a time",
            args.fault_concurrency
        ),
        seconds,
        peak_kib: None,
        note: format!(
            "{kills} kills in {runs} runs; row checksums {} the uninterrupted run's",
            if same { "equal" } else { "DIFFER from" }
        ),
    })
}

fn row(issues: usize, what: &str, r: Run, bare: f64) -> Row {
    Row {
        issues,
        what: what.into(),
        seconds: r.seconds,
        peak_kib: Some(r.peak_kib),
        note: format!("{:.2}× the bare loop", r.seconds / bare),
    }
}

/// Runs the Python script; answers the issues it fetched and its seconds.
fn python(url: &str, projects: &[String]) -> Result<(usize, f64)> {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bench/ingest/python_jira_fetch.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .args([url, jira::EMAIL, jira::TOKEN])
        .args(projects)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run python3 (install the `jira` library: crates/tether/tests/python/requirements.txt)")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("the Python script failed ({}): {stdout}", out.status);
    }
    let v: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())?;
    Ok((v["issues"].as_u64().unwrap_or(0) as usize, v["seconds"].as_f64().unwrap_or(0.0)))
}

/// A process's peak resident set size (`VmHWM`) in KiB, from `/proc/PID/status`.
pub fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn markdown(rows: &[Row]) -> String {
    let mut out = format!(
        "\nIngestion from a release `tether jira-sandbox` (Cloud) on loopback; {} cores ({}).\n\n\
         | issues | what | seconds | peak RSS | |\n|---:|---|---:|---:|---|\n",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        super::sys::cpu_model()
    );
    for r in rows {
        let peak = r.peak_kib.map_or("".to_owned(), |k| format!("{:.0} MB", k as f64 / 1024.0));
        out.push_str(&format!(
            "| {} | {} | {:.2} | {peak} | {} |\n",
            r.issues, r.what, r.seconds, r.note
        ));
    }
    out
}
