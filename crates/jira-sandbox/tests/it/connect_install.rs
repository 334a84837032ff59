//! The Connect install handshake: the sandbox fetches a descriptor from a tiny app on
//! loopback, POSTs the signed `installed` payload, accepts the app's JWTs, and on uninstall
//! tells the app and deletes what it sent.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::connect::jwt;
use crate::featureflags::flag;
use crate::support::{self, Auth, Server};

/// What the app saw: (lifecycle path, Authorization header, body).
type Seen = Arc<Mutex<Vec<(String, String, Value)>>>;

#[derive(Clone)]
struct App {
    base: String,
    seen: Seen,
    /// Status the `installed` hook answers.
    installed_status: u16,
}

async fn descriptor(State(app): State<App>) -> Json<Value> {
    Json(json!({
        "key": "dev.tether.app",
        "name": "tether",
        "baseUrl": app.base,
        "authentication": {"type": "jwt"},
        "lifecycle": {"installed": "/installed", "uninstalled": "/uninstalled"},
        "scopes": ["READ", "WRITE", "DELETE"],
        "modules": {
            "jiraFeatureFlagInfoProvider": {
                "homeUrl": "https://tether.test",
                "logoUrl": "https://tether.test/logo.svg",
                "name": {"value": "tether"},
                "key": "tether-flags",
                "actions": {
                    "createFlag": {"templateUrl": "https://tether.test/flags/new?issue={issue.key}"},
                    "linkFlag": {"templateUrl": "https://tether.test/flags/link?issue={issue.key}"},
                    "listFlags": {"templateUrl": "https://tether.test/flags?issue={issue.key}"}
                }
            }
        }
    }))
}

fn record(app: &App, what: &str, headers: &HeaderMap, body: Value) {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    app.seen.lock().unwrap().push((what.to_owned(), auth, body));
}

