//! Smart Commits, Atlassian's commands in commit messages: `PROJ-1 #comment text`,
//! `#time 1w 2d 4h 30m text`, `#<transition> text`.
//!
//! # Rules
//! - Syntax, per Atlassian: `<ignored text> ISSUE_KEY <ignored text> #COMMAND <arguments>`.
//!   A command is `#` at the start of a line or after whitespace, then a letter, then
//!   letters, digits, `-` or `_` (`#123` and `a#b` are not commands). Its arguments run to
//!   the next command on the line or the end of the line: a command never spans lines, and
//!   one line may hold several (`PROJ-1 #time 2d 5h #comment Ahead of schedule #resolve`).
//! - The keys a command applies to are the keys written before the first command of its
//!   line (`PROJ-1 PROJ-2 #resolve` resolves both). A line whose commands have no key before
//!   them applies them to the keys of the nearest line above that had some, so commands may
//!   continue on the next lines ("multiple commands over multiple lines on a single issue").
//!   Keys inside a command's arguments (`#comment see PROJ-9`) are text, not targets.
//! - `#comment` (any case) adds its text as a comment; without text it is ignored and
//!   reported. `#time` logs work (see [`crate::time`]), the text after the amounts being the
//!   worklog comment; without an amount it is ignored and reported. Any other name is a
//!   workflow transition, its text a comment added with it (`#close Fixed this today`).
//! - A transition name matches Jira's transition names through [`match_transition`]:
//!   hyphens stand for spaces, case is ignored, and a unique prefix is enough (`#start` for
//!   "Start Progress" unless "Start Review" also exists; then `#start-review`). A name that
//!   matches one transition exactly wins over longer ones it is a prefix of.
//! - Commands with no key at all are not Smart Commits (`#wip` in a message without keys),
//!   and a `#` that is part of a key match (a `#` prefix) or comes right before a key is not
//!   a command: `PROJ-2 relates to #PROJ-1` holds none.

use std::ops::Range;
use std::sync::Arc;

use crate::IssueKey;
use crate::refs::{Found, unique_by};
use crate::time::{TimeSpent, parse_time};

/// One Smart Commit command and the issues it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmartCommand {
    /// In order of appearance, each once; shared by the commands of one group of keys.
    pub keys: Arc<[IssueKey]>,
    pub action: SmartAction,
    /// The command in the message, from `#` to the end of its arguments.
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmartAction {
    Comment {
        text: String,
    },
    Time {
        spent: TimeSpent,
        comment: String,
    },
    /// `name` as written (`start-review`); see [`match_transition`].
    Transition {
        name: String,
        comment: String,
    },
}

/// A command that names issues but cannot be carried out as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredCommand {
    pub keys: Arc<[IssueKey]>,
    pub span: Range<usize>,
    pub reason: IgnoredReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IgnoredReason {
    #[error("`#comment` needs the comment text after it on the same line")]
    EmptyComment,
    #[error("`#time` needs the time spent after it, such as `1w 2d 4h 30m`")]
    NoTime,
}

/// Which of an issue's transitions a `#<name>` command means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionMatch {
    /// The index of the one transition meant.
    Unique(usize),
    /// Several transitions fit (their indexes): the command must say more.
    Ambiguous(Vec<usize>),
    NoMatch,
}

/// Finds the transition a command names among an issue's transition names (in the order
/// Jira lists them): an exact match (hyphens for spaces, any case) first, else the one name
/// the command is a prefix of.
pub fn match_transition<'a>(
    command: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> TransitionMatch {
    let command = command.to_lowercase();
    if command.is_empty() {
        return TransitionMatch::NoMatch;
    }
    let names: Vec<String> = names.into_iter().map(command_form).collect();
    let exact: Vec<usize> = (0..names.len()).filter(|&i| names[i] == command).collect();
    let candidates = if exact.is_empty() {
        (0..names.len()).filter(|&i| names[i].starts_with(&command)).collect()
    } else {
        exact
    };
    match candidates.as_slice() {
        [] => TransitionMatch::NoMatch,
        [one] => TransitionMatch::Unique(*one),
        _ => TransitionMatch::Ambiguous(candidates),
    }
}

