//! Evaluation speed of tether-flags side by side with `unleash-yggdrasil` (Unleash's Rust
//! evaluation engine) on an equivalent Unleash flag set, one criterion group per case:
//!
//! - `simple`: a boolean flag on for everyone. tether: on, no targets or rules, the default
//!   rule serves `true` (reason STATIC). Unleash: enabled, one `default` strategy.
//! - `five_rules_rollout`: individual targets and five rules the context does not match, then
//!   a 30/70 rollout of `true`/`false`. Unleash: a `userWithId` strategy, five `default`
//!   strategies with one constraint each (same attributes and operators), then a
//!   `flexibleRollout` at 30% sticky on `userId`, so that 30% of users get `true`.
//! - `bulk_350`: 350 flags (250 simple, 100 as above) evaluated for one context. tether:
//!   `Snapshot::evaluate_all` consumed fully; Unleash: `is_enabled` over every flag name (the
//!   same answer per flag). `yggdrasil_resolve_all` is Unleash's own bulk call for reference:
//!   it also resolves a variant per flag and builds a `HashMap` of owned results.
//!
//! Only evaluation is timed: both sides compile their flag set and build their context first.

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use tether_flags::{
    Clause, Context, EnvConfig, Flag, FlagKind, Op, Rollout, Rule, Serve, Snapshot, Target,
    Variation, WeightedVariation,
};
use unleash_yggdrasil::{ClientFeatures, EngineState};

/// The flag count of the bulk case, and which of them are simple (`i % 7 < 5`: 250 of 350).
const BULK: usize = 350;

fn is_simple(i: usize) -> bool {
    i % 7 < 5
}

// ---- tether ----

fn bool_flag(key: &str) -> Flag {
    Flag {
        key: key.to_owned(),
        name: key.to_owned(),
        description: String::new(),
        kind: FlagKind::Boolean,
        variations: vec![
            Variation { key: "on".into(), name: String::new(), value: json!(true) },
            Variation { key: "off".into(), name: String::new(), value: json!(false) },
        ],
        tags: Vec::new(),
        custom_properties: BTreeMap::new(),
    }
}

fn simple_config() -> EnvConfig {
    EnvConfig {
        on: true,
        off_variation: "off".into(),
        targets: Vec::new(),
        rules: Vec::new(),
        default_rule: Serve::variation("on"),
    }
}

/// Individual targets and five rules the benchmark context does not match, so evaluation
/// runs all of them and then the default 30/70 rollout.
fn ruled_config() -> EnvConfig {
    let rule = |id: &str, clause: Clause| Rule {
        id: id.to_owned(),
        description: String::new(),
        clauses: vec![clause],
        serve: Serve::variation("on"),
    };
    EnvConfig {
        on: true,
        off_variation: "off".into(),
        targets: vec![Target { variation: "on".into(), keys: vec!["alice".into(), "bob".into()] }],
        rules: vec![
            rule("country", Clause::attribute("country", Op::In(vec![json!("DE"), json!("IT")]))),
            rule("staff", Clause::attribute("email", Op::EndsWith("@acme.com".into()))),
            rule("new-app", Clause::attribute("app.version", Op::SemverGreater("2.0.0".into()))),
            rule("plan", Clause::attribute("plan", Op::Equals(json!("enterprise")))),
            rule("beta", Clause::attribute("name", Op::Matches("^beta-[0-9]+$".into()))),
        ],
        default_rule: Serve::Rollout(Rollout {
            variations: vec![
                WeightedVariation { variation: "on".into(), weight: 30_000 },
                WeightedVariation { variation: "off".into(), weight: 70_000 },
            ],
            bucket_by: None,
            salt: "bench".into(),
        }),
    }
}

fn tether_context() -> Value {
    json!({
        "targetingKey": "user-12345",
        "country": "FR",
        "email": "someone@example.com",
        "app": {"version": "1.4.2"},
        "plan": "team",
        "name": "someone",
    })
}

// ---- Unleash ----

