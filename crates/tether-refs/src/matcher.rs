//! Finding issue keys in text: the [`Matcher`], built once from a repository's matching
//! settings (custom regex, prefix, project allow-list) and then used on every message.
//!
//! # Rules
//! - **Default pattern**: GitLab's `\b([A-Z][A-Z_0-9]+-\d+)`, case-sensitive, with an ASCII
//!   word boundary in front only. So `fooPROJ-1`, `foo_PROJ-1` and `3PROJ-1` hold no key;
//!   `abc-PROJ-1`, `(PROJ-1)` and `修复PROJ-1` do (a Unicode boundary would miss keys glued
//!   to CJK text, which is written without spaces). Nothing is required after the digits, as
//!   in GitLab's own tests: `PROJ-1234A` and the branch name `PROJ-1234_some_tag` give
//!   `PROJ-1234`.
//! - **CVE ids** (`CVE-2024-1234`) are not keys (GitLab's former `(?!CVE-\d+-\d+)`); a lone
//!   `CVE-123` is, since a Jira project may be called `CVE`.
//! - A match is a key only if it reads as an [`IssueKey`]: `JRA-090` is `JRA-90` (the span
//!   still covers the text as written); `PROJ-0` and numbers beyond Jira's range are skipped.
//! - **Custom regex** (`key_regex`) and **prefix** (`key_prefix`) combine as GitLab's do,
//!   `<prefix>(?P<issue><regex>)`, each part in its own non-capturing group so that an
//!   alternation inside either stays inside it, and the whole match may not follow an ASCII
//!   letter, digit or `_`. GitLab puts a `\b` in front instead: the same when the prefix (or
//!   regex) starts with a letter, as its documented `JIRA#` does, but a prefix such as `#` or
//!   `\[` would then only match right after a word character. Both are regular expressions
//!   (GitLab: "input into a regex"), so a literal `[` in a prefix is written `\[`. Each is at
//!   most 255 characters and must compile (Rust's `regex` syntax, close to the RE2 syntax
//!   GitLab uses; the group names `issue` and `tether_match` are taken); matching takes
//!   linear time whatever the pattern and text. What the custom regex matches must still read
//!   as an issue key, and CVE ids are skipped only with the default pattern. An empty prefix
//!   or a blank regex means none.
//! - **Project allow-list** (`project_keys`): when not empty, keys of other projects are not
//!   keys. Entries are read as a person types them (`shop` → `SHOP`).

use std::fmt;
use std::ops::Range;
use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};

use crate::key::{
    IssueKey, KeyError, MAX_ISSUE_NUMBER, MAX_PROJECT_KEY_LEN, ProjectKey, is_project,
    lenient_number,
};
use crate::refs::unique_by;
use crate::scan::Scanner;

/// The longest custom regex or prefix accepted, in characters (GitLab's limit).
pub const MAX_PATTERN_LEN: usize = 255;

/// The matching settings of a repository as a person entered them; [`Matcher::new`] checks
/// them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchSettings {
    /// Replaces the default key pattern.
    pub key_regex: Option<String>,
    /// Must come right before a key for it to count (`JIRA#` for `JIRA#PROJ-1`).
    pub key_prefix: Option<String>,
    /// Only keys of these projects count; empty means every project.
    pub project_keys: Vec<String>,
}

/// Finds issue keys in text according to one set of [`MatchSettings`]. Build it once per
/// settings change; it is cheap to clone and can be shared between threads.
#[derive(Debug, Clone)]
pub struct Matcher {
    find: Find,
    /// Sorted, without duplicates; empty means every project.
    projects: Vec<ProjectKey>,
    closing: Regex,
}

/// A key found in a text, borrowing from it: finding keys allocates nothing until
/// [`KeyRef::key`] builds the owned key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRef<'t> {
    written: &'t str,
    span: Range<usize>,
    dash: usize,
    number: u64,
}

