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
pub(crate) async fn ingested(s: &TestServer) -> Jira {
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

#[tokio::test]
async fn jql_searches_answer_in_jiras_shape_and_the_page_shows_refusals_inline() {
    let s = TestServer::start().await;
    let jira = ingested(&s).await;
    let q = |jql: &str| tether_jira::percent_encode(jql);

    // Every done DEMO ticket, page by page, in key order: the same set the filters find.
    let (_, listed) =
        send(&s, M::GET, "/api/tickets?project=DEMO&status=done&limit=500", None).await;
    let mut want: Vec<String> = listed["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap().to_owned())
        .collect();
    assert!(want.len() >= 3, "{listed}");
    let number = |k: &str| k.rsplit('-').next().unwrap().parse::<u32>().unwrap();
    want.sort_by_key(|k| number(k));
    let mut got = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let path = format!(
            "/api/search?jql={}&maxResults=2&nextPageToken={token}",
            q("project = DEMO AND statusCategory = Done ORDER BY key")
        );
        let (status, page) = send(&s, M::GET, &path, None).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        for issue in page["issues"].as_array().unwrap() {
            assert_eq!(issue["fields"]["status"]["statusCategory"]["key"], "done", "{issue}");
            assert!(issue["fields"]["created"].as_str().unwrap().ends_with("+0000"), "{issue}");
            assert_eq!(issue["tether"]["site"], "acme");
            got.push(issue["key"].as_str().unwrap().to_owned());
        }
        if page["isLast"] == true {
            assert!(page.get("nextPageToken").is_none(), "{page}");
            break;
        }
        token = page["nextPageToken"].as_str().unwrap().to_owned();
    }
    assert_eq!(got, want);
    assert_eq!(pages, want.len().div_ceil(2));

    // A word of DEMO-1's summary, by POST, with only the summary asked for.
    let summary = jira.sandbox.issue("DEMO-1").unwrap().summary;
    let word = summary.split_whitespace().max_by_key(|w| w.len()).unwrap().to_owned();
    let body =
        json!({"jql": format!("text ~ \"{word}\""), "fields": ["summary"], "maxResults": 100});
    let (status, found) = send(&s, M::POST, "/api/search", Some(body)).await;
    assert_eq!(status, 200, "{found}");
    let demo1 = found["issues"].as_array().unwrap().iter().find(|i| i["key"] == "DEMO-1");
    let demo1 = demo1.unwrap_or_else(|| panic!("{word}: {found}"));
    assert_eq!(demo1["fields"], json!({"summary": summary}));

    // Refused as Jira refuses it.
    let (status, body) =
        send(&s, M::POST, "/api/search", Some(json!({"jql": "status = Nope"}))).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"errorMessages": ["The value 'Nope' does not exist for the field 'status'."], "errors": {}})
    );
    let (status, body) = send(&s, M::GET, "/api/search?jql=project%20%3D", None).await;
    assert_eq!(status, 400);
    assert!(body["errorMessages"][0].as_str().unwrap().starts_with("Error in JQL Query"), "{body}");
    let (status, _) = send(&s, M::GET, "/api/search?nextPageToken=garbage", None).await;
    assert_eq!(status, 400);

    // The page: the query's tickets, or its refusal beside the box.
    let page = s.get(&format!("/tickets?jql={}", q("key = DEMO-1"))).await.text().await.unwrap();
    assert!(page.contains("data-ticket=\"DEMO-1\"") && !page.contains("data-ticket=\"DEMO-2\""));
    let page = s.get(&format!("/tickets?jql={}", q("status = Nope"))).await.text().await.unwrap();
    assert!(
        page.contains("id=\"jql-errors\" role=\"alert\"")
            && page.contains("does not exist for the field")
            && page.contains("aria-invalid=\"true\""),
        "{page}"
    );

    // Only sites the caller may see.
    let writer_only = token_with(&s, "flags", &["jira-integration"]).await;
    let r = writer_only.get(s.at("/api/search?jql=")).send().await.unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body, json!({"issues": [], "isLast": true}));
}
