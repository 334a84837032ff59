//! `cargo xtask bench scan`: a release `tether repos scan NAME --now` over a local git
//! repository of N linear commits (100,000 by default), then again with nothing new.
//!
//! The repository is written by `git fast-import` from a stream made here (deterministic):
//! commit `n` changes one of 100 files, and two commits in three mention one of 500 issue
//! keys (`SHOP-1` … `SHOP-500`) in their message. A fresh SQLite database gets the
//! repository (source local), and the binary runs as an operator would run it, timed from
//! start to exit; its own line (commits read, events stored, milliseconds inside the scan)
//! is kept. Needs `git` on the PATH.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use tether_store::dev::{CodeSettings, NewRepository, RepoSource};
use tether_store::{MasterKey, Store};

#[derive(Debug, Clone, clap::Args)]
pub struct ScanArgs {
    /// Commits in the repository.
    #[arg(long, default_value_t = 100_000)]
    commits: usize,
    /// Timed rescans with nothing new.
    #[arg(long, default_value_t = 5)]
    rescans: usize,
}

const KEYS: usize = 500;
const FILES: usize = 100;
/// A commit's time: 2024-01-01T00:00:00Z plus a minute per commit.
const EPOCH: u64 = 1_704_067_200;

/// Runs the benchmark in `dir`; false when a scan failed or read other than expected.
pub async fn run(args: ScanArgs, tether: PathBuf, dir: &Path) -> Result<bool> {
    let repo = dir.join("big");
    let started = Instant::now();
    write_repository(&repo, args.commits)?;
    eprintln!(
        "bench: {} commits written by git fast-import in {:.1?}",
        args.commits,
        started.elapsed()
    );
    let key = MasterKey::generate();
    let url = format!("sqlite://{}", dir.join("tether.db").display());
    let store = Store::connect(&url, key.clone()).await?;
    store.migrate().await?;
    let new = NewRepository {
        name: "big".into(),
        source: RepoSource::Local,
        group: None,
        secret: None,
        path: Some(repo.display().to_string()),
        web_url: Some("https://git.example.com/big".into()),
        settings: CodeSettings::default(),
    };
    store.create_repository(&new, "bench").await?;
    store.close().await;

    let first = scan(&tether, &url, &key, dir)?;
    eprintln!("bench: first scan: {first:?}");
    let mut rescans = Vec::new();
    for _ in 0..args.rescans {
        let r = scan(&tether, &url, &key, dir)?;
        eprintln!("bench: rescan: {r:?}");
        rescans.push(r);
    }
    let mentioning = (1..=args.commits).filter(|n| mentions(*n)).count();
    // Pushes are cut at 200 commits that mention issues.
    let pushes = mentioning.div_ceil(200);
    let ok = first.commits == args.commits
        && first.events == pushes
        && rescans.iter().all(|r| r.commits == 0 && r.events == 0);
    print!("{}", markdown(&args, mentioning, pushes, &first, &rescans));
    Ok(ok)
}

/// Whether commit `n` (from 1) mentions an issue: two in three do.
fn mentions(n: usize) -> bool {
    !n.is_multiple_of(3)
}