/// One key found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMatch {
    pub key: IssueKey,
    /// Where the key itself is, in bytes (a prefix before it is not included).
    pub span: Range<usize>,
}

/// A settings field, named as the API and the settings pages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    KeyRegex,
    KeyPrefix,
    ProjectKeys,
}

/// Why settings were refused; [`SettingsError::field`] says which field to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("{field}: at most {max} characters are allowed, this one has {len}")]
    TooLong { field: Field, len: usize, max: usize },
    #[error("{field}: not a valid regular expression: {message}")]
    BadRegex { field: Field, message: String },
    #[error("project_keys: {0}")]
    BadProjectKey(KeyError),
}

/// Every key of a text, in order, as [`Matcher::find_iter`] returns them.
#[derive(Debug)]
pub struct Keys<'m, 't> {
    matcher: &'m Matcher,
    text: &'t str,
    hits: Hits<'m, 't>,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::KeyRegex => "key_regex",
            Field::KeyPrefix => "key_prefix",
            Field::ProjectKeys => "project_keys",
        }
    }
}

impl SettingsError {
    pub fn field(&self) -> Field {
        match self {
            SettingsError::TooLong { field, .. } | SettingsError::BadRegex { field, .. } => *field,
            SettingsError::BadProjectKey(_) => Field::ProjectKeys,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Default for Matcher {
    /// The default pattern, every project.
    fn default() -> Matcher {
        Matcher { find: Find::Scan, projects: Vec::new(), closing: closing_regex() }
    }
}

impl Matcher {
    /// Checks the settings and builds the matcher; the error names the field to fix.
    pub fn new(settings: &MatchSettings) -> Result<Matcher, SettingsError> {
        let regex = settings.key_regex.as_deref().filter(|r| !r.trim().is_empty());
        let prefix = settings.key_prefix.as_deref().filter(|p| !p.is_empty());
        let mut projects = Vec::new();
        for entry in settings.project_keys.iter().filter(|e| !e.trim().is_empty()) {
            projects
                .push(ProjectKey::parse_user_input(entry).map_err(SettingsError::BadProjectKey)?);
        }
        projects.sort();
        projects.dedup();
        let find = if regex.is_none() && prefix.is_none() {
            Find::Scan
        } else {
            // Each part on its own first, so the error names the field that is wrong.
            if let Some(p) = prefix {
                check_len(Field::KeyPrefix, p)?;
                compile(Field::KeyPrefix, &combined(Some(p), DEFAULT_KEY))?;
            }
            if let Some(r) = regex {
                check_len(Field::KeyRegex, r)?;
                compile(Field::KeyRegex, &combined(None, r))?;
            }
            let field = if regex.is_some() { Field::KeyRegex } else { Field::KeyPrefix };
            let regex_full = compile(field, &combined(prefix, regex.unwrap_or(DEFAULT_KEY)))?;
            // Named, not numbered: the prefix may hold groups of its own.
            let group = |name| regex_full.capture_names().position(|n| n == Some(name));
            let (whole, issue) = (group("tether_match").unwrap_or(1), group("issue").unwrap_or(2));
            Find::Regex { regex: regex_full, whole, issue, default_key: regex.is_none() }
        };
        Ok(Matcher { find, projects, closing: closing_regex() })
    }

    /// Every key in `text`, in order, repeats included, without allocating.
    pub fn find_iter<'m, 't>(&'m self, text: &'t str) -> Keys<'m, 't> {
        Keys { matcher: self, text, hits: self.hits(text) }
    }

    /// The distinct keys in `text` in order of first appearance, each with the span of its
    /// first appearance.
    pub fn keys(&self, text: &str) -> Vec<KeyMatch> {
        let all = self.find_iter(text).map(|k| KeyMatch { key: k.key(), span: k.span });
        unique_by(all, |m| &m.key)
    }

    /// Every place the pattern matches, before the key is checked.
    pub(crate) fn hits<'m, 't>(&'m self, text: &'t str) -> Hits<'m, 't> {
        match &self.find {
            Find::Scan => Hits::Scan(Scanner::new(text)),
            Find::Regex { regex, whole, issue, default_key } => Hits::Regex {
                regex,
                whole: *whole,
                issue: *issue,
                locations: regex.capture_locations(),
                text,
                min_start: 0,
                default_key: *default_key,
            },
        }
    }

    /// The key at `hit`, if it is a valid key of an allowed project.
    pub(crate) fn accept<'t>(&self, text: &'t str, hit: &Hit) -> Option<KeyRef<'t>> {
        let written = &text[hit.key.clone()];
        let (dash, number) = match hit.checked {
            Some((dash, number)) => (dash - hit.key.start, number),
            None => {
                let dash = written.find('-').filter(|&d| is_project(&written[..d]))?;
                (dash, lenient_number(&written[dash + 1..])?)
            }
        };
        if dash > MAX_PROJECT_KEY_LEN || number == 0 || number > MAX_ISSUE_NUMBER {
            return None;
        }
        let project = &written[..dash];
        let allowed = self.projects.is_empty()
            || self.projects.binary_search_by(|p| p.as_str().cmp(project)).is_ok();
        allowed.then(|| KeyRef { written, span: hit.key.clone(), dash, number })
    }

    /// Finds a closing word with what follows it up to the first key (`Closes: `).
    pub(crate) fn closing(&self) -> &Regex {
        &self.closing
    }
}

impl<'t> Iterator for Keys<'_, 't> {
    type Item = KeyRef<'t>;

