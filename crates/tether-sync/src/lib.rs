//! tether's background work, as `tick()`s with a thin loop around them.
//!
//! A [`Worker`] claims due outbox rows under a lease and handles them by kind:
//! an `event` (a flag or segment change, written in the change's transaction)
//! is fanned out into one `webhook.delivery` row per matching webhook; a
//! delivery is POSTed, signed, and on failure retried with exponential backoff
//! until [`MAX_ATTEMPTS`]. Every attempt is logged. A `jira.flag.sync` row
//! (given [`Worker::with_jira`]) brings one flag up to date on one Jira site:
//! the rows of one tick are coalesced per site into bulk requests
//! ([`jira::sync`]); Jira being unavailable only delays them (retried without
//! limit, honouring `Retry-After`), a refusal is recorded on the flag. Rows of
//! unknown kinds are left for the worker that knows them (released with a
//! delay), so workers of different versions can share a database.
//!
//! [`Worker::run`] wakes on every write this process commits
//! ([`Store::subscribe_changes`]), so a toggle reaches Jira at once, and polls
//! for other processes' writes and due retries.

pub mod jira;
mod webhooks;

use std::collections::BTreeMap;
use std::time::Duration;

use tether_store::{
    DELIVERY_KIND, EVENT_KIND, JIRA_SYNC_KIND, JiraSyncWork, OutboxItem, Store, StoreError,
};

use crate::jira::{FlagRef, JiraClients, JiraContext, Outcome};

pub use webhooks::{SIGNATURE_HEADER, sign};

/// Attempts before a delivery is given up (and stays in the log as failed).
pub const MAX_ATTEMPTS: i64 = 10;
/// How long a claimed row is ours before another worker may take it over
/// (a worker that died leaves its rows claimed that long).
pub const LEASE: Duration = Duration::from_secs(60);
/// Rows claimed per tick (Jira rows among them are sent in bulk).
const BATCH: i64 = 100;
/// The longest a Jira row waits before its next attempt.
pub const JIRA_MAX_DELAY: Duration = Duration::from_secs(300);
/// How long done outbox rows are kept.
const KEEP_DONE: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("storage failed")]
    Store(#[from] StoreError),
    /// A Jira site cannot be used (backfill and reconcile stop on it).
    #[error(transparent)]
    Jira(jira::clients::ClientError),
}

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    pub claimed: usize,
    pub fanned_out: usize,
    pub delivered: usize,
    pub retried: usize,
    pub given_up: usize,
    /// Flags Jira now shows as tether has them.
    pub jira_sent: usize,
    /// Flags taken off Jira.
    pub jira_deleted: usize,
    /// Flags Jira refused (recorded on the flag).
    pub jira_failed: usize,
    /// Jira rows put back for a later attempt.
    pub jira_retried: usize,
    /// Issue property rows done (Cloud).
    pub jira_properties: usize,
}

