//! Smart Commits: commands, their keys, their text, and transition names.

use tether_refs::{Matcher, TransitionMatch, extract, match_transition};

use crate::support::{matcher, smart};

fn check(text: &str, expect: &str) {
    assert_eq!(smart(&extract(text, &Matcher::default())), expect, "smart commands in {text:?}");
}

#[test]
fn atlassian_examples() {
    check("JRA-34 #comment corrected indent issue", r#"JRA-34 comment "corrected indent issue""#);
    check(
        "JRA-34 #time 1w 2d 4h 30m Total work logged",
        r#"JRA-34 time 1w 2d 4h 30m = 217800s "Total work logged""#,
    );
    check("JRA-090 #close Fixed this today", r#"JRA-90 transition close "Fixed this today""#);
    check(
        "JRA-123 #time 2d 5h #comment Task completed ahead of schedule #resolve",
        r#"JRA-123 time 2d 5h = 75600s "" | JRA-123 comment "Task completed ahead of schedule" | JRA-123 transition resolve """#,
    );
    check(
        "JRA-123 #comment Imagine that this is a really, and I mean really, long comment\n#time 2d 5h",
        r#"JRA-123 comment "Imagine that this is a really, and I mean really, long comment" | JRA-123 time 2d 5h = 75600s """#,
    );
    check("JRA-123 JRA-234 JRA-345 #resolve", "JRA-123,JRA-234,JRA-345 transition resolve \"\"");
    check(
        "JRA-123 JRA-234 JRA-345 #resolve #time 2d 5h #comment Task completed ahead of schedule",
        r#"JRA-123,JRA-234,JRA-345 transition resolve "" | JRA-123,JRA-234,JRA-345 time 2d 5h = 75600s "" | JRA-123,JRA-234,JRA-345 comment "Task completed ahead of schedule""#,
    );
    check(
        "JRA-090 #close #comment Fixed this today",
        r#"JRA-90 transition close "" | JRA-90 comment "Fixed this today""#,
    );
}

#[test]
fn ignored_text_around_keys() {
    check("Cart fix for SHOP-1, see above #comment done", r#"SHOP-1 comment "done""#);
    check(
        "SHOP-1, SHOP-2 and SHOP-1 #start-progress",
        r#"SHOP-1,SHOP-2 transition start-progress """#,
    );
    check("[SHOP-1] Cart #finish-work", r#"SHOP-1 transition finish-work """#);
}

#[test]
fn what_is_a_command() {
    check("SHOP-1 #Comment Case does not matter", r#"SHOP-1 comment "Case does not matter""#);
    check("SHOP-1 #TIME 1h", r#"SHOP-1 time 1h = 3600s """#);
    check("SHOP-1 #123 is a GitHub reference", "");
    check("SHOP-1 a#comment is not after a space", "");
    check("SHOP-1#comment glued to the key", "");
    check("SHOP-1 # comment", "");
    check("SHOP-1 ## heading", "");
    check("SHOP-1 #erledigt Fertig", r#"SHOP-1 transition erledigt "Fertig""#);
    check("SHOP-1 #close.", r#"SHOP-1 transition close ".""#);
    check("SHOP-1 #re_open_2 now", r#"SHOP-1 transition re_open_2 "now""#);
    check("#comment at the start of a line\nno keys anywhere", "");
    check("Just #wip without keys", "");
    // A `#` before a key refers to the issue.
    check("SHOP-2 relates to #SHOP-1", "");
    check("SHOP-2 and #SHOP-1 #resolve", r#"SHOP-2,SHOP-1 transition resolve """#);
}

#[test]
fn commands_end_at_the_next_command_or_line_end() {
    check("SHOP-1 #comment one #comment two", r#"SHOP-1 comment "one" | SHOP-1 comment "two""#);
    check(
        "SHOP-1 #comment ends here\nand this line is not part of it",
        r#"SHOP-1 comment "ends here""#,
    );
    check(
        "SHOP-1 #comment with #123 and a#b inside",
        r##"SHOP-1 comment "with #123 and a#b inside""##,
    );
    check("SHOP-1 #comment  padded  \r\n", r#"SHOP-1 comment "padded""#);
}

#[test]
fn which_keys_a_command_applies_to() {
    // Keys inside a command's text are text.
    check(
        "SHOP-1 #comment see SHOP-9 #resolve",
        r#"SHOP-1 comment "see SHOP-9" | SHOP-1 transition resolve """#,
    );
    // Each line's own keys first; a line without keys continues the last group.
    check(
        "SHOP-1 #comment a\nSHOP-2 #comment b\n#comment c",
        r#"SHOP-1 comment "a" | SHOP-2 comment "b" | SHOP-2 comment "c""#,
    );
    // A line that only mentions keys changes the group too.
    check(
        "SHOP-1 #comment a\nAlso touches SHOP-2\n#time 1h",
        r#"SHOP-1 comment "a" | SHOP-2 time 1h = 3600s """#,
    );
    check("SHOP-1 Cart\n\n#resolve", r#"SHOP-1 transition resolve """#);
    // With a `#` prefix, keys are not commands.
    let hash = matcher(None, Some("#"), &[]);
    assert_eq!(smart(&extract("#SHOP-1 #comment hi", &hash)), r#"SHOP-1 comment "hi""#);
    // Keys refused by the matcher do not make a group.
    let m = matcher(None, None, &["SHOP"]);
    assert_eq!(
        smart(&extract("OPS-1 #resolve\nSHOP-1 OPS-2 #close", &m)),
        r#"SHOP-1 transition close """#
    );
}

#[test]
fn ignored_commands_say_why() {
    check(
        "SHOP-1 #comment",
        "SHOP-1 ignored: `#comment` needs the comment text after it on the same line",
    );
    check(
        "SHOP-1 #comment   #resolve",
        r#"SHOP-1 transition resolve "" | SHOP-1 ignored: `#comment` needs the comment text after it on the same line"#,
    );
    check(
        "SHOP-1 #time soon",
        "SHOP-1 ignored: `#time` needs the time spent after it, such as `1w 2d 4h 30m`",
    );
    check(
        "SHOP-1 #time 0h",
        "SHOP-1 ignored: `#time` needs the time spent after it, such as `1w 2d 4h 30m`",
    );
    check(
        "SHOP-1 #time",
        "SHOP-1 ignored: `#time` needs the time spent after it, such as `1w 2d 4h 30m`",
    );
}

#[test]
fn spans_cover_the_command() {
    let text = "SHOP-1 #comment hi  #resolve  ";
    let refs = extract(text, &Matcher::default());
    let spans: Vec<&str> = refs.commands.iter().map(|c| &text[c.span.clone()]).collect();
    assert_eq!(spans, ["#comment hi", "#resolve"]);
}

fn check_transition(command: &str, names: &[&str], expect: TransitionMatch) {
    assert_eq!(
        match_transition(command, names.iter().copied()),
        expect,
        "#{command} among {names:?}"
    );
}

#[test]
fn transition_names() {
    use TransitionMatch::{Ambiguous, NoMatch, Unique};
    let workflow = ["Start Progress", "Start Review", "Resolve Issue", "Close Issue", "Done"];
    check_transition("resolve", &workflow, Unique(2));
    check_transition("close", &workflow, Unique(3));
    check_transition("start", &workflow, Ambiguous(vec![0, 1]));
    check_transition("start-review", &workflow, Unique(1));
    check_transition("Start-Progress", &workflow, Unique(0));
    check_transition("start-r", &workflow, Unique(1));
    check_transition("done", &workflow, Unique(4));
    check_transition("reopen", &workflow, NoMatch);
    check_transition("", &workflow, NoMatch);
    check_transition("start-progress-now", &workflow, NoMatch);
    // An exact name wins over the longer names it is a prefix of.
    check_transition("done", &["Done later", "Done", "Done now"], Unique(1));
    check_transition("done", &["Done", "done"], Ambiguous(vec![0, 1]));
    check_transition("finish", &["Finish  work"], Unique(0));
    check_transition("finish-work", &["finish work"], Unique(0));
    check_transition("re-open", &["Re-open"], Unique(0));
    check_transition("erledigt", &["Erledigt"], Unique(0));
}
