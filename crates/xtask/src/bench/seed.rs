//! The benchmark's data: a project with 350 flags of every kind (a realistic mix of static
//! flags, flags that are off, flags with individual targets, rules and segments, and
//! percentage rollouts), two segments, the evaluation contexts, and the database seeded
//! with them through `tether-store`.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result, ensure};
use serde_json::{Value, json};
use tether_flags::{
    Clause, EnvConfig, Flag, FlagKind, Op, Rollout, Rule, Segment, SegmentRule, Serve, Snapshot,
    Target, Variation, WeightedVariation,
};
use tether_store::{MasterKey, NewProject, Store};

/// How many flags the project has (issue 4's bulk target is for 350).
pub const FLAGS: usize = 350;
/// The project and the environment the SDK key evaluates in.
pub const PROJECT: &str = "bench";
pub const ENV: &str = "production";
/// How many distinct evaluation contexts the requests rotate through.
pub const CONTEXTS: usize = 64;

/// Everything the server is seeded with, and what the benchmark needs to know of it.
#[derive(Debug)]
pub struct FlagSet {
    pub flags: Vec<(Flag, EnvConfig)>,
    pub segments: Vec<Segment>,
}

/// How a flag is configured in the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// On, no targets or rules, one variation for everyone (`STATIC`).
    Static,
    /// Off: the off variation (`DISABLED`).
    Off,
    /// Individual targets, six rules (one on a segment, one serving a rollout), then a
    /// default rollout or variation.
    Targeted,
    /// On, no rules: a percentage rollout over the variations (`SPLIT`).
    Rollout,
}

/// A fixed, well-mixed assignment: 55% static, 5% off, 20% targeted, 20% rollouts.
fn style(i: usize) -> Style {
    match (i * 37 + 11) % 20 {
        0..=10 => Style::Static,
        11 => Style::Off,
        12..=15 => Style::Targeted,
        _ => Style::Rollout,
    }
}

/// 50% boolean, 20% string, 15% number, 15% JSON.
fn kind(i: usize) -> FlagKind {
    match i % 20 {
        0..=9 => FlagKind::Boolean,
        10..=13 => FlagKind::String,
        14..=16 => FlagKind::Number,
        _ => FlagKind::Json,
    }
}

const AREAS: [&str; 10] = [
    "checkout",
    "search",
    "banner",
    "pricing",
    "onboarding",
    "billing",
    "reco",
    "mobile",
    "api",
    "ui",
];

fn variation(key: &str, value: Value) -> Variation {
    Variation { key: key.to_owned(), name: key.to_owned(), value }
}

fn variations(kind: FlagKind, i: usize) -> Vec<Variation> {
    match kind {
        FlagKind::Boolean => vec![variation("off", json!(false)), variation("on", json!(true))],
        FlagKind::String => vec![
            variation("control", json!("Welcome")),
            variation("friendly", json!(format!("Welcome back! ({i})"))),
            variation("urgent", json!("Last chance: 20% off today only")),
        ],
        FlagKind::Number => vec![
            variation("low", json!(10)),
            variation("mid", json!(25 + i)),
            variation("high", json!(99.5)),
        ],
        FlagKind::Json => vec![
            variation("basic", json!({"model": "popular", "slots": 3})),
            variation(
                "personal",
                json!({
                    "model": "personal",
                    "slots": 6,
                    "weights": {"recency": 0.4, "affinity": 0.6},
                    "sections": ["for-you", "trending", "again"],
                }),
            ),
        ],
    }
}

/// Weights summing to `TOTAL_WEIGHT` over `n` variations.
fn rollout(vars: &[Variation], salt: &str) -> Serve {
    let weights: &[u32] = match vars.len() {
        2 => &[30_000, 70_000],
        _ => &[20_000, 30_000, 50_000],
    };
    Serve::Rollout(Rollout {
        variations: vars
            .iter()
            .zip(weights)
            .map(|(v, &weight)| WeightedVariation { variation: v.key.clone(), weight })
            .collect(),
        bucket_by: None,
        salt: salt.to_owned(),
    })
}

