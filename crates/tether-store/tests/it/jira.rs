//! Jira sites, project tracking, links and the sync bookkeeping: each flag
//! change of a tracked, linked flag bumps its updateSequenceId and enqueues its
//! sync in the same transaction; unlinked flags cost Jira nothing.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tether_flags::{EnvConfig, Flag, FlagKind, Serve, Variation};
use tether_store::{
    EnvKind, JIRA_SYNC_KIND, JiraAuthKind, JiraSyncWork, NewEnvironment, NewJiraSite, NewProject,
    Store, StoreError,
};

use tether_store::on_each_backend;
use tether_store::testing::TestBackend;

use crate::TestStore;

async fn setup(store: &Store) -> i64 {
    let env = |key: &str, kind, primary| NewEnvironment {
        key: key.into(),
        name: key.into(),
        kind,
        primary,
    };
    let p = NewProject {
        key: "shop".into(),
        name: "Shop".into(),
        description: String::new(),
        environments: vec![
            env("dev", EnvKind::Development, false),
            env("prod-eu", EnvKind::Production, true),
            env("prod-us", EnvKind::Production, false),
        ],
    };
    store.create_project(&p, "test").await.unwrap();
    for key in ["checkout", "banner"] {
        let flag = Flag {
            key: key.into(),
            name: format!("Flag {key}"),
            description: String::new(),
            kind: FlagKind::Boolean,
            variations: vec![
                Variation { key: "on".into(), name: "On".into(), value: json!(true) },
                Variation { key: "off".into(), name: "Off".into(), value: json!(false) },
            ],
            tags: vec![],
            custom_properties: Default::default(),
        };
        let off = EnvConfig {
            on: false,
            off_variation: "off".into(),
            targets: vec![],
            rules: vec![],
            default_rule: Serve::variation("on"),
        };
        store.create_flag("shop", &flag, &off, "test").await.unwrap();
    }
    let site = NewJiraSite {
        name: "acme".into(),
        url: "https://acme.atlassian.net".into(),
        api_url: None,
        deployment: None,
        auth_kind: JiraAuthKind::ApiToken,
        auth_user: "me@acme.test".into(),
        secret: SecretString::from("jira-token-123"),
        options: Default::default(),
    };
    store.create_jira_site(&site, "test").await.unwrap().id
}

/// Claims every due outbox row and returns the Jira sync work among them.
async fn drain_sync_work(store: &Store) -> Vec<JiraSyncWork> {
    let items = store.claim_outbox("t", 1000, Duration::from_secs(60)).await.unwrap();
    let mut out = vec![];
    for i in items {
        if i.kind == JIRA_SYNC_KIND {
            out.push(serde_json::from_str(&i.payload).unwrap());
        }
        assert!(store.complete_outbox(i.id, "t").await.unwrap());
    }
    out
}

on_each_backend!(site_secrets_are_sealed_and_names_unique);
async fn site_secrets_are_sealed_and_names_unique(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let id = setup(&t.store).await;
    let site = t.store.jira_site(id).await.unwrap();
    assert_eq!(site.auth_kind, JiraAuthKind::ApiToken, "{}", t.label);
    assert!(site.enabled);
    assert!(!format!("{site:?}").contains("jira-token-123"));
    assert_eq!(t.store.jira_site_secret(id).await.unwrap().expose_secret(), "jira-token-123");
    let again = NewJiraSite {
        name: "acme".into(),
        url: "https://x.test".into(),
        api_url: None,
        deployment: None,
        auth_kind: JiraAuthKind::Pat,
        auth_user: String::new(),
        secret: SecretString::from("x"),
        options: Default::default(),
    };
    let err = t.store.create_jira_site(&again, "test").await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(ref m) if m.contains("acme")), "{err:?}");
    assert_eq!(t.store.list_jira_sites().await.unwrap().len(), 1);
}

on_each_backend!(a_server_title_is_kept_beside_the_other_options);
async fn a_server_title_is_kept_beside_the_other_options(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let id = setup(&t.store).await;
    let title = |site: &tether_store::JiraSite| site.options.get("server_title").cloned();
    // (title recorded, what the options then hold)
    let cases =
        [("  Acme Jira ", Some(json!("Acme Jira"))), ("Acme", Some(json!("Acme"))), ("", None)];
    for (recorded, expect) in cases {
        t.store.set_jira_site_server_title(id, recorded).await.unwrap();
        let site = t.store.jira_site(id).await.unwrap();
        assert_eq!(title(&site), expect, "{}: {recorded:?}", t.label);
    }
    let err = t.store.set_jira_site_server_title(id + 1000, "x").await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{}: {err:?}", t.label);
}

