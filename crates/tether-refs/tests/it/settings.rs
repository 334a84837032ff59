//! Matching settings: custom regex, prefix, project allow-list, and the errors that name the
//! field to fix.

use tether_refs::{Field, MatchSettings, Matcher, SettingsError};

use crate::support::{keys, matcher, spans};

/// Keys found with a custom regex.
fn check_regex(regex: &str, text: &str, expect: &str) {
    assert_eq!(keys(&matcher(Some(regex), None, &[]), text), expect, "regex {regex:?} on {text:?}");
}

/// Keys found with a prefix (and the default pattern).
fn check_prefix(prefix: &str, text: &str, expect: &str) {
    assert_eq!(
        keys(&matcher(None, Some(prefix), &[]), text),
        expect,
        "prefix {prefix:?} on {text:?}"
    );
}

/// Keys found with an allow-list.
fn check_projects(projects: &[&str], text: &str, expect: &str) {
    assert_eq!(
        keys(&matcher(None, None, projects), text),
        expect,
        "projects {projects:?} on {text:?}"
    );
}

/// The error for settings, as `field: message`, or `ok`.
fn check_error(regex: Option<&str>, prefix: Option<&str>, projects: &[&str], expect: &str) {
    let settings = MatchSettings {
        key_regex: regex.map(str::to_owned),
        key_prefix: prefix.map(str::to_owned),
        project_keys: projects.iter().map(|p| (*p).to_owned()).collect(),
    };
    let got = match Matcher::new(&settings) {
        Ok(_) => "ok".to_owned(),
        Err(e) => format!("{} | {}", e.field(), first_line(&e)),
    };
    assert_eq!(got, expect, "settings {settings:?}");
}

fn first_line(e: &SettingsError) -> String {
    e.to_string().lines().next().unwrap_or_default().to_owned()
}

#[test]
fn custom_regex_replaces_the_default_pattern() {
    check_regex("[A-Z]{2,}-[0-9]+", "AB-1 ABC-22", "AB-1 ABC-22");
    check_regex("(?:SHOP|OPS)-[0-9]+", "SHOP-1 CART-2 OPS-3", "SHOP-1 OPS-3");
    // Alternation stays inside its group: not `\bSHOP|OPS-[0-9]+`.
    check_regex("SHOP-[0-9]+|OPS-[0-9]+", "xOPS-3 SHOP-1", "SHOP-1");
    // What it finds must still be a valid key.
    check_regex("[A-Za-z]+-[0-9]+", "shop-1 SHOP-2 S-3 SHOP-0 SHOP-04", "SHOP-2 SHOP-4");
    // No CVE rule with a custom pattern: the pattern is the administrator's.
    check_regex("[A-Z]+-[0-9]+", "CVE-2024-1", "CVE-2024");
    // A blank regex is no regex.
    check_regex("  ", "PROJ-1", "PROJ-1");
    // Matching is linear whatever the pattern (GitLab's "long running regex" case).
    let long = format!("JIRA{}1\nanother line\n", "a".repeat(100_000));
    check_regex("((a|b)+|c)+$", &long, "");
}

#[test]
fn prefix_must_come_right_before_the_key() {
    check_prefix("JIRA#", "JIRA#PROJ-1 PROJ-2", "PROJ-1");
    check_prefix("JIRA#", "see JIRA# PROJ-1", "");
    check_prefix("JIRA#", "xJIRA#PROJ-1 x-JIRA#PROJ-2", "PROJ-2");
    check_prefix("Jira# ", "Jira# FOO-123", "FOO-123");
    // The prefix is a regular expression, as in GitLab.
    check_prefix("(?:jira|JIRA)#", "jira#A1-1 JIRA#B1-2", "A1-1 B1-2");
    // A prefix starting with a non-word character works after a space or at the start
    // (GitLab's `\b` in front would need a word character before it).
    check_prefix(r"\[", "[PROJ-1] PROJ-2 x[PROJ-3", "PROJ-1");
    check_prefix("#", "#PROJ-1 (#PROJ-2) a#PROJ-3", "PROJ-1 PROJ-2");
    // A match refused for what precedes it does not hide one starting inside it.
    check_prefix("(?:J|JIRA#)", "xJIRA#PROJ-1", "");
    check_regex("[A-Z]*[0-9]-[0-9]+|[A-Z][A-Z]-[0-9]+", "xAB1-2", "");
    check_regex("x?AB-[0-9]+", "yxAB-1", "");
    // `AB-1,` is matched (and is no key); the `,` that must precede `CD-2` belongs to it.
    check_regex("[A-Z]{2}-[0-9]+,?", "AB-1,CD-2 EF-3", "CD-2 EF-3");
    // With a prefix the key part is still the default pattern, CVE rule included.
    check_prefix("JIRA#", "JIRA#CVE-2024-1 JIRA#PROJ-0 JIRA#P-1", "");
    // An empty prefix is no prefix.
    check_prefix("", "PROJ-1", "PROJ-1");
    let m = matcher(None, Some("JIRA#"), &[]);
    assert_eq!(
        spans(&m, "x JIRA#PROJ-1"),
        "PROJ-1@7..13",
        "the span is the key's, not the prefix's"
    );
}

