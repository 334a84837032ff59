//! Properties: rollout shares follow weights, buckets are stable, evaluation is total, and a
//! snapshot changed one flag at a time answers as one built whole.

use std::collections::{BTreeMap, HashSet};

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use tether_flags::bucket::{bucket, bucket_value};
use tether_flags::{
    Clause, Context, EnvConfig, Flag, FlagKind, Op, Reason, Rollout, Rule, Segment, SegmentRule,
    Serve, Snapshot, Target, Test, Variation, WeightedVariation, validate_env_config,
    validate_flag,
};

const ATTRIBUTES: &[&str] = &["targetingKey", "a", "b", "a.b", "country", "version", "when", "xs"];

/// Mostly valid, sometimes not: each generator below picks an invalid choice rarely, so
/// that most generated flags are valid and some exercise the error path.
fn rarely<T: std::fmt::Debug + Clone + 'static>(
    usual: impl Strategy<Value = T> + 'static,
    odd: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<T> {
    prop_oneof![40 => usual, 1 => odd].boxed()
}

fn arb_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        (-5i64..5).prop_map(Value::from),
        "[a-z0-9.]{0,3}".prop_map(Value::from),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from), // NaN and infinities become null
        "[a-zA-Z0-9.:+ -]{0,12}".prop_map(Value::from),
        Just(json!("2024-06-01T00:00:00Z")),
        Just(json!("1.2.3-rc.1")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec((prop::sample::select(ATTRIBUTES), inner), 0..4).prop_map(|kvs| {
                Value::Object(kvs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

fn arb_context() -> impl Strategy<Value = Map<String, Value>> {
    let key = prop_oneof![prop::sample::select(ATTRIBUTES).prop_map(str::to_owned), "[a-z]{1,3}"];
    let targeting_key = prop::option::weighted(0.8, "[a-d]{1,2}");
    (vec((key, arb_json()), 0..6), targeting_key).prop_map(|(kvs, tk)| {
        let mut map: Map<String, Value> = kvs.into_iter().collect();
        if let Some(tk) = tk {
            map.insert("targetingKey".to_owned(), Value::String(tk));
        }
        map
    })
}

fn arb_op() -> impl Strategy<Value = Op> {
    let text = "[a-zA-Z0-9.]{0,4}";
    let regex = rarely(
        prop::sample::select(vec!["^a", "[0-9]+", "(?i)x$", ""]),
        prop::sample::select(vec!["[", "a{1000}{1000}"]),
    );
    let version = rarely(
        prop::sample::select(vec!["1.2.3", "1.2", "2", "1.0.0-rc.1"]),
        prop::sample::select(vec!["x", "1.2.3.4"]),
    );
    let date = rarely(
        prop::sample::select(vec![json!("2024-06-01T00:00:00Z"), json!(1_717_200_000_000_i64)]),
        prop::sample::select(vec![json!("2024-02-30T00:00:00Z"), json!(true)]),
    );
    let number = rarely(-100.0..100.0f64, any::<f64>());
    prop_oneof![
        rarely(arb_scalar(), arb_json()).prop_map(Op::Equals),
        vec(rarely(arb_scalar(), arb_json()), 0..4).prop_map(Op::In),
        text.prop_map(Op::StartsWith),
        text.prop_map(Op::EndsWith),
        text.prop_map(Op::Contains),
        regex.prop_map(|r| Op::Matches(r.to_owned())),
        version.clone().prop_map(|v| Op::SemverEqual(v.to_owned())),
        version.clone().prop_map(|v| Op::SemverLess(v.to_owned())),
        version.prop_map(|v| Op::SemverGreater(v.to_owned())),
        number.clone().prop_map(Op::NumberEqual),
        number.clone().prop_map(Op::NumberLess),
        number.clone().prop_map(Op::NumberLessOrEqual),
        number.clone().prop_map(Op::NumberGreater),
        number.prop_map(Op::NumberGreaterOrEqual),
        date.clone().prop_map(Op::Before),
        date.prop_map(Op::After),
    ]
}

fn arb_clause(allow_segments: bool) -> impl Strategy<Value = Clause> {
    let name = rarely(prop::sample::select(ATTRIBUTES), Just("a..b"));
    let attribute =
        (name, arb_op()).prop_map(|(a, op)| Test::Attribute { attribute: a.to_owned(), op });
    let segment_key = rarely(prop::sample::select(vec!["s1", "s2"]), Just("ghost"));
    let segments = rarely(vec(segment_key, 1..3), Just(Vec::new()))
        .prop_map(|keys| Test::InSegment(keys.into_iter().map(str::to_owned).collect()));
    let test = if allow_segments {
        prop_oneof![4 => attribute, 1 => segments].boxed()
    } else {
        attribute.boxed()
    };
    (test, any::<bool>()).prop_map(|(test, negate)| Clause { test, negate })
}

/// Variation keys are `v0..v{n-1}`; `v9` does not exist. Weights mostly sum to 100000.
fn arb_serve(n: usize) -> impl Strategy<Value = Serve> {
    let key = rarely((0..n).prop_map(|i| format!("v{i}")), Just("v9".to_owned()));
    let rollout = (
        vec((0..n, 0u32..=100_000), 1..4),
        prop::option::of(prop::sample::select(vec!["targetingKey", "a", "a.b", "xs"])),
        "[a-z]{0,4}",
        prop::bool::weighted(0.97),
    )
        .prop_map(|(slices, bucket_by, salt, fix_sum)| {
            let mut variations: Vec<WeightedVariation> = slices
                .into_iter()
                .map(|(i, w)| WeightedVariation { variation: format!("v{i}"), weight: w })
                .collect();
            let mut seen = HashSet::new();
            variations.retain(|wv| seen.insert(wv.variation.clone()));
            if fix_sum {
                let (last, rest) = variations.split_last_mut().expect("at least one slice");
                let mut left = 100_000u32;
                for wv in rest {
                    wv.weight = wv.weight.min(left);
                    left -= wv.weight;
                }
                last.weight = left;
            }
            Serve::Rollout(Rollout { variations, bucket_by: bucket_by.map(str::to_owned), salt })
        });
    prop_oneof![key.prop_map(Serve::Variation), rollout]
}

fn arb_flag(key: String) -> impl Strategy<Value = (Flag, EnvConfig)> {
    let kind = prop::sample::select(vec![
        FlagKind::Boolean,
        FlagKind::String,
        FlagKind::Number,
        FlagKind::Json,
    ]);
    (kind, 1usize..4, prop::bool::weighted(0.98)).prop_flat_map(move |(kind, n, well_typed)| {
        let key = key.clone();
        let values = vec(arb_json(), n).prop_map(move |values| {
            values
                .into_iter()
                .enumerate()
                .map(|(i, v)| match (kind, well_typed) {
                    (FlagKind::Boolean, true) => json!(i % 2 == 0),
                    (FlagKind::String, true) => json!(format!("s{i}")),
                    (FlagKind::Number, true) => json!(i),
                    _ => v,
                })
                .collect::<Vec<_>>()
        });
        let id = rarely("r[a-z]{4}", prop::sample::select(vec![String::new(), "r".to_owned()]));
        let rule =
            (vec(arb_clause(true), 0..3), arb_serve(n), id).prop_map(|(clauses, serve, id)| Rule {
                id,
                description: String::new(),
                clauses,
                serve,
            });
        let targets = vec((0..n, vec("[a-d]{1,2}", 0..3)), 0..2).prop_map(|ts| {
            ts.into_iter()
                .map(|(i, keys)| Target { variation: format!("v{i}"), keys })
                .collect::<Vec<_>>()
        });
        (values, prop::bool::weighted(0.85), 0..n, targets, vec(rule, 0..4), arb_serve(n)).prop_map(
            move |(values, on, off, targets, rules, default_rule)| {
                let flag = Flag {
                    key: key.clone(),
                    name: "F".to_owned(),
                    description: String::new(),
                    kind,
                    variations: values
                        .into_iter()
                        .enumerate()
                        .map(|(i, value)| Variation {
                            key: format!("v{i}"),
                            name: String::new(),
                            value,
                        })
                        .collect(),
                    tags: Vec::new(),
                    custom_properties: BTreeMap::new(),
                };
                let config = EnvConfig {
                    on,
                    off_variation: format!("v{off}"),
                    targets,
                    rules,
                    default_rule,
                };
                (flag, config)
            },
        )
    })
}

fn arb_segment(key: &'static str) -> impl Strategy<Value = Segment> {
    (vec("[a-d]{1,2}", 0..3), vec("[a-d]{1,2}", 0..3), vec(vec(arb_clause(false), 0..3), 0..3))
        .prop_map(move |(included, excluded, rules)| Segment {
            key: key.to_owned(),
            name: key.to_owned(),
            description: String::new(),
            included,
            excluded,
            rules: rules
                .into_iter()
                .enumerate()
                .map(|(i, clauses)| SegmentRule { id: format!("r{i}"), clauses })
                .collect(),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    /// Over 100,000 keys, each variation's share is within one percentage point of its weight.
    #[test]
    fn rollout_shares_follow_weights(
        cuts in vec(0u32..=100_000, 1..5),
        salt in "[a-z0-9]{0,8}",
        seed in any::<u64>(),
    ) {
        let mut cuts = cuts;
        cuts.sort_unstable();
        let mut weights = Vec::new();
        let mut previous = 0;
        for c in cuts.iter().copied().chain([100_000]) {
            weights.push(c - previous);
            previous = c;
        }
        let n = weights.len();
        let flag = Flag {
            key: "rollout".into(),
            name: "Rollout".into(),
            description: String::new(),
            kind: FlagKind::Number,
            variations: (0..n).map(|i| Variation { key: format!("v{i}"), name: String::new(), value: json!(i) }).collect(),
            tags: Vec::new(),
            custom_properties: BTreeMap::new(),
        };
        let config = EnvConfig {
            on: true,
            off_variation: "v0".into(),
            targets: Vec::new(),
            rules: Vec::new(),
            default_rule: Serve::Rollout(Rollout {
                variations: weights.iter().enumerate().map(|(i, w)| WeightedVariation { variation: format!("v{i}"), weight: *w }).collect(),
                bucket_by: None,
                salt,
            }),
        };
        let snapshot = Snapshot::build(1, [(&flag, &config)], []);
        prop_assert!(snapshot.issues().is_empty());
        let mut counts = vec![0u32; n];
        let mut attrs = Map::new();
        for i in 0..100_000 {
            attrs.insert("targetingKey".into(), Value::String(format!("user-{seed}-{i}")));
            let e = snapshot.evaluate("rollout", &Context::new(&attrs));
            let v = e.value.and_then(Value::as_u64).expect("a rollout always serves");
            counts[v as usize] += 1;
        }
        for (w, c) in weights.iter().zip(&counts) {
            let diff = (f64::from(*w) - f64::from(*c)).abs() / 1000.0;
            prop_assert!(diff <= 1.0, "weights {weights:?} counts {counts:?}");
        }
    }
}

proptest! {
    /// A key's bucket depends on flag key, salt and key only: the same on every call, in
    /// range, the same for the JSON string, and unmoved by other attributes.
    #[test]
    fn bucket_is_stable(
        flag_key in "[a-z.-]{1,8}",
        salt in ".{0,8}",
        key in ".{0,16}",
        extra in arb_context(),
    ) {
        let b = bucket(&flag_key, &salt, &key);
        prop_assert!(b < 100_000);
        prop_assert_eq!(b, bucket(&flag_key, &salt, &key));
        prop_assert_eq!(Some(b), bucket_value(&flag_key, &salt, &Value::String(key.clone())));

        let flag = Flag {
            key: flag_key.clone(),
            name: "F".into(),
            description: String::new(),
            kind: FlagKind::Boolean,
            variations: vec![
                Variation { key: "t".into(), name: String::new(), value: json!(true) },
                Variation { key: "f".into(), name: String::new(), value: json!(false) },
            ],
            tags: Vec::new(),
            custom_properties: BTreeMap::new(),
        };
        let config = EnvConfig {
            on: true,
            off_variation: "f".into(),
            targets: Vec::new(),
            rules: Vec::new(),
            default_rule: Serve::Rollout(Rollout {
                variations: vec![
                    WeightedVariation { variation: "t".into(), weight: 50_000 },
                    WeightedVariation { variation: "f".into(), weight: 50_000 },
                ],
                bucket_by: None,
                salt: salt.clone(),
            }),
        };
        let snapshot = Snapshot::build(1, [(&flag, &config)], []);
        let mut attrs = extra;
        attrs.insert("targetingKey".into(), Value::String(key));
        let e = snapshot.evaluate(&flag_key, &Context::new(&attrs));
        prop_assert_eq!(e.variation, Some(if b < 50_000 { "t" } else { "f" }));
    }

    /// Evaluation never panics, serves only the flag's own variations, and errors with
    /// GENERAL exactly for the flags validation rejects.
    #[test]
    fn evaluation_is_total(
        flags in vec(arb_flag("f".into()), 1..2),
        other in arb_flag("g".into()),
        s1 in arb_segment("s1"),
        s2 in arb_segment("s2"),
        ctx in arb_context(),
    ) {
        let mut all = flags;
        all.push(other);
        let segments = [s1, s2];
        let valid_segments: HashSet<&str> = segments
            .iter()
            .filter(|s| tether_flags::validate_segment(s).is_ok())
            .map(|s| s.key.as_str())
            .collect();
        let snapshot = Snapshot::build(1, all.iter().map(|(f, c)| (f, c)), &segments);
        let ctx = Context::new(&ctx);
        let bulk: Vec<_> = snapshot.evaluate_all(&ctx).collect();
        prop_assert_eq!(bulk.len(), 2);
        for (flag, config) in all.iter().take(1).chain(all.iter().skip(1).take(1)) {
            let e = snapshot.evaluate(&flag.key, &ctx);
            prop_assert!(bulk.contains(&(flag.key.as_str(), e)));
            let valid = validate_flag(flag).is_ok()
                && validate_env_config(flag, config, |s| valid_segments.contains(s)).is_ok();
            let is_general = matches!(e.reason, Reason::Error { code: tether_flags::ErrorCode::General, .. });
            prop_assert_eq!(valid, !is_general, "{:?}", snapshot.issues());
            match (e.variation, e.value, e.reason) {
                (None, None, Reason::Error { .. }) => {}
                (Some(key), Some(value), reason) => {
                    let is_error = matches!(reason, Reason::Error { .. });
                    prop_assert!(!is_error);
                    prop_assert!(flag.variations.iter().any(|v| v.key == key && &v.value == value));
                    prop_assert!(flag.kind.accepts(value));
                }
                other => prop_assert!(false, "inconsistent evaluation {:?}", other),
            }
        }
    }
}

/// Everything a snapshot answers for these contexts, and its issues as a sorted list.
fn answers(snapshot: &Snapshot, contexts: &[Map<String, Value>]) -> (Vec<String>, Vec<String>) {
    let mut evaluations = Vec::new();
    for ctx in contexts {
        let ctx = Context::new(ctx);
        evaluations.extend(snapshot.evaluate_all(&ctx).map(|(key, e)| format!("{key}: {e:?}")));
    }
    let mut issues: Vec<String> = snapshot.issues().iter().map(|i| format!("{i}")).collect();
    issues.sort();
    (evaluations, issues)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A snapshot changed one flag at a time (replaced, added, removed) answers exactly as
    /// one built from scratch over the same flags and segments.
    #[test]
    fn a_snapshot_changed_one_flag_at_a_time_answers_as_one_built_whole(
        before in vec(arb_flag("f".into()), 1..2),
        g in arb_flag("g".into()),
        g_again in arb_flag("g".into()),
        added in arb_flag("e".into()),
        s1 in arb_segment("s1"),
        s2 in arb_segment("s2"),
        contexts in vec(arb_context(), 1..4),
    ) {
        let segments = [s1, s2];
        let mut flags = before;
        flags.push(g);
        let old = Snapshot::build(1, flags.iter().map(|(f, c)| (f, c)), &segments);

        flags[1] = g_again;
        let whole = Snapshot::build(2, flags.iter().map(|(f, c)| (f, c)), &segments);
        let changed = old.with_flag(2, &flags[1].0, &flags[1].1);
        prop_assert_eq!(changed.version(), 2);
        prop_assert_eq!(answers(&changed, &contexts), answers(&whole, &contexts));

        flags.push(added);
        let whole = Snapshot::build(3, flags.iter().map(|(f, c)| (f, c)), &segments);
        let grown = changed.with_flag(3, &flags[2].0, &flags[2].1);
        prop_assert_eq!(grown.flag_keys().collect::<Vec<_>>(), ["e", "f", "g"]);
        prop_assert_eq!(answers(&grown, &contexts), answers(&whole, &contexts));

        let gone = flags.remove(1);
        let whole = Snapshot::build(4, flags.iter().map(|(f, c)| (f, c)), &segments);
        let shrunk = grown.without_flag(4, &gone.0.key);
        prop_assert_eq!(shrunk.flag_keys().collect::<Vec<_>>(), ["e", "f"]);
        prop_assert_eq!(answers(&shrunk, &contexts), answers(&whole, &contexts));
        prop_assert_eq!(answers(&shrunk.without_flag(5, "nothing"), &contexts), answers(&whole, &contexts));
    }
}

/// OFREP's answer object for one evaluation, as its specification draws it: a success with
/// `key`, `metadata` (`individualTarget` or `ruleId` when they apply), `reason`, `value` and
/// `variant`; a failure with `errorCode`, `errorDetails` and `key`.
fn ofrep_answer(key: &str, e: &tether_flags::Evaluation<'_>) -> Value {
    use tether_flags::Match;
    match e.reason {
        Reason::Error { code, detail } => {
            json!({ "errorCode": code.as_str(), "errorDetails": detail, "key": key })
        }
        reason => {
            let metadata = match reason {
                Reason::TargetingMatch(Match::Target) => json!({ "individualTarget": true }),
                Reason::TargetingMatch(Match::Rule(rule)) | Reason::Split { rule: Some(rule) } => {
                    json!({ "ruleId": rule.id })
                }
                _ => json!({}),
            };
            json!({
                "key": key,
                "metadata": metadata,
                "reason": reason.as_str(),
                "value": e.value,
                "variant": e.variation,
            })
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// The answers written from each flag's pre-serialised pieces are, byte for byte, what
    /// serde_json writes for OFREP's objects of the same evaluations (fields in alphabetical
    /// order), for keys that need escaping, any JSON values, failures and unknown flags.
    #[test]
    fn written_answers_are_ofreps_objects_byte_for_byte(
        odd in "[a-z\"\\\\\u{e9}\u{1}\u{2028}/ ]{1,5}".prop_flat_map(arb_flag),
        other in arb_flag("g".into()),
        s1 in arb_segment("s1"),
        ctx in arb_context(),
        unknown in "[a-z\"\\\\\u{e9}]{1,4}",
    ) {
        let flags = [odd, other];
        let snapshot = Snapshot::build(1, flags.iter().map(|(f, c)| (f, c)), &[s1]);
        let ctx = Context::new(&ctx);
        let expected: Vec<Value> =
            snapshot.evaluate_all(&ctx).map(|(key, e)| ofrep_answer(key, &e)).collect();
        let mut bulk = Vec::new();
        snapshot.write_all_answers(&ctx, &mut bulk);
        prop_assert_eq!(
            String::from_utf8(bulk).unwrap(),
            serde_json::to_string(&json!({ "flags": expected })).unwrap()
        );
        let keys: Vec<String> = snapshot.flag_keys().map(str::to_owned).collect();
        for key in keys.iter().chain([&unknown]) {
            let e = snapshot.evaluate(key, &ctx);
            let mut one = Vec::new();
            let written = snapshot.write_answer(key, &ctx, &mut one);
            prop_assert_eq!(
                String::from_utf8(one).unwrap(),
                serde_json::to_string(&ofrep_answer(key, &e)).unwrap()
            );
            let code = match e.reason {
                Reason::Error { code, .. } => Err(code),
                _ => Ok(()),
            };
            prop_assert_eq!(written, code);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A bulk answer's flags share one lookup per attribute path and one decision per
    /// segment; each flag's part of it is still what evaluating that flag alone answers.
    #[test]
    fn each_flag_of_a_bulk_answer_answers_as_when_evaluated_alone(
        flags in vec(arb_flag("f".into()), 2..8),
        s1 in arb_segment("s1"),
        s2 in arb_segment("s2"),
        ctx in arb_context(),
    ) {
        bulk_answers_as_alone(flags, &[s1, s2], &ctx)?;
    }

    /// The same with rules whose clauses all come from a pool of a few: the same test
    /// recurs across flags and rules (negated or not), and other operators test the same
    /// paths, so a bulk answer's memo of each test's outcome is read as often as it is
    /// written.
    #[test]
    fn flags_sharing_their_tests_answer_in_bulk_as_alone(
        flags in vec(arb_flag("f".into()), 2..8),
        tests in vec((prop::sample::select(vec!["a", "country"]), arb_op(), any::<bool>()), 1..5),
        other in arb_clause(true),
        picks in vec(any::<prop::sample::Index>(), 32),
        s1 in arb_segment("s1"),
        s2 in arb_segment("s2"),
        mut ctx in arb_context(),
        values in (arb_scalar(), arb_scalar()),
    ) {
        let mut pool: Vec<Clause> = tests
            .into_iter()
            .map(|(attribute, op, negate)| Clause {
                test: Test::Attribute { attribute: attribute.to_owned(), op },
                negate,
            })
            .collect();
        pool.push(other);
        ctx.insert("a".to_owned(), values.0);
        ctx.insert("country".to_owned(), values.1);
        let mut pick = picks.iter().cycle();
        let flags = flags
            .into_iter()
            .map(|(flag, mut config)| {
                for clause in config.rules.iter_mut().flat_map(|r| r.clauses.iter_mut()) {
                    *clause = pool[pick.next().expect("cycled").index(pool.len())].clone();
                }
                (flag, config)
            })
            .collect();
        bulk_answers_as_alone(flags, &[s1, s2], &ctx)?;
    }
}

/// Each flag's part of the bulk answer for `ctx` equals its answer evaluated alone (flags
/// renamed `f0`, `f1`, … so that their keys differ).
fn bulk_answers_as_alone(
    flags: Vec<(Flag, EnvConfig)>,
    segments: &[Segment],
    ctx: &Map<String, Value>,
) -> Result<(), TestCaseError> {
    let flags: Vec<(Flag, EnvConfig)> = flags
        .into_iter()
        .enumerate()
        .map(|(i, (mut flag, config))| {
            flag.key = format!("f{i}");
            (flag, config)
        })
        .collect();
    let snapshot = Snapshot::build(1, flags.iter().map(|(f, c)| (f, c)), segments);
    let ctx = Context::new(ctx);
    let alone: Vec<Value> =
        snapshot.flag_keys().map(|key| ofrep_answer(key, &snapshot.evaluate(key, &ctx))).collect();
    let mut bulk = Vec::new();
    snapshot.write_all_answers(&ctx, &mut bulk);
    let bulk: Value = serde_json::from_slice(&bulk).unwrap();
    prop_assert_eq!(bulk, json!({ "flags": alone }));
    Ok(())
}
