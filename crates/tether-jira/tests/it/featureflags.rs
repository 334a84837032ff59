//! The Feature Flags API: submit, read back, delete, and the 413 for oversize batches.

use std::collections::BTreeMap;

use jira_sandbox::{DEFAULT_OAUTH_CLIENT_ID, DEFAULT_OAUTH_CLIENT_SECRET, Knobs};
use secrecy::SecretString;
use tether_jira::{
    Auth, Error, FeatureFlag, FlagBulkRequest, FlagDetails, FlagEnvironment, FlagStatus,
    FlagSummary, Rollout,
};

use crate::support::{self, fast};

fn flag(id: &str, seq: i64, keys: &[&str]) -> FeatureFlag {
    let status = FlagStatus {
        enabled: true,
        default_value: Some("off".into()),
        rollout: Some(Rollout::Percentage(25.0)),
    };
    FeatureFlag {
        schema_version: String::new(),
        id: id.into(),
        key: format!("{id}-key"),
        update_sequence_id: seq,
        display_name: Some(format!("Flag {id}")),
        issue_keys: keys.iter().map(|k| (*k).to_owned()).collect(),
        summary: FlagSummary {
            url: Some(format!("https://tether.test/flags/{id}")),
            status: status.clone(),
            last_updated: "2024-05-01T10:00:00Z".into(),
        },
        details: vec![FlagDetails {
            url: format!("https://tether.test/flags/{id}/production"),
            last_updated: "2024-05-01T10:00:00Z".into(),
            environment: FlagEnvironment {
                name: "production".into(),
                kind: Some("production".into()),
            },
            status,
        }],
    }
}

#[tokio::test]
async fn flags_are_submitted_read_and_deleted() {
    let server = support::cloud().await;
    let oauth2 = Auth::OAuth2 {
        client_id: DEFAULT_OAUTH_CLIENT_ID.into(),
        client_secret: SecretString::from(DEFAULT_OAUTH_CLIENT_SECRET.to_owned()),
        token_url: format!("{}/oauth/token", server.base),
        gateway_url: server.base.clone(),
    };
    for auth in [server.default_auth(), oauth2] {
        let client = server.client_with(auth, fast()).await;
        let key = server.new_issue(&client, "flagged").await;
        let request = FlagBulkRequest {
            properties: BTreeMap::from([("site".to_owned(), "one".to_owned())]),
            flags: vec![flag("f1", 1, &[&key, "NOPE-1"]), flag("f2", 1, &["NOPE-2"])],
            provider_metadata: None,
        };
        let resp = client.submit_feature_flags(&request).await.expect("submit");
        assert!(resp.accepted_feature_flags.contains(&"f1".to_owned()), "{resp:?}");
        assert!(resp.unknown_issue_keys.contains(&"NOPE-1".to_owned()), "{resp:?}");
        let stored = server.sandbox.feature_flag("f1").expect("stored");
        assert_eq!(stored.issue_keys, vec![key.clone()]);
        let read = client.feature_flag("f1").await.unwrap().expect("read back");
        assert_eq!(read.update_sequence_id, 1);
        assert_eq!(read.summary.status.rollout, Some(Rollout::Percentage(25.0)));
        // An older update is ignored, not failed.
        let resp = client
            .submit_feature_flags(&FlagBulkRequest {
                flags: vec![flag("f1", 0, &[&key])],
                ..request.clone()
            })
            .await
            .unwrap();
        assert!(resp.failed_feature_flags.is_empty());
        assert_eq!(server.sandbox.feature_flag("f1").unwrap().update_sequence_id, 1);
        client.delete_feature_flag("f1", None).await.unwrap();
        assert_eq!(client.feature_flag("f1").await.unwrap(), None);
        client.submit_feature_flags(&request).await.unwrap();
        client.delete_feature_flags_by_properties(&request.properties).await.unwrap();
        assert!(server.sandbox.feature_flag("f1").is_none());
    }
}

#[tokio::test]
async fn invalid_flags_fail_per_flag_and_oversize_batches_get_413() {
    let server = support::cloud().await;
    let client = server.client().await;
    let key = server.new_issue(&client, "flagged").await;
    let mut bad = flag("bad", 1, &[&key]);
    bad.details.clear();
    let resp = client
        .submit_feature_flags(&FlagBulkRequest {
            flags: vec![bad, flag("ok", 1, &[&key])],
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(resp.failed_feature_flags.contains_key("bad"), "{resp:?}");
    assert_eq!(resp.accepted_feature_flags, vec!["ok".to_owned()]);
    server.sandbox.set_knobs(Knobs { feature_flags_max_body_bytes: 200, ..Knobs::default() });
    let err = client
        .submit_feature_flags(&FlagBulkRequest {
            flags: vec![flag("big", 1, &[&key])],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadRequest { status: 413, .. }), "{err:?}");
}
