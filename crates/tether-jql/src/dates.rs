//! JQL date values, parsed as Jira parses them, kept free of any clock or time zone until
//! [`JqlDate::resolve`] is handed a [`Clock`].
//!
//! A date is written as (Jira's `JqlDateSupportImpl`, tried in this order):
//! - a period relative to now: `-4w 2d` (minus applies to the whole period), `1d`, `-5h 30m`,
//!   `2w`; units `w` (7 days), `d` (24 hours), `h`, `m` (minutes), or their names (`3 days`);
//!   parts separated by spaces or commas; a bare number counts minutes; decimals are allowed
//!   when they come to whole minutes (`1.5h`, not `1.01h`);
//! - `yyyy/MM/dd HH:mm`, `yyyy-MM-dd HH:mm`, `yyyy/MM/dd`, `yyyy-MM-dd` (one or two digits for
//!   month, day, hour and minute; real calendar dates only), read in the searcher's time zone;
//! - a number (not a string): milliseconds since the epoch.

use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::ast::OperandKind;

/// A date as written in a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JqlDate {
    /// A period from now, in milliseconds (negative is the past).
    Relative { offset_ms: i64, precision: Precision },
    /// A calendar day or minute in the searcher's time zone.
    Local { year: i32, month: u8, day: u8, time: Option<(u8, u8)> },
    /// Milliseconds since 1970-01-01T00:00Z.
    EpochMillis(i64),
}

/// How finely a date was written; Jira widens `=` on a date to this much.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Precision {
    Minutes,
    Hours,
    Days,
}

/// The moment a query is evaluated at, and how the searcher reads calendar dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// Now, in milliseconds since the epoch.
    pub now_ms: i64,
    /// The searcher's offset from UTC, in seconds (the caller resolves the zone's rules).
    pub utc_offset_seconds: i32,
    /// The first day of the week for `startOfWeek()` and `endOfWeek()`.
    pub week_start: WeekStart,
}

/// The first day of a week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WeekStart {
    Sunday,
    Monday,
}

/// The message Jira lists the accepted formats in.
pub const VALID_FORMATS: &str = "Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.";

/// Reads a string value as a date; `None` when Jira would not accept it.
pub fn parse_date(text: &str) -> Option<JqlDate> {
    let text = java_trim(text);
    if text.is_empty() {
        return None;
    }
    if let Some(seconds) = parse_period(text) {
        let offset_ms = seconds.checked_mul(1000)?;
        return Some(JqlDate::Relative { offset_ms, precision: period_precision(text) });
    }
    parse_calendar(text)
}

/// The date a value stands for: a string as [`parse_date`] reads it, a number as epoch
/// milliseconds; `None` for anything else.
pub fn date_of(operand: &OperandKind) -> Option<JqlDate> {
    match operand {
        OperandKind::String(text) => parse_date(text),
        OperandKind::Number(ms) => Some(JqlDate::EpochMillis(*ms)),
        _ => None,
    }
}

/// A relative period (`-4w 2d`) in seconds, as Atlassian's `DateUtils.getDurationWithNegative`.
pub fn parse_period(text: &str) -> Option<i64> {
    let text = java_trim(text);
    if text.is_empty() {
        return Some(0);
    }
    match text.strip_prefix('-') {
        Some(rest) => unsigned_period(rest).map(|s| -s),
        None => unsigned_period(text),
    }
}

fn unsigned_period(text: &str) -> Option<i64> {
    let text = java_trim(text).to_lowercase();
    if text.is_empty() {
        return Some(0);
    }
    if text.contains(' ') {
        let mut total: i64 = 0;
        for part in text.split([' ', ',']).filter(|p| !p.is_empty()) {
            total = total.checked_add(period_part(part)?)?;
        }
        return Some(total);
    }
    period_part(&text)
}

/// One part such as `4w`, `1.5h`, `3days` or `30` (minutes).
fn period_part(part: &str) -> Option<i64> {
    if let Some(minutes) = java_parse_long(part) {
        return minutes.checked_mul(60);
    }
    let number_len = decimal_prefix(part)?;
    let (number, unit) = part.split_at(number_len);
    if unit.is_empty() {
        return None;
    }
    let (unit_seconds, name) = match unit.as_bytes()[0] {
        b'm' => (60, "minute"),
        b'h' => (3_600, "hour"),
        b'd' => (86_400, "day"),
        b'w' => (604_800, "week"),
        _ => return None,
    };
    if unit.len() > 1 && !unit.contains(name) {
        return None;
    }
    let seconds = scaled(number, unit_seconds)?;
    // Whole minutes only, and within a Java int, as Atlassian's parser demands.
    (seconds % 60 == 0 && i32::try_from(seconds).is_ok()).then_some(seconds)
}

/// The length of a leading `\d+(\.\d+)?` or `\.\d+`.
fn decimal_prefix(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let int = digits(0);
    if int > 0 {
        if b.get(int) == Some(&b'.') {
            let frac = digits(int + 1);
            if frac > 0 {
                return Some(int + 1 + frac);
            }
        }
        return Some(int);
    }
    if b.first() == Some(&b'.') {
        let frac = digits(1);
        return (frac > 0).then_some(1 + frac);
    }
    None
}