#[test]
fn refused_matches_do_not_make_matching_quadratic() {
    // Each position of the long word starts a match that follows a word character; trying
    // them one by one would take some 10^10 steps here.
    let word = format!("x{}-1", "A".repeat(100_000));
    check_regex("[A-Z]+-[0-9]+", &word, "");
    check_prefix("A*", &word, "");
}

#[test]
fn prefix_and_regex_combine() {
    let m = matcher(Some("[A-Z][0-9]-[0-9]+"), Some("JIRA#"), &[]);
    assert_eq!(keys(&m, "JIRA#J1-1 J1-2 JIRA#JI-3"), "J1-1");
}

#[test]
fn allow_list_keeps_only_those_projects() {
    check_projects(&["SHOP"], "SHOP-1 OPS-2 SHOPX-3", "SHOP-1");
    check_projects(&["shop ", "ops"], "SHOP-1 OPS-2 CART-3", "SHOP-1 OPS-2");
    check_projects(&["SHOP", "SHOP"], "SHOP-1", "SHOP-1");
    check_projects(&[], "SHOP-1 OPS-2", "SHOP-1 OPS-2");
    check_projects(&[" "], "SHOP-1 OPS-2", "SHOP-1 OPS-2");
    let m = matcher(Some("[A-Z]+-[0-9]+"), Some("#"), &["OPS"]);
    assert_eq!(keys(&m, "#SHOP-1 #OPS-2"), "OPS-2");
}

#[test]
fn bad_settings_name_their_field() {
    check_error(None, None, &[], "ok");
    check_error(
        Some("[A-Z"),
        None,
        &[],
        "key_regex | key_regex: not a valid regular expression: regex parse error:",
    );
    check_error(
        None,
        Some("(JIRA"),
        &[],
        "key_prefix | key_prefix: not a valid regular expression: regex parse error:",
    );
    check_error(
        Some("(?<=A)B-1"),
        None,
        &[],
        "key_regex | key_regex: not a valid regular expression: regex parse error:",
    );
    let long = "a".repeat(256);
    check_error(
        Some(&long),
        None,
        &[],
        "key_regex | key_regex: at most 255 characters are allowed, this one has 256",
    );
    check_error(
        None,
        Some(&long),
        &[],
        "key_prefix | key_prefix: at most 255 characters are allowed, this one has 256",
    );
    check_error(Some(&"a".repeat(255)), None, &[], "ok");
    check_error(Some("é".repeat(255).as_str()), None, &[], "ok");
    check_error(
        None,
        None,
        &["SHOP", "S"],
        "project_keys | project_keys: `S` is not a Jira project key: it must start with an upper-case letter A-Z and go on with upper-case letters, digits or `_`, two characters or more",
    );
    check_error(
        None,
        None,
        &["SH-OP"],
        "project_keys | project_keys: `SH-OP` is not a Jira project key: it must start with an upper-case letter A-Z and go on with upper-case letters, digits or `_`, two characters or more",
    );
    // A group named `issue` collides with the one the matcher adds.
    check_error(
        Some("(?P<issue>A-1)"),
        None,
        &[],
        "key_regex | key_regex: not a valid regular expression: regex parse error:",
    );
    // Small text, huge automaton: refused by the size limit.
    check_error(
        Some(r"\w{1000}"),
        None,
        &[],
        "key_regex | key_regex: not a valid regular expression: Compiled regex exceeds size limit of 1048576 bytes.",
    );
    assert_eq!(Field::ProjectKeys.name(), "project_keys");
}
