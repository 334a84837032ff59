//! Issue-key extraction against GNU `grep -oE` over a generated corpus of commit messages
//! (a million by default), checking both find the very same keys, and printing the figures
//! the README records.
//!
//! ```text
//! cargo run --release -p tether-refs --example corpus_bench -- [--messages N] [--seed S]
//!     [--runs R] [--keep]
//! ```
//!
//! The corpus (`benches/corpus`, deterministic from the seed) is written to a file in the
//! temporary directory. Each tool then runs as its own process, started `runs` times with
//! its output redirected to a file, and is timed from start to exit:
//! - `tether-refs`: this program with `scan FILE`, printing every key occurrence as written,
//!   one per line, as `grep -o` does (`Matcher::find_iter`, default settings), reading the
//!   file in chunks of 256 KiB cut at line breaks;
//! - `grep`, equivalent: `LC_ALL=C grep -oE '\bCVE-[0-9]+-[0-9]+|\b[A-Z][A-Z_0-9]+-0*[1-9][0-9]*'
//!   FILE | LC_ALL=C grep -v '^CVE-[0-9]*-[0-9]'`. The C locale gives grep the ASCII word
//!   boundary the matcher uses; the first alternative is longer on a CVE id, so grep prints
//!   the whole id and the second grep drops it; `0*[1-9]` refuses `PROJ-0` as the matcher
//!   does. (Outside this corpus the two differ only on numbers past 18 digits and project
//!   keys past 255 characters, which the matcher refuses.)
//! - `grep`, as the benchmark's wording has it: `LC_ALL=C grep -oE
//!   '\b[A-Z][A-Z_0-9]+-[0-9]+\b' FILE`, for its speed only (it also prints CVE ids and
//!   `PROJ-0`, and drops `PROJ-12x`).
//!
//! The two equivalent outputs must be byte-for-byte equal, or the program says where they
//! part and fails. Throughput is corpus bytes (MB = 10^6 bytes) and corpus lines per second
//! of the median run; CPU time (user + system, a pipeline's processes summed, from
//! `/proc/self/stat` at 10 ms resolution) is averaged over the runs, and is the steadier
//! figure on a busy machine.

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use tether_refs::{Matcher, extract};

#[path = "../benches/corpus/mod.rs"]
mod corpus;

