//! Backfill after Jira forgot everything, and reconcile finding and repairing
//! what was tampered with.

use std::sync::{Arc, Mutex};

use tether_jira::{FeatureFlag, FlagBulkRequest};
use tether_sync::jira::{backfill, reconcile};

use tether_store::on_each_backend;
use tether_store::testing::TestBackend;
use tether_sync::jira::ReconcileMode;

use super::support::{Login, World, differences};

const FLAGS: [&str; 4] = ["f0", "f1", "f2", "f3"];
const ISSUES: [&str; 3] = ["SAND-1", "SAND-2", "SAND-3"];

fn names() -> Vec<String> {
    FLAGS.iter().map(|f| (*f).to_owned()).collect()
}

/// f0..f3, linked to one or two issues, f1 on in production.
async fn some_flags(w: &World) {
    for (n, f) in FLAGS.iter().enumerate() {
        w.flag(f, &format!("Flag {n}")).await;
        w.link(f, ISSUES[n % 3]).await;
    }
    w.link("f0", "SAND-2").await;
    w.toggle("f1", "production", true).await;
    w.rollout("f2", "production", 40).await;
    w.drain().await;
    assert_eq!(differences(w, &names(), &ISSUES).await, Vec::<String>::new());
}

/// (done, total) as reported.
type Seen = Arc<Mutex<Vec<(usize, usize)>>>;

fn recorder() -> (Seen, impl FnMut(usize, usize) + Send) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    (seen, move |done, total| s.lock().unwrap().push((done, total)))
}

on_each_backend!(backfill_restores_what_an_uninstalled_connect_app_lost);
async fn backfill_restores_what_an_uninstalled_connect_app_lost(backend: TestBackend) {
    let w = World::with_login(backend, true, Login::Connect).await;
    some_flags(&w).await;
    assert_eq!(w.sandbox.feature_flags().len(), 4);
    w.sandbox.uninstall_connect_app("tether", &w.base).await.unwrap();
    let site = w.store.jira_site(w.site_id).await.unwrap();
    w.store.uninstall_connect_site(&site.auth_user).await.unwrap();
    assert!(w.sandbox.feature_flags().is_empty(), "Jira dropped what the app sent");

    // A change while uninstalled is recorded, not sent.
    w.toggle("f3", "production", true).await;
    let report = w.drain().await;
    assert_eq!(report.jira_failed, 1, "{}: {report:?}", w.label);

    let app = w.sandbox.install_connect_app("tether", "tether");
    w.store
        .install_connect_site(
            &app.client_key,
            &w.base,
            &app.shared_secret.clone().into(),
            site.options.clone(),
        )
        .await
        .unwrap();
    let (seen, mut progress) = recorder();
    let report = backfill(&w.store, &w.jira(), w.site_id, &mut progress).await.unwrap();
    assert_eq!(
        (report.flags, report.stats.sent, report.queued),
        (4, 4, 0),
        "{}: {report:?}",
        w.label
    );
    assert_eq!(report.properties, 3);
    assert_eq!(seen.lock().unwrap().last(), Some(&(4, 4)));
    assert_eq!(differences(&w, &names(), &ISSUES).await, Vec::<String>::new(), "{}", w.label);
    assert_eq!(w.jira_flag("f3").unwrap()["summary"]["status"]["enabled"], true);
}

on_each_backend!(backfill_restores_remote_links_and_reports_unknown_issues);
async fn backfill_restores_remote_links_and_reports_unknown_issues(backend: TestBackend) {
    let w = World::new(backend, false).await;
    some_flags(&w).await;
    w.link("f3", "NOPE-1").await;
    w.drain().await;
    for (f, _) in FLAGS.iter().zip(0..) {
        for issue in ISSUES {
            w.admin.delete_remote_link(issue, &format!("tether:flag:shop/{f}")).await.unwrap();
        }
    }
    assert!(w.sandbox.remote_links(None).is_empty());
    let (_, mut progress) = recorder();
    let report = backfill(&w.store, &w.jira(), w.site_id, &mut progress).await.unwrap();
    assert_eq!(report.stats.sent, 4, "{}: {report:?}", w.label);
    assert_eq!(report.stats.unknown_issue_keys.iter().collect::<Vec<_>>(), ["NOPE-1"]);
    assert_eq!(differences(&w, &names(), &ISSUES).await, Vec::<String>::new(), "{}", w.label);
}

