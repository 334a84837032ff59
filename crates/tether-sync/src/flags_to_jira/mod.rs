//! The flags-to-Jira job: what Jira is shown of each linked flag, kept in step.
//!
//! [`document`] computes, from a flag's stored state and its project's tracking,
//! the one [`document::FlagView`] that every Jira surface shows: the Feature Flags
//! API document (Cloud), the remote link (Data Center), the issue property, and
//! tether's own per-issue page. [`sync`] sends it; [`job`] is the worker's
//! handler of `jira.flag.sync` rows, batched per site, and of the
//! `jira.issue.property` rows [`property`] uses to keep the `tether.flags` issue
//! property (Cloud) in step; [`maintenance`] holds backfill and reconcile.

pub mod document;
pub mod job;
pub mod maintenance;
pub mod property;
pub mod sync;

pub use document::{EnvView, FlagView, RolloutView, flag_view, remote_link_global_id};
pub use job::{FlagSyncJob, IssuePropertyJob};
pub use maintenance::{
    BackfillReport, ReconcileMode, ReconcileReport, backfill, enqueue_site, reconcile,
};
pub use sync::{
    FailureKind, FlagRef, JiraContext, MAX_FLAGS_PER_REQUEST, Outcome, Plan, Properties,
    PushResult, Pushed, ReadMode, SyncStats, feature_flag, feature_flag_id, remote_link,
    remote_link_title, sync_flags,
};
