//! Cloud: flags reach the sandbox's Feature Flags API through the worker.

use jira_sandbox::Knobs;
use serde_json::{Value, json};
use tether_store::{JiraAuthKind, NewJiraSite};

use tether_store::on_each_backend;
use tether_store::testing::TestBackend;

use super::support::{Login, World};

fn result(w: &tether_store::FlagSync) -> Value {
    serde_json::from_str(w.result.as_deref().unwrap_or("null")).unwrap()
}

fn pushed(w: &tether_store::FlagSync) -> Value {
    serde_json::from_str(w.pushed.as_deref().unwrap_or("null")).unwrap()
}

on_each_backend!(a_linked_flag_shows_its_state_per_tracked_environment);
async fn a_linked_flag_shows_its_state_per_tracked_environment(backend: TestBackend) {
    let w = World::new(backend, true).await;
    w.flag("checkout", "New checkout").await;
    w.drain().await;
    assert_eq!(w.sandbox.feature_flags().len(), 0, "{}: unlinked flags cost Jira nothing", w.label);

    w.link("checkout", "SAND-1").await;
    let report = w.drain().await;
    assert_eq!(report.jira_sent, 1, "{}: {report:?}", w.label);
    let doc = w.jira_flag("checkout").expect("sent");
    let seq = w.seq("checkout").await;
    assert_eq!(doc["id"], "shop~checkout");
    assert_eq!(doc["key"], "checkout");
    assert_eq!(doc["displayName"], "New checkout");
    assert_eq!(doc["updateSequenceId"], seq);
    assert_eq!(doc["issueKeys"], json!(["SAND-1"]));
    assert_eq!(doc["summary"]["url"], "https://tether.test/flags/shop/checkout");
    assert_eq!(
        doc["summary"]["status"],
        json!({"enabled": false, "defaultValue": "Off", "rollout": {"percentage": 100.0}})
    );
    assert!(doc["summary"]["lastUpdated"].as_str().unwrap().ends_with('Z'), "{doc}");
    let envs: Vec<(Value, Value, Value)> = doc["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (d["environment"]["name"].clone(), d["environment"]["type"].clone(), d["url"].clone())
        })
        .collect();
    assert_eq!(
        envs,
        [
            (
                json!("Staging"),
                json!("staging"),
                json!("https://tether.test/flags/shop/checkout?env=staging")
            ),
            (
                json!("Production"),
                json!("production"),
                json!("https://tether.test/flags/shop/checkout?env=production")
            ),
        ]
    );
    let row = w.sync_row("checkout").await;
    assert_eq!(row.pushed_seq, Some(seq));
    assert_eq!(
        pushed(&row),
        json!({"issue_keys": ["SAND-1"], "environments": ["staging", "production"], "seq": seq})
    );
    assert_eq!(result(&row), json!({"unknown_issue_keys": [], "failed": {}}));
}

on_each_backend!(oauth2_client_credentials_deliver_through_the_gateway);
async fn oauth2_client_credentials_deliver_through_the_gateway(backend: TestBackend) {
    let w = World::with_login(backend, true, Login::OAuth2).await;
    w.flag("checkout", "New checkout").await;
    w.link("checkout", "SAND-1").await;
    let report = w.drain().await;
    assert_eq!((report.jira_sent, report.jira_failed), (1, 0), "{}: {report:?}", w.label);
    assert_eq!(w.jira_flag("checkout").unwrap()["issueKeys"], json!(["SAND-1"]));

    w.toggle("checkout", "production", true).await;
    w.drain().await;
    let doc = w.jira_flag("checkout").unwrap();
    assert_eq!(doc["summary"]["status"]["enabled"], true, "{}: {doc}", w.label);

    w.unlink("checkout", "SAND-1").await;
    let report = w.drain().await;
    assert_eq!(report.jira_deleted, 1, "{}: {report:?}", w.label);
    assert!(w.jira_flag("checkout").is_none(), "{}", w.label);
}

on_each_backend!(an_api_token_site_records_that_flags_need_oauth_credentials_once);
async fn an_api_token_site_records_that_flags_need_oauth_credentials_once(backend: TestBackend) {
    let w = World::with_login(backend, true, Login::ApiToken).await;
    w.flag("checkout", "New checkout").await;
    w.link("checkout", "SAND-1").await;
    let report = w.drain().await;
    // Refused once and recorded, not retried: Jira Cloud never takes a person's login there.
    assert_eq!((report.jira_failed, report.jira_retried), (1, 0), "{}: {report:?}", w.label);
    assert!(w.jira_flag("checkout").is_none(), "{}", w.label);
    let error = w.sync_row("checkout").await.last_error.unwrap_or_default();
    assert!(error.contains("accepts only apps, never a person's API token"), "{error}");
    assert!(error.contains("Apps → OAuth credentials"), "{error}");
    assert_eq!(w.store.outbox_stats().await.unwrap().pending, 0, "{}", w.label);
}