on_each_backend!(tracking_defaults_to_production_environments);
async fn tracking_defaults_to_production_environments(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let site = setup(&t.store).await;
    assert_eq!(t.store.project_jira("shop").await.unwrap(), None);
    let pj = t.store.set_project_jira("shop", site, None, None, None, "test").await.unwrap();
    assert_eq!(pj.tracked, ["prod-eu", "prod-us"], "{}", t.label);
    assert_eq!(pj.primary_env, "prod-eu");
    let envs = vec!["dev".to_owned(), "prod-us".to_owned()];
    let pj = t
        .store
        .set_project_jira("shop", site, Some(&envs), Some("prod-us"), Some(pj.version), "test")
        .await
        .unwrap();
    assert_eq!(pj.tracked, ["dev", "prod-us"]);
    assert_eq!(pj.primary_env, "prod-us");
    // Stale version, unknown environment, untracked primary: refused.
    let stale = t.store.set_project_jira("shop", site, None, None, Some(1), "test").await;
    assert!(matches!(stale, Err(StoreError::VersionMismatch { .. })), "{stale:?}");
    let bad = vec!["qa".to_owned()];
    let err = t.store.set_project_jira("shop", site, Some(&bad), None, None, "test").await;
    assert!(
        matches!(err, Err(StoreError::Invalid(ref m)) if m.starts_with("environments[0]")),
        "{err:?}"
    );
    let err =
        t.store.set_project_jira("shop", site, Some(&envs), Some("prod-eu"), None, "test").await;
    assert!(
        matches!(err, Err(StoreError::Invalid(ref m)) if m.starts_with("primary_environment")),
        "{err:?}"
    );
    // A site in use cannot be deleted.
    let err = t.store.delete_jira_site(site, "test").await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(ref m) if m.contains("shop")), "{err:?}");
}

on_each_backend!(linked_flag_changes_enqueue_syncs_with_growing_sequence_ids);
async fn linked_flag_changes_enqueue_syncs_with_growing_sequence_ids(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let site = setup(&t.store).await;
    t.store.set_project_jira("shop", site, None, None, None, "test").await.unwrap();
    drain_sync_work(&t.store).await;

    // An unlinked flag's change is nothing to Jira.
    t.store.update_flag_config("shop", "banner", "prod-eu", &on(), None, "alice").await.unwrap();
    assert!(drain_sync_work(&t.store).await.is_empty(), "{}", t.label);
    assert_eq!(t.store.flag_sync(site, "shop", "banner").await.unwrap(), None);

    // Linking enqueues; the link is a flag change with an index by issue.
    t.store.link_flag_issue("shop", "checkout", " shop-1 ", "alice").await.unwrap();
    t.store.link_flag_issue("shop", "checkout", "SHOP-1", "alice").await.unwrap();
    t.store.link_flag_issue("shop", "checkout", "SHOP-2", "alice").await.unwrap();
    t.store.link_flag_issue("shop", "banner", "SHOP-2", "alice").await.unwrap();
    let flag = t.store.flag("shop", "checkout").await.unwrap();
    assert_eq!(flag.flag.jira_issues(), ["SHOP-1", "SHOP-2"]);
    let work = drain_sync_work(&t.store).await;
    let expect = |f: &str| JiraSyncWork { site_id: site, project: "shop".into(), flag: f.into() };
    assert_eq!(work, [expect("checkout"), expect("checkout"), expect("banner")]);
    let on_issue: Vec<String> =
        t.store.issue_flags("shop-2").await.unwrap().into_iter().map(|l| l.flag).collect();
    assert_eq!(on_issue, ["banner", "checkout"]);
    assert_eq!(t.store.issue_links(None, Some("checkout")).await.unwrap().len(), 2);

    // Every further change bumps the sequence, strictly.
    let s1 = t.store.flag_sync(site, "shop", "checkout").await.unwrap().unwrap().seq;
    t.store.update_flag_config("shop", "checkout", "prod-eu", &on(), None, "alice").await.unwrap();
    let s2 = t.store.flag_sync(site, "shop", "checkout").await.unwrap().unwrap().seq;
    assert!(s2 > s1, "{s2} > {s1}");
    assert_eq!(drain_sync_work(&t.store).await, [expect("checkout")]);

    // Pushes are recorded, never moving back.
    t.store.record_flag_push(site, "shop", "checkout", s2, Some("{\"n\":2}"), None).await.unwrap();
    t.store.record_flag_push(site, "shop", "checkout", s1, Some("{\"n\":1}"), None).await.unwrap();
    let sync = t.store.flag_sync(site, "shop", "checkout").await.unwrap().unwrap();
    assert_eq!((sync.pushed_seq, sync.pushed.as_deref()), (Some(s2), Some("{\"n\":2}")));

    // Unlinking the last issue still tells Jira; so does deleting the flag.
    assert!(t.store.unlink_flag_issue("shop", "banner", "shop-2", "alice").await.unwrap());
    assert!(!t.store.unlink_flag_issue("shop", "banner", "SHOP-2", "alice").await.unwrap());
    assert_eq!(drain_sync_work(&t.store).await, [expect("banner")]);
    t.store.delete_flag("shop", "checkout", None, "alice").await.unwrap();
    assert_eq!(drain_sync_work(&t.store).await, [expect("checkout")]);
    assert!(t.store.issue_links(Some("shop"), None).await.unwrap().is_empty());
    let flags = t.store.flags_for_site(site).await.unwrap();
    assert_eq!(
        flags,
        [("shop".to_owned(), "banner".to_owned()), ("shop".to_owned(), "checkout".to_owned())]
    );
}

