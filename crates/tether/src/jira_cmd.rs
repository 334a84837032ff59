//! `tether jira backfill`, `tether jira reconcile` and `tether jira migrate-site`:
//! operator commands that act on the database and a Jira site directly (like `tether
//! tokens`), so they work whether or not a server runs.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tether_store::{Store, StoreError};
use tether_sync::jira::{
    BackfillReport, JiraClients, JiraContext, MigrationReport, ReconcileMode, ReconcileReport,
};

use crate::client::jira::SiteCredentials;
use crate::output::Table;

/// Maintenance of what a Jira site holds.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per run")]
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
    /// Point a site at another Jira (a Server or Data Center site moved to Cloud) without
    /// posting anything twice: the new Jira's deployment is detected, every stored reference
    /// (code links, comments, worklogs, issue ids, flags) is looked up there by issue key
    /// and re-mapped, and the flags are re-sent the new site's way. Prints a report.
    ///
    /// The secret is read as `tether jira sites add` reads it (--secret-env, --secret-file,
    /// else standard input).
    MigrateSite {
        /// The site's name in tether (it keeps it).
        site: String,
        /// The new Jira's URL people open, e.g. https://acme.atlassian.net.
        #[arg(long, value_name = "URL")]
        url: String,
        #[command(flatten)]
        credentials: SiteCredentials,
        /// Only report what would be re-mapped; change nothing here or in Jira.
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
    let options = tether_jira::Options { outbound, ..tether_jira::Options::default() };
    let jira =
        JiraContext { clients: JiraClients::new(store.clone(), options.clone()), public_url };
    match command {
        JiraMaintenance::MigrateSite { site, url, credentials, dry_run } => {
            let old = site_by_name(store, &site).await?;
            let body = credentials.body(&old.name, &url)?;
            let new = tether_server::site_from_body(&old.name, body).map_err(|e| match e {
                tether_server::ApiError::Invalid { field, message } => {
                    anyhow::anyhow!("the new site's {field}: {message}")
                }
                other => anyhow::anyhow!("{other}"),
            })?;
            let report =
                tether_sync::jira::migrate_site(store, &options, old.id, new, dry_run, "cli")
                    .await
                    .with_context(|| format!("moving Jira site {:?} failed", old.name))?;
            print!("{}", migrate_summary(&report));
            Ok(())
        }
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

fn deployment_name(d: Option<&str>) -> &'static str {
    match d {
        Some("cloud") => "Cloud",
        Some("dc") => "Data Center",
        _ => "not yet detected",
    }
}

/// What `tether jira migrate-site` prints.
pub fn migrate_summary(r: &MigrationReport) -> String {
    let mut out = format!(
        "migrate-site {:?}{}\n",
        r.site,
        if r.dry_run { " (dry run: nothing changed)" } else { "" }
    );
    out.push_str(&format!(
        "  from: {} ({})\n",
        r.from_url,
        deployment_name(r.from_deployment.as_deref())
    ));
    let version = r.to_version.as_deref().map(|v| format!(" {v}")).unwrap_or_default();
    out.push_str(&format!(
        "  to:   {} ({}{version}, detected)\n",
        r.to_url,
        deployment_name(Some(&r.to_deployment))
    ));
    out.push_str(&format!("  issues: {} looked up by key, {} found\n", r.issues, r.found));
    for (asked, answered) in &r.renamed {
        out.push_str(&format!(
            "    {asked} is {answered} there (moved or renamed; found by its old key)\n"
        ));
    }
    if !r.missing.is_empty() {
        out.push_str(&format!(
            "  not on the new site ({}): kept as they are; nothing is posted to them, and a \
             delivery that mentions one reports that Jira has no such issue\n",
            r.missing.len()
        ));
        for m in &r.missing {
            let mut what = vec![format!("{} ledger rows", m.ledger_rows)];
            if m.linked_to_flags {
                what.push("linked to flags".into());
            }
            if m.findings {
                what.push("findings".into());
            }
            out.push_str(&format!("    {}: {}\n", m.key, what.join(", ")));
        }
    }
    let mut t =
        Table::new(&["reference", "rows", "re-mapped", "not found", "kept", "issue missing"]);
    for (kind, c) in &r.ledger {
        let n = |v: usize| v.to_string();
        t.row([
            kind.to_string(),
            n(c.rows),
            n(c.remapped),
            n(c.not_found),
            n(c.kept),
            n(c.issue_missing),
        ]);
    }
    let table = t.render("no code references (nothing was posted for code on this site)");
    out.extend(table.lines().map(|l| format!("  {l}\n")));
    if r.ledger.values().any(|c| c.not_found > 0) {
        out.push_str(
            "  not found: a comment or worklog tether wrote is not on the new site (deleted, or \
             written after the copy); it stays done and is not posted again. A remote link not \
             found is made by the next delivery that mentions it, once (links are upserts by a \
             stable globalId)\n",
        );
    }
    let f = &r.flags;
    let stale = if f.stale_links == 0 {
        String::new()
    } else if r.dry_run {
        format!("; {} Data Center flag links carried over would be removed", f.stale_links)
    } else {
        format!("; {} Data Center flag links carried over removed", f.stale_links)
    };
    out.push_str(&format!(
        "  flags: {} (kept by issue key under tether's own ids: Feature Flags documents \
         project~flag, remote links tether:flag:…, the tether.flags property), {} to the new \
         site by the worker{stale}\n",
        f.flags,
        if r.dry_run { "would be re-sent" } else { "re-sent" },
    ));
    if r.findings > 0 {
        out.push_str(&format!("  findings: {} linked issues, by key (kept)\n", r.findings));
    }
    if r.cached_issues > 0 {
        out.push_str(&format!(
            "  issue cache: {} issues{}\n",
            r.cached_issues,
            if r.dry_run { " would be read again" } else { " dropped, read again when shown" }
        ));
    }
    if r.tickets > 0 {
        out.push_str(&format!(
            "  ticket ingestion: {} tickets carry the old Jira's ids and its connection has \
             credentials of its own: set them for the new Jira on the site's ingestion page, then \
             `tether ingest remove-data --site {}` and import again\n",
            r.tickets, r.site
        ));
    }
    if r.to_deployment == "cloud" {
        out.push_str(
            "  Development panel: what was done before the move is not sent; new deliveries are \
             (with the site's Development Information credentials)\n",
        );
    }
    if r.dry_run {
        out.push_str("  dry run: run again without --dry-run to move the site\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use expect_test::expect;
    use tether_sync::jira::migrate::{FlagMove, KindCount, MissingIssue};

    use super::*;

    fn report(dry_run: bool) -> MigrationReport {
        let count = |rows, remapped, not_found, kept, issue_missing| KindCount {
            rows,
            remapped,
            not_found,
            kept,
            issue_missing,
        };
        MigrationReport {
            site: "acme".into(),
            dry_run,
            from_url: "https://jira.acme.test".into(),
            from_deployment: Some("dc".into()),
            to_url: "https://acme.atlassian.net".into(),
            to_deployment: "cloud".into(),
            to_version: Some("1001.0.0".into()),
            issues: 3,
            found: 2,
            renamed: vec![("OLD-1".into(), "NEW-1".into())],
            missing: vec![MissingIssue {
                key: "SHOP-4".into(),
                ledger_rows: 2,
                linked_to_flags: true,
                findings: false,
            }],
            ledger: BTreeMap::from([
                ("comment", count(3, 1, 1, 0, 1)),
                ("remote link", count(3, 2, 0, 0, 1)),
            ]),
            flags: FlagMove { flags: 1, stale_links: 1, forgotten: true },
            tickets: 40,
            ..MigrationReport::default()
        }
    }

    #[test]
    fn the_migrate_site_report_says_what_moved_and_what_did_not() {
        expect![[r#"
            migrate-site "acme" (dry run: nothing changed)
              from: https://jira.acme.test (Data Center)
              to:   https://acme.atlassian.net (Cloud 1001.0.0, detected)
              issues: 3 looked up by key, 2 found
                OLD-1 is NEW-1 there (moved or renamed; found by its old key)
              not on the new site (1): kept as they are; nothing is posted to them, and a delivery that mentions one reports that Jira has no such issue
                SHOP-4: 2 ledger rows, linked to flags
              REFERENCE    ROWS  RE-MAPPED  NOT FOUND  KEPT  ISSUE MISSING
              comment      3     1          1          0     1
              remote link  3     2          0          0     1
              not found: a comment or worklog tether wrote is not on the new site (deleted, or written after the copy); it stays done and is not posted again. A remote link not found is made by the next delivery that mentions it, once (links are upserts by a stable globalId)
              flags: 1 (kept by issue key under tether's own ids: Feature Flags documents project~flag, remote links tether:flag:…, the tether.flags property), would be re-sent to the new site by the worker; 1 Data Center flag links carried over would be removed
              ticket ingestion: 40 tickets carry the old Jira's ids and its connection has credentials of its own: set them for the new Jira on the site's ingestion page, then `tether ingest remove-data --site acme` and import again
              Development panel: what was done before the move is not sent; new deliveries are (with the site's Development Information credentials)
              dry run: run again without --dry-run to move the site
        "#]].assert_eq(&migrate_summary(&report(true)));
    }
}
