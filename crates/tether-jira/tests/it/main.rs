//! Integration tests of tether-jira over real HTTP against jira-sandbox on loopback.

mod auth;
mod code;
mod connect;
mod connection;
mod detection;
mod errors;
mod featureflags;
mod operations;
mod paging;
mod support;
mod tickets;
