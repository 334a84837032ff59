//! Jira issue keys (`PROJ-123`) and project keys (`PROJ`), parsed once and then carried as
//! types, so a string that is not a key never gets past the edge.
//!
//! # What counts as a key, and why
//! - **Project key**: an upper-case letter `A`–`Z`, then upper-case letters, digits or `_`;
//!   two to 255 characters. Jira's default project key pattern is `([A-Z][A-Z]+)`; Data
//!   Center administrators may widen it, but Atlassian supports only patterns whose keys start
//!   with a letter and use upper-case letters, digits and `_` ("Changing the project key
//!   format"), and the maximum key size is configurable between 2 and 255. Cloud's REST API
//!   describes a key as "an uppercase letter followed by one or more uppercase alphanumeric
//!   characters", at most 10. GitLab's Jira integration matches `[A-Z][A-Z_0-9]+` too.
//!   So one-letter keys (`A-1`), which the `is_issue_key` helpers in tether-flags and
//!   tether-server still accept, are refused here: no default or Cloud Jira can hold them.
//! - **Issue number**: `1` or more, at most `i64::MAX` (Jira stores it as a Java `long`).
//!   Jira numbers issues from 1 and never writes `PROJ-007`, so the strict form has no
//!   leading zeros. Written text is read more kindly: `JRA-090` (Atlassian's own Smart Commit
//!   example) can only mean issue 90, so the matcher and [`IssueKey::parse_user_input`] read
//!   it as `JRA-90`; `PROJ-0` and `PROJ-000` name no issue at all.
//! - Keys are case-sensitive: [`IssueKey::parse`] refuses `proj-1`. What a person types goes
//!   through [`IssueKey::parse_user_input`], which trims and upper-cases first.
//!
//! A key's text form is the key itself, so it serialises as that string (and refuses invalid
//! strings when deserialised); this is its value, not a wire format of ours.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// The longest project key any Jira allows (Data Center's "Maximum project key size" upper
/// bound).
pub const MAX_PROJECT_KEY_LEN: usize = 255;

/// The largest issue number Jira can store (a Java `long`).
pub const MAX_ISSUE_NUMBER: u64 = i64::MAX as u64;

/// A Jira project key such as `PROJ` or `R2_D2`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProjectKey(Box<str>);

/// A Jira issue key such as `PROJ-123`: a [`ProjectKey`], `-`, and an issue number.
///
/// Ordered by project key, then by number (`PROJ-9` < `PROJ-10`). Hashes and compares equal
/// to its text, so a `HashSet<IssueKey>` can be queried with a `&str`.
#[derive(Clone)]
pub struct IssueKey {
    text: Box<str>,
    number: u64,
    /// Length of the project key, i.e. the position of the `-` (at most 255).
    dash: u8,
}

/// Why a string is not an issue key or project key. Each message names the input (cut short
/// when long) and what a valid one looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("`{0}` is not an issue key: expected a project key, `-` and a number, like `PROJ-123`")]
    Shape(String),
    #[error(
        "`{0}` is not a Jira project key: it must start with an upper-case letter A-Z and go on \
         with upper-case letters, digits or `_`, two characters or more"
    )]
    Project(String),
    #[error("`{0}`: a Jira project key is at most 255 characters long")]
    ProjectTooLong(String),
    #[error(
        "`{0}`: the issue number must be a whole number from 1 to 9223372036854775807, without \
         leading zeros"
    )]
    Number(String),
}

impl ProjectKey {
    /// Parses a project key exactly as Jira writes it (`PROJ`), refusing anything else.
    pub fn parse(s: &str) -> Result<ProjectKey, KeyError> {
        check_project(s)?;
        Ok(ProjectKey(s.into()))
    }

