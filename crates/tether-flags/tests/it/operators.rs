//! Every clause operator, attribute paths and arrays, and the missing-attribute rule.

use serde_json::{Value, json};
use tether_flags::{Clause, EnvConfig, Op, Segment, Serve, Snapshot};

use crate::support::{bool_flag, config, eval_one, rule, segment};

/// Whether `clause` matches `ctx`: a one-rule flag serving `on` when it does.
fn matches(clause: Clause, segments: &[Segment], ctx: &Value) -> bool {
    let c = EnvConfig {
        rules: vec![rule("r", vec![clause], Serve::variation("on"))],
        default_rule: Serve::variation("off"),
        ..config()
    };
    let out = eval_one(&bool_flag("f"), &c, segments, ctx);
    match out.as_str() {
        "TARGETING_MATCH rule r#0 on=true" => true,
        "DEFAULT off=false" => false,
        other => panic!("unexpected evaluation {other}"),
    }
}

/// `op` on attribute `a` holding `value`; the negated clause must give the opposite,
/// except when there is no value at all (then neither matches).
#[track_caller]
fn check(op: Op, value: Value, expected: bool) {
    let ctx = json!({"targetingKey": "k", "a": value});
    let plain = matches(Clause::attribute("a", op.clone()), &[], &ctx);
    let negated = matches(Clause::attribute("a", op.clone()).negated(), &[], &ctx);
    assert_eq!(plain, expected, "{op:?} on {value}");
    let missing = match &value {
        Value::Null => true,
        Value::Array(items) => items.iter().all(Value::is_null),
        _ => false,
    };
    assert_eq!(negated, !expected && !missing, "negated {op:?} on {value}");
}

#[test]
fn equals_and_in() {
    check(Op::Equals(json!("FR")), json!("FR"), true);
    check(Op::Equals(json!("FR")), json!("fr"), false);
    check(Op::Equals(json!("1")), json!(1), false);
    check(Op::Equals(json!(1)), json!(1.0), true);
    check(Op::Equals(json!(1.5)), json!(1.5), true);
    check(Op::Equals(json!(true)), json!(true), true);
    check(Op::Equals(json!(true)), json!(false), false);
    check(Op::Equals(json!(false)), json!("false"), false);
    check(Op::Equals(json!("FR")), json!({"FR": 1}), false);
    check(Op::Equals(json!("FR")), json!(null), false);
    check(Op::In(vec![json!("FR"), json!("DE")]), json!("DE"), true);
    check(Op::In(vec![json!("FR"), json!("DE")]), json!("IT"), false);
    check(Op::In(vec![json!("FR"), json!(3), json!(false)]), json!(3.0), true);
    check(Op::In(vec![json!("FR"), json!(3), json!(false)]), json!(false), true);
    check(Op::In(vec![json!("FR"), json!(3), json!(false)]), json!(true), false);
    check(Op::In(vec![]), json!("FR"), false);
    let many: Vec<Value> = (0..100).map(|i| json!(format!("user-{i}"))).collect();
    check(Op::In(many.clone()), json!("user-99"), true);
    check(Op::In(many), json!("user-100"), false);
}

#[test]
fn string_operators() {
    check(Op::StartsWith("ab".into()), json!("abc"), true);
    check(Op::StartsWith("ab".into()), json!("xabc"), false);
    check(Op::StartsWith("ab".into()), json!("AB"), false);
    check(Op::StartsWith("".into()), json!(""), true);
    check(Op::StartsWith("1".into()), json!(12), false);
    check(Op::EndsWith("@acme.com".into()), json!("bo@acme.com"), true);
    check(Op::EndsWith("@acme.com".into()), json!("bo@acme.co"), false);
    check(Op::Contains("ell".into()), json!("hello"), true);
    check(Op::Contains("ell".into()), json!("help"), false);
    check(Op::Contains("é".into()), json!("café"), true);
    check(Op::Matches("^[a-z]+-\\d+$".into()), json!("user-42"), true);
    check(Op::Matches("^[a-z]+-\\d+$".into()), json!("user-42x"), false);
    check(Op::Matches("\\d".into()), json!("unanchored 7"), true);
    check(Op::Matches("(?i)^ADMIN".into()), json!("admin-bo"), true);
    check(Op::Matches(".*".into()), json!(1), false);
}

