//! The Jira side of `cargo xtask bench ingest`: a release `tether jira-sandbox` child seeded
//! with generated issues, the bare fetch loop (the limit tether's ingestion is held to), and
//! the changes made to the sandbox's issues before an incremental pass.
//!
//! The bare loop asks for exactly what tether's ingester asks for (`tether-sync`'s `ingest/`
//! pass and enrichment): per processable project, keyset search pages by key of 100 with
//! every field and the changelog (Cloud's `POST /rest/api/3/search/jql`), each page's next
//! page fetched while the page is completed — truncated changelogs through the bulk endpoint,
//! comments and worklogs beyond the embedded ones, every issue's remote links — under the
//! same cap of 4 requests at a time as the client. It parses no more than it needs to find
//! those requests and stores nothing.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result, anyhow, bail};
use futures_util::future::try_join_all;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

/// The sandbox's built-in administrator (`jira_sandbox::DEFAULT_EMAIL`, `DEFAULT_API_TOKEN`).
pub const EMAIL: &str = "admin@sandbox.test";
pub const TOKEN: &str = "sandbox-token";
/// The Jira client's default cap of requests in flight per site (`tether_jira::Options`).
const CONCURRENCY: usize = 4;
/// Issues per search page (`tether_jira::tickets::TICKET_PAGE_SIZE`).
const PAGE: u32 = 100;

/// A `tether jira-sandbox` child process (Cloud), stopped when dropped.
pub struct Sandbox {
    child: Child,
    pub url: String,
    http: reqwest::Client,
}

