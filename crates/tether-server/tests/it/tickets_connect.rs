//! Ticket ingestion's connection and import control over HTTP against the sandbox: an API
//! token connection checked and its projects discovered, import switches (never for Service
//! Management), auto-import, pause, type assignments, removing data and turning the
//! integration off; the application link's three-legged flow through the UI, from the keys
//! tether shows to the callback; and who may do what.

use jira_sandbox::{Flavour, OAuth1ConsumerSpec};
use reqwest::Method as M;
use serde_json::{Value, json};

use crate::TestServer;
use crate::jira_api::{Jira, send, token_with};

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A site `acme` on a seeded sandbox of `flavour`.
async fn seeded_site(s: &TestServer, flavour: Flavour) -> Jira {
    let jira = Jira::start(flavour).await;
    jira.sandbox.seed_issues(20, 3);
    let body = json!({"name": "acme", "url": jira.url, "kind": "pat", "secret": "sandbox-pat"});
    let (status, site) = send(s, M::POST, "/api/jira/sites", Some(body)).await;
    assert_eq!(status, 201, "{site}");
    jira
}

fn project<'a>(status: &'a Value, key: &str) -> &'a Value {
    status["projects"].as_array().unwrap().iter().find(|p| p["key"] == key).unwrap()
}

#[tokio::test]
async fn an_api_token_connection_is_checked_and_its_projects_controlled() {
    let s = TestServer::start().await;
    let _jira = seeded_site(&s, Flavour::Cloud).await;
    let (status, body) = send(
        &s,
        M::PUT,
        "/api/tickets/sites/acme/connection",
        Some(json!({"kind": "api_token", "user": "nobody", "secret": "x"})),
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (422, Some("user")), "{body}");
    let conn =
        json!({"kind": "api_token", "user": "admin@sandbox.test", "secret": "sandbox-token"});
    let (status, body) = send(&s, M::PUT, "/api/tickets/sites/acme/connection", Some(conn)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["check"]["ok"], true, "{body}");
    assert_eq!(body["check"]["deployment"], "cloud");
    let st = &body["status"];
    assert!(!body.to_string().contains("sandbox-token"), "the secret never comes back");
    assert_eq!(st["connection"]["time_zone"], "UTC");
    let kinds: Vec<(String, bool, bool)> = st["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["key"].as_str().unwrap().to_owned(),
                p["processable"].as_bool().unwrap(),
                p["import"].as_bool().unwrap(),
            )
        })
        .collect();
    for want in [("HELP", false, false), ("OPS", true, false), ("WEB", true, false)] {
        assert!(kinds.contains(&(want.0.to_owned(), want.1, want.2)), "{kinds:?}");
    }

    // Import switches: on for Software, refused for Service Management.
    let (status, p) =
        send(&s, M::PUT, "/api/tickets/sites/acme/projects/WEB", Some(json!({"import": true})))
            .await;
    assert_eq!((status, p["import"].as_bool()), (200, Some(true)), "{p}");
    let (status, e) =
        send(&s, M::PUT, "/api/tickets/sites/acme/projects/HELP", Some(json!({"import": true})))
            .await;
    assert_eq!(status, 422, "{e}");
    assert!(e["message"].as_str().unwrap().contains("Service Management"), "{e}");
    let (status, _) =
        send(&s, M::PUT, "/api/tickets/sites/acme/projects/NOPE", Some(json!({"import": true})))
            .await;
    assert_eq!(status, 404);

    // Auto-import and pause.
    let (status, st) = send(
        &s,
        M::PUT,
        "/api/tickets/sites/acme/settings",
        Some(json!({"auto_import": true, "paused": true})),
    )
    .await;
    assert_eq!(status, 200, "{st}");
    assert_eq!(
        (st["connection"]["paused"].as_bool(), project(&st, "OPS")["import"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(project(&st, "HELP")["import"], false);
    let (status, run) = send(&s, M::POST, "/api/tickets/sites/acme/run", None).await;
    assert_eq!((status, run["due"].as_u64().map(|n| n >= 2)), (202, Some(true)), "{run}");

    // The Integrations page has a ticket section naming the connection and the import state.
    let (status, page) = crate::ui_flags::html(&s, "/integrations").await;
    assert_eq!(status, 200);
    let start = page.find("data-ticket-site=\"acme\"").unwrap_or_else(|| panic!("{page}"));
    let row = &page[start..start + page[start..].find("</tr>").unwrap()];
    for want in
        ["API token of admin@sandbox.test", ">checked<", "4 of 5 projects, auto-import", ">paused<"]
    {
        assert!(row.contains(want), "{want}: {row}");
    }
    assert!(!page.contains("sandbox-token"), "the secret never shows");

    // Type assignments: defaults from the types, then a person's choice.
    let (status, types) =
        send(&s, M::GET, "/api/tickets/sites/acme/projects/WEB/types", None).await;
    assert_eq!(status, 200, "{types}");
    let list = types["types"].as_array().unwrap();
    let by_name = |n: &str| {
        list.iter().find(|t| t["name"] == n).cloned().unwrap_or_else(|| panic!("{n}: {types}"))
    };
    assert_eq!(by_name("Bug")["category"], "bug");
    assert_eq!(by_name("Epic")["category"], "epic");
    let task = by_name("Task")["issue_type"].as_str().unwrap().to_owned();
    let path = format!("/api/tickets/sites/acme/projects/WEB/types/{task}");
    let (status, e) = send(&s, M::PUT, &path, Some(json!({"category": "feature"}))).await;
    assert_eq!((status, e["field"].as_str()), (422, Some("category")), "{e}");
    let (status, _) = send(&s, M::PUT, &path, Some(json!({"category": "story"}))).await;
    assert_eq!(status, 204);
    let (_, types) = send(&s, M::GET, "/api/tickets/sites/acme/projects/WEB/types", None).await;
    let task =
        types["types"].as_array().unwrap().iter().find(|t| t["name"] == "Task").unwrap().clone();
    assert_eq!((task["category"].as_str(), task["edited"].as_bool()), (Some("story"), Some(true)));

    // Turning it off needs the site's name repeated, and then removes it all.
    let (status, e) =
        send(&s, M::DELETE, "/api/tickets/sites/acme/connection", Some(json!({"confirm": "yes"})))
            .await;
    assert_eq!((status, e["field"].as_str()), (422, Some("confirm")));
    let (status, _) =
        send(&s, M::DELETE, "/api/tickets/sites/acme/connection", Some(json!({"confirm": "acme"})))
            .await;
    assert_eq!(status, 204);
    let (_, st) = send(&s, M::GET, "/api/tickets/sites/acme", None).await;
    assert_eq!(
        (st["connection"].clone(), st["projects"].as_array().map(Vec::len)),
        (Value::Null, Some(0))
    );
    let (status, openapi) = send(&s, M::GET, "/api/openapi.json", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        openapi["paths"]["/api/tickets/sites/{site}/connection"]["put"]["x-tether-action"],
        "updateIngestion"
    );
}

#[tokio::test]
async fn readers_see_ingestion_but_cannot_change_it() {
    let s = TestServer::start().await;
    let _jira = seeded_site(&s, Flavour::data_center("9.12.0")).await;
    let (status, body) = send(
        &s,
        M::PUT,
        "/api/tickets/sites/acme/connection",
        Some(json!({"kind": "pat", "secret": "sandbox-pat"})),
    )
    .await;
    assert_eq!((status, body["check"]["ok"].as_bool()), (200, Some(true)), "{body}");
    let reader = token_with(&s, "reader", &["reader"]).await;
    let r = reader.get(s.at("/api/tickets/sites/acme")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = reader
        .put(s.at("/api/tickets/sites/acme/projects/WEB"))
        .json(&json!({"import": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let writer = token_with(&s, "writer", &["writer"]).await;
    let r = writer
        .delete(s.at("/api/tickets/sites/acme/connection"))
        .json(&json!({"confirm": "acme"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        403,
        "integrations hold credentials: writers cannot change them"
    );
    let (status, _) = send(&s, M::GET, "/api/tickets/sites/nowhere", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_application_link_is_authorised_through_the_ui() {
    let s = TestServer::start().await;
    let jira = seeded_site(&s, Flavour::data_center("9.12.0")).await;
    let (status, _) = no_redirects()
        .post(s.at("/tickets/sites/acme/connection"))
        .bearer_auth(&s.token)
        .form(&[("kind", "oauth1"), ("consumer_key", "tether-test")])
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 303);
    let page = s.get("/tickets/sites/acme").await.text().await.unwrap();
    assert!(
        page.contains("Leave every other field empty") && page.contains("Create incoming link"),
        "{page}"
    );
    assert!(page.contains("tether-test"));
    let (_, st) = send(&s, M::GET, "/api/tickets/sites/acme", None).await;
    let public_key = st["connection"]["public_key"].as_str().unwrap().to_owned();
    assert!(public_key.starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(st["connection"]["authorised"], false);
    assert!(!st.to_string().contains("PRIVATE KEY"), "the private key never comes back");

    // Before the Jira admin pastes the keys, Jira refuses, and the page says what to fill in.
    let r = no_redirects()
        .post(s.at("/tickets/sites/acme/oauth1/authorise"))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 409);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("consumer_key_unknown")
            && page.contains("left blank except Application Name"),
        "{page}"
    );

    // The admin creates the application link with what tether showed.
    jira.sandbox
        .add_oauth1_consumer(OAuth1ConsumerSpec {
            consumer_key: "tether-test".into(),
            name: "tether".into(),
            public_key_pem: public_key,
        })
        .unwrap();
    let r = no_redirects()
        .post(s.at("/tickets/sites/acme/oauth1/authorise"))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let to_jira = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        to_jira.starts_with(&format!("{}/plugins/servlet/oauth/authorize?oauth_token=", jira.url)),
        "{to_jira}"
    );
    // The person allows access in Jira, which sends them back to the callback.
    let r = no_redirects().get(&to_jira).send().await.unwrap();
    let back = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        back.starts_with("http://127.0.0.1:8080/tickets/sites/acme/oauth1/callback?oauth_token="),
        "{back}"
    );
    let path = back.trim_start_matches("http://127.0.0.1:8080");
    let r = no_redirects().get(s.at(path)).bearer_auth(&s.token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let (_, st) = send(&s, M::GET, "/api/tickets/sites/acme", None).await;
    assert_eq!(st["connection"]["authorised"], true, "{st}");
    assert_eq!(st["connection"]["check"]["ok"], true, "{st}");
    assert!(st["projects"].as_array().unwrap().len() >= 4);
    // A request token is used once.
    let r = no_redirects().get(s.at(path)).bearer_auth(&s.token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 409);
}

#[tokio::test]
async fn jira_webhook_deliveries_are_kept_only_with_the_registered_token() {
    let s = TestServer::start().await;
    let _jira = seeded_site(&s, Flavour::Cloud).await;
    let conn =
        json!({"kind": "api_token", "user": "admin@sandbox.test", "secret": "sandbox-token"});
    let (status, body) = send(&s, M::PUT, "/api/tickets/sites/acme/connection", Some(conn)).await;
    assert_eq!(status, 200, "{body}");
    let site = s.store.jira_site_by_name("acme").await.unwrap();
    s.store
        .set_ticket_webhook(site.id, Some("7"), Some(&"s3cret-token".to_owned().into()))
        .await
        .unwrap();
    let web = s.store.set_ticket_import(site.id, "WEB", true, "t").await.unwrap();
    let ops = s.store.ticket_project(site.id, "OPS").await.unwrap();
    let delivery = |project: &str| {
        json!({"webhookEvent": "jira:issue_deleted", "issue": {"id": "10042", "key": "WEB-42",
            "fields": {"project": {"id": project, "key": "X"}}}})
    };
    let post = |path: String, body: String| {
        let c = reqwest::Client::new();
        async move {
            c.post(path)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let good = s.at(&format!("/hooks/jira/tickets/{}/s3cret-token", site.id));
    let cases = [
        (
            s.at(&format!("/hooks/jira/tickets/{}/guessed", site.id)),
            delivery(&web.id).to_string(),
            404,
        ),
        (s.at("/hooks/jira/tickets/999/s3cret-token"), delivery(&web.id).to_string(), 404),
        (good.clone(), "not json".to_owned(), 400),
        (good.clone(), delivery(&ops.id).to_string(), 204),
        (good.clone(), delivery(&web.id).to_string(), 204),
    ];
    for (url, body, want) in cases {
        assert_eq!(post(url.clone(), body.clone()).await, want, "{url} {body}");
    }
    let kept = s.store.ticket_hooks(site.id, &web.id).await.unwrap();
    assert_eq!(kept.len(), 1, "only the imported project's event: {kept:?}");
    assert_eq!(
        (kept[0].event.as_str(), kept[0].issue_id.as_deref()),
        ("jira:issue_deleted", Some("10042"))
    );
    assert!(
        s.store
            .ticket_hooks(site.id, &ops.id)
            .await
            .unwrap()
            .iter()
            .all(|e| e.project_id.is_none() || e.project_id.as_deref() == Some(web.id.as_str()))
    );
}