/// A transition name as a command writes it: lower case, each run of spaces a hyphen.
fn command_form(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join("-").to_lowercase()
}

/// The commands of a message, and those ignored with why. `found` holds the key matches of
/// the whole text in order.
pub(crate) fn commands(text: &str, found: &[Found]) -> (Vec<SmartCommand>, Vec<IgnoredCommand>) {
    let mut done = Vec::new();
    let mut ignored = Vec::new();
    // Most messages hold no `#` at all: no need to walk their lines.
    if memchr::memchr(b'#', text.as_bytes()).is_none() {
        return (done, ignored);
    }
    let mut group: Arc<[IssueKey]> = Arc::new([]);
    let mut line_start = 0;
    for raw in text.split_inclusive('\n') {
        let base = line_start;
        line_start += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let starts = command_starts(line, base, found);
        let before_commands = base..base + starts.first().map_or(line.len(), |c| c.hash);
        let line_keys = keys_within(found, before_commands);
        if !line_keys.is_empty() {
            group = line_keys.into();
        }
        if group.is_empty() {
            continue;
        }
        for (i, c) in starts.iter().enumerate() {
            let args_end = starts.get(i + 1).map_or(line.len(), |next| next.hash);
            let name = &line[c.hash + 1..c.name_end];
            let args = line[c.name_end..args_end].trim();
            let span = base + c.hash..base + line[..args_end].trim_end().len();
            let keys = Arc::clone(&group);
            let action = if name.eq_ignore_ascii_case("comment") {
                if args.is_empty() {
                    ignored.push(IgnoredCommand {
                        keys,
                        span,
                        reason: IgnoredReason::EmptyComment,
                    });
                    continue;
                }
                SmartAction::Comment { text: args.to_owned() }
            } else if name.eq_ignore_ascii_case("time") {
                let Some((spent, comment)) = parse_time(args) else {
                    ignored.push(IgnoredCommand { keys, span, reason: IgnoredReason::NoTime });
                    continue;
                };
                SmartAction::Time { spent, comment: comment.to_owned() }
            } else {
                SmartAction::Transition { name: name.to_owned(), comment: args.to_owned() }
            };
            done.push(SmartCommand { keys, action, span });
        }
    }
    (done, ignored)
}

/// Where a command starts in a line: its `#`, and the end of its name.
struct CommandStart {
    hash: usize,
    name_end: usize,
}

/// The commands of `line`, which starts at `base` in the text whose key matches are `found`.
fn command_starts(line: &str, base: usize, found: &[Found]) -> Vec<CommandStart> {
    let mut out = Vec::new();
    for hash in memchr::memchr_iter(b'#', line.as_bytes()) {
        let after_space = line[..hash].chars().next_back().is_none_or(char::is_whitespace);
        let name = &line[hash + 1..];
        if !after_space
            || !name.chars().next().is_some_and(char::is_alphabetic)
            || part_of_key(found, base + hash)
        {
            continue;
        }
        let len = name
            .find(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(name.len());
        out.push(CommandStart { hash, name_end: hash + 1 + len });
    }
    out
}

/// Whether the `#` at `pos` belongs to a key match (a prefix such as `#`) or comes right
/// before one (`#PROJ-1` refers to an issue; it is not a transition named `PROJ-1`).
fn part_of_key(found: &[Found], pos: usize) -> bool {
    let after = found.partition_point(|f| f.start <= pos + 1);
    after > 0 && {
        let f = &found[after - 1];
        f.start == pos + 1 || (f.start <= pos && pos < f.key_span.end)
    }
}

/// The valid keys whose span lies in `range`, in order, each once.
fn keys_within(found: &[Found], range: Range<usize>) -> Vec<IssueKey> {
    let first = found.partition_point(|f| f.key_span.start < range.start);
    let within = found[first..].iter().take_while(|f| f.key_span.end <= range.end);
    unique_by(within.filter_map(|f| f.key.as_ref()), |k| *k).into_iter().cloned().collect()
}
