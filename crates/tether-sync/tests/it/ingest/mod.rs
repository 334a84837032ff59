//! Ticket ingestion against the sandbox.

mod passes;
mod support;
