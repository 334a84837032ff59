//! Connect JWTs signed by the sandbox (an implementation that shares no code with this crate)
//! verified by `verify_connect_jwt`: a tiny Connect app receives the sandbox's `installed` and
//! `uninstalled` lifecycle callbacks under a base URL with a context path.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::SecretString;
use serde_json::{Value, json};
use tether_jira::{JwtError, connect_jwt_issuer, verify_connect_jwt};

use crate::support;

/// How the app checks the callbacks it gets; the wrong ways must make the install fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Right,
    /// Verifies with another secret than the one in the payload.
    WrongSecret,
    /// Hashes the full path, context path included, instead of the path relative to the base.
    FullPath,
}

#[derive(Debug)]
struct App {
    mode: Mode,
    /// clientKey → shared secret, as stored from `installed`.
    secrets: Mutex<HashMap<String, SecretString>>,
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
    let outcome = (|| {
        let iss = connect_jwt_issuer(&token)?;
        let secret = if uri.path().ends_with("/installed") {
            // A real app checks the body's clientKey against `iss` and stores the secret only
            // after the token verified under it.
            assert_eq!(body["clientKey"].as_str(), Some(iss.as_str()));
            let s = body["sharedSecret"].as_str().unwrap_or_default();
            if app.mode == Mode::WrongSecret { format!("{s}x") } else { s.to_owned() }
        } else {
            let stored = app.secrets.lock().unwrap().get(&iss).cloned();
            let Some(s) = stored else { return Err(JwtError::BadSignature) };
            secrecy::ExposeSecret::expose_secret(&s).to_owned()
        };
        let path = match app.mode {
            Mode::FullPath => uri.path(),
            _ => uri.path().strip_prefix(CONTEXT_PATH).unwrap_or(uri.path()),
        };
        let secret = SecretString::from(secret);
        let claims = verify_connect_jwt(&token, &secret, "POST", path, &[], now_s(), false)?;
        if uri.path().ends_with("/installed") {
            app.secrets.lock().unwrap().insert(iss, secret);
        }
        Ok(claims.iss)
    })();
    let status = if outcome.is_ok() { StatusCode::NO_CONTENT } else { StatusCode::UNAUTHORIZED };
    app.seen.lock().unwrap().push((uri.path().to_owned(), outcome));
    status
}

fn now_s() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Starts the app; returns it and its descriptor URL.
async fn start_app(mode: Mode) -> (Arc<App>, String) {
    let app =
        Arc::new(App { mode, secrets: Mutex::new(HashMap::new()), seen: Mutex::new(Vec::new()) });
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
    (app, format!("{base}{CONTEXT_PATH}/atlassian-connect.json"))
}

#[tokio::test]
async fn lifecycle_callbacks_signed_by_the_sandbox_verify() {
    let jira = support::cloud().await;
    let (app, descriptor) = start_app(Mode::Right).await;
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
async fn a_wrong_secret_or_path_makes_the_install_fail() {
    let cases =
        [(Mode::WrongSecret, JwtError::BadSignature), (Mode::FullPath, JwtError::QshMismatch)];
    for (mode, want) in cases {
        let jira = support::cloud().await;
        let (app, descriptor) = start_app(mode).await;
        let err = jira.sandbox.install_connect_app_from(&descriptor, &jira.base).await.unwrap_err();
        assert!(err.to_string().contains("installed lifecycle callback failed"), "{mode:?}: {err}");
        let seen = app.seen.lock().unwrap().clone();
        assert_eq!(seen, vec![("/tether/lifecycle/installed".to_owned(), Err(want))], "{mode:?}");
    }
}
