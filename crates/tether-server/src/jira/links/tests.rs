//! Unit tests of the Jira side's small helpers.

use super::{added_keys, read_key};

#[test]
fn issue_keys_are_read_as_a_person_types_them() {
    let check = |typed: &str, read: Result<&str, &str>| {
        assert_eq!(read_key(typed), read.map(str::to_owned).map_err(str::to_owned), "{typed:?}");
    };
    check("SHOP-1", Ok("SHOP-1"));
    check(" shop-7\n", Ok("SHOP-7"));
    check("A1_B-42", Ok("A1_B-42"));
    check("SHOP-01", Ok("SHOP-1"));
    check("SHOP-", Err("SHOP-"));
    check("-1", Err("-1"));
    check("1SHOP-2", Err("1SHOP-2"));
    check(" SHOP 1 ", Err("SHOP 1"));
    check("SHOP-1-2", Err("SHOP-1-2"));
    // One-letter project keys exist in no default or Cloud Jira.
    check("A-1", Err("A-1"));
    assert_eq!(added_keys(&["A-1".into()], &["A-1".into(), "B-2".into()]), ["B-2"]);
}
