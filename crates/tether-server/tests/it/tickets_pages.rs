//! The Tickets page and API over HTTP, after an ingestion of the sandbox: the list with its
//! filters, one ticket with its history, comments and worklogs, times in the service
//! account's zone, and the Jira ingestion page's projects with their counts and last pass.

use std::collections::BTreeSet;
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
    ingest_until_idle(s).await;
    jira
}

/// Runs an ingester against the server's store until it has nothing left to do.
pub(crate) async fn ingest_until_idle(s: &TestServer) {
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
    let page = s.get("/tickets?state=all").await.text().await.unwrap();
    assert!(page.contains("data-ticket=\"DEMO-1\"") && page.contains("ingesting"), "{page}");
    let page = s.get("/tickets?status=Done&category=bug").await.text().await.unwrap();
    assert!(page.contains("Clear"));
    let page = s.get("/tickets/sites/acme/tickets/DEMO-1").await.text().await.unwrap();
    assert!(page.contains("aria-label=\"History\"") && page.contains("Times in UTC"), "{page}");
    // The history as a timeline: one entry per change Jira recorded, each field from → to.
    let changes = history.iter().map(|h| h["id"].as_str().unwrap()).collect::<BTreeSet<_>>();
    assert_eq!(page.matches("<li class=\"entry\">").count(), changes.len(), "{page}");
    let status = history.iter().find(|h| h["field"] == "status" && h["from"].is_string()).unwrap();
    let change = format!(
        "<span class=\"field\">status</span>: <del>{}</del> <span aria-hidden=\"true\">→</span><span class=\"visually-hidden\">to</span> <ins>{}</ins>",
        status["from"].as_str().unwrap(),
        status["to"].as_str().unwrap()
    );
    assert!(page.contains(&change), "{change}\n{page}");
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

/// The ticket keys a Tickets page lists, in order.
fn listed(page: &str) -> Vec<String> {
    page.split("<tr data-ticket=\"").skip(1).map(|r| r[..r.find('"').unwrap()].to_owned()).collect()
}

/// The count a tab of the Tickets page shows.
fn tab_count(page: &str, tab: &str) -> i64 {
    let at = page.find(&format!("data-tab=\"{tab}\"")).unwrap_or_else(|| panic!("{tab}: {page}"));
    let rest = &page[at..page[at..].find("</a>").unwrap() + at];
    let n = rest.split("data-count=\"").nth(1).unwrap_or_else(|| panic!("{tab}: {rest}"));
    n[..n.find('"').unwrap()].parse().unwrap()
}

/// Text as it was before askama escaped it into the page.
fn unescape(html: &str) -> String {
    html.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// Every ingested ticket as the API lists it.
async fn all_tickets(s: &TestServer) -> Vec<serde_json::Value> {
    let (status, list) = send(s, M::GET, "/api/tickets?limit=500", None).await;
    assert_eq!(status, 200, "{list}");
    list["tickets"].as_array().unwrap().clone()
}

#[tokio::test]
async fn tabs_split_tickets_by_status_category_with_the_apis_counts() {
    let s = TestServer::start().await;
    let _jira = ingested(&s).await;
    let all = all_tickets(&s).await;
    let done_keys: BTreeSet<String> = all
        .iter()
        .filter(|t| t["status_category"] == "done")
        .map(|t| t["key"].as_str().unwrap().to_owned())
        .collect();
    let count = |category: &'static str| {
        let s = &s;
        async move {
            let (_, l) =
                send(s, M::GET, &format!("/api/tickets?status={category}&limit=500"), None).await;
            l["tickets"].as_array().unwrap().len() as i64
        }
    };
    let (new, started, done) =
        (count("new").await, count("indeterminate").await, count("done").await);
    assert!(done > 0 && new + started > 0, "the sandbox has open and done tickets");

    // Open by default, as GitLab: no done ticket.
    let open = s.get("/tickets").await.text().await.unwrap();
    let keys = listed(&open);
    assert_eq!(keys.len() as i64, new + started, "{open}");
    assert!(keys.iter().all(|k| !done_keys.contains(k)), "{keys:?}");
    assert!(open.contains("data-tab=\"open\" aria-current=\"page\""), "{open}");
    assert_eq!(
        (tab_count(&open, "open"), tab_count(&open, "closed"), tab_count(&open, "all")),
        (new + started, done, all.len() as i64)
    );
    let closed = s.get("/tickets?state=closed").await.text().await.unwrap();
    let keys = listed(&closed);
    assert_eq!(keys.iter().cloned().collect::<BTreeSet<_>>(), done_keys);
    assert!(closed.contains("data-tab=\"closed\" aria-current=\"page\""));
    let every = s.get("/tickets?state=all").await.text().await.unwrap();
    assert_eq!(listed(&every).len(), all.len());

    // The tabs keep the filters; the counts follow them.
    let web = s.get("/tickets?project=WEB&state=closed").await.text().await.unwrap();
    assert!(web.contains("href=\"/tickets?project=WEB\" data-tab=\"open\""), "{web}");
    assert!(web.contains("href=\"/tickets?project=WEB&#38;state=all\" data-tab=\"all\""), "{web}");
    let web_all = all.iter().filter(|t| t["project"] == "WEB").count() as i64;
    assert_eq!(tab_count(&web, "all"), web_all);
    assert!(web_all < all.len() as i64);
}

#[tokio::test]
async fn columns_sort_both_ways_keeping_the_filters() {
    let s = TestServer::start().await;
    let _jira = ingested(&s).await;
    let all = all_tickets(&s).await;
    let created: std::collections::HashMap<String, i64> = all
        .iter()
        .map(|t| (t["key"].as_str().unwrap().to_owned(), t["created_at"].as_i64().unwrap()))
        .collect();
    let number = |k: &str| k.rsplit('-').next().unwrap().parse::<u32>().unwrap();
    let project = |k: &str| k.split('-').next().unwrap().to_owned();
    let mut by_key: Vec<String> = created.keys().cloned().collect();
    by_key.sort_by_key(|k| (project(k), number(k)));

    let page = s.get("/tickets?state=all&sort=key&order=asc").await.text().await.unwrap();
    assert_eq!(listed(&page), by_key);
    assert!(page.contains("data-column=\"key\" aria-sort=\"ascending\""), "{page}");
    // A second click reverses, and keeps the tab.
    assert!(page.contains("href=\"/tickets?state=all&#38;sort=key&#38;order=desc\""), "{page}");
    let page = s.get("/tickets?state=all&sort=key&order=desc").await.text().await.unwrap();
    by_key.reverse();
    assert_eq!(listed(&page), by_key);

    // Newest created first by default; oldest first on a click.
    let times = |page: &str| listed(page).iter().map(|k| created[k]).collect::<Vec<_>>();
    let page = s.get("/tickets?state=all").await.text().await.unwrap();
    let newest = times(&page);
    assert!(newest.windows(2).all(|w| w[0] >= w[1]) && newest[0] > newest[newest.len() - 1]);
    assert!(page.contains("data-column=\"created\" aria-sort=\"descending\""), "{page}");
    assert!(page.contains("href=\"/tickets?state=all&#38;sort=created&#38;order=asc\""));
    let page = s.get("/tickets?state=all&sort=created&order=asc").await.text().await.unwrap();
    let oldest = times(&page);
    assert!(oldest.windows(2).all(|w| w[0] <= w[1]), "{oldest:?}");
    assert_eq!(oldest.len(), newest.len());

    // A JQL query's headers rewrite its ORDER BY.
    let q = tether_jira::percent_encode("project = DEMO ORDER BY key ASC");
    let page = s.get(&format!("/tickets?jql={q}")).await.text().await.unwrap();
    assert!(page.contains("data-column=\"key\" aria-sort=\"ascending\""), "{page}");
    let desc = tether_jira::percent_encode("project = DEMO ORDER BY key DESC");
    assert!(page.contains(&format!("href=\"/tickets?jql={desc}\"")), "{page}");
}

#[tokio::test]
async fn filters_are_the_jql_they_show() {
    let s = TestServer::start().await;
    let _jira = ingested(&s).await;
    let all = all_tickets(&s).await;
    let labels = |t: &serde_json::Value| -> BTreeSet<String> {
        t["labels"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_owned()).collect()
    };
    // Two labels some ticket has together while another has only the first: both must match.
    let mut pair = None;
    'find: for t in &all {
        for a in labels(t) {
            for b in labels(t) {
                if a != b && all.iter().any(|u| labels(u).contains(&a) && !labels(u).contains(&b)) {
                    pair = Some((a, b));
                    break 'find;
                }
            }
        }
    }
    let (a, b) = pair.expect("the sandbox's tickets have labels");
    let both: BTreeSet<String> = all
        .iter()
        .filter(|t| labels(t).contains(&a) && labels(t).contains(&b))
        .map(|t| t["key"].as_str().unwrap().to_owned())
        .collect();
    let path = format!("/tickets?state=all&labels={a}&labels[]={b}");
    let page = s.get(&path).await.text().await.unwrap();
    let keys = listed(&page);
    assert_eq!(keys.iter().cloned().collect::<BTreeSet<_>>(), both, "{a} and {b}: {page}");

    // The JQL shown runs through the search API to the same tickets in the same order.
    let shown = |page: &str| {
        let at =
            page.find("<code id=\"filters-jql\">").unwrap() + "<code id=\"filters-jql\">".len();
        unescape(&page[at..at + page[at..].find("</code>").unwrap()])
    };
    let search = |jql: String| {
        let s = &s;
        async move {
            let body = json!({"jql": jql, "maxResults": 100, "fields": ["summary"]});
            let (status, found) = send(s, M::POST, "/api/search", Some(body)).await;
            assert_eq!(status, 200, "{jql}: {found}");
            found["issues"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["key"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let jql = shown(&page);
    assert_eq!(jql, format!("labels = {a} AND labels = {b} ORDER BY created DESC"));
    assert_eq!(search(jql).await, keys);

    // Text, a person and a project: a ticket with an assignee is found by them.
    let t = all.iter().find(|t| t["assignee"].is_string()).expect("an assigned ticket");
    let summary = t["summary"].as_str().unwrap();
    let word = summary.split_whitespace().max_by_key(|w| w.len()).unwrap().to_owned();
    let path = format!(
        "/tickets?q={}&assignee={}&project={}&state=all&sort=summary",
        tether_jira::percent_encode(&word),
        tether_jira::percent_encode(t["assignee"].as_str().unwrap()),
        t["project"].as_str().unwrap(),
    );
    let page = s.get(&path).await.text().await.unwrap();
    let jql = shown(&page);
    assert!(jql.contains("(summary ~ ") && jql.ends_with("ORDER BY summary ASC"), "{jql}");
    let keys = listed(&page);
    assert!(keys.iter().any(|k| k == t["key"].as_str().unwrap()), "{jql}: {keys:?}");
    assert_eq!(search(jql.clone()).await, keys, "{jql}");
    // Its link puts it into the JQL box.
    let href = format!("/tickets?jql={}", tether_jira::percent_encode(&jql));
    assert!(page.contains(&format!("href=\"{}\"", href.replace('&', "&#38;"))), "{page}");
    let boxed = s.get(&href).await.text().await.unwrap();
    assert_eq!(listed(&boxed), listed(&page));

    // A value Jira would refuse is shown beside the filters, as beside the box.
    let page = s.get("/tickets?status=Nope").await.text().await.unwrap();
    assert!(page.contains("id=\"filter-errors\" role=\"alert\""), "{page}");
    assert!(
        page.contains("The value &#39;Nope&#39; does not exist for the field &#39;status&#39;.")
    );
}

#[tokio::test]
async fn a_ticket_shows_its_flags_state_per_environment_and_the_code_mentioning_it() {
    let s = TestServer::start().await;
    let _jira = ingested(&s).await;
    crate::jira_api::shop(&s).await;
    let (status, t) =
        send(&s, M::PUT, "/api/projects/shop/jira", Some(json!({"site": "acme"}))).await;
    assert_eq!(status, 200, "{t}");
    let link = json!({"issue": "DEMO-1"});
    let (status, body) =
        send(&s, M::POST, "/api/projects/shop/flags/checkout/issues", Some(link)).await;
    assert_eq!(status, 201, "{body}");
    let toggle = "/api/projects/shop/flags/checkout/environments/production/toggle";
    let (status, body) = send(&s, M::POST, toggle, Some(json!({"on": true}))).await;
    assert_eq!(status, 200, "{body}");
    let repo = json!({"name": "web", "source": "github"});
    assert_eq!(send(&s, M::POST, "/api/code/repositories", Some(repo)).await.0, 201);
    let repository_id = s.store.repository_by_name("web").await.unwrap().id;
    let mention = tether_store::dev::Mention {
        repository_id,
        entity: "commit:4f2a9c1d".into(),
        issue_key: "DEMO-1".into(),
        kind: "commit".into(),
        title: "DEMO-1 take the new checkout".into(),
        url: "https://github.com/acme/web/commit/4f2a9c1d".into(),
        author: "Ann Lee".into(),
        branch: "main".into(),
        state: String::new(),
        at: 1_764_547_200_000,
    };
    s.store.upsert_mention(&mention).await.unwrap();

    let page = s.get("/tickets/sites/acme/tickets/DEMO-1").await.text().await.unwrap();
    let card = &page[page.find("data-flag=\"shop/checkout\"").expect("the flag's card")..];
    let card = &card[..card.find("</section>").unwrap()];
    let production = &card[card.find(">Production</a>").unwrap_or_else(|| panic!("{card}"))..];
    let production = &production[..production.find("</tr>").unwrap()];
    assert!(production.contains(">On</span>"), "{production}");
    assert!(card.contains(">On</span> in Production (primary)"), "{card}");
    let code = &page[page.find("data-section=\"code\"").expect("the code section")..];
    assert!(
        code.contains("href=\"https://github.com/acme/web/commit/4f2a9c1d\"")
            && code.contains("DEMO-1 take the new checkout"),
        "{code}"
    );

    // Another ticket: no flag, no code.
    let page = s.get("/tickets/sites/acme/tickets/DEMO-2").await.text().await.unwrap();
    assert!(!page.contains("data-flag=") && page.contains("No flag is connected to DEMO-2"));
    assert!(!page.contains("4f2a9c1d"), "{page}");
}
