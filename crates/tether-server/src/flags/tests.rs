//! The flags service against a real store: what happens when another write lands
//! between a change's authorisation and its write.

use tether_flags::{EnvConfig, Flag, FlagKind, Variation};
use tether_policy::{Principal, Role};
use tether_store::{MasterKey, NewProject, Store, TokenInfo};

use super::{ConfigWrite, WriteError, write_config};
use crate::auth::Caller;
use crate::{AppState, ServerConfig};

fn flag() -> Flag {
    let v = |key: &str, value: bool| Variation {
        key: key.into(),
        name: key.into(),
        value: serde_json::Value::Bool(value),
    };
    Flag {
        key: "checkout".into(),
        name: "Checkout".into(),
        description: String::new(),
        kind: FlagKind::Boolean,
        variations: vec![v("on", true), v("off", false)],
        tags: vec![],
        custom_properties: Default::default(),
    }
}

/// A caller whose only right is turning flags on and off.
fn toggler() -> Caller {
    let role = Role::parse(
        "toggle-only",
        "allow updateOn on proj/*:env/*:flag/*\nallow viewProject on proj/*",
    )
    .unwrap();
    let member = Principal::member("ops", vec![role.clone()]);
    let token = TokenInfo {
        id: 7,
        name: "toggler".into(),
        kind: "service".into(),
        member: "ops".into(),
        created_by: None,
        roles: vec!["toggle-only".into()],
        hint: String::new(),
        created_at: 0,
        revoked_at: None,
        last_used_at: None,
    };
    Caller { principal: Principal::token("toggler", vec![role], member), token }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_toggle_only_token_overwrote_rules_changed_concurrently() {
    // Reported: a token allowed only `updateOn` toggled while an admin changed the
    // rules; the toggle was checked against the old rules and wrote them back.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let store = Store::connect(&url, MasterKey::generate()).await.unwrap();
    store.migrate().await.unwrap();
    let project = NewProject {
        key: "shop".into(),
        name: "Shop".into(),
        description: String::new(),
        environments: vec![],
    };
    store.create_project(&project, "test").await.unwrap();
    store.create_flag("shop", &flag(), &super::initial_config(&flag()), "test").await.unwrap();
    let state = AppState::new(store.clone(), ServerConfig::default());

    let w = ConfigWrite {
        project: "shop",
        key: "checkout",
        env: "production",
        based_on: None,
        action: None,
    };
    let handle = tokio::runtime::Handle::current();
    let result = write_config(&state, &toggler(), w, |_, old| {
        // The admin's change lands after the toggle was read and authorised.
        let admin = EnvConfig { off_variation: "on".into(), ..old.config.clone() };
        tokio::task::block_in_place(|| {
            handle.block_on(store.update_flag_config(
                "shop",
                "checkout",
                "production",
                &admin,
                None,
                "admin",
            ))
        })
        .unwrap();
        Ok::<_, std::convert::Infallible>(EnvConfig { on: true, ..old.config.clone() })
    })
    .await;
    match result {
        Err(WriteError::Raced { current }) => assert_eq!(current, 2, "the admin's version"),
        other => panic!("expected a refused race, got {other:?}"),
    }
    let saved = store.flag("shop", "checkout").await.unwrap();
    let prod = saved.environments.iter().find(|e| e.env == "production").unwrap();
    assert_eq!(prod.config.off_variation, "on", "the admin's change stands");
    assert!(!prod.config.on, "nothing of the toggle was written");
}