    fn next(&mut self) -> Option<KeyRef<'t>> {
        let (matcher, text) = (self.matcher, self.text);
        self.hits.find_map(|hit| matcher.accept(text, &hit))
    }
}

impl<'t> KeyRef<'t> {
    /// The key as the text writes it (`JRA-090`).
    pub fn as_written(&self) -> &'t str {
        self.written
    }

    /// Where the key is, in bytes (a prefix before it is not included).
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// The project key part (`JRA`).
    pub fn project(&self) -> &'t str {
        &self.written[..self.dash]
    }

    /// The issue number (`90` for `JRA-090`).
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The key itself (`JRA-90` for `JRA-090`).
    pub fn key(&self) -> IssueKey {
        IssueKey::from_checked(self.written, self.dash, self.number)
    }
}

/// Where a pattern matched: the whole match starts at `start` (a prefix included) and the
/// key part is `key`.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub start: usize,
    pub key: Range<usize>,
    /// The position of the `-` and the number's value, when the scanner has already checked
    /// the project key's shape and read the digits.
    checked: Option<(usize, u64)>,
}

#[derive(Debug)]
pub(crate) enum Hits<'m, 't> {
    Scan(Scanner<'t>),
    /// Searched by hand, as the character before each match is part of the regex's match
    /// (see [`combined`]); `min_start` is the end of the last match.
    Regex {
        regex: &'m Regex,
        whole: usize,
        issue: usize,
        locations: regex::CaptureLocations,
        text: &'t str,
        min_start: usize,
        default_key: bool,
    },
}

impl Iterator for Hits<'_, '_> {
    type Item = Hit;

