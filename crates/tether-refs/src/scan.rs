//! The default key pattern, hand-written for speed: what the regex
//! `(?-u:\b)[A-Z][A-Z_0-9]+-[0-9]+` finds, minus CVE ids, found by jumping from `-` to `-`
//! with `memchr` and looking around each one instead of running a regex over every byte.
//!
//! Why this equals the regex: a match is fixed by its `-`. Before it, `[A-Z_0-9]+` cannot
//! cross another `-`, and the `\b` in front needs a non-word byte before the first letter,
//! while every byte of `[A-Z_0-9]` is a word byte; so the only possible start is the start of
//! the longest run of `[A-Z_0-9]` ending at the `-`. After it, `[0-9]+` is greedy and
//! nothing follows it in the pattern, so the match ends at the last digit. Matches cannot
//! overlap: the next `-` is after the digits. The equality is checked by a property test
//! against the regex itself.
//!
//! The word boundary is ASCII (`[A-Za-z0-9_]` are word bytes, everything else is not), as in
//! GitLab's Ruby regex and `grep` in the C locale: `修复PROJ-12` holds the key `PROJ-12`, which
//! a Unicode `\b` would miss in CJK commit messages, written without spaces.

use crate::key::is_project_byte;

/// A default-pattern match `text[start..end]`, with its `-` at `dash`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub dash: usize,
    pub end: usize,
}

/// Every default-pattern match of a text, left to right.
#[derive(Debug)]
pub(crate) struct Scanner<'t> {
    text: &'t [u8],
    dashes: memchr::Memchr<'t>,
}

impl<'t> Scanner<'t> {
    pub fn new(text: &'t str) -> Scanner<'t> {
        Scanner { text: text.as_bytes(), dashes: memchr::memchr_iter(b'-', text.as_bytes()) }
    }
}

impl Iterator for Scanner<'_> {
    type Item = Span;

    fn next(&mut self) -> Option<Span> {
        let text = self.text;
        self.dashes.find_map(|dash| key_at_dash(text, dash))
    }
}

/// The match whose `-` is at `dash`, if any.
fn key_at_dash(b: &[u8], dash: usize) -> Option<Span> {
    // Cheapest test first: most dashes in prose are not followed by a digit.
    if !b.get(dash + 1).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let mut start = dash;
    while start > 0 && is_project_byte(b[start - 1]) {
        start -= 1;
    }
    if dash - start < 2 || !b[start].is_ascii_uppercase() || !boundary_before(b, start) {
        return None;
    }
    let mut end = dash + 1;
    while end < b.len() && b[end].is_ascii_digit() {
        end += 1;
    }
    // `CVE-2024-1234` is a vulnerability id, not issue `CVE-2024` (GitLab's `(?!CVE-\d+-\d+)`).
    let cve = &b[start..dash] == b"CVE"
        && b.get(end) == Some(&b'-')
        && b.get(end + 1).is_some_and(u8::is_ascii_digit);
    (!cve).then_some(Span { start, dash, end })
}

/// Whether an ASCII word boundary lies before `pos`, given that `b[pos]` is a word byte.
fn boundary_before(b: &[u8], pos: usize) -> bool {
    pos == 0 || !is_word_byte(b[pos - 1])
}

pub(crate) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}
