//! The ingester: a job of its own beside the outbox worker, since its work is scheduled (each
//! imported project is due every poll interval, or when a webhook says so) and long (a first
//! pass reads every issue), and its state (cursor, checkpoint) lives in the project's row, not
//! in an outbox payload. A tick claims the site-level work that is due, then one due project,
//! and runs that project's pass to its end; `run` is the thin loop around it.

use std::time::Duration;

use tether_store::Store;

use super::connection::{ConnectionError, TicketClients};
use super::pass::{PassError, run_pass};
use super::site::site_work;
use crate::SyncError;

/// How the ingester paces itself; times are by the store's clock.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// How often an imported project gets an incremental pass.
    pub poll_interval: Duration,
    /// How far before the last pass's start an incremental pass searches: covers Jira's
    /// search index lagging behind its writes, and clocks that disagree.
    pub look_back: Duration,
    /// How often a project's ids are compared with Jira's to find deleted and moved issues.
    pub reconcile_interval: Duration,
    /// How often a site is checked again and its catalogues read.
    pub catalogue_interval: Duration,
    /// Issues per search page (Jira Cloud returns at most 100 with fields).
    pub page_size: u32,
    /// How long a claimed project is this ingester's; each page written extends it.
    pub lease: Duration,
    /// The first wait after a failed pass; doubled per failure, at most `retry_max`, and never
    /// shorter than what Jira asked for (`Retry-After`).
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Where Jira can reach tether, for its webhooks (`None`: no webhooks, polling only).
    pub public_url: Option<String>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            poll_interval: Duration::from_secs(300),
            look_back: Duration::from_secs(300),
            reconcile_interval: Duration::from_secs(3600),
            catalogue_interval: Duration::from_secs(3600),
            page_size: tether_jira::tickets::TICKET_PAGE_SIZE,
            lease: Duration::from_secs(120),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(900),
            public_url: None,
        }
    }
}

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct IngestReport {
    /// Sites whose checks and catalogues were refreshed.
    pub sites: usize,
    /// Passes run to their end.
    pub passes: usize,
    /// Issues written.
    pub issues: usize,
    /// Tickets removed because Jira no longer has them (or they moved away).
    pub removed: usize,
    /// Passes that failed and were put back for later.
    pub failed: usize,
}

impl IngestReport {
    /// Whether the tick found anything to do.
    pub fn busy(&self) -> bool {
        self.sites + self.passes + self.failed > 0
    }
}

/// The ingester; cheap to clone.
#[derive(Debug, Clone)]
pub struct Ingester {
    pub(crate) store: Store,
    pub(crate) clients: TicketClients,
    pub(crate) name: String,
    pub(crate) options: IngestOptions,
}

pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Ingester {
    /// An ingester named `name` (unique per process: it names its claims).
    pub fn new(
        store: Store,
        clients: TicketClients,
        name: impl Into<String>,
        options: IngestOptions,
    ) -> Ingester {
        Ingester { store, clients, name: name.into(), options }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Due site-level work, then one due project's pass.
    pub async fn tick(&self) -> Result<IngestReport, SyncError> {
        let mut report = IngestReport::default();
        let lease = millis(self.options.lease);
        let now = self.store.clock().now_ms();
        let stale = now - millis(self.options.catalogue_interval);
        let failed = now - millis(self.options.retry_base);
        if let Some(site) = self.store.claim_ticket_site(&self.name, lease, stale, failed).await? {
            report.sites += 1;
            let error = site_work(self, site).await.err().map(|e| crate::error_chain(&e));
            if let Some(e) = &error {
                tracing::warn!(site, error = %e, "ticket ingestion: site checks failed");
            }
            self.store
                .release_ticket_site(site, &self.name, error.is_none(), error.as_deref())
                .await?;
        }
        let Some(project) = self.store.claim_ticket_project(&self.name, lease).await? else {
            return Ok(report);
        };
        let (site, id) = (project.site_id, project.id.clone());
        match run_pass(self, project).await {
            Ok(stats) => {
                report.passes += 1;
                report.issues += stats.issues;
                report.removed += stats.removed;
            }
            Err(PassError::LostClaim) => {
                tracing::info!(site, project = %id, "ticket ingestion: another worker took the project over");
            }
            Err(PassError::Store(e)) => return Err(e.into()),
            Err(e) => {
                report.failed += 1;
                let p = self.store.ticket_project(site, &id).await?;
                let wait = self.retry_delay(p.failures + 1, e.retry_after());
                let error = crate::error_chain(&e);
                tracing::warn!(site, project = %p.key, error = %error, "ticket ingestion: pass failed; trying again later");
                let at = self.store.clock().now_ms() + millis(wait);
                self.store.fail_ticket_project(site, &id, &self.name, &error, at).await?;
            }
        }
        Ok(report)
    }

    fn retry_delay(&self, failures: i64, retry_after: Option<Duration>) -> Duration {
        crate::backoff(self.options.retry_base, failures)
            .min(self.options.retry_max)
            .max(retry_after.unwrap_or_default())
    }

    /// Ticks until `shutdown`: at once while there is work, else every `idle`. A pass under
    /// way when `shutdown` comes is dropped where it stands, as a crash would stop it: its
    /// checkpoint is where the next claim of the project resumes.
    pub async fn run(self, idle: Duration, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let outcome = tokio::select! {
                _ = &mut shutdown => return,
                r = self.tick() => r,
            };
            let busy = match outcome {
                Ok(r) => r.busy(),
                Err(e) => {
                    let error = crate::error_chain(&e);
                    tracing::warn!(%error, "ticket ingestion failed; trying again");
                    false
                }
            };
            let wait = if busy { Duration::ZERO } else { idle };
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

impl PassError {
    /// How long Jira asked to wait, if it did.
    fn retry_after(&self) -> Option<Duration> {
        match self {
            PassError::Jira(e) => e.retry_after(),
            PassError::Connection(ConnectionError::Jira { source, .. }) => source.retry_after(),
            _ => None,
        }
    }
}
