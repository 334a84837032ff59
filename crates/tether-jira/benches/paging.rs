//! Paging benchmark (not a test): the tether-jira client's full paging of a search over N
//! seeded issues, against the same pages fetched by a bare HTTP loop (the limit), with the
//! peak memory of both processes.
//!
//! ```text
//! cargo build --release -p tether
//! cargo bench -p tether-jira --bench paging [-- --issues 10000,100000 --runs 3]
//! ```
//!
//! The sandbox runs as `tether jira-sandbox --seed-issues N` in a child process (found beside
//! this bench in `<target>/release`, or at `$TETHER_BIN`), so its memory is its own. Each
//! measured run is a child process of this bench (it re-executes itself with `--child`), so
//! each run's peak RSS (`VmHWM`) is separate. Both modes page
//! `project in (SAND, DEMO, WEB, OPS, HELP)` at 100 per page with the same fields: Cloud's
//! `POST /rest/api/3/search/jql` by `nextPageToken`, Data Center's `GET /rest/api/2/search` by
//! `startAt`. Targets: the client within 1.3x of the bare loop's time, and the client's peak
//! memory flat in N.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use futures_util::TryStreamExt;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};
use tether_jira::{Auth, Client, Options, Search, Site};

const JQL: &str = "project in (SAND, DEMO, WEB, OPS, HELP)";
const FIELDS: [&str; 5] = ["summary", "status", "labels", "assignee", "updated"];
const PAGE: u32 = 100;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        let (mode, url, flavour) = (&args[pos + 1], &args[pos + 2], &args[pos + 3]);
        child(mode, url, flavour);
        return;
    }
    let opt = |name: &str| {
        args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
    };
    let sizes: Vec<usize> = opt("--issues")
        .unwrap_or("10000,100000")
        .split(',')
        .map(|s| s.trim().parse().expect("--issues takes numbers"))
        .collect();
    let runs: usize = opt("--runs").map_or(3, |s| s.parse().expect("--runs takes a number"));
    let flavours: Vec<&str> = opt("--flavours").unwrap_or("cloud,dc").split(',').collect();
    let tether = tether_bin();

    println!(
        "{:>8} {:>6} {:>7} {:>8} {:>8} {:>10} {:>7} {:>12} {:>13} {:>13}",
        "issues",
        "jira",
        "mode",
        "seconds",
        "pages/s",
        "issues/s",
        "ratio",
        "peak RSS MB",
        "RSS growth MB",
        "sandbox MB"
    );
    for flavour in &flavours {
        for &n in &sizes {
            let mut sandbox = Sandbox::start(&tether, flavour, n);
            let mut rows = Vec::new();
            for mode in ["bare", "client"] {
                let mut results: Vec<RunResult> =
                    (0..runs).map(|_| run_child(mode, &sandbox.url, flavour)).collect();
                for r in &results {
                    assert_eq!(r.issues, n, "{mode} paged {} of {n} issues", r.issues);
                }
                results.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
                let median = results[results.len() / 2].clone();
                let peak = results.iter().map(|r| r.hwm_end_kb).max().unwrap_or(0);
                let growth =
                    results.iter().map(|r| r.hwm_end_kb - r.hwm_start_kb).max().unwrap_or(0);
                rows.push((mode, median, peak, growth));
            }
            let sandbox_kb = sandbox.peak_kb();
            let bare_s = rows[0].1.seconds;
            for (mode, r, peak, growth) in rows {
                println!(
                    "{:>8} {:>6} {:>7} {:>8.3} {:>8.0} {:>10.0} {:>7.2} {:>12.1} {:>13.1} {:>13.1}",
                    n,
                    flavour,
                    mode,
                    r.seconds,
                    r.pages as f64 / r.seconds,
                    r.issues as f64 / r.seconds,
                    r.seconds / bare_s,
                    peak as f64 / 1024.0,
                    growth as f64 / 1024.0,
                    sandbox_kb as f64 / 1024.0
                );
            }
            sandbox.stop();
        }
    }
}

