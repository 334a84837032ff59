//! Ticket ingestion's side of the client: the site's catalogues and projects
//! ([`catalogue`]), issues read with every field ([`issue`]), keyset search pages, id listings
//! and what search embeds only in part ([`search`]), and the checks a connection passes first
//! ([`checks`]). The wire types are in [`wire`].

pub mod catalogue;
pub mod checks;
pub mod hook;
pub mod issue;
pub mod search;
pub mod wire;

pub use catalogue::WEBHOOK_EVENTS;
pub use checks::{BROWSE_USERS, Gap, IngestionCheck, ProjectAccess, check_ingestion};
pub use hook::HookEvent;
pub use issue::{Embedded, FieldCatalog, SprintRef, Ticket, body_text, user_id};
pub use search::{IssuePage, TICKET_PAGE_SIZE, ingest_jql, quote};
pub use wire::{
    AdminWebhook, Board, CategoryInfo, FieldInfo, FieldSchema, IssueId, IssueTypeInfo, NamedInfo,
    RawComment, RawIssue, Sprint, StatusInfo, TicketProject, Worklog,
};
