//! Forge installations stored like sites: lifecycle events enable and disable one row per
//! installation (replays change nothing), each is matched to its site by cloudId or URL — also
//! when the site comes later — and the old `jira.forge.installations` setting is imported once.

use std::time::Duration;

use secrecy::SecretString;
use tether_store::on_each_backend;
use tether_store::testing::TestBackend;
use tether_store::{
    ForgeInstallEvent, ForgeInstallation, ForgeLifecycle, JiraAuthKind, NewJiraSite, Store,
};

use crate::{START_MS, TestStore};

use ForgeLifecycle::{Installed, Uninstalled};

const CLOUD: &str = "4869c4ef-cb0d-4108-8243-8929ac7cc1fa";
const URL: &str = "https://acme.atlassian.net";

fn event(installation: &str, cloud_id: Option<&str>, site_url: Option<&str>) -> ForgeInstallEvent {
    ForgeInstallEvent {
        installation_id: installation.into(),
        app_id: "ari:cloud:ecosystem::app/8f7c2d0e".into(),
        cloud_id: cloud_id.map(Into::into),
        site_url: site_url.map(Into::into),
        api_base_url: cloud_id.map(|c| format!("https://api.atlassian.com/ex/jira/{c}")),
    }
}

async fn add_site(store: &Store, name: &str, url: &str) -> i64 {
    let site = NewJiraSite {
        name: name.into(),
        url: url.into(),
        api_url: None,
        deployment: None,
        auth_kind: JiraAuthKind::OAuth2,
        auth_user: "client-id".into(),
        secret: SecretString::from("client-secret"),
        options: Default::default(),
    };
    store.create_jira_site(&site, "test").await.unwrap().id
}

/// (installation, site, enabled) of every installation.
async fn rows(store: &Store) -> Vec<(String, Option<i64>, bool)> {
    let all = store.forge_installations().await.unwrap();
    all.into_iter().map(|i| (i.installation_id, i.site_id, i.enabled)).collect()
}

async fn audit_actions(store: &Store, installation: &str) -> Vec<String> {
    let entries = store.audit_log(Some(&format!("forge/{installation}")), 100).await.unwrap();
    entries.into_iter().rev().map(|e| e.action).collect()
}

on_each_backend!(a_replayed_event_changes_nothing);
async fn a_replayed_event_changes_nothing(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let ev = event("inst-1", Some(CLOUD), None);
    let first = t.store.record_forge_event(&ev, Installed).await.unwrap();
    t.clock.advance(Duration::from_secs(60));
    // Forge retries an event it got no answer for: the same install, a minute later.
    let again = t.store.record_forge_event(&ev, Installed).await.unwrap();
    assert_eq!(first, again, "{}", t.label);
    assert_eq!(again.installed_at, START_MS);
    assert_eq!(rows(&t.store).await, [("inst-1".to_owned(), None, true)]);
    t.store.record_forge_event(&ev, Uninstalled).await.unwrap();
    t.store.record_forge_event(&ev, Uninstalled).await.unwrap();
    assert_eq!(rows(&t.store).await, [("inst-1".to_owned(), None, false)]);
    assert_eq!(
        audit_actions(&t.store, "inst-1").await,
        ["jira.forge.install", "jira.forge.uninstall"]
    );
}

on_each_backend!(uninstall_then_reinstall_keeps_one_installation);
async fn uninstall_then_reinstall_keeps_one_installation(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let site = add_site(&t.store, "acme", URL).await;
    t.store.set_jira_site_cloud_id(site, CLOUD).await.unwrap();
    let ev = event("inst-1", Some(CLOUD), None);
    t.store.record_forge_event(&ev, Installed).await.unwrap();
    t.clock.advance(Duration::from_secs(3600));
    let gone = t.store.record_forge_event(&ev, Uninstalled).await.unwrap();
    assert_eq!((gone.enabled, gone.site_id), (false, Some(site)), "{}", t.label);
    t.clock.advance(Duration::from_secs(3600));
    // An uninstall event carries less than the install did: what was known stays.
    let back = t.store.record_forge_event(&event("inst-1", None, None), Installed).await.unwrap();
    let want = ForgeInstallation {
        installation_id: "inst-1".into(),
        app_id: ev.app_id.clone(),
        cloud_id: Some(CLOUD.into()),
        site_url: None,
        api_base_url: ev.api_base_url.clone(),
        site_id: Some(site),
        enabled: true,
        installed_at: START_MS + 7_200_000,
        updated_at: START_MS + 7_200_000,
    };
    assert_eq!(back, want);
    assert_eq!(
        audit_actions(&t.store, "inst-1").await,
        ["jira.forge.install", "jira.forge.uninstall", "jira.forge.install"]
    );
}

