//! The worker's handlers of this job's two kinds: `jira.flag.sync` rows, sent in
//! bulk per site ([`super::sync::sync_flags`]), and `jira.issue.property` rows
//! ([`super::property::sync_properties`]). Both settle their rows the same way:
//! done, or (Jira unavailable) tried again after [`crate::jira_delay`].

use std::collections::BTreeMap;
use std::hash::Hash;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tether_store::{JiraSyncWork, OutboxItem, OutboxKind, OutboxWork, PropertyWork};

use super::sync::{FlagRef, JiraContext, Outcome, ReadMode};
use crate::worker::{Job, Settle, TickReport, Worker};
use crate::{SyncError, jira_delay};

/// Handles `jira.flag.sync` rows: one bulk send per site.
#[derive(Debug)]
pub struct FlagSyncJob(pub JiraContext);

/// Handles `jira.issue.property` rows: the issues of one site at a time.
#[derive(Debug)]
pub struct IssuePropertyJob(pub JiraContext);

impl Job for FlagSyncJob {
    fn kind(&self) -> OutboxKind {
        OutboxKind::JiraFlagSync
    }

    fn handle<'a>(
        &'a self,
        worker: &'a Worker,
        rows: Vec<OutboxItem>,
        report: &'a mut TickReport,
    ) -> BoxFuture<'a, Result<Vec<(OutboxItem, Settle)>, SyncError>> {
        async move {
            let (by_site, mut out) =
                by_site(rows, |w: JiraSyncWork| (w.site_id, FlagRef::new(w.project, w.flag)));
            for (site_id, rows) in by_site {
                let flags: Vec<FlagRef> = rows.iter().map(|(_, f)| f.clone()).collect();
                let (outcomes, stats) = super::sync::sync_flags(
                    &worker.store,
                    &self.0,
                    site_id,
                    &flags,
                    ReadMode::PerFlag,
                )
                .await?;
                report.jira_sent += stats.sent;
                report.jira_deleted += stats.deleted;
                report.jira_failed += stats.failed;
                for (item, flag) in rows {
                    let settle = settle(worker, &item, outcomes.get(&flag));
                    if settle != Settle::Done {
                        report.jira_retried += 1;
                    }
                    out.push((item, settle));
                }
            }
            Ok(out)
        }
        .boxed()
    }
}

impl Job for IssuePropertyJob {
    fn kind(&self) -> OutboxKind {
        OutboxKind::JiraIssueProperty
    }

    fn handle<'a>(
        &'a self,
        worker: &'a Worker,
        rows: Vec<OutboxItem>,
        report: &'a mut TickReport,
    ) -> BoxFuture<'a, Result<Vec<(OutboxItem, Settle)>, SyncError>> {
        async move {
            let (by_site, mut out) = by_site(rows, |w: PropertyWork| (w.site_id, w.issue));
            for (site_id, rows) in by_site {
                let issues = rows.iter().map(|(_, i)| i.clone()).collect();
                let outcomes =
                    super::property::sync_properties(&worker.store, &self.0, site_id, &issues)
                        .await?;
                for (item, issue) in rows {
                    let outcome = outcomes.get(&issue);
                    if let Some(Outcome::Skipped(_)) = outcome {
                        report.jira_properties_skipped += 1;
                    }
                    let settle = settle(worker, &item, outcome);
                    if settle == Settle::Done {
                        report.jira_properties += 1;
                    } else {
                        report.jira_retried += 1;
                    }
                    out.push((item, settle));
                }
            }
            Ok(out)
        }
        .boxed()
    }
}

/// Rows grouped by site, each with what it names; rows that do not parse are
/// logged and settled as done (nothing can be made of them).
type BySite<T> = (BTreeMap<i64, Vec<(OutboxItem, T)>>, Vec<(OutboxItem, Settle)>);

fn by_site<W: OutboxWork, T: Eq + Hash>(
    rows: Vec<OutboxItem>,
    split: impl Fn(W) -> (i64, T),
) -> BySite<T> {
    let mut groups: BTreeMap<i64, Vec<(OutboxItem, T)>> = BTreeMap::new();
    let mut damaged = Vec::new();
    for item in rows {
        match W::from_item(&item) {
            Ok(work) => {
                let (site_id, what) = split(work);
                groups.entry(site_id).or_default().push((item, what));
            }
            Err(e) => {
                let error = crate::error_chain(&e);
                tracing::error!(%error, "a Jira outbox row does not parse; skipped");
                damaged.push((item, Settle::Done));
            }
        }
    }
    (groups, damaged)
}

/// A Jira row's end: done, or (Jira unavailable) tried again after the backoff or
/// Jira's `Retry-After`, capped by the worker's Jira maximum.
fn settle(worker: &Worker, item: &OutboxItem, outcome: Option<&Outcome>) -> Settle {
    match outcome {
        Some(Outcome::Retry { error, retry_after }) => Settle::Retry {
            error: error.clone(),
            delay: jira_delay(
                worker.retry_base,
                item.attempts,
                *retry_after,
                worker.jira_max_delay,
            ),
        },
        Some(Outcome::Done | Outcome::Skipped(_)) | None => Settle::Done,
    }
}