/// Enabled for everyone: the `default` strategy without constraints.
fn unleash_simple(name: &str) -> Value {
    json!({"name": name, "enabled": true, "strategies": [{"name": "default"}]})
}

/// The Unleash form of [`ruled_config`]: strategies are OR-ed in order, each `default` strategy
/// with a constraint enables the flag when its constraint matches (a rule serving `true`),
/// and the last one enables it for 30% of user ids (the 30/70 rollout of `true`/`false`).
/// A `flexibleRollout` is the closest equivalent for a boolean flag: a `default` strategy with
/// 30/70 variants would need `get_variant`, which answers a variant name rather than a boolean
/// (and clones it), while `is_enabled` answers exactly what the tether flag serves.
fn unleash_ruled(name: &str) -> Value {
    let when = |constraint: Value| json!({"name": "default", "constraints": [constraint]});
    json!({
        "name": name,
        "enabled": true,
        "strategies": [
            {"name": "userWithId", "parameters": {"userIds": "alice,bob"}},
            when(json!({"contextName": "country", "operator": "IN", "values": ["DE", "IT"]})),
            when(json!({"contextName": "email", "operator": "STR_ENDS_WITH", "values": ["@acme.com"]})),
            when(json!({"contextName": "appVersion", "operator": "SEMVER_GT", "value": "2.0.0"})),
            when(json!({"contextName": "plan", "operator": "IN", "values": ["enterprise"]})),
            when(json!({"contextName": "name", "operator": "REGEX", "value": "^beta-[0-9]+$"})),
            {
                "name": "flexibleRollout",
                "parameters": {"rollout": "30", "stickiness": "userId", "groupId": name},
            },
        ],
    })
}

/// A compiled Unleash engine for these features (Unleash client API JSON).
fn unleash_engine(features: Vec<Value>) -> EngineState {
    let features: ClientFeatures =
        serde_json::from_value(json!({"version": 2, "features": features}))
            .expect("valid client features");
    let engine = EngineState::default();
    let warnings = engine.apply_client_features(features);
    assert!(warnings.is_none(), "{:?}", warnings.unwrap_or_default());
    engine
}

/// The Unleash context equivalent to [`tether_context`]: properties are flat strings.
fn unleash_context(user_id: &str, overrides: &[(&str, &str)]) -> unleash_yggdrasil::Context {
    let mut properties: HashMap<String, String> = [
        ("country", "FR"),
        ("email", "someone@example.com"),
        ("appVersion", "1.4.2"),
        ("plan", "team"),
        ("name", "someone"),
    ]
    .into_iter()
    .chain(overrides.iter().copied())
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    properties.shrink_to_fit();
    unleash_yggdrasil::Context {
        user_id: Some(user_id.to_owned()),
        session_id: None,
        environment: None,
        app_name: None,
        current_time: None,
        remote_address: None,
        properties: Some(properties),
    }
}

/// Both flag sets are built as intended: the benchmark context misses every target and rule
/// and lands in the rollout, and a context matching any one of them is served `true`.
fn check_equivalence(snapshot: &Snapshot, engine: &EngineState) {
    let ctx_value = tether_context();
    let ctx = Context::from_value(&ctx_value).expect("an object");
    assert_eq!(snapshot.evaluate("simple", &ctx).reason.as_str(), "STATIC");
    assert_eq!(snapshot.evaluate("ruled", &ctx).reason.as_str(), "SPLIT");
    assert!(engine.is_enabled("simple", &unleash_context("user-12345", &[]), &None));

    // The rollout at 0% isolates the targets and rules on the Unleash side.
    let mut no_rollout = unleash_ruled("ruled");
    no_rollout["strategies"][6]["parameters"]["rollout"] = json!("0");
    let rules_only = unleash_engine(vec![no_rollout]);
    assert!(!rules_only.is_enabled("ruled", &unleash_context("user-12345", &[]), &None));

    // (rule, the tether attribute and value that match it, the Unleash property that does)
    let matching = [
        ("country", "country", json!("IT"), ("country", "IT")),
        ("staff", "email", json!("x@acme.com"), ("email", "x@acme.com")),
        ("new-app", "app", json!({"version": "2.1.0"}), ("appVersion", "2.1.0")),
        ("plan", "plan", json!("enterprise"), ("plan", "enterprise")),
        ("beta", "name", json!("beta-7"), ("name", "beta-7")),
    ];
    for (rule, key, value, unleash_property) in matching {
        let mut v = tether_context();
        v[key] = value;
        let ctx = Context::from_value(&v).expect("an object");
        let e = snapshot.evaluate("ruled", &ctx);
        assert_eq!(e.value, Some(&json!(true)), "{rule}");
        assert_eq!(e.reason.as_str(), "TARGETING_MATCH", "{rule}");
        let uctx = unleash_context("user-12345", &[unleash_property]);
        assert!(rules_only.is_enabled("ruled", &uctx, &None), "{rule}");
    }
    assert!(rules_only.is_enabled("ruled", &unleash_context("alice", &[]), &None));
}

