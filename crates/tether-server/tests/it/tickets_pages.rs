//! The Tickets page and API over HTTP, after an ingestion of the sandbox: the list with its
//! filters, one ticket with its history, comments and worklogs, times in the service
//! account's zone, and the Jira ingestion page's projects with their counts and last pass.

use std::time::Duration;

use jira_sandbox::Flavour;
use reqwest::Method as M;
use serde_json::json;
use tether_sync::ingest::{IngestOptions, Ingester, TicketClients};

use crate::TestServer;
use crate::jira_api::{Jira, send, token_with};

/// A server whose site `acme` (a Cloud sandbox of 25 issues) was ingested whole.
async fn ingested(s: &TestServer) -> Jira {
    let jira = Jira::start(Flavour::Cloud).await;
    jira.sandbox.seed_issues(25, 5);
    let body = json!({"name": "acme", "url": jira.url, "kind": "api_token", "user": "admin@sandbox.test",
        "secret": "sandbox-token", "options": {"requests_per_second": 1000}});
    assert_eq!(send(s, M::POST, "/api/jira/sites", Some(body)).await.0, 201);
    let conn =
        json!({"kind": "api_token", "user": "admin@sandbox.test", "secret": "sandbox-token"});
    let (status, body) = send(s, M::PUT, "/api/tickets/sites/acme/connection", Some(conn)).await;
    assert_eq!((status, body["check"]["ok"].as_bool()), (200, Some(true)), "{body}");
    let (status, _) =
        send(s, M::PUT, "/api/tickets/sites/acme/settings", Some(json!({"auto_import": true})))
            .await;
    assert_eq!(status, 200);
    let options = tether_jira::Options {
        requests_per_second: None,
        max_retry_after: Duration::ZERO,
        ..Default::default()
    };
    let ing = Ingester::new(
        s.store.clone(),
        TicketClients::new(s.store.clone(), options),
        "t",
        IngestOptions::default(),
    );
    for _ in 0..50 {
        if !ing.tick().await.unwrap().busy() {
            break;
        }
    }
    jira
}

#[tokio::test]
async fn tickets_are_listed_filtered_and_shown_with_their_history() {
    let s = TestServer::start().await;
    let jira = ingested(&s).await;
    let (status, list) = send(&s, M::GET, "/api/tickets?limit=500", None).await;
    assert_eq!(status, 200, "{list}");
    let all = list["tickets"].as_array().unwrap().len();
    let stats =
        s.store.ticket_stats(s.store.jira_site_by_name("acme").await.unwrap().id).await.unwrap();
    assert_eq!(all as i64, stats.tickets);
    assert!(
        list["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| !t["key"].as_str().unwrap().starts_with("HELP-"))
    );
    let (_, done) = send(&s, M::GET, "/api/tickets?status=done&limit=500", None).await;
    let done = done["tickets"].as_array().unwrap();
    assert!(!done.is_empty() && done.len() < all);
    assert!(done.iter().all(|t| t["status_category"] == "done"), "{done:?}");
    let (_, web) = send(&s, M::GET, "/api/tickets?project=WEB&limit=500", None).await;
    assert!(web["tickets"].as_array().unwrap().iter().all(|t| t["project"] == "WEB"));
    let summary = jira.sandbox.issue("DEMO-1").unwrap().summary;
    let word = summary.split_whitespace().max_by_key(|w| w.len()).unwrap().to_owned();
    let (_, found) = send(&s, M::GET, &format!("/api/tickets?q={word}"), None).await;
    assert!(
        found["tickets"].as_array().unwrap().iter().any(|t| t["key"] == "DEMO-1"),
        "{word}: {found}"
    );

    let (status, one) = send(&s, M::GET, "/api/tickets/sites/acme/tickets/DEMO-1", None).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["summary"], summary);
    let history = one["history"].as_array().unwrap();
    assert!(history.iter().any(|h| h["field"] == "status"), "{one}");
    assert_eq!(
        one["comments"].as_array().unwrap().len(),
        jira.sandbox.comments(Some("DEMO-1")).len()
    );
    let (status, _) = send(&s, M::GET, "/api/tickets/sites/acme/tickets/NOPE-1", None).await;
    assert_eq!(status, 404);

    // The pages.
    let page = s.get("/tickets").await.text().await.unwrap();
    assert!(page.contains("data-ticket=\"DEMO-1\"") && page.contains("ingesting"), "{page}");
    let page = s.get("/tickets?status=done&category=bug").await.text().await.unwrap();
    assert!(page.contains("Clear"));
    let page = s.get("/tickets/sites/acme/tickets/DEMO-1").await.text().await.unwrap();
    assert!(page.contains("aria-label=\"History\"") && page.contains("Times in UTC"), "{page}");
    let page = s.get("/tickets/sites/acme").await.text().await.unwrap();
    assert!(page.contains("data-project=\"DEMO\"") && page.contains("tickets)"), "{page}");
    let r = s.get("/tickets/sites/acme/tickets/NOPE-1").await;
    assert_eq!(r.status().as_u16(), 404);

    // A reader sees them; a token without the integration's view does not.
    let reader = token_with(&s, "reader", &["reader"]).await;
    let r = reader.get(s.at("/api/tickets/sites/acme/tickets/DEMO-1")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let writer_only = token_with(&s, "flags", &["jira-integration"]).await;
    let r = writer_only.get(s.at("/api/tickets?site=acme")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = writer_only.get(s.at("/api/tickets")).send().await.unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["tickets"], json!([]), "nothing from sites it may not see");
}
