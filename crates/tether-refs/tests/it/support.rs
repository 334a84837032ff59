//! Shared helpers: building matchers from settings and rendering results as one-line text, so
//! each case of a table is one line.

use tether_refs::{IgnoredCommand, MatchSettings, Matcher, Refs, SmartAction, SmartCommand};

/// A matcher from optional regex, optional prefix and allow-list; panics on bad settings (a
/// test's own mistake).
pub fn matcher(regex: Option<&str>, prefix: Option<&str>, projects: &[&str]) -> Matcher {
    let settings = MatchSettings {
        key_regex: regex.map(str::to_owned),
        key_prefix: prefix.map(str::to_owned),
        project_keys: projects.iter().map(|p| (*p).to_owned()).collect(),
    };
    Matcher::new(&settings).unwrap_or_else(|e| panic!("settings refused: {e}"))
}

/// The distinct keys of `text`, space-separated.
pub fn keys(m: &Matcher, text: &str) -> String {
    m.keys(text).iter().map(|k| k.key.as_str()).collect::<Vec<_>>().join(" ")
}

/// Every key occurrence with its span: `PROJ-1@4..10`.
pub fn spans(m: &Matcher, text: &str) -> String {
    m.find_iter(text)
        .map(|k| format!("{}@{}..{}", k.key(), k.span().start, k.span().end))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The Smart Commit part of `refs`, one command after another separated by ` | `:
/// `A-1,A-2 comment "text"`, `A-1 time 1w 2d = 16h "text"`, `A-1 transition close "text"`,
/// and ignored ones as `A-1 ignored: <reason>`.
pub fn smart(refs: &Refs) -> String {
    let mut out: Vec<String> = refs.commands.iter().map(command).collect();
    out.extend(refs.ignored.iter().map(ignored));
    out.join(" | ")
}

fn command(c: &SmartCommand) -> String {
    let keys = c.keys.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(",");
    match &c.action {
        SmartAction::Comment { text } => format!("{keys} comment {text:?}"),
        SmartAction::Time { spent, comment } => {
            let secs = spent.seconds(Default::default());
            format!("{keys} time {spent} = {secs}s {comment:?}")
        }
        SmartAction::Transition { name, comment } => {
            format!("{keys} transition {name} {comment:?}")
        }
    }
}

fn ignored(c: &IgnoredCommand) -> String {
    let keys = c.keys.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(",");
    format!("{keys} ignored: {}", c.reason)
}
