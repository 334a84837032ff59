//! JQL unit tests: one line per case, the query and what it should give.

use super::{Caller, compile, parse};
use crate::config::{SandboxConfig, UserSpec};
use crate::state::{Board, BoardKind, NewIssue, Sprint, SprintState, State, Version};
use crate::text::Body;

/// Parses `input`; `expected` is "ok" or a fragment of the error message.
fn check_parse(input: &str, expected: &str) {
    match (parse(input), expected) {
        (Ok(_), "ok") => {}
        (Ok(q), _) => panic!("{input:?} parsed as {q:?}, expected error containing {expected:?}"),
        (Err(e), "ok") => panic!("{input:?} failed: {e}"),
        (Err(e), _) => assert!(e.0.contains(expected), "{input:?}: {e} lacks {expected:?}"),
    }
}

#[test]
fn parses() {
    let cases: &[(&str, &str)] = &[
        ("", "ok"),
        ("project = DEMO", "ok"),
        ("project = \"DEMO\" AND labels = x", "ok"),
        (
            "project in (\"A\",\"B\") AND labels = \"x\" AND statusCategory != Done ORDER BY created DESC",
            "ok",
        ),
        ("(summary ~ \"q\" OR description ~ \"q\") and not assignee is empty", "ok"),
        ("assignee = currentUser() order by key asc, updated desc", "ok"),
        ("updated >= 1706695200000 && status != Done || key = DEMO-1", "ok"),
        ("ORDER BY created", "ok"),
        ("project = INT", "'INT' is a reserved JQL word"),
        ("project = DEMO AND", "Expecting a field name but got 'EOF'"),
        ("project DEMO", "Expecting operator but got 'DEMO'"),
        (
            "project = DEMO foo",
            "Expecting either 'OR' or 'AND' but got 'foo'. (line 1, character 16)",
        ),
        ("summary ~ \"unterminated", "The quoted string has not been completed"),
        ("(project = DEMO", "Expecting ')' but got 'EOF'"),
        ("labels is foo", "Expecting 'EMPTY' or 'NULL'"),
        ("project in DEMO", "Expecting '(' but got 'DEMO'"),
        ("project = DEMO ORDER created", "Expecting 'by'"),
        ("sprint in openSprints() and issuetype in subTaskIssueTypes()", "ok"),
        ("\"Epic Link\" = DEMO-1", "ok"),
    ];
    for (input, expected) in cases {
        check_parse(input, expected);
    }
}

fn world() -> State {
    let mut config = SandboxConfig::default();
    let mut berlin = UserSpec::named("berlin", "Berta Berlin");
    berlin.utc_offset_minutes = 60;
    config.users.push(berlin);
    config.users.push(UserSpec::named("bob", "Bob Brown"));
    let mut s = State::new(&config).expect("config");
    let t = 1_706_695_200_000; // 2024-01-31T10:00Z
    let issues: &[(&str, &[&str], Option<usize>, i64)] = &[
        ("Fix login page", &["backend", "security"], Some(0), t),
        ("Add dark mode", &["frontend"], None, t + 3_600_000),
        ("Speed up search index", &[], Some(2), t + 7_200_000),
    ];
    for (summary, labels, assignee, created) in issues {
        s.create_issue(
            NewIssue {
                project: 0,
                issue_type: 1,
                summary: (*summary).to_owned(),
                description: Some(Body::Wiki(format!("About {summary}"))),
                labels: labels.iter().map(|l| (*l).to_owned()).collect(),
                reporter: Some(0),
                assignee: *assignee,
                priority: None,
            },
            0,
            *created,
        );
    }
    let done = s.status_in_project(0, "Done");
    s.apply_status(2, done, Some(0), Some(0), t + 10_800_000);
    // SAND-3 is an epic with SAND-1 in it; SAND-2 a sub-task of SAND-1, in High.
    s.issues[2].issue_type = 0;
    s.issues[0].parent = Some("SAND-3".into());
    s.issues[1].issue_type = 4;
    s.issues[1].parent = Some("SAND-1".into());
    s.issues[1].priority = Some(1);
    // A closed sprint held SAND-1, which carried over into the active one with SAND-2.
    s.boards.push(Board { id: 7, name: "SAND board".into(), kind: BoardKind::Scrum, project: 0 });
    let sprint = |id, name: &str, state| Sprint {
        id,
        board: 0,
        number: id,
        name: name.into(),
        state,
        start: None,
        end: None,
        complete: None,
        goal: String::new(),
    };
    s.sprints.push(sprint(1, "Sprint 1", SprintState::Closed));
    s.sprints.push(sprint(2, "Sprint 2", SprintState::Active));
    s.issues[0].sprints = vec![0, 1];
    s.issues[1].sprints = vec![1];
    s.versions.push(Version {
        id: 10500,
        name: "1.0".into(),
        project: 0,
        released: true,
        raw: None,
    });
    s.issues[2].fix_versions = vec![0];
    s
}