    /// Parses what a person typed: surrounding whitespace removed and ASCII letters
    /// upper-cased first (` proj ` → `PROJ`).
    pub fn parse_user_input(s: &str) -> Result<ProjectKey, KeyError> {
        ProjectKey::parse(&s.trim().to_ascii_uppercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl IssueKey {
    /// Parses an issue key exactly as Jira writes it (`PROJ-123`), refusing anything else:
    /// no whitespace, no lower case, no leading zeros.
    pub fn parse(s: &str) -> Result<IssueKey, KeyError> {
        let Some((project, number)) = s.split_once('-') else {
            return Err(KeyError::Shape(shown(s)));
        };
        if project.is_empty() || number.is_empty() {
            return Err(KeyError::Shape(shown(s)));
        }
        check_project(project).map_err(|e| match e {
            KeyError::ProjectTooLong(_) => KeyError::ProjectTooLong(shown(s)),
            _ => KeyError::Project(shown(s)),
        })?;
        let number = parse_number(number).ok_or_else(|| KeyError::Number(shown(s)))?;
        Ok(IssueKey { text: s.into(), number, dash: project.len() as u8 })
    }

    /// Parses what a person typed: surrounding whitespace removed, ASCII letters
    /// upper-cased and leading zeros of the number dropped (`shop-01 ` → `SHOP-1`).
    pub fn parse_user_input(s: &str) -> Result<IssueKey, KeyError> {
        let s = s.trim().to_ascii_uppercase();
        match s.split_once('-') {
            Some((project, number)) if number.len() > 1 && number.starts_with('0') => {
                let number = number.trim_start_matches('0');
                let number = if number.is_empty() { "0" } else { number };
                IssueKey::parse(&format!("{project}-{number}"))
            }
            _ => IssueKey::parse(&s),
        }
    }

    /// The key of issue `number` in `project`.
    pub fn new(project: &ProjectKey, number: u64) -> Result<IssueKey, KeyError> {
        if number == 0 || number > MAX_ISSUE_NUMBER {
            return Err(KeyError::Number(format!("{}-{number}", project.as_str())));
        }
        let text = format!("{}-{number}", project.as_str());
        Ok(IssueKey { text: text.into(), number, dash: project.as_str().len() as u8 })
    }

    /// The key written as `written` (`JRA-090`), its `-` at `dash`, already checked: a valid
    /// project key and `number` read from the digits, leading zeros allowed (`JRA-90`).
    pub(crate) fn from_checked(written: &str, dash: usize, number: u64) -> IssueKey {
        let text = if written.as_bytes().get(dash + 1) == Some(&b'0') {
            format!("{}-{number}", &written[..dash]).into()
        } else {
            written.into()
        };
        // A checked project key is at most 255 bytes long.
        IssueKey { text, number, dash: dash as u8 }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The project key part (`PROJ` of `PROJ-123`).
    pub fn project(&self) -> &str {
        &self.text[..usize::from(self.dash)]
    }

    /// The project key part as a [`ProjectKey`].
    pub fn project_key(&self) -> ProjectKey {
        ProjectKey(self.project().into())
    }

    /// The issue number (`123` of `PROJ-123`), at least 1.
    pub fn number(&self) -> u64 {
        self.number
    }
}

/// Whether `s` is a project key; the error says which rule it breaks.
fn check_project(s: &str) -> Result<(), KeyError> {
    if s.len() > MAX_PROJECT_KEY_LEN {
        return Err(KeyError::ProjectTooLong(shown(s)));
    }
    if is_project(s) { Ok(()) } else { Err(KeyError::Project(shown(s))) }
}

/// Whether `s` is a project key, without building an error.
pub(crate) fn is_project(s: &str) -> bool {
    let b = s.as_bytes();
    (2..=MAX_PROJECT_KEY_LEN).contains(&b.len())
        && b[0].is_ascii_uppercase()
        && b[1..].iter().all(|&c| is_project_byte(c))
}

/// The bytes a project key may hold after its first letter.
fn is_project_byte(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'
}

/// An issue number as running text may write it: ASCII digits, leading zeros allowed.
pub(crate) fn lenient_number(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    parse_number(s.trim_start_matches('0'))
}

/// An issue number: ASCII digits, no leading zero, 1..=`MAX_ISSUE_NUMBER`.
fn parse_number(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() || b[0] == b'0' || b.len() > 19 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // 19 digits fit in a u64 (max 1.8e19), so this cannot overflow.
    let n = b.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    (n <= MAX_ISSUE_NUMBER).then_some(n)
}

/// The input as an error message shows it: cut after 40 characters, as a pasted megabyte
/// helps nobody.
fn shown(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

impl PartialEq for IssueKey {
    fn eq(&self, other: &IssueKey) -> bool {
        self.text == other.text
    }
}

impl Eq for IssueKey {}

impl Hash for IssueKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Must hash exactly as `str` does, for `Borrow<str>`.
        self.as_str().hash(state);
    }
}

impl Ord for IssueKey {
    fn cmp(&self, other: &IssueKey) -> Ordering {
        self.project().cmp(other.project()).then(self.number.cmp(&other.number))
    }
}

impl PartialOrd for IssueKey {
    fn partial_cmp(&self, other: &IssueKey) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Borrow<str> for IssueKey {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for ProjectKey {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for IssueKey {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for ProjectKey {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for IssueKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ProjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for IssueKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IssueKey({:?})", self.as_str())
    }
}

impl fmt::Debug for ProjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProjectKey({:?})", self.as_str())
    }
}

impl FromStr for IssueKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<IssueKey, KeyError> {
        IssueKey::parse(s)
    }
}

impl FromStr for ProjectKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<ProjectKey, KeyError> {
        ProjectKey::parse(s)
    }
}

impl serde::Serialize for IssueKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl serde::Serialize for ProjectKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for IssueKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<IssueKey, D::Error> {
        d.deserialize_str(ParseVisitor(IssueKey::parse, "a Jira issue key such as `PROJ-123`"))
    }
}

impl<'de> serde::Deserialize<'de> for ProjectKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ProjectKey, D::Error> {
        d.deserialize_str(ParseVisitor(ProjectKey::parse, "a Jira project key such as `PROJ`"))
    }
}

/// Deserialises a string through a strict parser, so no invalid key is ever built.
struct ParseVisitor<T>(fn(&str) -> Result<T, KeyError>, &'static str);

impl<T> serde::de::Visitor<'_> for ParseVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.1)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        (self.0)(v).map_err(E::custom)
    }
}