const GREP_EQUIVALENT: &str = r"LC_ALL=C grep -oE '\bCVE-[0-9]+-[0-9]+|\b[A-Z][A-Z_0-9]+-0*[1-9][0-9]*' corpus.txt | LC_ALL=C grep -v '^CVE-[0-9]*-[0-9]'";
const GREP_AS_WORDED: &str = r"LC_ALL=C grep -oE '\b[A-Z][A-Z_0-9]+-[0-9]+\b' corpus.txt";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("scan") => {
            args.get(1).ok_or_else(|| "scan needs a file".to_owned()).and_then(|f| scan(f))
        }
        _ => bench(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("corpus_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints every key occurrence of `file` as written, one per line. Reads the file a chunk at
/// a time, cut after its last line break (keys never span lines), as `grep` reads its input.
fn scan(file: &str) -> Result<(), String> {
    const CHUNK: usize = 1 << 18;
    let mut input = File::open(file).map_err(|e| format!("opening {file}: {e}"))?;
    let matcher = Matcher::default();
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut pending: Vec<u8> = Vec::with_capacity(2 * CHUNK);
    loop {
        let filled = pending.len();
        pending.resize(filled + CHUNK, 0);
        let n = input.read(&mut pending[filled..]).map_err(|e| format!("reading {file}: {e}"))?;
        pending.truncate(filled + n);
        let end = if n == 0 {
            pending.len()
        } else {
            match memchr::memrchr(b'\n', &pending) {
                Some(last) => last + 1,
                None => continue,
            }
        };
        let text = std::str::from_utf8(&pending[..end]).map_err(|e| format!("{file}: {e}"))?;
        for m in matcher.find_iter(text) {
            out.write_all(m.as_written().as_bytes()).map_err(|e| e.to_string())?;
            out.write_all(b"\n").map_err(|e| e.to_string())?;
        }
        if n == 0 {
            break;
        }
        pending.drain(..end);
    }
    out.flush().map_err(|e| e.to_string())
}

struct Options {
    messages: usize,
    seed: u64,
    runs: usize,
    keep: bool,
}

fn options(args: &[String]) -> Result<Options, String> {
    let mut o = Options { messages: 1_000_000, seed: 1, runs: 5, keep: false };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--messages" => {
                o.messages = value()?.parse().map_err(|e| format!("--messages: {e}"))?
            }
            "--seed" => o.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--runs" => o.runs = value()?.parse().map_err(|e| format!("--runs: {e}"))?,
            "--keep" => o.keep = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if o.runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    Ok(o)
}

fn bench(args: &[String]) -> Result<(), String> {
    let o = options(args)?;
    let dir = std::env::temp_dir().join(format!("tether-refs-corpus-{}-{}", o.seed, o.messages));
    fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;

    let started = Instant::now();
    let messages = corpus::messages(o.seed, o.messages);
    let mut text = messages.join("\n");
    text.push('\n');
    fs::write(dir.join("corpus.txt"), &text).map_err(|e| format!("writing the corpus: {e}"))?;
    let lines = text.bytes().filter(|&b| b == b'\n').count();
    let bytes = text.len();
    println!(
        "corpus: {} messages, {} lines, {:.1} MB, seed {} ({} to build), in {}",
        o.messages,
        lines,
        bytes as f64 / 1e6,
        o.seed,
        secs(started.elapsed()),
        dir.display()
    );
    density(&messages);

    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let ours = time_runs(&dir, o.runs, "tether.out", || {
        let mut c = Command::new(&me);
        c.arg("scan").arg("corpus.txt");
        c
    })?;
    let grep = time_runs(&dir, o.runs, "grep.out", || shell(GREP_EQUIVALENT))?;
    let grep_worded = time_runs(&dir, o.runs, "grep-worded.out", || shell(GREP_AS_WORDED))?;

    println!(
        "\n{:<56} {:>8} {:>8} {:>8} {:>8} {:>11} {:>8}",
        format!("tool ({} runs)", o.runs),
        "median",
        "best",
        "cpu",
        "MB/s",
        "lines/s",
        "cpu MB/s"
    );
    for (name, t) in [
        ("tether-refs scan (Matcher::find_iter)", ours),
        ("grep -oE, equivalent (C locale, CVE ids dropped)", grep),
        ("grep -oE '\\b[A-Z][A-Z_0-9]+-[0-9]+\\b' (not equivalent)", grep_worded),
    ] {
        println!(
            "{name:<56} {:>8} {:>8} {:>8} {:>8.1} {:>11.0} {:>8}",
            secs(t.median),
            secs(t.best),
            t.cpu.map_or("-".into(), secs),
            bytes as f64 / 1e6 / t.median.as_secs_f64(),
            lines as f64 / t.median.as_secs_f64(),
            t.cpu.map_or("-".into(), |c| format!("{:.1}", bytes as f64 / 1e6 / c.as_secs_f64()))
        );
    }
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!(
        "ratio to the equivalent grep: {:.1}x (median wall), {:.1}x (best wall), {}; to the worded one: {:.1}x (median wall)",
        ratio(grep.median, ours.median),
        ratio(grep.best, ours.best),
        match (grep.cpu, ours.cpu) {
            (Some(g), Some(t)) if !t.is_zero() => format!("{:.1}x (cpu)", ratio(g, t)),
            _ => "cpu not measured".to_owned(),
        },
        ratio(grep_worded.median, ours.median)
    );

    per_message(&messages, bytes);
    let same = compare(&dir.join("tether.out"), &dir.join("grep.out"))?;
    if !o.keep {
        fs::remove_dir_all(&dir).map_err(|e| format!("removing {}: {e}", dir.display()))?;
    }
    if same { Ok(()) } else { Err("the outputs differ".into()) }
}

/// How many keys the corpus holds, as the matcher and `extract` see it.
fn density(messages: &[String]) {
    let matcher = Matcher::default();
    let (mut with_key, mut occurrences) = (0usize, 0usize);
    let mut distinct = std::collections::HashSet::new();
    for m in messages {
        let mut any = false;
        for k in matcher.find_iter(m) {
            any = true;
            occurrences += 1;
            distinct.insert(k.key());
        }
        with_key += usize::from(any);
    }
    println!(
        "keys: {occurrences} occurrences, {} distinct; {with_key} messages ({:.1}%) hold one or more",
        distinct.len(),
        100.0 * with_key as f64 / messages.len().max(1) as f64
    );
}

/// `extract` on each message in memory: the whole per-commit work, no IO.
fn per_message(messages: &[String], bytes: usize) {
    let matcher = Matcher::default();
    let started = Instant::now();
    let (mut closes, mut commands) = (0usize, 0usize);
    for m in messages {
        let refs = extract(m, &matcher);
        closes += refs.closes.len();
        commands += refs.commands.len();
    }
    let t = started.elapsed();
    println!(
        "in process, extract() per message: {} for {} messages ({:.0} messages/s, {:.1} MB/s); {closes} closing keys, {commands} Smart Commit commands",
        secs(t),
        messages.len(),
        messages.len() as f64 / t.as_secs_f64(),
        bytes as f64 / 1e6 / t.as_secs_f64()
    );
}

fn shell(script: &str) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c").arg(script);
    c
}

