//! Connect JWTs signed by the sandbox (an implementation that shares no code with this crate)
//! verified by `verify_connect_install_jwt` under keys `ConnectInstallKeys` fetches from the
//! sandbox's key service: a tiny Connect app receives the sandbox's `installed` and
//! `uninstalled` lifecycle callbacks under a base URL with a context path.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tether_jira::{ConnectInstallKeys, JwtError, connect_jwt_header, verify_connect_install_jwt};

use crate::support;

/// How the app checks the callbacks it gets; the wrong ways must make the install fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Right,
    /// Expects itself at the server's root, not under its context path.
    WrongAudience,
    /// Hashes the full path, context path included, instead of the path relative to the base.
    FullPath,
}

#[derive(Debug)]
struct App {
    mode: Mode,
    /// The app's base URL (with its context path), the audience Atlassian signs for.
    base: Mutex<String>,
    keys: ConnectInstallKeys,
    /// clientKey → shared secret, as stored from `installed`.
    secrets: Mutex<HashMap<String, String>>,
    /// (path, outcome) per callback.
    seen: Mutex<Vec<(String, Result<String, JwtError>)>>,
}

const CONTEXT_PATH: &str = "/tether";

async fn lifecycle(
    State(app): State<Arc<App>>,
    uri: Uri,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> StatusCode {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("JWT "))
        .unwrap_or_default()
        .to_owned();
    let base = app.base.lock().unwrap().clone();
    let outcome = async {
        let header = connect_jwt_header(&token)?;
        let kid = header.kid.ok_or(JwtError::MissingKeyId)?;
        let key = app.keys.key(&kid).await.expect("the sandbox publishes the key it signs with");
        let path = match app.mode {
            Mode::FullPath => uri.path(),
            _ => uri.path().strip_prefix(CONTEXT_PATH).unwrap_or(uri.path()),
        };
        let audience = match app.mode {
            Mode::WrongAudience => base.strip_suffix(CONTEXT_PATH).unwrap_or(&base).to_owned(),
            _ => base.clone(),
        };
        let claims =
            verify_connect_install_jwt(&token, &key, "POST", path, &[], now_s(), &audience)?;
        // Only now may the payload be trusted: its clientKey is the token's issuer.
        assert_eq!(body["clientKey"].as_str(), Some(claims.iss.as_str()));
        if uri.path().ends_with("/installed") {
            let secret = body["sharedSecret"].as_str().unwrap_or_default().to_owned();
            app.secrets.lock().unwrap().insert(claims.iss.clone(), secret);
        }
        Ok(claims.iss)
    }
    .await;
    let status = if outcome.is_ok() { StatusCode::NO_CONTENT } else { StatusCode::UNAUTHORIZED };
    app.seen.lock().unwrap().push((uri.path().to_owned(), outcome));
    status
}

fn keys_url(jira_base: &str) -> String {
    format!("{jira_base}{}", jira_sandbox::INSTALL_KEYS_PATH)
}

fn now_s() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Starts the app; returns it and its descriptor URL.
async fn start_app(mode: Mode, keys_url: &str) -> (Arc<App>, String) {
    let app = Arc::new(App {
        mode,
        base: Mutex::default(),
        keys: ConnectInstallKeys::new(keys_url),
        secrets: Mutex::new(HashMap::new()),
        seen: Mutex::new(Vec::new()),
    });
    let base_cell: Arc<Mutex<String>> = Arc::default();
    let descriptor_base = base_cell.clone();
    let router = Router::new()
        .route(
            &format!("{CONTEXT_PATH}/atlassian-connect.json"),
            get(move || {
                let base = descriptor_base.lock().unwrap().clone();
                async move {
                    Json(json!({
                        "key": "tether-app",
                        "name": "tether",
                        "baseUrl": format!("{base}{CONTEXT_PATH}"),
                        "authentication": {"type": "jwt"},
                        "lifecycle": {
                            "installed": "/lifecycle/installed",
                            "uninstalled": "/lifecycle/uninstalled",
                        },
                    }))
                }
            }),
        )
        .route(&format!("{CONTEXT_PATH}/lifecycle/installed"), post(lifecycle))
        .route(&format!("{CONTEXT_PATH}/lifecycle/uninstalled"), post(lifecycle))
        .with_state(app.clone());
    let base = support::serve(router).await;
    *base_cell.lock().unwrap() = base.clone();
    *app.base.lock().unwrap() = format!("{base}{CONTEXT_PATH}");
    (app, format!("{base}{CONTEXT_PATH}/atlassian-connect.json"))
}

#[tokio::test]
async fn lifecycle_callbacks_signed_by_the_sandbox_verify() {
    let jira = support::cloud().await;
    let (app, descriptor) = start_app(Mode::Right, &keys_url(&jira.base)).await;
    let installed = jira
        .sandbox
        .install_connect_app_from(&descriptor, &jira.base)
        .await
        .expect("the app accepted the installed callback");
    let report = jira.sandbox.uninstall_connect_app("tether-app", &jira.base).await.unwrap();
    assert!(report.notified, "the app refused the uninstalled callback: {:?}", app.seen);
    let seen = app.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![
            ("/tether/lifecycle/installed".to_owned(), Ok(installed.client_key.clone())),
            ("/tether/lifecycle/uninstalled".to_owned(), Ok(installed.client_key)),
        ]
    );
}

#[tokio::test]
async fn a_wrong_audience_or_path_makes_the_install_fail() {
    for mode in [Mode::WrongAudience, Mode::FullPath] {
        let jira = support::cloud().await;
        let (app, descriptor) = start_app(mode, &keys_url(&jira.base)).await;
        let base = app.base.lock().unwrap().clone();
        let want = match mode {
            Mode::FullPath => JwtError::QshMismatch,
            _ => JwtError::WrongAudience {
                found: vec![base.clone()],
                expected: base.strip_suffix(CONTEXT_PATH).unwrap().to_owned(),
            },
        };
        let err = jira.sandbox.install_connect_app_from(&descriptor, &jira.base).await.unwrap_err();
        assert!(err.to_string().contains("installed lifecycle callback failed"), "{mode:?}: {err}");
        let seen = app.seen.lock().unwrap().clone();
        assert_eq!(seen, vec![("/tether/lifecycle/installed".to_owned(), Err(want))], "{mode:?}");
    }
}
