//! Code ↔ Jira on the oldest Jira Server it supports (6.x, REST v2): a push to the default
//! branch links, comments on and closes the issues it names, as on 9.x, where the 7.13
//! floor of reading tickets in bulk would have refused the site.

use tether_store::dev::{CodeSettings, Transitions};
use tether_store::on_each_backend;
use tether_store::testing::TestBackend;

use super::support::{DevWorld, SHA1, SHA2, ZERO, commit, push};
use crate::jira::support::World;

on_each_backend!(jira_server_6_gets_links_comments_and_transitions);
async fn jira_server_6_gets_links_comments_and_transitions(backend: TestBackend) {
    let w = World::data_center(backend, "6.4.14").await;
    let settings =
        CodeSettings { transitions: Some(Transitions::Automatic), ..CodeSettings::default() };
    let d = DevWorld::on(w, settings).await;
    let body =
        push("main", ZERO, &[commit(SHA1, "SAND-1 cart"), commit(SHA2, "Fixes SAND-2")], false);
    let id = d.deliver("push", &body).await.id();
    d.drain().await;
    let report = d.report(id).await;
    assert!(!report.failed(), "{report:#?}");
    for key in ["SAND-1", "SAND-2"] {
        assert_eq!(d.code_links(key).len(), 1, "{key}");
        assert_eq!(d.comments(key).len(), 1, "{key}");
    }
    assert_eq!(d.w.sandbox.transitions_done(Some("SAND-2")).len(), 1);
    assert_eq!(d.w.sandbox.issue("SAND-2").unwrap().status, "Done");
}
