//! Date values as Jira reads them, and their resolution against a handed-in clock.

use tether_jql::OperandKind;
use tether_jql::dates::{Clock, JqlDate, Precision, WeekStart, date_of, parse_date, parse_period};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

fn relative(offset_ms: i64, precision: Precision) -> Option<JqlDate> {
    Some(JqlDate::Relative { offset_ms, precision })
}

fn local(year: i32, month: u8, day: u8, time: Option<(u8, u8)>) -> Option<JqlDate> {
    Some(JqlDate::Local { year, month, day, time })
}

#[test]
fn dates_jira_accepts_and_refuses() {
    use Precision::*;
    for (text, expect) in [
        ("-4w 2d", relative(-30 * DAY, Days)),
        ("4w 2d", relative(30 * DAY, Days)),
        ("1d", relative(DAY, Days)),
        ("-1w", relative(-7 * DAY, Days)),
        ("-5h 30m", relative(-(5 * HOUR + 30 * MINUTE), Minutes)),
        ("-2h", relative(-2 * HOUR, Hours)),
        ("4W 2D", relative(30 * DAY, Days)),
        ("-4w, 2d", relative(-30 * DAY, Days)),
        ("1.5h", relative(90 * MINUTE, Hours)),
        (".5d", relative(12 * HOUR, Days)),
        ("3days", relative(3 * DAY, Days)),
        ("2hours", relative(2 * HOUR, Hours)),
        ("30", relative(30 * MINUTE, Minutes)),
        ("+5", relative(5 * MINUTE, Minutes)),
        ("-", relative(0, Minutes)),
        ("2024/01/31", local(2024, 1, 31, None)),
        ("2024-01-31", local(2024, 1, 31, None)),
        ("2024/01/31 10:15", local(2024, 1, 31, Some((10, 15)))),
        ("2024-01-31 23:59", local(2024, 1, 31, Some((23, 59)))),
        ("2024/1/5 9:05", local(2024, 1, 5, Some((9, 5)))),
        (" 2024/02/29 ", local(2024, 2, 29, None)),
        ("12024/02/29", None),
        ("4w2d", None),
        ("4w,2d", None),
        ("3 days", None),
        ("1.01h", None),
        ("+1d", None),
        ("5x", None),
        ("5hr", None),
        ("2023/02/29", None),
        ("2024/02/30", None),
        ("2024/13/01", None),
        ("2024/00/01", None),
        ("2024/01/31 24:00", None),
        ("2024/01/31 23:60", None),
        ("2024/01/31 10:15:00", None),
        ("2024-01-31T10:15", None),
        ("2024/01-31", None),
        ("20/12/10", None),
        ("24/01/31", None),
        ("", None),
        ("   ", None),
        ("yesterday", None),
    ] {
        assert_eq!(parse_date(text), expect, "{text:?}");
    }
}

#[test]
fn periods_in_seconds() {
    for (text, expect) in [
        ("-4w 2d", Some(-2_592_000)),
        ("1w", Some(604_800)),
        ("1m", Some(60)),
        ("90", Some(5_400)),
        ("-0", Some(0)),
        ("0.5m", None),
        ("100000000w", None),
    ] {
        assert_eq!(parse_period(text), expect, "{text:?}");
    }
}

#[test]
fn numbers_are_epoch_milliseconds_and_strings_are_read() {
    assert_eq!(
        date_of(&OperandKind::Number(1_706_695_200_000)),
        Some(JqlDate::EpochMillis(1_706_695_200_000))
    );
    assert_eq!(date_of(&OperandKind::String("-1d".into())), relative(-DAY, Precision::Days));
    assert_eq!(date_of(&OperandKind::Empty), None);
}

/// 2024-02-29T13:45:30.123Z, a Thursday.
const NOW: i64 = 1_709_214_330_123;

fn clock(utc_offset_seconds: i32) -> Clock {
    Clock { now_ms: NOW, utc_offset_seconds, week_start: WeekStart::Sunday }
}

#[test]
fn resolving_against_a_clock() {
    let utc = clock(0);
    let berlin = clock(3600);
    let ms = |text: &str, clock: &Clock| parse_date(text).and_then(|d| d.resolve(clock));
    assert_eq!(ms("-1d", &utc), Some(NOW - DAY));
    assert_eq!(ms("2024-01-31", &utc), Some(1_706_659_200_000));
    assert_eq!(ms("2024-01-31", &berlin), Some(1_706_659_200_000 - HOUR));
    assert_eq!(ms("2024/01/31 10:15", &utc), Some(1_706_659_200_000 + 10 * HOUR + 15 * MINUTE));
    assert_eq!(JqlDate::EpochMillis(5).resolve(&berlin), Some(5));
}

#[test]
fn the_span_an_equality_covers() {
    let utc = clock(0);
    let range = |text: &str| parse_date(text).and_then(|d| d.range(&utc));
    let day_start = 1_709_164_800_000; // 2024-02-29T00:00Z
    assert_eq!(range("2024/02/29"), Some((day_start, day_start + DAY - 1)));
    assert_eq!(
        range("2024/02/29 13:45"),
        Some((day_start + 13 * HOUR + 45 * MINUTE, day_start + 13 * HOUR + 46 * MINUTE - 1))
    );
    assert_eq!(range("-1d"), Some((day_start - DAY, day_start - 1)));
    assert_eq!(range("-2h"), Some((day_start + 11 * HOUR, day_start + 12 * HOUR - 1)));
    assert_eq!(
        range("-30m"),
        Some((day_start + 13 * HOUR + 15 * MINUTE, day_start + 13 * HOUR + 16 * MINUTE - 1))
    );
    assert_eq!(JqlDate::EpochMillis(NOW).range(&utc), Some((NOW, NOW)));
}

/// Found by the `jql` fuzz target: the precision scan sliced the text inside a character.
#[test]
fn period_with_a_multibyte_character_after_its_unit() {
    // x = 2hours.D\uDE00   (the unpaired surrogate escape reads as U+FFFD, three bytes)
    assert_eq!(parse_date("2hours.d\u{FFFD}"), relative(2 * HOUR, Precision::Hours));
    assert_eq!(parse_date("1d\u{e9}"), None);
}
