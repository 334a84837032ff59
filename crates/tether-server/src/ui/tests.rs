//! Unit tests of the UI's small helpers.

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
