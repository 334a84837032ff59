//! Unit tests for the number-to-text rule and slice lookup behind bucketing.

use serde_json::json;

use super::{integer_text, slice_of};

#[test]
fn integer_text_of_numbers() {
    #[track_caller]
    fn check(n: serde_json::Value, expected: Option<&str>) {
        let mut buf = [0u8; 20];
        let serde_json::Value::Number(n) = n else { panic!("not a number: {n}") };
        assert_eq!(integer_text(&n, &mut buf), expected, "{n}");
    }
    check(json!(0), Some("0"));
    check(json!(42), Some("42"));
    check(json!(-7), Some("-7"));
    check(json!(u64::MAX), Some("18446744073709551615"));
    check(json!(i64::MIN), Some("-9223372036854775808"));
    check(json!(42.0), Some("42"));
    check(json!(-0.0), Some("0"));
    check(json!(-3.0), Some("-3"));
    check(json!(9007199254740992.0), Some("9007199254740992"));
    check(json!(9007199254740994.0), None);
    check(json!(1.5), None);
    check(json!(1e300), None);
}

#[test]
fn slices_by_cumulative_ends() {
    #[track_caller]
    fn check(bucket: u32, ends: &[u32], expected: Option<usize>) {
        assert_eq!(slice_of(bucket, ends), expected, "{bucket} in {ends:?}");
    }
    check(0, &[100_000], Some(0));
    check(99_999, &[100_000], Some(0));
    check(0, &[0, 100_000], Some(1));
    check(24_999, &[25_000, 100_000], Some(0));
    check(25_000, &[25_000, 100_000], Some(1));
    check(50_000, &[25_000, 25_000, 100_000], Some(2));
    check(100_000, &[100_000], None);
}
