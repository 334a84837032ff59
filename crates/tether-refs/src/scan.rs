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

/// A default-pattern match `text[start..end]`, with its `-` at `dash` and the value of its
/// digits in `number` (saturating, so a number too large for Jira stays too large).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub dash: usize,
    pub end: usize,
    pub number: u64,
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
    if !has(b.get(dash + 1).copied(), DIGIT) {
        return None;
    }
    let mut start = dash;
    while start > 0 && has(Some(b[start - 1]), PROJECT) {
        start -= 1;
    }
    if dash - start < 2 || !has(Some(b[start]), UPPER) || !boundary_before(b, start) {
        return None;
    }
    let mut end = dash + 1;
    let mut number: u64 = 0;
    while end < b.len() && has(Some(b[end]), DIGIT) {
        number = number.saturating_mul(10).saturating_add(u64::from(b[end] - b'0'));
        end += 1;
    }
    // `CVE-2024-1234` is a vulnerability id, not issue `CVE-2024` (GitLab's `(?!CVE-\d+-\d+)`).
    let cve = &b[start..dash] == b"CVE"
        && b.get(end) == Some(&b'-')
        && has(b.get(end + 1).copied(), DIGIT);
    (!cve).then_some(Span { start, dash, end, number })
}

/// Whether an ASCII word boundary lies before `pos`, given that `b[pos]` is a word byte.
fn boundary_before(b: &[u8], pos: usize) -> bool {
    pos == 0 || !is_word_byte(b[pos - 1])
}

fn is_word_byte(b: u8) -> bool {
    has(Some(b), WORD)
}

// Byte classes, looked up in one table instead of chains of comparisons: the scanner's inner
// loops run once per byte around every `-`.
const UPPER: u8 = 1;
const DIGIT: u8 = 2;
/// `[A-Z0-9_]`: what a project key holds after its first letter.
const PROJECT: u8 = 4;
/// `[A-Za-z0-9_]`: ASCII word bytes.
const WORD: u8 = 8;

static CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut class = 0;
        if c.is_ascii_uppercase() {
            class |= UPPER | PROJECT | WORD;
        }
        if c.is_ascii_lowercase() {
            class |= WORD;
        }
        if c.is_ascii_digit() {
            class |= DIGIT | PROJECT | WORD;
        }
        if c == b'_' {
            class |= PROJECT | WORD;
        }
        table[b] = class;
        b += 1;
    }
    table
};

/// Whether `b` (if any) is in `class`.
fn has(b: Option<u8>, class: u8) -> bool {
    b.is_some_and(|b| CLASSES[usize::from(b)] & class != 0)
}
