//! Properties over generated input: the hand-written scanner equals the regex it replaces,
//! and nothing panics on any input or settings.

use std::sync::LazyLock;

use proptest::prelude::*;
use regex::Regex;
use tether_refs::{IssueKey, MatchSettings, Matcher, extract, match_transition};

/// Text made of pieces that matter to keys, closing words and commands, glued together
/// without spaces as often as with, so that every neighbour of a key gets tried.
fn keyish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[A-Z][A-Z0-9_]{0,3}-[0-9]{1,3}",
        "CVE-[0-9]{1,2}(-[0-9]?)?",
        "[A-Za-z0-9_]",
        "[-A-Z0-9_]{1,3}",
        "[ -~]",
        "[ ,.:#\n\r\t-]",
        "[é修ÿ\u{80}\u{10FFFF}]",
        prop::sample::select(
            &["Closes ", "fixes: ", " and ", ", ", "#comment ", "#time ", "1.5h "][..]
        )
        .prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

/// What the default pattern means, written as the regex the scanner replaces: GitLab's
/// pattern with an ASCII word boundary, minus CVE ids, read as keys without leading zeros,
/// minus what is then not a valid key.
fn reference(text: &str) -> Vec<(usize, usize, String)> {
    static PATTERN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?-u:\b)[A-Z][A-Z_0-9]+-[0-9]+").unwrap());
    let b = text.as_bytes();
    PATTERN
        .find_iter(text)
        .filter(|m| {
            !(m.as_str().starts_with("CVE-")
                && b.get(m.end()) == Some(&b'-')
                && b.get(m.end() + 1).is_some_and(u8::is_ascii_digit))
        })
        .filter_map(|m| {
            let (project, number) = m.as_str().split_once('-').unwrap();
            let key = format!("{project}-{}", number.trim_start_matches('0'));
            IssueKey::parse(&key).ok().map(|k| (m.start(), m.end(), k.to_string()))
        })
        .collect()
}

fn found(m: &Matcher, text: &str) -> Vec<(usize, usize, String)> {
    m.find_iter(text).map(|k| (k.span().start, k.span().end, k.key().to_string())).collect()
}

fn check_scanner(text: &str) -> Result<(), TestCaseError> {
    let expect = reference(text);
    prop_assert_eq!(&found(&Matcher::default(), text), &expect, "scanner on {:?}", text);
    // The same pattern through the regex path (an empty prefix that is not blank).
    static REGEX_PATH: LazyLock<Matcher> = LazyLock::new(|| {
        let settings = MatchSettings { key_prefix: Some("(?:)".into()), ..Default::default() };
        Matcher::new(&settings).unwrap()
    });
    prop_assert_eq!(&found(&REGEX_PATH, text), &expect, "regex path on {:?}", text);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn scanner_equals_the_regex_on_keyish_text(text in keyish()) {
        check_scanner(&text)?;
    }

    #[test]
    fn scanner_equals_the_regex_on_any_text(text in any::<String>()) {
        check_scanner(&text)?;
    }

    #[test]
    fn keys_are_the_distinct_matches_in_order(text in keyish()) {
        let m = Matcher::default();
        let all: Vec<String> = m.find_iter(&text).map(|k| k.key().to_string()).collect();
        let mut distinct: Vec<String> = Vec::new();
        for k in &all {
            if !distinct.contains(k) {
                distinct.push(k.clone());
            }
        }
        let keys: Vec<String> = m.keys(&text).iter().map(|k| k.key.to_string()).collect();
        prop_assert_eq!(keys, distinct);
        for k in m.keys(&text) {
            prop_assert_eq!(IssueKey::parse_user_input(&text[k.span.clone()]), Ok(k.key));
        }
    }

    #[test]
    fn extract_never_panics_and_refers_to_found_keys(text in keyish()) {
        let refs = extract(&text, &Matcher::default());
        let keys: Vec<&IssueKey> = refs.keys.iter().map(|k| &k.key).collect();
        for k in &refs.closes {
            prop_assert!(keys.contains(&k), "closed {} is a key", k);
        }
        for c in &refs.commands {
            prop_assert!(c.keys.iter().all(|k| keys.contains(&k)));
            prop_assert!(text.get(c.span.clone()).is_some_and(|s| s.starts_with('#')));
        }
    }

    #[test]
    fn extract_never_panics_on_any_text(text in any::<String>()) {
        let _ = extract(&text, &Matcher::default());
    }

    #[test]
    fn valid_keys_round_trip(project in "[A-Z][A-Z0-9_]{1,12}", number in 1u64..=i64::MAX as u64) {
        let text = format!("{project}-{number}");
        let key = IssueKey::parse(&text).unwrap();
        prop_assert_eq!(key.project(), project.as_str());
        prop_assert_eq!(key.number(), number);
        prop_assert_eq!(key.to_string(), text.clone());
        prop_assert_eq!(IssueKey::parse_user_input(&format!(" {} ", text.to_lowercase())).unwrap(), key);
    }

    #[test]
    fn parsing_any_string_never_panics_and_round_trips(s in any::<String>()) {
        if let Ok(k) = IssueKey::parse(&s) {
            prop_assert_eq!(k.as_str(), s.as_str());
        }
        let _ = IssueKey::parse_user_input(&s);
    }

    #[test]
    fn transition_matching_never_panics(command in any::<String>(), names in prop::collection::vec(any::<String>(), 0..4)) {
        let _ = match_transition(&command, names.iter().map(String::as_str));
    }
}

proptest! {
    // Fewer cases: each one compiles a regex, slow in a debug build.
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_settings_either_fail_or_match_without_panicking(
        regex in prop::option::of("[\\[\\]()|*+?.A-Z0-9\\\\a-z{},-]{0,12}"),
        prefix in prop::option::of("[#\\[\\]()|*+?.A-Za-z \\\\-]{0,6}"),
        projects in prop::collection::vec("[A-Za-z0-9_ -]{0,5}", 0..3),
        text in keyish(),
    ) {
        let settings = MatchSettings { key_regex: regex, key_prefix: prefix, project_keys: projects };
        if let Ok(m) = Matcher::new(&settings) {
            let refs = extract(&text, &m);
            for k in &refs.keys {
                let written = IssueKey::parse_user_input(&text[k.span.clone()]);
                prop_assert_eq!(written.as_ref(), Ok(&k.key));
            }
        }
    }
}
