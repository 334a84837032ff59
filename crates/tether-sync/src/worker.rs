//! The worker: claims due outbox rows, hands each kind's rows to its [`Job`], and
//! settles every row as the job says. The jobs are a table keyed by
//! [`OutboxKind`]: adding one is a kind in `tether_store`'s registry and a
//! handler module registered here, with no change to [`Worker::tick`].

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tether_jira::OutboundPolicy;
use tether_store::{OutboxItem, OutboxKind, Store};

use crate::flags_to_jira::{FlagSyncJob, IssuePropertyJob, JiraContext};
use crate::jira::JiraClients;
use crate::webhooks::{DeliveryJob, FanOutJob};
use crate::{JIRA_MAX_DELAY, SyncError};

/// How long a claimed row is ours before another worker may take it over
/// (a worker that died leaves its rows claimed that long).
pub const LEASE: Duration = Duration::from_secs(60);
/// Rows claimed per tick (Jira rows among them are sent in bulk).
const BATCH: i64 = 100;
/// How long done outbox rows are kept.
const KEEP_DONE: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a row no job of this worker handles waits for another worker.
const NOT_MINE: Duration = Duration::from_secs(60);

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
    /// Issue property rows done (Cloud), skipped ones included.
    pub jira_properties: usize,
    /// Of those, rows skipped because the site's credentials cannot write issue properties
    /// (OAuth credentials); the reason is logged.
    pub jira_properties_skipped: usize,
    /// Dev event and Development panel rows done.
    pub dev_done: usize,
    /// Dev event and Development panel rows put back for a later attempt.
    pub dev_retried: usize,
    /// Pauses taken to give way to the webhook intake (see [`GiveWay`]).
    pub gave_way: usize,
}

/// How the worker gives way to the forges' webhook intake, which answers each delivery only
/// once it is stored: while deliveries arrive, the worker's rows (their processor time, and
/// on SQLite their commits on the one writer) would lengthen those answers. So while the
/// last delivery is at most `busy_within` old, the worker claims `rows` rows a tick instead
/// of a hundred (each of its transactions holds the writer the shorter), and pauses after
/// each row (and each job's rows) for `parts - 1` times as long as it worked since the last
/// pause, at least `least` and at most `longest`: it works about one part of the time in
/// `parts`, and still gets on under a flood. When the deliveries stop, it works at full
/// speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GiveWay {
    pub busy_within: Duration,
    pub rows: i64,
    pub parts: u32,
    pub least: Duration,
    pub longest: Duration,
}

impl Default for GiveWay {
    fn default() -> GiveWay {
        GiveWay {
            busy_within: Duration::from_millis(50),
            rows: 10,
            parts: 10,
            least: Duration::from_millis(2),
            longest: Duration::from_millis(100),
        }
    }
}

/// How a claimed row ends this attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settle {
    /// Handled (or beyond help): the row is done.
    Done,
    /// Try again after `delay`; `error` is kept on the row.
    Retry { error: String, delay: Duration },
}

/// The handler of one kind of outbox work.
pub trait Job: Send + Sync + std::fmt::Debug {
    /// The kind whose rows this job handles.
    fn kind(&self) -> OutboxKind;

    /// Handles the rows of its kind that one tick claimed (in claim order) and says
    /// how each settles; a row left out of the answer is done. Counts what it did in
    /// `report`.
    fn handle<'a>(
        &'a self,
        worker: &'a Worker,
        rows: Vec<OutboxItem>,
        report: &'a mut TickReport,
    ) -> BoxFuture<'a, Result<Vec<(OutboxItem, Settle)>, SyncError>>;
}

/// A background worker; cheap to clone.
#[derive(Debug, Clone)]
pub struct Worker {
    pub(crate) store: Store,
    /// The outgoing webhooks' client: no redirects, addresses as `outbound` allows.
    pub(crate) http: reqwest::Client,
    pub(crate) outbound: OutboundPolicy,
    name: String,
    pub(crate) retry_base: Duration,
    pub(crate) jira_max_delay: Duration,
    lease: Duration,
    /// In the order they run within a tick.
    jobs: Vec<Arc<dyn Job>>,
    give_way: Option<GiveWay>,
    /// When the work since the last pause began (see [`Worker::give_way`]).
    working_since: Arc<std::sync::Mutex<std::time::Instant>>,
}

/// The client outgoing webhooks are delivered with: short timeouts, redirects
/// never followed (a receiver could point them inside), addresses as `policy` allows.
fn webhook_client(policy: OutboundPolicy) -> reqwest::Client {
    let builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("tether/", env!("CARGO_PKG_VERSION")));
    policy.apply(builder, false).build().expect("a reqwest client with default TLS builds")
}

impl Worker {
    /// A worker with the outgoing webhook jobs; `name` identifies its claims (make
    /// it unique per process). It reads the time from the store's clock.
    pub fn new(store: Store, name: impl Into<String>) -> Worker {
        Worker {
            http: webhook_client(OutboundPolicy::OPEN),
            outbound: OutboundPolicy::OPEN,
            store,
            name: name.into(),
            retry_base: Duration::from_secs(1),
            jira_max_delay: JIRA_MAX_DELAY,
            lease: LEASE,
            jobs: vec![],
            give_way: None,
            working_since: Arc::new(std::sync::Mutex::new(std::time::Instant::now())),
        }
        .with_job(FanOutJob)
        .with_job(DeliveryJob)
    }