#[test]
fn semver_operators() {
    check(Op::SemverEqual("1.2.3".into()), json!("1.2.3"), true);
    check(Op::SemverEqual("1.2.0".into()), json!("1.2"), true);
    check(Op::SemverEqual("1".into()), json!("1.0.0"), true);
    check(Op::SemverEqual("1.2.3".into()), json!("1.2.3+build.7"), true);
    check(Op::SemverEqual("1.2.3".into()), json!("1.2.3-rc.1"), false);
    check(Op::SemverLess("2.0.0".into()), json!("1.99.99"), true);
    check(Op::SemverLess("2.0.0".into()), json!("2.0.0-beta"), true);
    check(Op::SemverLess("2.0.0".into()), json!("2.0.0"), false);
    check(Op::SemverLess("1.10.0".into()), json!("1.9.0"), true);
    check(Op::SemverGreater("1.9.0".into()), json!("1.10.0"), true);
    check(Op::SemverGreater("1.0.0-alpha".into()), json!("1.0.0-alpha.1"), true);
    check(Op::SemverGreater("1.0.0".into()), json!("1.0.0"), false);
    check(Op::SemverGreater("1.0.0".into()), json!("not a version"), false);
    check(Op::SemverGreater("1.0.0".into()), json!(2), false);
}

#[test]
fn number_operators() {
    check(Op::NumberEqual(18.0), json!(18), true);
    check(Op::NumberEqual(18.0), json!(18.0), true);
    check(Op::NumberEqual(18.0), json!("18"), false);
    check(Op::NumberLess(18.0), json!(17.9), true);
    check(Op::NumberLess(18.0), json!(18), false);
    check(Op::NumberLess(0.0), json!(-1), true);
    check(Op::NumberLessOrEqual(18.0), json!(18), true);
    check(Op::NumberLessOrEqual(18.0), json!(18.1), false);
    check(Op::NumberGreater(18.0), json!(19), true);
    check(Op::NumberGreater(18.0), json!(18), false);
    check(Op::NumberGreaterOrEqual(18.0), json!(18), true);
    check(Op::NumberGreaterOrEqual(18.0), json!(17), false);
    check(Op::NumberGreater(1e18), json!(u64::MAX), true);
    check(Op::NumberGreater(0.0), json!(true), false);
}

#[test]
fn date_operators() {
    let t = json!("2024-06-01T00:00:00Z"); // 1717200000000 ms
    check(Op::Before(t.clone()), json!("2024-05-31T23:59:59.999Z"), true);
    check(Op::Before(t.clone()), json!("2024-06-01T00:00:00Z"), false);
    check(Op::Before(t.clone()), json!("2024-06-01T01:00:00+02:00"), true);
    check(Op::Before(t.clone()), json!(1_717_199_999_999_i64), true);
    check(Op::Before(t.clone()), json!(1_717_200_000_000_i64), false);
    check(Op::After(t.clone()), json!("2024-06-01T00:00:00.001Z"), true);
    check(Op::After(t.clone()), json!("2024-05-31T23:00:00-01:30"), true);
    check(Op::After(t.clone()), json!(1_717_200_000_001_i64), true);
    check(Op::After(json!(1_717_200_000_000_i64)), json!("2024-06-01T00:00:01Z"), true);
    check(Op::After(t.clone()), json!("2025-01-01"), false);
    check(Op::After(t.clone()), json!("1717200000001"), false);
    check(Op::After(t), json!(true), false);
}

#[test]
fn arrays_match_any_element() {
    check(Op::Equals(json!("b")), json!(["a", "b"]), true);
    check(Op::Equals(json!("c")), json!(["a", "b"]), false);
    check(Op::StartsWith("x".into()), json!([1, "xy"]), true);
    check(Op::NumberGreater(5.0), json!([1, 2, 9]), true);
    check(Op::Equals(json!("a")), json!([["a"]]), false);
    check(Op::Equals(json!("a")), json!([null, "a"]), true);
    check(Op::Equals(json!("a")), json!([]), false);
    check(Op::Equals(json!("a")), json!([null]), false);
}

