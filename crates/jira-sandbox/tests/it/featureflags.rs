//! The Feature Flags API: request-level and per-flag validation, sequence ids, unknown
//! issues, properties, and (from `stored` on) one test per behaviour a sync engine relies on.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{self, Auth};

pub fn flag(id: &str, seq: i64, keys: &[&str]) -> Value {
    json!({
        "schemaVersion": "1.0",
        "id": id,
        "key": format!("{id}-key"),
        "updateSequenceId": seq,
        "displayName": format!("Flag {id}"),
        "issueKeys": keys,
        "summary": {"url": "https://tether.test/f", "status": {"enabled": true, "defaultValue": "off", "rollout": {"percentage": 25}},
                    "lastUpdated": "2024-01-31T10:15:00.000Z"},
        "details": [{"url": "https://tether.test/f/prod", "lastUpdated": "2024-01-31T10:15:00Z",
                     "environment": {"name": "prod", "type": "production"}, "status": {"enabled": true}}],
    })
}

/// Asserts the Feature Flags API's error shape, `[{"message": ...}]` (not the platform's), and
/// returns the messages joined.
fn flags_error(r: &support::Resp) -> String {
    let list = r.body.as_array().unwrap_or_else(|| panic!("not [{{message}}]: {:?}", r.body));
    assert!(!list.is_empty(), "no message");
    list.iter()
        .map(|m| m["message"].as_str().unwrap_or_else(|| panic!("no message in {m}")))
        .collect::<Vec<_>>()
        .join(" | ")
}

async fn submit(srv: &support::Server, body: Value) -> support::Resp {
    srv.app_post("/rest/featureflags/0.1/bulk", body).await
}

