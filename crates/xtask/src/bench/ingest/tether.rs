//! The tether side of `cargo xtask bench ingest`: a database (SQLite or a scratch PostgreSQL
//! one) with the sandbox as a Jira site and an ingestion connection importing every project,
//! and `tether ingest run` as a child process, timed with its peak memory, or SIGKILLed at
//! seeded random moments a number of times and then started again until its passes are done.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rustix::process::{Pid, Signal, kill_process};
use tether_store::{
    DiscoveredProject, JiraAuthKind, MasterKey, NewJiraSite, Store, TicketCredentials,
};

use super::jira::{EMAIL, Sandbox, TOKEN};

/// A database tether ingests into, with what `tether` needs to open it.
pub struct Target {
    pub url: String,
    pub key: MasterKey,
    pub store: Store,
    pub site_id: i64,
    pub dir: PathBuf,
}

/// One `tether ingest run`: its wall time, peak RSS (KiB) and what it said it ingested.
#[derive(Debug, Clone, Copy, Default)]
pub struct Run {
    pub seconds: f64,
    pub peak_kib: u64,
    pub issues: usize,
}

impl Target {
    /// A database at `url` (migrated) with the sandbox as a site, its ingestion connection on
    /// the sandbox's API token, its projects discovered and every processable one imported.
    /// The site is not paced (`requests_per_second: null`), as a sandbox on loopback needs no
    /// protecting; the client's cap of requests at a time stays 4 unless `max_concurrency`
    /// sets the site's own.
    pub async fn new(
        url: String,
        dir: &Path,
        sandbox: &Sandbox,
        max_concurrency: Option<usize>,
    ) -> Result<Target> {
        let key = MasterKey::generate();
        let store = Store::connect(&url, key.clone())
            .await
            .with_context(|| format!("cannot open {url}"))?;
        store.migrate().await?;
        let mut options = serde_json::Map::new();
        options.insert("requests_per_second".into(), serde_json::Value::Null);
        if let Some(n) = max_concurrency {
            options.insert("max_concurrency".into(), n.into());
        }
        let site = NewJiraSite {
            name: "sandbox".into(),
            url: sandbox.url.clone(),
            api_url: None,
            deployment: None,
            auth_kind: JiraAuthKind::ApiToken,
            auth_user: EMAIL.into(),
            secret: TOKEN.to_owned().into(),
            options,
        };
        let site_id = store.create_jira_site(&site, "bench").await?.id;
        let creds =
            TicketCredentials::ApiToken { email: EMAIL.into(), token: TOKEN.to_owned().into() };
        store.put_ticket_connection(site_id, &creds, "bench").await?;
        // `ingest run` runs the passes of projects known to be imported; the site's checks and
        // catalogues are its first tick's work (the site was never checked).
        let projects: Vec<DiscoveredProject> = sandbox
            .projects()
            .await?
            .into_iter()
            .map(|(id, key, name, type_key)| DiscoveredProject {
                id,
                key,
                name,
                type_key: Some(type_key),
                category: None,
                team_managed: false,
                can_browse: true,
                can_create: true,
            })
            .collect();
        store.set_ticket_switches(site_id, None, Some(true), "bench").await?;
        store.record_ticket_projects(site_id, &projects).await?;
        Ok(Target { url, key, store, site_id, dir: dir.to_owned() })
    }

    /// `tether ingest run` on this database, configured by environment only.
    fn command(&self, tether: &Path, reclaim: bool) -> Command {
        let mut cmd = Command::new(tether);
        cmd.args(["ingest", "run"]).current_dir(&self.dir);
        if reclaim {
            cmd.arg("--reclaim");
        }
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("TETHER_") {
                cmd.env_remove(name);
            }
        }
        cmd.env("TETHER_DATABASE_URL", &self.url)
            .env("TETHER_MASTER_KEY", self.key.to_base64())
            .env("TETHER_DATA_DIR", &self.dir)
            .env("TETHER_OUTBOUND_ALLOW_LOOPBACK", "true")
            // Where the Jira webhooks the ingester registers point: nowhere (port 9, discard),
            // so the sandbox's deliveries bother no server that happens to listen on 8080.
            .env("TETHER_PUBLIC_URL", "http://127.0.0.1:9")
            .env("TETHER_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        cmd
    }

