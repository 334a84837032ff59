//! Jira: clients per registered site, and what Jira is shown of a flag.
//!
//! [`clients`] turns a stored site and its sealed secret into a
//! `tether_jira::Client` (cached per site). [`document`] computes, from a flag's
//! stored state and its project's tracking, the one [`document::FlagView`] that
//! every Jira surface shows: the Feature Flags API document (Cloud), the remote
//! link (Data Center), the issue property, and tether's own per-issue page.
//! [`sync`] sends it: the worker's `jira.flag.sync` rows, batched per site;
//! [`property`] keeps the `tether.flags` issue property (Cloud) in step;
//! [`maintenance`] holds backfill and reconcile.

pub mod clients;
pub mod document;
pub mod maintenance;
pub mod property;
pub mod sync;

pub use clients::{JiraClients, auth_for_site};
pub use document::{EnvView, FlagView, RolloutView, flag_view, remote_link_global_id};
pub use maintenance::{BackfillReport, ReconcileReport, backfill, enqueue_site, reconcile};
pub use sync::{
    FlagRef, JiraContext, MAX_FLAGS_PER_REQUEST, Outcome, Plan, PushResult, Pushed, SyncStats,
    feature_flag, feature_flag_id, remote_link, remote_link_title, sync_flags,
};
