//! Ticket ingestion in the store, one module per table family: [`connections`] (a site's
//! ingestion connection and switches), [`projects`] (discovered projects, import switches),
//! [`types`] (issue types and ticket type assignments), [`cursors`] (claims, passes and
//! checkpoints), [`pages`] (tickets and what hangs on them, written a page at a time),
//! [`catalogue`] (statuses, priorities, resolutions, fields, boards; deleting tickets),
//! [`issues`] (counts), [`read`] (tickets read back with names), [`search`] (JQL over them), [`delivery`] (the facts delivery insight is computed from), [`hooks`] (Jira's webhook events; checksums).

mod catalogue;
mod connections;
mod cursors;
mod delivery;
mod hooks;
mod issues;
mod pages;
mod projects;
mod read;
mod search;
mod types;

pub use catalogue::{SiteCatalogue, TicketBoard, TicketField, TicketStatus};
pub use cursors::PassEnd;
pub use delivery::{CategoryMove, DeliveryFacts, DeliverySprint, DeliveryTicket};
pub use hooks::TicketHookEvent;
pub use issues::TicketStats;
pub use pages::{
    NewChange, NewComment, NewRemoteLink, NewSprint, NewTicket, NewWorklog, TicketPage, TicketUser,
};
pub use read::{HistoryRow, NoteRow, TicketFilter, TicketRow};
pub use search::{SearchError, SearchPage, SearchScope, check_jql};

pub use connections::{
    TicketAuthKind, TicketCheck, TicketConnection, TicketCredentials, TicketSecrets,
};
pub use projects::{DiscoveredProject, PROCESSABLE_TYPES, TicketProject};
pub use types::{TicketCategory, TicketIssueType, TypeAssignment};

/// The tables hanging on one ticket by its Jira issue id.
pub(crate) const ISSUE_CHILD_TABLES: [&str; 5] = [
    "ticket_changes",
    "ticket_comments",
    "ticket_worklogs",
    "ticket_remote_links",
    "ticket_sprint_issues",
];

/// Every table of a site's ingested data, children first, in the order turning the
/// integration off empties them.
pub(crate) const DATA_TABLES: [&str; 17] = [
    "ticket_changes",
    "ticket_comments",
    "ticket_worklogs",
    "ticket_remote_links",
    "ticket_sprint_issues",
    "tickets",
    "ticket_users",
    "ticket_statuses",
    "ticket_priorities",
    "ticket_resolutions",
    "ticket_fields",
    "ticket_boards",
    "ticket_sprints",
    "ticket_hook_events",
    "ticket_type_assignments",
    "ticket_issue_types",
    "ticket_projects",
];
