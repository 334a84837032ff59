//! Evaluation speed: a simple boolean flag, a flag with five rules and a rollout, and bulk
//! evaluation of 350 flags (250 simple, 100 with rules).

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use tether_flags::{
    Clause, Context, EnvConfig, Flag, FlagKind, Op, Rollout, Rule, Serve, Snapshot, Target,
    Variation, WeightedVariation,
};

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

/// Five rules the benchmark context does not match, so evaluation runs all of them and
/// then the default 30/70 rollout.
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

fn context() -> Value {
    json!({
        "targetingKey": "user-12345",
        "country": "FR",
        "email": "someone@example.com",
        "app": {"version": "1.4.2"},
        "plan": "team",
        "name": "someone",
    })
}

fn benches(c: &mut Criterion) {
    let ctx_value = context();
    let ctx = Context::from_value(&ctx_value).expect("an object");

    let simple = (bool_flag("simple"), simple_config());
    let ruled = (bool_flag("ruled"), ruled_config());
    let single = Snapshot::build(1, [(&simple.0, &simple.1), (&ruled.0, &ruled.1)], []);
    assert!(single.issues().is_empty());
    assert_eq!(single.evaluate("ruled", &ctx).reason.as_str(), "SPLIT");

    c.bench_function("simple boolean flag", |b| {
        b.iter(|| single.evaluate(black_box("simple"), black_box(&ctx)))
    });
    c.bench_function("five rules and a rollout", |b| {
        b.iter(|| single.evaluate(black_box("ruled"), black_box(&ctx)))
    });

    let many: Vec<(Flag, EnvConfig)> = (0..350)
        .map(|i| {
            if i % 7 < 5 {
                (bool_flag(&format!("simple-{i}")), simple_config())
            } else {
                (bool_flag(&format!("ruled-{i}")), ruled_config())
            }
        })
        .collect();
    let bulk = Snapshot::build(2, many.iter().map(|(f, c)| (f, c)), []);
    assert_eq!(bulk.len(), 350);
    assert!(bulk.issues().is_empty());
    c.bench_function("bulk evaluation of 350 flags", |b| {
        b.iter(|| {
            bulk.evaluate_all(black_box(&ctx))
                .filter(|(_, e)| e.value == Some(&Value::Bool(true)))
                .count()
        })
    });
}

criterion_group!(eval, benches);
criterion_main!(eval);
