//! Projects, environments and the audit entries their changes write.

use tether_store::{EnvKind, NewEnvironment, NewProject, StoreError};

use tether_store::on_each_backend;
use tether_store::testing::TestBackend;

use crate::TestStore;

fn new_project(key: &str) -> NewProject {
    NewProject {
        key: key.to_owned(),
        name: format!("Project {key}"),
        description: String::new(),
        environments: Vec::new(),
    }
}

on_each_backend!(migrations_are_idempotent_and_leave_the_schema_current);
async fn migrations_are_idempotent_and_leave_the_schema_current(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let status = t.store.schema_status().await.unwrap();
    assert!(status.is_current(), "{}: {status:?}", t.label);
    assert!(status.expected >= 1);
    assert_eq!(t.store.migrate().await.unwrap(), 0, "{}", t.label);
    t.store.ping().await.unwrap();
}

on_each_backend!(a_new_project_gets_default_environments_with_production_primary);
async fn a_new_project_gets_default_environments_with_production_primary(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let p = t.store.create_project(&new_project("checkout"), "alice").await.unwrap();
    let envs: Vec<(&str, EnvKind, bool)> =
        p.environments.iter().map(|e| (e.key.as_str(), e.kind, e.primary)).collect();
    assert_eq!(
        envs,
        [
            ("development", EnvKind::Development, false),
            ("staging", EnvKind::Staging, false),
            ("production", EnvKind::Production, true)
        ],
        "{}",
        t.label
    );
    assert_eq!(p.version, 1);
    let listed = t.store.list_projects().await.unwrap();
    assert_eq!(listed, vec![p.clone()], "{}", t.label);
    assert_eq!(t.store.project("checkout").await.unwrap(), p);
    assert!(matches!(t.store.project("nope").await, Err(StoreError::NotFound)));
}

on_each_backend!(creating_a_project_writes_one_audit_entry_with_its_state);
async fn creating_a_project_writes_one_audit_entry_with_its_state(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    t.store.create_project(&new_project("billing"), "bob").await.unwrap();
    let log = t.store.audit_log(Some("proj/billing"), 10).await.unwrap();
    assert_eq!(log.len(), 1, "{}", t.label);
    let entry = &log[0];
    assert_eq!((entry.actor.as_str(), entry.action.as_str()), ("bob", "project.create"));
    assert_eq!(entry.before, None);
    let after: serde_json::Value = serde_json::from_str(entry.after.as_deref().unwrap()).unwrap();
    assert_eq!(after["key"], "billing");
    assert_eq!(after["environments"].as_array().unwrap().len(), 3);
}

on_each_backend!(a_duplicate_project_key_is_a_conflict);
async fn a_duplicate_project_key_is_a_conflict(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    t.store.create_project(&new_project("dup"), "a").await.unwrap();
    let err = t.store.create_project(&new_project("dup"), "a").await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ref m) if m.contains("dup")),
        "{}: {err:?}",
        t.label
    );
    assert_eq!(t.store.audit_log(None, 10).await.unwrap().len(), 1, "{}", t.label);
}

on_each_backend!(a_failing_environment_rolls_back_the_whole_project);
async fn a_failing_environment_rolls_back_the_whole_project(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let env = |key: &str, primary| NewEnvironment {
        key: key.to_owned(),
        name: key.to_owned(),
        kind: EnvKind::Production,
        primary,
    };
    let mut p = new_project("half");
    p.environments = vec![env("prod", true), env("prod", false)];
    let err = t.store.create_project(&p, "a").await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ref m) if m.contains("prod")),
        "{}: {err:?}",
        t.label
    );
    assert!(t.store.list_projects().await.unwrap().is_empty(), "{}", t.label);
    assert!(t.store.audit_log(None, 10).await.unwrap().is_empty(), "{}", t.label);

    p.environments = vec![env("a", true), env("b", true)];
    let err = t.store.create_project(&p, "a").await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{}: {err:?}", t.label);
}
