//! Unit tests for date and version parsing; expected epoch values come from Python's datetime.

use std::cmp::Ordering;

use proptest::prelude::*;

use super::{cmp_semver, parse_rfc3339, parse_semver};

#[test]
fn rfc3339_dates() {
    #[track_caller]
    fn check(input: &str, expected: Option<f64>) {
        assert_eq!(parse_rfc3339(input), expected, "{input:?}");
    }
    check("1970-01-01T00:00:00Z", Some(0.0));
    check("2024-02-29T12:34:56.789+02:00", Some(1_709_202_896_789.0));
    check("1969-12-31T23:59:59.5Z", Some(-500.0));
    check("2000-03-01T00:00:00-05:30", Some(951_888_600_000.0));
    check("0001-01-01T00:00:00Z", Some(-62_135_596_800_000.0));
    check("9999-12-31T23:59:59Z", Some(253_402_300_799_000.0));
    check("2024-02-29t12:34:56.789z", Some(1_709_210_096_789.0));
    check("2024-02-29 12:34:56.789Z", Some(1_709_210_096_789.0));
    check("2016-12-31T23:59:60Z", Some(1_483_228_800_000.0));
    check("2024-01-01T00:00:00.123456789123Z", Some(1_704_067_200_123.456_8));
    check("2023-02-29T00:00:00Z", None);
    check("2024-13-01T00:00:00Z", None);
    check("2024-01-01T24:00:00Z", None);
    check("2024-01-01T00:00:00", None);
    check("2024-01-01T00:00:00.Z", None);
    check("2024-01-01T00:00:00+2:00", None);
    check("2024-01-01T00:00:00+24:00", None);
    check("2024-01-01", None);
    check("2024-01-01T00:00:00Zjunk", None);
    check("２０２４-01-01T00:00:00Z", None);
    check("", None);
}

#[test]
fn lenient_semver() {
    #[track_caller]
    fn check(input: &str, expected: Option<&str>) {
        let got = parse_semver(input).map(|v| v.to_string());
        assert_eq!(got.as_deref(), expected, "{input:?}");
    }
    check("1.2.3", Some("1.2.3"));
    check("1.2", Some("1.2.0"));
    check("1", Some("1.0.0"));
    check("1.2-beta.1", Some("1.2.0-beta.1"));
    check("2+build.5", Some("2.0.0+build.5"));
    check("1.2.3.4", None);
    check("v1.2.3", None);
    check("01.2.3", None);
    check("", None);
    check("abc", None);
}

/// The comparison every version clause makes, by its numbers where it can.
#[test]
fn version_comparisons() {
    #[track_caller]
    fn check(value: &str, operand: &str, expected: Option<Ordering>) {
        let operand = parse_semver(operand).expect("operand");
        assert_eq!(cmp_semver(value, &operand), expected, "{value:?} against {operand}");
    }
    check("2.0.0", "2.0.0", Some(Ordering::Equal));
    check("2", "2.0.0", Some(Ordering::Equal));
    check("2.1", "2.0.0", Some(Ordering::Greater));
    check("1.99.99", "2.0.0", Some(Ordering::Less));
    check("10.0.0", "9.0.0", Some(Ordering::Greater));
    check("2.0.0", "2.0.0-rc.1", Some(Ordering::Greater));
    check("2.0.0-rc.1", "2.0.0", Some(Ordering::Less));
    check("2.0.0+build.7", "2.0.0", Some(Ordering::Equal));
    check("2.0.0", "2.0.0+build.7", Some(Ordering::Equal));
    check("18446744073709551615.0.0", "2.0.0", Some(Ordering::Greater));
    check("18446744073709551616.0.0", "2.0.0", None);
    check("02.0.0", "2.0.0", None);
    check("2.0.0.0", "2.0.0", None);
    check("2..0", "2.0.0", None);
    check("2.0.", "2.0.0", None);
    check(" 2.0.0", "2.0.0", None);
    check("", "2.0.0", None);
}

proptest! {
    /// Comparing by the numbers agrees with parsing the version and comparing precedence,
    /// on strings made of the characters versions are written with.
    #[test]
    fn version_comparison_by_numbers_agrees_with_parsing(
        value in "[0-9.]{0,12}|[0-9]{1,3}(\\.[0-9]{1,3}){0,3}([-+][0-9a-z.]{0,6})?",
        operand in "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(-[0-9a-z]{1,4}(\\.[0-9a-z]{1,4})?)?(\\+[0-9a-z]{1,4})?",
    ) {
        // Operands with a leading zero are not versions (compiling refuses them).
        let operand = parse_semver(&operand);
        prop_assume!(operand.is_some());
        let operand = operand.unwrap();
        let by_parsing = parse_semver(&value).map(|v| v.cmp_precedence(&operand));
        prop_assert_eq!(cmp_semver(&value, &operand), by_parsing);
    }
}
