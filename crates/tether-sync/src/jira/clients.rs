//! A `tether_jira::Client` per registered site, built from the stored site and
//! its secret, cached until the site changes.

use std::collections::HashMap;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use tether_jira::{Auth, Client, Options, PlatformToken, Site};
use tether_store::{JiraAuthKind, JiraSite, Store, StoreError};
use tokio::sync::Mutex;

/// Why no client could be made for a site.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("storage failed")]
    Store(#[from] StoreError),
    #[error("Jira site {0:?} is disabled (its Connect app was uninstalled)")]
    Disabled(String),
    #[error("Jira site {site:?} has unusable credentials: {why}")]
    Credentials { site: String, why: String },
    #[error("cannot reach Jira site {site:?}")]
    Jira {
        site: String,
        #[source]
        source: tether_jira::Error,
    },
}

/// Builds the client's credentials from a stored site and its decrypted secret.
///
/// Per kind, the secret is: the API token, the password, the personal access
/// token, the OAuth 2.0 client secret, the Connect shared secret, or (OAuth 1.0a)
/// a JSON object `{"private_key_pem": …, "access_token": …}`. Options read:
/// `token_url`, `gateway_url`, `platform_email` (OAuth 2.0) and `app_key` (Connect, default
/// `tether`).
pub fn auth_for_site(site: &JiraSite, secret: &SecretString) -> Result<Auth, ClientError> {
    let opt = |k: &str| site.options.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let s = secret.expose_secret();
    Ok(match site.auth_kind {
        JiraAuthKind::ApiToken => Auth::api_token(&site.auth_user, s),
        JiraAuthKind::Password => Auth::password(&site.auth_user, s),
        JiraAuthKind::Pat => Auth::personal_access_token(s),
        JiraAuthKind::OAuth2 => {
            let (client_secret, platform) = oauth2_secrets(site, secret)?;
            Auth::OAuth2 {
                platform,
                client_id: site.auth_user.clone(),
                client_secret,
                token_url: opt("token_url")
                    .unwrap_or_else(|| tether_jira::ATLASSIAN_TOKEN_URL.into()),
                gateway_url: opt("gateway_url")
                    .unwrap_or_else(|| tether_jira::ATLASSIAN_GATEWAY_URL.into()),
            }
        }
        JiraAuthKind::Connect => {
            Auth::connect(opt("app_key").unwrap_or_else(|| "tether".into()), s)
        }
        JiraAuthKind::OAuth1 => {
            let parsed: serde_json::Value =
                serde_json::from_str(s).map_err(|_| ClientError::Credentials {
                    site: site.name.clone(),
                    why: "the OAuth 1.0a secret must be JSON {private_key_pem, access_token}"
                        .into(),
                })?;
            let field = |k: &str| {
                parsed.get(k).and_then(|v| v.as_str()).map(str::to_owned).ok_or_else(|| {
                    ClientError::Credentials {
                        site: site.name.clone(),
                        why: format!("the OAuth 1.0a secret lacks {k}"),
                    }
                })
            };
            Auth::OAuth1 {
                consumer_key: site.auth_user.clone(),
                private_key_pem: SecretString::from(field("private_key_pem")?),
                access_token: SecretString::from(field("access_token")?),
            }
        }
    })
}

/// An OAuth 2.0 site's client secret, and the API token beside it when the site has one: then
/// `options.platform_email` names the token's account and the sealed secret is JSON
/// `{client_secret, api_token}`; otherwise the secret is the client secret itself.
pub fn oauth2_secrets(
    site: &JiraSite,
    secret: &SecretString,
) -> Result<(SecretString, Option<PlatformToken>), ClientError> {
    let Some(email) = site.options.get(PLATFORM_EMAIL).and_then(|v| v.as_str()) else {
        return Ok((secret.clone(), None));
    };
    let damaged = |why: &str| ClientError::Credentials { site: site.name.clone(), why: why.into() };
    let parsed: serde_json::Value = serde_json::from_str(secret.expose_secret())
        .map_err(|_| damaged("the secret of OAuth credentials with an API token must be JSON"))?;
    let field = |k: &str| {
        parsed
            .get(k)
            .and_then(|v| v.as_str())
            .map(|s| SecretString::from(s.to_owned()))
            .ok_or_else(|| damaged(&format!("the OAuth credentials' secret lacks {k}")))
    };
    Ok((
        field("client_secret")?,
        Some(PlatformToken { email: email.to_owned(), token: field("api_token")? }),
    ))
}