/// A background worker; cheap to clone.
#[derive(Debug, Clone)]
pub struct Worker {
    store: Store,
    http: reqwest::Client,
    name: String,
    retry_base: Duration,
    jira: Option<JiraContext>,
    jira_max_delay: Duration,
    lease: Duration,
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
        Worker {
            store,
            http,
            name: name.into(),
            retry_base: Duration::from_secs(1),
            jira: None,
            jira_max_delay: JIRA_MAX_DELAY,
            lease: LEASE,
        }
    }

    /// Handles `jira.flag.sync` rows with these clients; links to flags start
    /// with `public_url`. Without it such rows are left for a worker that has it.
    pub fn with_jira(mut self, clients: JiraClients, public_url: impl Into<String>) -> Worker {
        self.jira = Some(JiraContext { clients, public_url: public_url.into() });
        self
    }

    /// How long claimed rows stay this worker's (default [`LEASE`]); a tick
    /// must finish well within it.
    pub fn with_lease(mut self, lease: Duration) -> Worker {
        self.lease = lease;
        self
    }

    /// The longest a Jira row waits before its next attempt, `Retry-After`
    /// included (default [`JIRA_MAX_DELAY`]).
    pub fn with_jira_max_delay(mut self, max: Duration) -> Worker {
        self.jira_max_delay = max;
        self
    }

    /// The first retry's delay; each further retry doubles it (at most an hour).
    pub fn with_retry_base(mut self, base: Duration) -> Worker {
        self.retry_base = base;
        self
    }

    /// Claims and handles one batch of due work.
    pub async fn tick(&self) -> Result<TickReport, SyncError> {
        let mut report = TickReport::default();
        let items = self.store.claim_outbox(&self.name, BATCH, self.lease).await?;
        report.claimed = items.len();
        let mut jira_rows: BTreeMap<i64, Vec<(OutboxItem, FlagRef)>> = BTreeMap::new();
        let mut property_rows: BTreeMap<i64, Vec<(OutboxItem, String)>> = BTreeMap::new();
        for item in items {
            if item.kind == jira::property::PROPERTY_KIND && self.jira.is_some() {
                match serde_json::from_str::<jira::property::PropertyWork>(&item.payload) {
                    Ok(w) => property_rows.entry(w.site_id).or_default().push((item, w.issue)),
                    Err(e) => {
                        tracing::error!(outbox = item.id, error = %e, "a Jira property row does not parse; skipped");
                        self.store.complete_outbox(item.id, &self.name).await?;
                    }
                }
                continue;
            }
            if item.kind != JIRA_SYNC_KIND || self.jira.is_none() {
                self.handle(item, &mut report).await?;
                continue;
            }
            match serde_json::from_str::<JiraSyncWork>(&item.payload) {
                Ok(w) => jira_rows
                    .entry(w.site_id)
                    .or_default()
                    .push((item, FlagRef::new(w.project, w.flag))),
                Err(e) => {
                    tracing::error!(outbox = item.id, error = %e, "a Jira sync row does not parse; skipped");
                    self.store.complete_outbox(item.id, &self.name).await?;
                }
            }
        }
        for (site_id, rows) in jira_rows {
            self.sync_jira_site(site_id, rows, &mut report).await?;
        }
        for (site_id, rows) in property_rows {
            self.sync_jira_properties(site_id, rows, &mut report).await?;
        }
        Ok(report)
    }

    /// Rewrites the `tether.flags` property of one site's claimed issues.
    async fn sync_jira_properties(
        &self,
        site_id: i64,
        rows: Vec<(OutboxItem, String)>,
        report: &mut TickReport,
    ) -> Result<(), SyncError> {
        let jira = self.jira.as_ref().expect("only called with Jira configured");
        let issues = rows.iter().map(|(_, i)| i.clone()).collect();
        let outcomes = jira::property::sync_properties(&self.store, jira, site_id, &issues).await?;
        for (item, issue) in rows {
            match outcomes.get(&issue) {
                Some(Outcome::Retry { error, retry_after }) => {
                    report.jira_retried += 1;
                    let delay = jira_delay(
                        self.retry_base,
                        item.attempts,
                        *retry_after,
                        self.jira_max_delay,
                    );
                    self.store.fail_outbox(item.id, &self.name, error, delay).await?;
                }
                Some(Outcome::Done) | None => {
                    report.jira_properties += 1;
                    self.store.complete_outbox(item.id, &self.name).await?;
                }
            }
        }
        Ok(())
    }

    /// Sends one site's claimed flags in bulk and settles each row.
    async fn sync_jira_site(
        &self,
        site_id: i64,
        rows: Vec<(OutboxItem, FlagRef)>,
        report: &mut TickReport,
    ) -> Result<(), SyncError> {
        let jira = self.jira.as_ref().expect("only called with Jira configured");
        let flags: Vec<FlagRef> = rows.iter().map(|(_, f)| f.clone()).collect();
        let (outcomes, stats) =
            jira::sync::sync_flags(&self.store, jira, site_id, &flags, false).await?;
        report.jira_sent += stats.sent;
        report.jira_deleted += stats.deleted;
        report.jira_failed += stats.failed;
        for (item, flag) in rows {
            match outcomes.get(&flag) {
                Some(Outcome::Retry { error, retry_after }) => {
                    report.jira_retried += 1;
                    let delay = jira_delay(
                        self.retry_base,
                        item.attempts,
                        *retry_after,
                        self.jira_max_delay,
                    );
                    self.store.fail_outbox(item.id, &self.name, error, delay).await?;
                }
                Some(Outcome::Done) | None => {
                    self.store.complete_outbox(item.id, &self.name).await?;
                }
            }
        }
        Ok(())
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
        let mut changes = self.store.subscribe_changes();
        let mut ticks: u64 = 0;
        loop {
            // Whatever is committed from here on wakes the wait below.
            changes.borrow_and_update();
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
            if busy {
                tokio::select! {
                    _ = &mut shutdown => return,
                    _ = tokio::task::yield_now() => {}
                }
                continue;
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(idle) => {}
                Ok(()) = changes.changed() => {}
            }
        }
    }
}

/// `base × 2^(attempts − 1)`, at most an hour.
pub fn backoff(base: Duration, attempts: i64) -> Duration {
    base.saturating_mul(1u32 << (attempts - 1).clamp(0, 20)).min(Duration::from_secs(3600))
}

/// The wait before a Jira row's next attempt: the backoff, or longer if Jira
/// said so (`Retry-After`), at most `max`. Never given up: a Jira that is down
/// must not lose changes.
pub fn jira_delay(
    base: Duration,
    attempts: i64,
    retry_after: Option<Duration>,
    max: Duration,
) -> Duration {
    backoff(base, attempts).max(retry_after.unwrap_or_default()).min(max)
}

pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(next) = cur {
        out.push_str(": ");
        out.push_str(&next.to_string());
        cur = next.source();
    }
    out
}
