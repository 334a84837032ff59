//! The integration test binary: behaviour through the public surface, as tables of cases.

mod dates;
mod docs_examples;
mod functions;
mod fuzz;
mod jira_messages;
mod jira_parser;
mod jira_parser_errors;
mod positions;
mod printing;
mod support;
mod validation;
