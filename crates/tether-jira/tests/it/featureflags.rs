//! The Feature Flags API: submit, read back, delete, and the 413 for oversize batches.

use std::collections::BTreeMap;

use jira_sandbox::Knobs;
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
    let sandbox = server.sandbox.install_connect_app("tether", "tether");
    let connect = Auth::connect("tether", sandbox.shared_secret);
    for auth in [server.oauth2(), connect] {
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
    let client = server.devops_client().await;
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

/// `count` flags `p0…`, each linked to `key` and to an unknown `NOPE-{i % 3}`.
fn many(count: usize, key: &str) -> Vec<FeatureFlag> {
    (0..count)
        .map(|i| {
            let nope = format!("NOPE-{}", i % 3);
            let mut f = flag(&format!("p{i}"), 1, &[key, &nope]);
            f.schema_version = "1.0".into();
            f
        })
        .collect()
}

#[tokio::test]
async fn any_number_of_flags_go_in_requests_of_at_most_100() {
    let server = support::cloud().await;
    let client = server.devops_client().await;
    let key = server.new_issue(&client, "flagged").await;
    let props = BTreeMap::from([("site".to_owned(), "one".to_owned())]);
    // The sandbox refuses more than 100 flags a request with a 400, so this passes only in chunks.
    let resp = client.submit_feature_flags_all(&props, many(250, &key)).await.expect("submit");
    assert_eq!(resp.accepted_feature_flags.len(), 250);
    let mut unknown = resp.unknown_issue_keys.clone();
    unknown.sort();
    assert_eq!(unknown, vec!["NOPE-0", "NOPE-1", "NOPE-2"], "merged once each");
    let stored = server.sandbox.feature_flags();
    assert_eq!(stored.len(), 250);
    assert!(stored.iter().all(|f| f.properties == props && f.issue_keys == vec![key.clone()]));
    let none = client.submit_feature_flags_all(&props, Vec::new()).await.unwrap();
    assert_eq!(none, tether_jira::FlagBulkResponse::default());
}

#[tokio::test]
async fn a_413_halves_the_request_until_it_fits() {
    let server = support::cloud().await;
    let client = server.devops_client().await;
    let key = server.new_issue(&client, "flagged").await;
    let flags = many(40, &key);
    // A cap that three flags fit under and four do not.
    let size_of = |n: usize| {
        let request = FlagBulkRequest { flags: flags[..n].to_vec(), ..Default::default() };
        serde_json::to_vec(&request).unwrap().len()
    };
    let cap = size_of(3);
    assert!(size_of(4) > cap);
    server.sandbox.set_knobs(Knobs { feature_flags_max_body_bytes: cap, ..Knobs::default() });
    let err = client
        .submit_feature_flags(&FlagBulkRequest { flags: flags.clone(), ..Default::default() })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::BadRequest { status: 413, .. }),
        "one request is too big: {err:?}"
    );

    let resp = client.submit_feature_flags_all(&BTreeMap::new(), flags).await.expect("split");
    let mut accepted = resp.accepted_feature_flags.clone();
    accepted.sort();
    accepted.dedup();
    assert_eq!(accepted.len(), 40, "{resp:?}");
    assert_eq!(server.sandbox.feature_flags().len(), 40);

    // One flag over the cap: halving ends at one, and the 413 comes back.
    server.sandbox.set_knobs(Knobs { feature_flags_max_body_bytes: 200, ..Knobs::default() });
    let err = client.submit_feature_flags_all(&BTreeMap::new(), many(5, &key)).await.unwrap_err();
    assert!(matches!(err, Error::BadRequest { status: 413, .. }), "{err:?}");
}

#[tokio::test]
async fn the_split_halves_and_keeps_the_smaller_size() {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use std::sync::{Arc, Mutex};

    // A Feature Flags API that takes at most 30 flags a request and records each request's size.
    let sizes: Arc<Mutex<Vec<usize>>> = Arc::default();
    let seen = sizes.clone();
    let app = axum::Router::new().route(
        "/rest/featureflags/0.1/bulk",
        axum::routing::post(move |axum::Json(body): axum::Json<serde_json::Value>| {
            let seen = seen.clone();
            async move {
                let ids: Vec<serde_json::Value> =
                    body["flags"].as_array().unwrap().iter().map(|f| f["id"].clone()).collect();
                seen.lock().unwrap().push(ids.len());
                if ids.len() > 30 {
                    return StatusCode::PAYLOAD_TOO_LARGE.into_response();
                }
                let answer = serde_json::json!({"acceptedFeatureFlags": ids, "failedFeatureFlags": {}, "unknownIssueKeys": []});
                (StatusCode::ACCEPTED, axum::Json(answer)).into_response()
            }
        }),
    );
    let base = support::serve(app).await;
    let cloud = tether_jira::Deployment { kind: tether_jira::DeploymentKind::Cloud, version: None };
    let client = tether_jira::Client::with_deployment(
        tether_jira::Site::new(base, Auth::api_token("me@example.com", "token")),
        fast(),
        cloud,
        None,
    )
    .unwrap();
    let resp = client.submit_feature_flags_all(&BTreeMap::new(), many(70, "DEMO-1")).await.unwrap();
    assert_eq!(resp.accepted_feature_flags.len(), 70);
    assert_eq!(*sizes.lock().unwrap(), vec![70, 35, 17, 17, 17, 17, 2]);
}