/// Submits a flag document as someone else would: a higher sequence number.
async fn tamper(w: &World, flag: &str, edit: impl FnOnce(&mut FeatureFlag)) {
    let mut doc: FeatureFlag = serde_json::from_value(w.jira_flag(flag).unwrap()).unwrap();
    doc.update_sequence_id += 1;
    edit(&mut doc);
    let request = FlagBulkRequest { flags: vec![doc], ..FlagBulkRequest::default() };
    w.admin.submit_feature_flags(&request).await.unwrap();
}

on_each_backend!(reconcile_finds_tampered_missing_and_leftover_flags_and_repairs_them);
async fn reconcile_finds_tampered_missing_and_leftover_flags_and_repairs_them(
    backend: TestBackend,
) {
    let w = World::new(backend, true).await;
    some_flags(&w).await;
    tamper(&w, "f1", |d| d.summary.status.enabled = false).await;
    w.admin.delete_feature_flag("shop~f2", None).await.unwrap();
    // f3 unlinked; then Jira shows it again (say, a restore).
    let f3 = w.jira_flag("f3").unwrap();
    w.unlink("f3", "SAND-1").await;
    w.drain().await;
    let mut back: FeatureFlag = serde_json::from_value(f3).unwrap();
    back.update_sequence_id = w.seq("f3").await + 5;
    w.admin
        .submit_feature_flags(&FlagBulkRequest { flags: vec![back], ..Default::default() })
        .await
        .unwrap();

    let (seen, mut progress) = recorder();
    let report = reconcile(&w.store, &w.jira(), w.site_id, ReconcileMode::Check, &mut progress)
        .await
        .unwrap();
    assert_eq!(report.checked, 4, "{}: {report:?}", w.label);
    assert_eq!(report.in_sync, ["shop/f0"]);
    assert_eq!(report.missing.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(), ["shop/f2"]);
    let stale: Vec<&str> = report.stale.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(stale, ["shop/f1", "shop/f3"], "{report:?}");
    assert!(report.stale[0].1.contains("enabled false"), "{report:?}");
    assert!(report.repaired.is_empty(), "a dry run repairs nothing");
    assert_eq!(seen.lock().unwrap().last(), Some(&(4, 4)));
    assert_eq!(differences(&w, &names(), &ISSUES).await.len(), 3);

    let report = reconcile(&w.store, &w.jira(), w.site_id, ReconcileMode::Repair, &mut |_, _| {})
        .await
        .unwrap();
    assert_eq!(report.repaired, ["shop/f1", "shop/f2", "shop/f3"], "{}: {report:?}", w.label);
    w.drain().await;
    assert_eq!(differences(&w, &names(), &ISSUES).await, Vec::<String>::new(), "{}", w.label);
    let again = reconcile(&w.store, &w.jira(), w.site_id, ReconcileMode::Check, &mut |_, _| {})
        .await
        .unwrap();
    assert_eq!(again.in_sync.len(), 4, "{again:?}");
}

on_each_backend!(reconcile_repairs_remote_links);
async fn reconcile_repairs_remote_links(backend: TestBackend) {
    let w = World::new(backend, false).await;
    some_flags(&w).await;
    let mut link = w.admin.remote_link("SAND-2", "tether:flag:shop/f1").await.unwrap().unwrap();
    link.object.title = "Flag \"Flag 1\": off in Production".into();
    w.admin.upsert_remote_link("SAND-2", &link).await.unwrap();
    w.admin.delete_remote_link("SAND-1", "tether:flag:shop/f0").await.unwrap();

    let report = reconcile(&w.store, &w.jira(), w.site_id, ReconcileMode::Repair, &mut |_, _| {})
        .await
        .unwrap();
    assert_eq!(
        report.missing.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(),
        ["shop/f0"],
        "{}: {report:?}",
        w.label
    );
    assert_eq!(report.stale.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(), ["shop/f1"]);
    assert_eq!(report.repaired, ["shop/f0", "shop/f1"]);
    assert_eq!(differences(&w, &names(), &ISSUES).await, Vec::<String>::new(), "{}", w.label);
}

on_each_backend!(a_reinstall_can_be_backfilled_through_the_worker);
async fn a_reinstall_can_be_backfilled_through_the_worker(backend: TestBackend) {
    let w = World::new(backend, true).await;
    some_flags(&w).await;
    for f in FLAGS {
        w.admin.delete_feature_flag(&format!("shop~{f}"), None).await.unwrap();
    }
    let queued = tether_sync::jira::enqueue_site(&w.store, w.site_id).await.unwrap();
    assert_eq!(queued, 4, "{}", w.label);
    w.drain().await;
    assert_eq!(differences(&w, &names(), &ISSUES).await, Vec::<String>::new(), "{}", w.label);
}
