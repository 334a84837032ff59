//! The Atlassian Connect install handshake, performed by the sandbox against an app's
//! descriptor URL (loopback only), and the uninstall that follows it.
//!
//! Install: fetch the descriptor (`GET`), take the app's `clientKey` (kept across uninstalls and
//! reinstalls, as Jira keeps it) and a fresh `sharedSecret`, and POST the `installed` lifecycle
//! payload to `baseUrl + lifecycle.installed`, signed as Atlassian signs it: an RS256 JWT whose
//! `kid` names the sandbox's public key at `GET /connect-install-keys/{kid}` ([`crate::signing`]),
//! with `iss` = clientKey, `qsh` of the POST relative to the app's base URL and `aud` = the app's
//! base URL. A non-2xx answer fails the install.
//! Uninstall: POST `uninstalled` (same payload, same signing) if the descriptor names a URL for
//! it, then forget the app (but not its clientKey) and delete what it sent (feature flags,
//! dynamic webhooks).

use std::time::Duration;

use axum::http::{Method, Uri};
use serde::Serialize;
use serde_json::{Value, json};

use crate::config::UserSpec;
use crate::state::ConnectApp;
use crate::time::now_ms;
use crate::webhooks::deliverable;
use crate::{ConnectInstallation, Sandbox};

/// Why an install or uninstall did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstallError {
    #[error("Connect apps exist on Cloud only")]
    NotCloud,
    #[error("{0} is not a loopback http:// URL; the sandbox only calls 127.0.0.1/localhost")]
    NotLoopback(String),
    #[error("fetching the descriptor failed: {0}")]
    Fetch(String),
    #[error("the descriptor is not usable: {0}")]
    BadDescriptor(String),
    #[error("the app's {event} lifecycle callback failed: {detail}")]
    Lifecycle { event: String, detail: String },
    #[error("no installed Connect app with key {0:?}")]
    UnknownApp(String),
}

/// An installed app as `GET /_sandbox/connect/apps` and [`Sandbox::connect_apps`] show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectAppRecord {
    pub key: String,
    pub client_key: String,
    /// Login name of the app user its JWT-signed requests act as.
    pub user: String,
    /// From the descriptor; `None` for apps registered without the handshake.
    pub base_url: Option<String>,
    /// The descriptor's `modules.jiraFeatureFlagInfoProvider`, if any.
    pub feature_flag_provider: Option<Value>,
    pub descriptor: Option<Value>,
}

/// What an uninstall did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UninstallReport {
    pub key: String,
    /// Whether the app's `uninstalled` lifecycle URL was called (and answered 2xx).
    pub notified: bool,
    pub feature_flags_deleted: usize,
    pub webhooks_deleted: usize,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The RS256 JWT of a lifecycle call from the sandbox to the app, with `qsh` for `method url`.
fn lifecycle_jwt(client_key: &str, method: &Method, app_base: &str, url: &str) -> String {
    let relative = url.strip_prefix(app_base.trim_end_matches('/')).unwrap_or(url);
    let relative =
        if relative.starts_with('/') { relative.to_owned() } else { format!("/{relative}") };
    let qsh = relative
        .parse::<Uri>()
        .map(|u| crate::http::query_string_hash(method, &u))
        .unwrap_or_default();
    let now = now_ms() / 1000;
    crate::signing::rs256_jwt(&json!({
        "iss": client_key,
        "iat": now,
        "exp": now + 180,
        "qsh": qsh,
        "aud": [app_base.trim_end_matches('/')],
    }))
}

fn lifecycle_payload(app: &ConnectApp, base_url: &str, event: &str) -> Value {
    let base = base_url.trim_end_matches('/');
    json!({
        "key": app.key,
        "clientKey": app.client_key,
        "publicKey": "",
        "sharedSecret": app.shared_secret,
        "serverVersion": "100287",
        "pluginsVersion": "1001.0.0-SNAPSHOT",
        "baseUrl": base,
        "displayUrl": base,
        "productType": "jira",
        "description": format!("Atlassian JIRA at {base}"),
        "eventType": event,
        "cloudId": crate::CLOUD_ID,
    })
}

