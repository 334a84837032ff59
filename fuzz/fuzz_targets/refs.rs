//! Fuzz target `refs`: tether-refs on any text and any matching settings. The input is
//! optional setting lines (`regex:`, `prefix:`, `project:`, `transition:`, each followed by
//! its value to the end of the line, the first three as `Matcher::new` takes them) and then
//! the text (bytes that are not UTF-8 read as U+FFFD). The text goes through the default
//! matcher, and through the one the settings build when there are any; with default settings
//! the hand-written scanner must find exactly what the default pattern's regex finds.

#![no_main]

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use libfuzzer_sys::fuzz_target;
use regex::Regex;
use tether_refs::{
    IssueKey, KeyRef, MatchSettings, Matcher, ProjectKey, SettingsError, SmartAction,
    TransitionMatch, WorkingTime, extract, match_transition,
};

/// Built once: a matcher compiles its closing-word regex, slow under the sanitizers.
static DEFAULT: LazyLock<Matcher> = LazyLock::new(Matcher::default);

/// Jira's default workflow transitions, for inputs that name none.
const DEFAULT_TRANSITIONS: &[&str] = &[
    "Start Progress",
    "Stop Progress",
    "Start Review",
    "Resolve Issue",
    "Close Issue",
    "Reopen Issue",
    "Done",
];

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let (settings, transitions, text) = read(&input);
    let names: Vec<&str> =
        if transitions.is_empty() { DEFAULT_TRANSITIONS.to_vec() } else { transitions };

    check_default(text);
    check_matcher(&DEFAULT, &[], text, &names);
    if settings != MatchSettings::default() {
        match built(&settings) {
            Ok(m) => check_matcher(&m, &allowed(&settings), text, &names),
            Err(e) => {
                let message = e.to_string();
                assert!(message.starts_with(e.field().name()), "{message:?} names {}", e.field());
            }
        }
    }
    for line in input.lines().take(32) {
        check_key_text(line);
        check_transition(line, &names);
    }
});

/// The settings and transition names from the input's first lines, and the text after them.
fn read(input: &str) -> (MatchSettings, Vec<&str>, &str) {
    let mut settings = MatchSettings::default();
    let mut transitions = Vec::new();
    let mut rest = input;
    loop {
        let (line, after) = rest.split_once('\n').unwrap_or((rest, ""));
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(v) = line.strip_prefix("regex:") {
            settings.key_regex = Some(v.to_owned());
        } else if let Some(v) = line.strip_prefix("prefix:") {
            settings.key_prefix = Some(v.to_owned());
        } else if let Some(v) = line.strip_prefix("project:") {
            settings.project_keys.push(v.to_owned());
        } else if let Some(v) = line.strip_prefix("transition:") {
            transitions.push(v);
        } else {
            return (settings, transitions, rest);
        }
        if after.is_empty() {
            return (settings, transitions, after);
        }
        rest = after;
    }
}

/// The matcher for `settings`, built once per run of the fuzzer: most mutations change the
/// text and keep the settings, and compiling the regexes under the sanitizers costs a hundred
/// times more than matching. A settings value built again must give the same answer.
fn built(settings: &MatchSettings) -> Result<Matcher, SettingsError> {
    type Cache =
        HashMap<(Option<String>, Option<String>, Vec<String>), Result<Matcher, SettingsError>>;
    static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(Mutex::default);
    let key =
        (settings.key_regex.clone(), settings.key_prefix.clone(), settings.project_keys.clone());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(found) = cache.get(&key) {
        return found.clone();
    }
    let result = Matcher::new(settings);
    if let Err(e) = &result {
        assert_eq!(Matcher::new(settings).err().as_ref(), Some(e), "refused twice");
    }
    if cache.len() >= 4096 {
        cache.clear();
    }
    cache.insert(key, result.clone());
    result
}

/// The allow-list as the matcher reads it (entries as a person types them, blanks skipped).
fn allowed(settings: &MatchSettings) -> Vec<ProjectKey> {
    let entries = settings.project_keys.iter().filter(|e| !e.trim().is_empty());
    entries.filter_map(|e| ProjectKey::parse_user_input(e).ok()).collect()
}