impl Sandbox {
    /// Starts the sandbox with `issues` generated issues and waits for its address.
    pub fn start(tether: &Path, issues: usize) -> Result<Sandbox> {
        eprintln!("bench: starting the sandbox with {issues} generated issues");
        let mut child = Command::new(tether)
            .args(["jira-sandbox", "--port", "0", "--seed-issues", &issues.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot run {} jira-sandbox", tether.display()))?;
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let url = loop {
            let Some(line) = lines.next() else {
                let _ = child.kill();
                bail!("the sandbox exited before printing its address");
            };
            let line = line?;
            if let Some(i) = line.find("http://") {
                break line[i..].split_whitespace().next().unwrap_or_default().to_owned();
            }
        };
        // Keep reading its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Sandbox { child, url, http: reqwest::Client::new() })
    }

    /// The processable projects (software and business) as (id, key, name, type).
    pub async fn projects(&self) -> Result<Vec<(String, String, String, String)>> {
        let list: Vec<Value> = self.get_json("/rest/api/3/project").await?;
        Ok(list
            .iter()
            .map(|p| {
                let s = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
                (s("id"), s("key"), s("name"), s("projectTypeKey"))
            })
            .collect())
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T> {
        let r = self.http.get(format!("{}{path}", self.url)).basic_auth(EMAIL, Some(TOKEN));
        Ok(r.send().await?.error_for_status()?.json().await?)
    }

    /// Injects faults: `rate` of the REST requests answered 500 or 503 (0 turns them off).
    pub async fn set_faults(&self, rate: f64) -> Result<()> {
        let knobs = json!({"fault_rate": rate, "fault_statuses": [500, 503]});
        self.http
            .put(format!("{}/_sandbox/knobs", self.url))
            .json(&knobs)
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    /// Changes `count` issues picked at random (seeded) from the projects' keys: a new summary
    /// and a comment each, through the REST API as a person would; answers how many.
    pub async fn change_issues(&self, keys: &[String], count: usize, seed: u64) -> Result<usize> {
        let mut rng = StdRng::seed_from_u64(seed);
        let picked: Vec<&String> = keys.choose_multiple(&mut rng, count).collect();
        let n = rng.gen_range(0..1000);
        let sem = Arc::new(Semaphore::new(CONCURRENCY));
        try_join_all(picked.iter().map(|key| {
            let sem = sem.clone();
            async move {
                let _permit = sem.acquire().await?;
                let issue = format!("{}/rest/api/2/issue/{key}", self.url);
                let edit =
                    json!({"fields": {"summary": format!("Changed for the benchmark ({n})")}});
                let r = self.http.put(&issue).basic_auth(EMAIL, Some(TOKEN)).json(&edit);
                r.send().await?.error_for_status()?;
                let comment = json!({"body": "Changed for the incremental pass."});
                let r = self
                    .http
                    .post(format!("{issue}/comment"))
                    .basic_auth(EMAIL, Some(TOKEN))
                    .json(&comment);
                r.send().await?.error_for_status()?;
                anyhow::Ok(())
            }
        }))
        .await?;
        Ok(picked.len())
    }

    /// The peak resident memory of the sandbox so far, in KiB.
    pub fn peak_kib(&self) -> u64 {
        super::peak_kib(self.child.id()).unwrap_or(0)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one bare run fetched.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, Deserialize)]
pub struct Fetched {
    pub issues: usize,
    pub requests: usize,
    pub seconds: f64,
}

/// The least of a search page the loop needs.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    issues: Vec<Issue>,
    is_last: Option<bool>,
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct Issue {
    id: String,
    key: String,
    changelog: Option<Listing<IgnoredAny>>,
    #[serde(default)]
    fields: Fields,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Fields {
    comment: Option<Comments>,
    worklog: Option<Worklogs>,
}

#[derive(Deserialize)]
struct Listing<T> {
    total: Option<u64>,
    #[serde(default)]
    histories: Vec<T>,
}

#[derive(Deserialize)]
struct Comments {
    total: Option<u64>,
    #[serde(default)]
    comments: Vec<IgnoredAny>,
}

#[derive(Deserialize)]
struct Worklogs {
    total: Option<u64>,
    #[serde(default)]
    worklogs: Vec<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Paged {
    total: Option<u64>,
    is_last: Option<bool>,
    next_page_token: Option<String>,
    #[serde(default)]
    values: Vec<IgnoredAny>,
    #[serde(default)]
    comments: Vec<IgnoredAny>,
    #[serde(default)]
    worklogs: Vec<IgnoredAny>,
}

/// The bare loop's HTTP side: one client, the cap, a request count.
struct Bare {
    http: reqwest::Client,
    url: String,
    sem: Semaphore,
    requests: std::sync::atomic::AtomicUsize,
}

impl Bare {
    async fn call(&self, req: reqwest::RequestBuilder) -> Result<bytes::Bytes> {
        let _permit = self.sem.acquire().await?;
        self.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let r = req.basic_auth(EMAIL, Some(TOKEN)).send().await?.error_for_status()?;
        Ok(r.bytes().await?)
    }

    async fn page(&self, project: &str, after: Option<&str>) -> Result<Page> {
        let mut jql = format!("project = \"{project}\"");
        if let Some(k) = after {
            jql.push_str(&format!(" AND key > \"{k}\""));
        }
        jql.push_str(" ORDER BY key ASC");
        let body =
            json!({"jql": jql, "maxResults": PAGE, "fields": ["*all"], "expand": "changelog"});
        let bytes =
            self.call(self.http.post(format!("{}/rest/api/3/search/jql", self.url)).json(&body));
        Ok(serde_json::from_slice(&bytes.await?)?)
    }

    /// Every page of a paged listing at `path` (`startAt` or, with a body, `nextPageToken`).
    async fn all(&self, path: &str, max: u32, body: Option<Value>) -> Result<()> {
        let (mut seen, mut token) = (0u64, None::<String>);
        loop {
            let req = match &body {
                Some(b) => {
                    let mut b = b.clone();
                    if let Some(t) = &token {
                        b["nextPageToken"] = json!(t);
                    }
                    self.http.post(format!("{}{path}", self.url)).json(&b)
                }
                None => self
                    .http
                    .get(format!("{}{path}", self.url))
                    .query(&[("startAt", seen.to_string()), ("maxResults", max.to_string())]),
            };
            let p: Paged = serde_json::from_slice(&self.call(req).await?)?;
            let got = (p.values.len() + p.comments.len() + p.worklogs.len()) as u64;
            seen += got;
            let more = match (&body, p.is_last, p.total) {
                (Some(_), _, _) => {
                    p.next_page_token.as_ref().is_some_and(|t| Some(t) != token.as_ref())
                }
                (None, Some(last), _) => !last,
                (None, None, Some(total)) => seen < total,
                (None, None, None) => false,
            };
            if !more || (body.is_none() && got == 0) {
                return Ok(());
            }
            token = p.next_page_token;
        }
    }

    /// What the ingester's enrichment fetches for one page.
    async fn complete(&self, issues: &[Issue]) -> Result<()> {
        let truncated: Vec<&str> = issues
            .iter()
            .filter(|i| {
                i.changelog.as_ref().is_some_and(|c| c.total > Some(c.histories.len() as u64))
            })
            .map(|i| i.id.as_str())
            .collect();
        if !truncated.is_empty() {
            let body = json!({"issueIdsOrKeys": truncated, "maxResults": 1000});
            self.all("/rest/api/3/changelog/bulkfetch", 1000, Some(body)).await?;
        }
        try_join_all(issues.iter().map(|i| async move {
            let base = format!("/rest/api/3/issue/{}", i.id);
            if let Some(c) = &i.fields.comment
                && c.total.is_none_or(|t| t > c.comments.len() as u64)
            {
                self.all(&format!("{base}/comment"), 100, None).await?;
            }
            if let Some(w) = &i.fields.worklog
                && w.total.is_none_or(|t| t > w.worklogs.len() as u64)
            {
                self.all(&format!("{base}/worklog"), 1000, None).await?;
            }
            self.call(self.http.get(format!("{}{base}/remotelink", self.url))).await?;
            anyhow::Ok(())
        }))
        .await?;
        Ok(())
    }
}

/// Fetches every processable project's issues as the ingester does, storing nothing.
pub async fn bare_fetch(url: &str, projects: &[String]) -> Result<Fetched> {
    let bare = Bare {
        http: reqwest::Client::new(),
        url: url.trim_end_matches('/').to_owned(),
        sem: Semaphore::new(CONCURRENCY),
        requests: Default::default(),
    };
    // Warm the connection, as the client's connect() does with serverInfo.
    bare.call(bare.http.get(format!("{url}/rest/api/3/serverInfo"))).await?;
    let started = Instant::now();
    let mut issues = 0;
    for project in projects {
        let mut page = bare.page(project, None).await?;
        loop {
            let more = page.is_last == Some(false)
                || (page.is_last.is_none() && page.next_page_token.is_some());
            let last = page.issues.last().map(|i| i.key.clone());
            issues += page.issues.len();
            let next = async {
                match (&last, more) {
                    (Some(k), true) => Some(bare.page(project, Some(k)).await),
                    _ => None,
                }
            };
            let (done, next) = tokio::join!(bare.complete(&page.issues), next);
            done?;
            match next {
                Some(p) => page = p?,
                None => break,
            }
        }
    }
    let requests = bare.requests.load(std::sync::atomic::Ordering::Relaxed);
    Ok(Fetched { issues, requests, seconds: started.elapsed().as_secs_f64() })
}

/// Runs the bare loop in a child process (this binary, `bench ingest-bare`), so its memory is
/// its own; answers what it fetched and its peak RSS in KiB.
pub fn bare_child(url: &str, projects: &[String]) -> Result<(Fetched, u64)> {
    let exe = std::env::current_exe().context("cannot find this xtask binary")?;
    let out = Command::new(exe)
        .args(["bench", "ingest-bare", "--url", url, "--projects", &projects.join(",")])
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run the bare loop")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("the bare loop failed ({}): {stdout}", out.status);
    }
    let v: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .map_err(|e| anyhow!("the bare loop printed {stdout:?}: {e}"))?;
    let fetched: Fetched = serde_json::from_value(v["fetched"].clone())?;
    Ok((fetched, v["peak_kib"].as_u64().unwrap_or(0)))
}

/// `xtask bench ingest-bare`: the child's side; prints one JSON line.
pub fn bare_main(url: &str, projects: &str) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let projects: Vec<String> = projects.split(',').map(str::to_owned).collect();
    let fetched = rt.block_on(bare_fetch(url, &projects))?;
    let peak = super::peak_kib(std::process::id()).unwrap_or(0);
    println!("{}", json!({"fetched": fetched, "peak_kib": peak}));
    Ok(())
}