fn config(flag: &Flag, style: Style) -> EnvConfig {
    let vars = &flag.variations;
    let first = vars[0].key.clone();
    let last = vars[vars.len() - 1].key.clone();
    let mut config = EnvConfig {
        on: true,
        off_variation: first.clone(),
        targets: Vec::new(),
        rules: Vec::new(),
        default_rule: Serve::Variation(last.clone()),
    };
    match style {
        Style::Static => {}
        Style::Off => config.on = false,
        Style::Rollout => config.default_rule = rollout(vars, &flag.key),
        Style::Targeted => {
            let rule = |id: &str, clauses: Vec<Clause>, serve: Serve| Rule {
                id: id.to_owned(),
                description: format!("{id} of {}", flag.key),
                clauses,
                serve,
            };
            let to = |key: &str| Serve::Variation(key.to_owned());
            config.targets = vec![Target {
                variation: last.clone(),
                keys: vec!["alice".into(), "bob".into(), "user-7".into()],
            }];
            config.rules = vec![
                rule("internal", vec![Clause::in_segment(["internal"])], to(&last)),
                rule(
                    "eu-south",
                    vec![Clause::attribute("country", Op::In(vec![json!("IT"), json!("ES")]))],
                    to(&first),
                ),
                rule(
                    "new-app",
                    vec![
                        Clause::attribute("app.version", Op::SemverGreater("2.0.0".into())),
                        Clause::attribute("country", Op::Equals(json!("US"))).negated(),
                    ],
                    rollout(vars, &format!("{}.new-app", flag.key)),
                ),
                rule(
                    "enterprise",
                    vec![Clause::attribute("plan", Op::Equals(json!("enterprise")))],
                    to(&last),
                ),
                rule("beta", vec![Clause::in_segment(["beta-testers"])], to(&last)),
                rule(
                    "beta-names",
                    vec![Clause::attribute("name", Op::Matches("^beta-[0-9]+$".into()))],
                    to(&first),
                ),
            ];
            if flag.key.len().is_multiple_of(2) {
                config.default_rule = rollout(vars, &flag.key);
            }
        }
    }
    config
}

/// The benchmark's 350 flags and two segments.
pub fn flag_set() -> FlagSet {
    flag_set_of(FLAGS, 0)
}

/// `n` flags of the same mix (and the same two segments), with `extra_targets` more
/// individual target keys (none of which the benchmark's contexts carry) spread evenly over
/// the targeted flags: `bench scale`'s environment.
pub fn flag_set_of(n: usize, extra_targets: usize) -> FlagSet {
    let targeted = (0..n).filter(|&i| style(i) == Style::Targeted).count().max(1);
    let mut spread =
        (0..targeted).map(|t| extra_targets / targeted + usize::from(t < extra_targets % targeted));
    let flags = (0..n)
        .map(|i| {
            let kind = kind(i);
            let key = format!("{}-{}-{i:03}", AREAS[i % AREAS.len()], kind.as_str());
            let flag = Flag {
                name: format!("{} {}", AREAS[i % AREAS.len()], i),
                key,
                description: format!("Benchmark flag {i}"),
                kind,
                variations: variations(kind, i),
                tags: vec!["bench".into(), AREAS[i % AREAS.len()].into()],
                custom_properties: BTreeMap::new(),
            };
            let mut config = config(&flag, style(i));
            if style(i) == Style::Targeted
                && let (Some(target), Some(extra)) = (config.targets.first_mut(), spread.next())
            {
                target.keys.extend((0..extra).map(|j| format!("t{i}-{j}")));
            }
            (flag, config)
        })
        .collect();
    let segments = vec![
        Segment {
            key: "internal".into(),
            name: "Internal users".into(),
            description: String::new(),
            included: Vec::new(),
            excluded: vec!["user-9".into()],
            rules: vec![SegmentRule {
                id: "staff".into(),
                clauses: vec![Clause::attribute("email", Op::EndsWith("@acme.test".into()))],
            }],
        },
        Segment {
            key: "beta-testers".into(),
            name: "Beta testers".into(),
            description: String::new(),
            included: vec!["user-3".into(), "user-5".into()],
            excluded: Vec::new(),
            rules: vec![SegmentRule {
                id: "german-enterprise".into(),
                clauses: vec![
                    Clause::attribute("plan", Op::In(vec![json!("enterprise"), json!("team")])),
                    Clause::attribute("country", Op::Equals(json!("DE"))),
                ],
            }],
        },
    ];
    FlagSet { flags, segments }
}

