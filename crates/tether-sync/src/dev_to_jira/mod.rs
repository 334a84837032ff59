//! Code ↔ Jira: what the commits and merge requests of stored dev events do to the Jira
//! issues they mention.
//!
//! - [`plan`]: an event's entities and what they say (no IO).
//! - [`event`]: a `dev.event` row: per issue and entity the remote link ([`actions`]), the
//!   mention comment, the transition when closing words reach the default branch
//!   ([`transition`]) and the Smart Commits ([`smart`]), each once through the store's
//!   ledger; what was done is the event's [`report`].
//! - [`devinfo`]: a `dev.devinfo` row: the Development panel on Jira Cloud, through the
//!   client [`clients`] makes.
//! - [`finding`]: a `dev.finding.issue` row: the Jira issue a person asked for a finding.
//! - [`text`]: the links and comments written.
//! - [`job`]: the worker's handlers; the rows of a tick share a `batch::Batch`: their
//!   repositories read once, and what they write about their events in one transaction.

pub mod actions;
mod batch;
pub mod clients;
pub mod devinfo;
pub mod event;
pub mod finding;
pub mod job;
pub mod plan;
pub mod report;
mod smart;
pub mod text;
mod transition;

use std::time::Duration;

pub use clients::{DevInfoClients, NoDevInfo};
pub use event::{Settled, matcher, summary};
pub use job::{DevEventJob, DevFindingJob, DevInfoJob};

use crate::jira::JiraClients;

/// What the code jobs need.
#[derive(Debug, Clone)]
pub struct DevContext {
    pub clients: JiraClients,
    pub devinfo: DevInfoClients,
    /// tether's public URL, for pages of local repositories without a web URL.
    pub public_url: String,
    /// How long a claimed side effect is taken to be in flight (see `actions::Run::once`):
    /// longer than the Jira client's timeout.
    pub hold: Duration,
}

impl DevContext {
    /// A context whose clients use `options`; the hold is the client timeout plus a minute.
    /// Its site clients are `clients`' own but take Jira Server 6 and later (code ↔ Jira
    /// needs nothing newer), where the others refuse a Data Center older than 7.13.
    pub fn new(
        clients: JiraClients,
        options: tether_jira::Options,
        public_url: impl Into<String>,
    ) -> DevContext {
        let hold = options.timeout + Duration::from_secs(60);
        let any_version =
            tether_jira::Options { refuse_old_data_center: false, ..clients.options().clone() };
        let clients = JiraClients::new(clients.store().clone(), any_version);
        let devinfo = DevInfoClients::new(clients.store().clone(), clients.clone(), options);
        DevContext { clients, devinfo, public_url: public_url.into(), hold }
    }
}
