//! Members, API tokens (hashed, shown once, revocable) and custom roles.

use tether_store::{API_TOKEN_PREFIX, NewToken};

use tether_store::on_each_backend;
use tether_store::testing::TestBackend;

use crate::TestStore;

on_each_backend!(tokens_are_found_by_secret_until_revoked_and_never_stored_in_clear);
async fn tokens_are_found_by_secret_until_revoked_and_never_stored_in_clear(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    s.put_member("alice", &["writer".to_owned()], "cli").await.unwrap();
    assert_eq!(
        s.member_roles("alice").await.unwrap(),
        Some(vec!["writer".to_owned()]),
        "{}",
        t.label
    );
    assert_eq!(s.member_roles("bob").await.unwrap(), None);
    let new = NewToken {
        name: "ci".into(),
        kind: "service".into(),
        member: "alice".into(),
        created_by: None,
        roles: vec!["reader".into()],
    };
    let (info, secret) = s.create_token(&new, "alice").await.unwrap();
    assert!(secret.starts_with(API_TOKEN_PREFIX), "{secret}");
    assert_eq!(
        (info.name.as_str(), info.kind.as_str(), info.roles.clone()),
        ("ci", "service", vec!["reader".to_owned()])
    );
    assert_eq!(info.hint, secret[secret.len() - 4..]);
    let child = NewToken { name: "child".into(), created_by: Some(info.id), ..new.clone() };
    let (child, _) = s.create_token(&child, "alice").await.unwrap();
    assert_eq!(child.created_by, Some(info.id));

    let found = s.token_by_secret(&secret).await.unwrap().unwrap();
    assert_eq!(found.id, info.id, "{}", t.label);
    assert!(found.last_used_at.is_none() && s.token(info.id).await.unwrap().last_used_at.is_some());
    assert!(s.token_by_secret("tether-api-wrong").await.unwrap().is_none());
    let audit = s.audit_log(None, 10).await.unwrap();
    assert!(
        audit.iter().all(|e| !e.after.as_deref().unwrap_or("").contains(&secret)),
        "secret in the audit log"
    );

    assert!(s.revoke_token(info.id, "alice").await.unwrap());
    assert!(!s.revoke_token(info.id, "alice").await.unwrap());
    assert!(s.token_by_secret(&secret).await.unwrap().is_none(), "{}", t.label);
    assert_eq!(s.list_tokens().await.unwrap().len(), 2);
}

on_each_backend!(custom_roles_are_stored_as_statement_text);
async fn custom_roles_are_stored_as_statement_text(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    s.put_role("toggler", "allow updateOn on proj/*:env/*:flag/*", "cli").await.unwrap();
    s.put_role("toggler", "allow updateOn on proj/shop:env/*:flag/*", "cli").await.unwrap();
    assert_eq!(
        s.role_statements("toggler").await.unwrap().as_deref(),
        Some("allow updateOn on proj/shop:env/*:flag/*"),
        "{}",
        t.label
    );
    assert_eq!(s.role_statements("nope").await.unwrap(), None);
}
