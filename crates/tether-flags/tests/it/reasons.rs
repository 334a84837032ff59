//! Every evaluation reason and error code, and the evaluation order between them.

use serde_json::{Value, json};
use tether_flags::{Clause, Context, EnvConfig, FlagKind, Op, Serve, Snapshot, Target, evaluate};

use crate::support::{bool_flag, config, eval_one, flag, render, rollout, rule};

fn country(c: &str) -> Clause {
    Clause::attribute("country", Op::Equals(json!(c)))
}

/// A config with a target (alice → off), a rule on FR (→ off), a rule on DE (→ 50/50
/// rollout), and `default_rule` as given.
fn full(default_rule: Serve) -> EnvConfig {
    EnvConfig {
        targets: vec![Target { variation: "off".into(), keys: vec!["alice".into()] }],
        rules: vec![
            rule("fr", vec![country("FR")], Serve::variation("off")),
            rule("de", vec![country("DE")], rollout(&[("on", 50_000), ("off", 50_000)], "s")),
        ],
        default_rule,
        ..config()
    }
}

#[test]
#[rustfmt::skip] // one case a line
fn reasons() {
    #[track_caller]
    fn check(c: EnvConfig, ctx: Value, expected: &str) {
        assert_eq!(eval_one(&bool_flag("f"), &c, &[], &ctx), expected, "{ctx}");
    }
    let off = EnvConfig { on: false, ..full(Serve::variation("on")) };
    check(off, json!({"targetingKey": "alice"}), "DISABLED off=false");
    check(config(), json!({"targetingKey": "k"}), "STATIC on=true");
    check(config(), json!({}), "STATIC on=true");
    check(full(Serve::variation("on")), json!({"targetingKey": "alice", "country": "DE"}), "TARGETING_MATCH target off=false");
    check(full(Serve::variation("on")), json!({"targetingKey": "k", "country": "FR"}), "TARGETING_MATCH rule fr#0 off=false");
    check(full(Serve::variation("on")), json!({"targetingKey": "k1", "country": "DE"}), "SPLIT rule de#1 on=true");
    check(full(Serve::variation("on")), json!({"targetingKey": "k3", "country": "DE"}), "SPLIT rule de#1 off=false");
    check(full(Serve::variation("on")), json!({"country": "DE"}), "ERROR TARGETING_KEY_MISSING");
    check(full(Serve::variation("on")), json!({"targetingKey": "k", "country": "IT"}), "DEFAULT on=true");
    check(full(Serve::variation("on")), json!({}), "DEFAULT on=true");
    let split = rollout(&[("on", 50_000), ("off", 50_000)], "s");
    check(full(split.clone()), json!({"targetingKey": "k1"}), "SPLIT default on=true");
    check(full(split.clone()), json!({"targetingKey": "k3"}), "SPLIT default off=false");
    check(EnvConfig { default_rule: split, ..config() }, json!({}), "ERROR TARGETING_KEY_MISSING");
    let only_empty_target = EnvConfig {
        targets: vec![Target { variation: "off".into(), keys: vec![] }],
        ..config()
    };
    check(only_empty_target, json!({}), "STATIC on=true");
    let rule_first = EnvConfig {
        rules: vec![rule("any", vec![], Serve::variation("off")), rule("fr", vec![country("FR")], Serve::variation("on"))],
        ..config()
    };
    check(rule_first, json!({"country": "FR"}), "TARGETING_MATCH rule any#0 off=false");
    let two_clauses = EnvConfig {
        rules: vec![rule("fr-adult", vec![country("FR"), Clause::attribute("age", Op::NumberGreaterOrEqual(18.0))], Serve::variation("off"))],
        ..config()
    };
    check(two_clauses.clone(), json!({"country": "FR", "age": 30}), "TARGETING_MATCH rule fr-adult#0 off=false");
    check(two_clauses, json!({"country": "FR", "age": 3}), "DEFAULT on=true");
}

#[test]
fn split_keys_used_above() {
    // Pins the buckets the `reasons` table relies on (k1 at 929 and k3 at 94168, computed with hashlib).
    assert_eq!(tether_flags::bucket::bucket("f", "s", "k1"), 929);
    assert_eq!(tether_flags::bucket::bucket("f", "s", "k3"), 94_168);
}

