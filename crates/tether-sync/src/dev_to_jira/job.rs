//! The worker's handlers of this job's kinds: `dev.event` rows (links, comments,
//! transitions, Smart Commits) and `dev.devinfo` rows (the Development panel), one event
//! at a time; each settles as done, or (Jira unavailable, an attempt maybe in flight) tried
//! again after [`crate::jira_delay`], longer when Jira or the ledger says so. The rows of a
//! tick share a `Batch`, and the worker may pause between them
//! ([`crate::GiveWay`]).

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tether_store::{
    DevEventWork, DevFindingWork, DevInfoWork, OutboxItem, OutboxKind, OutboxWork, Store,
};

use super::DevContext;
use super::batch::Batch;
use super::event::Settled;
use crate::worker::{Job, Settle, TickReport, Worker};
use crate::{SyncError, jira_delay};

/// Handles `dev.event` rows.
#[derive(Debug)]
pub struct DevEventJob(pub DevContext);

/// Handles `dev.devinfo` rows.
#[derive(Debug)]
pub struct DevInfoJob(pub DevContext);

impl OneByOne for DevEventJob {
    const KIND: OutboxKind = OutboxKind::DevEvent;
    type Work = DevEventWork;

    fn process<'b>(
        &'b self,
        store: &'b Store,
        w: DevEventWork,
        batch: &'b mut Batch,
    ) -> BoxFuture<'b, Result<Settled, SyncError>> {
        super::event::process(store, &self.0, w.event_id, batch).boxed()
    }
}

impl OneByOne for DevInfoJob {
    const KIND: OutboxKind = OutboxKind::DevInfo;
    type Work = DevInfoWork;

    fn process<'b>(
        &'b self,
        store: &'b Store,
        w: DevInfoWork,
        batch: &'b mut Batch,
    ) -> BoxFuture<'b, Result<Settled, SyncError>> {
        super::devinfo::process(store, &self.0, w.event_id, batch).boxed()
    }
}

/// Handles `dev.finding.issue` rows.
#[derive(Debug)]
pub struct DevFindingJob(pub DevContext);

impl OneByOne for DevFindingJob {
    const KIND: OutboxKind = OutboxKind::DevFindingIssue;
    type Work = DevFindingWork;

    fn process<'b>(
        &'b self,
        store: &'b Store,
        w: DevFindingWork,
        _batch: &'b mut Batch,
    ) -> BoxFuture<'b, Result<Settled, SyncError>> {
        async move { super::finding::process(store, &self.0, &w).await }.boxed()
    }
}

/// A job whose rows are handled one at a time, sharing a [`Batch`].
trait OneByOne: Send + Sync {
    const KIND: OutboxKind;
    type Work: OutboxWork + Send;

    fn process<'b>(
        &'b self,
        store: &'b Store,
        work: Self::Work,
        batch: &'b mut Batch,
    ) -> BoxFuture<'b, Result<Settled, SyncError>>;
}

impl<J: OneByOne + std::fmt::Debug> Job for J {
    fn kind(&self) -> OutboxKind {
        J::KIND
    }

    fn handle<'a>(
        &'a self,
        worker: &'a Worker,
        rows: Vec<OutboxItem>,
        report: &'a mut TickReport,
    ) -> BoxFuture<'a, Result<Vec<(OutboxItem, Settle)>, SyncError>> {
        one_by_one(self, worker, rows, report).boxed()
    }
}

/// Reads each row as the job's work and hands it to the job, one row at a time (a row that
/// does not read is logged and dropped); then writes what the rows gathered in their batch.
async fn one_by_one<J: OneByOne>(
    job: &J,
    worker: &Worker,
    rows: Vec<OutboxItem>,
    report: &mut TickReport,
) -> Result<Vec<(OutboxItem, Settle)>, SyncError> {
    let mut batch = Batch::default();
    let mut out = Vec::new();
    for item in rows {
        let settled = match J::Work::from_item(&item) {
            Ok(w) => job.process(&worker.store, w, &mut batch).await?,
            Err(e) => damaged(&e),
        };
        out.push(settle(worker, item, settled, report));
        worker.give_way(report).await;
    }
    batch.flush(&worker.store).await?;
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