on_each_backend!(links_made_before_a_site_are_sent_when_the_project_gets_one);
async fn links_made_before_a_site_are_sent_when_the_project_gets_one(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let site = setup(&t.store).await;
    t.store.link_flag_issue("shop", "checkout", "SHOP-7", "alice").await.unwrap();
    assert!(drain_sync_work(&t.store).await.is_empty(), "{}", t.label);
    t.store.set_project_jira("shop", site, None, None, None, "test").await.unwrap();
    let work = drain_sync_work(&t.store).await;
    assert_eq!(work.len(), 1);
    assert_eq!(work[0].flag, "checkout");
    // Changing only the tracked environments enqueues nothing.
    let envs = vec!["prod-eu".to_owned()];
    t.store.set_project_jira("shop", site, Some(&envs), None, None, "test").await.unwrap();
    assert!(drain_sync_work(&t.store).await.is_empty());
}

on_each_backend!(connect_lifecycle_keeps_one_site_per_client_key);
async fn connect_lifecycle_keeps_one_site_per_client_key(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let secret = SecretString::from("shared-1");
    let a = t
        .store
        .install_connect_site("ck-1", "https://acme.atlassian.net/", &secret, Default::default())
        .await
        .unwrap();
    assert_eq!(
        (a.name.as_str(), a.auth_kind, a.url.as_str()),
        ("acme.atlassian.net", JiraAuthKind::Connect, "https://acme.atlassian.net"),
        "{}",
        t.label
    );
    let b = t
        .store
        .install_connect_site(
            "ck-1",
            "https://acme.atlassian.net",
            &SecretString::from("shared-2"),
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(a.id, b.id);
    assert_eq!(t.store.jira_site_secret(a.id).await.unwrap().expose_secret(), "shared-2");
    let gone = t.store.uninstall_connect_site("ck-1").await.unwrap();
    assert!(!gone.enabled);
    let back = t
        .store
        .install_connect_site("ck-1", "https://acme.atlassian.net", &secret, Default::default())
        .await
        .unwrap();
    assert!(back.enabled);
    let other = t
        .store
        .install_connect_site("ck-2", "https://acme.atlassian.net", &secret, Default::default())
        .await
        .unwrap();
    assert_eq!(other.name, "acme.atlassian.net-2");
}

fn on() -> EnvConfig {
    EnvConfig {
        on: true,
        off_variation: "off".into(),
        targets: vec![],
        rules: vec![],
        default_rule: Serve::variation("on"),
    }
}
