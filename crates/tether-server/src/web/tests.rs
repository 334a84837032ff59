//! Unit tests of the UI's small helpers.

use serde_json::json;
use tether_flags::{Clause, Op};

use super::format::{absolute_time, clause_text, iso_time, parse_percent, percent, relative_time};
use super::human_duration;

#[test]
fn durations_read_like_a_person_writes_them() {
    let check = |secs: u64, expect: &str| assert_eq!(human_duration(secs), expect, "{secs}");
    check(0, "0s");
    check(12, "12s");
    check(60, "1m");
    check(302, "5m 2s");
    check(3_600 * 5 + 59, "5h");
    check(86_400 * 3 + 3_600 * 4 + 17, "3d 4h");
}

#[test]
fn percentages_are_read_exactly_into_weights() {
    let check = |input: &str, expect: Result<u32, &str>| {
        assert_eq!(parse_percent(input), expect.map_err(str::to_owned), "{input:?}");
    };
    check("25", Ok(25_000));
    check("33.333", Ok(33_333));
    check("66.667", Ok(66_667));
    check("0.001", Ok(1));
    check(".5", Ok(500));
    check("12.", Ok(12_000));
    check(" 40 % ", Ok(40_000));
    check("100", Ok(100_000));
    check("100.000", Ok(100_000));
    check("007", Ok(7_000));
    check("", Ok(0));
    check("0", Ok(0));
    check("100.001", Err("must be between 0 and 100"));
    check("1000", Err("must be between 0 and 100"));
    check("99999999999999999999", Err("must be between 0 and 100"));
    check("-5", Err("must be between 0 and 100"));
    check("33.3333", Err("use at most 3 decimal places (steps of 0.001%)"));
    check("abc", Err("\"abc\" is not a percentage: use a number like 25 or 33.333"));
    check("1e2", Err("\"1e2\" is not a percentage: use a number like 25 or 33.333"));
    check(".", Err("\".\" is not a percentage: use a number like 25 or 33.333"));
    check("1.2.3", Err("\"1.2.3\" is not a percentage: use a number like 25 or 33.333"));
    check("-", Err("\"-\" is not a percentage: use a number like 25 or 33.333"));
    check("+5", Err("\"+5\" is not a percentage: use a number like 25 or 33.333"));
}

#[test]
fn weights_print_as_short_percentages() {
    let check = |weight: u32, expect: &str| assert_eq!(percent(weight), expect, "{weight}");
    check(0, "0");
    check(1, "0.001");
    check(500, "0.5");
    check(25_000, "25");
    check(33_333, "33.333");
    check(33_330, "33.33");
    check(100_000, "100");
    for w in [0, 1, 999, 12_345, 99_999, 100_000] {
        assert_eq!(parse_percent(&percent(w)), Ok(w), "round trip of {w}");
    }
}

#[test]
fn times_print_in_utc_and_relative_to_now() {
    assert_eq!(absolute_time(0), "1970-01-01 00:00:00 UTC");
    assert_eq!(absolute_time(951_782_400_000), "2000-02-29 00:00:00 UTC");
    assert_eq!(absolute_time(1_795_308_192_000), "2026-11-22 00:43:12 UTC");
    assert_eq!(iso_time(1_795_308_192_123), "2026-11-22T00:43:12Z");
    assert_eq!(absolute_time(-1), "1969-12-31 23:59:59 UTC");
    let now = 1_795_308_192_000;
    let check = |ago_secs: i64, expect: &str| {
        assert_eq!(relative_time(now - ago_secs * 1000, now), expect, "{ago_secs}")
    };
    check(-30, "just now"); // a clock a little ahead
    check(0, "just now");
    check(9, "just now");
    check(10, "10 seconds ago");
    check(60, "1 minute ago");
    check(119, "1 minute ago");
    check(7_200, "2 hours ago");
    check(86_400 * 3, "3 days ago");
}

#[test]
fn clauses_read_as_words_with_negation() {
    let check = |clause: Clause, expect: (&str, &str, &[&str])| {
        let t = clause_text(&clause);
        let values: Vec<&str> = t.values.iter().map(String::as_str).collect();
        assert_eq!((t.attribute.as_str(), t.op.as_str(), values.as_slice()), expect, "{clause:?}");
    };
    check(Clause::attribute("plan", Op::Equals(json!("pro"))), ("plan", "is", &["\"pro\""]));
    check(
        Clause::attribute("country", Op::In(vec![json!("FR"), json!(3)])).negated(),
        ("country", "is not one of", &["\"FR\"", "3"]),
    );
    check(
        Clause::attribute("email", Op::EndsWith("@a.test".into())),
        ("email", "ends with", &["\"@a.test\""]),
    );
    check(
        Clause::attribute("name", Op::Matches("^b".into())).negated(),
        ("name", "does not match the pattern", &["\"^b\""]),
    );
    check(
        Clause::attribute("app.version", Op::SemverGreater("2.0.0".into())),
        ("app.version", "is a version after", &["2.0.0"]),
    );
    check(
        Clause::attribute("age", Op::NumberGreaterOrEqual(18.0)),
        ("age", "is at least", &["18"]),
    );
    check(Clause::attribute("score", Op::NumberLess(0.5)), ("score", "is less than", &["0.5"]));
    check(
        Clause::attribute("signup", Op::Before(json!("2024-01-01T00:00:00Z"))),
        ("signup", "is before", &["\"2024-01-01T00:00:00Z\""]),
    );
    check(Clause::in_segment(["beta", "staff"]), ("context", "is in segment", &["beta", "staff"]));
    check(Clause::in_segment(["beta"]).negated(), ("context", "is not in segment", &["beta"]));
}

#[test]
fn open_redirect_at_sign_in() {
    // Reported: `next=/\t/evil.example` was followed (browsers drop the tab, leaving
    // `//evil.example`), and a newline in `next` was a 500.
    use super::signin::safe_next;
    let cases = [
        ("/flags/shop/checkout?env=production", "/flags/shop/checkout?env=production"),
        ("/", "/"),
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("/flags\r\nSet-Cookie: x=y", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/ /evil.example", "/"),
        ("https://evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
        ("/\u{2028}/evil.example", "/"),
    ];
    for (next, want) in cases {
        assert_eq!(safe_next(next), want, "{next:?}");
    }
}