    /// Runs `tether ingest run` to its end, sampling its peak RSS.
    pub fn ingest(&self, tether: &Path) -> Result<Run> {
        let started = Instant::now();
        let mut child = self.command(tether, false).spawn().context("cannot run tether")?;
        let mut peak = 0;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            peak = peak.max(super::peak_kib(child.id()).unwrap_or(0));
            std::thread::sleep(Duration::from_millis(20));
        };
        let seconds = started.elapsed().as_secs_f64();
        let mut out = String::new();
        std::io::Read::read_to_string(&mut child.stdout.take().expect("piped"), &mut out)?;
        if !status.success() {
            bail!("tether ingest run failed ({status}): {out}");
        }
        let issues = out
            .lines()
            .find_map(|l| l.strip_prefix("ingested "))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        Ok(Run { seconds, peak_kib: peak, issues })
    }

    /// Whether every imported project has finished a pass and none is under way.
    pub async fn settled(&self) -> Result<bool> {
        let projects = self.store.ticket_projects(self.site_id).await?;
        Ok(projects
            .iter()
            .filter(|p| p.imported)
            .all(|p| !p.in_pass() && p.last_pass_finished_at.is_some()))
    }

    /// Ingests with `tether ingest run` SIGKILLed at random moments (seeded: each of the first
    /// `kills` runs lives 0.2 to `max_life` seconds), then started again until a run ends by
    /// itself with every pass done. Answers the kills, the runs and the wall time.
    pub async fn ingest_killed(
        &self,
        tether: &Path,
        seed: u64,
        max_life: f64,
        kills: usize,
    ) -> Result<(usize, usize, f64)> {
        let mut rng = StdRng::seed_from_u64(seed);
        let started = Instant::now();
        let (mut killed, mut runs) = (0, 0);
        loop {
            runs += 1;
            let life = (killed < kills)
                .then(|| Duration::from_secs_f64(rng.gen_range(0.2..max_life.max(0.3))));
            // PostgreSQL takes no lock a restarted process could learn from: it is told.
            let reclaim = !self.url.starts_with("sqlite:");
            let mut child = self.command(tether, reclaim).spawn().context("cannot run tether")?;
            let born = Instant::now();
            let status = loop {
                if let Some(status) = child.try_wait()? {
                    break Some(status);
                }
                if life.is_some_and(|l| born.elapsed() >= l) {
                    kill_process(Pid::from_child(&child), Signal::KILL)
                        .context("cannot SIGKILL tether")?;
                    child.wait()?;
                    break None;
                }
                std::thread::sleep(Duration::from_millis(5));
            };
            let settled = status.is_some() && self.settled().await?;
            match status {
                None => killed += 1,
                Some(s) if !s.success() => {
                    let mut out = String::new();
                    let _ = std::io::Read::read_to_string(
                        &mut child.stdout.take().expect("piped"),
                        &mut out,
                    );
                    bail!("tether ingest run failed ({s}): {out}");
                }
                Some(_) if settled => break,
                // Ended by itself with a pass or the site's checks put back for later (a
                // fault): run it again, after a breath.
                Some(_) => std::thread::sleep(Duration::from_secs(1)),
            }
            if runs > 2_000 {
                bail!("ingestion did not settle after {runs} runs");
            }
        }
        Ok((killed, runs, started.elapsed().as_secs_f64()))
    }

    /// Each imported project's issue keys (generated keys are numbered from 1 without gaps).
    pub async fn keys(&self) -> Result<Vec<String>> {
        let counts = self.store.ticket_counts(self.site_id).await?;
        let mut keys = Vec::new();
        for p in self.store.ticket_projects(self.site_id).await? {
            let n = counts.get(&p.id).copied().unwrap_or(0);
            keys.extend((1..=n).map(|i| format!("{}-{i}", p.key)));
        }
        Ok(keys)
    }

    /// Row counts and checksums of every ticket table.
    pub async fn checksums(&self) -> Result<Vec<(String, i64, String)>> {
        Ok(self.store.ticket_checksums(self.site_id).await?)
    }
}