/// Runs `jql` as `user`; `expected` is the keys in order, or an error fragment prefixed `!`.
fn check(s: &State, user: usize, jql: &str, expected: &str) {
    let caller = Caller {
        user,
        utc_offset_minutes: s.users[user].spec.utc_offset_minutes,
        now: 1_706_800_000_000,
    };
    let got = match compile(jql, s, caller) {
        Ok(c) => c.run(s).iter().map(|&i| s.issues[i].key.as_str()).collect::<Vec<_>>().join(" "),
        Err(e) => format!("!{}", e.0),
    };
    if let Some(frag) = expected.strip_prefix('!') {
        assert!(
            got.starts_with('!') && got.contains(frag),
            "{jql:?}: got {got:?}, want error {frag:?}"
        );
    } else {
        assert_eq!(got, expected, "{jql:?}");
    }
}

#[test]
fn evaluates() {
    let s = world();
    let cases: &[(usize, &str, &str)] = &[
        (0, "", "SAND-3 SAND-2 SAND-1"),
        (0, "project = SAND ORDER BY created ASC", "SAND-1 SAND-2 SAND-3"),
        (0, "project = sand order by key desc", "SAND-3 SAND-2 SAND-1"),
        (0, "key = SAND-2", "SAND-2"),
        (0, "key in (SAND-1, SAND-3) order by key", "SAND-1 SAND-3"),
        (0, "key > SAND-1 order by key", "SAND-2 SAND-3"),
        (0, "issuekey <= SAND-2 order by key", "SAND-1 SAND-2"),
        (0, "status = Done", "SAND-3"),
        (0, "status != Done order by key", "SAND-1 SAND-2"),
        (0, "statusCategory = done", "SAND-3"),
        (0, "statusCategory in (\"To Do\", indeterminate) order by key", "SAND-1 SAND-2"),
        (0, "labels = backend", "SAND-1"),
        (0, "labels != backend", "SAND-2"),
        (0, "labels in (frontend, security) order by key", "SAND-1 SAND-2"),
        (0, "labels not in (frontend)", "SAND-1"),
        (0, "labels is empty", "SAND-3"),
        (0, "labels is not EMPTY order by key", "SAND-1 SAND-2"),
        (0, "assignee = currentUser()", "SAND-1"),
        (0, "assignee = bob", "SAND-3"),
        (0, "assignee != admin", "SAND-3"),
        (0, "assignee is EMPTY", "SAND-2"),
        (0, "assignee in (EMPTY, bob) order by key", "SAND-2 SAND-3"),
        (0, "reporter = \"admin@sandbox.test\" order by key", "SAND-1 SAND-2 SAND-3"),
        (0, "issuetype = Task order by key", "SAND-1"),
        (0, "issuetype in subTaskIssueTypes()", "SAND-2"),
        (0, "issuetype in standardIssueTypes() order by key", "SAND-1 SAND-3"),
        (0, "type = Epic", "SAND-3"),
        (0, "priority = High", "SAND-2"),
        (0, "priority in (Medium, 1) order by key", "SAND-1 SAND-3"),
        (0, "project = SAND order by priority desc, key", "SAND-2 SAND-1 SAND-3"),
        (0, "sprint = 2 order by key", "SAND-1 SAND-2"),
        (0, "sprint = \"Sprint 1\"", "SAND-1"),
        (0, "sprint in openSprints() order by key", "SAND-1 SAND-2"),
        (0, "sprint in closedSprints()", "SAND-1"),
        (0, "sprint is EMPTY", "SAND-3"),
        (0, "sprint != 1 order by key", "SAND-2"),
        (0, "fixVersion = \"1.0\"", "SAND-3"),
        (0, "fixVersion is empty order by key", "SAND-1 SAND-2"),
        (0, "parent = SAND-1", "SAND-2"),
        (0, "parent in (SAND-3, SAND-1) order by key", "SAND-1 SAND-2"),
        (0, "\"Epic Link\" = SAND-3", "SAND-1"),
        (0, "\"epic link\" is empty order by key", "SAND-2 SAND-3"),
        (0, "sprint = 99", "!The value '99' does not exist for the field 'sprint'."),
        (0, "sprint in upcomingSprints()", "!Unable to find JQL function 'upcomingSprints()'."),
        (0, "parent = SAND-99", "!An issue with key 'SAND-99' does not exist for field 'parent'."),
        (0, "resolution = Unresolved order by key", "SAND-1 SAND-2"),
        (0, "resolution = Done", "SAND-3"),
        (0, "created >= 1706698800000 order by key", "SAND-2 SAND-3"),
        (0, "created < 1706698800000", "SAND-1"),
        (0, "created >= \"2024/01/31 11:00\" order by key", "SAND-2 SAND-3"),
        // The same literal read in UTC+1 is an hour earlier.
        (1, "created >= \"2024/01/31 11:00\" order by key", "SAND-1 SAND-2 SAND-3"),
        (
            0,
            "created >= \"2024-01-31\" and created < \"2024-02-01\" order by key",
            "SAND-1 SAND-2 SAND-3",
        ),
        (0, "updated > \"2024/01/31 12:30\"", "SAND-3"),
        (0, "updated >= -2d order by key", "SAND-1 SAND-2 SAND-3"),
        (0, "summary ~ login", "SAND-1"),
        (0, "summary ~ \"LOG*\"", "SAND-1"),
        (0, "summary ~ \"dark mode\"", "SAND-2"),
        (0, "summary !~ dark order by key", "SAND-1 SAND-3"),
        (0, "description ~ \"about speed\"", "SAND-3"),
        (0, "text ~ search", "SAND-3"),
        (0, "summary ~ \"\\\"mode add\\\"\"", ""),
        (0, "not (labels = backend or assignee is empty)", "SAND-3"),
        (
            0,
            "labels = frontend or labels = backend and assignee = admin order by key",
            "SAND-1 SAND-2",
        ),
        (0, "project = NOPE", "!The value 'NOPE' does not exist for the field 'project'."),
        (0, "status = Sleeping", "!The value 'Sleeping' does not exist for the field 'status'."),
        (0, "key = SAND-99", "!An issue with key 'SAND-99' does not exist for field 'key'."),
        (0, "colour = red", "!Field 'colour' does not exist"),
        (0, "status > Done", "!The operator '>' is not supported by the 'status' field."),
        (0, "summary = login", "!The operator '=' is not supported by the 'summary' field."),
        (0, "project ~ SAND", "!The operator '~' is not supported by the 'project' field."),
        (0, "created > yesterday", "!Date value 'yesterday' for field 'created' is invalid."),
        (0, "assignee = membersOf(x)", "!Unable to find JQL function 'membersOf()'."),
        (0, "order by labels", "!Field 'labels' does not support sorting."),
        (0, "summary ~ \"\"", "!does not support searching for an empty string"),
    ];
    for (user, jql, expected) in cases {
        check(&s, *user, jql, expected);
    }
}
