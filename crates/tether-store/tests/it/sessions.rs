//! Web UI sessions: random ids kept hashed, ended by sign-out, idling, their
//! absolute expiry or their token's revocation, on the store's clock.

use std::time::Duration;

use tether_store::testing::TestBackend;
use tether_store::{NewToken, SessionLimits, on_each_backend};

use crate::TestStore;

on_each_backend!(the_session_cookie_was_the_raw_api_token);
async fn the_session_cookie_was_the_raw_api_token(backend: TestBackend) {
    // Reported: the cookie held the API token itself, never expired and still
    // worked after sign-out. Sessions are now ids of their own with ends.
    let t = TestStore::new(backend).await;
    let s = &t.store;
    s.put_member("alice", &["writer".to_owned()], "t").await.unwrap();
    let new = NewToken {
        name: "ui".into(),
        kind: "personal".into(),
        member: "alice".into(),
        created_by: None,
        roles: vec!["writer".into()],
    };
    let (token, secret) = s.create_token(&new, "t").await.unwrap();
    let limits = SessionLimits {
        idle: Duration::from_secs(60 * 60),
        absolute: Duration::from_secs(8 * 3600),
    };
    let id = s.create_session(token.id, limits).await.unwrap();
    assert!(id.starts_with("tether-session-") && !id.contains(&secret), "{}", t.label);
    assert_eq!(s.session_token(&id, limits).await.unwrap().map(|t| t.id), Some(token.id));
    assert!(s.session_token(&secret, limits).await.unwrap().is_none(), "a token is no session");

    // Idle: used within the hour it lives on; an hour unused ends it.
    t.clock.advance(Duration::from_secs(50 * 60));
    assert!(s.session_token(&id, limits).await.unwrap().is_some(), "used after 50 minutes");
    t.clock.advance(Duration::from_secs(59 * 60));
    assert!(s.session_token(&id, limits).await.unwrap().is_some(), "59 minutes after the last use");
    t.clock.advance(Duration::from_secs(61 * 60));
    assert!(s.session_token(&id, limits).await.unwrap().is_none(), "idle for an hour: ended");

    // Absolute: used every 50 minutes, it still ends 8 hours after sign-in.
    let id = s.create_session(token.id, limits).await.unwrap();
    let mut lived = 0;
    for _ in 0..10 {
        t.clock.advance(Duration::from_secs(50 * 60));
        if s.session_token(&id, limits).await.unwrap().is_none() {
            break;
        }
        lived += 1;
    }
    assert_eq!(lived, 9, "alive every 50 minutes for 7.5 hours, ended at 8h20");

    // Sign-out ends it at once; revoking the token ends every session of it.
    let a = s.create_session(token.id, limits).await.unwrap();
    let b = s.create_session(token.id, limits).await.unwrap();
    assert_ne!(a, b, "every sign-in gets a new id");
    assert!(s.revoke_session(&a).await.unwrap());
    assert!(!s.revoke_session(&a).await.unwrap());
    assert!(s.session_token(&a, limits).await.unwrap().is_none(), "signed out");
    assert!(s.session_token(&b, limits).await.unwrap().is_some());
    s.revoke_token(token.id, "t").await.unwrap();
    assert!(s.session_token(&b, limits).await.unwrap().is_none(), "token revoked");
    t.clock.advance(Duration::from_secs(2 * 24 * 3600));
    assert!(s.prune_sessions().await.unwrap() >= 3, "ended sessions are forgotten later");
}
