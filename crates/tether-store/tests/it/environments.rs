//! Environments added, changed and deleted after a project's creation: what
//! their flags start with, one primary at a time, versions, audit entries and
//! events in the same transaction, and what a deletion takes with it.

use std::time::Duration;

use serde_json::{Value, json};
use tether_flags::{EnvConfig, Flag, FlagKind, Serve, Target, Variation};
use tether_store::{
    EnvKind, EnvironmentChange, NewEnvironment, NewProject, Project, Store, StoreError,
};

use tether_store::on_each_backend;
use tether_store::testing::TestBackend;

use crate::TestStore;

fn flag(key: &str) -> Flag {
    Flag {
        key: key.into(),
        name: key.into(),
        description: String::new(),
        kind: FlagKind::Boolean,
        variations: vec![
            Variation { key: "yes".into(), name: String::new(), value: json!(true) },
            Variation { key: "no".into(), name: String::new(), value: json!(false) },
        ],
        tags: vec![],
        custom_properties: Default::default(),
    }
}

/// What the API gives a flag in a new environment: off, serving its last variation.
fn off_for(flag: &Flag) -> EnvConfig {
    EnvConfig {
        on: false,
        off_variation: flag.variations.last().unwrap().key.clone(),
        targets: vec![],
        rules: vec![],
        default_rule: Serve::variation(flag.variations[0].key.clone()),
    }
}

fn targeted() -> EnvConfig {
    EnvConfig {
        on: true,
        off_variation: "no".into(),
        targets: vec![Target { variation: "yes".into(), keys: vec!["alice".into()] }],
        rules: vec![],
        default_rule: Serve::variation("no"),
    }
}

fn env(key: &str, kind: EnvKind, primary: bool) -> NewEnvironment {
    NewEnvironment { key: key.into(), name: format!("Env {key}"), kind, primary }
}

/// Project `shop` (development, staging, production primary) with flags `a`
/// and `b`; `a` is targeted in production.
async fn setup(s: &Store) {
    let p = NewProject {
        key: "shop".into(),
        name: "Shop".into(),
        description: String::new(),
        environments: vec![],
    };
    s.create_project(&p, "t").await.unwrap();
    for key in ["a", "b"] {
        s.create_flag("shop", &flag(key), &off_for(&flag(key)), "t").await.unwrap();
    }
    s.update_flag_config("shop", "a", "production", &targeted(), None, "t").await.unwrap();
}

fn keys(p: &Project) -> Vec<(&str, bool)> {
    p.environments.iter().map(|e| (e.key.as_str(), e.primary)).collect()
}

/// The `event` outbox rows written so far: (event, environment).
async fn events(s: &Store) -> Vec<(String, Option<String>)> {
    let items = s.claim_outbox("test", 1000, Duration::from_secs(60)).await.unwrap();
    items
        .iter()
        .filter(|i| i.kind == tether_store::EVENT_KIND)
        .map(|i| {
            let e: tether_store::Event = serde_json::from_str(&i.payload).unwrap();
            (e.event, e.environment)
        })
        .collect()
}

fn config_in(state: &tether_store::FlagState, env: &str) -> Option<(EnvConfig, i64)> {
    state.environments.iter().find(|c| c.env == env).map(|c| (c.config.clone(), c.version))
}

