//! Ticket ingestion against the sandbox.

mod passes;
mod reliability;
mod support;
