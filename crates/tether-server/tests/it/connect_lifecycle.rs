//! The Connect lifecycle as an attacker and as Atlassian send it: install and
//! uninstall callbacks are trusted only when Atlassian signed them (RS256 under a
//! key its key service publishes), or when signed with the secret tether already
//! holds; everything else is refused, changes nothing and is rate-limited.
//! `Atlassian` here plays Atlassian: its own key pair, its key service on loopback.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method as M;
use rsa::RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::signature::{RandomizedSigner, SignatureEncoding};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tether_server::{FailureLimit, ServerConfig};

use crate::TestServer;
use crate::jira_api::{send, shop};

pub const INSTALLED: &str = "/connect/installed";
pub const UNINSTALLED: &str = "/connect/uninstalled";
const KID: &str = "7c3e1d0a-0000-4000-8000-000000000001";

/// Atlassian's signing key and key service, for the tests of this binary.
pub struct Atlassian {
    pub keys_url: String,
}

fn private_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap())
}

fn attacker_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap())
}

impl Atlassian {
    /// Serves the public key as Atlassian's key service does: `GET /{kid}` → PEM.
    pub async fn start() -> Atlassian {
        let pem = private_key().to_public_key().to_public_key_pem(LineEnding::LF).unwrap();
        let app =
            axum::Router::new().route(
                "/{kid}",
                get(move |Path(kid): Path<String>| {
                    let pem = pem.clone();
                    async move {
                        if kid == KID { Ok(pem) } else { Err(axum::http::StatusCode::NOT_FOUND) }
                    }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let keys_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Atlassian { keys_url }
    }

    /// A tether trusting these keys, with Atlassian's Cloud hosts allowed.
    pub fn config(&self) -> ServerConfig {
        ServerConfig { connect_install_keys_url: self.keys_url.clone(), ..ServerConfig::default() }
    }

    /// POSTs a lifecycle callback signed as Atlassian signs it, for tether at `s`.
    pub async fn post(&self, s: &TestServer, path: &str, body: &Value) -> (u16, Value) {
        let token = rs256(private_key(), KID, &claims(s, body, path));
        lifecycle(s, path, body, Some(&token)).await
    }
}

/// The claims Atlassian puts in a lifecycle callback's JWT.
fn claims(s: &TestServer, body: &Value, path: &str) -> Value {
    json!({
        "iss": body["clientKey"],
        "iat": now(),
        "exp": now() + 180,
        "qsh": tether_jira::query_string_hash("POST", path, &[]),
        "aud": [s.state.config.public_url],
    })
}

fn rs256(key: &RsaPrivateKey, kid: &str, claims: &Value) -> String {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": kid});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = SigningKey::<sha2::Sha256>::new(key.clone())
        .sign_with_rng(&mut rand::thread_rng(), input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

/// A lifecycle payload as Jira sends it.
pub fn payload(client_key: &str, secret: &str, base_url: &str) -> Value {
    json!({"key": "tether", "clientKey": client_key, "sharedSecret": secret, "baseUrl": base_url,
        "productType": "jira", "eventType": "installed", "cloudId": "c1"})
}

/// A Connect JWT signed HS256 with `secret`: `iss` the clientKey, `qsh` of `method path`.
pub fn jwt(
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
pub fn raw_jwt(header: Value, claims: Value, secret: &str) -> String {
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

pub async fn lifecycle(
    s: &TestServer,
    path: &str,
    body: &Value,
    token: Option<&str>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new().post(s.at(path)).json(body);
    if let Some(t) = token {
        req = req.header("Authorization", format!("JWT {t}"));
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

pub fn now() -> i64 {
    tether_store::now_ms() / 1000
}

/// A tether that has an installation `jira:1234` of `https://acme.atlassian.net`, with
/// the secret `first-secret`, installed by Atlassian.
async fn installed() -> (Atlassian, TestServer) {
    let atlassian = Atlassian::start().await;
    let s = TestServer::start_with(atlassian.config()).await;
    let (status, err) = atlassian
        .post(&s, INSTALLED, &payload("jira:1234", "first-secret", "https://acme.atlassian.net"))
        .await;
    assert_eq!(status, 204, "{err}");
    (atlassian, s)
}

async fn stored_secret(s: &TestServer) -> String {
    let site = s.store.jira_site_by_client_key("jira:1234").await.unwrap();
    s.store.jira_site_secret(site.id).await.unwrap().expose_secret().to_owned()
}

#[tokio::test]
async fn connect_site_takeover_with_a_forged_install_is_refused() {
    // Reported: a reader saw the clientKey, then POSTed /connect/installed for it and
    // the same baseUrl, HS256-signed with a secret of its choosing: 204, secret replaced.
    let (_, s) = installed().await;
    let forged = payload("jira:1234", "attacker-secret", "https://acme.atlassian.net");
    let token = jwt("jira:1234", "attacker-secret", "POST", INSTALLED, &[], now());
    let (status, err) = lifecycle(&s, INSTALLED, &forged, Some(&token)).await;
    assert_eq!(status, 401, "{err}");
    assert_eq!(stored_secret(&s).await, "first-secret", "the secret is unchanged");

    // Signed RS256, but with the attacker's own key under Atlassian's kid.
    let token = rs256(attacker_key(), KID, &claims(&s, &forged, INSTALLED));
    let (status, err) = lifecycle(&s, INSTALLED, &forged, Some(&token)).await;
    assert_eq!(status, 401, "{err}");
    assert!(err["message"].as_str().unwrap().contains("not signed by Atlassian"), "{err}");
    // Under a kid Atlassian never published.
    let token = rs256(attacker_key(), "made-up-kid", &claims(&s, &forged, INSTALLED));
    assert_eq!(lifecycle(&s, INSTALLED, &forged, Some(&token)).await.0, 401);
    // A kid that tries to leave the key service's path.
    let token = rs256(attacker_key(), "../../evil", &claims(&s, &forged, INSTALLED));
    assert_eq!(lifecycle(&s, INSTALLED, &forged, Some(&token)).await.0, 401);
    assert_eq!(stored_secret(&s).await, "first-secret");
}

#[tokio::test]
async fn connect_site_takeover_with_a_forged_uninstall_is_refused() {
    // Reported: a forged /connect/uninstalled disabled the site.
    let (_, s) = installed().await;
    let body = payload("jira:1234", "attacker-secret", "https://acme.atlassian.net");
    for token in [
        jwt("jira:1234", "attacker-secret", "POST", UNINSTALLED, &[], now()),
        rs256(attacker_key(), KID, &claims(&s, &body, UNINSTALLED)),
    ] {
        let (status, err) = lifecycle(&s, UNINSTALLED, &body, Some(&token)).await;
        assert_eq!(status, 401, "{err}");
    }
    assert!(s.store.jira_site_by_client_key("jira:1234").await.unwrap().enabled);
}

#[tokio::test]
async fn anyone_could_create_jira_sites_with_self_signed_installs() {
    // Reported: 100 self-signed installs in 0.3 s made 100 sites.
    let atlassian = Atlassian::start().await;
    let config = ServerConfig {
        auth_failures: FailureLimit { burst: 5, per_minute: 1 },
        ..atlassian.config()
    };
    let s = TestServer::start_with(config).await;
    let mut statuses = Vec::new();
    for i in 0..20 {
        let key = format!("jira:forged-{i}");
        let body = payload(&key, "self-chosen", &format!("https://x{i}.atlassian.net"));
        let token = jwt(&key, "self-chosen", "POST", INSTALLED, &[], now());
        statuses.push(lifecycle(&s, INSTALLED, &body, Some(&token)).await.0);
    }
    assert_eq!(statuses[..5], [401; 5], "{statuses:?}");
    assert_eq!(statuses[5..], [429; 15], "refused requests are rate-limited: {statuses:?}");
    assert!(s.store.list_jira_sites().await.unwrap().is_empty(), "no site was created");
    // The limit is per address and answers with Retry-After.
    let r = reqwest::Client::new()
        .post(s.at(INSTALLED))
        .json(&payload("jira:x", "s", "https://x.atlassian.net"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
}

#[tokio::test]
async fn installs_from_hosts_off_the_allow_list_are_refused() {
    // Reported: installs with loopback base URLs and names containing `/` made sites.
    let atlassian = Atlassian::start().await;
    let s = TestServer::start_with(atlassian.config()).await;
    for base in ["http://127.0.0.1:18301/a/b", "https://evil.example", "https://atlassian.net.evil"]
    {
        let (status, err) =
            atlassian.post(&s, INSTALLED, &payload("jira:9", "secret-9", base)).await;
        assert_eq!(status, 403, "{base}: {err}");
        assert!(err["message"].as_str().unwrap().contains("connect_allowed_hosts"), "{err}");
    }
    assert!(s.store.list_jira_sites().await.unwrap().is_empty());
    // The demo's setting: loopback allowed; the site is named by host, without the path.
    let config =
        ServerConfig { connect_allowed_hosts: vec!["127.0.0.1".into()], ..atlassian.config() };
    let s = TestServer::start_with(config).await;
    let (status, err) = atlassian
        .post(&s, INSTALLED, &payload("jira:9", "secret-9", "http://127.0.0.1:18301/a/b"))
        .await;
    assert_eq!(status, 204, "{err}");
    let site = s.store.jira_site_by_client_key("jira:9").await.unwrap();
    assert_eq!(site.name, "127.0.0.1-18301");
}

#[tokio::test]
async fn a_reader_token_does_not_see_a_connect_sites_client_key() {
    let (_, s) = installed().await;
    let (status, body) =
        send(&s, M::POST, "/api/tokens", Some(json!({"name": "reader", "roles": ["reader"]})))
            .await;
    assert_eq!(status, 201, "{body}");
    let reader = body["token"].as_str().unwrap();
    let r = reqwest::Client::new()
        .get(s.at("/api/jira/sites"))
        .bearer_auth(reader)
        .send()
        .await
        .unwrap();
    let listed: Value = r.json().await.unwrap();
    assert_eq!(listed[0]["kind"], "connect", "{listed}");
    assert!(!listed.to_string().contains("jira:1234"), "{listed}");
    let (_, admin_view) = s.get_json("/api/jira/sites").await;
    assert_eq!(admin_view[0]["user"], "jira:1234", "admins see it");
}

#[tokio::test]
async fn lifecycle_callbacks_with_a_bad_jwt_are_refused_and_change_nothing() {
    let atlassian = Atlassian::start().await;
    let s = TestServer::start_with(atlassian.config()).await;
    let (key, secret, base) =
        ("jira:1234", "first-secret-0123456789", "https://acme.atlassian.net");
    let body = payload(key, secret, base);
    let refused = |token: Option<String>, body: Value, why: &'static str| {
        let s = &s;
        async move {
            let (status, err) = lifecycle(s, INSTALLED, &body, token.as_deref()).await;
            assert_eq!(status, 401, "{why}: {err}");
            assert_eq!(err["code"], "unauthorized", "{why}: {err}");
            err["message"].as_str().unwrap().to_owned()
        }
    };
    let signed = |claims: Value| rs256(private_key(), KID, &claims);
    let base_claims = claims(&s, &body, INSTALLED);
    let with = |k: &str, v: Value| {
        let mut c = base_claims.clone();
        c[k] = v;
        c
    };
    refused(None, body.clone(), "no JWT").await;
    let m = refused(
        Some(jwt(key, secret, "POST", INSTALLED, &[], now())),
        body.clone(),
        "a first install signed with the secret it brings",
    )
    .await;
    assert!(m.contains("signed by Atlassian"), "{m}");
    let m = refused(
        Some(signed(with("qsh", json!(tether_jira::query_string_hash("GET", INSTALLED, &[]))))),
        body.clone(),
        "qsh of a GET",
    )
    .await;
    assert!(m.contains("qsh"), "{m}");
    refused(
        Some(signed(with("qsh", json!(tether_jira::query_string_hash("POST", UNINSTALLED, &[]))))),
        body.clone(),
        "qsh of another path",
    )
    .await;
    let m = refused(Some(signed(with("exp", json!(now() - 3600)))), body.clone(), "expired").await;
    assert!(m.contains("expired"), "{m}");
    refused(
        Some(signed(with("iss", json!("jira:other")))),
        body.clone(),
        "iss is not the clientKey",
    )
    .await;
    let m = refused(
        Some(signed(with("aud", json!(["https://other-app.example"])))),
        body.clone(),
        "meant for another app",
    )
    .await;
    assert!(m.contains("meant for"), "{m}");
    refused(Some(signed(with("qsh", json!("context-qsh")))), body.clone(), "a context token").await;
    let qsh = tether_jira::query_string_hash("POST", INSTALLED, &[]);
    let none = raw_jwt(
        json!({"alg": "none", "typ": "JWT", "kid": KID}),
        json!({"iss": key, "exp": now() + 60, "qsh": qsh}),
        secret,
    );
    refused(Some(none), body.clone(), "alg none").await;
    let mut token = signed(base_claims.clone());
    token.replace_range(token.len() - 4.., "AAAA");
    refused(Some(token), body.clone(), "a tampered signature").await;
    assert!(s.store.list_jira_sites().await.unwrap().is_empty(), "nothing stored");

    // The real thing: signed by Atlassian.
    let (status, err) = atlassian.post(&s, INSTALLED, &body).await;
    assert_eq!(status, 204, "{err}");
    let site = s.store.jira_site_by_client_key(key).await.unwrap();
    assert_eq!((site.name.as_str(), site.url.as_str()), ("acme.atlassian.net", base));
    assert_eq!(site.options["cloud_id"], "c1");

    // A reinstall signed by Atlassian rotates the secret, and may move the site
    // (Jira renamed it).
    let second = "second-secret-0123456789";
    let renamed = "https://acme-new.atlassian.net";
    let (status, _) = atlassian.post(&s, INSTALLED, &payload(key, second, renamed)).await;
    assert_eq!(status, 204);
    assert_eq!(s.store.jira_site_secret(site.id).await.unwrap().expose_secret(), second);
    assert_eq!(s.store.jira_site_by_client_key(key).await.unwrap().url, renamed);
    // A reinstall signed with the secret tether holds (HS256, as Connect did before
    // signed installs) is the installation itself: accepted.
    let third = "third-secret-0123456789";
    let token = jwt(key, second, "POST", INSTALLED, &[], now());
    let (status, err) = lifecycle(&s, INSTALLED, &payload(key, third, renamed), Some(&token)).await;
    assert_eq!(status, 204, "{err}");
    assert_eq!(s.store.jira_site_secret(site.id).await.unwrap().expose_secret(), third);
    let wrong_app =
        json!({"key": "other-app", "clientKey": key, "sharedSecret": third, "baseUrl": renamed});
    let (status, _) = atlassian.post(&s, INSTALLED, &wrong_app).await;
    assert_eq!(status, 400, "this tether is app `tether`");

    // Uninstall: signed by Atlassian, or with the stored secret.
    let body = payload(key, third, renamed);
    for (token, why) in [
        (None, "no JWT"),
        (
            Some(jwt(key, "first-secret-0123456789", "POST", UNINSTALLED, &[], now())),
            "an old secret",
        ),
        (Some(jwt(key, third, "POST", INSTALLED, &[], now())), "qsh of the install"),
        (
            Some(jwt("jira:unknown", third, "POST", UNINSTALLED, &[], now())),
            "an unknown installation",
        ),
    ] {
        let (status, err) = lifecycle(&s, UNINSTALLED, &body, token.as_deref()).await;
        assert_eq!(status, 401, "{why}: {err}");
        assert!(s.store.jira_site_by_client_key(key).await.unwrap().enabled, "{why}");
    }
    let (status, err) = atlassian.post(&s, UNINSTALLED, &body).await;
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
    let (status, err) = atlassian.post(&s, INSTALLED, &payload(key, fourth, renamed)).await;
    assert_eq!(status, 204, "{err}");
    assert!(s.store.jira_site_by_client_key(key).await.unwrap().enabled);
    assert_eq!(s.store.outbox_stats().await.unwrap().pending, before + 1, "checkout queued again");
}