#[tokio::test]
async fn accepts_stores_and_gets() {
    let srv = support::cloud().await;
    let key = srv.create(3, "Flagged").await;
    let r =
        submit(&srv, json!({"flags": [flag("f1", 1, &[&key])], "properties": {"site": "a"}})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    assert_eq!(
        r.body,
        json!({"acceptedFeatureFlags": ["f1"], "failedFeatureFlags": {}, "unknownIssueKeys": []})
    );
    let r = srv.app_get("/rest/featureflags/0.1/flag/f1").await;
    assert_eq!(r.body["key"], "f1-key");
    let stored = srv.sandbox.feature_flag("f1").unwrap();
    assert_eq!(stored.issue_keys, std::slice::from_ref(&key));
    assert_eq!(stored.properties.get("site").map(String::as_str), Some("a"));
    assert_eq!(srv.get("/_sandbox/feature-flags").await.body[0]["id"], "f1");

    assert_eq!(srv.app_delete("/rest/featureflags/0.1/flag/f1").await.status, StatusCode::ACCEPTED);
    assert_eq!(srv.app_get("/rest/featureflags/0.1/flag/f1").await.status, StatusCode::NOT_FOUND);
    // Associations are the newer way to link issues.
    let mut f = flag("f2", 1, &[]);
    f.as_object_mut().unwrap().remove("issueKeys");
    f["associations"] = json!([{"associationType": "issueIdOrKeys", "values": [srv.sandbox.issue(&key).unwrap().id, "SAND-999"]}]);
    let r = submit(&srv, json!({"flags": [f]})).await;
    assert_eq!(r.body["acceptedFeatureFlags"], json!(["f2"]));
    assert_eq!(r.body["unknownAssociations"][0]["values"], json!(["SAND-999"]));
    assert_eq!(srv.sandbox.feature_flag("f2").unwrap().issue_keys, [key]);
}

#[tokio::test]
async fn request_level_validation() {
    let srv = support::cloud().await;
    let key = srv.create(3, "x").await;
    let many: Vec<Value> = (0..101).map(|i| flag(&format!("f{i}"), 1, &[&key])).collect();
    let six: serde_json::Map<String, Value> =
        (0..6).map(|i| (format!("p{i}"), json!("v"))).collect();
    let cases: &[(Value, &str)] = &[
        (json!({}), "flags: must not be null"),
        (json!({"flags": []}), "between 1 and 100"),
        (json!({"flags": many}), "between 1 and 100"),
        (json!({"flags": [flag("a", 1, &[&key])], "properties": six}), "at most 5 properties"),
        (
            json!({"flags": [flag("a", 1, &[&key])], "properties": {"k": "v".repeat(256)}}),
            "at most 255",
        ),
    ];
    for (body, want) in cases {
        let r = submit(&srv, body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{want}");
        assert!(flags_error(&r).contains(want), "{want}: {:?}", r.body);
    }
    assert!(srv.sandbox.feature_flags().is_empty());

    let mut knobs = srv.sandbox.knobs();
    knobs.feature_flags_max_body_bytes = 200;
    srv.sandbox.set_knobs(knobs);
    let r = submit(&srv, json!({"flags": [flag("a", 1, &[&key])]})).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(flags_error(&r).contains("Submit fewer"), "{:?}", r.body);
    let r = srv.app_delete("/rest/featureflags/0.1/bulkByProperties").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(flags_error(&r).contains("At least one property"), "{:?}", r.body);
    let r = srv.app_get("/rest/featureflags/0.1/flag/nope").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(flags_error(&r).contains("nope"), "{:?}", r.body);
}

#[tokio::test]
async fn per_flag_validation_fails_only_that_flag() {
    let srv = support::cloud().await;
    let key = srv.create(3, "x").await;
    let k = key.as_str();
    let edit = |f: fn(&mut Value)| {
        let mut v = flag("bad", 1, &[k]);
        f(&mut v);
        v
    };
    let cases: Vec<(Value, &str)> = vec![
        (edit(|v| v["schemaVersion"] = json!("2.0")), "schemaVersion"),
        (edit(|v| v["key"] = Value::Null), "key: must not be null"),
        (edit(|v| v["key"] = json!("k".repeat(256))), "key: size must be between 0 and 255"),
        (edit(|v| v["displayName"] = json!("d".repeat(256))), "displayName"),
        (edit(|v| v["updateSequenceId"] = json!("seven")), "updateSequenceId"),
        (edit(|v| v["issueKeys"] = json!([])), "issueKeys: must contain between 1 and 100"),
        (edit(|v| v["issueKeys"] = json!(["not a key"])), "is not a valid issue key"),
        (
            edit(|v| {
                v.as_object_mut().unwrap().remove("issueKeys");
            }),
            "at least one issue key",
        ),
        (
            edit(|v| v["associations"] = json!([{"associationType": "commits", "values": ["x"]}])),
            "associationType",
        ),
        (
            edit(|v| {
                v["associations"] =
                    json!([{"associationType": "issueKeys", "values": vec!["SAND-1"; 501]}])
            }),
            "at most 500",
        ),
        (
            edit(|v| {
                v.as_object_mut().unwrap().remove("summary");
            }),
            "summary: must not be null",
        ),
        (edit(|v| v["summary"]["lastUpdated"] = json!("yesterday")), "summary.lastUpdated"),
        (edit(|v| v["summary"]["status"] = json!({"defaultValue": "x"})), "summary.status.enabled"),
        (
            edit(|v| v["summary"]["status"]["rollout"] = json!({"percentage": 10, "text": "beta"})),
            "only one of",
        ),
        (
            edit(|v| v["summary"]["status"]["rollout"] = json!({"percentage": 101})),
            "between 0 and 100",
        ),
        (edit(|v| v["summary"]["status"]["rollout"] = json!({"rules": -1})), "rules"),
        (edit(|v| v["details"] = json!([])), "details: must contain at least 1"),
        (edit(|v| v["details"][0]["environment"]["type"] = json!("qa")), "environment.type"),
        (edit(|v| v["details"][0]["environment"] = json!({})), "environment.name"),
        (
            edit(|v| {
                v["details"][0].as_object_mut().unwrap().remove("url");
            }),
            "details[0].url",
        ),
        (
            edit(|v| v["summary"]["url"] = json!("u".repeat(2001))),
            "url: size must be between 0 and 2000",
        ),
    ];
    for (bad, want) in cases {
        let r = submit(&srv, json!({"flags": [bad, flag("good", 1, &[k])]})).await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        assert_eq!(r.body["acceptedFeatureFlags"], json!(["good"]), "{want}");
        let msgs = r.body["failedFeatureFlags"]["bad"].to_string();
        assert!(msgs.contains(want), "{want}: {msgs}");
        assert!(srv.sandbox.feature_flag("bad").is_none());
    }
    let r = submit(&srv, json!({"flags": [{"key": "no-id"}]})).await;
    assert!(r.body["failedFeatureFlags"]["flags[0]"].is_array());
}

#[tokio::test]
async fn sequence_ids_unknown_keys_and_properties() {
    let srv = support::cloud().await;
    let key = srv.create(3, "x").await;
    let k = key.as_str();
    submit(&srv, json!({"flags": [flag("f", 5, &[k])]})).await;
    // Older or equal sequence ids are ignored, not failed.
    for seq in [4, 5] {
        let mut f = flag("f", seq, &[k]);
        f["displayName"] = json!("stale");
        let r = submit(&srv, json!({"flags": [f]})).await;
        assert_eq!(r.body["acceptedFeatureFlags"], json!(["f"]));
        assert_eq!(r.body["failedFeatureFlags"], json!({}));
        assert_eq!(srv.sandbox.feature_flag("f").unwrap().update_sequence_id, 5);
        assert_eq!(srv.sandbox.feature_flag("f").unwrap().data["displayName"], "Flag f");
    }
    let r = submit(&srv, json!({"flags": [flag("f", 6, &[k, "NOPE-1"])]})).await;
    assert_eq!(r.body["unknownIssueKeys"], json!(["NOPE-1"]));
    assert_eq!(srv.sandbox.feature_flag("f").unwrap().update_sequence_id, 6);
    assert_eq!(srv.sandbox.feature_flag("f").unwrap().issue_keys, std::slice::from_ref(&key));
    // Linked only to unknown keys: not accepted, not failed, not stored.
    let r = submit(&srv, json!({"flags": [flag("ghost", 1, &["NOPE-2"])]})).await;
    assert_eq!(r.body["acceptedFeatureFlags"], json!([]));
    assert_eq!(r.body["failedFeatureFlags"], json!({}));
    assert_eq!(r.body["unknownIssueKeys"], json!(["NOPE-2"]));
    assert!(srv.sandbox.feature_flag("ghost").is_none());

    submit(
        &srv,
        json!({"flags": [flag("p1", 1, &[k])], "properties": {"account": "a", "env": "x"}}),
    )
    .await;
    submit(
        &srv,
        json!({"flags": [flag("p2", 1, &[k])], "properties": {"account": "a", "env": "y"}}),
    )
    .await;
    let r = srv.app_delete("/rest/featureflags/0.1/bulkByProperties").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = srv.app_delete("/rest/featureflags/0.1/bulkByProperties?account=a&env=x").await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let ids: Vec<String> = srv.sandbox.feature_flags().into_iter().map(|f| f.id).collect();
    assert_eq!(ids, ["f", "p2"]);
    srv.app_delete("/rest/featureflags/0.1/bulkByProperties?account=a").await;
    let ids: Vec<String> = srv.sandbox.feature_flags().into_iter().map(|f| f.id).collect();
    assert_eq!(ids, ["f"]);
}

#[tokio::test]
async fn feature_flags_need_auth_and_cloud() {
    let srv = support::cloud().await;
    let r = srv.call_as(Auth::None, Method::GET, "/rest/featureflags/0.1/flag/x", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let dc = support::dc().await;
    assert_eq!(dc.get("/rest/featureflags/0.1/flag/x").await.status, StatusCode::NOT_FOUND);
}

/// What a sync engine relies on, one behaviour per test below.
async fn stored(srv: &support::Server, id: &str) -> support::Resp {
    srv.app_get(&format!("/rest/featureflags/0.1/flag/{id}")).await
}

#[tokio::test]
async fn a_lower_or_equal_sequence_id_is_ignored_and_the_stored_flag_kept() {
    let srv = support::cloud().await;
    let (a, b) = (srv.create(3, "a").await, srv.create(3, "b").await);
    let r = submit(&srv, json!({"flags": [flag("f", 10, &[&a])]})).await;
    assert_eq!(r.body["acceptedFeatureFlags"], json!(["f"]));
    let before = stored(&srv, "f").await.body;
    for seq in [9, 10] {
        // Everything different, linked elsewhere: none of it may land.
        let mut stale = flag("f", seq, &[&b]);
        stale["displayName"] = json!("stale");
        stale["summary"]["status"]["enabled"] = json!(false);
        let r = submit(&srv, json!({"flags": [stale]})).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{seq}");
        assert_eq!(r.body["failedFeatureFlags"], json!({}), "{seq}: ignored, not failed");
        assert_eq!(stored(&srv, "f").await.body, before, "{seq}");
        assert_eq!(
            srv.sandbox.feature_flag("f").unwrap().issue_keys,
            std::slice::from_ref(&a),
            "{seq}"
        );
    }
    let mut newer = flag("f", 11, &[&b]);
    newer["displayName"] = json!("newer");
    submit(&srv, json!({"flags": [newer]})).await;
    assert_eq!(stored(&srv, "f").await.body["displayName"], "newer");
    assert_eq!(srv.sandbox.feature_flag("f").unwrap().issue_keys, [b]);
}

#[tokio::test]
async fn a_flag_linked_only_to_unknown_issues_is_not_stored_and_its_keys_are_reported() {
    let srv = support::cloud().await;
    let known = srv.create(3, "known").await;
    let r = submit(
        &srv,
        json!({"flags": [flag("ghost", 1, &["NOPE-1", "NOPE-2"]), flag("real", 1, &[&known, "NOPE-3"])]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(r.body["acceptedFeatureFlags"], json!(["real"]));
    assert_eq!(r.body["failedFeatureFlags"], json!({}));
    assert_eq!(r.body["unknownIssueKeys"], json!(["NOPE-1", "NOPE-2", "NOPE-3"]));
    assert_eq!(stored(&srv, "ghost").await.status, StatusCode::NOT_FOUND);
    assert_eq!(srv.sandbox.feature_flag("real").unwrap().issue_keys, [known]);
}

#[tokio::test]
async fn more_than_100_flags_is_a_400() {
    let srv = support::cloud().await;
    let key = srv.create(3, "x").await;
    for (n, want) in [(100, StatusCode::ACCEPTED), (101, StatusCode::BAD_REQUEST)] {
        let flags: Vec<Value> = (0..n).map(|i| flag(&format!("f{i}"), 1, &[&key])).collect();
        let r = submit(&srv, json!({"flags": flags})).await;
        assert_eq!(r.status, want, "{n} flags: {:?}", r.body);
    }
    assert_eq!(srv.sandbox.feature_flags().len(), 100);
}

/// Posts a raw body, so tests can pad it past a size.
async fn submit_raw(srv: &support::Server, body: String) -> StatusCode {
    reqwest::Client::new()
        .post(format!("{}/rest/featureflags/0.1/bulk", srv.base))
        .bearer_auth(srv.app_token().await)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_body_over_the_cap_is_a_413_and_halves_under_it_go_through() {
    let srv = support::cloud().await;
    let key = srv.create(3, "x").await;
    let flags: Vec<Value> = (0..100).map(|i| flag(&format!("f{i}"), 1, &[&key])).collect();
    let whole = json!({"flags": flags}).to_string().len();
    // The cap between half and all of the batch, set as another process would set it.
    let cap = whole * 3 / 4;
    let knobs = json!({"feature_flags_max_body_bytes": cap});
    let r = srv.call_as(Auth::None, Method::PUT, "/_sandbox/knobs", Some(knobs)).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = submit(&srv, json!({"flags": flags})).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(srv.sandbox.feature_flags().is_empty(), "nothing of a refused batch is stored");
    // What a client does about it: split and resend.
    for half in flags.chunks(50) {
        let r = submit(&srv, json!({"flags": half})).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    }
    assert_eq!(srv.sandbox.feature_flags().len(), 100);
}

#[tokio::test]
async fn the_body_cap_knob_decides_even_above_axums_default_limit() {
    // Regression: bodies over 2 MiB got axum's own plain-text 413 whatever the knob said.
    let srv = support::cloud().await;
    let key = srv.create(3, "x").await;
    srv.sandbox.set_knobs(jira_sandbox::Knobs {
        feature_flags_max_body_bytes: 3 << 20,
        ..Default::default()
    });
    let body = json!({"flags": [flag("big", 1, &[&key])]}).to_string();
    let padded = |len: usize| format!("{body}{}", " ".repeat(len - body.len()));
    assert_eq!(submit_raw(&srv, padded((5 << 20) / 2)).await, StatusCode::ACCEPTED);
    assert_eq!(submit_raw(&srv, padded((3 << 20) + 1)).await, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(submit_raw(&srv, padded(3 << 20)).await, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn flags_are_deleted_by_id_and_by_properties() {
    let srv = support::cloud().await;
    let key = srv.create(3, "x").await;
    let batch = |ids: &[&str], props: Value| json!({"flags": ids.iter().map(|id| flag(id, 1, &[&key])).collect::<Vec<_>>(), "properties": props});
    submit(&srv, batch(&["a1", "a2"], json!({"account": "a", "site": "s"}))).await;
    submit(&srv, batch(&["b1"], json!({"account": "b", "site": "s"}))).await;
    submit(&srv, batch(&["c1"], json!({}))).await;

    assert_eq!(srv.app_delete("/rest/featureflags/0.1/flag/a2").await.status, StatusCode::ACCEPTED);
    assert_eq!(stored(&srv, "a2").await.status, StatusCode::NOT_FOUND);
    // Deleting what is not there is accepted too (deletion is asynchronous in Jira).
    assert_eq!(srv.app_delete("/rest/featureflags/0.1/flag/a2").await.status, StatusCode::ACCEPTED);
    // Properties are ANDed: account=b and site=t matches nothing.
    let by = |q: &str| format!("/rest/featureflags/0.1/bulkByProperties?{q}");
    assert_eq!(srv.app_delete(&by("account=b&site=t")).await.status, StatusCode::ACCEPTED);
    assert_eq!(stored(&srv, "b1").await.status, StatusCode::OK);
    assert_eq!(srv.app_delete(&by("site=s")).await.status, StatusCode::ACCEPTED);
    let ids: Vec<String> = srv.sandbox.feature_flags().into_iter().map(|f| f.id).collect();
    assert_eq!(ids, ["c1"]);
}

#[tokio::test]
async fn one_issue_can_be_linked_to_several_flags() {
    let srv = support::cloud().await;
    let (a, b) = (srv.create(3, "a").await, srv.create(3, "b").await);
    let id_of_a = srv.sandbox.issue(&a).unwrap().id;
    // Regression: a key named twice (or by key and by id) was stored twice unless adjacent.
    let mut both = flag("both", 1, &[&a, &b, &a]);
    both["associations"] = json!([{"associationType": "issueIdOrKeys", "values": [id_of_a]}]);
    let r =
        submit(&srv, json!({"flags": [flag("one", 1, &[&a]), both, flag("two", 1, &[&a])]})).await;
    assert_eq!(r.body["acceptedFeatureFlags"], json!(["one", "both", "two"]));
    let linked: Vec<String> = srv
        .sandbox
        .feature_flags()
        .into_iter()
        .filter(|f| f.issue_keys.contains(&a))
        .map(|f| f.id)
        .collect();
    assert_eq!(linked, ["both", "one", "two"]);
    assert_eq!(srv.sandbox.feature_flag("both").unwrap().issue_keys, [a, b]);
}
