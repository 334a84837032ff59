//! The default pattern: what is a key in running text and what is not.

use tether_refs::Matcher;

use crate::support::{keys, spans};

fn check(text: &str, expect: &str) {
    assert_eq!(keys(&Matcher::default(), text), expect, "keys in {text:?}");
}

#[test]
fn keys_in_text() {
    check("PROJ-1", "PROJ-1");
    check("Fix login for PROJ-12 and OPS-3", "PROJ-12 OPS-3");
    check("R2D2-7 MY_PROJ-8 A1_-9", "R2D2-7 MY_PROJ-8 A1_-9");
    check(
        "(PROJ-1) [PROJ-2] {PROJ-3} <PROJ-4> 'PROJ-5' \"PROJ-6\"",
        "PROJ-1 PROJ-2 PROJ-3 PROJ-4 PROJ-5 PROJ-6",
    );
    check("PROJ-1: title", "PROJ-1");
    check("#PROJ-1 @PROJ-2 /PROJ-3 .PROJ-4 ,PROJ-5", "PROJ-1 PROJ-2 PROJ-3 PROJ-4 PROJ-5");
    check("line one\nPROJ-1\r\nPROJ-2", "PROJ-1 PROJ-2");
    check("", "");
    check("no keys here", "");
}

#[test]
fn keys_are_unique_in_order_of_first_appearance() {
    check("OPS-2 PROJ-1 OPS-2 PROJ-1 OPS-3", "OPS-2 PROJ-1 OPS-3");
    let m = Matcher::default();
    assert_eq!(spans(&m, "OPS-2 x OPS-2"), "OPS-2@0..5 OPS-2@8..13");
    let first = &m.keys("OPS-2 x OPS-2")[0];
    assert_eq!(first.span, 0..5, "the span of the first appearance");
}

#[test]
fn keys_are_case_sensitive() {
    check("proj-1 Proj-2 pROJ-3 PrOJ-4", "");
    check("PROJ-1 proj-1", "PROJ-1");
}

#[test]
fn no_keys_inside_words() {
    // A word character (ASCII letter, digit, `_`) right before the key: no key.
    check("fooPROJ-1", "");
    check("foo_PROJ-1", "");
    check("3PROJ-1", "");
    check("xCVE-2024-1", "");
    // The boundary is ASCII, as in GitLab's Ruby regex: a key glued to CJK text counts.
    check("修复PROJ-12的问题", "PROJ-12");
    check("éPROJ-1", "PROJ-1");
    // After the digits nothing is required (GitLab's tests: `JIRA-1234A` → `JIRA-1234`).
    check("PROJ-1x", "PROJ-1");
    check("PROJ-12_fix_login", "PROJ-12");
    check("feature/PROJ-12-fix-login", "PROJ-12");
    check("PROJ-1-2", "PROJ-1");
    check("PROJ-1DEF-2", "PROJ-1");
}

#[test]
fn what_is_not_a_key() {
    check("A-1 Z-99", "");
    check("_AB-1 9AB-1", "");
    check("PROJ- 1 PROJ -1 PROJ--1 PROJ_1", "");
    check("PROJ-0 PROJ-000", "");
    check("PROJ-99999999999999999999", "");
    check("PROJ-٣", "");
    check("ＰＲＯＪ-1", "");
}

#[test]
fn leading_zeros_name_the_issue_without_them() {
    // Atlassian's own Smart Commit example writes `JRA-090`.
    check("JRA-090 PROJ-007 PROJ-0010", "JRA-90 PROJ-7 PROJ-10");
    check("PROJ-7 PROJ-007", "PROJ-7");
    assert_eq!(
        spans(&Matcher::default(), "x JRA-090"),
        "JRA-90@2..9",
        "the span is the text as written"
    );
}

#[test]
fn cve_ids_are_not_keys() {
    check("Bump openssl for CVE-2024-1234", "");
    check("CVE-2024-1234 and PROJ-1", "PROJ-1");
    check("CVE-2024-0001", "");
    check("(CVE-2021-44228)", "");
    // A project may be called CVE: a key without the second number is one.
    check("CVE-123", "CVE-123");
    check("CVE-2024-", "CVE-2024");
    check("CVE-2024-x", "CVE-2024");
    check("XCVE-2024-1", "XCVE-2024");
    check("CVES-2024-1", "CVES-2024");
}

#[test]
fn realistic_messages() {
    check("Merge branch 'feature/SHOP-12-cart' into 'main'", "SHOP-12");
    check("Merge pull request #123 from acme/SHOP-7-login", "SHOP-7");
    check("See https://jira.example.com/browse/SHOP-3?focusedCommentId=1", "SHOP-3");
    check("Use UTF-8 and ISO-8859-1 everywhere", "UTF-8 ISO-8859");
    check("utf-8, sha-256, x86-64, 2024-01-15, v1.2.3-rc1", "");
    check("Signed-off-by: José <jose@example.com>", "");
    check("Revert \"SHOP-4: add cart\"\n\nThis reverts commit abc123.", "SHOP-4");
}

#[test]
fn found_keys_borrow_the_text_until_asked_for_the_key() {
    let m = Matcher::default();
    let text = "see JRA-090 now";
    let found: Vec<_> = m.find_iter(text).collect();
    assert_eq!(found.len(), 1);
    let k = &found[0];
    assert_eq!((k.as_written(), k.project(), k.number(), k.span()), ("JRA-090", "JRA", 90, 4..11));
    assert_eq!(k.key().as_str(), "JRA-90");
}

#[test]
fn spans_are_bytes_of_the_key() {
    let m = Matcher::default();
    assert_eq!(spans(&m, "é PROJ-1"), "PROJ-1@3..9");
    assert_eq!(spans(&m, "修复PROJ-12"), "PROJ-12@6..13");
}
