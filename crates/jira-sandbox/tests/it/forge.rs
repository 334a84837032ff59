//! Forge, played by the sandbox: its key set, Forge Invocation Tokens that verify under it, and
//! the lifecycle events it posts to an app's remote on install and uninstall.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{self, Auth, Server};

const APP: &str = "ari:cloud:ecosystem::app/8f7c2d0e-4c61-4b2f-9a3e-2d1f0c9b8a77";

/// The app's id as one path segment (its ARI holds a `/`).
fn app_segment() -> String {
    APP.replace('/', "%2F")
}

/// Verifies `token` under the sandbox's key set as a remote must, and answers its claims.
async fn verified_claims(srv: &Server, token: &str) -> Value {
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    use rsa::{BigUint, RsaPublicKey};
    let jwks = srv.call_as(Auth::None, Method::GET, "/.well-known/jwks.json", None).await;
    assert_eq!(jwks.status, StatusCode::OK, "{:?}", jwks.body);
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let head: Value = serde_json::from_slice(&decode(parts[0])).unwrap();
    assert_eq!(head["alg"], "RS256");
    let jwk = jwks.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == head["kid"])
        .expect("the kid is in the key set");
    let part = |name: &str| BigUint::from_bytes_be(&decode(jwk[name].as_str().unwrap()));
    let key = RsaPublicKey::new(part("n"), part("e")).unwrap();
    let signature = Signature::try_from(decode(parts[2]).as_slice()).unwrap();
    VerifyingKey::<sha2::Sha256>::new(key)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("signed with the published key");
    serde_json::from_slice(&decode(parts[1])).unwrap()
}

#[tokio::test]
async fn tokens_verify_under_the_published_key_set() {
    let srv = support::cloud().await;
    let body = json!({"moduleKey": "tether-remote", "principal": "557058:abc"});
    let r = srv
        .call_as(
            Auth::None,
            Method::POST,
            &format!("/_sandbox/forge/{}/token", app_segment()),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let claims = verified_claims(&srv, r.body["token"].as_str().unwrap()).await;
    assert_eq!(claims["iss"], "forge/invocation-token");
    assert_eq!(claims["aud"], APP);
    assert_eq!(claims["app"]["id"], APP);
    assert_eq!(claims["app"]["module"]["key"], "tether-remote");
    assert_eq!(
        claims["app"]["apiBaseUrl"],
        format!("{}/ex/jira/{}", srv.base, jira_sandbox::CLOUD_ID)
    );
    assert_eq!(claims["context"]["cloudId"], jira_sandbox::CLOUD_ID);
    assert_eq!(claims["principal"], "557058:abc");
    let ttl = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(ttl, 300, "minutes, not hours");
    // A bare uuid names the same app.
    let bare = APP.trim_start_matches("ari:cloud:ecosystem::app/");
    let r = srv
        .call_as(
            Auth::None,
            Method::POST,
            &format!("/_sandbox/forge/{bare}/token"),
            Some(json!({})),
        )
        .await;
    assert_eq!(verified_claims(&srv, r.body["token"].as_str().unwrap()).await["aud"], APP);
}

type Seen = Arc<Mutex<Vec<(String, Value)>>>;

#[tokio::test]
async fn installs_and_uninstalls_post_signed_lifecycle_events_to_the_remote() {
    let srv = support::cloud().await;
    let seen = Seen::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let events = format!("http://{}/forge/events", listener.local_addr().unwrap());
    let router = Router::new()
        .route(
            "/forge/events",
            post(
                |State(seen): State<Seen>, headers: HeaderMap, Json(body): Json<Value>| async move {
                    let auth = headers["authorization"].to_str().unwrap().to_owned();
                    seen.lock().unwrap().push((auth, body));
                },
            ),
        )
        .with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });

    let install_path = format!("/_sandbox/forge/{}/install", app_segment());
    let body = json!({"eventsUrl": events.clone()});
    let r = srv.call_as(Auth::None, Method::POST, &install_path, Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let installation = r.body["installationId"].as_str().unwrap().to_owned();
    assert!(installation.starts_with("ari:cloud:ecosystem::installation/"), "{installation}");
    // Installing again (an upgrade) keeps the installation.
    let again = srv.call_as(Auth::None, Method::POST, &install_path, Some(body)).await;
    assert_eq!(again.body["installationId"], installation.as_str());
    let listed = srv.call_as(Auth::None, Method::GET, "/_sandbox/forge/apps", None).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "{:?}", listed.body);

    let r = srv
        .call_as(
            Auth::None,
            Method::POST,
            &format!("/_sandbox/forge/{}/uninstall", app_segment()),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let seen = seen.lock().unwrap().clone();
    let kinds: Vec<&str> = seen.iter().map(|(_, b)| b["eventType"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["avi:forge:installed:app", "avi:forge:installed:app", "avi:forge:uninstalled:app"]
    );
    for (auth, body) in &seen {
        assert_eq!(body["id"], installation.as_str());
        let claims = verified_claims(&srv, auth.strip_prefix("Bearer ").unwrap()).await;
        assert_eq!(claims["app"]["installationId"], installation.as_str());
        // As Forge's published invocation context: the cloudId and module, no site URL.
        assert_eq!(
            claims["context"],
            json!({"cloudId": jira_sandbox::CLOUD_ID, "moduleKey": "tether-lifecycle"})
        );
    }
    let again = srv
        .call_as(
            Auth::None,
            Method::POST,
            &format!("/_sandbox/forge/{}/uninstall", app_segment()),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    // A remote off loopback is never called.
    let r = srv
        .call_as(
            Auth::None,
            Method::POST,
            &format!("/_sandbox/forge/{}/install", app_segment()),
            Some(json!({"eventsUrl": "https://tether.example.com/forge/events"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}
