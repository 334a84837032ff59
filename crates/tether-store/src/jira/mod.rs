//! Jira in the store, one module per table family: [`sites`] (`jira_sites`),
//! [`forge`] (`jira_forge_installations`: Forge installations and the site each belongs to),
//! [`tracking`] (`project_jira`: which site and environments a project tracks),
//! [`links`] (`flag_issue_links` and the issue cache) and [`flag_sync`]
//! (`jira_flag_sync`: sequence numbers and what Jira was last sent); [`migrate`]: a
//! site moved to another Jira (Server to Cloud), its references re-mapped.

mod flag_sync;
mod forge;
mod links;
mod migrate;
mod sites;
mod tracking;

pub use flag_sync::FlagSync;
pub(crate) use flag_sync::{jira_enqueue_on, jira_touch_on};
pub use forge::{ForgeInstallEvent, ForgeInstallation, ForgeLifecycle};
pub(crate) use links::index_links_on;
pub use links::{CachedIssue, IssueLink, normalize_issue_keys};
pub use migrate::{DetailRemap, SiteMove, SiteMoved, SiteReferences};
pub use sites::{JiraAuthKind, JiraSite, NewJiraSite, site_name_for};
pub use tracking::ProjectJira;
