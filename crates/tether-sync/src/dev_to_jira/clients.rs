//! The client the Development Information API is called with: the site's own when it is an
//! app (OAuth 2.0 credentials or a Connect install), else one made from the OAuth 2.0
//! credentials stored for the site's Development panel; cached until either changes.

use std::collections::HashMap;
use std::sync::Arc;

use secrecy::ExposeSecret;
use tether_jira::{Auth, Client, Options, Site};
use tether_store::{JiraAuthKind, JiraSite, Store};
use tokio::sync::Mutex;

use crate::jira::clients::{ClientError, JiraClients, options_for_site};

/// Why a site's Development panel cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoDevInfo {
    /// Data Center has no Development Information API: remote links and comments carry it.
    DataCenter,
    /// A Cloud site logged in to with a person's API token, and no OAuth 2.0 credentials
    /// stored for its Development panel.
    NoCredentials,
}

impl NoDevInfo {
    pub fn message(&self) -> &'static str {
        match self {
            NoDevInfo::DataCenter => {
                "Jira Data Center has no Development Information API; remote links and comments \
                 carry the commits and merge requests"
            }
            NoDevInfo::NoCredentials => {
                "the Development panel needs OAuth 2.0 credentials with the Development \
                 Information permission (Jira admin → Apps → OAuth credentials), stored for \
                 this site; a person's API token is refused by that API"
            }
        }
    }
}

/// Development Information clients per site; cheap to clone.
#[derive(Debug, Clone)]
pub struct DevInfoClients {
    store: Store,
    sites: JiraClients,
    options: Options,
    cache: Arc<Mutex<HashMap<i64, Cached>>>,
}

/// A site's client and the (site, credentials) `updated_at` it was made for.
type Cached = ((i64, i64), Client);

impl DevInfoClients {
    pub fn new(store: Store, sites: JiraClients, options: Options) -> DevInfoClients {
        DevInfoClients { store, sites, options, cache: Arc::default() }
    }

    /// The client for a site's Development panel, or why there is none.
    pub async fn get(&self, site_id: i64) -> Result<Result<Client, NoDevInfo>, ClientError> {
        let (site, client) = self.sites.get(site_id).await?;
        if !client.deployment().is_cloud() {
            return Ok(Err(NoDevInfo::DataCenter));
        }
        if matches!(site.auth_kind, JiraAuthKind::OAuth2 | JiraAuthKind::Connect) {
            return Ok(Ok(client));
        }
        let Some((creds, secret)) = self.store.devinfo_credentials(site_id).await? else {
            return Ok(Err(NoDevInfo::NoCredentials));
        };
        let stamp = (site.updated_at, creds.updated_at);
        let mut cache = self.cache.lock().await;
        if let Some((at, c)) = cache.get(&site_id)
            && *at == stamp
        {
            return Ok(Ok(c.clone()));
        }
        let opt = |k: &str| creds.options.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        let auth = Auth::OAuth2 {
            platform: None,
            client_id: creds.client_id.clone(),
            client_secret: secret.expose_secret().to_owned().into(),
            token_url: opt("token_url").unwrap_or_else(|| tether_jira::ATLASSIAN_TOKEN_URL.into()),
            gateway_url: opt("gateway_url")
                .unwrap_or_else(|| tether_jira::ATLASSIAN_GATEWAY_URL.into()),
        };
        let client = connect(&site, auth, &self.options).await?;
        cache.insert(site_id, (stamp, client.clone()));
        Ok(Ok(client))
    }
}

/// A client of `site` with other credentials.
pub async fn connect(
    site: &JiraSite,
    auth: Auth,
    options: &Options,
) -> Result<Client, ClientError> {
    let jira_site = Site { web_url: site.url.clone(), api_url: site.api_url.clone(), auth };
    Client::connect(jira_site, options_for_site(site, options))
        .await
        .map_err(|source| ClientError::Jira { site: site.name.clone(), source })
}
