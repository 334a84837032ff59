//! The shared readings: refs, zero ids, timestamps.

use super::{branch_of, epoch_ms, is_zero_id};
use crate::IgnoreReason;

#[test]
#[rustfmt::skip] // one case a line
fn refs() {
    #[track_caller]
    fn check(full_ref: &str, expected: Result<&str, IgnoreReason>) {
        assert_eq!(branch_of(full_ref), expected, "{full_ref}");
    }
    check("refs/heads/main", Ok("main"));
    check("refs/heads/feature/PROJ-1", Ok("feature/PROJ-1"));
    check("refs/tags/v1.0.0", Err(IgnoreReason::Tag("v1.0.0".into())));
    check("refs/heads/", Err(IgnoreReason::NotABranch("refs/heads/".into())));
    check("refs/notes/commits", Err(IgnoreReason::NotABranch("refs/notes/commits".into())));
    check("main", Err(IgnoreReason::NotABranch("main".into())));
    check("", Err(IgnoreReason::NotABranch("".into())));
}

#[test]
#[rustfmt::skip] // one case a line
fn zero_ids() {
    assert!(is_zero_id("0000000000000000000000000000000000000000"));
    assert!(is_zero_id(&"0".repeat(64)));
    assert!(!is_zero_id(""));
    assert!(!is_zero_id("0000000000000000000000000000000000000001"));
}

#[test]
#[rustfmt::skip] // one case a line
fn timestamps() {
    #[track_caller]
    fn check(text: &str, expected: Option<i64>) {
        assert_eq!(epoch_ms(text), expected, "{text}");
    }
    check("1970-01-01T00:00:00Z", Some(0));
    check("2011-12-12T14:27:31+02:00", Some(1_323_692_851_000));
    check("2019-05-15T15:20:30-05:00", Some(1_557_951_630_000));
    check("2019-05-15T15:20:30.250Z", Some(1_557_933_630_250));
    check("2017-09-15 16:52:00 UTC", Some(1_505_494_320_000));
    check("2013-12-03T17:23:34Z", Some(1_386_091_414_000));
    check("1969-12-31T23:59:59Z", Some(-1000));
    check("2017-09-15 16:52:00", None);
    check("yesterday", None);
    check("", None);
}
