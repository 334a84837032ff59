//! `tether jira backfill` and `tether jira reconcile`: operator commands that
//! act on the database and a Jira site directly (like `tether tokens`), so
//! they work whether or not a server runs.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tether_store::{Store, StoreError};
use tether_sync::jira::{BackfillReport, JiraClients, JiraContext, ReconcileMode, ReconcileReport};

/// Maintenance of what a Jira site holds.
#[derive(Debug, clap::Subcommand)]
pub enum JiraMaintenance {
    /// Re-send every flag a site should show (after a reinstall or a restore).
    Backfill {
        /// The site's name (as listed by the API or `tether jira sites`).
        #[arg(long)]
        site: String,
    },
    /// Read back what a site holds for each flag and repair what differs.
    Reconcile {
        /// The site's name (as `tether jira sites list` shows it).
        #[arg(long)]
        site: String,
        /// Only report; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub async fn run(
    store: &Store,
    public_url: String,
    outbound: tether_jira::OutboundPolicy,
    command: JiraMaintenance,
) -> Result<()> {
    let jira = JiraContext {
        clients: JiraClients::new(
            store.clone(),
            tether_jira::Options { outbound, ..tether_jira::Options::default() },
        ),
        public_url,
    };
    match command {
        JiraMaintenance::Backfill { site } => {
            let site = site_by_name(store, &site).await?;
            let mut bar = Progress::new("backfill", "flags sent");
            let report =
                tether_sync::jira::backfill(store, &jira, site.id, &mut |d, t| bar.show(d, t))
                    .await
                    .with_context(|| format!("backfill of Jira site {:?} failed", site.name))?;
            bar.finish();
            // Read again: the first connection may have detected its deployment.
            let site = store.jira_site(site.id).await?;
            print!("{}", backfill_summary(&site, &report));
            Ok(())
        }
        JiraMaintenance::Reconcile { site, dry_run } => {
            let site = site_by_name(store, &site).await?;
            let mut bar = Progress::new("reconcile", "flags checked");
            let mode = if dry_run { ReconcileMode::Check } else { ReconcileMode::Repair };
            let report = tether_sync::jira::reconcile(store, &jira, site.id, mode, &mut |d, t| {
                bar.show(d, t)
            })
            .await
            .with_context(|| format!("reconcile of Jira site {:?} failed", site.name))?;
            bar.finish();
            let site = store.jira_site(site.id).await?;
            print!("{}", reconcile_summary(&site, &report, dry_run));
            Ok(())
        }
    }
}

async fn site_by_name(store: &Store, name: &str) -> Result<tether_store::JiraSite> {
    match store.jira_site_by_name(name).await {
        Ok(site) => Ok(site),
        Err(StoreError::NotFound) => {
            let known: Vec<String> =
                store.list_jira_sites().await?.into_iter().map(|s| s.name).collect();
            if known.is_empty() {
                bail!("no Jira site named {name:?}: none is registered");
            }
            bail!("no Jira site named {name:?}; known: {}", known.join(", "))
        }
        Err(e) => Err(e.into()),
    }
}

/// A bar on a terminal; elsewhere (logs, CI) a line every few seconds.
enum Progress {
    Bar(indicatif::ProgressBar),
    Lines { what: &'static str, unit: &'static str, last: Option<Instant> },
}

impl Progress {
    fn new(what: &'static str, unit: &'static str) -> Progress {
        if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new(0);
            let style = indicatif::ProgressStyle::with_template(&format!(
                "{what} {{bar:40}} {{pos}}/{{len}} {unit} ({{eta}} left)"
            ))
            .expect("a valid template");
            bar.set_style(style);
            Progress::Bar(bar)
        } else {
            Progress::Lines { what, unit, last: None }
        }
    }

    fn show(&mut self, done: usize, total: usize) {
        match self {
            Progress::Bar(bar) => {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }
            Progress::Lines { what, unit, last } => {
                let due = last.is_none_or(|l| l.elapsed() >= Duration::from_secs(2));
                if due || done == total {
                    eprintln!("{what}: {done}/{total} {unit}");
                    *last = Some(Instant::now());
                }
            }
        }
    }

    fn finish(self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

fn deployment(site: &tether_store::JiraSite) -> &str {
    match site.deployment.as_deref() {
        Some("cloud") => "Cloud",
        Some("dc") => "Data Center",
        _ => "unknown deployment",
    }
}

fn names(items: &[(String, String)]) -> String {
    items.iter().map(|(f, why)| format!("\n      {f}: {why}")).collect()
}

/// What `tether jira backfill` prints.
pub fn backfill_summary(site: &tether_store::JiraSite, r: &BackfillReport) -> String {
    let s = &r.stats;
    let mut out = format!(
        "backfill of Jira site {:?} ({}): {} flags\n",
        site.name,
        deployment(site),
        r.flags
    );
    out.push_str(&format!("  sent:               {}\n", s.sent));
    out.push_str(&format!("  removed:            {}\n", s.deleted));
    out.push_str(&format!("  failed:             {}{}\n", s.failed, names(&s.failures)));
    out.push_str(&format!("  queued for retry:   {}\n", r.queued));
    if s.unshown > 0 {
        out.push_str(&format!(
            "  shown nowhere:      {} (linked only to issues Jira does not have)\n",
            s.unshown
        ));
    }
    let unknown: Vec<&str> = s.unknown_issue_keys.iter().map(String::as_str).collect();
    out.push_str(&format!(
        "  unknown issue keys: {}{}\n",
        unknown.len(),
        if unknown.is_empty() { String::new() } else { format!(" ({})", unknown.join(", ")) }
    ));
    match &r.properties_skipped {
        Some(why) => out.push_str(&format!("  issue properties:   skipped: {why}\n")),
        None if site.deployment.as_deref() == Some("cloud") => out.push_str(&format!(
            "  issue properties:   {} rewritten, {} queued\n",
            r.properties, r.properties_queued
        )),
        None => {}
    }
    out
}

/// What `tether jira reconcile` prints.
pub fn reconcile_summary(
    site: &tether_store::JiraSite,
    r: &ReconcileReport,
    dry_run: bool,
) -> String {
    let mut out = format!(
        "reconcile of Jira site {:?} ({}): {} flags checked\n",
        site.name,
        deployment(site),
        r.checked
    );
    out.push_str(&format!("  in sync:  {}\n", r.in_sync.len()));
    out.push_str(&format!("  missing:  {}{}\n", r.missing.len(), names(&r.missing)));
    out.push_str(&format!("  stale:    {}{}\n", r.stale.len(), names(&r.stale)));
    let to_repair = r.missing.len() + r.stale.len();
    if dry_run {
        if to_repair > 0 {
            out.push_str(&format!(
                "  dry run: nothing changed; run without --dry-run to repair {to_repair} flag{}\n",
                if to_repair == 1 { "" } else { "s" }
            ));
        }
    } else {
        let listed = |v: &[String]| {
            if v.is_empty() { String::new() } else { format!("  ({})", v.join(", ")) }
        };
        out.push_str(&format!("  repaired: {}{}\n", r.repaired.len(), listed(&r.repaired)));
        if !r.queued.is_empty() {
            out.push_str(&format!("  queued for retry: {}{}\n", r.queued.len(), listed(&r.queued)));
        }
    }
    if !r.failed.is_empty() {
        out.push_str(&format!("  failed:   {}{}\n", r.failed.len(), names(&r.failed)));
    }
    out
}