on_each_backend!(toggles_rollouts_and_rules_arrive_with_growing_sequence_numbers);
async fn toggles_rollouts_and_rules_arrive_with_growing_sequence_numbers(backend: TestBackend) {
    let w = World::new(backend, true).await;
    w.flag("checkout", "New checkout").await;
    w.link("checkout", "SAND-1").await;
    w.drain().await;
    let first = w.jira_flag("checkout").unwrap()["updateSequenceId"].as_i64().unwrap();

    w.toggle("checkout", "production", true).await;
    w.drain().await;
    let doc = w.jira_flag("checkout").unwrap();
    let second = doc["updateSequenceId"].as_i64().unwrap();
    assert!(second > first, "{}: {second} > {first}", w.label);
    assert_eq!(doc["summary"]["status"]["enabled"], true);
    assert_eq!(doc["details"][0]["status"]["enabled"], false, "staging stays off");
    assert_eq!(doc["details"][1]["status"]["enabled"], true);

    w.rollout("checkout", "production", 30).await;
    w.drain().await;
    let doc = w.jira_flag("checkout").unwrap();
    assert!(doc["updateSequenceId"].as_i64().unwrap() > second);
    // A split reads as both shares and the default treatment (issue 12 §5).
    assert_eq!(
        doc["summary"]["status"]["rollout"],
        json!({"text": "30% On · 70% Off, default treatment Off"})
    );

    w.rules("checkout", "production", 2).await;
    w.drain().await;
    let doc = w.jira_flag("checkout").unwrap();
    // Rules beside the default rule's rollout: both, never "rollout 2 rules".
    assert_eq!(doc["summary"]["status"]["rollout"], json!({"text": "2 rules + 30% rollout"}));
    assert_eq!(doc["details"][0]["status"]["rollout"], json!({"percentage": 100.0}));
}

on_each_backend!(unlinking_resubmits_without_the_issue_and_the_last_one_deletes);
async fn unlinking_resubmits_without_the_issue_and_the_last_one_deletes(backend: TestBackend) {
    let w = World::new(backend, true).await;
    w.flag("checkout", "New checkout").await;
    w.link("checkout", "SAND-1").await;
    w.link("checkout", "SAND-2").await;
    w.drain().await;
    assert_eq!(w.jira_flag("checkout").unwrap()["issueKeys"], json!(["SAND-1", "SAND-2"]));

    w.unlink("checkout", "SAND-1").await;
    w.drain().await;
    assert_eq!(w.jira_flag("checkout").unwrap()["issueKeys"], json!(["SAND-2"]), "{}", w.label);

    w.unlink("checkout", "SAND-2").await;
    let report = w.drain().await;
    assert_eq!(report.jira_deleted, 1, "{report:?}");
    assert_eq!(w.jira_flag("checkout"), None, "{}", w.label);
    assert_eq!(w.sync_row("checkout").await.pushed, None);

    // Linked again: back, under a higher sequence number.
    w.link("checkout", "SAND-3").await;
    w.drain().await;
    assert_eq!(w.jira_flag("checkout").unwrap()["issueKeys"], json!(["SAND-3"]));

    w.store.delete_flag("shop", "checkout", None, "t").await.unwrap();
    w.drain().await;
    assert_eq!(w.jira_flag("checkout"), None, "{}: a deleted flag leaves Jira", w.label);
}

on_each_backend!(unknown_issue_keys_are_recorded_and_a_flag_with_only_unknown_keys_is_not_shown);
async fn unknown_issue_keys_are_recorded_and_a_flag_with_only_unknown_keys_is_not_shown(
    backend: TestBackend,
) {
    let w = World::new(backend, true).await;
    w.flag("checkout", "New checkout").await;
    w.link("checkout", "SAND-1").await;
    w.link("checkout", "NOPE-9").await;
    w.drain().await;
    let row = w.sync_row("checkout").await;
    assert_eq!(result(&row)["unknown_issue_keys"], json!(["NOPE-9"]), "{}", w.label);
    assert_eq!(pushed(&row)["issue_keys"], json!(["SAND-1"]));
    assert_eq!(w.sandbox.feature_flag("shop~checkout").unwrap().issue_keys, ["SAND-1"]);

    // Only unknown keys left: Jira would keep showing the old version, so it is deleted.
    w.unlink("checkout", "SAND-1").await;
    w.drain().await;
    assert_eq!(w.jira_flag("checkout"), None, "{}", w.label);
    let row = w.sync_row("checkout").await;
    assert_eq!(result(&row)["unknown_issue_keys"], json!(["NOPE-9"]));
    assert_eq!(row.pushed, None);
}