on_each_backend!(a_new_environment_starts_with_every_flag_off_or_with_a_copy);
async fn a_new_environment_starts_with_every_flag_off_or_with_a_copy(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    setup(s).await;
    let before = s.project("shop").await.unwrap().version;
    let _ = events(s).await;

    let p = s
        .create_environment("shop", &env("qa", EnvKind::Testing, false), None, off_for, None, "ann")
        .await
        .unwrap();
    assert_eq!(
        keys(&p),
        [("development", false), ("staging", false), ("production", true), ("qa", false)],
        "{}",
        t.label
    );
    assert_eq!(p.version, before + 1, "{}", t.label);
    let qa = p.environments.last().unwrap();
    assert_eq!((qa.name.as_str(), qa.kind), ("Env qa", EnvKind::Testing));
    let a = s.flag("shop", "a").await.unwrap();
    assert_eq!(config_in(&a, "qa"), Some((off_for(&flag("a")), 1)), "{}", t.label);
    assert_eq!(a.environments.last().unwrap().updated_by, "ann");

    let p = s
        .create_environment(
            "shop",
            &env("canary", EnvKind::Production, false),
            Some("production"),
            off_for,
            Some(before + 1),
            "ann",
        )
        .await
        .unwrap();
    assert_eq!(p.version, before + 2);
    let a = s.flag("shop", "a").await.unwrap();
    assert_eq!(config_in(&a, "canary"), Some((targeted(), 1)), "copied: {}", t.label);
    let b = s.flag("shop", "b").await.unwrap();
    assert_eq!(config_in(&b, "canary"), Some((off_for(&flag("b")), 1)));
    let contents = s.environment_contents("shop", "canary").await.unwrap();
    assert_eq!(contents.flags.len(), 2);
    assert_eq!(contents.flags[0].1, targeted());

    let log = s.audit_log(Some("proj/shop:env/canary"), 5).await.unwrap();
    assert_eq!((log[0].action.as_str(), log[0].actor.as_str()), ("environment.create", "ann"));
    let after: Value = serde_json::from_str(log[0].after.as_deref().unwrap()).unwrap();
    assert_eq!(
        (after["copy_from"].clone(), after["flags"].clone()),
        (json!("production"), json!(2))
    );
    assert_eq!(
        events(s).await,
        [
            ("environment.created".to_owned(), Some("qa".to_owned())),
            ("environment.created".to_owned(), Some("canary".to_owned()))
        ],
        "{}",
        t.label
    );
}

on_each_backend!(adding_refuses_a_taken_key_a_missing_source_and_a_stale_version_writing_nothing);
async fn adding_refuses_a_taken_key_a_missing_source_and_a_stale_version_writing_nothing(
    backend: TestBackend,
) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    setup(s).await;
    let version = s.project("shop").await.unwrap().version;
    let err = s
        .create_environment(
            "shop",
            &env("staging", EnvKind::Staging, false),
            None,
            off_for,
            None,
            "t",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ref m) if m.contains("staging")),
        "{}: {err:?}",
        t.label
    );
    let err = s
        .create_environment(
            "shop",
            &env("qa", EnvKind::Testing, false),
            Some("nope"),
            off_for,
            None,
            "t",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{}: {err:?}", t.label);
    let err = s
        .create_environment(
            "shop",
            &env("qa", EnvKind::Testing, false),
            None,
            off_for,
            Some(version - 1),
            "t",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::VersionMismatch { current, .. } if current == version),
        "{}: {err:?}",
        t.label
    );
    let err = s
        .create_environment("nope", &env("qa", EnvKind::Testing, false), None, off_for, None, "t")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{}: {err:?}", t.label);
    let p = s.project("shop").await.unwrap();
    assert_eq!((p.version, p.environments.len()), (version, 3), "nothing written: {}", t.label);
    assert!(s.audit_log(Some("proj/shop:env/qa"), 5).await.unwrap().is_empty());
    assert!(
        s.flag("shop", "a").await.unwrap().environments.iter().all(|c| c.env != "qa"),
        "no configurations left behind"
    );
}

