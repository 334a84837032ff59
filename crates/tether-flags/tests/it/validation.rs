//! Validation errors, one case a line; expectations refresh with `UPDATE_EXPECT=1`.

use expect_test::{Expect, expect};
use serde_json::json;
use tether_flags::{
    Clause, CustomProperty, EnvConfig, Flag, FlagKind, JIRA_ISSUES_PROPERTY, Op, Rollout, Segment,
    Serve, Snapshot, Target, ValidationError, WeightedVariation, validate_env_config,
    validate_flag, validate_segment,
};

use crate::support::{bool_flag, config, flag, rollout, rule, segment};

fn render(result: Result<(), Vec<ValidationError>>) -> String {
    match result {
        Ok(()) => "ok".to_owned(),
        Err(errors) => errors
            .iter()
            .map(|e| format!("{e} [{}]", e.problem.code()))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

#[track_caller]
fn check_flag(edit: impl FnOnce(&mut Flag), expected: Expect) {
    let mut f = bool_flag("f");
    edit(&mut f);
    expected.assert_eq(&render(validate_flag(&f)));
}

#[track_caller]
fn check_config(edit: impl FnOnce(&mut EnvConfig), expected: Expect) {
    let f =
        flag("f", FlagKind::String, &[("on", json!("a")), ("off", json!("b")), ("x", json!("c"))]);
    let mut c = config();
    edit(&mut c);
    expected.assert_eq(&render(validate_env_config(&f, &c, |s| s == "beta")));
}

#[track_caller]
fn check_segment(edit: impl FnOnce(&mut Segment), expected: Expect) {
    let mut s = segment("beta", &["alice"], &[], vec![]);
    edit(&mut s);
    expected.assert_eq(&render(validate_segment(&s)));
}

fn rule_with(clause: Clause) -> tether_flags::Rule {
    rule("r", vec![clause], Serve::variation("on"))
}

fn jira(values: &[&str]) -> (String, CustomProperty) {
    let values = values.iter().map(|s| (*s).to_owned()).collect();
    (JIRA_ISSUES_PROPERTY.to_owned(), CustomProperty { name: "Jira issues".into(), values })
}

#[test]
#[rustfmt::skip] // one case a line
fn flag_definitions() {
    check_flag(|_| {}, expect!["ok"]);
    check_flag(|f| f.key = String::new(), expect!["key: must not be empty [empty]"]);
    check_flag(|f| f.key = "new checkout".into(), expect!["key: may contain only ASCII letters, digits, '.', '_' and '-' [invalid_key]"]);
    check_flag(|f| f.name = " ".into(), expect!["name: must not be empty [empty]"]);
    check_flag(|f| f.variations.clear(), expect!["variations: must not be empty [empty]"]);
    check_flag(|f| f.variations[1].key = "on".into(), expect![[r#"variations[1].key: duplicate "on" [duplicate]"#]]);
    check_flag(|f| f.variations[0].value = json!("yes"), expect!["variations[0].value: value is not of the flag's kind, boolean [wrong_kind]"]);
    check_flag(|f| f.kind = FlagKind::String, expect!["variations[0].value: value is not of the flag's kind, string [wrong_kind]; variations[1].value: value is not of the flag's kind, string [wrong_kind]"]);
    check_flag(|f| f.kind = FlagKind::Number, expect!["variations[0].value: value is not of the flag's kind, number [wrong_kind]; variations[1].value: value is not of the flag's kind, number [wrong_kind]"]);
    check_flag(|f| f.kind = FlagKind::Json, expect!["ok"]);
    check_flag(|f| f.tags = vec!["ok".into(), "".into()], expect!["tags[1]: must not be empty [empty]"]);
    check_flag(|f| f.custom_properties.extend([jira(&["PROJ-12", "A1_B-7"])]), expect!["ok"]);
    check_flag(|f| f.custom_properties.extend([jira(&["proj-1", "PROJ-012", "PROJ-", "1A-2"])]), expect![[r#"custom_properties["jira.issues"].values[0]: invalid Jira issue key "proj-1" [invalid_issue_key]; custom_properties["jira.issues"].values[1]: invalid Jira issue key "PROJ-012" [invalid_issue_key]; custom_properties["jira.issues"].values[2]: invalid Jira issue key "PROJ-" [invalid_issue_key]; custom_properties["jira.issues"].values[3]: invalid Jira issue key "1A-2" [invalid_issue_key]"#]]);
    check_flag(|f| f.custom_properties.insert("owner".into(), CustomProperty { name: "o".into(), values: vec!["any thing".into()] }).map_or((), drop), expect!["ok"]);
}

#[test]
fn flag_jira_issues() {
    let mut f = bool_flag("f");
    assert!(f.jira_issues().is_empty());
    f.custom_properties.extend([jira(&["PROJ-1", "PROJ-2"])]);
    assert_eq!(f.jira_issues(), ["PROJ-1", "PROJ-2"]);
}

#[test]
#[rustfmt::skip] // one case a line
fn env_configs() {
    check_config(|_| {}, expect!["ok"]);
    check_config(|c| c.off_variation = "nope".into(), expect![[r#"off_variation: unknown variation "nope" [unknown_variation]"#]]);
    check_config(|c| c.default_rule = Serve::variation("nope"), expect![[r#"default_rule.variation: unknown variation "nope" [unknown_variation]"#]]);
    check_config(|c| c.targets = vec![Target { variation: "nope".into(), keys: vec!["a".into()] }], expect![[r#"targets[0].variation: unknown variation "nope" [unknown_variation]"#]]);
    check_config(|c| c.targets = vec![Target { variation: "on".into(), keys: vec!["a".into()] }, Target { variation: "x".into(), keys: vec!["b".into(), "a".into(), "".into()] }], expect![[r#"targets[1].keys[1]: key "a" is already targeted [duplicate_target]; targets[1].keys[2]: must not be empty [empty]"#]]);
    check_config(|c| c.rules = vec![rule("r", vec![], Serve::variation("on")), rule("r", vec![], Serve::variation("on")), rule("", vec![], Serve::variation("on"))], expect![[r#"rules[1].id: duplicate "r" [duplicate]; rules[2].id: must not be empty [empty]"#]]);
    check_config(|c| c.default_rule = rollout(&[("on", 50_000), ("off", 49_999)], "s"), expect!["default_rule.rollout.variations: weights sum to 99999, not 100000 [weight_sum]"]);
    check_config(|c| c.default_rule = rollout(&[("on", u32::MAX), ("off", u32::MAX)], "s"), expect!["default_rule.rollout.variations: weights sum to 8589934590, not 100000 [weight_sum]"]);
    check_config(|c| c.default_rule = rollout(&[], "s"), expect!["default_rule.rollout.variations: must not be empty [empty]"]);
    check_config(|c| c.default_rule = rollout(&[("on", 50_000), ("nope", 50_000)], "s"), expect![[r#"default_rule.rollout.variations[1].variation: unknown variation "nope" [unknown_variation]"#]]);
    check_config(|c| c.default_rule = rollout(&[("on", 50_000), ("on", 50_000)], "s"), expect![[r#"default_rule.rollout.variations[1].variation: duplicate "on" [duplicate]"#]]);
    check_config(|c| c.default_rule = rollout(&[("on", 0), ("off", 100_000)], ""), expect!["ok"]);
    check_config(|c| c.default_rule = Serve::Rollout(Rollout { variations: vec![WeightedVariation { variation: "on".into(), weight: 100_000 }], bucket_by: Some("org..id".into()), salt: String::new() }), expect![[r#"default_rule.rollout.bucket_by: invalid attribute path "org..id": no empty parts, at most 32 of them [invalid_attribute]"#]]);
    check_config(|c| c.rules = vec![rule("r", vec![], rollout(&[("on", 1)], "s"))], expect!["rules[0].serve.rollout.variations: weights sum to 1, not 100000 [weight_sum]"]);
}

#[test]
#[rustfmt::skip] // one case a line
fn clause_operands() {
    check_config(|c| c.rules = vec![rule_with(Clause::attribute("a", Op::Matches("(unclosed".into())))], expect![[r#"
        rules[0].clauses[0].op: invalid regular expression: regex parse error:
            (unclosed
            ^
        error: unclosed group [invalid_regex]"#]]);
    check_config(|c| c.rules = vec![rule_with(Clause::attribute("a", Op::Matches("a{1000}{1000}".into())))], expect!["rules[0].clauses[0].op: invalid regular expression: Compiled regex exceeds size limit of 1048576 bytes. [invalid_regex]"]);
    check_config(|c| c.rules = vec![rule_with(Clause::attribute("a", Op::SemverLess("1.2.3.4".into())))], expect![[r#"rules[0].clauses[0].op: invalid semantic version "1.2.3.4" [invalid_semver]"#]]);
    check_config(|c| c.rules = vec![rule_with(Clause::attribute("a", Op::SemverGreater("1.2".into())))], expect!["ok"]);
    check_config(|c| c.rules = vec![rule_with(Clause::attribute("a", Op::Before(json!("2024-02-30T00:00:00Z"))))], expect![[r#"rules[0].clauses[0].op: invalid date "2024-02-30T00:00:00Z": expected an RFC 3339 string or epoch milliseconds [invalid_date]"#]]);
    check_config(|c| c.rules = vec![rule_with(Clause::attribute("a", Op::After(json!(true))))], expect!["rules[0].clauses[0].op: invalid date true: expected an RFC 3339 string or epoch milliseconds [invalid_date]"]);
    check_config(|c| c.rules = vec![rule_with(Clause::attribute("a", Op::After(json!(0))))], expect!["ok"]);
    check_config(|c| c.rules = vec![rule_with(Clause::attribute("a", Op::NumberLess(f64::NAN)))], expect!["rules[0].clauses[0].op: must be a finite number [not_finite]"]);
    check_config(|c| c.rules = vec![rule_with(Clause::attribute("a", Op::NumberGreater(f64::INFINITY)))], expect!["rules[0].clauses[0].op: must be a finite number [not_finite]"]);
    check_config(|c| c.rules = vec![rule_with(Clause::attribute("a", Op::Equals(json!({"x": 1}))))], expect!["rules[0].clauses[0].op: must be a string, number or boolean [not_scalar]"]);
    check_config(|c| c.rules = vec![rule_with(Clause::attribute("a", Op::In(vec![json!("x"), json!(null)])))], expect!["rules[0].clauses[0].op: must be a string, number or boolean [not_scalar]"]);
    check_config(|c| c.rules = vec![rule_with(Clause::attribute("", Op::Equals(json!("x"))))], expect![[r#"rules[0].clauses[0].attribute: invalid attribute path "": no empty parts, at most 32 of them [invalid_attribute]"#]]);
    check_config(|c| c.rules = vec![rule_with(Clause::attribute("a.", Op::Equals(json!("x"))))], expect![[r#"rules[0].clauses[0].attribute: invalid attribute path "a.": no empty parts, at most 32 of them [invalid_attribute]"#]]);
    check_config(|c| c.rules = vec![rule_with(Clause::attribute(vec!["a"; 33].join("."), Op::Equals(json!("x"))))], expect![[r#"rules[0].clauses[0].attribute: invalid attribute path "a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a": no empty parts, at most 32 of them [invalid_attribute]"#]]);
    check_config(|c| c.rules = vec![rule_with(Clause::in_segment(["beta"]))], expect!["ok"]);
    check_config(|c| c.rules = vec![rule_with(Clause::in_segment(["beta", "gamma"]))], expect![[r#"rules[0].clauses[0].segments[1]: unknown segment "gamma" [unknown_segment]"#]]);
    check_config(|c| c.rules = vec![rule_with(Clause::in_segment(Vec::<String>::new()))], expect!["rules[0].clauses[0].segments: must not be empty [empty]"]);
}

#[test]
#[rustfmt::skip] // one case a line
fn segments() {
    check_segment(|_| {}, expect!["ok"]);
    check_segment(|s| s.key = "be ta".into(), expect!["key: may contain only ASCII letters, digits, '.', '_' and '-' [invalid_key]"]);
    check_segment(|s| s.rules = segment("x", &[], &[], vec![vec![Clause::in_segment(["other"])]]).rules, expect!["rules[0].clauses[0]: segment rules cannot test segment membership [nested_segment]"]);
    check_segment(|s| s.rules = segment("x", &[], &[], vec![vec![], vec![]]).rules.into_iter().map(|mut r| { r.id = "same".into(); r }).collect(), expect![[r#"rules[1].id: duplicate "same" [duplicate]"#]]);
    check_segment(|s| s.rules = segment("x", &[], &[], vec![vec![Clause::attribute("a", Op::Matches("[".into()))]]).rules, expect![[r#"
        rules[0].clauses[0].op: invalid regular expression: regex parse error:
            [
            ^
        error: unclosed character class [invalid_regex]"#]]);
}

#[test]
fn snapshot_issues() {
    let bad_segment =
        segment("beta", &[], &[], vec![vec![Clause::attribute("a", Op::Matches("[".into()))]]);
    let good_segment = segment("staff", &[], &[], vec![]);
    let uses_beta = EnvConfig { rules: vec![rule_with(Clause::in_segment(["beta"]))], ..config() };
    let uses_staff =
        EnvConfig { rules: vec![rule_with(Clause::in_segment(["staff"]))], ..config() };
    let mut bad_flag = bool_flag("bad");
    bad_flag.variations[0].value = json!(1);
    let c = config();
    let flags = [(bool_flag("a"), uses_beta), (bool_flag("b"), uses_staff), (bad_flag, c)];
    let segments = [bad_segment, good_segment.clone(), good_segment];
    let snapshot = Snapshot::build(1, flags.iter().map(|(f, c)| (f, c)), &segments);
    let issues: Vec<String> = snapshot.issues().iter().map(ToString::to_string).collect();
    expect![[r#"
        segment "beta": rules[0].clauses[0].op: invalid regular expression: regex parse error:
            [
            ^
        error: unclosed character class
        segment "staff": key: duplicate "staff"
        flag "a": rules[0].clauses[0].segments[0]: segment "beta" is itself invalid
        flag "bad": variations[0].value: value is not of the flag's kind, boolean"#]]
    .assert_eq(&issues.join("\n"));
}

#[test]
#[rustfmt::skip] // one case a line
fn descriptions_and_tags_need_length_caps() {
    // Reported: 900 KB descriptions and 20,000 tags were accepted.
    use tether_flags::limits;
    check_flag(|f| f.description = "d".repeat(limits::DESCRIPTION), expect!["ok"]);
    check_flag(|f| f.description = "d".repeat(900_000), expect!["description: is too long: at most 10000 characters [too_long]"]);
    check_flag(|f| f.name = "n".repeat(201), expect!["name: is too long: at most 200 characters [too_long]"]);
    check_flag(|f| f.tags = (0..20_000).map(|i| format!("t{i}")).take(51).collect(), expect!["tags: has too many items: at most 50 [too_many]"]);
    check_flag(|f| f.tags = vec!["t".repeat(65)], expect!["tags[0]: is too long: at most 64 characters [too_long]"]);
    check_flag(|f| f.variations[0].name = "v".repeat(201), expect!["variations[0].name: is too long: at most 200 characters [too_long]"]);
    check_flag(|f| { f.custom_properties.insert("p".into(), CustomProperty { name: "P".into(), values: vec!["x".repeat(1_001)] }); }, expect![[r#"custom_properties["p"].values[0]: is too long: at most 1000 characters [too_long]"#]]);
}
