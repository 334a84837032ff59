//! Clause operators compiled once (regexes, versions, dates parsed) and applied to one value.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use regex::{Regex, RegexBuilder};
use semver::Version;
use serde_json::Value;

use crate::intern::Interner;
use crate::model::Op;
use crate::validate::Problem;

/// Compiled regexes may use this much memory; bigger ones are refused as invalid.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Compiled operators by their operator and operands (`Op`'s debug form, which spells out
/// every operand): identical clauses of different flags share one.
static MATCHERS: LazyLock<Interner<Matcher>> = LazyLock::new(Interner::default);

/// Lists of strings longer than this are hashed rather than scanned.
const SMALL_SET: usize = 8;

/// An operator ready to apply. Every variant matches one non-null, non-array JSON value.
#[derive(Debug)]
pub(crate) enum Matcher {
    In(Scalars),
    StartsWith(String),
    EndsWith(String),
    Contains(String),
    Matches(Regex),
    Semver(Ordering, Version),
    Number(NumCmp, f64),
    Before(f64),
    After(f64),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum NumCmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

/// The operands of `equals` / `in`, split by type so a lookup does no conversion.
#[derive(Debug, Default)]
pub(crate) struct Scalars {
    strings: Strings,
    numbers: Vec<f64>,
    booleans: [bool; 2],
}

#[derive(Debug)]
enum Strings {
    Few(Vec<String>),
    Many(HashSet<String>),
}

impl Default for Strings {
    fn default() -> Self {
        Strings::Few(Vec::new())
    }
}

impl Matcher {
    /// [`Matcher::compile`], answering the copy every compiled clause with this operator and
    /// these operands shares (one compiled regex and pool of search caches, operands read
    /// from one place).
    pub(crate) fn shared(op: &Op) -> Result<Arc<Matcher>, Problem> {
        MATCHERS.get_or_try(&format!("{op:?}"), || Matcher::compile(op))
    }

    pub(crate) fn compile(op: &Op) -> Result<Matcher, Problem> {
        Ok(match op {
            Op::Equals(v) => Matcher::In(Scalars::new(std::slice::from_ref(v))?),
            Op::In(vs) => Matcher::In(Scalars::new(vs)?),
            Op::StartsWith(s) => Matcher::StartsWith(s.clone()),
            Op::EndsWith(s) => Matcher::EndsWith(s.clone()),
            Op::Contains(s) => Matcher::Contains(s.clone()),
            Op::Matches(re) => Matcher::Matches(
                RegexBuilder::new(re)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map_err(|e| Problem::InvalidRegex(e.to_string()))?,
            ),
            Op::SemverEqual(v) => Matcher::Semver(Ordering::Equal, semver_operand(v)?),
            Op::SemverLess(v) => Matcher::Semver(Ordering::Less, semver_operand(v)?),
            Op::SemverGreater(v) => Matcher::Semver(Ordering::Greater, semver_operand(v)?),
            Op::NumberEqual(n) => Matcher::Number(NumCmp::Eq, finite(*n)?),
            Op::NumberLess(n) => Matcher::Number(NumCmp::Lt, finite(*n)?),
            Op::NumberLessOrEqual(n) => Matcher::Number(NumCmp::Le, finite(*n)?),
            Op::NumberGreater(n) => Matcher::Number(NumCmp::Gt, finite(*n)?),
            Op::NumberGreaterOrEqual(n) => Matcher::Number(NumCmp::Ge, finite(*n)?),
            Op::Before(v) => Matcher::Before(date_operand(v)?),
            Op::After(v) => Matcher::After(date_operand(v)?),
        })
    }

    pub(crate) fn matches(&self, value: &Value) -> bool {
        match self {
            Matcher::In(set) => set.contains(value),
            Matcher::StartsWith(p) => value.as_str().is_some_and(|s| s.starts_with(p.as_str())),
            Matcher::EndsWith(p) => value.as_str().is_some_and(|s| s.ends_with(p.as_str())),
            Matcher::Contains(p) => value.as_str().is_some_and(|s| s.contains(p.as_str())),
            Matcher::Matches(re) => value.as_str().is_some_and(|s| re.is_match(s)),
            Matcher::Semver(want, operand) => {
                value.as_str().and_then(|s| cmp_semver(s, operand)).is_some_and(|o| o == *want)
            }
            Matcher::Number(cmp, operand) => value.as_f64().is_some_and(|n| match cmp {
                NumCmp::Eq => n == *operand,
                NumCmp::Lt => n < *operand,
                NumCmp::Le => n <= *operand,
                NumCmp::Gt => n > *operand,
                NumCmp::Ge => n >= *operand,
            }),
            Matcher::Before(t) => parse_date(value).is_some_and(|v| v < *t),
            Matcher::After(t) => parse_date(value).is_some_and(|v| v > *t),
        }
    }
}

impl Scalars {
    fn new(values: &[Value]) -> Result<Scalars, Problem> {
        let mut strings = Vec::new();
        let mut out = Scalars::default();
        for v in values {
            match v {
                Value::String(s) => strings.push(s.clone()),
                Value::Number(n) => out.numbers.push(n.as_f64().ok_or(Problem::NotScalar)?),
                Value::Bool(b) => out.booleans[usize::from(*b)] = true,
                _ => return Err(Problem::NotScalar),
            }
        }
        out.strings = if strings.len() > SMALL_SET {
            Strings::Many(strings.into_iter().collect())
        } else {
            Strings::Few(strings)
        };
        Ok(out)
    }

