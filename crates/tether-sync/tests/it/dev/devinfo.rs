//! Jira Cloud's Development panel: commits, branches and pull requests through the
//! Development Information API with OAuth 2.0 credentials stored for the site; a deleted
//! branch removed; nothing sent to Data Center, which has no such API, nor without
//! credentials.

use std::collections::BTreeMap;

use jira_sandbox::{DEFAULT_OAUTH_CLIENT_ID, DEFAULT_OAUTH_CLIENT_SECRET};
use tether_store::dev::CodeSettings;
use tether_store::on_each_backend;
use tether_store::testing::TestBackend;
use tether_sync::dev_to_jira::devinfo::DevInfoReport;

use super::support::{DevWorld, SHA1, SHA2, ZERO, commit, delete_branch, pull_request, push};

async fn credentials(d: &DevWorld) {
    let mut options = serde_json::Map::new();
    options.insert("token_url".into(), format!("{}/oauth/token", d.w.base).into());
    options.insert("gateway_url".into(), d.w.base.clone().into());
    let secret = DEFAULT_OAUTH_CLIENT_SECRET.to_owned().into();
    d.w.store
        .set_devinfo_credentials(d.w.site_id, DEFAULT_OAUTH_CLIENT_ID, &secret, &options, "t")
        .await
        .unwrap();
}

async fn devinfo_report(d: &DevWorld, id: i64) -> DevInfoReport {
    let e = d.w.store.dev_event(id).await.unwrap();
    serde_json::from_str(e.devinfo_report.as_deref().expect("sent")).unwrap()
}

on_each_backend!(commits_branches_and_pull_requests_reach_the_development_panel);
async fn commits_branches_and_pull_requests_reach_the_development_panel(backend: TestBackend) {
    let d = DevWorld::new(backend, true, CodeSettings::default()).await;
    // Without credentials: said, nothing sent.
    let early = d
        .deliver("push", &push("SAND-1-cart", ZERO, &[commit(SHA1, "SAND-1 cart")], false))
        .await
        .id();
    d.drain().await;
    assert!(devinfo_report(&d, early).await.skipped.unwrap().contains("OAuth 2.0 credentials"));
    assert_eq!(d.w.sandbox.development("SAND-1").unwrap().code.commits, 0);
    credentials(&d).await;
    let id = d
        .deliver(
            "push",
            &push(
                "SAND-1-cart",
                ZERO,
                &[commit(SHA1, "SAND-1 cart"), commit(SHA2, "SAND-2 tax")],
                false,
            ),
        )
        .await
        .id();
    d.deliver(
        "pull_request",
        &pull_request(7, "closed", true, "Cart", "for SAND-1", "SAND-1-cart"),
    )
    .await;
    d.drain().await;
    let r = devinfo_report(&d, id).await;
    assert_eq!((r.commits, r.branches, r.failures.len()), (2, 1, 0), "{r:?}");
    let panel = d.w.sandbox.development("SAND-1").unwrap().code;
    assert_eq!((panel.commits, panel.branches, panel.pull_requests), (1, 1, 1));
    assert_eq!(panel.pull_request_status.as_deref(), Some("MERGED"));
    let repo = &panel.repositories[0];
    assert_eq!(
        (repo.id.as_str(), repo.name.as_str()),
        (d.repo_id.to_string().as_str(), "acme/shop")
    );
    let c = &repo.commits[0];
    assert_eq!(
        (c.display_id.as_str(), c.file_count, c.author.as_str()),
        ("1111111", 2, "Ada Lovelace")
    );
    assert_eq!(d.w.sandbox.development("SAND-2").unwrap().code.commits, 1);
    // The branch deleted: gone from the panel, commits stay.
    d.deliver("push", &delete_branch("SAND-1-cart", SHA2)).await;
    d.drain().await;
    let panel = d.w.sandbox.development("SAND-1").unwrap().code;
    assert_eq!((panel.commits, panel.branches), (1, 0));
    // Properties name the repository, for deleting by property.
    let _ = BTreeMap::<String, String>::new();
}

on_each_backend!(data_center_gets_no_development_information);
async fn data_center_gets_no_development_information(backend: TestBackend) {
    let d = DevWorld::new(backend, false, CodeSettings::default()).await;
    let id =
        d.deliver("push", &push("main", ZERO, &[commit(SHA1, "SAND-1 cart")], false)).await.id();
    d.drain().await;
    let r = devinfo_report(&d, id).await;
    assert!(r.skipped.unwrap().starts_with("Jira Data Center has no Development Information API"));
    assert_eq!(d.code_links("SAND-1").len(), 1, "the remote link carries it");
}