on_each_backend!(many_changes_go_in_bulk_and_a_too_large_request_is_halved);
async fn many_changes_go_in_bulk_and_a_too_large_request_is_halved(backend: TestBackend) {
    let w = World::new(backend, true).await;
    for n in 0..12 {
        w.flag(&format!("f{n}"), &format!("Flag {n}")).await;
        w.link(&format!("f{n}"), "SAND-1").await;
    }
    // About four flag documents fit under this cap; twelve in one request do not.
    w.sandbox.set_knobs(Knobs { feature_flags_max_body_bytes: 5_000, ..Knobs::default() });
    let report = w.drain().await;
    assert_eq!((report.jira_sent, report.jira_failed), (12, 0), "{}: {report:?}", w.label);
    assert_eq!(w.sandbox.feature_flags().len(), 12);

    // The cap below one flag: refused, recorded on the flag, not retried forever.
    w.sandbox.set_knobs(Knobs { feature_flags_max_body_bytes: 100, ..Knobs::default() });
    w.toggle("f0", "production", true).await;
    let report = w.drain().await;
    assert_eq!(report.jira_failed, 1, "{report:?}");
    let error = w.sync_row("f0").await.last_error.unwrap();
    assert!(error.contains("413"), "{error}");
}

on_each_backend!(jira_being_down_delays_changes_and_bad_credentials_are_recorded);
async fn jira_being_down_delays_changes_and_bad_credentials_are_recorded(backend: TestBackend) {
    let w = World::with_login(backend, true, Login::OAuth2).await;
    w.flag("checkout", "New checkout").await;
    w.link("checkout", "SAND-1").await;
    w.sandbox.set_knobs(Knobs { fault_rate: 1.0, fault_statuses: vec![503], ..Knobs::default() });
    let r = w.worker.tick().await.unwrap();
    assert_eq!(r.jira_retried, 1, "{}: {r:?}", w.label);
    assert_eq!(w.sync_row("checkout").await.pushed_seq, None);
    assert_eq!(w.store.outbox_stats().await.unwrap().pending, 1, "kept for later");
    for _ in 0..5 {
        w.pass(super::support::MAX_DELAY).await;
        w.worker.tick().await.unwrap();
    }
    assert_eq!(w.jira_flag("checkout"), None);
    w.sandbox.set_knobs(Knobs::default());
    w.drain().await;
    assert_eq!(w.jira_flag("checkout").unwrap()["updateSequenceId"], w.seq("checkout").await);

    // A wrong client secret is not something waiting fixes: recorded, row done.
    let site = w.store.jira_site(w.site_id).await.unwrap();
    let wrong = NewJiraSite {
        name: site.name.clone(),
        url: site.url.clone(),
        api_url: None,
        deployment: site.deployment.clone(),
        auth_kind: JiraAuthKind::OAuth2,
        auth_user: site.auth_user.clone(),
        secret: "wrong".to_owned().into(),
        options: site.options.clone(),
    };
    w.store.update_jira_site(w.site_id, &wrong, "t").await.unwrap();
    w.toggle("checkout", "production", true).await;
    let report = w.drain().await;
    assert_eq!(report.jira_failed, 1, "{}: {report:?}", w.label);
    let error = w.sync_row("checkout").await.last_error.unwrap();
    assert!(error.contains("401"), "{error}");
    assert!(!error.contains("wrong"), "no secret in messages: {error}");
    assert_eq!(w.jira_flag("checkout").unwrap()["summary"]["status"]["enabled"], false);
}

