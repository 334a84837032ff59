//! Code ↔ Jira against the sandbox in both flavours: what a push or a pull request does to
//! the issues it mentions (links, comments, transitions, Smart Commits, the Development
//! panel), that nothing is done twice, and the reliability run.

mod devinfo;
mod flows;
mod gitlab;
mod migrate;
mod old_jira;
mod reliability;
mod smart;
mod support;
