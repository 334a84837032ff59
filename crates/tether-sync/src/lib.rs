//! tether's background work, as `tick()`s with a thin loop around them.
//!
//! A [`Worker`] claims due outbox rows under a lease and handles them by kind:
//! an `event` (a flag or segment change, written in the change's transaction)
//! is fanned out into one `webhook.delivery` row per matching webhook; a
//! delivery is POSTed, signed, and on failure retried with exponential backoff
//! until [`MAX_ATTEMPTS`]. Every attempt is logged. Rows of unknown kinds are
//! left for the worker that knows them (released with a delay), so workers of
//! different versions can share a database.

pub mod jira;
mod webhooks;

use std::time::Duration;

use tether_store::{DELIVERY_KIND, EVENT_KIND, OutboxItem, Store, StoreError};

pub use webhooks::{SIGNATURE_HEADER, sign};

/// Attempts before a delivery is given up (and stays in the log as failed).
pub const MAX_ATTEMPTS: i64 = 10;
/// How long a claimed row is ours before another worker may take it over.
const LEASE: Duration = Duration::from_secs(60);
/// Rows claimed per tick.
const BATCH: i64 = 32;
/// How long done outbox rows are kept.
const KEEP_DONE: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("storage failed")]
    Store(#[from] StoreError),
}

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    pub claimed: usize,
    pub fanned_out: usize,
    pub delivered: usize,
    pub retried: usize,
    pub given_up: usize,
}

/// A background worker; cheap to clone.
#[derive(Debug, Clone)]
pub struct Worker {
    store: Store,
    http: reqwest::Client,
    name: String,
    retry_base: Duration,
}

impl Worker {
    /// `name` identifies this worker's claims (make it unique per process).
    pub fn new(store: Store, name: impl Into<String>) -> Worker {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("tether/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a reqwest client with default TLS builds");
        Worker { store, http, name: name.into(), retry_base: Duration::from_secs(1) }
    }

    /// The first retry's delay; each further retry doubles it (at most an hour).
    pub fn with_retry_base(mut self, base: Duration) -> Worker {
        self.retry_base = base;
        self
    }

    /// Claims and handles one batch of due work.
    pub async fn tick(&self) -> Result<TickReport, SyncError> {
        let mut report = TickReport::default();
        let items = self.store.claim_outbox(&self.name, BATCH, LEASE).await?;
        report.claimed = items.len();
        for item in items {
            self.handle(item, &mut report).await?;
        }
        Ok(report)
    }

    async fn handle(&self, item: OutboxItem, report: &mut TickReport) -> Result<(), SyncError> {
        match item.kind.as_str() {
            EVENT_KIND => {
                report.fanned_out += webhooks::fan_out(&self.store, &item).await?;
                self.store.complete_outbox(item.id, &self.name).await?;
            }
            DELIVERY_KIND => match webhooks::deliver(&self.store, &self.http, &item).await? {
                webhooks::Outcome::Delivered => {
                    report.delivered += 1;
                    self.store.complete_outbox(item.id, &self.name).await?;
                }
                webhooks::Outcome::Failed(error) if item.attempts >= MAX_ATTEMPTS => {
                    tracing::warn!(outbox = item.id, %error, "webhook delivery given up");
                    report.given_up += 1;
                    self.store.complete_outbox(item.id, &self.name).await?;
                }
                webhooks::Outcome::Failed(error) => {
                    report.retried += 1;
                    self.store
                        .fail_outbox(
                            item.id,
                            &self.name,
                            &error,
                            backoff(self.retry_base, item.attempts),
                        )
                        .await?;
                }
                webhooks::Outcome::Gone => {
                    self.store.complete_outbox(item.id, &self.name).await?;
                }
            },
            other => {
                tracing::debug!(kind = other, "outbox work of a kind this worker does not handle");
                self.store
                    .fail_outbox(
                        item.id,
                        &self.name,
                        "no handler in this worker",
                        Duration::from_secs(60),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// Runs ticks until `shutdown` resolves: at once while there is work, else
    /// every `idle`. Also purges old finished outbox rows now and then.
    pub async fn run(self, idle: Duration, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut ticks: u64 = 0;
        loop {
            let busy = match self.tick().await {
                Ok(r) => r.claimed > 0,
                Err(e) => {
                    tracing::warn!(error = %error_chain(&e), "background work failed; trying again");
                    false
                }
            };
            ticks += 1;
            if ticks % 3600 == 1 {
                let before = tether_store::now_ms() - KEEP_DONE.as_millis() as i64;
                if let Err(e) = self.store.purge_outbox(before).await {
                    tracing::warn!(error = %error_chain(&e), "cannot purge old outbox rows");
                }
            }
            let wait = if busy { Duration::ZERO } else { idle };
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// `base × 2^(attempts − 1)`, at most an hour.
pub fn backoff(base: Duration, attempts: i64) -> Duration {
    base.saturating_mul(1u32 << (attempts - 1).clamp(0, 20)).min(Duration::from_secs(3600))
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(next) = cur {
        out.push_str(": ");
        out.push_str(&next.to_string());
        cur = next.source();
    }
    out
}
