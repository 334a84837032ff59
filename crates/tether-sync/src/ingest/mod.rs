//! Ticket ingestion (issue 14): Jira's issues, their history, comments, worklogs, remote
//! links, people, sprints and catalogues brought into tether's database.
//!
//! [`connection`] makes a client per site from its ingestion connection; [`discover`] checks
//! the connection and records the projects Jira shows, the site's issue types and each
//! project's default type assignments.

pub mod connection;
pub mod discover;

pub use connection::{
    ConnectionError, TicketClients, auth_for_connection, ingestion_site, oauth1_consumer,
};
pub use discover::{CheckOutcome, check_and_discover, report_json};
