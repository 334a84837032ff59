//! Unit tests of the Jira pages' small helpers.

use super::slug;

#[test]
fn a_summary_becomes_a_flag_key() {
    let check = |summary: &str, key: &str| assert_eq!(slug(summary), key, "{summary:?}");
    check("Faster checkout", "faster-checkout");
    check("  New: Checkout (v2)!! ", "new-checkout-v2");
    check("Émile's café", "mile-s-caf");
    check("---", "");
    check(&"x".repeat(70), &"x".repeat(64));
    check(&format!("{} b", "a".repeat(63)), &"a".repeat(63));
}
