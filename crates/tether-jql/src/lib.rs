//! Jira Query Language (JQL) for tether: parse, print, validate, and the date values and
//! functions queries use; pure: no IO, no clock (time is handed in), no panics on any input.
//!
//! Built to Jira's own grammar (`Jql.g`) and its parser's tests and messages, so that a query
//! is accepted or refused, and its error worded and positioned, as Jira does it.
//!
//! # Shape
//! - [`parse`] reads a query into a [`Query`]: an optional [`Clause`] tree (`AND` binds tighter
//!   than `OR`, `NOT`/`!` tighter than both) and ORDER BY keys. Every node keeps its [`Span`]
//!   (byte range, line and Jira's character count). Errors are [`ParseError`]s whose `Display`
//!   is Jira's message: `Error in the JQL Query: Expecting operator but got 'x'. The valid
//!   operators are … (line 1, character 3)`.
//! - [`print::to_jql`] (also `Display` on [`Query`]) writes canonical JQL that parses back to
//!   the same tree; [`print::encode_value`] quotes a single value for building queries.
//! - [`dates`] reads `-4w 2d`, `2024/01/31 10:15`, `2024-01-31` and epoch milliseconds, and
//!   resolves them against a [`dates::Clock`]; [`functions`] holds the function catalogue,
//!   Jira's argument checks, and evaluates `now()`, `startOf…()`, `endOf…()`.
//! - [`validate`](validate::validate) checks a query against a [`catalogue::FieldCatalogue`]
//!   (Jira's system fields and tether's `flag`, `flagEnabled`, `flagState[env]`, `commit`,
//!   `repository`, `pullRequest` by default) with Jira's validation messages.
//!
//! # Lexical rules worth knowing
//! - Keywords (`AND OR NOT IN IS EMPTY NULL WAS CHANGED BEFORE AFTER FROM TO ON DURING ORDER
//!   BY ASC DESC` and `cf`) are case-insensitive; `&`/`&&` mean AND, `|`/`||` mean OR.
//! - Jira's [`RESERVED_WORDS`] (`select`, `true`, `int`, `do` …) and the characters
//!   `{ } * / % + ^ $ # @ ? ;` must be quoted; `-` and `.` need not (`ABC-1`, `-5d`, `1.2.3`).
//! - Strings take either quote and the escapes `\" \' \\ \n \t \r \uXXXX` and `\ ` (escaped
//!   space), also outside quotes. Control characters must be escaped; newlines may stand in
//!   quoted strings. Positions count UTF-16 units, as Java does.
//!
//! # Speed
//! `cargo bench -p tether-jql` parses a mix of typical queries; the figure measured is in the
//! crate README.

mod ast;
pub mod catalogue;
mod chars;
pub mod dates;
mod error;
pub mod functions;
mod lexer;
mod parser;
pub mod print;
pub mod validate;

pub use ast::*;
pub use chars::RESERVED_WORDS;
pub use error::{Found, ParseError, ParseErrorKind, Position};
pub use parser::{MAX_NESTING, parse};