on_each_backend!(there_is_always_exactly_one_primary_environment);
async fn there_is_always_exactly_one_primary_environment(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    setup(s).await;
    let _ = events(s).await;
    // A new primary demotes production.
    let p = s
        .create_environment(
            "shop",
            &env("live", EnvKind::Production, true),
            None,
            off_for,
            None,
            "t",
        )
        .await
        .unwrap();
    assert_eq!(
        keys(&p),
        [("development", false), ("staging", false), ("production", false), ("live", true)],
        "{}",
        t.label
    );
    // Making staging primary demotes live, in the same change.
    let change = EnvironmentChange { primary: Some(true), ..Default::default() };
    let p = s.update_environment("shop", "staging", &change, Some(p.version), "bob").await.unwrap();
    assert_eq!(
        keys(&p),
        [("development", false), ("staging", true), ("production", false), ("live", false)],
        "{}",
        t.label
    );
    let log = s.audit_log(Some("proj/shop:env/live"), 5).await.unwrap();
    assert_eq!(log[0].action, "environment.update", "the demotion is audited");
    assert!(log[0].after.as_deref().unwrap().contains("\"primary\":false"));
    // The primary cannot simply stop being primary.
    let change = EnvironmentChange { primary: Some(false), ..Default::default() };
    let err = s.update_environment("shop", "staging", &change, None, "bob").await.unwrap_err();
    assert!(
        matches!(err, StoreError::Refused(ref m) if m.contains("primary")),
        "{}: {err:?}",
        t.label
    );
    assert_eq!(s.project("shop").await.unwrap(), p, "nothing written");
    // Renaming and a new kind, without touching the primary.
    let change = EnvironmentChange {
        name: Some("Quality".into()),
        kind: Some(EnvKind::Testing),
        primary: None,
    };
    let p2 =
        s.update_environment("shop", "development", &change, Some(p.version), "bob").await.unwrap();
    let dev = &p2.environments[0];
    assert_eq!((dev.name.as_str(), dev.kind, dev.primary), ("Quality", EnvKind::Testing, false));
    assert_eq!(p2.version, p.version + 1);
    let err = s
        .update_environment("shop", "development", &change, Some(p.version), "bob")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::VersionMismatch { .. }), "{}: {err:?}", t.label);
    let err = s.update_environment("shop", "nope", &change, None, "bob").await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{}: {err:?}", t.label);
    let updated: Vec<(String, Option<String>)> =
        events(s).await.into_iter().filter(|(e, _)| e == "environment.updated").collect();
    assert_eq!(
        updated,
        [
            ("environment.updated".to_owned(), Some("production".to_owned())),
            ("environment.updated".to_owned(), Some("live".to_owned())),
            ("environment.updated".to_owned(), Some("staging".to_owned())),
            ("environment.updated".to_owned(), Some("development".to_owned())),
        ],
        "{}",
        t.label
    );
}

