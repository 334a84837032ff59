//! Everything a commit message or merge request text says about issues, in one pass:
//! [`extract`] returns the keys, the keys closing words close, and the Smart Commit commands.

use std::collections::HashSet;
use std::ops::Range;

use crate::matcher::{KeyMatch, Matcher};
use crate::smart::{IgnoredCommand, SmartCommand, commands};
use crate::{IssueKey, closing};

/// What a text says about issues.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refs {
    /// Every key mentioned, in order of first appearance.
    pub keys: Vec<KeyMatch>,
    /// The keys closing words ask to close (`Closes PROJ-1`), in order, each once.
    pub closes: Vec<IssueKey>,
    /// Smart Commit commands, in order.
    pub commands: Vec<SmartCommand>,
    /// Smart Commit commands that cannot be carried out as written, with why.
    pub ignored: Vec<IgnoredCommand>,
}

/// Reads keys, closing intents and Smart Commits from `text` (a commit message, a branch
/// name, a merge request's title or description) with `matcher`'s settings.
pub fn extract(text: &str, matcher: &Matcher) -> Refs {
    let found: Vec<Found> = matcher
        .hits(text)
        .map(|hit| Found {
            key: matcher.accept(text, &hit).map(|k| k.key()),
            start: hit.start,
            key_span: hit.key,
        })
        .collect();
    let keys = unique_by(
        found
            .iter()
            .filter_map(|f| Some(KeyMatch { key: f.key.clone()?, span: f.key_span.clone() })),
        |m| &m.key,
    );
    let closes = closing::closed_keys(text, matcher.closing(), &found);
    let (commands, ignored) = commands(text, &found);
    Refs { keys, closes, commands, ignored }
}

/// A place the pattern matched, in text order: the whole match starts at `start` (a prefix
/// included), the key part is at `key_span`, and `key` is `None` when the matcher refuses it
/// (invalid number, project not allowed) though it stands where a key would.
#[derive(Debug)]
pub(crate) struct Found {
    pub start: usize,
    pub key_span: Range<usize>,
    pub key: Option<IssueKey>,
}

/// The items with distinct keys, first appearance kept, in order. Linear for the few keys of
/// a normal message, hashed past that so a text of many thousand keys stays fast.
pub(crate) fn unique_by<T>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> &IssueKey,
) -> Vec<T> {
    const LINEAR: usize = 16;
    let mut out: Vec<T> = Vec::new();
    let mut seen: HashSet<IssueKey> = HashSet::new();
    for item in items {
        let k = key(&item);
        let dup = if out.len() < LINEAR {
            out.iter().any(|o| key(o) == k)
        } else {
            if seen.is_empty() {
                seen.extend(out.iter().map(|o| key(o).clone()));
            }
            !seen.insert(k.clone())
        };
        if !dup {
            out.push(item);
        }
    }
    out
}
