//! Flag state delivered to the Jira sandbox: Cloud (Feature Flags API) and
//! Data Center (remote links), failures, and the reliability run.

mod cloud;
mod dc;
mod maintenance;
pub(crate) mod reliability;
pub(crate) mod support;
