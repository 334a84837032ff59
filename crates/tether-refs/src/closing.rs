//! Closing intents: `Closes PROJ-1, PROJ-2 and PROJ-3` asks for those issues to be closed
//! when the change reaches the default branch (deciding that is the caller's job).
//!
//! # Rules
//! - The closing words are GitLab's defaults: close, closes, closed, closing; fix, fixes,
//!   fixed, fixing; resolve, resolves, resolved, resolving; implement, implements,
//!   implemented, implementing. The first letter may be upper or lower case, the rest is
//!   lower case (`CLOSES` is not one), and the word starts at a word boundary (`Unfixed` and
//!   `Discloses` are not).
//! - Then an optional `:`, at least one space or tab, and the first key right there.
//! - More keys follow, separated by a comma, by spaces, or by `and` with spaces around it
//!   (an optional comma before it): `Fixes A-1, B-2 and C-3`, `Fixes A-1 B-2`,
//!   `Fixes A-1, and B-2`. The list ends at anything else, including a line break.
//!   GitLab's own pattern lets only its `#123` references repeat; for Jira keys it takes
//!   just the first one, which is fixed here.
//! - A key is whatever the [`Matcher`](crate::Matcher) finds at that place (a configured
//!   prefix included: `Closes JIRA#PROJ-1`). A key-shaped word the matcher refuses (another
//!   project than the allow-list's, `PROJ-007`) is not closed but does not end the list.

use std::collections::HashSet;

use regex::Regex;

use crate::IssueKey;
use crate::refs::Found;

/// The keys that closing words in `text` ask to close, in order, each once.
pub(crate) fn closed_keys(text: &str, closing: &Regex, found: &[Found]) -> Vec<IssueKey> {
    let mut closed: Vec<IssueKey> = Vec::new();
    let mut seen: HashSet<&IssueKey> = HashSet::new();
    for word in closing.find_iter(text) {
        let mut pos = word.end();
        while let Some(at) = found_at(found, pos) {
            if let Some(key) = &at.key
                && seen.insert(key)
            {
                closed.push(key.clone());
            }
            match separator(text.as_bytes(), at.key_span.end) {
                Some(next) => pos = next,
                None => break,
            }
        }
    }
    closed
}

/// The match whose whole text (prefix included) starts at `pos`.
fn found_at(found: &[Found], pos: usize) -> Option<&Found> {
    found.binary_search_by_key(&pos, |f| f.start).ok().map(|i| &found[i])
}

/// The end of a list separator starting at `pos`: `[ \t]*,?[ \t]+and[ \t]+` or
/// `[ \t]*,?[ \t]*` (not empty).
fn separator(b: &[u8], pos: usize) -> Option<usize> {
    let blanks = |mut i: usize| {
        while i < b.len() && matches!(b[i], b' ' | b'\t') {
            i += 1;
        }
        i
    };
    let after_blanks = blanks(pos);
    let comma = b.get(after_blanks) == Some(&b',');
    let after_comma = after_blanks + usize::from(comma);
    let i = blanks(after_comma);
    // `and` needs a blank before it: after the comma, or before a missing comma.
    let blank_before_and = i > after_comma || (!comma && after_blanks > pos);
    if blank_before_and && b[i..].starts_with(b"and") {
        let after = blanks(i + 3);
        if after > i + 3 {
            return Some(after);
        }
    }
    (i > pos).then_some(i)
}