async fn start_app(installed_status: u16) -> App {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = App {
        base: format!("http://{}", listener.local_addr().unwrap()),
        seen: Seen::default(),
        installed_status,
    };
    let router = Router::new()
        .route("/atlassian-connect.json", get(descriptor))
        .route(
            "/installed",
            post(
                |State(app): State<App>, headers: HeaderMap, Json(body): Json<Value>| async move {
                    record(&app, "installed", &headers, body);
                    AxumStatus::from_u16(app.installed_status).unwrap()
                },
            ),
        )
        .route(
            "/uninstalled",
            post(
                |State(app): State<App>, headers: HeaderMap, Json(body): Json<Value>| async move {
                    record(&app, "uninstalled", &headers, body);
                    AxumStatus::NO_CONTENT
                },
            ),
        )
        .with_state(app.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    app
}

async fn install(srv: &Server, descriptor_url: &str) -> support::Resp {
    srv.call_as(
        Auth::None,
        Method::POST,
        "/_sandbox/connect/install",
        Some(json!({"descriptorUrl": descriptor_url})),
    )
    .await
}

/// Checks a lifecycle JWT the way an app must since Atlassian's signed installs: RS256 under the
/// public key its `kid` names (fetched from the key service the sandbox plays), `iss`, `qsh` and
/// `aud` = the app's base URL.
async fn check_lifecycle_jwt(
    srv: &Server,
    header: &str,
    client_key: &str,
    app_base: &str,
    path: &str,
) {
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;
    let token = header.strip_prefix("JWT ").expect("JWT scheme");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let head: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(head["alg"], "RS256");
    let kid = head["kid"].as_str().expect("a kid");
    let pem = reqwest::get(format!("{}{}/{kid}", srv.base, jira_sandbox::INSTALL_KEYS_PATH))
        .await
        .unwrap();
    assert_eq!(pem.status(), StatusCode::OK);
    let key = rsa::RsaPublicKey::from_public_key_pem(&pem.text().await.unwrap()).unwrap();
    let signature =
        Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().as_slice()).unwrap();
    VerifyingKey::<Sha256>::new(key)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("signed with the published key");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["iss"], client_key);
    assert_eq!(claims["aud"], json!([app_base]));
    let qsh: String = Sha256::digest(format!("POST&{path}&").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(claims["qsh"], qsh.as_str());
    assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());
    let unknown =
        reqwest::get(format!("{}{}/not-{kid}", srv.base, jira_sandbox::INSTALL_KEYS_PATH))
            .await
            .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn install_sign_uninstall() {
    let srv = support::cloud().await;
    let app = start_app(204).await;
    let r = install(&srv, &format!("{}/atlassian-connect.json", app.base)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let secret = r.body["sharedSecret"].as_str().unwrap().to_owned();
    let client_key = r.body["clientKey"].as_str().unwrap().to_owned();
    assert_eq!(r.body["key"], "dev.tether.app");
    assert_eq!(r.body["user"], "addon_dev.tether.app");

    let seen = app.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let (what, auth, payload) = &seen[0];
    assert_eq!(what, "installed");
    for (field, want) in [
        ("key", json!("dev.tether.app")),
        ("clientKey", json!(client_key)),
        ("sharedSecret", json!(secret)),
        ("baseUrl", json!(srv.base)),
        ("productType", json!("jira")),
        ("eventType", json!("installed")),
    ] {
        assert_eq!(payload[field], want, "{field}");
    }
    check_lifecycle_jwt(&srv, auth, &client_key, &app.base, "/installed").await;

    // The admin endpoint shows the app and its feature flag module.
    let apps = srv.call_as(Auth::None, Method::GET, "/_sandbox/connect/apps", None).await;
    assert_eq!(apps.body[0]["featureFlagProvider"]["key"], "tether-flags");
    assert_eq!(apps.body[0]["baseUrl"], app.base.as_str());

    // The app's JWT-signed requests are accepted: it submits a flag.
    let key = srv.create(3, "Flag me").await;
    let send_flag = |secret: String| {
        let token = jwt("dev.tether.app", &secret, "POST", "/rest/featureflags/0.1/bulk", "", 60);
        reqwest::Client::new()
            .post(format!("{}/rest/featureflags/0.1/bulk", srv.base))
            .header("Authorization", format!("JWT {token}"))
            .json(&json!({"flags": [flag("app-flag", 1, &[&key])]}))
            .send()
    };
    let r = send_flag(secret.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(srv.sandbox.feature_flags().len(), 1);
    // Its descriptor declares no build provider: the Builds API refuses it (403).
    let token = jwt("dev.tether.app", &secret, "POST", "/rest/builds/0.1/bulk", "", 60);
    let r = reqwest::Client::new()
        .post(format!("{}/rest/builds/0.1/bulk", srv.base))
        .header("Authorization", format!("JWT {token}"))
        .json(&json!({"builds": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body[0]["message"],
        "The app dev.tether.app does not define the jiraBuildInfoProvider module."
    );

    // Reinstalling keeps the clientKey and rotates the secret.
    let r = install(&srv, &format!("{}/atlassian-connect.json", app.base)).await;
    assert_eq!(r.body["clientKey"], client_key.as_str());
    let new_secret = r.body["sharedSecret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert_eq!(send_flag(secret.clone()).await.unwrap().status(), StatusCode::UNAUTHORIZED);

    let r = srv
        .call_as(
            Auth::None,
            Method::POST,
            "/_sandbox/connect/uninstall",
            Some(json!({"key": "dev.tether.app"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["notified"], true);
    assert_eq!(r.body["featureFlagsDeleted"], 1);
    let seen = app.seen.lock().unwrap().clone();
    let (what, auth, payload) = seen.last().unwrap();
    assert_eq!(what, "uninstalled");
    assert_eq!(payload["eventType"], "uninstalled");
    check_lifecycle_jwt(&srv, auth, &client_key, &app.base, "/uninstalled").await;
    assert!(srv.sandbox.feature_flags().is_empty(), "everything the app sent is gone");
    assert!(srv.sandbox.connect_apps().is_empty());
    assert_eq!(send_flag(new_secret).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let r = srv
        .call_as(
            Auth::None,
            Method::POST,
            "/_sandbox/connect/uninstall",
            Some(json!({"key": "dev.tether.app"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Jira keeps the clientKey across an uninstall: reinstalling is the same installation.
    let r = install(&srv, &format!("{}/atlassian-connect.json", app.base)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["clientKey"],
        client_key.as_str(),
        "reinstall_after_uninstall_keeps_the_client_key"
    );
}

#[tokio::test]
async fn installs_that_fail() {
    let srv = support::cloud().await;
    let refusing = start_app(500).await;
    let fine = start_app(200).await;
    // (descriptor URL, what the error mentions)
    let cases = [
        ("http://example.com/atlassian-connect.json".to_owned(), "loopback"),
        (format!("{}/missing.json", fine.base), "404"),
        (
            format!("{}/atlassian-connect.json", refusing.base),
            "installed lifecycle callback failed",
        ),
    ];
    for (url, want) in cases {
        let r = install(&srv, &url).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{url}");
        let msg = support::jira_error(&r);
        assert!(msg.contains(want), "{url}: {msg}");
    }
    assert!(srv.sandbox.connect_apps().is_empty(), "a refused install records nothing");

    // The library method does the same; Data Center has no Connect.
    let installed = srv
        .sandbox
        .install_connect_app_from(&format!("{}/atlassian-connect.json", fine.base), &srv.base)
        .await
        .unwrap();
    assert_eq!(installed.key, "dev.tether.app");
    let dc = support::dc().await;
    let err = dc
        .sandbox
        .install_connect_app_from(&format!("{}/atlassian-connect.json", fine.base), &dc.base)
        .await
        .unwrap_err();
    assert_eq!(err, jira_sandbox::InstallError::NotCloud);
}
