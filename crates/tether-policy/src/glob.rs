//! The glob matcher behind action patterns and resource specifiers: `*`, `?`, anchored.

use std::fmt;

use crate::error::{ParseError, ParseErrorKind};

/// A validated glob pattern, matched against a whole string (anchored at both ends).
///
/// `*` matches any run of characters (including none), `?` matches exactly one character,
/// every other character matches itself, case-sensitively. There is no escaping: the
/// characters a glob could not express are exactly the ones reserved by the resource
/// grammar (see [`Glob::new`]), and keys cannot contain those anyway.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Glob {
    text: String,
}

impl Glob {
    /// Parses a glob. Fails on an empty pattern and on characters that the resource grammar
    /// reserves: `:` `;` `,` `/` `$`, whitespace and control characters.
    pub fn new(pattern: &str) -> Result<Glob, ParseError> {
        check_chars(pattern, 0, CharRule::Glob)?;
        Ok(Glob { text: pattern.to_owned() })
    }

    /// The glob `*`, which matches every string.
    pub fn any() -> Glob {
        Glob { text: "*".to_owned() }
    }

    /// True when `text` as a whole matches the pattern.
    pub fn matches(&self, text: &str) -> bool {
        glob_match(&self.text, text)
    }

    /// True when the pattern matches every string, that is when it is made of `*` only.
    /// Used where a statement must cover "all environments" rather than some.
    pub fn matches_everything(&self) -> bool {
        self.text.chars().all(|c| c == '*')
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// For patterns the crate writes itself (built-in roles, action names), which are valid
    /// by construction; avoids a fallible path where none can fail.
    pub(crate) fn trusted(text: &str) -> Glob {
        Glob { text: text.to_owned() }
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Which characters a piece of resource text may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CharRule {
    /// A glob: wildcards allowed.
    Glob,
    /// A literal key or a tag: no wildcards either.
    Literal,
}

/// Checks `text` (found at byte `offset` of the input) against `rule`; errors point at the
/// offending character.
pub(crate) fn check_chars(text: &str, offset: usize, rule: CharRule) -> Result<(), ParseError> {
    if text.is_empty() {
        return Err(ParseError::new(offset, ParseErrorKind::EmptyKey));
    }
    for (i, c) in text.char_indices() {
        let reserved =
            matches!(c, ':' | ';' | ',' | '/' | '$') || c.is_whitespace() || c.is_control();
        let wildcard = matches!(c, '*' | '?');
        if reserved || (wildcard && rule == CharRule::Literal) {
            return Err(ParseError::new(offset + i, ParseErrorKind::InvalidChar(c)));
        }
    }
    Ok(())
}

/// Iterative matcher with single-star backtracking: when a literal fails, retry from the
/// last `*` one character further. Linear in space and O(pattern × text) in time at worst,
/// so hostile patterns such as `*a*a*a*b` cannot blow up.
fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0usize, 0usize);
    // (index of the last `*` in the pattern, text index it is currently made to end at)
    let mut backtrack: Option<(usize, usize)> = None;
    while let Some(&tc) = text.get(t) {
        match pattern.get(p) {
            Some('*') => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(&pc) if pc == '?' || pc == tc => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((star, end)) => {
                    p = star + 1;
                    t = end + 1;
                    backtrack = Some((star, end + 1));
                }
                None => return false,
            },
        }
    }
    pattern.get(p..).is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}