/// `number × unit` exactly, or `None` when it is not a whole number of seconds.
fn scaled(number: &str, unit: i64) -> Option<i64> {
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let int: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut total = int.checked_mul(unit)?;
    if !frac.is_empty() {
        let digits = frac.trim_end_matches('0');
        if digits.len() > 12 {
            return None;
        }
        let scale = 10i64.pow(digits.len() as u32);
        let value: i64 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
        let part = value.checked_mul(unit)?;
        if part % scale != 0 {
            return None;
        }
        total = total.checked_add(part / scale)?;
    }
    Some(total)
}

/// Java's `Long.parseLong`: optional sign, digits, within `i64`.
fn java_parse_long(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The finest unit written in a period (Jira's `reverseParseAtlassianDuration`).
fn period_precision(text: &str) -> Precision {
    let lower = text.to_lowercase();
    let b = lower.as_bytes();
    let mut best: Option<Precision> = None;
    let mut i = 0;
    while i < b.len() {
        // `get`: `i` steps through bytes, and may land inside a multi-byte character.
        let Some(len) = lower.get(i..).and_then(decimal_prefix) else {
            i += 1;
            continue;
        };
        i += len;
        let current = match b.get(i) {
            None | Some(b'm') => return Precision::Minutes,
            Some(b'h') => Precision::Hours,
            Some(b'd' | b'w') => Precision::Days,
            Some(_) => return Precision::Minutes,
        };
        best = Some(best.map_or(current, |b| b.min(current)));
        i += 1;
    }
    best.unwrap_or(Precision::Minutes)
}

fn parse_calendar(text: &str) -> Option<JqlDate> {
    let (date, time) = match text.split_once(' ') {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let separator = if date.contains('/') { '/' } else { '-' };
    let mut parts = date.split(separator);
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !digits(year, 4, 9) || !digits(month, 1, 2) || !digits(day, 1, 2) {
        return None;
    }
    let time = match time {
        None => None,
        Some(time) => {
            let (hour, minute) = time.split_once(':')?;
            if !digits(hour, 1, 2) || !digits(minute, 1, 2) {
                return None;
            }
            let (hour, minute): (u8, u8) = (hour.parse().ok()?, minute.parse().ok()?);
            if hour > 23 || minute > 59 {
                return None;
            }
            Some((hour, minute))
        }
    };
    let year: i32 = year.parse().ok()?;
    let (month, day): (u8, u8) = (month.parse().ok()?, day.parse().ok()?);
    if !(1..=9999).contains(&year) {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    Some(JqlDate::Local { year, month, day, time })
}

fn digits(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// Java's `String.trim`: strips characters up to and including the space.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

impl JqlDate {
    /// The moment, in milliseconds since the epoch, for this clock and zone.
    pub fn resolve(&self, clock: &Clock) -> Option<i64> {
        match *self {
            JqlDate::Relative { offset_ms, .. } => clock.now_ms.checked_add(offset_ms),
            JqlDate::EpochMillis(ms) => Some(ms),
            JqlDate::Local { year, month, day, time } => {
                let date =
                    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
                let (h, m) = time.unwrap_or((0, 0));
                let local = PrimitiveDateTime::new(date, Time::from_hms(h, m, 0).ok()?);
                let offset = UtcOffset::from_whole_seconds(clock.utc_offset_seconds).ok()?;
                Some(millis(local.assume_offset(offset)))
            }
        }
    }

    /// The span `=` covers, as Jira widens it: the whole day for a date, the minute for a
    /// date and time, and for a period the finest unit written (`-1d` is a day, `-2h` an
    /// hour). Both ends are inclusive, in milliseconds.
    pub fn range(&self, clock: &Clock) -> Option<(i64, i64)> {
        let at = self.resolve(clock)?;
        let precision = match self {
            JqlDate::EpochMillis(_) => return Some((at, at)),
            JqlDate::Local { time: Some(_), .. } => Precision::Minutes,
            JqlDate::Local { time: None, .. } => Precision::Days,
            JqlDate::Relative { precision, .. } => *precision,
        };
        let offset = UtcOffset::from_whole_seconds(clock.utc_offset_seconds).ok()?;
        let local = at_offset(at, offset)?;
        let start = match precision {
            Precision::Minutes => local.replace_second(0).ok()?.replace_millisecond(0).ok()?,
            Precision::Hours => local.replace_time(Time::from_hms(local.hour(), 0, 0).ok()?),
            Precision::Days => local.replace_time(Time::MIDNIGHT),
        };
        let length = match precision {
            Precision::Minutes => Duration::MINUTE,
            Precision::Hours => Duration::HOUR,
            Precision::Days => Duration::DAY,
        };
        let start_ms = millis(start);
        Some((start_ms, start_ms.checked_add(length.whole_milliseconds() as i64 - 1)?))
    }
}

/// The calendar day (`YYYY-MM-DD`) a moment falls on at a UTC offset, and whether the moment
/// is that day's midnight: how a date-only field (`due`) compares with a moment.
pub fn calendar_day(ms: i64, utc_offset_seconds: i32) -> Option<(String, bool)> {
    let offset = UtcOffset::from_whole_seconds(utc_offset_seconds).ok()?;
    let at = at_offset(ms, offset)?;
    let midnight = at.time() == Time::MIDNIGHT;
    let (year, month, day) = (at.year(), u8::from(at.month()), at.day());
    Some((format!("{year:04}-{month:02}-{day:02}"), midnight))
}

pub(crate) fn at_offset(ms: i64, offset: UtcOffset) -> Option<OffsetDateTime> {
    let nanos = i128::from(ms) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?.checked_to_offset(offset)
}

pub(crate) fn millis(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}