/// With default settings, the scanner, the regex path (a prefix that matches nothing forces
/// it) and the default pattern written as a plain regex all find the same keys at the same
/// places.
fn check_default(text: &str) {
    static REGEX_PATH: LazyLock<Matcher> = LazyLock::new(|| {
        let settings = MatchSettings { key_prefix: Some("(?:)".into()), ..Default::default() };
        Matcher::new(&settings).expect("an empty group is a valid prefix")
    });
    let expect = reference(text);
    assert_eq!(found(&DEFAULT, text), expect, "scanner on {text:?}");
    assert_eq!(found(&REGEX_PATH, text), expect, "regex path on {text:?}");
}

/// The default pattern as the crate documents it: GitLab's `\b([A-Z][A-Z_0-9]+-\d+)` with an
/// ASCII word boundary, CVE ids skipped, leading zeros of the number dropped, and what is then
/// no valid key skipped.
fn reference(text: &str) -> Vec<(usize, usize, String)> {
    static PATTERN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?-u:\b)[A-Z][A-Z_0-9]+-[0-9]+").expect("compiles"));
    let b = text.as_bytes();
    PATTERN
        .find_iter(text)
        .filter(|m| {
            !(m.as_str().starts_with("CVE-")
                && b.get(m.end()) == Some(&b'-')
                && b.get(m.end() + 1).is_some_and(u8::is_ascii_digit))
        })
        .filter_map(|m| {
            let (project, number) = m.as_str().split_once('-')?;
            let key = format!("{project}-{}", number.trim_start_matches('0'));
            IssueKey::parse(&key).ok().map(|k| (m.start(), m.end(), k.to_string()))
        })
        .collect()
}

fn found(m: &Matcher, text: &str) -> Vec<(usize, usize, String)> {
    m.find_iter(text).map(|k| (k.span().start, k.span().end, k.key().to_string())).collect()
}

/// What any matcher finds: keys that parse, spans that slice to them, in order without
/// overlaps, of allowed projects; `keys` and `extract` agreeing with `find_iter`; all of it
/// the same twice.
fn check_matcher(m: &Matcher, allowed: &[ProjectKey], text: &str, names: &[&str]) {
    let all: Vec<KeyRef<'_>> = m.find_iter(text).collect();
    assert_eq!(all, m.find_iter(text).collect::<Vec<_>>(), "found twice in {text:?}");
    let mut end = 0;
    for k in &all {
        check_key_ref(text, k);
        assert!(k.span().start >= end, "{k:?} overlaps the key before it in {text:?}");
        end = k.span().end;
        if !allowed.is_empty() {
            assert!(allowed.iter().any(|p| p.as_str() == k.project()), "{k:?} not allowed");
        }
    }

    let keys = m.keys(text);
    let mut distinct: Vec<(IssueKey, std::ops::Range<usize>)> = Vec::new();
    for k in &all {
        if !distinct.iter().any(|(d, _)| *d == k.key()) {
            distinct.push((k.key(), k.span()));
        }
    }
    let keys_as_pairs: Vec<_> = keys.iter().map(|k| (k.key.clone(), k.span.clone())).collect();
    assert_eq!(keys_as_pairs, distinct, "keys() of {text:?}");

    let refs = extract(text, m);
    assert_eq!(refs, extract(text, m), "extracted twice from {text:?}");
    assert_eq!(refs.keys, keys, "extract's keys of {text:?}");
    for (i, closed) in refs.closes.iter().enumerate() {
        assert!(keys.iter().any(|k| &k.key == closed), "closes {closed}, not a key of {text:?}");
        assert!(!refs.closes[..i].contains(closed), "closes {closed} twice");
    }
    let commands = refs.commands.iter().map(|c| (&c.keys, &c.span));
    let ignored = refs.ignored.iter().map(|c| (&c.keys, &c.span));
    for (command_keys, span) in commands.chain(ignored) {
        assert!(!command_keys.is_empty(), "a command without keys in {text:?}");
        for k in command_keys.iter() {
            assert!(keys.iter().any(|found| &found.key == k), "command on {k}, not a key");
        }
        let written = text.get(span.clone()).unwrap_or_else(|| panic!("{span:?} in {text:?}"));
        assert!(written.starts_with('#') && !written.contains('\n'), "command {written:?}");
    }
    for c in &refs.commands {
        match &c.action {
            SmartAction::Comment { text } => assert!(!text.is_empty()),
            SmartAction::Time { spent, .. } => {
                let duration = spent.jira_duration();
                assert!(spent.parts().next().is_some() && !duration.is_empty());
                let _ = spent.seconds(WorkingTime::default());
                let _ =
                    spent.seconds(WorkingTime { seconds_per_day: u64::MAX, seconds_per_week: 0 });
                // Jira's duration text reads back as the same time.
                let again = extract(&format!("AB-1 #time {duration}"), &DEFAULT);
                match again.commands.first().map(|c| &c.action) {
                    Some(SmartAction::Time { spent: read, comment }) => {
                        assert_eq!((read, comment.as_str()), (spent, ""), "{duration:?}")
                    }
                    other => panic!("{duration:?} read back as {other:?}"),
                }
            }
            SmartAction::Transition { name, .. } => {
                assert!(name.chars().next().is_some_and(char::is_alphabetic), "{name:?}");
                check_transition(name, names);
            }
        }
    }
}