/// `$TETHER_BIN`, or `tether` in the release folder this bench was built into.
fn tether_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("TETHER_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current exe");
    // <target>/release/deps/paging-<hash>
    let release = exe.parent().and_then(|d| d.parent()).expect("target/release");
    let bin = release.join("tether");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --release -p tether` first (same target folder), \
         or set TETHER_BIN",
        bin.display()
    );
    bin
}

/// A `tether jira-sandbox` child process.
struct Sandbox {
    child: Child,
    url: String,
}

impl Sandbox {
    fn start(tether: &PathBuf, flavour: &str, n: usize) -> Sandbox {
        let mut cmd = Command::new(tether);
        cmd.args(["jira-sandbox", "--port", "0", "--seed-issues", &n.to_string()]);
        if flavour == "dc" {
            cmd.args(["--flavour", "dc"]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", tether.display()));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = loop {
            let line = lines.next().expect("the sandbox exited before printing its URL").unwrap();
            if let Some(i) = line.find("http://") {
                break line[i..].split_whitespace().next().unwrap().to_owned();
            }
        };
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Sandbox { child, url }
    }

    fn peak_kb(&self) -> u64 {
        vm_hwm_kb(&format!("/proc/{}/status", self.child.id()))
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Peak resident set size (`VmHWM`) in KiB from a `/proc/*/status` file.
fn vm_hwm_kb(status_file: &str) -> u64 {
    std::fs::read_to_string(status_file)
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[derive(Debug, Clone)]
struct RunResult {
    seconds: f64,
    pages: usize,
    issues: usize,
    hwm_start_kb: u64,
    hwm_end_kb: u64,
}

fn run_child(mode: &str, url: &str, flavour: &str) -> RunResult {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--child", mode, url, flavour])
        .stderr(Stdio::inherit())
        .output()
        .expect("re-run the bench as a child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child {mode} failed: {stdout}");
    let v: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("child {mode} printed {stdout:?}: {e}"));
    RunResult {
        seconds: v["seconds"].as_f64().unwrap(),
        pages: v["pages"].as_u64().unwrap() as usize,
        issues: v["issues"].as_u64().unwrap() as usize,
        hwm_start_kb: v["hwm_start_kb"].as_u64().unwrap(),
        hwm_end_kb: v["hwm_end_kb"].as_u64().unwrap(),
    }
}

/// One measured run in this (child) process; prints one JSON line.
fn child(mode: &str, url: &str, flavour: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let cloud = flavour == "cloud";
    let (pages, issues, seconds, hwm_start_kb) = rt.block_on(async {
        match mode {
            "bare" => {
                let http = reqwest::Client::new();
                // Warm the connection, as the client's connect() does with serverInfo.
                http.get(format!("{url}/rest/api/2/serverInfo")).send().await.unwrap();
                let hwm_start = vm_hwm_kb("/proc/self/status");
                let started = Instant::now();
                let (pages, issues) =
                    if cloud { bare_cloud(&http, url).await } else { bare_dc(&http, url).await };
                (pages, issues, started.elapsed().as_secs_f64(), hwm_start)
            }
            "client" => {
                let auth = if cloud {
                    Auth::api_token("admin@sandbox.test", "sandbox-token")
                } else {
                    Auth::password("admin", "admin")
                };
                let options =
                    Options { requests_per_second: None, page_size: PAGE, ..Options::default() };
                let client = Client::connect(Site::new(url, auth), options).await.unwrap();
                let hwm_start = vm_hwm_kb("/proc/self/status");
                let started = Instant::now();
                let search = Search::jql(JQL).fields(&FIELDS);
                let (mut pages, mut issues) = (0usize, 0usize);
                if cloud {
                    let mut stream = client.search_jql_pages(search);
                    while let Some(page) = stream.try_next().await.unwrap() {
                        pages += 1;
                        issues += page.issues.len();
                    }
                } else {
                    let mut stream = client.search_offset_pages(search);
                    while let Some(page) = stream.try_next().await.unwrap() {
                        pages += 1;
                        issues += page.issues.len();
                    }
                }
                (pages, issues, started.elapsed().as_secs_f64(), hwm_start)
            }
            other => panic!("unknown mode {other}"),
        }
    });
    let hwm_end_kb = vm_hwm_kb("/proc/self/status");
    println!(
        "{}",
        json!({"seconds": seconds, "pages": pages, "issues": issues,
               "hwm_start_kb": hwm_start_kb, "hwm_end_kb": hwm_end_kb})
    );
}

/// The least a caller can parse: the cursor and how many issues a page held.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MinimalPage {
    #[serde(default)]
    issues: Vec<IgnoredAny>,
    next_page_token: Option<String>,
    is_last: Option<bool>,
    #[serde(default)]
    total: u64,
}

async fn bare_cloud(http: &reqwest::Client, url: &str) -> (usize, usize) {
    let (mut pages, mut issues, mut token) = (0, 0, None::<String>);
    loop {
        let mut body = json!({"jql": JQL, "maxResults": PAGE, "fields": FIELDS});
        if let Some(t) = &token {
            body["nextPageToken"] = json!(t);
        }
        let bytes = http
            .post(format!("{url}/rest/api/3/search/jql"))
            .basic_auth("admin@sandbox.test", Some("sandbox-token"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let page: MinimalPage = serde_json::from_slice(&bytes).unwrap();
        pages += 1;
        issues += page.issues.len();
        match (page.next_page_token, page.is_last) {
            (Some(t), last) if last != Some(true) => token = Some(t),
            _ => return (pages, issues),
        }
    }
}

async fn bare_dc(http: &reqwest::Client, url: &str) -> (usize, usize) {
    let (mut pages, mut issues) = (0, 0);
    let fields = FIELDS.join(",");
    loop {
        let start = issues.to_string();
        let max = PAGE.to_string();
        let bytes = http
            .get(format!("{url}/rest/api/2/search"))
            .basic_auth("admin", Some("admin"))
            .query(&[
                ("jql", JQL),
                ("startAt", start.as_str()),
                ("maxResults", max.as_str()),
                ("fields", fields.as_str()),
            ])
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let page: MinimalPage = serde_json::from_slice(&bytes).unwrap();
        pages += 1;
        issues += page.issues.len();
        if page.issues.is_empty() || issues as u64 >= page.total {
            return (pages, issues);
        }
    }
}
