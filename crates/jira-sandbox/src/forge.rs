//! The sandbox playing the Forge platform for one app with a Forge Remote: it installs and
//! uninstalls the app on this site, posting the lifecycle events `avi:forge:installed:app` and
//! `avi:forge:uninstalled:app` to the app's remote endpoint, and signs every call with a Forge
//! Invocation Token (RS256, `iss` `forge/invocation-token`, `aud` the app's id) under the key
//! it publishes at [`crate::signing::FORGE_JWKS_PATH`]. Tests can also ask for a token of any
//! invocation, as a Forge module calling the remote would carry.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use crate::{CLOUD_ID, Sandbox};

/// What every Forge app id starts with.
pub const FORGE_APP_ARI_PREFIX: &str = "ari:cloud:ecosystem::app/";

/// How long a token is valid: Forge's are short-lived, minutes.
const TOKEN_LIFETIME_S: i64 = 300;

/// One invocation of an app's remote, as the token describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeInvocationSpec {
    /// The app's id, an ARI or a bare uuid.
    pub app_id: String,
    /// The installation on this site (`ari:cloud:ecosystem::installation/…`).
    pub installation_id: String,
    /// The sandbox's base URL as the app reaches it (for `apiBaseUrl`).
    pub site_url: String,
    /// The manifest module invoked.
    pub module_key: String,
    /// The accountId of the user behind the call, if any.
    pub principal: Option<String>,
}

/// A Forge app installed on the sandbox, as `GET /_sandbox/forge/apps` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForgeInstallation {
    pub app_id: String,
    pub installation_id: String,
    /// The remote endpoint lifecycle events go to.
    pub events_url: String,
}

/// Why a Forge install or uninstall did not go through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForgeError {
    #[error("Forge apps exist on Cloud only")]
    NotCloud,
    #[error("{0} is not a loopback http:// URL; the sandbox only calls 127.0.0.1/localhost")]
    NotLoopback(String),
    #[error("the app's remote refused {event}: {detail}")]
    Remote { event: String, detail: String },
    #[error("no Forge app {0:?} is installed")]
    UnknownApp(String),
}

/// The app id as tokens carry it.
pub fn app_ari(app_id: &str) -> String {
    let id = app_id.trim();
    if id.starts_with(FORGE_APP_ARI_PREFIX) {
        id.to_owned()
    } else {
        format!("{FORGE_APP_ARI_PREFIX}{id}")
    }
}

impl Sandbox {
    /// A Forge Invocation Token for `spec`, valid for five minutes from now, as a module calling
    /// the remote carries it (its context names the site's URL).
    pub fn forge_invocation_token(&self, spec: &ForgeInvocationSpec) -> String {
        self.invocation_token(spec, true)
    }

    /// A token whose context has only the cloudId and module key, as Forge's published
    /// invocation context has for events and triggers: no site URL.
    fn invocation_token(&self, spec: &ForgeInvocationSpec, with_site_url: bool) -> String {
        let now = crate::time::now_ms() / 1000;
        let app = app_ari(&spec.app_id);
        let mut claims = json!({
            "iss": "forge/invocation-token",
            "aud": app,
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME_S,
            "jti": crate::oauth1::random_token(16),
            "app": {
                "id": app,
                "version": "1",
                "installationId": spec.installation_id,
                "apiBaseUrl": format!("{}/ex/jira/{CLOUD_ID}", spec.site_url.trim_end_matches('/')),
                "environment": {"type": "DEVELOPMENT",
                    "id": format!("ari:cloud:ecosystem::environment/{}", crate::oauth1::random_token(8))},
                "module": {"type": "core:endpoint", "key": spec.module_key},
            },
            "context": {"cloudId": CLOUD_ID, "moduleKey": spec.module_key},
        });
        if with_site_url {
            claims["context"]["siteUrl"] = json!(spec.site_url.trim_end_matches('/'));
        }
        if let Some(p) = &spec.principal {
            claims["principal"] = json!(p);
        }
        crate::signing::rs256_jwt(&claims)
    }

