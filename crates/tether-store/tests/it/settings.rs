//! Settings and secrets encrypted at rest under the master key.

use secrecy::{ExposeSecret, SecretString};
use tether_store::{MasterKey, Store, StoreError};

use tether_store::on_each_backend;
use tether_store::testing::TestBackend;

use crate::TestStore;

on_each_backend!(secrets_round_trip_and_are_not_stored_in_clear);
async fn secrets_round_trip_and_are_not_stored_in_clear(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let token = SecretString::from("ATATT3xFfGF0-very-secret");
    t.store.put_secret("jira.site.1.token", &token).await.unwrap();
    let back = t.store.secret("jira.site.1.token").await.unwrap().unwrap();
    assert_eq!(back.expose_secret(), "ATATT3xFfGF0-very-secret", "{}", t.label);
    let sealed = t.store.sealed("jira.site.1.token").await.unwrap().unwrap();
    assert!(!String::from_utf8_lossy(&sealed).contains("very-secret"), "{}", t.label);
    // A secret is not readable as a plain setting.
    assert_eq!(t.store.setting("jira.site.1.token").await.unwrap(), None);
    assert!(t.store.delete_setting("jira.site.1.token").await.unwrap());
    assert!(t.store.secret("jira.site.1.token").await.unwrap().is_none());
}

on_each_backend!(plain_settings_overwrite);
async fn plain_settings_overwrite(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    t.store.put_setting("ui.theme", "light").await.unwrap();
    t.store.put_setting("ui.theme", "dark").await.unwrap();
    assert_eq!(t.store.setting("ui.theme").await.unwrap().as_deref(), Some("dark"), "{}", t.label);
    assert_eq!(t.store.setting("missing").await.unwrap(), None);
}

on_each_backend!(reopening_with_another_master_key_is_refused);
async fn reopening_with_another_master_key_is_refused(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    t.store.put_secret("s", &SecretString::from("v")).await.unwrap();
    let other = Store::connect(&t.url, MasterKey::generate()).await.unwrap();
    let err = other.migrate().await.unwrap_err();
    assert!(matches!(err, StoreError::WrongMasterKey), "{}: {err:?}", t.label);
    let err = other.secret("s").await.unwrap_err();
    assert!(matches!(err, StoreError::Decrypt(ref k) if k == "s"), "{}: {err:?}", t.label);
}
