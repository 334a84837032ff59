//! Integration tests: real HTTP against sandboxes bound to 127.0.0.1:0.

mod auth;
mod connect;
mod featureflags;
mod issues;
mod knobs;
mod meta;
mod platform;
mod search;
mod seed;
mod support;
mod workflow;