/// Writes the repository at `path` with `git init` and `git fast-import`.
fn write_repository(path: &Path, commits: usize) -> Result<()> {
    let git = |args: &[&str]| -> Result<()> {
        let status = Command::new("git")
            .args(args)
            .current_dir(path)
            .stdout(Stdio::null())
            .status()
            .context("cannot run git (is it installed?)")?;
        if !status.success() {
            bail!("git {} failed ({status})", args.join(" "));
        }
        Ok(())
    };
    std::fs::create_dir_all(path)?;
    git(&["init", "--quiet", "--initial-branch=main"])?;
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(path)
        .stdin(Stdio::piped())
        .spawn()
        .context("cannot run git fast-import")?;
    let mut stdin = std::io::BufWriter::new(child.stdin.take().expect("piped"));
    for n in 1..=commits {
        let message = if mentions(n) {
            let key = (n * 7919) % KEYS + 1;
            format!("SHOP-{key} change {n} of the cart\n\nWhy it changed, in a few words.\n")
        } else {
            format!("Tidy {n}: formatting\n")
        };
        let content = format!("line {n}\n");
        let at = EPOCH + n as u64 * 60;
        write!(
            stdin,
            "commit refs/heads/main\nmark :{n}\ncommitter Ada Lovelace <ada@example.com> {at} +0000\n\
             data {}\n{message}\nM 644 inline src/file{}.txt\ndata {}\n{content}\n",
            message.len(),
            n % FILES,
            content.len()
        )?;
    }
    stdin.flush()?;
    drop(stdin);
    let status = child.wait()?;
    if !status.success() {
        bail!("git fast-import failed ({status})");
    }
    git(&["reset", "--quiet", "--hard", "main"])
}

/// One run of `tether repos scan big --now`.
#[derive(Debug)]
struct Scan {
    /// From starting the process to its exit.
    wall: Duration,
    /// What the scan measured itself (reading and storing, without start-up).
    inside_ms: u64,
    commits: usize,
    events: usize,
}

fn scan(tether: &Path, url: &str, key: &MasterKey, dir: &Path) -> Result<Scan> {
    let mut cmd = Command::new(tether);
    cmd.args(["repos", "scan", "big", "--now"]).current_dir(dir);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TETHER_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("TETHER_DATABASE_URL", url)
        .env("TETHER_MASTER_KEY", key.to_base64())
        .env("TETHER_DATA_DIR", dir)
        .env("TETHER_LOG", "warn");
    let started = Instant::now();
    let out = cmd.stderr(Stdio::inherit()).output().context("cannot run tether")?;
    let wall = started.elapsed();
    if !out.status.success() {
        bail!("tether repos scan failed ({})", out.status);
    }
    // "scanned big: 100000 commits read, 1 branches, 334 events stored, in 5123 ms"
    let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let number = |after: &str| -> Option<u64> {
        let at = line.find(after)?;
        line[..at].split_whitespace().last()?.trim_start_matches("in").parse().ok()
    };
    let parsed = (number(" commits read"), number(" events stored"), number(" ms"));
    let (Some(commits), Some(events), Some(inside_ms)) = parsed else {
        return Err(anyhow!("tether printed an unexpected line: {line:?}"));
    };
    Ok(Scan { wall, inside_ms, commits: commits as usize, events: events as usize })
}

fn markdown(
    args: &ScanArgs,
    mentioning: usize,
    pushes: usize,
    first: &Scan,
    rescans: &[Scan],
) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "\n### Local repository scan\n");
    let _ = writeln!(
        s,
        "`cargo xtask bench scan --commits {} --rescans {}`\n",
        args.commits, args.rescans
    );
    let _ = writeln!(
        s,
        "- {} linear commits by `git fast-import`, each changing one of {FILES} files; {mentioning} \
         mention one of {KEYS} keys ({pushes} pushes of at most 200 expected). SQLite, release \
         `tether repos scan big --now`; {}.\n",
        args.commits,
        super::sys::cpu_model()
    );
    let _ =
        writeln!(s, "| scan | wall (process) | inside the scan | commits read | events stored |");
    let _ = writeln!(s, "|---|---:|---:|---:|---:|");
    let row = |s: &mut String, what: &str, r: &Scan| {
        let _ = writeln!(
            s,
            "| {what} | {:.3} s | {} ms | {} | {} |",
            r.wall.as_secs_f64(),
            r.inside_ms,
            r.commits,
            r.events
        );
    };
    row(&mut s, "first", first);
    let mut sorted: Vec<&Scan> = rescans.iter().collect();
    sorted.sort_by_key(|r| r.wall);
    if let Some(&median) = sorted.get(sorted.len() / 2) {
        row(&mut s, &format!("rescan, nothing new (median of {})", rescans.len()), median);
    }
    s
}
