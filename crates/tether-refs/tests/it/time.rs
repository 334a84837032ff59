//! `#time` amounts: parsing, seconds under working-time settings, Jira's duration format.

use tether_refs::{Matcher, SmartAction, WorkingTime, extract};

/// `duration = seconds "comment"` for `SHOP-1 #time <args>` under `working`, or `none`.
fn time(args: &str, working: WorkingTime) -> String {
    let refs = extract(&format!("SHOP-1 #time {args}"), &Matcher::default());
    match refs.commands.first().map(|c| &c.action) {
        Some(SmartAction::Time { spent, comment }) => {
            format!("{} = {} {comment:?}", spent.jira_duration(), spent.seconds(working))
        }
        _ => "none".to_owned(),
    }
}

fn check(args: &str, expect: &str) {
    assert_eq!(time(args, WorkingTime::default()), expect, "#time {args}");
}

#[test]
fn amounts_and_comment() {
    check("1w 2d 4h 30m Total work logged", r#"1w 2d 4h 30m = 217800 "Total work logged""#);
    check("1w", r#"1w = 144000 """#);
    check("1d", r#"1d = 28800 """#);
    check("1h", r#"1h = 3600 """#);
    check("1m", r#"1m = 60 """#);
    check("30m 2h", r#"30m 2h = 9000 """#);
    check("4h30m", r#"4h 30m = 16200 """#);
    check("1h 1h", r#"1h 1h = 7200 """#);
    check("2H 15M", r#"2h 15m = 8100 """#);
    check("1h fixed 2h later", r#"1h = 3600 "fixed 2h later""#);
    check("  3h   spaced  out ", r#"3h = 10800 "spaced  out""#);
}

#[test]
fn decimal_amounts() {
    check("1.5h", r#"1.5h = 5400 """#);
    check("0.5d", r#"0.5d = 14400 """#);
    check("0.1m", r#"0.1m = 6 """#);
    check("0.01m", r#"0.01m = 1 """#);
    check("0.001m", r#"0.001m = 0 """#);
    check("2.50h", r#"2.50h = 9000 """#);
    check("999999w", r#"999999w = 143999856000 """#);
}

#[test]
fn not_amounts() {
    check("soon", "none");
    check("", "none");
    check("0h 0m", "none");
    check("1", "none");
    check("1x", "none");
    check("h", "none");
    check(".5h", "none");
    check("1.h", "none");
    check("1000000w", "none");
    check("1.12345h", "none");
    check("1h2", r#"none"#);
    check("-1h", "none");
}

#[test]
fn working_time_comes_from_the_site() {
    let short_days =
        WorkingTime { seconds_per_day: 7 * 3600 + 1800, seconds_per_week: 4 * (7 * 3600 + 1800) };
    assert_eq!(time("1w 1d", short_days), r#"1w 1d = 135000 """#);
    let huge = WorkingTime { seconds_per_day: u64::MAX, seconds_per_week: u64::MAX };
    assert_eq!(time("999999w 999999d", huge), format!("999999w 999999d = {} \"\"", u64::MAX));
}