#[test]
fn attribute_paths() {
    #[track_caller]
    fn check(attribute: &str, ctx: Value, expected: bool) {
        let clause = Clause::attribute(attribute, Op::Equals(json!("Paris")));
        assert_eq!(matches(clause, &[], &ctx), expected, "{attribute} in {ctx}");
    }
    check("city", json!({"city": "Paris"}), true);
    check("address.city", json!({"address": {"city": "Paris"}}), true);
    check("address.city", json!({"address": {"city": "Lyon"}}), false);
    check("address.city", json!({"address.city": "Paris"}), true);
    check("address.city", json!({"address.city": "Lyon", "address": {"city": "Paris"}}), false);
    check("address.city", json!({"address": "Paris"}), false);
    check("address.city", json!({"address": [{"city": "Lyon"}, {"city": "Paris"}]}), true);
    check("address.city", json!({"address": [{"city": ["Lyon", "Paris"]}]}), true);
    check("address.city", json!({"address": [[{"city": "Paris"}]]}), false);
    check("a.b.c", json!({"a": {"b": {"c": "Paris"}}}), true);
    check("a.b.c", json!({"a": {"b": null}}), false);
    check("city", json!({}), false);
}

#[test]
fn missing_attribute_never_matches() {
    #[track_caller]
    fn check(ctx: Value) {
        let clause = Clause::attribute("country", Op::In(vec![json!("FR")]));
        assert!(!matches(clause.clone(), &[], &ctx), "plain on {ctx}");
        assert!(!matches(clause.negated(), &[], &ctx), "negated on {ctx}");
    }
    check(json!({}));
    check(json!({"country": null}));
    check(json!({"country": []}));
    check(json!({"country": [null]}));
    check(json!({"address": {"country": "FR"}}));
}

#[test]
fn segment_membership() {
    #[track_caller]
    fn check(ctx: Value, negate: bool, expected: bool) {
        let segments = [
            segment(
                "beta",
                &["alice"],
                &["bob"],
                vec![vec![Clause::attribute("email", Op::EndsWith("@acme.com".into()))]],
            ),
            segment("staff", &["carol"], &[], vec![]),
        ];
        let mut clause = Clause::in_segment(["beta", "staff"]);
        clause.negate = negate;
        assert_eq!(matches(clause, &segments, &ctx), expected, "negate={negate} {ctx}");
    }
    check(json!({"targetingKey": "alice"}), false, true);
    check(json!({"targetingKey": "carol"}), false, true);
    check(json!({"targetingKey": "dave"}), false, false);
    check(json!({"targetingKey": "dave", "email": "d@acme.com"}), false, true);
    check(json!({"targetingKey": "bob", "email": "b@acme.com"}), false, false);
    check(json!({"email": "x@acme.com"}), false, true);
    check(json!({}), false, false);
    check(json!({"targetingKey": "alice"}), true, false);
    check(json!({"targetingKey": "dave"}), true, true);
    check(json!({}), true, true);
}

#[test]
fn context_get_reads_paths() {
    #[track_caller]
    fn check(path: &str, ctx: Value, expected: Option<Value>) {
        let c = tether_flags::Context::from_value(&ctx).unwrap_or_default();
        assert_eq!(c.get(path), expected.as_ref(), "{path} in {ctx}");
    }
    check("a", json!({"a": 1}), Some(json!(1)));
    check("a.b", json!({"a": {"b": [1]}}), Some(json!([1])));
    check("a.b", json!({"a": [{"b": 1}]}), None);
    check("a", json!({"a": null}), None);
    check("a..b", json!({"a..b": 1}), None);
    check("a", json!(["not", "an", "object"]), None);
}

#[test]
fn snapshot_without_segment_reports_it() {
    let c = EnvConfig {
        rules: vec![rule("r", vec![Clause::in_segment(["ghost"])], Serve::variation("on"))],
        ..config()
    };
    let f = bool_flag("f");
    let snapshot = Snapshot::build(1, [(&f, &c)], []);
    let issues: Vec<String> = snapshot.issues().iter().map(ToString::to_string).collect();
    assert_eq!(issues, [r#"flag "f": rules[0].clauses[0].segments[0]: unknown segment "ghost""#]);
}
