//! `tether ingest status|run|pause|resume|remove-data`: operator commands for ticket
//! ingestion that act on the database directly (like `tether jira backfill`), so they work
//! whether or not a server runs. `run` runs due passes in this process, with a progress bar per
//! project on a terminal (a line every few seconds elsewhere).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use secrecy::ExposeSecret;
use tether_store::{JiraSite, Store, StoreError, TicketProject};
use tether_sync::ingest::IngestReport;

use crate::config::Config;

/// Ticket ingestion.
#[derive(Debug, clap::Subcommand)]
pub enum IngestCommand {
    /// Each site's ingestion: connection, checks, projects, passes and errors.
    Status {
        /// Only this site.
        #[arg(long)]
        site: Option<String>,
    },
    /// Run a pass of every imported project (or one) now, here, until done.
    Run {
        /// Only this site's projects (the name it has in tether).
        #[arg(long)]
        site: Option<String>,
        /// A Jira project key (or id); needs --site.
        #[arg(long, requires = "site")]
        project: Option<String>,
        /// End every ingestion claim first, as if its lease had run out, so passes a killed
        /// process left resume now rather than after the lease: only when no other tether
        /// process ingests from this database. On SQLite this is done whenever no `tether
        /// serve` holds the database.
        #[arg(long)]
        reclaim: bool,
    },
    /// Pause all imports of a site (or of every site): no new data comes, nothing is removed.
    Pause {
        /// Only this site (default: every site with an ingestion connection).
        #[arg(long)]
        site: Option<String>,
    },
    /// Resume imports paused with `pause`.
    Resume {
        /// Only this site (default: every site with an ingestion connection).
        #[arg(long)]
        site: Option<String>,
    },
    /// Remove ingested data: one project's, or (without --project) turn the site's ticket
    /// integration off, removing everything it brought.
    RemoveData {
        /// The site whose ingested data goes (the name it has in tether).
        #[arg(long)]
        site: String,
        /// Only this Jira project's tickets (key or id); while its import is on, its next pass
        /// brings them back in full.
        #[arg(long)]
        project: Option<String>,
        /// Confirm removing everything a site's ingestion brought.
        #[arg(long)]
        yes: bool,
    },
}

pub async fn run(config: &Config, store: &Store, command: IngestCommand) -> Result<()> {
    match command {
        IngestCommand::Status { site } => {
            for s in sites(store, site.as_deref()).await? {
                print!("{}", status_text(store, &s).await?);
            }
            Ok(())
        }
        IngestCommand::Pause { site } => switch(store, site.as_deref(), true).await,
        IngestCommand::Resume { site } => switch(store, site.as_deref(), false).await,
        IngestCommand::RemoveData { site, project, yes } => {
            let s = site_by_name(store, &site).await?;
            match project {
                Some(p) => {
                    let n = store.remove_ticket_project_data(s.id, &p, "cli").await.map_err(
                        |e| match e {
                            StoreError::NotFound => {
                                anyhow::anyhow!("no project {p:?} was discovered on site {site:?}")
                            }
                            other => other.into(),
                        },
                    )?;
                    println!("removed {n} tickets of {p} from {site}");
                }
                None if !yes => bail!(
                    "this turns the ticket integration of {site:?} off and removes every ticket it \
                     brought; run again with --yes to confirm, or name one --project"
                ),
                None => {
                    if store.delete_ticket_connection(s.id, "cli").await? {
                        println!(
                            "turned the ticket integration of {site} off and removed its data"
                        );
                    } else {
                        println!("{site} has no ticket integration");
                    }
                }
            }
            Ok(())
        }
        IngestCommand::Run { site, project, reclaim } => {
            // While this process holds a SQLite database's lock no other tether uses it, so any
            // claim in it is a dead process's. With a server holding it, its ingester's claims
            // are live: leave them (and the lock) alone.
            let url = config.database_url.expose_secret();
            let lock = match crate::dblock::DatabaseLock::acquire(url, "tether ingest run") {
                Ok(Some(lock)) => Some(lock),
                Ok(None) | Err(_) => None,
            };
            if reclaim || lock.is_some() {
                let n = store.expire_ticket_claims().await?;
                if n > 0 {
                    eprintln!("ended {n} ingestion claims left by a stopped process");
                }
            }
            let done = run_now(config, store, site.as_deref(), project.as_deref()).await;
            drop(lock);
            done
        }
    }
}

