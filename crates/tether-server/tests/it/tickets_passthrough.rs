//! JQL for a Jira project tether does not ingest: the query goes to that Jira's own search
//! and comes back in the same shape, page by page; tether's own fields, and queries mixing
//! ingested and other projects, are refused with the reason.

use std::collections::BTreeSet;

use jira_sandbox::Flavour;
use reqwest::Method as M;
use serde_json::json;

use crate::TestServer;
use crate::jira_api::{Jira, send};
use crate::tickets_pages::ingest_until_idle;

/// A server whose site `acme` (a sandbox of `flavour` with DEMO, WEB, OPS and HELP) has only
/// DEMO imported.
async fn demo_only(s: &TestServer, flavour: Flavour) -> Jira {
    let jira = Jira::start(flavour.clone()).await;
    jira.sandbox.seed_issues(40, 7);
    let (kind, user, secret) = if flavour.is_cloud() {
        ("api_token", "admin@sandbox.test", "sandbox-token")
    } else {
        ("pat", "", "sandbox-pat")
    };
    let body = json!({"name": "acme", "url": jira.url, "kind": kind, "user": user,
        "secret": secret, "options": {"requests_per_second": 1000}});
    assert_eq!(send(s, M::POST, "/api/jira/sites", Some(body)).await.0, 201);
    let conn = json!({"kind": kind, "user": user, "secret": secret});
    let (status, body) = send(s, M::PUT, "/api/tickets/sites/acme/connection", Some(conn)).await;
    assert_eq!((status, body["check"]["ok"].as_bool()), (200, Some(true)), "{body}");
    let (status, body) =
        send(s, M::PUT, "/api/tickets/sites/acme/projects/DEMO", Some(json!({"import": true})))
            .await;
    assert_eq!(status, 200, "{body}");
    ingest_until_idle(s).await;
    jira
}

/// The sandbox's issue keys of a project.
fn keys_of(jira: &Jira, project: &str) -> BTreeSet<String> {
    (1..=200)
        .map(|n| format!("{project}-{n}"))
        .filter(|k| jira.sandbox.issue(k).is_some())
        .collect()
}

async fn passes_queries_on_projects_tether_does_not_ingest_to_jira(flavour: Flavour) {
    let s = TestServer::start().await;
    let jira = demo_only(&s, flavour).await;
    let web = keys_of(&jira, "WEB");
    assert!(web.len() >= 6, "the seed has WEB issues: {web:?}");

    // Every WEB issue, from Jira, five a page, with the pages' tokens.
    let mut got = BTreeSet::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let body = json!({"jql": "project = WEB ORDER BY key", "maxResults": 5,
            "fields": ["summary", "status"], "nextPageToken": token});
        let (status, page) = send(&s, M::POST, "/api/search", Some(body)).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        for issue in page["issues"].as_array().unwrap() {
            let key = issue["key"].as_str().unwrap().to_owned();
            assert_eq!(issue["tether"]["source"], "jira", "{issue}");
            assert_eq!(issue["tether"]["site"], "acme");
            assert_eq!(
                issue["fields"]["summary"].as_str(),
                Some(jira.sandbox.issue(&key).unwrap().summary.as_str()),
                "{issue}"
            );
            assert!(issue["fields"]["status"]["name"].is_string(), "{issue}");
            got.insert(key);
        }
        if page["isLast"] == true {
            break;
        }
        token = Some(page["nextPageToken"].as_str().unwrap().to_owned());
        assert!(token.as_deref().unwrap().starts_with('j'), "{page}");
        assert!(pages < 50, "paging ends");
    }
    assert_eq!(got, web);
    assert_eq!(pages, web.len().div_ceil(5));

    // An ingested project is still tether's to answer.
    let (status, page) =
        send(&s, M::POST, "/api/search", Some(json!({"jql": "project = DEMO", "maxResults": 1})))
            .await;
    assert_eq!(status, 200, "{page}");
    assert!(page["issues"][0]["tether"].get("source").is_none(), "{page}");
    assert_eq!(page["nextPageToken"].as_str().map(|t| t.starts_with('o')), Some(true), "{page}");

    // Refused with the reason: tether's own fields, and ingested and other projects mixed.
    let refused = |jql: &'static str| {
        let s = &s;
        async move {
            let (status, body) = send(s, M::POST, "/api/search", Some(json!({"jql": jql}))).await;
            assert_eq!(status, 400, "{jql}: {body}");
            body["errorMessages"][0].as_str().unwrap().to_owned()
        }
    };
    let m = refused("project = WEB AND flag IS NOT EMPTY").await;
    assert!(m.contains("'flag'") && m.contains("WEB is not ingested"), "{m}");
    // HELP is a Service Management project: never ingested, so Jira answers for it.
    let (status, page) =
        send(&s, M::POST, "/api/search", Some(json!({"jql": "project = HELP", "maxResults": 1})))
            .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["issues"][0]["tether"]["source"], "jira", "{page}");
    let m = refused("project = HELP AND flagEnabled = \"true\"").await;
    assert!(m.contains("'flagEnabled'") && m.contains("Service Management"), "{m}");
    let m = refused("project in (DEMO, WEB) ORDER BY created").await;
    assert!(m.contains("(DEMO)") && m.contains("(WEB)"), "{m}");
    // Jira's own refusal comes back as Jira worded it.
    let m = refused("project = WEB AND nosuchfield = 1").await;
    assert!(m.contains("nosuchfield"), "{m}");
    // The Tickets page says where such a query's tickets are, and why a query is refused.
    let q = |jql: &str| tether_jira::percent_encode(jql);
    let page = s.get(&format!("/tickets?jql={}", q("project = WEB"))).await.text().await.unwrap();
    let link =
        format!("href=\"{}/issues/?jql=project%20%3D%20WEB\"", jira.url.trim_end_matches('/'));
    assert!(page.contains("id=\"in-jira\"") && page.contains(&link), "{page}");
    let page = s
        .get(&format!("/tickets?jql={}", q("project = WEB AND flag = x")))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"jql-errors\"") && page.contains("not ingested"), "{page}");
    // A project no site has is refused as before.
    let m = refused("project = NOPE").await;
    assert_eq!(m, "The value 'NOPE' does not exist for the field 'project'.");
}

#[tokio::test]
async fn queries_on_projects_not_ingested_go_to_jira_cloud() {
    passes_queries_on_projects_tether_does_not_ingest_to_jira(Flavour::Cloud).await;
}

#[tokio::test]
async fn queries_on_projects_not_ingested_go_to_jira_data_center() {
    passes_queries_on_projects_tether_does_not_ingest_to_jira(Flavour::data_center("9.12.0")).await;
}
