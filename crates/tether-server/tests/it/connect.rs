//! The Atlassian Connect app: the descriptor Jira installs tether from.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tether_server::{AppState, ServerConfig};
use tether_store::{JiraAuthKind, MasterKey, Store};
use tokio::sync::oneshot;

use crate::TestServer;
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
    let logo = reqwest::get(s.at("/static/tether-logo.svg")).await.unwrap();
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");
}

/// A tether whose `public_url` is where it listens, as the Connect handshake
/// needs (the descriptor's `baseUrl` is where Jira posts the lifecycle).
async fn tether_at_own_url() -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/tether.db", dir.path().display());
    let store = Store::connect(&url, MasterKey::generate()).await.unwrap();
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
    let config = ServerConfig { public_url: public_url.clone(), ..ServerConfig::default() };
    let (stop, stopped) = oneshot::channel::<()>();
    let state = AppState::new(store.clone(), config);
    tokio::spawn(tether_server::serve(state.clone(), listener, async {
        let _ = stopped.await;
    }));
    TestServer { url: public_url, client, token, store, state, _stop: stop, _dir: dir }
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
    let s = tether_at_own_url().await;
    let jira = Jira::cloud().await;
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

    // FIXME: the sandbox forgets an app's clientKey when it is uninstalled, so
    // installing again makes a second site; real Jira keeps the clientKey of an
    // instance forever, and the same site is enabled again (checked in
    // lifecycle_callbacks_with_a_bad_jwt_are_refused_and_change_nothing).
    let (status, third) = sandbox_post(&jira, "/_sandbox/connect/install", descriptor).await;
    assert_eq!(status, 200, "{third}");
    assert_ne!(third["clientKey"], client_key.as_str());
    let fresh =
        s.store.jira_site_by_client_key(third["clientKey"].as_str().unwrap()).await.unwrap();
    assert!(fresh.enabled);
    assert_eq!(s.store.list_jira_sites().await.unwrap().len(), 2);
}

/// A lifecycle payload as Jira sends it.
fn payload(client_key: &str, secret: &str, base_url: &str) -> Value {
    json!({"key": "tether", "clientKey": client_key, "sharedSecret": secret, "baseUrl": base_url,
        "productType": "jira", "eventType": "installed", "cloudId": "c1"})
}

/// A Connect JWT as Jira signs one: `iss` the clientKey, `qsh` of `method path`.
fn jwt(
    client_key: &str,
    secret: &str,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    now: i64,
) -> String {
    let query: Vec<(String, String)> =
        query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    tether_jira::connect_jwt(
        client_key,
        &SecretString::from(secret.to_owned()),
        method,
        path,
        &query,
        now,
    )
}

/// A JWT with any claims and header, signed HS256 with `secret`.
fn raw_jwt(header: Value, claims: Value, secret: &str) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use hmac::Mac;
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

