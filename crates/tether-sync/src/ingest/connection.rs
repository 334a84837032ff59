//! A Jira client per ingestion connection, built from the site's URLs and the connection's
//! sealed credentials, cached until either changes.

use std::collections::HashMap;
use std::sync::Arc;

use tether_jira::{Auth, Client, Options, Site};
use tether_store::{Store, StoreError, TicketCredentials, TicketSecrets};
use tokio::sync::Mutex;

use crate::jira::clients::options_for_site;

/// Why no client could be made for a site's ingestion.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error("storage failed")]
    Store(#[from] StoreError),
    #[error("Jira site {0:?} has no ticket ingestion connection")]
    Missing(String),
    #[error(
        "the application link of Jira site {0:?} is not authorised yet: authorise it from the \
         site's ingestion page"
    )]
    Unauthorised(String),
    #[error("cannot reach Jira site {site:?}")]
    Jira {
        site: String,
        #[source]
        source: tether_jira::Error,
    },
}

/// The client's credentials for a connection's opened secrets; `None` for an application link
/// without an access token yet.
pub fn auth_for_connection(secrets: &TicketSecrets) -> Option<Auth> {
    Some(match &secrets.credentials {
        TicketCredentials::ApiToken { email, token } => {
            Auth::ApiToken { email: email.clone(), token: token.clone() }
        }
        TicketCredentials::Password { username, password } => {
            Auth::Password { username: username.clone(), password: password.clone() }
        }
        TicketCredentials::Pat { token } => Auth::PersonalAccessToken { token: token.clone() },
        TicketCredentials::OAuth1 { consumer_key, private_key, .. } => Auth::OAuth1 {
            consumer_key: consumer_key.clone(),
            private_key_pem: private_key.clone(),
            access_token: secrets.oauth1_access_token.clone()?,
        },
    })
}

/// Where and how to reach a site for ingestion (no request is made).
pub async fn ingestion_site(store: &Store, site_id: i64) -> Result<Site, ConnectionError> {
    let site = store.jira_site(site_id).await?;
    if store.ticket_connection(site_id).await?.is_none() {
        return Err(ConnectionError::Missing(site.name));
    }
    let secrets = store.ticket_credentials(site_id).await?;
    let auth = auth_for_connection(&secrets).ok_or(ConnectionError::Unauthorised(site.name))?;
    Ok(Site { web_url: site.url, api_url: site.api_url, auth })
}

/// The OAuth 1.0a consumer of a connection (for the three-legged flow), when it is one.
pub async fn oauth1_consumer(
    store: &Store,
    site_id: i64,
) -> Result<Option<tether_jira::oauth1::Consumer>, StoreError> {
    Ok(match store.ticket_credentials(site_id).await?.credentials {
        TicketCredentials::OAuth1 { consumer_key, private_key, .. } => {
            Some(tether_jira::oauth1::Consumer { key: consumer_key, private_key_pem: private_key })
        }
        _ => None,
    })
}

/// When a site and its connection last changed: a cached client older than this is rebuilt.
type Stamp = (i64, i64);

/// Clients per site, rebuilt when the site or its connection changes. Cheap to clone.
#[derive(Debug, Clone)]
pub struct TicketClients {
    store: Store,
    options: Options,
    cache: Arc<Mutex<HashMap<i64, (Stamp, Client)>>>,
}

impl TicketClients {
    /// `options` are the defaults for every site; a site's own pacing and concurrency
    /// settings override them.
    pub fn new(store: Store, options: Options) -> TicketClients {
        TicketClients { store, options, cache: Arc::default() }
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The site's ingestion client, connecting (detecting its deployment) on first use.
    pub async fn get(&self, site_id: i64) -> Result<Client, ConnectionError> {
        let site = self.store.jira_site(site_id).await?;
        let connection = self
            .store
            .ticket_connection(site_id)
            .await?
            .ok_or_else(|| ConnectionError::Missing(site.name.clone()))?;
        let version = (site.updated_at, connection.updated_at);
        let mut cache = self.cache.lock().await;
        if let Some((v, client)) = cache.get(&site_id)
            && *v == version
        {
            return Ok(client.clone());
        }
        let jira_site = ingestion_site(&self.store, site_id).await?;
        let client = Client::connect(jira_site, options_for_site(&site, &self.options))
            .await
            .map_err(|source| ConnectionError::Jira { site: site.name.clone(), source })?;
        cache.insert(site_id, (version, client.clone()));
        Ok(client)
    }

    /// Forgets a site's client.
    pub async fn forget(&self, site_id: i64) {
        self.cache.lock().await.remove(&site_id);
    }
}
