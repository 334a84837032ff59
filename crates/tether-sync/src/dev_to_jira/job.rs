//! The worker's handlers of this job's kinds: `dev.event` rows (links, comments,
//! transitions, Smart Commits) and `dev.devinfo` rows (the Development panel), one event
//! at a time; each settles as done, or (Jira unavailable, an attempt maybe in flight) tried
//! again after [`crate::jira_delay`], longer when Jira or the ledger says so.

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tether_store::{DevEventWork, DevFindingWork, DevInfoWork, OutboxItem, OutboxKind, OutboxWork};

use super::DevContext;
use super::event::Settled;
use crate::worker::{Job, Settle, TickReport, Worker};
use crate::{SyncError, jira_delay};

/// Handles `dev.event` rows.
#[derive(Debug)]
pub struct DevEventJob(pub DevContext);

/// Handles `dev.devinfo` rows.
#[derive(Debug)]
pub struct DevInfoJob(pub DevContext);

impl Job for DevEventJob {
    fn kind(&self) -> OutboxKind {
        OutboxKind::DevEvent
    }

    fn handle<'a>(
        &'a self,
        worker: &'a Worker,
        rows: Vec<OutboxItem>,
        report: &'a mut TickReport,
    ) -> BoxFuture<'a, Result<Vec<(OutboxItem, Settle)>, SyncError>> {
        one_by_one(worker, rows, report, move |w: DevEventWork| {
            super::event::process(&worker.store, &self.0, w.event_id).boxed()
        })
        .boxed()
    }
}

impl Job for DevInfoJob {
    fn kind(&self) -> OutboxKind {
        OutboxKind::DevInfo
    }

    fn handle<'a>(
        &'a self,
        worker: &'a Worker,
        rows: Vec<OutboxItem>,
        report: &'a mut TickReport,
    ) -> BoxFuture<'a, Result<Vec<(OutboxItem, Settle)>, SyncError>> {
        one_by_one(worker, rows, report, move |w: DevInfoWork| {
            super::devinfo::process(&worker.store, &self.0, w.event_id).boxed()
        })
        .boxed()
    }
}

/// Handles `dev.finding.issue` rows.
#[derive(Debug)]
pub struct DevFindingJob(pub DevContext);

impl Job for DevFindingJob {
    fn kind(&self) -> OutboxKind {
        OutboxKind::DevFindingIssue
    }

    fn handle<'a>(
        &'a self,
        worker: &'a Worker,
        rows: Vec<OutboxItem>,
        report: &'a mut TickReport,
    ) -> BoxFuture<'a, Result<Vec<(OutboxItem, Settle)>, SyncError>> {
        one_by_one(worker, rows, report, move |w: DevFindingWork| {
            async move { super::finding::process(&worker.store, &self.0, &w).await }.boxed()
        })
        .boxed()
    }
}

/// Reads each row as `W` and hands it to `process`, one row at a time; a row that does not
/// read is logged and dropped.
async fn one_by_one<'a, W: OutboxWork>(
    worker: &'a Worker,
    rows: Vec<OutboxItem>,
    report: &'a mut TickReport,
    process: impl Fn(W) -> BoxFuture<'a, Result<Settled, SyncError>>,
) -> Result<Vec<(OutboxItem, Settle)>, SyncError> {
    let mut out = Vec::new();
    for item in rows {
        let settled = match W::from_item(&item) {
            Ok(w) => process(w).await?,
            Err(e) => damaged(&e),
        };
        out.push(settle(worker, item, settled, report));
    }
    Ok(out)
}

fn damaged(e: &tether_store::PayloadError) -> Settled {
    let error = crate::error_chain(e);
    tracing::error!(%error, "a dev outbox row does not parse; skipped");
    Settled::Done
}

fn settle(
    worker: &Worker,
    item: OutboxItem,
    s: Settled,
    report: &mut TickReport,
) -> (OutboxItem, Settle) {
    match s {
        Settled::Done => {
            report.dev_done += 1;
            (item, Settle::Done)
        }
        Settled::Retry { error, retry_after } => {
            report.dev_retried += 1;
            let delay =
                jira_delay(worker.retry_base, item.attempts, retry_after, worker.jira_max_delay)
                    .max(retry_after.unwrap_or_default());
            (item, Settle::Retry { error, delay })
        }
    }
}
