//! Flags, configurations, segments and SDK keys: versions, audit, snapshot
//! versions per environment, and the persisted format read back exactly.

use serde_json::json;
use tether_flags::{
    Clause, EnvConfig, Flag, FlagKind, Op, Rollout, Rule, Segment, SegmentRule, Serve, Target,
    Variation, WeightedVariation,
};
use tether_store::{NewProject, Store, StoreError};

use tether_store::on_each_backend;
use tether_store::testing::TestBackend;

use crate::TestStore;

async fn project(store: &Store) {
    let p = NewProject {
        key: "shop".into(),
        name: "Shop".into(),
        description: String::new(),
        environments: vec![],
    };
    store.create_project(&p, "test").await.unwrap();
}

fn boolean_flag(key: &str) -> Flag {
    Flag {
        key: key.into(),
        name: format!("Flag {key}"),
        description: String::new(),
        kind: FlagKind::Boolean,
        variations: vec![
            Variation { key: "on".into(), name: "On".into(), value: json!(true) },
            Variation { key: "off".into(), name: "Off".into(), value: json!(false) },
        ],
        tags: vec!["checkout".into()],
        custom_properties: Default::default(),
    }
}

fn off() -> EnvConfig {
    EnvConfig {
        on: false,
        off_variation: "off".into(),
        targets: vec![],
        rules: vec![],
        default_rule: Serve::variation("on"),
    }
}

/// A configuration that uses every operator, negation, segments and rollouts.
fn everything() -> EnvConfig {
    let ops = vec![
        Op::Equals(json!("a")),
        Op::In(vec![json!(1), json!("b")]),
        Op::StartsWith("x".into()),
        Op::EndsWith("y".into()),
        Op::Contains("z".into()),
        Op::Matches("^a.*$".into()),
        Op::SemverEqual("1.2.3".into()),
        Op::SemverLess("2.0.0".into()),
        Op::SemverGreater("0.1.0".into()),
        Op::NumberEqual(1.5),
        Op::NumberLess(2.0),
        Op::NumberLessOrEqual(3.0),
        Op::NumberGreater(-4.0),
        Op::NumberGreaterOrEqual(5.0),
        Op::Before(json!("2026-01-01T00:00:00Z")),
        Op::After(json!(1700000000000_i64)),
    ];
    let clauses: Vec<Clause> = ops
        .into_iter()
        .enumerate()
        .map(|(i, op)| {
            let c = Clause::attribute(format!("attr{i}"), op);
            if i % 2 == 0 { c.negated() } else { c }
        })
        .chain([Clause::in_segment(["beta"])])
        .collect();
    EnvConfig {
        on: true,
        off_variation: "off".into(),
        targets: vec![Target { variation: "on".into(), keys: vec!["alice".into()] }],
        rules: vec![Rule {
            id: "r1".into(),
            description: "all ops".into(),
            clauses,
            serve: Serve::variation("on"),
        }],
        default_rule: Serve::Rollout(Rollout {
            variations: vec![
                WeightedVariation { variation: "on".into(), weight: 30_000 },
                WeightedVariation { variation: "off".into(), weight: 70_000 },
            ],
            bucket_by: Some("userId".into()),
            salt: "s".into(),
        }),
    }
}

on_each_backend!(a_new_flag_gets_the_initial_config_in_every_environment);
async fn a_new_flag_gets_the_initial_config_in_every_environment(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    project(s).await;
    let before = s.environment_version("shop", "production").await.unwrap();
    let state =
        s.create_flag("shop", &boolean_flag("new-checkout"), &off(), "alice").await.unwrap();
    assert_eq!(state.version, 1, "{}", t.label);
    assert_eq!(state.flag, boolean_flag("new-checkout"));
    let envs: Vec<(&str, i64)> =
        state.environments.iter().map(|e| (e.env.as_str(), e.version)).collect();
    assert_eq!(envs, [("development", 1), ("staging", 1), ("production", 1)], "{}", t.label);
    assert!(state.environments.iter().all(|e| e.config == off() && e.updated_by == "alice"));
    assert!(s.environment_version("shop", "production").await.unwrap() > before);
    let log = s.audit_log(Some("proj/shop:flag/new-checkout"), 5).await.unwrap();
    assert_eq!(log[0].action, "flag.create");

    let err =
        s.create_flag("shop", &boolean_flag("new-checkout"), &off(), "alice").await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ref m) if m.contains("new-checkout")),
        "{}: {err:?}",
        t.label
    );
    let err = s.create_flag("nope", &boolean_flag("x"), &off(), "alice").await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{}: {err:?}", t.label);
}

on_each_backend!(every_operator_survives_the_round_trip_through_the_database);
async fn every_operator_survives_the_round_trip_through_the_database(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    project(s).await;
    s.create_flag("shop", &boolean_flag("f"), &off(), "a").await.unwrap();
    let saved =
        s.update_flag_config("shop", "f", "staging", &everything(), Some(1), "bob").await.unwrap();
    assert_eq!(saved.config, everything(), "{}", t.label);
    assert_eq!((saved.version, saved.updated_by.as_str()), (2, "bob"));
    let again = s.flag("shop", "f").await.unwrap();
    let staging = again.environments.iter().find(|e| e.env == "staging").unwrap();
    assert_eq!(staging.config, everything(), "{}", t.label);
    let production = again.environments.iter().find(|e| e.env == "production").unwrap();
    assert_eq!(
        (production.config.clone(), production.version),
        (off(), 1),
        "other environments untouched"
    );
}