#[test]
fn errors() {
    let f = bool_flag("f");
    let s = flag("s", FlagKind::String, &[("on", json!("yes")), ("off", json!("no"))]);
    let broken = EnvConfig { off_variation: "nope".into(), ..config() };
    let c = config();
    let snapshot = Snapshot::build(7, [(&f, &c), (&s, &c), (&bool_flag("broken"), &broken)], []);
    #[track_caller]
    fn check(got: tether_flags::Evaluation<'_>, expected: &str) {
        assert_eq!(render(&got), expected);
    }
    let ctx = Context::empty();
    check(evaluate(&snapshot, "missing", &ctx), "ERROR FLAG_NOT_FOUND");
    check(snapshot.evaluate("broken", &ctx), "ERROR GENERAL");
    check(snapshot.evaluate_as("s", &ctx, FlagKind::Boolean), "ERROR TYPE_MISMATCH");
    check(snapshot.evaluate_as("s", &ctx, FlagKind::String), r#"STATIC on="yes""#);
    check(snapshot.evaluate_as("missing", &ctx, FlagKind::String), "ERROR FLAG_NOT_FOUND");
    let tether_flags::Reason::Error { detail, .. } = snapshot.evaluate("broken", &ctx).reason
    else {
        panic!("broken flag evaluated");
    };
    assert_eq!(detail, r#"flag configuration is invalid: off_variation: unknown variation "nope""#);
}

#[test]
fn bulk_evaluation_in_key_order() {
    let c = config();
    let off = EnvConfig { on: false, ..config() };
    let flags = [bool_flag("b"), bool_flag("a"), bool_flag("c")];
    let configs = [&c, &off, &c];
    let snapshot = Snapshot::build(3, flags.iter().zip(configs), []);
    assert_eq!(snapshot.version(), 3);
    assert_eq!(snapshot.len(), 3);
    let ctx = Context::empty();
    let got: Vec<String> =
        snapshot.evaluate_all(&ctx).map(|(k, e)| format!("{k}: {}", render(&e))).collect();
    assert_eq!(got, ["a: DISABLED off=false", "b: STATIC on=true", "c: STATIC on=true"]);
    assert!(Snapshot::empty(0).evaluate_all(&ctx).next().is_none());
}

#[test]
fn duplicate_flags_keep_the_first() {
    let c = config();
    let off = EnvConfig { on: false, ..config() };
    let f = bool_flag("f");
    let snapshot = Snapshot::build(1, [(&f, &c), (&f, &off)], []);
    assert_eq!(render(&snapshot.evaluate("f", &Context::empty())), "STATIC on=true");
    let issues: Vec<String> = snapshot.issues().iter().map(ToString::to_string).collect();
    assert_eq!(issues, [r#"flag "f": key: duplicate "f""#]);
}

/// OFREP's answers as bytes, for one case of each shape, written out literally.
#[test]
fn written_answers_have_ofreps_exact_bytes() {
    let f = flag(
        "new-ui.v2",
        FlagKind::Json,
        &[("on", json!({"x": [1, 2.5, "q\n"]})), ("off", json!(null))],
    );
    let mut c = config();
    c.targets = vec![Target { variation: "on".into(), keys: vec!["alice".into()] }];
    c.rules = vec![rule("fr", vec![country("FR")], Serve::variation("off"))];
    // A key validation refuses: its answer is a failure that names it, escaped.
    let bad = bool_flag("bad\"key\u{1}");
    let snapshot = Snapshot::build(1, [(&f, &c), (&bad, &config())], &[]);
    let answer = |ctx: Value, key: &str| {
        let attrs = ctx.as_object().cloned().unwrap_or_default();
        let mut out = Vec::new();
        let status = snapshot.write_answer(key, &Context::new(&attrs), &mut out);
        (status.map_err(|e| e.as_str()), String::from_utf8(out).unwrap())
    };
    assert_eq!(
        answer(json!({"targetingKey": "alice"}), "new-ui.v2"),
        (Ok(()), r#"{"key":"new-ui.v2","metadata":{"individualTarget":true},"reason":"TARGETING_MATCH","value":{"x":[1,2.5,"q\n"]},"variant":"on"}"#.to_owned())
    );
    assert_eq!(
        answer(json!({"country": "FR"}), "new-ui.v2"),
        (Ok(()), r#"{"key":"new-ui.v2","metadata":{"ruleId":"fr"},"reason":"TARGETING_MATCH","value":null,"variant":"off"}"#.to_owned())
    );
    assert_eq!(
        answer(json!({}), "new-ui.v2"),
        (Ok(()), r#"{"key":"new-ui.v2","metadata":{},"reason":"DEFAULT","value":{"x":[1,2.5,"q\n"]},"variant":"on"}"#.to_owned())
    );
    assert_eq!(
        answer(json!({}), "nope\u{1}"),
        (
            Err("FLAG_NOT_FOUND"),
            r#"{"errorCode":"FLAG_NOT_FOUND","errorDetails":"flag not found","key":"nope\u0001"}"#
                .to_owned()
        )
    );
    let mut bulk = Vec::new();
    snapshot.write_all_answers(&Context::new(&serde_json::Map::new()), &mut bulk);
    assert_eq!(
        String::from_utf8(bulk).unwrap(),
        concat!(
            r#"{"flags":[{"errorCode":"GENERAL","errorDetails":"flag configuration is invalid: "#,
            r#"key: may contain only ASCII letters, digits, '.', '_' and '-'","key":"bad\"key\u0001"},"#,
            r#"{"key":"new-ui.v2","metadata":{},"reason":"DEFAULT","value":{"x":[1,2.5,"q\n"]},"variant":"on"}]}"#
        )
    );
}