on_each_backend!(a_resent_sequence_number_is_harmless);
async fn a_resent_sequence_number_is_harmless(backend: TestBackend) {
    // A crash between send and acknowledgement: the same row is handled again.
    let w = World::new(backend, true).await;
    w.flag("checkout", "New checkout").await;
    w.link("checkout", "SAND-1").await;
    w.drain().await;
    let before = w.sandbox.feature_flag("shop~checkout").unwrap();
    w.store
        .enqueue(&tether_store::NewOutboxItem {
            kind: tether_store::JIRA_SYNC_KIND.into(),
            payload: json!({"site_id": w.site_id, "project": "shop", "flag": "checkout"})
                .to_string(),
        })
        .await
        .unwrap();
    let report = w.drain().await;
    assert_eq!(report.jira_sent, 1);
    assert_eq!(w.sandbox.feature_flag("shop~checkout").unwrap(), before, "{}", w.label);
}

on_each_backend!(a_property_row_claimed_during_a_send_is_followed_by_a_fresh_one);
/// Two workers: B claims the waiting property row of SAND-1 while A's send of
/// a flag linked to it is in flight, and writes the value from before that
/// send. A leaves a row behind it, so the issue ends up listing the flag.
async fn a_property_row_claimed_during_a_send_is_followed_by_a_fresh_one(backend: TestBackend) {
    use std::collections::BTreeSet;
    use std::time::Duration;
    use tether_sync::jira::FlagRef;
    use tether_sync::jira::property::{PROPERTY_KIND, enqueue_properties, update_issue_properties};
    use tether_sync::jira::sync::{plan_flags, send_plans};
    use tether_sync::jira::{Properties, ReadMode};

    let w = World::new(backend, true).await;
    w.flag("checkout", "New checkout").await;
    w.link("checkout", "SAND-1").await;
    let issues: BTreeSet<String> = ["SAND-1".to_owned()].into();
    enqueue_properties(&w.store, w.site_id, &issues).await.unwrap();
    let flags = [FlagRef::new("shop", "checkout")];
    let plans = plan_flags(&w.store, w.site_id, "https://tether.test", &flags, ReadMode::PerFlag)
        .await
        .unwrap();
    // Connected before Jira is held up: only the sends wait.
    let jira = w.jira();
    let (_, client) = jira.clients.get(w.site_id).await.unwrap();
    // The app (property rows need one that reaches issues) calls the site's own URLs.
    w.traffic.hold("/rest/featureflags");

    let store = w.store.clone();
    let site_id = w.site_id;
    let a = tokio::spawn(async move {
        send_plans(&store, &jira, site_id, plans, Properties::Enqueue).await
    });
    // A's send has reached Jira (its property row was written before it).
    w.traffic.in_flight(1).await;
    let claimed = w.store.claim_outbox("worker-b", 100, Duration::from_secs(60)).await.unwrap();
    let row = claimed.iter().find(|r| r.kind == PROPERTY_KIND).expect("the waiting row");
    update_issue_properties(&w.store, &client, w.site_id, "https://tether.test", &issues)
        .await
        .unwrap();
    w.store.complete_outbox(row.id, "worker-b").await.unwrap();
    for r in claimed.iter().filter(|r| r.id != row.id) {
        w.store.complete_outbox(r.id, "worker-b").await.unwrap();
    }
    w.traffic.release();
    let (_, stats) = a.await.unwrap().unwrap();
    assert_eq!(stats.sent, 1, "{}: {stats:?}", w.label);
    assert_eq!(
        w.sandbox.issue_properties("SAND-1").unwrap().get("tether.flags"),
        None,
        "{}: B wrote the value from before the send",
        w.label
    );

    w.drain().await;
    let property = w.sandbox.issue_properties("SAND-1").unwrap().get("tether.flags").cloned();
    assert_eq!(property.map(|p| p["count"].clone()), Some(json!(1)), "{}", w.label);
}

on_each_backend!(the_issue_property_lists_the_flags_linked_to_each_issue);
async fn the_issue_property_lists_the_flags_linked_to_each_issue(backend: TestBackend) {
    let w = World::new(backend, true).await;
    let property =
        |issue: &str| w.sandbox.issue_properties(issue).unwrap().get("tether.flags").cloned();
    w.flag("checkout", "New checkout").await;
    w.flag("banner", "Banner").await;
    w.link("checkout", "SAND-1").await;
    w.link("banner", "SAND-1").await;
    w.link("banner", "SAND-2").await;
    w.toggle("banner", "production", true).await;
    w.drain().await;
    assert_eq!(
        property("SAND-1"),
        Some(json!({"flags": [
            {"project": "shop", "key": "banner", "name": "Banner", "enabled": true,
             "url": "https://tether.test/flags/shop/banner", "environmentsOn": ["production"]},
            {"project": "shop", "key": "checkout", "name": "New checkout", "enabled": false,
             "url": "https://tether.test/flags/shop/checkout", "environmentsOn": []},
        ], "count": 2, "keys": ["banner", "checkout"], "on": ["banner"],
            "environmentsOn": ["production"]})),
        "{}",
        w.label
    );
    assert_eq!(property("SAND-2").unwrap()["count"], 1);

    w.unlink("checkout", "SAND-1").await;
    w.drain().await;
    assert_eq!(property("SAND-1").unwrap()["flags"][0]["key"], "banner", "{}", w.label);
    w.store.delete_flag("shop", "banner", None, "t").await.unwrap();
    w.drain().await;
    assert_eq!(property("SAND-1"), None, "{}: no flag left, no property", w.label);
    assert_eq!(property("SAND-2"), None);
}

