//! The function catalogue: argument checks with Jira's messages, and date functions evaluated
//! against a handed-in clock.

use tether_jql::dates::{Clock, WeekStart};
use tether_jql::functions::{
    FunctionCatalogue, FunctionError, Increment, Unit, evaluate_date_function, parse_increment,
};

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|a| (*a).to_owned()).collect()
}

#[test]
fn argument_checks() {
    let catalogue = FunctionCatalogue::jira();
    let check = |name: &str, given: &[&str]| {
        catalogue.check(name, &args(given)).map(|_| ()).map_err(|e| e.to_string())
    };
    for (name, given, expect) in [
        ("currentUser", &[][..], Ok(())),
        ("CURRENTUSER", &[], Ok(())),
        (
            "currentUser",
            &["x"],
            Err("Function 'currentUser' expected '0' arguments but received '1'."),
        ),
        ("now", &["invalid"], Err("Function 'now' expected '0' arguments but received '1'.")),
        ("membersOf", &[], Err("Function 'membersOf' expected '1' arguments but received '0'.")),
        ("membersOf", &["jira-users"], Ok(())),
        (
            "linkedIssues",
            &["ABC-1", "blocks", "x"],
            Err("Function 'linkedIssues' expected between '1' and '2' arguments but received '3'."),
        ),
        ("updatedBy", &["jsmith", "-8d"], Ok(())),
        (
            "approver",
            &[],
            Err(
                "Function 'approver' expected between '1' and '2147483647' arguments but received '0'.",
            ),
        ),
        ("releasedVersions", &["A", "B", "C"], Ok(())),
        ("startOfDay", &["-1"], Ok(())),
        ("startOfDay", &["+3d"], Ok(())),
        ("startOfMonth", &["-1M"], Ok(())),
        (
            "startOfDay",
            &["invalid"],
            Err(
                "Duration for function 'startOfDay' should have the format (+/-)n(yMwdm), e.g -1M for 1 month earlier.",
            ),
        ),
        (
            "endOfWeek",
            &["1Y"],
            Err(
                "Duration for function 'endOfWeek' should have the format (+/-)n(yMwdm), e.g -1M for 1 month earlier.",
            ),
        ),
        (
            "endOfWeek",
            &["1", "2"],
            Err("Function 'endOfWeek' expected between '0' and '1' arguments but received '2'."),
        ),
        ("bogus", &[], Err("Unable to find JQL function 'bogus()'.")),
        ("bogus", &["a", "b"], Err("Unable to find JQL function 'bogus(a, b)'.")),
    ] {
        assert_eq!(check(name, given), expect.map_err(str::to_owned), "{name}({given:?})");
    }
    assert!(matches!(catalogue.check("nope", &[]), Err(FunctionError::Unknown(_))));
}

#[test]
fn increments() {
    let inc = |amount, unit| Some(Increment { amount, unit });
    for (text, expect) in [
        ("-1", inc(-1, None)),
        ("+15d", inc(15, Some(Unit::Days))),
        ("1M", inc(1, Some(Unit::Months))),
        ("2m", inc(2, Some(Unit::Minutes))),
        ("3y", inc(3, Some(Unit::Years))),
        ("4h", inc(4, Some(Unit::Hours))),
        ("5w", inc(5, Some(Unit::Weeks))),
        ("99999999999", inc(0, None)),
        ("1Y", None),
        ("-", None),
        ("1.5d", None),
        ("d", None),
        ("", None),
    ] {
        assert_eq!(parse_increment(text), expect, "{text:?}");
    }
}

/// 2024-02-29T13:45:30.123Z, a Thursday in a leap year.
const NOW: i64 = 1_709_214_330_123;

