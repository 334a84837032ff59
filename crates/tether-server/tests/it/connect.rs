//! The Atlassian Connect app: the descriptor Jira installs tether from.

use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tether_server::{AppState, ServerConfig};
use tether_store::testing::{TestBackend, TestDatabase};
use tether_store::{JiraAuthKind, MasterKey, Store};
use tokio::sync::oneshot;

use crate::TestServer;
use crate::connect_lifecycle::{Atlassian, INSTALLED, jwt, now, payload, raw_jwt};
use crate::jira_api::{Jira, send, shop};

use reqwest::Method as M;

#[tokio::test]
async fn the_descriptor_names_the_app_its_lifecycle_and_the_issue_side_pages() {
    let config = ServerConfig {
        public_url: "https://flags.example.com".into(),
        connect_app_key: "tether-staging".into(),
        ..ServerConfig::default()
    };
    let s = TestServer::start_with(config).await;
    let r = reqwest::get(s.at("/atlassian-connect.json")).await.unwrap();
    assert_eq!(r.status(), 200);
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["key"], "tether-staging");
    assert_eq!(d["baseUrl"], "https://flags.example.com");
    assert_eq!(d["authentication"], json!({"type": "jwt"}));
    assert_eq!(
        d["lifecycle"],
        json!({"installed": "/connect/installed", "uninstalled": "/connect/uninstalled"})
    );
    assert_eq!(d["scopes"], json!(["READ", "WRITE", "DELETE"]));
    let module = &d["modules"]["jiraFeatureFlagInfoProvider"];
    assert_eq!(module["homeUrl"], "https://flags.example.com");
    assert_eq!(module["name"], json!({"value": "tether"}));
    assert_eq!(module["logoUrl"], "https://flags.example.com/static/tether-logo.svg");
    assert_eq!(
        module["actions"]["createFlag"]["templateUrl"],
        "https://flags.example.com/jira/create-flag?issueKey={issue.key}&issueSummary={issue.summary}"
    );
    assert_eq!(
        module["actions"]["linkFlag"]["templateUrl"],
        "https://flags.example.com/jira/link-flag?issueKey={issue.key}"
    );
    assert_eq!(
        module["actions"]["listFlags"]["templateUrl"],
        "https://flags.example.com/jira/issue-flags?issueKey={issue.key}"
    );
    // The Development Information API takes Connect apps with this module only.
    let tool = &d["modules"]["jiraDevelopmentTool"];
    assert_eq!(tool["application"], json!({"value": "tether"}));
    assert_eq!(tool["url"], "https://flags.example.com/code");
    assert_eq!(tool["capabilities"], json!(["commit", "branch", "pull_request"]));
    let logo = reqwest::get(s.at("/static/tether-logo.svg")).await.unwrap();
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");
}