    /// Installs a Forge app on this site: posts `avi:forge:installed:app` to `events_url` (the
    /// remote endpoint the manifest's lifecycle trigger names) with a token, and remembers the
    /// installation. Installing again keeps the installation id, as Forge does for an upgrade.
    pub async fn install_forge_app(
        &self,
        app_id: &str,
        events_url: &str,
        site_url: &str,
    ) -> Result<ForgeInstallation, ForgeError> {
        if !self.flavour().is_cloud() {
            return Err(ForgeError::NotCloud);
        }
        if !crate::webhooks::deliverable(events_url) {
            return Err(ForgeError::NotLoopback(events_url.to_owned()));
        }
        let app = app_ari(app_id);
        let installation_id = self
            .read()
            .forge_installations
            .iter()
            .find(|i| i.app_id == app)
            .map(|i| i.installation_id.clone())
            .unwrap_or_else(|| {
                format!("ari:cloud:ecosystem::installation/{}", crate::oauth1::random_token(16))
            });
        let installation =
            ForgeInstallation { app_id: app, installation_id, events_url: events_url.to_owned() };
        self.post_event(&installation, site_url, "avi:forge:installed:app").await?;
        let mut state = self.write();
        state.forge_installations.retain(|i| i.app_id != installation.app_id);
        state.forge_installations.push(installation.clone());
        Ok(installation)
    }

    /// Uninstalls a Forge app: posts `avi:forge:uninstalled:app`, and forgets the app and its
    /// entity property modules even when the remote does not answer, as Forge does.
    pub async fn uninstall_forge_app(
        &self,
        app_id: &str,
        site_url: &str,
    ) -> Result<(), ForgeError> {
        let app = app_ari(app_id);
        let installation = self
            .read()
            .forge_installations
            .iter()
            .find(|i| i.app_id == app)
            .cloned()
            .ok_or_else(|| ForgeError::UnknownApp(app.clone()))?;
        let sent = self.post_event(&installation, site_url, "avi:forge:uninstalled:app").await;
        let mut state = self.write();
        state.forge_installations.retain(|i| i.app_id != app);
        state.unregister_forge_entity_properties(&app);
        state.unregister_forge_entity_properties(app.trim_start_matches(FORGE_APP_ARI_PREFIX));
        drop(state);
        sent
    }

    /// The Forge apps installed on this site.
    pub fn forge_installations(&self) -> Vec<ForgeInstallation> {
        self.read().forge_installations.clone()
    }

    async fn post_event(
        &self,
        installation: &ForgeInstallation,
        site_url: &str,
        event: &str,
    ) -> Result<(), ForgeError> {
        let spec = ForgeInvocationSpec {
            app_id: installation.app_id.clone(),
            installation_id: installation.installation_id.clone(),
            site_url: site_url.to_owned(),
            module_key: "tether-lifecycle".to_owned(),
            principal: None,
        };
        let token = self.invocation_token(&spec, false);
        let body = json!({
            "eventType": event,
            "id": installation.installation_id,
            "installerAccountId": self.read().users.first().map(|u| u.account_id.clone()),
            "app": {"id": installation.app_id, "version": "1"},
            "environment": {"id": "ari:cloud:ecosystem::environment/sandbox"},
        });
        let failed = |detail: String| ForgeError::Remote { event: event.to_owned(), detail };
        let resp = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new())
            .post(&installation.events_url)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            return Err(failed(format!(
                "{status}: {}",
                text.chars().take(300).collect::<String>()
            )));
        }
        Ok(())
    }
}

/// The body of `POST /_sandbox/forge/{app}/token`.
pub(crate) fn token_request(app: &str, body: &Value, site_url: &str) -> ForgeInvocationSpec {
    let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    ForgeInvocationSpec {
        app_id: app.to_owned(),
        installation_id: s("installationId")
            .unwrap_or_else(|| "ari:cloud:ecosystem::installation/sandbox".to_owned()),
        site_url: site_url.to_owned(),
        module_key: s("moduleKey").unwrap_or_else(|| "tether-remote".to_owned()),
        principal: s("principal"),
    }
}