    /// Outgoing webhooks reach only what `policy` allows (checked after DNS
    /// resolution; redirects are never followed).
    pub fn with_outbound(mut self, policy: OutboundPolicy) -> Worker {
        self.http = webhook_client(policy);
        self.outbound = policy;
        self
    }

    /// Handles `jira.flag.sync` and `jira.issue.property` rows with these clients;
    /// links to flags start with `public_url`. Without it such rows are left for a
    /// worker that has it.
    pub fn with_jira(self, clients: JiraClients, public_url: impl Into<String>) -> Worker {
        let jira = JiraContext { clients, public_url: public_url.into() };
        self.with_job(FlagSyncJob(jira.clone())).with_job(IssuePropertyJob(jira))
    }

    /// Handles `dev.event`, `dev.devinfo` and `dev.finding.issue` rows (code ↔ Jira) with
    /// this context.
    pub fn with_code(self, ctx: crate::dev_to_jira::DevContext) -> Worker {
        self.with_job(crate::dev_to_jira::DevEventJob(ctx.clone()))
            .with_job(crate::dev_to_jira::DevInfoJob(ctx.clone()))
            .with_job(crate::dev_to_jira::DevFindingJob(ctx))
    }

    /// Registers the handler of one kind, replacing any this worker had for it.
    pub fn with_job(mut self, job: impl Job + 'static) -> Worker {
        self.jobs.retain(|j| j.kind() != job.kind());
        self.jobs.push(Arc::new(job));
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

    /// Gives way to this process's webhook intake as `g` says (default: never; `tether
    /// serve` does).
    pub fn with_give_way(mut self, g: GiveWay) -> Worker {
        self.give_way = Some(g);
        self
    }

    /// How to give way now: `None` when this worker never does or no delivery arrived
    /// within [`GiveWay::busy_within`].
    fn giving_way(&self) -> Option<GiveWay> {
        let g = self.give_way?;
        let age = self.store.clock().now_ms().saturating_sub(self.store.last_delivery_at()?);
        (age <= i64::try_from(g.busy_within.as_millis()).unwrap_or(i64::MAX)).then_some(g)
    }

    /// Pauses as [`GiveWay`] says when deliveries are arriving; called between rows.
    pub(crate) async fn give_way(&self, report: &mut TickReport) {
        if self.give_way.is_none() {
            return;
        }
        let now = std::time::Instant::now();
        let worked = now.saturating_duration_since(self.restart_work_clock(now));
        let Some(g) = self.giving_way() else { return };
        let pause = (worked * g.parts.saturating_sub(1)).clamp(g.least, g.longest);
        tokio::time::sleep(pause).await;
        report.gave_way += 1;
        self.restart_work_clock(std::time::Instant::now());
    }

    /// Starts counting work from `now`; answers when the count began before.
    fn restart_work_clock(&self, now: std::time::Instant) -> std::time::Instant {
        let mut since = self.working_since.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::replace(&mut *since, now)
    }

    /// The store this worker claims from.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Claims and handles one batch of due work.
    pub async fn tick(&self) -> Result<TickReport, SyncError> {
        let mut report = TickReport::default();
        self.restart_work_clock(std::time::Instant::now());
        let rows = self.giving_way().map_or(BATCH, |g| g.rows.clamp(1, BATCH));
        let items = self.store.claim_outbox(&self.name, rows, self.lease).await?;
        report.claimed = items.len();
        let mut by_job: Vec<Vec<OutboxItem>> = vec![vec![]; self.jobs.len()];
        let mut unhandled = Vec::new();
        for item in items {
            let kind = OutboxKind::parse(&item.kind);
            match self.jobs.iter().position(|j| Some(j.kind()) == kind) {
                Some(i) => by_job[i].push(item),
                None => unhandled.push(item),
            }
        }
        for (job, rows) in self.jobs.iter().zip(by_job) {
            if rows.is_empty() {
                continue;
            }
            let settled = job.handle(self, rows, &mut report).await?;
            self.settle(settled).await?;
            self.give_way(&mut report).await;
        }
        for item in unhandled {
            tracing::debug!(kind = item.kind, "outbox work of a kind this worker does not handle");
            let error = "no handler in this worker".to_owned();
            self.settle(vec![(item, Settle::Retry { error, delay: NOT_MINE })]).await?;
        }
        Ok(report)
    }

    /// Records how each row ended: done (all in one write: a busy worker settles a hundred
    /// rows a tick, and on SQLite each write waits its turn with the webhook intake's), or
    /// released to be tried again.
    async fn settle(&self, rows: Vec<(OutboxItem, Settle)>) -> Result<(), SyncError> {
        let mut done = Vec::new();
        for (item, settle) in rows {
            match settle {
                Settle::Done => done.push(item.id),
                Settle::Retry { error, delay } => {
                    self.store.fail_outbox(item.id, &self.name, &error, delay).await?;
                }
            }
        }
        self.store.complete_outbox_all(&done, &self.name).await?;
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
                    let error = crate::error_chain(&e);
                    tracing::warn!(%error, "background work failed; trying again");
                    false
                }
            };
            ticks += 1;
            if ticks % 3600 == 1 {
                let keep = i64::try_from(KEEP_DONE.as_millis()).unwrap_or(i64::MAX);
                let before = self.store.clock().now_ms().saturating_sub(keep);
                if let Err(e) = self.store.purge_outbox(before).await {
                    let error = crate::error_chain(&e);
                    tracing::warn!(%error, "cannot purge old outbox rows");
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
