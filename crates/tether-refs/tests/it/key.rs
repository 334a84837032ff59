//! `IssueKey` and `ProjectKey`: strict and lenient parsing, accessors, order, serde.

use std::collections::{BTreeSet, HashSet};

use tether_refs::{IssueKey, KeyError, ProjectKey};

/// `PROJECT NUMBER` for a key, or the kind of error.
fn render(r: Result<IssueKey, KeyError>) -> String {
    match r {
        Ok(k) => format!("{} {}", k.project(), k.number()),
        Err(e) => kind(&e).to_owned(),
    }
}

fn kind(e: &KeyError) -> &'static str {
    match e {
        KeyError::Shape(_) => "err shape",
        KeyError::Project(_) => "err project",
        KeyError::ProjectTooLong(_) => "err too long",
        KeyError::Number(_) => "err number",
    }
}

fn check(input: &str, expect: &str) {
    assert_eq!(render(IssueKey::parse(input)), expect, "IssueKey::parse({input:?})");
    if let Ok(k) = IssueKey::parse(input) {
        assert_eq!(k.to_string(), input, "display round-trips");
        assert_eq!(input.parse::<IssueKey>().as_ref(), Ok(&k), "FromStr is parse");
    }
}

fn check_user(input: &str, expect: &str) {
    let got = match IssueKey::parse_user_input(input) {
        Ok(k) => k.to_string(),
        Err(e) => kind(&e).to_owned(),
    };
    assert_eq!(got, expect, "IssueKey::parse_user_input({input:?})");
}

#[test]
fn strict_parse() {
    check("PROJ-123", "PROJ 123");
    check("AB-1", "AB 1");
    check("R2D2-7", "R2D2 7");
    check("MY_EXAMPLE_PROJECT-42", "MY_EXAMPLE_PROJECT 42");
    check("A1_-9", "A1_ 9");
    check("PROJ-9223372036854775807", "PROJ 9223372036854775807");
    // One-letter project keys: Jira's default pattern and Cloud need two or more.
    check("A-1", "err project");
    check("2013PROJECT-1", "err project");
    check("_AB-1", "err project");
    check("proj-1", "err project");
    check("Proj-1", "err project");
    check("PRÖJ-1", "err project");
    check("PR J-1", "err project");
    check("PROJ-0", "err number");
    check("PROJ-007", "err number");
    check("PROJ-1x", "err number");
    check("PROJ-1-2", "err number");
    check("PROJ-+1", "err number");
    check("PROJ-9223372036854775808", "err number");
    check("PROJ-99999999999999999999", "err number");
    check("PROJ--1", "err number");
    check("PROJ", "err shape");
    check("PROJ-", "err shape");
    check("-1", "err shape");
    check("", "err shape");
    check(" PROJ-1", "err project");
    check("PROJ-1 ", "err number");
}

#[test]
fn project_key_length_limit() {
    let longest = format!("A{}", "B".repeat(254));
    check(&format!("{longest}-1"), &format!("{longest} 1"));
    check(&format!("{longest}C-1"), "err too long");
    assert!(ProjectKey::parse(&longest).is_ok());
    assert!(matches!(ProjectKey::parse(&format!("{longest}C")), Err(KeyError::ProjectTooLong(_))));
}

#[test]
fn user_input_is_trimmed_and_upper_cased() {
    check_user("shop-1 ", "SHOP-1");
    check_user("  Shop-12\n", "SHOP-12");
    check_user("SHOP-1", "SHOP-1");
    check_user("r2d2-3", "R2D2-3");
    check_user("shop - 1", "err project");
    // Leading zeros can only mean the one issue.
    check_user("shop-01", "SHOP-1");
    check_user("shop-00", "err number");
    check_user("shop-0", "err number");
    check_user("s-1", "err project");
    check_user("", "err shape");
    // Only ASCII letters are upper-cased: `ö` stays and is refused.
    check_user("pröj-1", "err project");
}

#[test]
fn project_keys() {
    let ok = |s: &str| ProjectKey::parse(s).map(|p| p.to_string()).map_err(|e| kind(&e));
    assert_eq!(ok("PROJ"), Ok("PROJ".into()));
    assert_eq!(ok("R2_D2"), Ok("R2_D2".into()));
    assert_eq!(ok("P"), Err("err project"));
    assert_eq!(ok("proj"), Err("err project"));
    assert_eq!(ok("PRO-J"), Err("err project"));
    assert_eq!(ok("1PROJ"), Err("err project"));
    assert_eq!(ProjectKey::parse_user_input(" shop ").map(|p| p.to_string()), Ok("SHOP".into()));
    let key = IssueKey::parse("SHOP-12").unwrap();
    assert_eq!(key.project_key(), ProjectKey::parse("SHOP").unwrap());
    assert_eq!(IssueKey::new(&key.project_key(), 12), Ok(key));
    assert!(matches!(
        IssueKey::new(&ProjectKey::parse("SHOP").unwrap(), 0),
        Err(KeyError::Number(_))
    ));
}

#[test]
fn order_is_by_project_then_number() {
    let keys: BTreeSet<IssueKey> = ["B-2", "AB-10", "AB-9", "AB_C-1", "AB-100", "ABC-1"]
        .iter()
        .filter_map(|k| k.parse().ok())
        .collect();
    let sorted: Vec<&str> = keys.iter().map(IssueKey::as_str).collect();
    // `B-2` is not a key; numbers compare as numbers, projects as text.
    assert_eq!(sorted, ["AB-9", "AB-10", "AB-100", "ABC-1", "AB_C-1"]);
}

#[test]
fn sets_of_keys_answer_str_queries() {
    let set: HashSet<IssueKey> = ["PROJ-1", "PROJ-2"].iter().map(|k| k.parse().unwrap()).collect();
    assert!(set.contains("PROJ-1"));
    assert!(!set.contains("PROJ-3"));
}

#[test]
fn serde_is_the_key_string_and_refuses_invalid_keys() {
    let key: IssueKey = "PROJ-12".parse().unwrap();
    assert_eq!(serde_json::to_string(&key).unwrap(), r#""PROJ-12""#);
    assert_eq!(serde_json::from_str::<IssueKey>(r#""PROJ-12""#).unwrap(), key);
    let err = |json: &str| serde_json::from_str::<IssueKey>(json).unwrap_err().to_string();
    assert!(err(r#""proj-12""#).contains("is not a Jira project key"), "{}", err(r#""proj-12""#));
    assert!(err(r#""PROJ-012""#).contains("issue number"), "{}", err(r#""PROJ-012""#));
    assert!(err("12").contains("a Jira issue key"), "{}", err("12"));
    let project: ProjectKey = serde_json::from_str(r#""SHOP""#).unwrap();
    assert_eq!(serde_json::to_string(&project).unwrap(), r#""SHOP""#);
    assert!(serde_json::from_str::<ProjectKey>(r#""S""#).is_err());
}

#[test]
fn error_messages_say_what_a_key_looks_like_and_cut_long_input() {
    let e = IssueKey::parse("PROJ").unwrap_err().to_string();
    assert_eq!(
        e,
        "`PROJ` is not an issue key: expected a project key, `-` and a number, like `PROJ-123`"
    );
    let e = IssueKey::parse(&"x".repeat(1000)).unwrap_err().to_string();
    assert!(e.contains(&format!("`{}…`", "x".repeat(40))), "{e}");
    let e = IssueKey::parse("PROJ-01").unwrap_err().to_string();
    assert!(e.contains("without leading zeros"), "{e}");
}
