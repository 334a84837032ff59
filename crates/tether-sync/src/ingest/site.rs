//! A site's own work, due when a refresh was asked for, its last check failed, or its
//! catalogues are old: the checks again (with discovery), the catalogues the issues refer to
//! (statuses with categories, priorities, resolutions, fields), and Jira's webhook for issue
//! and comment events where the account may register one.

use rand::Rng;
use secrecy::SecretString;
use tether_store::{SiteCatalogue, StoreError, TicketField, TicketStatus};

use super::connection::ConnectionError;
use super::discover::check_and_discover;
use super::engine::Ingester;
use crate::jira::clients::options_for_site;

/// Why a site's work did not get done.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("storage failed")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    #[error("Jira failed")]
    Jira(#[from] tether_jira::Error),
    /// The checks found what stops ingestion; their messages.
    #[error("the connection checks failed: {0}")]
    Checks(String),
}

pub(crate) async fn site_work(ing: &Ingester, site_id: i64) -> Result<(), SiteError> {
    let store = &ing.store;
    let site = store.jira_site(site_id).await?;
    let Some(conn) = store.ticket_connection(site_id).await? else { return Ok(()) };
    let stale = store.clock().now_ms() - super::engine::millis(ing.options.catalogue_interval);
    let check_due =
        conn.refresh_requested || conn.check.as_ref().is_none_or(|c| !c.ok || c.at < stale);
    let mut webhooks = conn
        .check
        .as_ref()
        .and_then(|c| c.report.get("webhooks"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    if check_due {
        let options = options_for_site(&site, ing.clients.options());
        let outcome = check_and_discover(store, site_id, &options).await?;
        if !outcome.check.can_run() {
            return Err(SiteError::Checks(outcome.check.messages().join(" ")));
        }
        webhooks = outcome.check.administer;
    }
    let client = ing.clients.get(site_id).await?;
    let statuses = client
        .statuses()
        .await?
        .into_iter()
        .map(|s| TicketStatus {
            category_key: s.status_category.as_ref().map(|c| c.key.clone()),
            category_name: s.status_category.and_then(|c| c.name),
            id: s.id,
            name: s.name,
        })
        .collect();
    let named =
        |v: Vec<tether_jira::tickets::NamedInfo>| v.into_iter().map(|n| (n.id, n.name)).collect();
    let fields = client
        .fields()
        .await?
        .into_iter()
        .map(|f| TicketField {
            custom: f.custom,
            schema_type: f.schema.as_ref().and_then(|s| s.kind.clone()),
            schema_custom: f.schema.and_then(|s| s.custom),
            id: f.id,
            name: f.name,
        })
        .collect();
    let catalogue = SiteCatalogue {
        statuses,
        priorities: named(client.priorities().await?),
        resolutions: named(client.resolutions().await?),
        fields,
    };
    store.put_ticket_catalogue(site_id, &catalogue).await?;
    if let (Some(public), true, None) = (&ing.options.public_url, webhooks, &conn.webhook_id) {
        register_webhook(ing, &client, site_id, &site.name, public).await?;
    }
    Ok(())
}

/// Registers Jira's admin webhook for issue and comment events of every project, pointing at
/// tether with a token of its own in the path (Jira's admin webhooks are not signed).
async fn register_webhook(
    ing: &Ingester,
    client: &tether_jira::Client,
    site_id: i64,
    site_name: &str,
    public_url: &str,
) -> Result<(), SiteError> {
    let token: String = {
        let mut rng = rand::thread_rng();
        (0..32).map(|_| format!("{:02x}", rng.r#gen::<u8>())).collect()
    };
    let url = format!("{}/hooks/jira/tickets/{site_id}/{token}", public_url.trim_end_matches('/'));
    let name = format!("tether ticket ingestion ({site_name})");
    match client.register_admin_webhook(&name, &url, "").await {
        Ok(id) => {
            ing.store
                .set_ticket_webhook(site_id, Some(&id), Some(&SecretString::from(token)))
                .await?;
            Ok(())
        }
        // Not allowed after all: polling alone, as without webhooks.
        Err(tether_jira::Error::Forbidden { .. } | tether_jira::Error::Unauthorized { .. }) => {
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
