//! tether's background work, as `tick()`s with a thin loop around them.
//!
//! A [`Worker`] claims due outbox rows under a lease and hands each kind's rows
//! to the job registered for that kind (see [`worker`]); the job says how each
//! row settles (done, or tried again after a delay) and the worker records it.
//! One folder per job:
//! - [`webhooks`]: tether's outgoing webhooks. An `event` row (a flag, segment or
//!   environment change, written in the change's transaction) is fanned out into
//!   one `webhook.delivery` row per matching webhook; a delivery is POSTed,
//!   signed, and on failure retried with exponential backoff until
//!   [`MAX_ATTEMPTS`]. Every attempt is logged.
//! - [`flags_to_jira`] (given [`Worker::with_jira`]): a `jira.flag.sync` row
//!   brings one flag up to date on one Jira site, the rows of one tick coalesced
//!   per site into bulk requests; Jira being unavailable only delays them
//!   (retried without limit, honouring `Retry-After`), a refusal is recorded on
//!   the flag. `jira.issue.property` rows keep the `tether.flags` issue property
//!   in step. Also backfill and reconcile.
//!
//! - [`dev_to_jira`] (given [`Worker::with_code`]): `dev.event` rows act on the Jira
//!   issues a stored dev event mentions (remote links, comments, transitions, Smart
//!   Commits, each once through the ledger), `dev.devinfo` rows fill Jira Cloud's
//!   Development panel.
//! - [`ingest`]: ticket ingestion, a job of its own beside the worker (see there).
//!
//! [`jira`] holds what every Jira job shares (a client per site) and keeps the
//! paths `tether_sync::jira::…` that the server and binary use. Rows of unknown
//! kinds are left for the worker that knows them (released with a delay), so
//! workers of different versions can share a database. Every time a worker
//! reads comes from the store's clock ([`tether_store::Store::clock`]).
//!
//! [`Worker::run`] wakes on every write this process commits
//! ([`tether_store::Store::subscribe_changes`]), so a toggle reaches Jira at
//! once, and polls for other processes' writes and due retries.

pub mod dev_to_jira;
pub mod flags_to_jira;
pub mod ingest;
pub mod jira;
pub mod webhooks;
pub mod worker;

use std::time::Duration;

use tether_store::StoreError;

pub use webhooks::{SIGNATURE_HEADER, sign};
pub use worker::{GiveWay, LEASE, TickReport, Worker};

/// Attempts before a delivery is given up (and stays in the log as failed).
pub const MAX_ATTEMPTS: i64 = 10;
/// The longest a Jira row waits before its next attempt.
pub const JIRA_MAX_DELAY: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("storage failed")]
    Store(#[from] StoreError),
    /// A Jira site cannot be used (backfill and reconcile stop on it).
    #[error(transparent)]
    Jira(jira::clients::ClientError),
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

pub use tether_store::error_chain;
