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
//!   letter, digit or `_`. GitLab puts a `\b` in front instead, which is the same when the
//!   prefix (or regex) starts with a letter, as its documented `JIRA#` does, but with a
//!   prefix such as `#` or `\[` would only match right after a word character. Both are regular expressions (GitLab: "input
//!   into a regex"), so a literal `[` in a prefix is written `\[`. Each is at most 255
//!   characters and must compile (Rust's `regex` syntax, close to the RE2 syntax GitLab
//!   uses); matching takes linear time whatever the pattern. What the custom regex matches
//!   must still be a valid issue key, and CVE ids are skipped only with the default pattern.
//!   An empty prefix or a blank regex means none.
//! - **Project allow-list** (`project_keys`): when not empty, keys of other projects are not
//!   keys. Entries are read as a person types them (`shop` → `SHOP`).

use std::fmt;
use std::ops::Range;

use regex::{Regex, RegexBuilder};

use crate::key::{IssueKey, KeyError, ProjectKey};
use crate::refs::unique_by;
use crate::scan::{Scanner, is_word_byte};

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
            let issue = regex_full.capture_names().position(|n| n == Some("issue")).unwrap_or(1);
            Find::Regex { regex: regex_full, issue, default_key: regex.is_none() }
        };
        Ok(Matcher { find, projects, closing: closing_regex() })
    }

    /// Every key in `text`, in order, repeats included.
    pub fn find_iter<'m, 't>(&'m self, text: &'t str) -> Keys<'m, 't> {
        Keys { matcher: self, text, hits: self.hits(text) }
    }

    /// The distinct keys in `text` in order of first appearance, each with the span of its
    /// first appearance.
    pub fn keys(&self, text: &str) -> Vec<KeyMatch> {
        unique_by(self.find_iter(text), |m| &m.key)
    }

    /// Every place the pattern matches, before the key is checked.
    pub(crate) fn hits<'m, 't>(&'m self, text: &'t str) -> Hits<'m, 't> {
        match &self.find {
            Find::Scan => Hits::Scan(Scanner::new(text)),
            Find::Regex { regex, issue, default_key } => Hits::Regex {
                regex,
                issue: *issue,
                locations: regex.capture_locations(),
                text,
                at: 0,
                default_key: *default_key,
            },
        }
    }

    /// The key at `hit`, if it is a valid key of an allowed project.
    pub(crate) fn accept(&self, text: &str, hit: &Hit) -> Option<IssueKey> {
        let key = match hit.checked_dash {
            Some(dash) => IssueKey::from_checked(&text[hit.key.clone()], dash - hit.key.start)?,
            None => IssueKey::from_match(&text[hit.key.clone()])?,
        };
        let allowed = self.projects.is_empty()
            || self.projects.binary_search_by(|p| p.as_str().cmp(key.project())).is_ok();
        allowed.then_some(key)
    }

    /// Finds a closing word with what follows it up to the first key (`Closes: `).
    pub(crate) fn closing(&self) -> &Regex {
        &self.closing
    }
}

impl Iterator for Keys<'_, '_> {
    type Item = KeyMatch;

    fn next(&mut self) -> Option<KeyMatch> {
        let (matcher, text) = (self.matcher, self.text);
        self.hits.find_map(|hit| {
            let key = matcher.accept(text, &hit)?;
            Some(KeyMatch { key, span: hit.key })
        })
    }
}

/// Where a pattern matched: the whole match starts at `start` (a prefix included) and the
/// key part is `key`.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub start: usize,
    pub key: Range<usize>,
    /// The position of the `-` when the scanner has already checked the project key.
    checked_dash: Option<usize>,
}

#[derive(Debug)]
pub(crate) enum Hits<'m, 't> {
    Scan(Scanner<'t>),
    /// Searched by hand from `at`, since the regex crate has no look-behind for "not after a
    /// word character".
    Regex {
        regex: &'m Regex,
        issue: usize,
        locations: regex::CaptureLocations,
        text: &'t str,
        at: usize,
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
                checked_dash: Some(s.dash),
            }),
            Hits::Regex { regex, issue, locations, text, at, default_key } => loop {
                if *at > text.len() {
                    return None;
                }
                let (start, end) = {
                    let m = regex.captures_read_at(locations, text, *at)?;
                    (m.start(), m.end())
                };
                if start > 0 && is_word_byte(text.as_bytes()[start - 1]) {
                    // Not a match here; one may still start inside this one.
                    *at = next_char(text, start);
                    continue;
                }
                *at = if end > start { end } else { next_char(text, end) };
                let Some(key) = locations.get(*issue).map(|(s, e)| s..e) else { continue };
                if *default_key && is_cve(text.as_bytes(), &key) {
                    continue;
                }
                return Some(Hit { start, key, checked_dash: None });
            },
        }
    }
}

#[derive(Debug, Clone)]
enum Find {
    /// The default pattern and no prefix: the hand-written scanner.
    Scan,
    /// A prefix or a custom regex, combined as GitLab does, the key in group `issue`.
    /// `default_key`: the key part is the default pattern, so CVE ids are skipped as the
    /// scanner skips them.
    Regex { regex: Regex, issue: usize, default_key: bool },
}

/// The default key pattern as a regex, for when a prefix rules out the scanner.
const DEFAULT_KEY: &str = "[A-Z][A-Z_0-9]+-[0-9]+";

/// A bound on a compiled pattern's size: 255 characters can still ask for huge repetitions.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// GitLab's `<prefix>(?<issue><regex>)`, each part grouped so it cannot leak into the other.
fn combined(prefix: Option<&str>, key: &str) -> String {
    match prefix {
        Some(p) => format!("(?:{p})(?P<issue>(?:{key}))"),
        None => format!("(?P<issue>(?:{key}))"),
    }
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
fn closing_regex() -> Regex {
    const CLOSING: &str = r"(?-u:\b)(?:[Cc]los(?:e[sd]?|ing)|[Ff]ix(?:e[sd]|ing)?|[Rr]esolv(?:e[sd]?|ing)|[Ii]mplement(?:s|ed|ing)?):?[ \t]+";
    // A constant pattern, compiled by every test: it cannot fail at run time.
    Regex::new(CLOSING).expect("the closing-word pattern compiles")
}

/// Whether the key at `key` is the first part of a CVE id (`CVE-2024` of `CVE-2024-1234`).
fn is_cve(b: &[u8], key: &Range<usize>) -> bool {
    b[key.clone()].starts_with(b"CVE-")
        && b.get(key.end) == Some(&b'-')
        && b.get(key.end + 1).is_some_and(u8::is_ascii_digit)
}