on_each_backend!(stale_versions_are_refused_and_change_nothing);
async fn stale_versions_are_refused_and_change_nothing(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    project(s).await;
    s.create_flag("shop", &boolean_flag("f"), &off(), "a").await.unwrap();
    let mut renamed = boolean_flag("f");
    renamed.name = "Renamed".into();
    assert_eq!(s.update_flag("shop", &renamed, Some(1), "a").await.unwrap().version, 2);
    let mut again = boolean_flag("f");
    again.name = "Lost update".into();
    let err = s.update_flag("shop", &again, Some(1), "b").await.unwrap_err();
    assert!(
        matches!(err, StoreError::VersionMismatch { expected: 1, current: 2 }),
        "{}: {err:?}",
        t.label
    );
    assert_eq!(s.flag("shop", "f").await.unwrap().flag.name, "Renamed");

    let err = s
        .update_flag_config("shop", "f", "production", &everything(), Some(7), "b")
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::VersionMismatch { expected: 7, current: 1 }),
        "{}: {err:?}",
        t.label
    );
    let err = s.delete_flag("shop", "f", Some(1), "b").await.unwrap_err();
    assert!(matches!(err, StoreError::VersionMismatch { .. }), "{}: {err:?}", t.label);
    s.delete_flag("shop", "f", Some(2), "b").await.unwrap();
    assert!(matches!(s.flag("shop", "f").await, Err(StoreError::NotFound)));
    let log = s.audit_log(Some("proj/shop:flag/f"), 10).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["flag.delete", "flag.update", "flag.create"], "{}", t.label);
}

on_each_backend!(a_config_change_bumps_only_its_environment_and_contents_match);
async fn a_config_change_bumps_only_its_environment_and_contents_match(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    project(s).await;
    s.create_flag("shop", &boolean_flag("b"), &off(), "a").await.unwrap();
    s.create_flag("shop", &boolean_flag("a"), &off(), "a").await.unwrap();
    let segment = Segment {
        key: "beta".into(),
        name: "Beta".into(),
        description: String::new(),
        included: vec!["alice".into()],
        excluded: vec![],
        rules: vec![SegmentRule {
            id: "s1".into(),
            clauses: vec![Clause::attribute("plan", Op::Equals(json!("pro")))],
        }],
    };
    s.create_segment("shop", &segment, "a").await.unwrap();
    let (dev, prod) = (
        s.environment_version("shop", "development").await.unwrap(),
        s.environment_version("shop", "production").await.unwrap(),
    );
    s.update_flag_config("shop", "a", "production", &everything(), None, "a").await.unwrap();
    assert_eq!(s.environment_version("shop", "development").await.unwrap(), dev, "{}", t.label);
    assert_eq!(s.environment_version("shop", "production").await.unwrap(), prod + 1, "{}", t.label);

    let contents = s.environment_contents("shop", "production").await.unwrap();
    assert_eq!(contents.version, prod + 1);
    let keys: Vec<&str> = contents.flags.iter().map(|(f, _)| f.key.as_str()).collect();
    assert_eq!(keys, ["a", "b"], "{}", t.label);
    assert_eq!(contents.flags[0].1, everything());
    assert_eq!(contents.segments, vec![segment.clone()], "{}", t.label);

    let mut changed = segment.clone();
    changed.included.push("bob".into());
    assert_eq!(s.update_segment("shop", &changed, Some(1), "a").await.unwrap().version, 2);
    assert!(
        s.environment_version("shop", "development").await.unwrap() > dev,
        "segments affect every environment"
    );
    assert_eq!(s.list_segments("shop").await.unwrap()[0].segment, changed);
    assert_eq!(s.list_flags("shop").await.unwrap().len(), 2);
}

on_each_backend!(sdk_keys_resolve_to_their_environment_until_revoked);
async fn sdk_keys_resolve_to_their_environment_until_revoked(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    project(s).await;
    let key = s.create_sdk_key("shop", "production", "admin").await.unwrap();
    assert!(key.starts_with(tether_store::SDK_KEY_PREFIX) && key.len() > 40, "{key}");
    let scope = s.sdk_key_scope(&key).await.unwrap().unwrap();
    assert_eq!((scope.project.as_str(), scope.env.as_str()), ("shop", "production"), "{}", t.label);
    assert_eq!(s.sdk_key_scope("tether-sdk-wrong").await.unwrap(), None);
    let listed = s.list_sdk_keys("shop", "production").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].hint, key[key.len() - 4..]);
    assert!(s.list_sdk_keys("shop", "staging").await.unwrap().is_empty());
    assert!(
        !s.revoke_sdk_key("shop", "staging", listed[0].id, "admin").await.unwrap(),
        "wrong environment"
    );
    assert!(s.revoke_sdk_key("shop", "production", listed[0].id, "admin").await.unwrap());
    assert_eq!(s.sdk_key_scope(&key).await.unwrap(), None, "{}", t.label);
}