on_each_backend!(oauth_credentials_write_the_issue_property_only_with_an_api_token_beside);
async fn oauth_credentials_write_the_issue_property_only_with_an_api_token_beside(
    backend: TestBackend,
) {
    // (login, SAND-1's tether.flags count afterwards): OAuth credentials alone queue no
    // property rows at all.
    let cases = [(Login::OAuth2, None), (Login::OAuth2WithApiToken, Some(json!(1)))];
    for (login, count) in cases {
        let w = World::with_login(backend, true, login).await;
        w.flag("checkout", "New checkout").await;
        w.link("checkout", "SAND-1").await;
        let report = w.drain().await;
        let label = format!("{} {login:?}", w.label);
        assert_eq!((report.jira_sent, report.jira_failed), (1, 0), "{label}: {report:?}");
        assert_eq!(report.jira_properties_skipped, 0, "{label}: {report:?}");
        let property = w.sandbox.issue_properties("SAND-1").unwrap().get("tether.flags").cloned();
        assert_eq!(property.map(|p| p["count"].clone()), count, "{label}");
        assert_eq!(w.jira_flag("checkout").unwrap()["issueKeys"], json!(["SAND-1"]), "{label}");
    }
}

on_each_backend!(rows_of_a_deleted_site_are_dropped_without_stopping_the_others);
async fn rows_of_a_deleted_site_are_dropped_without_stopping_the_others(backend: TestBackend) {
    // A project cleared from its site, then the site deleted, leaves rows behind.
    let w = World::new(backend, true).await;
    w.flag("checkout", "New checkout").await;
    w.link("checkout", "SAND-1").await;
    w.drain().await;
    w.store.clear_project_jira("shop", "t").await.unwrap();
    assert!(w.store.delete_jira_site(w.site_id, "t").await.unwrap());
    // A property row written before the site went.
    let work =
        tether_sync::jira::property::PropertyWork { site_id: w.site_id, issue: "SAND-1".into() };
    w.store
        .enqueue(&tether_store::NewOutboxItem {
            kind: tether_sync::jira::property::PROPERTY_KIND.into(),
            payload: serde_json::to_string(&work).unwrap(),
        })
        .await
        .unwrap();
    let report = w.drain().await;
    assert!(report.claimed > 0, "{}: {report:?}", w.label);
    assert_eq!(w.store.outbox_stats().await.unwrap().pending, 0);
}

on_each_backend!(the_first_client_of_an_oauth_site_records_its_cloud_id);
async fn the_first_client_of_an_oauth_site_records_its_cloud_id(backend: TestBackend) {
    // The OAuth client resolves the cloudId for the gateway; the store keeps it, which is what
    // matches a Forge installation that came first to this site.
    let w = World::with_login(backend, true, Login::OAuth2).await;
    let event = tether_store::ForgeInstallEvent {
        installation_id: "inst-1".into(),
        app_id: "ari:cloud:ecosystem::app/1".into(),
        cloud_id: Some(jira_sandbox::CLOUD_ID.into()),
        site_url: None,
        api_base_url: None,
    };
    let recorded = w.store.record_forge_event(&event, tether_store::ForgeLifecycle::Installed);
    assert_eq!(recorded.await.unwrap().site_id, None, "{}", w.label);
    let clients = tether_sync::jira::JiraClients::new(w.store.clone(), super::support::fast());
    clients.get(w.site_id).await.unwrap();
    let site = w.store.jira_site(w.site_id).await.unwrap();
    assert_eq!(site.cloud_id.as_deref(), Some(jira_sandbox::CLOUD_ID));
    assert_eq!(w.store.forge_installation("inst-1").await.unwrap().site_id, Some(w.site_id));
}