/// A key as found: its span slices to the text as written, which is the key itself or the key
/// with zeros before its number (`JRA-090` for `JRA-90`).
fn check_key_ref(text: &str, k: &KeyRef<'_>) {
    let written = text.get(k.span()).unwrap_or_else(|| panic!("{k:?} not at char boundaries"));
    assert_eq!(written, k.as_written());
    let key = k.key();
    assert_eq!(IssueKey::parse(key.as_str()).as_ref(), Ok(&key), "{key} parses");
    assert_eq!((key.project(), key.number()), (k.project(), k.number()));
    assert_eq!(IssueKey::parse_user_input(written).as_ref(), Ok(&key), "{written:?}");
    let (project, digits) = written.split_once('-').expect("a key has a dash");
    assert_eq!(project, key.project());
    assert_eq!(digits.trim_start_matches('0'), key.number().to_string(), "{written:?}");
    assert_eq!(written == key.as_str(), !digits.starts_with('0'), "{written:?} read as {key}");
}

/// The key parsers on any text: a strict key is its own text, a typed one its canonical
/// form; serde reads exactly what `parse` reads.
fn check_key_text(s: &str) {
    let strict = IssueKey::parse(s);
    if let Ok(k) = &strict {
        assert_eq!((k.as_str(), k.to_string()), (s, s.to_owned()));
        assert_eq!(
            ProjectKey::parse(k.project()).map(|p| p.to_string()).as_deref(),
            Ok(k.project())
        );
        assert_eq!(s.parse::<IssueKey>().as_ref(), Ok(k));
        let json = serde_json::to_string(k).expect("a key serialises");
        assert_eq!(serde_json::from_str::<IssueKey>(&json).ok().as_ref(), Some(k));
    }
    let json = serde_json::to_string(s).expect("a string serialises");
    assert_eq!(serde_json::from_str::<IssueKey>(&json).ok(), strict.as_ref().ok().cloned());
    if let Err(e) = &strict {
        // The input is shown cut after 40 characters.
        assert!(e.to_string().chars().count() < 240, "{e}");
    }
    match (IssueKey::parse_user_input(s), &strict) {
        // A strict key is already what a person should have typed.
        (typed, Ok(k)) => assert_eq!(typed.as_ref(), Ok(k), "{s:?} typed"),
        (Ok(k), Err(_)) => assert_eq!(IssueKey::parse(k.as_str()).as_ref(), Ok(&k), "{s:?} typed"),
        (Err(_), Err(_)) => {}
    }
    if let Ok(p) = ProjectKey::parse_user_input(s) {
        assert_eq!(ProjectKey::parse(p.as_str()).as_ref(), Ok(&p));
    }
}

/// `match_transition` by its documented rule: names compared with runs of whitespace as one
/// hyphen and case ignored; exact matches first, else the names the command is a prefix of.
fn check_transition(command: &str, names: &[&str]) {
    let got = match_transition(command, names.iter().copied());
    assert_eq!(got, match_transition(command, names.iter().copied()), "{command:?} twice");
    let command = command.to_lowercase();
    let forms: Vec<String> = names
        .iter()
        .map(|n| n.split_whitespace().collect::<Vec<_>>().join("-").to_lowercase())
        .collect();
    let exact: Vec<usize> = (0..names.len()).filter(|&i| forms[i] == command).collect();
    let expect = if command.is_empty() {
        Vec::new()
    } else if exact.is_empty() {
        (0..names.len()).filter(|&i| forms[i].starts_with(&command)).collect()
    } else {
        exact
    };
    let got = match got {
        TransitionMatch::NoMatch => Vec::new(),
        TransitionMatch::Unique(i) => vec![i],
        TransitionMatch::Ambiguous(all) => {
            assert!(all.len() > 1, "ambiguous between {all:?}");
            all
        }
    };
    assert_eq!(got, expect, "{command:?} among {names:?}");
}