on_each_backend!(deleting_takes_the_configurations_and_revokes_the_sdk_keys_but_never_the_primary);
async fn deleting_takes_the_configurations_and_revokes_the_sdk_keys_but_never_the_primary(
    backend: TestBackend,
) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    setup(s).await;
    s.update_flag_config("shop", "a", "staging", &targeted(), None, "t").await.unwrap();
    let key = s.create_sdk_key("shop", "staging", "t").await.unwrap();
    let prod_key = s.create_sdk_key("shop", "production", "t").await.unwrap();
    let version = s.project("shop").await.unwrap().version;
    let old_id = s.environment_contents("shop", "staging").await.unwrap().env_id;
    let _ = events(s).await;

    let err = s.delete_environment("shop", "production", None, "t").await.unwrap_err();
    assert!(
        matches!(err, StoreError::Refused(ref m) if m.contains("primary")),
        "{}: {err:?}",
        t.label
    );
    let err = s.delete_environment("shop", "staging", Some(version + 7), "t").await.unwrap_err();
    assert!(matches!(err, StoreError::VersionMismatch { .. }), "{}: {err:?}", t.label);
    assert!(s.sdk_key_scope(&key).await.unwrap().is_some(), "nothing written");

    let p = s.delete_environment("shop", "staging", Some(version), "carol").await.unwrap();
    assert_eq!(keys(&p), [("development", false), ("production", true)], "{}", t.label);
    assert_eq!(p.version, version + 1);
    assert_eq!(s.sdk_key_scope(&key).await.unwrap(), None, "its key stops working");
    assert!(s.sdk_key_scope(&prod_key).await.unwrap().is_some(), "others keep working");
    let a = s.flag("shop", "a").await.unwrap();
    let envs: Vec<&str> = a.environments.iter().map(|c| c.env.as_str()).collect();
    assert_eq!(envs, ["development", "production"], "{}", t.label);
    assert!(matches!(s.environment_contents("shop", "staging").await, Err(StoreError::NotFound)));
    assert!(s.environment_versions().await.unwrap().iter().all(|v| v.env != "staging"));

    let log = s.audit_log(Some("proj/shop:env/staging"), 5).await.unwrap();
    assert_eq!((log[0].action.as_str(), log[0].after.as_deref()), ("environment.delete", None));
    let before: Value = serde_json::from_str(log[0].before.as_deref().unwrap()).unwrap();
    assert_eq!(before["flag_configs"]["a"]["targets"][0]["keys"], json!(["alice"]), "{before}");
    assert_eq!(before["revoked_sdk_keys"][0]["hint"], json!(key[key.len() - 4..]));
    assert_eq!(events(s).await, [("environment.deleted".to_owned(), Some("staging".to_owned()))]);

    // A re-created namesake is another environment: a new id, fresh configurations.
    s.create_environment(
        "shop",
        &env("staging", EnvKind::Staging, false),
        None,
        off_for,
        None,
        "t",
    )
    .await
    .unwrap();
    let again = s.environment_contents("shop", "staging").await.unwrap();
    assert_ne!(again.env_id, old_id, "{}", t.label);
    assert!(again.flags.iter().all(|(f, c)| *c == off_for(f)), "{}", t.label);
    assert_eq!(s.sdk_key_scope(&key).await.unwrap(), None, "the old key stays dead");

    // The last environment is the primary one, so it can never go.
    s.delete_environment("shop", "development", None, "t").await.unwrap();
    s.delete_environment("shop", "staging", None, "t").await.unwrap();
    let err = s.delete_environment("shop", "production", None, "t").await.unwrap_err();
    assert!(
        matches!(err, StoreError::Refused(ref m) if m.contains("only")),
        "{}: {err:?}",
        t.label
    );
}

on_each_backend!(
    flags_and_environments_created_at_once_all_meet,
    flavor = "multi_thread",
    worker_threads = 4
);
/// Two processes on one database: one adds flags from several connections
/// while the other adds and deletes environments. Every flag must end with a
/// configuration in every environment, and no write may fail (on PostgreSQL a
/// flag created beside a new environment could miss it, or trip over one being
/// deleted).
async fn flags_and_environments_created_at_once_all_meet(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    setup(s).await;
    let other = Store::connect(&t.url, tether_store::MasterKey::generate()).await.unwrap();
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..4 {
        let s = s.clone();
        writers.spawn(async move {
            for i in 0..15 {
                let f = flag(&format!("f{writer}-{i}"));
                s.create_flag("shop", &f, &off_for(&f), "a").await.unwrap();
            }
        });
    }
    writers.spawn(async move {
        for i in 0..12 {
            let e = env(&format!("e{i}"), EnvKind::Testing, false);
            other.create_environment("shop", &e, None, off_for, None, "b").await.unwrap();
            if i % 2 == 1 {
                let gone = format!("e{}", i - 1);
                other.delete_environment("shop", &gone, None, "b").await.unwrap();
            }
        }
    });
    while let Some(done) = writers.join_next().await {
        done.unwrap();
    }
    let envs: Vec<String> =
        s.project("shop").await.unwrap().environments.into_iter().map(|e| e.key).collect();
    let all = s.list_flags("shop").await.unwrap();
    assert_eq!(all.len(), 62, "{}", t.label);
    for f in all {
        let configured: Vec<String> = f.environments.iter().map(|c| c.env.clone()).collect();
        assert_eq!(configured, envs, "{}: flag {}", t.label, f.flag.key);
    }
}