    fn contains(&self, value: &Value) -> bool {
        match value {
            Value::String(s) => match &self.strings {
                Strings::Few(v) => v.iter().any(|x| x == s),
                Strings::Many(set) => set.contains(s.as_str()),
            },
            Value::Number(n) => n.as_f64().is_some_and(|n| self.numbers.contains(&n)),
            Value::Bool(b) => self.booleans[usize::from(*b)],
            _ => false,
        }
    }
}

fn finite(n: f64) -> Result<f64, Problem> {
    if n.is_finite() { Ok(n) } else { Err(Problem::NotFinite) }
}

fn semver_operand(s: &str) -> Result<Version, Problem> {
    parse_semver(s).ok_or_else(|| Problem::InvalidSemver(s.to_owned()))
}

fn date_operand(v: &Value) -> Result<f64, Problem> {
    parse_date(v).ok_or_else(|| Problem::InvalidDate(v.to_string()))
}

/// Parses a semantic version, reading a missing minor or patch as 0 (`1.2` is `1.2.0`).
pub(crate) fn parse_semver(s: &str) -> Option<Version> {
    if let Ok(v) = Version::parse(s) {
        return Some(v);
    }
    let core_end = s.find(['-', '+']).unwrap_or(s.len());
    let (core, rest) = s.split_at(core_end);
    let padding = match core.bytes().filter(|&b| b == b'.').count() {
        0 => ".0.0",
        1 => ".0",
        _ => return None,
    };
    Version::parse(&format!("{core}{padding}{rest}")).ok()
}

/// How the version `s` (read as [`parse_semver`] reads it) compares with `operand` by
/// precedence; `None` when `s` is not a version. A plain `1`, `1.2` or `1.2.3` (the usual
/// app version) is compared by its numbers without building a [`Version`]: parsing one per
/// clause was most of a version clause's cost.
pub(crate) fn cmp_semver(s: &str, operand: &Version) -> Option<Ordering> {
    match plain_version(s) {
        Some(core) => Some(match core.cmp(&[operand.major, operand.minor, operand.patch]) {
            // A release outranks any pre-release of the same numbers; build metadata does
            // not count.
            Ordering::Equal if !operand.pre.is_empty() => Ordering::Greater,
            other => other,
        }),
        None => parse_semver(s).map(|v| v.cmp_precedence(operand)),
    }
}

/// The numbers of a version written as one to three numeric identifiers (digits, no
/// leading zero, within `u64`) and nothing else, missing ones as 0; `None` for anything
/// else, which [`parse_semver`] then decides.
fn plain_version(s: &str) -> Option<[u64; 3]> {
    let mut core = [0u64; 3];
    let mut parts = s.split('.');
    for slot in &mut core {
        let Some(part) = parts.next() else { break };
        let b = part.as_bytes();
        if b.is_empty() || (b.len() > 1 && b[0] == b'0') || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        *slot = part.parse().ok()?;
    }
    parts.next().is_none().then_some(core)
}

/// Milliseconds since the Unix epoch of an RFC 3339 string or a JSON number (taken as epoch
/// milliseconds); `None` for anything else.
pub(crate) fn parse_date(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64().filter(|f| f.is_finite()),
        Value::String(s) => parse_rfc3339(s),
        _ => None,
    }
}

/// `YYYY-MM-DD(T|t| )hh:mm:ss(.fraction)?(Z|z|±hh:mm)`, with range checks (leap seconds, `:60`,
/// are accepted and count as the next second). Fractions beyond nanoseconds are ignored.
pub(crate) fn parse_rfc3339(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    let separators_ok = b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't' | b' ')
        && b[13] == b':'
        && b[16] == b':';
    if !separators_ok
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut nanos: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 9 {
                nanos = nanos * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return None;
        }
        for _ in n..9 {
            nanos *= 10;
        }
    }
    let offset_seconds = match b.get(i..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(&[*h1, *h2], 0, 2)?;
            let m = digits(&[*m1, *m2], 0, 2)?;
            if h > 23 || m > 59 {
                return None;
            }
            let off = h * 3600 + m * 60;
            if *sign == b'-' { -off } else { off }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    Some(seconds as f64 * 1000.0 + nanos as f64 / 1_000_000.0)
}

/// `n` ASCII digits of `b` from `at`, as a number.
fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let slice = b.get(at..at + n)?;
    slice
        .iter()
        .try_fold(0i64, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0')))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests;