/// How long a tool took: wall time (median and best of the runs) and CPU time (user and
/// system, its child processes included, averaged over the runs).
#[derive(Clone, Copy)]
struct Timing {
    median: Duration,
    best: Duration,
    cpu: Option<Duration>,
}

/// Runs a command `runs` times in `dir` with stdout to `out`.
fn time_runs(
    dir: &Path,
    runs: usize,
    out: &str,
    command: impl Fn() -> Command,
) -> Result<Timing, String> {
    let mut times = Vec::with_capacity(runs);
    let cpu_before = children_cpu();
    for _ in 0..runs {
        let file = File::create(dir.join(out)).map_err(|e| e.to_string())?;
        let mut c = command();
        c.current_dir(dir).stdout(Stdio::from(file)).stderr(Stdio::inherit());
        let started = Instant::now();
        let status = c.status().map_err(|e| format!("starting {c:?}: {e}"))?;
        times.push(started.elapsed());
        if !status.success() {
            return Err(format!("{c:?} failed: {status}"));
        }
    }
    times.sort();
    let cpu = match (cpu_before, children_cpu()) {
        (Some(before), Some(after)) => Some((after - before) / runs as u32),
        _ => None,
    };
    Ok(Timing { median: times[times.len() / 2], best: times[0], cpu })
}

/// The CPU time of this process's waited-for children so far (`cutime` + `cstime` of
/// `/proc/self/stat`, in Linux's fixed 100 ticks a second); `None` off Linux. Wall times on a
/// shared machine vary with its load; CPU times much less.
fn children_cpu() -> Option<Duration> {
    let stat = fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // cutime and cstime are fields 16 and 17 of the whole line, 14 and 15 here.
    let ticks: u64 = fields.get(13)?.parse::<u64>().ok()? + fields.get(14)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Whether two outputs are equal; says where they part when not.
fn compare(ours: &PathBuf, grep: &PathBuf) -> Result<bool, String> {
    let a = fs::read_to_string(ours).map_err(|e| e.to_string())?;
    let b = fs::read_to_string(grep).map_err(|e| e.to_string())?;
    if a == b {
        println!("outputs: identical, {} key occurrences", a.lines().count());
        return Ok(true);
    }
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let at = la.iter().zip(&lb).position(|(x, y)| x != y).unwrap_or(la.len().min(lb.len()));
    println!(
        "outputs DIFFER: tether-refs {} lines, grep {} lines; first difference at line {}: {:?} vs {:?}",
        la.len(),
        lb.len(),
        at + 1,
        la.get(at),
        lb.get(at)
    );
    Ok(false)
}

fn secs(d: Duration) -> String {
    format!("{:.3}s", d.as_secs_f64())
}
