//! What every Jira job shares, and the paths `tether_sync::jira::…` the server and
//! binary use.
//!
//! [`clients`] turns a stored site and its sealed secret into a
//! `tether_jira::Client` (cached per site), for the jobs and for the calls a person
//! waits on; [`migrate`] moves a site to another Jira (Server to Cloud). The flags-to-Jira job lives in [`crate::flags_to_jira`]; its modules and
//! items are re-exported here under their first names.

pub mod clients;
pub mod migrate;

pub use crate::flags_to_jira::{document, maintenance, property, sync};
pub use clients::{JiraClients, PLATFORM_EMAIL, auth_for_site, oauth2_secrets};
pub use document::{EnvView, FlagView, RolloutView, flag_view, remote_link_global_id};
pub use maintenance::{
    BackfillReport, ReconcileMode, ReconcileReport, backfill, enqueue_site, reconcile,
};
pub use migrate::{MigrateError, MigrationReport, migrate_site};
pub use sync::{
    FailureKind, FlagRef, JiraContext, MAX_FLAGS_PER_REQUEST, Outcome, Plan, Properties,
    PushResult, Pushed, ReadMode, SyncStats, feature_flag, feature_flag_id, remote_link,
    remote_link_title, sync_flags,
};
