//! The `ofrep_context` target's fixed snapshot: a few flags whose rules between them test
//! every kind of attribute (dotted paths, arrays, numbers, versions, dates, a segment) and
//! serve single variations, rollouts by the targeting key and by another attribute.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tether_flags::{
    Clause, EnvConfig, Flag, FlagKind, Op, Rollout, Rule, Segment, SegmentRule, Serve, Target,
    Variation, WeightedVariation,
};

/// The salt of `limit`'s rollout, which the target recomputes.
pub const LIMIT_SALT: &str = "limit-salt";

/// Every flag with its configuration in the snapshot's environment.
pub fn flags_and_configs() -> Vec<(Flag, EnvConfig)> {
    let on_off = [("on", json!(true)), ("off", json!(false))];
    vec![
        (flag("static", FlagKind::Boolean, &on_off), config("off", vec![], vec![], serve("on"))),
        (
            flag("off", FlagKind::Boolean, &on_off),
            EnvConfig {
                on: false,
                ..config("off", vec![], vec![rule("r", vec![], serve("on"))], serve("on"))
            },
        ),
        (
            flag("banner", FlagKind::Boolean, &on_off),
            config(
                "off",
                vec![target("on", &["vip"]), target("off", &["blocked"])],
                vec![
                    rule(
                        "country",
                        vec![attr("country", Op::In(vec![json!("FR"), json!("DE")]))],
                        serve("off"),
                    ),
                    rule(
                        "email",
                        vec![attr("user.email", Op::EndsWith("@example.com".into()))],
                        serve("on"),
                    ),
                    rule("beta", vec![Clause::in_segment(["beta"])], serve("on")),
                ],
                serve("off"),
            ),
        ),
        (
            flag(
                "checkout",
                FlagKind::String,
                &[("a", json!("a")), ("b", json!("b")), ("c", json!("c"))],
            ),
            config(
                "a",
                vec![],
                vec![
                    rule(
                        "version",
                        vec![attr("app.version", Op::SemverGreater("2.0.0".into()))],
                        rollout(&[("a", 50_000), ("b", 50_000)], None, "v"),
                    ),
                    rule(
                        "pro",
                        vec![
                            attr("plan", Op::Equals(json!("pro"))),
                            attr("age", Op::NumberGreaterOrEqual(18.0)),
                        ],
                        serve("b"),
                    ),
                    rule(
                        "recent",
                        vec![attr("signup", Op::After(json!("2024-01-01T00:00:00Z")))],
                        serve("c"),
                    ),
                    rule(
                        "not-us",
                        vec![
                            attr("country", Op::Equals(json!("US"))).negated(),
                            attr("email", Op::Matches("^[a-z]+@".into())),
                        ],
                        serve("c"),
                    ),
                ],
                rollout(&[("a", 33_333), ("b", 33_333), ("c", 33_334)], Some("org.id"), "org"),
            ),
        ),
        (
            flag("limit", FlagKind::Number, &[("low", json!(10)), ("high", json!(100))]),
            config(
                "low",
                vec![],
                vec![],
                rollout(&[("low", 30_000), ("high", 70_000)], None, LIMIT_SALT),
            ),
        ),
        (
            flag(
                "settings",
                FlagKind::Json,
                &[("v1", json!({"retries": 3})), ("v2", json!([1, 2]))],
            ),
            config(
                "v1",
                vec![],
                vec![
                    rule("tags", vec![attr("tags", Op::Contains("x".into()))], serve("v2")),
                    rule("build", vec![attr("app.build", Op::NumberLess(100.5))], serve("v2")),
                    rule(
                        "old",
                        vec![attr("released", Op::Before(json!(1_700_000_000_000u64)))],
                        serve("v1"),
                    ),
                    rule(
                        "semver",
                        vec![attr("app.version", Op::SemverEqual("1.2".into()))],
                        serve("v2"),
                    ),
                ],
                serve("v1"),
            ),
        ),
    ]
}

/// The one segment the flags refer to.
pub fn segments() -> Vec<Segment> {
    vec![Segment {
        key: "beta".into(),
        name: "Beta testers".into(),
        description: String::new(),
        included: vec!["u-beta".into()],
        excluded: vec!["u-banned".into()],
        rules: vec![SegmentRule {
            id: "tier".into(),
            clauses: vec![attr("org.tier", Op::In(vec![json!("gold"), json!("platinum")]))],
        }],
    }]
}

fn flag(key: &str, kind: FlagKind, variations: &[(&str, Value)]) -> Flag {
    Flag {
        key: key.into(),
        name: key.into(),
        description: String::new(),
        kind,
        variations: variations
            .iter()
            .map(|(k, v)| Variation { key: (*k).into(), name: String::new(), value: v.clone() })
            .collect(),
        tags: Vec::new(),
        custom_properties: BTreeMap::new(),
    }
}

fn config(off: &str, targets: Vec<Target>, rules: Vec<Rule>, default_rule: Serve) -> EnvConfig {
    EnvConfig { on: true, off_variation: off.into(), targets, rules, default_rule }
}

fn target(variation: &str, keys: &[&str]) -> Target {
    Target { variation: variation.into(), keys: keys.iter().map(|k| (*k).into()).collect() }
}

fn rule(id: &str, clauses: Vec<Clause>, serve: Serve) -> Rule {
    Rule { id: id.into(), description: String::new(), clauses, serve }
}

fn attr(path: &str, op: Op) -> Clause {
    Clause::attribute(path, op)
}

fn serve(variation: &str) -> Serve {
    Serve::variation(variation)
}

fn rollout(weights: &[(&str, u32)], bucket_by: Option<&str>, salt: &str) -> Serve {
    Serve::Rollout(Rollout {
        variations: weights
            .iter()
            .map(|(v, w)| WeightedVariation { variation: (*v).into(), weight: *w })
            .collect(),
        bucket_by: bucket_by.map(str::to_owned),
        salt: salt.into(),
    })
}
