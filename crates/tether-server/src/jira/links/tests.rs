//! Unit tests of the Jira side's small helpers.

use super::{added_keys, is_issue_key, normalize_key};

#[test]
fn issue_keys_are_recognised_as_jira_writes_them() {
    let check = |s: &str, ok: bool| assert_eq!(is_issue_key(s), ok, "{s:?}");
    check("SHOP-1", true);
    check("A1_B-42", true);
    check("shop-1", false);
    check("SHOP-01", false);
    check("SHOP-", false);
    check("-1", false);
    check("1SHOP-2", false);
    check("SHOP 1", false);
    check("SHOP-1-2", false);
    assert_eq!(normalize_key(" shop-7\n"), "SHOP-7");
    assert_eq!(added_keys(&["A-1".into()], &["A-1".into(), "B-2".into()]), ["B-2"]);
}