    fn next(&mut self) -> Option<Hit> {
        match self {
            Hits::Scan(scanner) => scanner.next().map(|s| Hit {
                start: s.start,
                key: s.start..s.end,
                checked: Some((s.dash, s.number)),
            }),
            Hits::Regex { regex, whole, issue, locations, text, min_start, default_key } => loop {
                if *min_start > text.len() {
                    return None;
                }
                // From one character back: the character before a match is matched (it must
                // not be a word character) and may be the last one of the previous match.
                let mut at = prev_char(text, *min_start);
                let (start, end) = loop {
                    regex.captures_read_at(locations, text, at)?;
                    let (start, end) = locations.get(*whole)?;
                    if start >= *min_start {
                        break (start, end);
                    }
                    // Only `\A` at 0 can start before: that would overlap the last match.
                    at = next_char(text, at);
                    if at > text.len() {
                        return None;
                    }
                };
                *min_start = if end > start { end } else { next_char(text, end) };
                let Some(key) = locations.get(*issue).map(|(s, e)| s..e) else { continue };
                if *default_key && is_cve(text.as_bytes(), &key) {
                    continue;
                }
                return Some(Hit { start, key, checked: None });
            },
        }
    }
}

#[derive(Debug, Clone)]
enum Find {
    /// The default pattern and no prefix: the hand-written scanner.
    Scan,
    /// A prefix or a custom regex, combined as GitLab does: the match in group `whole`, the
    /// key in group `issue`.
    /// `default_key`: the key part is the default pattern, so CVE ids are skipped as the
    /// scanner skips them.
    Regex { regex: Regex, whole: usize, issue: usize, default_key: bool },
}

/// The default key pattern as a regex, for when a prefix rules out the scanner.
const DEFAULT_KEY: &str = "[A-Z][A-Z_0-9]+-[0-9]+";

/// A bound on a compiled pattern's size: 255 characters can still ask for huge repetitions.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// GitLab's `<prefix>(?<issue><regex>)`, each part grouped so it cannot leak into the other,
/// after the start of the text or a character that is not an ASCII word character. The
/// regex crate has no look-behind, so that character is matched, outside group
/// `tether_match` (the match proper). Searching with a look-behind by hand (match, then
/// check the byte before) would restart after each refused match and take quadratic time on
/// a long word; this stays linear.
fn combined(prefix: Option<&str>, key: &str) -> String {
    let prefix = prefix.map(|p| format!("(?:{p})")).unwrap_or_default();
    format!("(?:\\A|[^0-9A-Za-z_])(?P<tether_match>{prefix}(?P<issue>(?:{key})))")
}

/// The position of the character before `pos` (0 at the start).
fn prev_char(text: &str, pos: usize) -> usize {
    text[..pos].chars().next_back().map_or(0, |c| pos - c.len_utf8())
}

/// The position after the character at `pos` (or `pos + 1` at the end, to stop a search).
fn next_char(text: &str, pos: usize) -> usize {
    text[pos..].chars().next().map_or(pos + 1, |c| pos + c.len_utf8())
}

fn check_len(field: Field, s: &str) -> Result<(), SettingsError> {
    let len = s.chars().count();
    if len > MAX_PATTERN_LEN {
        return Err(SettingsError::TooLong { field, len, max: MAX_PATTERN_LEN });
    }
    Ok(())
}

fn compile(field: Field, pattern: &str) -> Result<Regex, SettingsError> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| SettingsError::BadRegex { field, message: e.to_string() })
}

/// GitLab's default closing words (first letter either case), an optional `:`, and the
/// spaces before the first key. Tabs count as spaces here; GitLab takes only spaces.
/// Compiled once per process and shared (a clone shares the compiled program): a matcher is
/// built for every dev event processed, and compiling this took about 2% of the server's
/// CPU under `cargo xtask bench intake`.
fn closing_regex() -> Regex {
    const CLOSING: &str = r"(?-u:\b)(?:[Cc]los(?:e[sd]?|ing)|[Ff]ix(?:e[sd]|ing)?|[Rr]esolv(?:e[sd]?|ing)|[Ii]mplement(?:s|ed|ing)?):?[ \t]+";
    static COMPILED: LazyLock<Regex> = LazyLock::new(|| {
        // A constant pattern, compiled by every test: it cannot fail at run time.
        Regex::new(CLOSING).expect("the closing-word pattern compiles")
    });
    COMPILED.clone()
}

/// Whether the key at `key` is the first part of a CVE id (`CVE-2024` of `CVE-2024-1234`).
fn is_cve(b: &[u8], key: &Range<usize>) -> bool {
    b[key.clone()].starts_with(b"CVE-")
        && b.get(key.end) == Some(&b'-')
        && b.get(key.end + 1).is_some_and(u8::is_ascii_digit)
}
