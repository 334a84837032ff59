//! Cases from GitLab's Jira integration (its `reference_pattern` spec tables and docs), so
//! settings carried over from GitLab match the same keys. Where tether departs on purpose,
//! the case says so.

use crate::support::{keys, matcher};

/// GitLab's table: `text` → the matched key (empty for none), default settings.
fn check(text: &str, expect: &str) {
    assert_eq!(keys(&matcher(None, None, &[]), text), expect, "{text:?}");
}

#[test]
fn default_pattern() {
    check("#123", "");
    check("1#23#12", "");
    check("JIRA-1234A", "JIRA-1234");
    check("JIRA-1234-some_tag", "JIRA-1234");
    check("JIRA-1234_some_tag", "JIRA-1234");
    check("EXT_EXT-1234", "EXT_EXT-1234");
    check("EXT3_EXT-1234", "EXT3_EXT-1234");
    check("3EXT_EXT-1234", "");
    check("abc-JIRA-1234", "JIRA-1234");
    check("CVE-123", "CVE-123");
    // GitLab's current table gives `CVE-2022` here; tether skips CVE ids as GitLab once did
    // (`(?!CVE-\d+-\d+)`) and as its issue asks.
    check("CVE-2022-123", "");
    // GitLab issue 390887: "thisNOT-123" is not a key.
    check("thisNOT-123", "");
}

#[test]
fn with_prefix() {
    let m = matcher(None, Some("jira#"), &[]);
    let check = |text: &str, expect: &str| assert_eq!(keys(&m, text), expect, "{text:?}");
    check("jira##123", "");
    check("jira#1#23#12", "");
    check("jira#JIRA-1234A", "JIRA-1234");
    check("jira#JIRA-1234-some_tag", "JIRA-1234");
    check("JIRA-1234A", "");
    check("JIRA-1234-some_tag", "");
    check("myjira#JIRA-1234-some_tag", "");
    check("MYjira#JIRA-1234-some_tag", "");
    check("my-jira#JIRA-1234-some_tag", "JIRA-1234");
    let spaced = matcher(None, Some("Jira# "), &[]);
    assert_eq!(keys(&spaced, "Jira# FOO-123"), "FOO-123");
}

#[test]
fn with_custom_regex() {
    let m = matcher(Some("[A-Z][0-9]-[0-9]+"), None, &[]);
    let check = |text: &str, expect: &str| assert_eq!(keys(&m, text), expect, "{text:?}");
    check("J1-123", "J1-123");
    check("AAbJ J1-123", "J1-123");
    check("#A1-123", "A1-123");
    check("J1-1234-some_tag", "J1-1234");
    check("J1-1234A", "J1-1234");
    check("JI1-123", "");
    check("J1I-123", "");
    check("JI-123", "");
    check("#123", "");
    // GitLab issue 413906: a custom regex that matches valid keys must link them.
    let ps = matcher(Some("[PS]{2,}-\\d+"), None, &[]);
    assert_eq!(keys(&ps, "See PS-1"), "PS-1");
}
