//! Settings and secrets encrypted at rest under the master key.

use secrecy::{ExposeSecret, SecretString};
use tether_store::{MasterKey, Store, StoreError};

use crate::stores_with_key;

#[tokio::test]
async fn secrets_round_trip_and_are_not_stored_in_clear() {
    for t in stores_with_key(MasterKey::generate()).await {
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
}

#[tokio::test]
async fn plain_settings_overwrite() {
    for t in stores().await {
        t.store.put_setting("ui.theme", "light").await.unwrap();
        t.store.put_setting("ui.theme", "dark").await.unwrap();
        assert_eq!(
            t.store.setting("ui.theme").await.unwrap().as_deref(),
            Some("dark"),
            "{}",
            t.label
        );
        assert_eq!(t.store.setting("missing").await.unwrap(), None);
    }
}

use crate::stores;

#[tokio::test]
async fn reopening_with_another_master_key_is_refused() {
    for t in stores_with_key(MasterKey::generate()).await {
        t.store.put_secret("s", &SecretString::from("v")).await.unwrap();
        let other = Store::connect(&t.url, MasterKey::generate()).await.unwrap();
        let err = other.migrate().await.unwrap_err();
        assert!(matches!(err, StoreError::WrongMasterKey), "{}: {err:?}", t.label);
        let err = other.secret("s").await.unwrap_err();
        assert!(matches!(err, StoreError::Decrypt(ref k) if k == "s"), "{}: {err:?}", t.label);
    }
}
