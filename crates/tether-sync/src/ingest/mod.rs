//! Ticket ingestion (issue 14): Jira's issues, their complete history, comments, worklogs,
//! remote links, people, sprints and catalogues brought into tether's database, incrementally
//! and completely.
//!
//! [`connection`] makes a client per site from its ingestion connection; [`discover`] checks
//! the connection and records the projects Jira shows, the site's issue types and each
//! project's default type assignments. [`Ingester`] ([`engine`]) claims due work: a site's
//! checks and catalogues ([`site`]), and one project's pass at a time ([`pass`]: keyset pages
//! in key order, each completed by [`enrich`], turned into rows by [`convert`] and written with
//! its checkpoint), deleted and moved issues found by [`reconcile`].

pub mod connection;
mod convert;
pub mod discover;
mod engine;
mod enrich;
mod pass;
mod reconcile;
mod site;

pub use connection::{
    ConnectionError, TicketClients, auth_for_connection, ingestion_site, oauth1_consumer,
};
pub use discover::{CheckOutcome, check_and_discover, report_json};
pub use engine::{IngestOptions, IngestReport, Ingester};
pub use pass::PassError;
pub use site::SiteError;