async fn switch(store: &Store, site: Option<&str>, pause: bool) -> Result<()> {
    for s in sites(store, site).await? {
        if store.ticket_connection(s.id).await?.is_none() {
            continue;
        }
        store.set_ticket_switches(s.id, Some(pause), None, "cli").await?;
        println!("{} {}", if pause { "paused" } else { "resumed" }, s.name);
    }
    Ok(())
}

async fn site_by_name(store: &Store, name: &str) -> Result<JiraSite> {
    match store.jira_site_by_name(name).await {
        Ok(s) => Ok(s),
        Err(StoreError::NotFound) => {
            let known: Vec<String> =
                store.list_jira_sites().await?.into_iter().map(|s| s.name).collect();
            bail!(
                "no Jira site named {name:?}; known: {}",
                if known.is_empty() { "none".to_owned() } else { known.join(", ") }
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// The sites with an ingestion connection (or the one named).
async fn sites(store: &Store, only: Option<&str>) -> Result<Vec<JiraSite>> {
    if let Some(name) = only {
        let s = site_by_name(store, name).await?;
        if store.ticket_connection(s.id).await?.is_none() {
            bail!(
                "site {name:?} has no ticket ingestion connection; set one up on its ingestion page"
            );
        }
        return Ok(vec![s]);
    }
    let mut out = Vec::new();
    for s in store.list_jira_sites().await? {
        if store.ticket_connection(s.id).await?.is_some() {
            out.push(s);
        }
    }
    Ok(out)
}

/// `2026-01-31 10:15:00 UTC`, or `never`.
fn when(ms: Option<i64>) -> String {
    ms.and_then(|t| jiff::Timestamp::from_millisecond(t).ok())
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "never".to_owned())
}

/// What `tether ingest status` prints for a site.
pub async fn status_text(store: &Store, s: &JiraSite) -> Result<String> {
    let Some(c) = store.ticket_connection(s.id).await? else { return Ok(String::new()) };
    let mut out = format!(
        "{} ({}): {} as {}",
        s.name,
        s.url,
        c.auth_kind.as_str(),
        if c.auth_user.is_empty() { "its token" } else { &c.auth_user }
    );
    out.push_str(if c.paused { ", paused" } else { ", running" });
    if c.auto_import {
        out.push_str(", auto-import on");
    }
    if !c.authorised {
        out.push_str(", application link not authorised yet");
    }
    out.push('\n');
    match &c.check {
        Some(check) => {
            out.push_str(&format!("  check: {}\n", if check.ok { "ok" } else { "failed" }));
            for m in check.report.get("messages").and_then(|m| m.as_array()).into_iter().flatten() {
                out.push_str(&format!("    - {}\n", m.as_str().unwrap_or_default()));
            }
        }
        None => out.push_str("  check: not run yet\n"),
    }
    let counts = store.ticket_counts(s.id).await?;
    for p in store.ticket_projects(s.id).await? {
        let state = if !p.processable() {
            "not processed (Service Management)".to_owned()
        } else if !p.imported {
            "import off".to_owned()
        } else if p.in_pass() {
            format!(
                "pass under way: {} of {}",
                p.pass_done,
                p.pass_total.map_or("?".to_owned(), |t| t.to_string())
            )
        } else {
            format!(
                "last pass {} ({} tickets)",
                when(p.last_pass_finished_at),
                p.last_pass_issues.unwrap_or(0)
            )
        };
        out.push_str(&format!(
            "  {:<10} {:>7} tickets  {state}{}\n",
            p.key,
            counts.get(&p.id).copied().unwrap_or(0),
            p.last_error
                .as_deref()
                .map(|e| format!("\n             error: {e}"))
                .unwrap_or_default()
        ));
    }
    let stats = store.ticket_stats(s.id).await?;
    out.push_str(&format!(
        "  in all: {} tickets, {} history items, {} comments, {} worklogs, {} people\n",
        stats.tickets, stats.changes, stats.comments, stats.worklogs, stats.users
    ));
    Ok(out)
}

async fn run_now(
    config: &Config,
    store: &Store,
    site: Option<&str>,
    project: Option<&str>,
) -> Result<()> {
    let sites = sites(store, site).await?;
    let mut due = 0;
    for s in &sites {
        due += store.ticket_run_now(s.id, project).await.map_err(|e| match e {
            StoreError::NotFound => anyhow::anyhow!(
                "no project {:?} was discovered on site {:?}",
                project.unwrap_or_default(),
                s.name
            ),
            other => other.into(),
        })?;
    }
    if due == 0 {
        println!(
            "nothing to run: no project is imported (turn imports on with the site's ingestion page)"
        );
        return Ok(());
    }
    let ingester = crate::run::ingester(config, store);
    let started = Instant::now();
    let work = tokio::spawn(async move {
        let mut total = IngestReport::default();
        loop {
            let r = ingester.tick().await?;
            total.sites += r.sites;
            total.passes += r.passes;
            total.issues += r.issues;
            total.removed += r.removed;
            total.failed += r.failed;
            if !r.busy() {
                return Ok::<_, tether_sync::SyncError>(total);
            }
        }
    });
    let mut bars = Bars::new();
    let ids: Vec<i64> = sites.iter().map(|s| s.id).collect();
    while !work.is_finished() {
        let mut projects = Vec::new();
        for id in &ids {
            projects.extend(store.ticket_projects(*id).await?);
        }
        bars.show(&projects);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bars.finish();
    let total = work.await.context("the ingestion task failed")?.context("ingestion failed")?;
    println!(
        "ingested {} issues in {} passes in {:.1?}; {} tickets removed; {} passes failed (see `tether ingest status`)",
        total.issues,
        total.passes,
        started.elapsed(),
        total.removed,
        total.failed
    );
    Ok(())
}

/// A bar per project under way on a terminal; elsewhere a line every few seconds.
enum Bars {
    Terminal { multi: indicatif::MultiProgress, bars: BTreeMap<String, indicatif::ProgressBar> },
    Lines { last: Option<Instant> },
}

impl Bars {
    fn new() -> Bars {
        if std::io::stderr().is_terminal() {
            Bars::Terminal { multi: indicatif::MultiProgress::new(), bars: BTreeMap::new() }
        } else {
            Bars::Lines { last: None }
        }
    }

    fn show(&mut self, projects: &[TicketProject]) {
        match self {
            Bars::Terminal { multi, bars } => {
                for p in projects.iter().filter(|p| p.in_pass()) {
                    let bar = bars.entry(format!("{}/{}", p.site_id, p.key)).or_insert_with(|| {
                        let bar = multi.add(indicatif::ProgressBar::new(0));
                        let style = indicatif::ProgressStyle::with_template(
                            "{prefix:>10} {bar:40} {pos}/{len} issues ({eta} left)",
                        )
                        .expect("a valid template");
                        bar.set_style(style);
                        bar.set_prefix(p.key.clone());
                        bar
                    });
                    bar.set_length(p.pass_total.unwrap_or(p.pass_done).max(p.pass_done) as u64);
                    bar.set_position(p.pass_done as u64);
                }
            }
            Bars::Lines { last } => {
                if last.is_some_and(|l| l.elapsed() < Duration::from_secs(2)) {
                    return;
                }
                for p in projects.iter().filter(|p| p.in_pass()) {
                    let total = p.pass_total.map_or("?".to_owned(), |t| t.to_string());
                    eprintln!("ingest {}: {}/{total} issues", p.key, p.pass_done);
                }
                *last = Some(Instant::now());
            }
        }
    }

    fn finish(self) {
        if let Bars::Terminal { bars, .. } = self {
            for bar in bars.into_values() {
                bar.finish_and_clear();
            }
        }
    }
}
