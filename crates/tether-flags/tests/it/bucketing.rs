//! Bucketing pinned to vectors computed independently with Python's hashlib; it must never
//! change. The `hashKey`/`saltyA` rows also match LaunchDarkly's published SDK test values
//! (0.42157587, 0.6708485, 0.10343106).
//!
//! ```python
//! h = int(hashlib.sha1(f"{flag}.{salt}.{value}".encode("utf-8")).hexdigest()[:15], 16)
//! bucket = h * 100000 // 0xFFFFFFFFFFFFFFF
//! ```

use serde_json::{Value, json};
use tether_flags::bucket::{bucket, bucket_value};
use tether_flags::{FlagKind, Rollout, Serve, WeightedVariation};

use crate::support::{config, eval_one, flag, rollout};

#[test]
fn pinned_vectors() {
    #[track_caller]
    fn check(flag_key: &str, salt: &str, value: &str, expected: u32) {
        assert_eq!(bucket(flag_key, salt, value), expected, "{flag_key}.{salt}.{value}");
    }
    check("new-checkout", "salt", "user-1", 94774);
    check("new-checkout", "salt", "user-2", 29165);
    check("new-checkout", "salt", "user-3", 26031);
    check("new-checkout", "other-salt", "user-1", 43146);
    check("hashKey", "saltyA", "userKeyA", 42157);
    check("hashKey", "saltyA", "userKeyB", 67084);
    check("hashKey", "saltyA", "userKeyC", 10343);
    check("hash-key", "saltyA", "userKeyA", 72384);
    check("hash-key", "saltyA", "userKeyB", 87459);
    check("hash-key", "saltyA", "userKeyC", 54294);
    check("flag", "", "", 93071);
    check("", "", "", 61537);
    check("dark-mode", "2024", "42", 37420);
    check("dark-mode", "2024", "-7", 55699);
    check("dark-mode", "2024", "Zoë ☃", 44048);
    check("a.b", "c.d", "e.f", 53313);
}

#[test]
fn bucketable_values() {
    #[track_caller]
    fn check(value: Value, expected: Option<u32>) {
        assert_eq!(bucket_value("dark-mode", "2024", &value), expected, "{value}");
    }
    check(json!("42"), Some(37420));
    check(json!(42), Some(37420));
    check(json!(42.0), Some(37420));
    check(json!(-7), Some(55699));
    check(json!(-7.0), Some(55699));
    check(json!(42.5), None);
    check(json!(true), None);
    check(json!(null), None);
    check(json!(["42"]), None);
    check(json!({"k": "42"}), None);
}

/// Buckets of `new-checkout`/`salt`: user-1 94774, user-2 29165, user-3 26031.
#[test]
#[rustfmt::skip] // one case a line
fn rollout_assigns_by_cumulative_weight() {
    #[track_caller]
    fn check(weights: &[(&str, u32)], ctx: Value, expected: &str) {
        let f = flag("new-checkout", FlagKind::String, &[
            ("a", json!("A")),
            ("b", json!("B")),
            ("c", json!("C")),
            ("off", json!("OFF")),
        ]);
        let c = tether_flags::EnvConfig { default_rule: rollout(weights, "salt"), ..config() };
        assert_eq!(eval_one(&f, &c, &[], &ctx), expected, "{weights:?} {ctx}");
    }
    let thirds = [("a", 33_334), ("b", 33_333), ("c", 33_333)];
    check(&thirds, json!({"targetingKey": "user-1"}), r#"SPLIT default c="C""#);
    check(&thirds, json!({"targetingKey": "user-2"}), r#"SPLIT default a="A""#);
    check(&thirds, json!({"targetingKey": "user-3"}), r#"SPLIT default a="A""#);
    check(&[("a", 26_031), ("b", 73_969)], json!({"targetingKey": "user-3"}), r#"SPLIT default b="B""#);
    check(&[("a", 26_032), ("b", 73_968)], json!({"targetingKey": "user-3"}), r#"SPLIT default a="A""#);
    check(&[("a", 0), ("b", 100_000)], json!({"targetingKey": "user-2"}), r#"SPLIT default b="B""#);
    check(&[("a", 100_000)], json!({"targetingKey": "user-1"}), r#"SPLIT default a="A""#);
    // Not bucketable: bucket 0, the first slice with a non-zero weight.
    check(&[("a", 0), ("b", 1), ("c", 99_999)], json!({"targetingKey": true}), r#"SPLIT default b="B""#);
    check(&thirds, json!({"targetingKey": ["user-1"]}), r#"SPLIT default a="A""#);
    check(&thirds, json!({}), "ERROR TARGETING_KEY_MISSING");
    check(&thirds, json!({"targetingKey": null}), "ERROR TARGETING_KEY_MISSING");
}

#[test]
#[rustfmt::skip] // one case a line
fn rollout_buckets_by_named_attribute() {
    #[track_caller]
    fn check(bucket_by: &str, ctx: Value, expected: &str) {
        let f = flag("new-checkout", FlagKind::String, &[("a", json!("A")), ("off", json!("OFF"))]);
        let c = tether_flags::EnvConfig {
            default_rule: Serve::Rollout(Rollout {
                variations: vec![
                    WeightedVariation { variation: "a".into(), weight: 50_000 },
                    WeightedVariation { variation: "off".into(), weight: 50_000 },
                ],
                bucket_by: Some(bucket_by.to_owned()),
                salt: "salt".to_owned(),
            }),
            ..config()
        };
        assert_eq!(eval_one(&f, &c, &[], &ctx), expected, "{bucket_by} {ctx}");
    }
    check("org.id", json!({"targetingKey": "x", "org": {"id": "user-1"}}), r#"SPLIT default off="OFF""#);
    check("org.id", json!({"targetingKey": "x", "org": {"id": "user-2"}}), r#"SPLIT default a="A""#);
    check("org.id", json!({"targetingKey": "user-2"}), "ERROR TARGETING_KEY_MISSING");
    check("org", json!({"org": "user-1"}), r#"SPLIT default off="OFF""#);
}