/// The option naming the account of the API token beside an OAuth 2.0 site's credentials.
pub const PLATFORM_EMAIL: &str = "platform_email";

/// The client options for a site: the defaults, with `requests_per_second`
/// (a number, or `null` for no pacing) and `max_concurrency` from its options.
pub fn options_for_site(site: &JiraSite, base: &Options) -> Options {
    let mut o = base.clone();
    match site.options.get("requests_per_second") {
        Some(serde_json::Value::Null) => o.requests_per_second = None,
        Some(v) => {
            if let Some(n) = v.as_f64().filter(|n| *n > 0.0) {
                o.requests_per_second = Some(n);
            }
        }
        None => {}
    }
    if let Some(n) = site.options.get("max_concurrency").and_then(|v| v.as_u64()) {
        o.max_concurrency = n.clamp(1, 64) as usize;
    }
    o
}

/// Clients per site id, rebuilt when the site's settings change. Cheap to clone.
#[derive(Debug, Clone)]
pub struct JiraClients {
    store: Store,
    options: Options,
    cache: Arc<Mutex<HashMap<i64, (i64, Client)>>>,
}

impl JiraClients {
    /// `options` are the defaults for every site (a site's own options override them).
    pub fn new(store: Store, options: Options) -> JiraClients {
        JiraClients { store, options, cache: Arc::default() }
    }

    /// The defaults every site's client starts from.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The store the clients read sites from.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The site's client, connecting (and detecting its deployment) on first use.
    pub async fn get(&self, site_id: i64) -> Result<(JiraSite, Client), ClientError> {
        let site = self.store.jira_site(site_id).await?;
        if !site.enabled {
            return Err(ClientError::Disabled(site.name));
        }
        let mut cache = self.cache.lock().await;
        if let Some((updated_at, client)) = cache.get(&site_id)
            && *updated_at == site.updated_at
        {
            return Ok((site, client.clone()));
        }
        let client = self.connect(&site).await?;
        cache.insert(site_id, (site.updated_at, client.clone()));
        Ok((site, client))
    }

    /// A fresh client for a site (no cache), e.g. for a connection test.
    pub async fn connect(&self, site: &JiraSite) -> Result<Client, ClientError> {
        let secret = self.store.jira_site_secret(site.id).await?;
        let auth = auth_for_site(site, &secret)?;
        let jira_site = Site { web_url: site.url.clone(), api_url: site.api_url.clone(), auth };
        let client = Client::connect(jira_site, options_for_site(site, &self.options))
            .await
            .map_err(|source| ClientError::Jira { site: site.name.clone(), source })?;
        let detected = if client.deployment().is_cloud() { "cloud" } else { "dc" };
        if site.deployment.as_deref() != Some(detected) {
            self.store.set_jira_site_deployment(site.id, detected).await?;
        }
        // OAuth 2.0 clients learn the cloudId to reach the gateway: it also tells which Forge
        // installations are this site's.
        if let Some(cloud_id) = client.cloud_id()
            && site.cloud_id.as_deref() != Some(cloud_id)
        {
            self.store.set_jira_site_cloud_id(site.id, cloud_id).await?;
        }
        Ok(client)
    }

    /// Forgets a site's client (after its settings or secret changed).
    pub async fn forget(&self, site_id: i64) {
        self.cache.lock().await.remove(&site_id);
    }
}