on_each_backend!(an_install_before_its_site_is_matched_when_the_site_comes);
async fn an_install_before_its_site_is_matched_when_the_site_comes(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    t.store.record_forge_event(&event("by-cloud", Some(CLOUD), None), Installed).await.unwrap();
    t.store
        .record_forge_event(
            &event("by-url", Some("other-cloud"), Some("https://b.test/")),
            Installed,
        )
        .await
        .unwrap();
    let unmatched = [("by-cloud".to_owned(), None, true), ("by-url".to_owned(), None, true)];
    assert_eq!(rows(&t.store).await, unmatched, "{}", t.label);
    // A site whose cloudId is not known yet matches nothing.
    let acme = add_site(&t.store, "acme", URL).await;
    assert_eq!(rows(&t.store).await, unmatched);
    // The token's site URL matches a site added with it.
    let b = add_site(&t.store, "b", "https://b.test").await;
    // The cloudId learned later (a connection test) matches the other.
    t.store.set_jira_site_cloud_id(acme, CLOUD).await.unwrap();
    let matched = [("by-cloud".to_owned(), Some(acme), true), ("by-url".to_owned(), Some(b), true)];
    assert_eq!(rows(&t.store).await, matched);
    assert_eq!(t.store.jira_site(acme).await.unwrap().cloud_id.as_deref(), Some(CLOUD));
    // A deleted site's installations wait for the next site of theirs.
    t.store.delete_jira_site(acme, "test").await.unwrap();
    assert_eq!(rows(&t.store).await[0], ("by-cloud".to_owned(), None, true));
    let again = add_site(&t.store, "acme-again", URL).await;
    t.store.set_jira_site_cloud_id(again, CLOUD).await.unwrap();
    assert_eq!(rows(&t.store).await[0], ("by-cloud".to_owned(), Some(again), true));
}

on_each_backend!(a_connect_install_gives_its_site_the_cloud_id);
async fn a_connect_install_gives_its_site_the_cloud_id(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    t.store.record_forge_event(&event("inst-1", Some(CLOUD), None), Installed).await.unwrap();
    let options = serde_json::json!({"cloud_id": CLOUD}).as_object().unwrap().clone();
    let site = t
        .store
        .install_connect_site("ck-1", URL, &SecretString::from("shared"), options)
        .await
        .unwrap();
    assert_eq!(site.cloud_id.as_deref(), Some(CLOUD), "{}", t.label);
    assert_eq!(rows(&t.store).await, [("inst-1".to_owned(), Some(site.id), true)]);
}

on_each_backend!(the_old_setting_is_imported_once);
async fn the_old_setting_is_imported_once(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let site = add_site(&t.store, "acme", URL).await;
    // What tether kept before installations had a table.
    let legacy = serde_json::json!({
        "inst-old": {"installation_id": "inst-old", "app_id": "ari:cloud:ecosystem::app/1",
            "cloud_id": CLOUD, "site_url": format!("{URL}/"), "api_base_url": null,
            "installed_at": 1_700_000_000_000_i64, "enabled": false},
        "inst-kept": {"installation_id": "inst-kept", "app_id": "ari:cloud:ecosystem::app/1",
            "cloud_id": null, "site_url": null, "api_base_url": null,
            "installed_at": 1_700_000_000_000_i64, "enabled": true},
    });
    // A row the table already has wins over the setting's.
    t.store.record_forge_event(&event("inst-kept", None, None), Uninstalled).await.unwrap();
    t.store.put_setting("jira.forge.installations", &legacy.to_string()).await.unwrap();
    t.store.migrate().await.unwrap();
    assert_eq!(
        rows(&t.store).await,
        [("inst-old".to_owned(), Some(site), false), ("inst-kept".to_owned(), None, false)],
        "{}",
        t.label
    );
    let old = t.store.forge_installation("inst-old").await.unwrap();
    assert_eq!((old.installed_at, old.site_url.as_deref()), (1_700_000_000_000, Some(URL)));
    assert_eq!(t.store.setting("jira.forge.installations").await.unwrap(), None);
    t.store.migrate().await.unwrap();
    assert_eq!(rows(&t.store).await.len(), 2);
}

on_each_backend!(a_damaged_old_setting_stops_the_start);
async fn a_damaged_old_setting_stops_the_start(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    t.store.put_setting("jira.forge.installations", "{not json").await.unwrap();
    let err = t.store.migrate().await.unwrap_err().to_string();
    assert!(err.contains("jira.forge.installations"), "{}: {err}", t.label);
    assert!(t.store.setting("jira.forge.installations").await.unwrap().is_some());
}