/// The evaluation contexts requests rotate through: every one has a `targetingKey` (so no
/// rollout fails), and between them they reach every target, rule and segment.
pub fn contexts() -> Vec<Value> {
    const COUNTRIES: [&str; 7] = ["FR", "DE", "IT", "US", "GB", "ES", "JP"];
    const PLANS: [&str; 3] = ["free", "team", "enterprise"];
    (0..CONTEXTS)
        .map(|n| {
            let key = match n {
                0 => "alice".to_owned(),
                1 => "bob".to_owned(),
                _ => format!("user-{n}"),
            };
            let email =
                if n % 9 == 4 { format!("{key}@acme.test") } else { format!("{key}@example.com") };
            let name = if n % 11 == 6 { format!("beta-{n}") } else { format!("Customer {n}") };
            json!({
                "targetingKey": key,
                "email": email,
                "name": name,
                "country": COUNTRIES[n % COUNTRIES.len()],
                "plan": PLANS[(n / 2) % PLANS.len()],
                "app": {"version": format!("{}.{}.{}", 1 + n % 3, n % 5, n % 7), "platform": "web"},
                "locale": "en-GB",
            })
        })
        .collect()
}

impl FlagSet {
    /// The snapshot the server should compile from the seeded database; the benchmark
    /// checks the server's answers against it. Fails if any flag or segment is invalid.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let snapshot =
            Snapshot::build(0, self.flags.iter().map(|(f, c)| (f, c)), self.segments.iter());
        ensure!(
            snapshot.issues().is_empty(),
            "the benchmark's flag set is invalid: {:?}",
            snapshot.issues()
        );
        Ok(snapshot)
    }
}

/// Creates the database at `url`: migrations, the project (with the default environments),
/// the segments and flags, and one SDK key for production, which it returns.
pub async fn seed(url: &str, key: MasterKey, set: &FlagSet) -> Result<String> {
    let store = Store::connect(url, key).await.context("cannot create the benchmark database")?;
    store.migrate().await.context("cannot migrate the benchmark database")?;
    let project = NewProject {
        key: PROJECT.into(),
        name: "Benchmark".into(),
        description: "Seeded by cargo xtask bench ofrep".into(),
        environments: Vec::new(),
    };
    store.create_project(&project, "bench").await.context("cannot create the project")?;
    for segment in &set.segments {
        store.create_segment(PROJECT, segment, "bench").await.context("cannot create a segment")?;
    }
    for (flag, config) in &set.flags {
        store
            .create_flag(PROJECT, flag, config, "bench")
            .await
            .with_context(|| format!("cannot create flag {}", flag.key))?;
    }
    let sdk_key = store.create_sdk_key(PROJECT, ENV, "bench").await?;
    let contents = store.environment_contents(PROJECT, ENV).await?;
    ensure!(contents.flags.len() == set.flags.len(), "{} flags were stored", contents.flags.len());
    store.close().await;
    Ok(sdk_key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tether_flags::Context;

    /// The flag set is valid, mixed as documented, and every evaluation for every context
    /// succeeds (no rollout lacks its key), with every reason represented.
    #[test]
    fn the_flag_set_is_valid_and_mixed() {
        let set = flag_set();
        let snapshot = set.snapshot().expect("valid");
        assert_eq!(snapshot.len(), FLAGS);
        let count = |s: Style| (0..FLAGS).filter(|&i| style(i) == s).count();
        assert_eq!(
            [
                count(Style::Static),
                count(Style::Off),
                count(Style::Targeted),
                count(Style::Rollout)
            ],
            [193, 18, 69, 70]
        );
        let mut reasons = BTreeMap::<&str, usize>::new();
        for ctx in contexts() {
            let ctx = Context::from_value(&ctx).expect("an object");
            for (key, eval) in snapshot.evaluate_all(&ctx) {
                assert!(eval.value.is_some(), "{key}: {:?}", eval.reason);
                *reasons.entry(eval.reason.as_str()).or_default() += 1;
            }
        }
        let seen: Vec<&str> = reasons.keys().copied().collect();
        assert_eq!(seen, ["DEFAULT", "DISABLED", "SPLIT", "STATIC", "TARGETING_MATCH"]);
    }
}
