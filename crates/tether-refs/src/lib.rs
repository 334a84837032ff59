//! Jira issue keys and what commit messages, branch names and merge requests say about them;
//! pure: no IO, no clock, no randomness, and no panics on any input.
//!
//! # Shape
//! - [`IssueKey`] and [`ProjectKey`] ([`key`]): parsed strictly, or leniently from what a
//!   person typed; every crate that handles keys takes these instead of strings.
//! - [`Matcher`] ([`matcher`]): built once from a repository's [`MatchSettings`] (custom
//!   regex, prefix, project allow-list), refusing bad settings with the [`Field`] to fix;
//!   [`Matcher::keys`] and [`Matcher::find_iter`] find keys. The default pattern runs on a
//!   hand-written scanner (`scan`), checked equal to the regex by property tests.
//! - [`extract`] ([`refs`]): one call for a text's [`Refs`]: its keys, the keys closing words
//!   close ([`closing`]), and its Smart Commit commands ([`smart`], with [`time`] for
//!   `#time`).
//!
//! The rules, and where they follow or depart from GitLab and Atlassian, are in each
//! module's documentation. The crate README has the extraction benchmark.

pub mod closing;
pub mod key;
pub mod matcher;
pub mod refs;
mod scan;
pub mod smart;
pub mod time;

pub use key::{IssueKey, KeyError, MAX_ISSUE_NUMBER, MAX_PROJECT_KEY_LEN, ProjectKey};
pub use matcher::{
    Field, KeyMatch, KeyRef, Keys, MAX_PATTERN_LEN, MatchSettings, Matcher, SettingsError,
};
pub use refs::{Refs, extract};
pub use smart::{
    IgnoredCommand, IgnoredReason, SmartAction, SmartCommand, TransitionMatch, match_transition,
};
pub use time::{TimeSpent, TimeUnit, WorkingTime};
