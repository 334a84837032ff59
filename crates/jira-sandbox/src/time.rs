//! Epoch-millisecond timestamps: Jira's wire format, JQL date literals, RFC 3339 checks.
//!
//! Written by hand (Howard Hinnant's civil-date algorithms) to keep the dependency list short;
//! only fixed UTC offsets are supported.

use std::time::{SystemTime, UNIX_EPOCH};

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

const MS_PER_MINUTE: i64 = 60_000;
const MS_PER_DAY: i64 = 86_400_000;

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Jira's timestamp format, e.g. `2024-01-31T10:15:00.000+0000`, rendered in UTC.
pub fn format_jira(ms: i64) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let rem = ms.rem_euclid(MS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let (h, min, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}+0000")
}

/// Reads Jira's timestamp format (`2024-01-31T10:15:00.000+0100`), also with `Z`, a colon in
/// the offset, or no fraction.
pub fn parse_jira_timestamp(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[10] != b'T' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &s[19..];
    let mut millis = 0;
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        let digits = &r[..n];
        millis = format!("{digits:0<3}")[..3].parse().ok()?;
        rest = &r[n..];
    }
    let offset_min = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = rest[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 {
                return None;
            }
            sign * (digits[..2].parse::<i64>().ok()? * 60 + digits[2..].parse::<i64>().ok()?)
        }
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, mo as u32, d as u32);
    Some(
        days * MS_PER_DAY + ((h * 60 + mi) * 60 + sec) * 1000 + millis - offset_min * MS_PER_MINUTE,
    )
}

/// Reads a JQL date literal (`yyyy/MM/dd HH:mm`, `yyyy-MM-dd HH:mm`, `yyyy/MM/dd`,
/// `yyyy-MM-dd`) in a user's time zone, or a relative one (`-5d`, `2w`, `-90m`, `1h`)
/// against `now`. `None` when it is neither.
pub fn parse_jql_date(s: &str, utc_offset_minutes: i32, now: i64) -> Option<i64> {
    let s = s.trim();
    if let Some(ms) = parse_relative(s) {
        return Some(now + ms);
    }
    let (date, time) = match s.split_once(' ') {
        Some((d, t)) => (d, Some(t.trim())),
        None => (s, None),
    };
    let parts: Vec<&str> =
        if date.contains('/') { date.split('/').collect() } else { date.split('-').collect() };
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    let (y, m, d): (i64, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if y.to_string().len() != 4 || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let (h, min) = match time {
        None => (0, 0),
        Some(t) => {
            let (h, min) = t.split_once(':')?;
            let (h, min): (i64, i64) = (h.parse().ok()?, min.parse().ok()?);
            if !(0..24).contains(&h) || !(0..60).contains(&min) {
                return None;
            }
            (h, min)
        }
    };
    let local = days_from_civil(y, m, d) * MS_PER_DAY + (h * 60 + min) * MS_PER_MINUTE;
    Some(local - i64::from(utc_offset_minutes) * MS_PER_MINUTE)
}

fn parse_relative(s: &str) -> Option<i64> {
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let unit = rest.chars().last()?;
    let n: i64 = rest[..rest.len() - unit.len_utf8()].parse().ok()?;
    let per = match unit {
        'm' => MS_PER_MINUTE,
        'h' => 60 * MS_PER_MINUTE,
        'd' => MS_PER_DAY,
        'w' => 7 * MS_PER_DAY,
        _ => return None,
    };
    Some(sign * n * per)
}

/// Start of the day containing `ms` in a fixed offset.
pub fn start_of_day(ms: i64, utc_offset_minutes: i32) -> i64 {
    let off = i64::from(utc_offset_minutes) * MS_PER_MINUTE;
    (ms + off).div_euclid(MS_PER_DAY) * MS_PER_DAY - off
}

/// A loose RFC 3339 check (`2024-01-31T10:15:00Z`, fractions, numeric offsets), enough to
/// reject what Jira's Feature Flags API rejects.
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let shape = digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shape {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &r[n..];
    }
    match rest {
        "Z" | "z" => true,
        _ => {
            let r = rest.as_bytes();
            r.len() == 6
                && matches!(r[0], b'+' | b'-')
                && r[1..3].iter().all(u8::is_ascii_digit)
                && r[3] == b':'
                && r[4..6].iter().all(u8::is_ascii_digit)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        let cases: &[(&str, i32, i64)] = &[
            ("2024/01/31 10:15", 0, 1_706_696_100_000),
            ("2024-01-31 10:15", 60, 1_706_692_500_000),
            ("2024-01-31", 0, 1_706_659_200_000),
            ("1970/01/01", 0, 0),
        ];
        for &(input, offset, expected) in cases {
            assert_eq!(parse_jql_date(input, offset, 0), Some(expected), "{input}");
        }
        assert_eq!(format_jira(1_706_696_100_123), "2024-01-31T10:15:00.123+0000");
        assert_eq!(parse_jql_date("-1d", 0, MS_PER_DAY), Some(0));
        assert_eq!(parse_jql_date("2024/13/01", 0, 0), None);
        assert_eq!(parse_jql_date("tomorrow", 0, 0), None);
        assert!(is_rfc3339("2024-01-31T10:15:00.123+01:00"));
        let cases: &[(&str, Option<i64>)] = &[
            ("2024-01-31T10:15:00.123+0000", Some(1_706_696_100_123)),
            ("2024-01-31T11:15:00.123+0100", Some(1_706_696_100_123)),
            ("2024-01-31T05:15:00.1-05:00", Some(1_706_696_100_100)),
            ("2024-01-31T10:15:00Z", Some(1_706_696_100_000)),
            ("2024-01-31 10:15", None),
        ];
        for &(input, want) in cases {
            assert_eq!(parse_jira_timestamp(input), want, "{input}");
        }
        assert!(is_rfc3339("2024-01-31T10:15:00Z"));
        assert!(!is_rfc3339("2024-01-31 10:15"));
    }
}