/// A tether whose `public_url` is where it listens, as the Connect handshake
/// needs (the descriptor's `baseUrl` is where Jira posts the lifecycle), trusting
/// `jira`'s install keys and loopback installs, as the demo does.
async fn tether_at_own_url(jira: &Jira) -> TestServer {
    let db = TestDatabase::new(TestBackend::Sqlite).await;
    let store = Store::connect(db.url(), MasterKey::generate()).await.unwrap();
    store.migrate().await.unwrap();
    store.put_member("admin", &["admin".to_owned()], "test").await.unwrap();
    let new = tether_store::NewToken {
        name: "test-admin".into(),
        kind: "service".into(),
        member: "admin".into(),
        created_by: None,
        roles: vec!["admin".into()],
    };
    let (_, token) = store.create_token(&new, "test").await.unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
    let client = reqwest::Client::builder().default_headers(headers).build().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public_url = format!("http://{}", listener.local_addr().unwrap());
    let config = ServerConfig {
        public_url: public_url.clone(),
        connect_install_keys_url: format!("{}{}", jira.url, jira_sandbox::INSTALL_KEYS_PATH),
        connect_allowed_hosts: vec!["127.0.0.1".into()],
        ..ServerConfig::default()
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let state = AppState::new(store.clone(), config);
    tokio::spawn(tether_server::serve(state.clone(), listener, async {
        let _ = stopped.await;
    }));
    let db_url = db.url().to_owned();
    TestServer { url: public_url, client, token, store, state, db_url, _stop: stop, _db: db }
}

async fn sandbox_post(jira: &Jira, path: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", jira.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_sandbox_installs_tether_with_the_connect_handshake_and_uninstalls_it() {
    let jira = Jira::cloud().await;
    let s = tether_at_own_url(&jira).await;
    let descriptor = json!({"descriptorUrl": format!("{}/atlassian-connect.json", s.url)});
    let (status, installed) =
        sandbox_post(&jira, "/_sandbox/connect/install", descriptor.clone()).await;
    assert_eq!(status, 200, "{installed}");
    let client_key = installed["clientKey"].as_str().unwrap().to_owned();
    let secret = installed["sharedSecret"].as_str().unwrap().to_owned();

    let sites = s.store.list_jira_sites().await.unwrap();
    assert_eq!(sites.len(), 1, "{sites:?}");
    let site = &sites[0];
    assert_eq!(site.auth_kind, JiraAuthKind::Connect);
    assert_eq!(site.auth_user, client_key);
    assert_eq!(site.url, jira.url);
    assert!(site.enabled);
    assert_eq!(site.options["app_key"], "tether");
    assert_eq!(s.store.jira_site_secret(site.id).await.unwrap().expose_secret(), secret);
    let name = site.name.clone();
    let (_, listed) = send(&s, M::GET, "/api/jira/sites", None).await;
    assert_eq!(listed[0]["kind"], "connect");
    assert!(!listed.to_string().contains(&secret), "the shared secret never comes back");

    // tether now reads Jira as the app: the connection test and a link check.
    let (_, report) = send(&s, M::POST, &format!("/api/jira/sites/{name}/test"), None).await;
    assert_eq!(
        (report["ok"].as_bool(), report["deployment"].as_str()),
        (Some(true), Some("cloud")),
        "{report}"
    );
    shop(&s).await;
    let (status, t) =
        send(&s, M::PUT, "/api/projects/shop/jira", Some(json!({"site": name}))).await;
    assert_eq!(status, 200, "{t}");
    let link = |issue: &'static str| {
        let s = &s;
        async move {
            send(
                s,
                M::POST,
                "/api/projects/shop/flags/checkout/issues",
                Some(json!({"issue": issue})),
            )
            .await
        }
    };
    assert_eq!(link("SAND-1").await.0, 201);

    // The provider module Jira shows is the descriptor's.
    let apps: Value = reqwest::get(format!("{}/_sandbox/connect/apps", jira.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let provider = &apps[0]["featureFlagProvider"];
    assert_eq!(
        provider["actions"]["linkFlag"]["templateUrl"],
        format!("{}/jira/link-flag?issueKey={{issue.key}}", s.url)
    );

    // A reinstall rotates the secret: same site, new secret, still working.
    let (status, again) =
        sandbox_post(&jira, "/_sandbox/connect/install", descriptor.clone()).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["clientKey"], client_key.as_str());
    let rotated = again["sharedSecret"].as_str().unwrap();
    assert_ne!(rotated, secret);
    let sites = s.store.list_jira_sites().await.unwrap();
    assert_eq!(sites.len(), 1);
    assert_eq!(s.store.jira_site_secret(sites[0].id).await.unwrap().expose_secret(), rotated);
    assert_eq!(link("SAND-2").await.0, 201, "the client follows the new secret");

    // Uninstall: Jira tells tether, which keeps the site and its links, disabled.
    let (status, report) =
        sandbox_post(&jira, "/_sandbox/connect/uninstall", json!({"key": "tether"})).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["notified"], true, "tether answered the uninstalled callback: {report}");
    let site = s.store.jira_site_by_name(&name).await.unwrap();
    assert!(!site.enabled);
    assert_eq!(
        s.store.flag("shop", "checkout").await.unwrap().flag.jira_issues(),
        ["SAND-1", "SAND-2"]
    );
    let (status, err) = link("SAND-3").await;
    assert_eq!(status, 503, "{err}");
    assert!(err["message"].as_str().unwrap().contains("disabled"), "{err}");

    // Installed again: Jira keeps the clientKey, so the same site is enabled again
    // (no `…-2` duplicate), its projects follow, and every linked flag is queued.
    let before = s.store.outbox_stats().await.unwrap().pending;
    let (status, third) = sandbox_post(&jira, "/_sandbox/connect/install", descriptor).await;
    assert_eq!(status, 200, "{third}");
    assert_eq!(third["clientKey"], client_key.as_str(), "reinstall_keeps_the_client_key");
    let sites = s.store.list_jira_sites().await.unwrap();
    assert_eq!(sites.len(), 1, "reinstall_after_uninstall_reenables_the_same_site: {sites:?}");
    assert!(sites[0].enabled);
    assert!(s.store.outbox_stats().await.unwrap().pending > before, "a backfill was queued");
    let (_, report) = send(&s, M::POST, &format!("/api/jira/sites/{name}/test"), None).await;
    assert_eq!(report["ok"], true, "the site works again: {report}");
}

#[tokio::test]
async fn pages_jira_opens_with_a_jwt_are_verified_first() {
    let atlassian = Atlassian::start().await;
    let s = TestServer::start_with(atlassian.config()).await;
    let (key, secret) = ("jira:5678", "page-secret-0123456789");
    let (status, _) =
        atlassian.post(&s, INSTALLED, &payload(key, secret, "https://acme.atlassian.net")).await;
    assert_eq!(status, 204);
    let page = |token: String| {
        let s = &s;
        async move {
            let r = s.get(&format!("/jira/issue-flags?issueKey=SAND-1&jwt={token}")).await;
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let bound = jwt(key, secret, "GET", "/jira/issue-flags", &[("issueKey", "SAND-1")], now());
    assert_eq!(page(bound).await.0, 200, "a token bound to this request");
    let context = raw_jwt(
        json!({"alg": "HS256", "typ": "JWT"}),
        json!({"iss": key, "exp": now() + 60, "qsh": "context-qsh"}),
        secret,
    );
    assert_eq!(page(context).await.0, 200, "a context token, as page loads may carry");
    let other_issue =
        jwt(key, secret, "GET", "/jira/issue-flags", &[("issueKey", "SAND-2")], now());
    let (status, body) = page(other_issue).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("qsh"), "{body}");
    assert_eq!(
        page(jwt(
            key,
            "wrong-secret",
            "GET",
            "/jira/issue-flags",
            &[("issueKey", "SAND-1")],
            now()
        ))
        .await
        .0,
        401
    );
    assert_eq!(
        page(jwt(
            "jira:nobody",
            secret,
            "GET",
            "/jira/issue-flags",
            &[("issueKey", "SAND-1")],
            now()
        ))
        .await
        .0,
        401
    );
    let header =
        jwt(key, "wrong-secret", "GET", "/jira/create-flag", &[("issueKey", "SAND-1")], now());
    let r = s
        .client
        .get(s.at("/jira/create-flag?issueKey=SAND-1"))
        .header("Authorization", format!("JWT {header}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401, "Authorization: JWT is checked too");
}
