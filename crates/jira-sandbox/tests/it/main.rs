//! Integration tests: real HTTP against sandboxes bound to 127.0.0.1:0.

mod activity;
mod agile;
mod auth;
mod browse;
mod connect;
mod connect_install;
mod create_page;
mod devinfo;
mod devops;
mod featureflags;
mod issues;
mod knobs;
mod meta;
mod moves;
mod oauth1;
mod platform;
mod properties;
mod schema;
mod search;
mod security;
mod seed;
mod support;
mod versions;
mod webhooks;
mod workflow;
mod worklogs;
