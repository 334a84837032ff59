//! Pure text helpers of the UI: times (relative and absolute, UTC), rollout
//! percentages to and from weights, and readable clauses.

use serde_json::Value;
use tether_flags::{Clause, Op, TOTAL_WEIGHT, Test};

/// `2026-11-22 10:03:12 UTC` for epoch milliseconds.
pub(crate) fn absolute_time(ms: i64) -> String {
    let (date, (h, m, s)) = civil(ms);
    format!("{date} {h:02}:{m:02}:{s:02} UTC")
}

/// `2026-11-22T10:03:12Z`, for `<time datetime>`.
pub(crate) fn iso_time(ms: i64) -> String {
    let (date, (h, m, s)) = civil(ms);
    format!("{date}T{h:02}:{m:02}:{s:02}Z")
}

/// `just now`, `5 minutes ago`, `1 day ago`: how long before `now` (both epoch ms).
pub(crate) fn relative_time(ms: i64, now: i64) -> String {
    let secs = (now - ms).max(0) / 1000;
    let units = [("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1)];
    if secs < 10 {
        return "just now".to_owned();
    }
    let (name, size) = units.into_iter().find(|&(_, size)| secs >= size).unwrap_or(("second", 1));
    let n = secs / size;
    format!("{n} {name}{} ago", if n == 1 { "" } else { "s" })
}

/// The date as `YYYY-MM-DD` and the time of day, in UTC.
fn civil(ms: i64) -> (String, (i64, i64, i64)) {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (format!("{year:04}-{month:02}-{day:02}"), (rem / 3_600, rem % 3_600 / 60, rem % 60))
}

/// A weight (1/100,000ths) as a percentage without trailing zeros: `33.333`, `25`, `0.5`.
pub(crate) fn percent(weight: u32) -> String {
    let whole = weight / 1_000;
    let frac = weight % 1_000;
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:03}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Reads a percentage as typed (`40`, `33.333`, ` 12.5 % `; empty is 0) into a weight
/// in 1/100,000ths, exactly: no floating point on the way.
pub(crate) fn parse_percent(input: &str) -> Result<u32, String> {
    let text = input.trim().trim_end_matches('%').trim_end();
    if text.is_empty() {
        return Ok(0);
    }
    let not_a_number =
        || format!("{:?} is not a percentage: use a number like 25 or 33.333", input.trim());
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
        if text.starts_with('-') && text.len() > 1 {
            return Err("must be between 0 and 100".to_owned());
        }
        return Err(not_a_number());
    }
    if frac.len() > 3 {
        return Err("use at most 3 decimal places (steps of 0.001%)".to_owned());
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        match whole.trim_start_matches('0') {
            "" => 0,
            w if w.len() > 3 => return Err("must be between 0 and 100".to_owned()),
            w => w.parse().map_err(|_| not_a_number())?,
        }
    };
    let frac: u64 = format!("{frac:0<3}").parse().map_err(|_| not_a_number())?;
    let weight = whole * 1_000 + frac;
    if weight > u64::from(TOTAL_WEIGHT) {
        return Err("must be between 0 and 100".to_owned());
    }
    Ok(weight as u32)
}

/// One clause, as its parts: the attribute (or "segment"), the operator in words
/// (negation included), and the operands, each shown as code.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ClauseText {
    pub attribute: String,
    pub op: String,
    pub values: Vec<String>,
    pub negated: bool,
}

pub(crate) fn clause_text(clause: &Clause) -> ClauseText {
    let n = clause.negate;
    let pick = |yes: &str, no: &str| if n { no.to_owned() } else { yes.to_owned() };
    let (attribute, op, values) = match &clause.test {
        Test::InSegment(segments) => (
            "context".to_owned(),
            pick("is in segment", "is not in segment"),
            segments.iter().map(|s| s.to_owned()).collect(),
        ),
        Test::Attribute { attribute, op } => {
            let (op, values) = match op {
                Op::Equals(v) => (pick("is", "is not"), vec![json_text(v)]),
                Op::In(vs) => {
                    (pick("is one of", "is not one of"), vs.iter().map(json_text).collect())
                }
                Op::StartsWith(s) => (pick("starts with", "does not start with"), vec![quoted(s)]),
                Op::EndsWith(s) => (pick("ends with", "does not end with"), vec![quoted(s)]),
                Op::Contains(s) => (pick("contains", "does not contain"), vec![quoted(s)]),
                Op::Matches(s) => {
                    (pick("matches the pattern", "does not match the pattern"), vec![quoted(s)])
                }
                Op::SemverEqual(s) => (pick("is version", "is not version"), vec![s.clone()]),
                Op::SemverLess(s) => {
                    (pick("is a version before", "is not a version before"), vec![s.clone()])
                }
                Op::SemverGreater(s) => {
                    (pick("is a version after", "is not a version after"), vec![s.clone()])
                }
                Op::NumberEqual(x) => (pick("equals", "does not equal"), vec![x.to_string()]),
                Op::NumberLess(x) => {
                    (pick("is less than", "is not less than"), vec![x.to_string()])
                }
                Op::NumberLessOrEqual(x) => {
                    (pick("is at most", "is not at most"), vec![x.to_string()])
                }
                Op::NumberGreater(x) => {
                    (pick("is greater than", "is not greater than"), vec![x.to_string()])
                }
                Op::NumberGreaterOrEqual(x) => {
                    (pick("is at least", "is not at least"), vec![x.to_string()])
                }
                Op::Before(v) => (pick("is before", "is not before"), vec![json_text(v)]),
                Op::After(v) => (pick("is after", "is not after"), vec![json_text(v)]),
            };
            (attribute.clone(), op, values)
        }
    };
    ClauseText { attribute, op, values, negated: n }
}

/// A JSON value as it reads in a clause: strings quoted, the rest as JSON.
pub(crate) fn json_text(v: &Value) -> String {
    v.to_string()
}

fn quoted(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}
