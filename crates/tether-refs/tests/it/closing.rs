//! Closing words followed by keys: which issues a change asks to close.

use tether_refs::{Matcher, extract};

use crate::support::matcher;

fn closes(m: &Matcher, text: &str) -> String {
    extract(text, m).closes.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" ")
}

fn check(text: &str, expect: &str) {
    assert_eq!(closes(&Matcher::default(), text), expect, "closed by {text:?}");
}

#[test]
fn every_closing_word() {
    for word in [
        "close",
        "closes",
        "closed",
        "closing",
        "fix",
        "fixes",
        "fixed",
        "fixing",
        "resolve",
        "resolves",
        "resolved",
        "resolving",
        "implement",
        "implements",
        "implemented",
        "implementing",
    ] {
        check(&format!("{word} PROJ-1"), "PROJ-1");
        let capital = format!("{}{}", word[..1].to_uppercase(), &word[1..]);
        check(&format!("{capital} PROJ-1"), "PROJ-1");
    }
}

#[test]
fn not_closing_words() {
    check("CLOSES PROJ-1", "");
    check("cLoses PROJ-1", "");
    check("Closs PROJ-1", "");
    check("Fixs PROJ-1", "");
    check("closet PROJ-1", "");
    check("Unfixed PROJ-1", "");
    check("Discloses PROJ-1", "");
    check("prefix PROJ-1", "");
    check("Reimplements PROJ-1", "");
    check("Refs PROJ-1", "");
    check("Closes", "");
}

#[test]
fn what_may_stand_between_word_and_key() {
    check("Closes: PROJ-1", "PROJ-1");
    check("Closes   PROJ-1", "PROJ-1");
    check("Closes\tPROJ-1", "PROJ-1");
    check("Closes:PROJ-1", "");
    check("ClosesPROJ-1", "");
    check("Closes :PROJ-1", "");
    check("Closes\nPROJ-1", "");
    check("Closes the bug in PROJ-1", "");
    check("Closes issue PROJ-1", "");
    check("Closes #12", "");
    check("Closes (PROJ-1)", "");
}

#[test]
fn lists_of_keys() {
    check("Closes PROJ-1, PROJ-2 and PROJ-3", "PROJ-1 PROJ-2 PROJ-3");
    check("Closes PROJ-1 PROJ-2", "PROJ-1 PROJ-2");
    check("Closes PROJ-1,PROJ-2", "PROJ-1 PROJ-2");
    check("Closes PROJ-1 , PROJ-2", "PROJ-1 PROJ-2");
    check("Closes PROJ-1, and PROJ-2", "PROJ-1 PROJ-2");
    check("Closes PROJ-1 and PROJ-2, OPS-3 OPS-4", "PROJ-1 PROJ-2 OPS-3 OPS-4");
    // The list ends at anything else.
    check("Closes PROJ-1 in the cart, PROJ-2", "PROJ-1");
    check("Closes PROJ-1 andPROJ-2", "PROJ-1");
    check("Closes PROJ-1 AND PROJ-2", "PROJ-1");
    check("Closes PROJ-1 & PROJ-2", "PROJ-1");
    check("Closes PROJ-1,, PROJ-2", "PROJ-1");
    check("Closes PROJ-1\nPROJ-2", "PROJ-1");
    check("Closes PROJ-1. PROJ-2", "PROJ-1");
}

#[test]
fn several_closing_words_and_repeats() {
    check("Fixes PROJ-2, closes PROJ-1. Related to PROJ-3", "PROJ-2 PROJ-1");
    check("Fixes PROJ-1\n\nCloses PROJ-1 and PROJ-2", "PROJ-1 PROJ-2");
    check("Fix PROJ-1 fixes PROJ-2", "PROJ-1 PROJ-2");
    check("Implements SHOP-3 (closes SHOP-4)", "SHOP-3 SHOP-4");
}

#[test]
fn keys_the_matcher_refuses_are_skipped_but_keep_the_list_going() {
    let m = matcher(None, None, &["PROJ"]);
    assert_eq!(closes(&m, "Closes OPS-1, PROJ-2 and CART-3"), "PROJ-2");
    assert_eq!(closes(&Matcher::default(), "Closes PROJ-0, PROJ-2"), "PROJ-2");
    assert_eq!(closes(&Matcher::default(), "Closes PROJ-01"), "PROJ-1");
    // A CVE id is not a key at all, so it ends the list.
    assert_eq!(closes(&Matcher::default(), "Fixes CVE-2024-1234 and PROJ-2"), "");
}

#[test]
fn with_a_prefix_the_keys_carry_it() {
    let m = matcher(None, Some("JIRA#"), &[]);
    assert_eq!(closes(&m, "Closes JIRA#PROJ-1, JIRA#PROJ-2 and PROJ-3"), "PROJ-1 PROJ-2");
    assert_eq!(closes(&m, "Closes PROJ-1"), "");
}

#[test]
fn closing_keys_are_also_keys() {
    let refs = extract("Closes PROJ-1 and PROJ-2", &Matcher::default());
    let keys: Vec<&str> = refs.keys.iter().map(|k| k.key.as_str()).collect();
    assert_eq!(keys, ["PROJ-1", "PROJ-2"]);
}