async fn lifecycle(s: &TestServer, path: &str, body: &Value, token: Option<&str>) -> (u16, Value) {
    let mut req = reqwest::Client::new().post(s.at(path)).json(body);
    if let Some(t) = token {
        req = req.header("Authorization", format!("JWT {t}"));
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn now() -> i64 {
    tether_store::now_ms() / 1000
}

#[tokio::test]
async fn lifecycle_callbacks_with_a_bad_jwt_are_refused_and_change_nothing() {
    let s = TestServer::start().await;
    let (key, secret, base) =
        ("jira:1234", "first-secret-0123456789", "https://acme.atlassian.net");
    let body = payload(key, secret, base);
    let install = "/connect/installed";
    let refused = |token: Option<String>, body: Value, why: &'static str| {
        let s = &s;
        async move {
            let (status, err) = lifecycle(s, install, &body, token.as_deref()).await;
            assert_eq!(status, 401, "{why}: {err}");
            assert_eq!(err["code"], "unauthorized", "{why}: {err}");
            err["message"].as_str().unwrap().to_owned()
        }
    };
    refused(None, body.clone(), "no JWT").await;
    refused(
        Some(jwt(key, "another-secret", "POST", install, &[], now())),
        body.clone(),
        "another secret",
    )
    .await;
    let m =
        refused(Some(jwt(key, secret, "GET", install, &[], now())), body.clone(), "qsh of a GET")
            .await;
    assert!(m.contains("qsh"), "{m}");
    refused(
        Some(jwt(key, secret, "POST", "/connect/uninstalled", &[], now())),
        body.clone(),
        "qsh of another path",
    )
    .await;
    refused(
        Some(jwt(key, secret, "POST", install, &[("a", "b")], now())),
        body.clone(),
        "qsh with a query",
    )
    .await;
    let m = refused(
        Some(jwt(key, secret, "POST", install, &[], now() - 3600)),
        body.clone(),
        "expired",
    )
    .await;
    assert!(m.contains("expired"), "{m}");
    refused(
        Some(jwt("jira:other", secret, "POST", install, &[], now())),
        body.clone(),
        "iss is not the clientKey",
    )
    .await;
    let qsh = tether_jira::query_string_hash("POST", install, &[]);
    let none = raw_jwt(
        json!({"alg": "none", "typ": "JWT"}),
        json!({"iss": key, "exp": now() + 60, "qsh": qsh}),
        secret,
    );
    refused(Some(none), body.clone(), "alg none").await;
    let context = raw_jwt(
        json!({"alg": "HS256", "typ": "JWT"}),
        json!({"iss": key, "exp": now() + 60, "qsh": "context-qsh"}),
        secret,
    );
    refused(Some(context), body.clone(), "a context token on a lifecycle callback").await;
    let mut token = jwt(key, secret, "POST", install, &[], now());
    token.replace_range(token.len() - 2.., "AA");
    refused(Some(token), body.clone(), "a tampered signature").await;
    assert!(s.store.list_jira_sites().await.unwrap().is_empty(), "nothing stored");

    // The real thing: signed with the secret it brings.
    let (status, err) =
        lifecycle(&s, install, &body, Some(&jwt(key, secret, "POST", install, &[], now()))).await;
    assert_eq!(status, 204, "{err}");
    let site = s.store.jira_site_by_client_key(key).await.unwrap();
    assert_eq!((site.name.as_str(), site.url.as_str()), ("acme.atlassian.net", base));
    assert_eq!(site.options["cloud_id"], "c1");

    // Knowing a clientKey is not enough to move its site elsewhere.
    let moved = payload(key, "attacker-secret-0123456789", "https://evil.example");
    let m = refused(
        Some(jwt(key, "attacker-secret-0123456789", "POST", install, &[], now())),
        moved.clone(),
        "a takeover",
    )
    .await;
    assert!(m.contains("baseUrl"), "{m}");
    assert_eq!(s.store.jira_site_by_client_key(key).await.unwrap().url, base);
    assert_eq!(s.store.jira_site_secret(site.id).await.unwrap().expose_secret(), secret);
    // A reinstall signed with the new secret, same site: accepted, secret rotated.
    let second = "second-secret-0123456789";
    let (status, _) = lifecycle(
        &s,
        install,
        &payload(key, second, base),
        Some(&jwt(key, second, "POST", install, &[], now())),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(s.store.jira_site_secret(site.id).await.unwrap().expose_secret(), second);
    // Signed with the current secret, the site may move (Jira renamed the site).
    let renamed = "https://acme-new.atlassian.net";
    let (status, _) = lifecycle(
        &s,
        install,
        &payload(key, "third-secret-0123456789", renamed),
        Some(&jwt(key, second, "POST", install, &[], now())),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(s.store.jira_site_by_client_key(key).await.unwrap().url, renamed);
    let third = "third-secret-0123456789";
    let wrong_app =
        json!({"key": "other-app", "clientKey": key, "sharedSecret": third, "baseUrl": renamed});
    let (status, _) =
        lifecycle(&s, install, &wrong_app, Some(&jwt(key, third, "POST", install, &[], now())))
            .await;
    assert_eq!(status, 400, "this tether is app `tether`");

    // Uninstall: only with the stored secret.
    let uninstall = "/connect/uninstalled";
    let body = payload(key, third, renamed);
    for (token, why) in [
        (None, "no JWT"),
        (Some(jwt(key, "first-secret-0123456789", "POST", uninstall, &[], now())), "an old secret"),
        (Some(jwt(key, third, "POST", install, &[], now())), "qsh of the install"),
        (
            Some(jwt("jira:unknown", third, "POST", uninstall, &[], now())),
            "an unknown installation",
        ),
    ] {
        let (status, err) = lifecycle(&s, uninstall, &body, token.as_deref()).await;
        assert_eq!(status, 401, "{why}: {err}");
        assert!(s.store.jira_site_by_client_key(key).await.unwrap().enabled, "{why}");
    }
    let (status, err) =
        lifecycle(&s, uninstall, &body, Some(&jwt(key, third, "POST", uninstall, &[], now())))
            .await;
    assert_eq!(status, 204, "{err}");
    assert!(!s.store.jira_site_by_client_key(key).await.unwrap().enabled);

    // Installed again (same clientKey, as Jira keeps it): enabled, and every
    // linked flag is queued for Jira again, since Jira dropped what it had.
    shop(&s).await;
    let track = json!({"site": "acme.atlassian.net"});
    assert_eq!(send(&s, M::PUT, "/api/projects/shop/jira", Some(track)).await.0, 200);
    s.store.link_flag_issue("shop", "checkout", "SAND-1", "test").await.unwrap();
    let before = s.store.outbox_stats().await.unwrap().pending;
    let fourth = "fourth-secret-0123456789";
    let token = jwt(key, fourth, "POST", install, &[], now());
    let (status, err) = lifecycle(&s, install, &payload(key, fourth, renamed), Some(&token)).await;
    assert_eq!(status, 204, "{err}");
    assert!(s.store.jira_site_by_client_key(key).await.unwrap().enabled);
    assert_eq!(s.store.outbox_stats().await.unwrap().pending, before + 1, "checkout queued again");
}

#[tokio::test]
async fn pages_jira_opens_with_a_jwt_are_verified_first() {
    let s = TestServer::start().await;
    let (key, secret) = ("jira:5678", "page-secret-0123456789");
    let install = "/connect/installed";
    let (status, _) = lifecycle(
        &s,
        install,
        &payload(key, secret, "https://acme.atlassian.net"),
        Some(&jwt(key, secret, "POST", install, &[], now())),
    )
    .await;
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