/// `yyyy-MM-ddTHH:mm:ss.SSS` in UTC, as epoch milliseconds.
fn at(text: &str) -> i64 {
    let n: Vec<i64> =
        text.split(|c: char| !c.is_ascii_digit()).map(|p| p.parse().expect("digits")).collect();
    let month = time::Month::try_from(n[1] as u8).expect("month");
    let date = time::Date::from_calendar_date(n[0] as i32, month, n[2] as u8).expect("date");
    let days = i64::from(
        date.to_julian_day()
            - time::Date::from_calendar_date(1970, time::Month::January, 1)
                .expect("epoch")
                .to_julian_day(),
    );
    ((days * 24 + n[3]) * 60 + n[4]) * 60_000 + n[5] * 1000 + n[6]
}

#[test]
fn date_functions_at_a_fixed_moment() {
    let catalogue = FunctionCatalogue::jira();
    let sunday = Clock { now_ms: NOW, utc_offset_seconds: 0, week_start: WeekStart::Sunday };
    let monday = Clock { week_start: WeekStart::Monday, ..sunday };
    let eval = |clock: &Clock, name: &str, given: &[&str]| {
        let def = catalogue.get(name).unwrap_or_else(|| panic!("{name} exists"));
        evaluate_date_function(def, &args(given), clock)
    };
    for (name, given, expect) in [
        ("now", &[][..], NOW),
        ("startOfDay", &[], at("2024-02-29T00:00:00.000")),
        ("startOfDay", &["-1"], at("2024-02-28T00:00:00.000")),
        ("startOfDay", &["+1"], at("2024-03-01T00:00:00.000")),
        ("startOfDay", &["-3d"], at("2024-02-26T00:00:00.000")),
        ("startOfDay", &["-1h"], at("2024-02-28T23:00:00.000")),
        ("startOfDay", &["90m"], at("2024-02-29T01:30:00.000")),
        ("startOfDay", &["1M"], at("2024-03-29T00:00:00.000")),
        ("endOfDay", &[], at("2024-02-29T23:59:59.999")),
        ("endOfDay", &["+1"], at("2024-03-01T23:59:59.999")),
        ("startOfWeek", &[], at("2024-02-25T00:00:00.000")),
        ("startOfWeek", &["-1"], at("2024-02-18T00:00:00.000")),
        ("endOfWeek", &[], at("2024-03-02T23:59:59.999")),
        ("startOfMonth", &[], at("2024-02-01T00:00:00.000")),
        ("startOfMonth", &["-1"], at("2024-01-01T00:00:00.000")),
        ("startOfMonth", &["14d"], at("2024-02-15T00:00:00.000")),
        ("endOfMonth", &[], at("2024-02-29T23:59:59.999")),
        ("endOfMonth", &["1"], at("2024-03-31T23:59:59.999")),
        ("endOfMonth", &["-1"], at("2024-01-31T23:59:59.999")),
        ("endOfMonth", &["+15d"], at("2024-03-15T23:59:59.999")),
        ("startOfYear", &[], at("2024-01-01T00:00:00.000")),
        ("startOfYear", &["-1"], at("2023-01-01T00:00:00.000")),
        ("startOfYear", &["+2M"], at("2024-03-01T00:00:00.000")),
        ("endOfYear", &[], at("2024-12-31T23:59:59.999")),
        ("endOfYear", &["+3M"], at("2025-03-31T23:59:59.999")),
    ] {
        assert_eq!(eval(&sunday, name, given), Some(expect), "{name}({given:?})");
    }
    assert_eq!(eval(&monday, "startOfWeek", &[]), Some(at("2024-02-26T00:00:00.000")));
    assert_eq!(eval(&monday, "endOfWeek", &[]), Some(at("2024-03-03T23:59:59.999")));
    let tokyo = Clock { utc_offset_seconds: 9 * 3600, ..sunday };
    assert_eq!(eval(&tokyo, "startOfDay", &[]), Some(at("2024-02-28T15:00:00.000")));
    assert_eq!(eval(&sunday, "currentUser", &[]), None);
    assert_eq!(eval(&sunday, "startOfDay", &["x"]), None);
    let far = Clock { now_ms: 253_402_300_799_000, ..sunday };
    assert_eq!(eval(&far, "endOfYear", &["1"]), None);
}