fn benches(c: &mut Criterion) {
    let ctx_value = tether_context();
    let ctx = Context::from_value(&ctx_value).expect("an object");
    let uctx = unleash_context("user-12345", &[]);

    let simple = (bool_flag("simple"), simple_config());
    let ruled = (bool_flag("ruled"), ruled_config());
    let single = Snapshot::build(1, [(&simple.0, &simple.1), (&ruled.0, &ruled.1)], []);
    assert!(single.issues().is_empty());
    let engine = unleash_engine(vec![unleash_simple("simple"), unleash_ruled("ruled")]);
    check_equivalence(&single, &engine);

    let mut group = c.benchmark_group("simple");
    group.bench_function("tether", |b| {
        b.iter(|| single.evaluate(black_box("simple"), black_box(&ctx)))
    });
    group.bench_function("yggdrasil", |b| {
        b.iter(|| engine.is_enabled(black_box("simple"), black_box(&uctx), &None))
    });
    group.finish();

    let mut group = c.benchmark_group("five_rules_rollout");
    group.bench_function("tether", |b| {
        b.iter(|| single.evaluate(black_box("ruled"), black_box(&ctx)))
    });
    group.bench_function("yggdrasil", |b| {
        b.iter(|| engine.is_enabled(black_box("ruled"), black_box(&uctx), &None))
    });
    group.finish();

    let many: Vec<(Flag, EnvConfig)> = (0..BULK)
        .map(|i| {
            if is_simple(i) {
                (bool_flag(&format!("simple-{i}")), simple_config())
            } else {
                (bool_flag(&format!("ruled-{i}")), ruled_config())
            }
        })
        .collect();
    let bulk = Snapshot::build(2, many.iter().map(|(f, c)| (f, c)), []);
    assert_eq!(bulk.len(), BULK);
    assert!(bulk.issues().is_empty());
    let names: Vec<String> = many.iter().map(|(f, _)| f.key.clone()).collect();
    let bulk_engine = unleash_engine(
        (0..BULK)
            .map(|i| {
                if is_simple(i) {
                    unleash_simple(&format!("simple-{i}"))
                } else {
                    unleash_ruled(&format!("ruled-{i}"))
                }
            })
            .collect(),
    );

    let mut group = c.benchmark_group("bulk_350");
    group.throughput(Throughput::Elements(BULK as u64));
    group.bench_function("tether", |b| {
        b.iter(|| {
            bulk.evaluate_all(black_box(&ctx))
                .filter(|(_, e)| e.value == Some(&Value::Bool(true)))
                .count()
        })
    });
    group.bench_function("yggdrasil", |b| {
        b.iter(|| {
            names
                .iter()
                .filter(|name| bulk_engine.is_enabled(name, black_box(&uctx), &None))
                .count()
        })
    });
    group.bench_function("yggdrasil_resolve_all", |b| {
        b.iter(|| {
            let all = bulk_engine.resolve_all(black_box(&uctx), &None).expect("state loaded");
            all.values().filter(|t| t.enabled).count()
        })
    });
    group.finish();
}

criterion_group!(eval, benches);
criterion_main!(eval);