/// POSTs a lifecycle event to `url`; Ok when the app answered 2xx.
async fn post_lifecycle(
    app: &ConnectApp,
    app_base: &str,
    url: &str,
    jira_base: &str,
    event: &str,
) -> Result<(), InstallError> {
    let failed = |detail: String| InstallError::Lifecycle { event: event.to_owned(), detail };
    if !deliverable(url) {
        return Err(InstallError::NotLoopback(url.to_owned()));
    }
    let token = lifecycle_jwt(&app.client_key, &Method::POST, app_base, url);
    let resp = client()
        .post(url)
        .header("Authorization", format!("JWT {token}"))
        .json(&lifecycle_payload(app, jira_base, event))
        .send()
        .await
        .map_err(|e| failed(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(failed(format!("{url} answered {}", resp.status())));
    }
    Ok(())
}

/// `baseUrl + path`, or `path` when it is already absolute.
fn join(base: &str, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        return path.to_owned();
    }
    format!("{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/'))
}

impl Sandbox {
    /// Performs the Connect install handshake against the app's descriptor (Cloud, loopback
    /// URLs only). `jira_base_url` is the sandbox's own base URL, sent to the app as `baseUrl`.
    /// Installing the same key again keeps its `clientKey` and rotates the secret.
    pub async fn install_connect_app_from(
        &self,
        descriptor_url: &str,
        jira_base_url: &str,
    ) -> Result<ConnectInstallation, InstallError> {
        if !self.flavour().is_cloud() {
            return Err(InstallError::NotCloud);
        }
        if !deliverable(descriptor_url) {
            return Err(InstallError::NotLoopback(descriptor_url.to_owned()));
        }
        let resp = client()
            .get(descriptor_url)
            .send()
            .await
            .map_err(|e| InstallError::Fetch(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(InstallError::Fetch(format!(
                "{descriptor_url} answered {}",
                resp.status()
            )));
        }
        let descriptor: Value =
            resp.json().await.map_err(|e| InstallError::BadDescriptor(e.to_string()))?;
        let key = str_at(&descriptor, "/key")
            .ok_or_else(|| InstallError::BadDescriptor("no \"key\"".into()))?
            .to_owned();
        let app_base = str_at(&descriptor, "/baseUrl")
            .ok_or_else(|| InstallError::BadDescriptor("no \"baseUrl\"".into()))?
            .trim_end_matches('/')
            .to_owned();
        let installed = str_at(&descriptor, "/lifecycle/installed")
            .ok_or_else(|| InstallError::BadDescriptor("no \"lifecycle.installed\"".into()))?;
        let installed_url = join(&app_base, installed);
        let name = str_at(&descriptor, "/name").unwrap_or(&key).to_owned();

        let (client_key, user) = {
            let mut state = self.write();
            let login = format!("addon_{key}");
            let user = match state.user_by_name(&login) {
                Some(u) => u,
                None => state.add_user(UserSpec::named(&login, &name)).expect("name checked"),
            };
            // Jira keeps an app's clientKey for good: a reinstall after an uninstall is the
            // same installation to the app.
            let client_key = state
                .connect_apps
                .iter()
                .find(|a| a.key == key)
                .map(|a| a.client_key.clone())
                .or_else(|| state.connect_client_keys.get(&key).cloned())
                .unwrap_or_else(|| format!("jira:{}", crate::oauth1::random_token(32)));
            state.connect_client_keys.insert(key.clone(), client_key.clone());
            (client_key, user)
        };
        let app = ConnectApp {
            key: key.clone(),
            client_key,
            shared_secret: crate::oauth1::random_token(48),
            user,
            descriptor: Some(descriptor),
        };
        post_lifecycle(&app, &app_base, &installed_url, jira_base_url, "installed").await?;
        let mut state = self.write();
        state.connect_apps.retain(|a| a.key != key);
        state.connect_apps.push(app.clone());
        Ok(ConnectInstallation {
            key: app.key,
            client_key: app.client_key,
            shared_secret: app.shared_secret,
            user: format!("addon_{key}"),
        })
    }

    /// Uninstalls a Connect app: calls its `uninstalled` lifecycle URL when the descriptor
    /// names one, then deletes everything it sent (feature flags, dynamic webhooks).
    /// The app is removed even when the callback fails, as Jira does.
    pub async fn uninstall_connect_app(
        &self,
        key: &str,
        jira_base_url: &str,
    ) -> Result<UninstallReport, InstallError> {
        let app = self
            .read()
            .connect_apps
            .iter()
            .find(|a| a.key == key)
            .cloned()
            .ok_or_else(|| InstallError::UnknownApp(key.to_owned()))?;
        let target = app.descriptor.as_ref().and_then(|d| {
            let base = str_at(d, "/baseUrl")?.trim_end_matches('/').to_owned();
            let path = str_at(d, "/lifecycle/uninstalled")?;
            Some((join(&base, path), base))
        });
        let notified = match target {
            Some((url, base)) => {
                post_lifecycle(&app, &base, &url, jira_base_url, "uninstalled").await.is_ok()
            }
            None => false,
        };
        let mut state = self.write();
        state.connect_apps.retain(|a| a.key != key);
        let flags_before = state.flags.len();
        state.flags.retain(|_, f| f.owner != Some(app.user));
        let feature_flags_deleted = flags_before - state.flags.len();
        let login = state.users[app.user].spec.name.clone();
        let hooks_before = state.webhooks.len();
        state.webhooks.retain(|w| w.owner != login);
        let webhooks_deleted = hooks_before - state.webhooks.len();
        state.bump();
        Ok(UninstallReport {
            key: key.to_owned(),
            notified,
            feature_flags_deleted,
            webhooks_deleted,
        })
    }

    /// Installed Connect apps.
    pub fn connect_apps(&self) -> Vec<ConnectAppRecord> {
        let state = self.read();
        state
            .connect_apps
            .iter()
            .map(|a| ConnectAppRecord {
                key: a.key.clone(),
                client_key: a.client_key.clone(),
                user: state.users[a.user].spec.name.clone(),
                base_url: a
                    .descriptor
                    .as_ref()
                    .and_then(|d| str_at(d, "/baseUrl"))
                    .map(str::to_owned),
                feature_flag_provider: a
                    .descriptor
                    .as_ref()
                    .and_then(|d| d.pointer("/modules/jiraFeatureFlagInfoProvider"))
                    .cloned(),
                descriptor: a.descriptor.clone(),
            })
            .collect()
    }
}
