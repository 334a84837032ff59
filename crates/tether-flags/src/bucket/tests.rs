//! Unit tests for the number-to-text rule and slice lookup behind bucketing.

use proptest::prelude::*;
use serde_json::json;

use sha1::{Digest, Sha1};

use super::{BUCKETS, MAX_HASH, integer_text, scale, sha1_head, slice_of};

/// The formula as the module docs state it, with a 128-bit division.
fn scale_by_division(h: u64) -> u64 {
    (u128::from(h) * u128::from(BUCKETS) / u128::from(MAX_HASH)) as u64
}

#[test]
fn scaling_without_division_is_exact_at_the_edges() {
    let edges = [0, 1, MAX_HASH / 2, MAX_HASH - 1, MAX_HASH];
    // Around every boundary between buckets: the last h of bucket b and the first of b + 1.
    let boundaries = (1..u64::from(BUCKETS)).step_by(997).flat_map(|b| {
        let first = (u128::from(b) * u128::from(MAX_HASH)).div_ceil(u128::from(BUCKETS)) as u64;
        [first - 1, first, first + 1]
    });
    for h in edges.into_iter().chain(boundaries) {
        assert_eq!(scale(h), scale_by_division(h), "h = {h:#x}");
    }
    assert_eq!(scale(MAX_HASH), u64::from(BUCKETS));
}

proptest! {
    #[test]
    fn scaling_without_division_equals_the_division(h in 0..=MAX_HASH) {
        prop_assert_eq!(scale(h), scale_by_division(h));
    }
}

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

proptest! {
    /// The stack-padded hash of one to four blocks, and the hasher's beyond, equal the first 8
    /// bytes of the hasher's digest of the same bytes, split anywhere.
    #[test]
    fn the_digest_head_is_sha1s(
        message in proptest::collection::vec(any::<u8>(), 0..300),
        cut in any::<prop::sample::Index>(),
    ) {
        let d = Sha1::digest(&message);
        let expected = u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
        let (a, b) = message.split_at(cut.index(message.len() + 1));
        prop_assert_eq!(sha1_head(&[a, b"", b]), expected);
    }
}

#[test]
fn the_digest_head_is_sha1s_at_every_padding_edge() {
    // 55 bytes still fit one block with the padding, 56 need two; and so on at each block.
    for len in [0, 1, 55, 56, 63, 64, 65, 119, 120, 183, 184, 246, 247, 248, 255, 256] {
        let message: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        let d = Sha1::digest(&message);
        let expected = u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
        assert_eq!(sha1_head(&[&message]), expected, "{len} bytes");
    }
}
