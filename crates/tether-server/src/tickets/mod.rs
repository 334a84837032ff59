//! Tickets: what tether ingests from Jira. This module is the service the API (`api.rs`) and
//! the pages (`ui.rs`: a site's Jira ingestion page, the Tickets page) share: the ingestion
//! connection of a site (API token, username and password, personal access token, or an
//! application link with OAuth 1.0a's three-legged flow) and its checks, import control
//! (per-project switches, auto-import, pause, refresh, type assignments, removing data,
//! turning the integration off), and the views of both.
//!
//! Handlers call Jira only where a person waits on the answer: the connection checks (reads)
//! and the steps of the OAuth 1.0a flow. Ingestion itself runs in `tether-sync`.

pub(crate) mod api;
mod filters;
pub(crate) mod hooks;
pub(crate) mod integration;
mod list;
mod passthrough;
pub(crate) mod search;
mod ticket;
mod time;
pub(crate) mod ui;
mod views;

use serde::Deserialize;
use serde_json::Value;
use tether_policy::{Action, Named, Resource};
use tether_store::{JiraSite, StoreError, TicketCategory, TicketCredentials};
use tether_sync::ingest::{CheckOutcome, check_and_discover, oauth1_consumer};

pub(crate) use views::site_status;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// The policy resource of a site's ingestion: the site's integration.
pub(crate) fn resource(site: &str) -> Resource {
    Resource::Integration(Named::new(site))
}

/// The consumer key tether suggests for an application link.
pub(crate) const DEFAULT_CONSUMER_KEY: &str = "tether";

/// An ingestion connection to set. `kind` is `api_token` (Cloud: `user` is the email, `secret`
/// the API token), `password` (Data Center: username and password), `pat` (Data Center:
/// `secret` is the personal access token) or `oauth1` (Data Center application link:
/// `consumer_key`, default `tether`; tether makes the key pair).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConnectionBody {
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) user: String,
    #[serde(default)]
    pub(crate) secret: Option<String>,
    #[serde(default)]
    pub(crate) consumer_key: Option<String>,
}

pub(crate) async fn find_site(state: &AppState, name: &str) -> Result<JiraSite, ApiError> {
    match state.store.jira_site_by_name(name).await {
        Ok(s) => Ok(s),
        Err(StoreError::NotFound) => {
            Err(ApiError::NotFound(format!("no Jira site named {name:?}")))
        }
        Err(e) => Err(e.into()),
    }
}

/// Reads a connection body into credentials, or says which field is wrong. Secrets are kept
/// as typed: the checks name spaces around a token instead of hiding them.
pub(crate) fn credentials(body: &ConnectionBody) -> Result<TicketCredentials, ApiError> {
    let user = body.user.trim().to_owned();
    let secret = || {
        body.secret
            .clone()
            .filter(|s| !s.trim().is_empty())
            .map(secrecy::SecretString::from)
            .ok_or_else(|| ApiError::invalid("secret", "this kind of connection needs its secret"))
    };
    match body.kind.trim() {
        "api_token" => {
            if !user.contains('@') {
                return Err(ApiError::invalid(
                    "user",
                    "an API token connection needs the email of the Atlassian account that owns \
                     the token",
                ));
            }
            Ok(TicketCredentials::ApiToken { email: user, token: secret()? })
        }
        "password" => {
            if user.is_empty() {
                return Err(ApiError::invalid("user", "a password connection needs the username"));
            }
            Ok(TicketCredentials::Password { username: user, password: secret()? })
        }
        "pat" => Ok(TicketCredentials::Pat { token: secret()? }),
        "oauth1" => {
            let key = body.consumer_key.as_deref().map(str::trim).filter(|k| !k.is_empty());
            let key = key.unwrap_or(DEFAULT_CONSUMER_KEY).to_owned();
            if key.len() > 200 || key.chars().any(|c| c.is_control() || c.is_whitespace()) {
                return Err(ApiError::invalid(
                    "consumer_key",
                    "a consumer key is up to 200 characters without spaces",
                ));
            }
            let (private_key, public_key) =
                tether_jira::oauth1::generate_key_pair().map_err(ApiError::internal)?;
            Ok(TicketCredentials::OAuth1 { consumer_key: key, private_key, public_key })
        }
        other => Err(ApiError::invalid(
            "kind",
            format!("unknown kind {other:?}; use api_token, password, pat or oauth1"),
        )),
    }
}

/// Sets a site's ingestion connection; for anything but an application link (which needs
/// authorising first) the checks run at once and discover the projects.
pub(crate) async fn set_connection(
    state: &AppState,
    caller: &Caller,
    site: &JiraSite,
    body: &ConnectionBody,
) -> Result<Option<CheckOutcome>, ApiError> {
    caller.require(Action::UpdateIngestion, &resource(&site.name))?;
    let creds = credentials(body)?;
    let oauth1 = matches!(creds, TicketCredentials::OAuth1 { .. });
    state.store.put_ticket_connection(site.id, &creds, &caller.actor()).await?;
    if oauth1 {
        return Ok(None);
    }
    Ok(Some(run_check(state, site).await?))
}

/// Runs the checks (and discovery) on a site's connection, recording what they found.
pub(crate) async fn run_check(state: &AppState, site: &JiraSite) -> Result<CheckOutcome, ApiError> {
    let options = tether_jira::Options {
        outbound: state.config.outbound,
        ..tether_sync::jira::clients::options_for_site(site, &crate::jira::interactive_options())
    };
    check_and_discover(&state.store, site.id, &options).await.map_err(|e| match e {
        tether_sync::ingest::ConnectionError::Store(e) => e.into(),
        other => ApiError::Conflict(other.to_string()),
    })
}

/// OAuth 1.0a, steps 1 and 2: asks Jira for a request token (signed by the application
/// link's consumer) with `callback` as where to come back, keeps it, and answers the page
/// where a Jira user allows access.
pub(crate) async fn authorise(
    state: &AppState,
    caller: &Caller,
    site: &JiraSite,
    callback: &str,
) -> Result<String, ApiError> {
    caller.require(Action::UpdateIngestion, &resource(&site.name))?;
    let Some(consumer) = oauth1_consumer(&state.store, site.id).await.map_err(not_set_up)? else {
        return Err(ApiError::Conflict(
            "this site's ingestion connection is not an application link (OAuth 1.0a)".into(),
        ));
    };
    let jira = site.api_url.as_deref().unwrap_or(&site.url);
    let request = tether_jira::oauth1::request_token_within(
        state.config.outbound,
        jira,
        &consumer,
        Some(callback),
    )
    .await
    .map_err(oauth_refused)?;
    state.store.begin_ticket_oauth1(site.id, &request.token, &request.secret).await?;
    tether_jira::oauth1::authorize_url(&site.url, &request).map_err(ApiError::internal)
}

/// OAuth 1.0a, step 3: the callback. Trades the request token and the verifier Jira gave for
/// an access token, stores it, and runs the checks.
pub(crate) async fn oauth1_callback(
    state: &AppState,
    caller: &Caller,
    site: &JiraSite,
    token: &str,
    verifier: &str,
) -> Result<CheckOutcome, ApiError> {
    caller.require(Action::UpdateIngestion, &resource(&site.name))?;
    let consumer = oauth1_consumer(&state.store, site.id).await.map_err(not_set_up)?;
    let waiting = state.store.ticket_oauth1_request(site.id).await?;
    let (Some(consumer), Some((request_token, request_secret))) = (consumer, waiting) else {
        return Err(ApiError::Conflict(
            "no authorisation is waiting for this site: start it again from its ingestion page"
                .into(),
        ));
    };
    if request_token != token {
        return Err(ApiError::BadRequest(
            "Jira sent back another request token than the one this authorisation started with: \
             start it again"
                .into(),
        ));
    }
    let request = tether_jira::oauth1::RequestToken {
        token: request_token,
        secret: request_secret,
        callback_confirmed: true,
    };
    let jira = site.api_url.as_deref().unwrap_or(&site.url);
    let access = tether_jira::oauth1::access_token_within(
        state.config.outbound,
        jira,
        &consumer,
        &request,
        verifier,
    )
    .await
    .map_err(oauth_refused)?;
    state.store.finish_ticket_oauth1(site.id, &access.token, &caller.actor()).await?;
    run_check(state, site).await
}

fn not_set_up(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => {
            ApiError::NotFound("this site has no ticket ingestion connection yet".into())
        }
        other => other.into(),
    }
}

/// A refused step of the OAuth 1.0a flow, worded as the application link's troubleshooting.
fn oauth_refused(e: tether_jira::Error) -> ApiError {
    match e {
        tether_jira::Error::Unauthorized { denied_reason } => {
            let problem = denied_reason.unwrap_or_else(|| "no reason given".into());
            let gap = tether_jira::tickets::Gap::ApplicationLink { problem };
            ApiError::Conflict(gap.message())
        }
        tether_jira::Error::NotFound { .. } => ApiError::Conflict(
            "Jira has no OAuth 1.0a endpoints at this URL (Jira Cloud has none): use an API \
             token there"
                .into(),
        ),
        other => ApiError::Unavailable(format!("Jira could not be asked: {other}")),
    }
}

/// Pause or resume all of a site's ingestion, turn auto-import on or off.
pub(crate) async fn set_switches(
    state: &AppState,
    caller: &Caller,
    site: &JiraSite,
    paused: Option<bool>,
    auto_import: Option<bool>,
) -> Result<(), ApiError> {
    caller.require(Action::UpdateIngestion, &resource(&site.name))?;
    state
        .store
        .set_ticket_switches(site.id, paused, auto_import, &caller.actor())
        .await
        .map_err(not_set_up)?;
    Ok(())
}

/// A project's import switch.
pub(crate) async fn set_import(
    state: &AppState,
    caller: &Caller,
    site: &JiraSite,
    project: &str,
    on: bool,
) -> Result<(), ApiError> {
    caller.require(Action::UpdateIngestion, &resource(&site.name))?;
    match state.store.set_ticket_import(site.id, project, on, &caller.actor()).await {
        Ok(_) => Ok(()),
        Err(StoreError::NotFound) => Err(no_project(project)),
        Err(StoreError::Refused(m)) => Err(ApiError::invalid("import", m)),
        Err(e) => Err(e.into()),
    }
}

fn no_project(project: &str) -> ApiError {
    ApiError::NotFound(format!(
        "no Jira project {project:?} was discovered on this site; refresh to discover new ones"
    ))
}

/// Removes one project's ingested data (its import switch stays as it is).
pub(crate) async fn remove_project_data(
    state: &AppState,
    caller: &Caller,
    site: &JiraSite,
    project: &str,
) -> Result<u64, ApiError> {
    caller.require(Action::DeleteIngestedData, &resource(&site.name))?;
    match state.store.remove_ticket_project_data(site.id, project, &caller.actor()).await {
        Err(StoreError::NotFound) => Err(no_project(project)),
        other => Ok(other?),
    }
}

/// Turns the site's ticket integration off, removing all it brought. `confirm` must repeat
/// the site's name.
pub(crate) async fn turn_off(
    state: &AppState,
    caller: &Caller,
    site: &JiraSite,
    confirm: &str,
) -> Result<bool, ApiError> {
    caller.require(Action::DeleteIngestedData, &resource(&site.name))?;
    if confirm.trim() != site.name {
        return Err(ApiError::invalid(
            "confirm",
            format!(
                "turning the ticket integration off deletes every ticket it brought; type the \
                 site's name ({}) to confirm",
                site.name
            ),
        ));
    }
    Ok(state.store.delete_ticket_connection(site.id, &caller.actor()).await?)
}

/// Asks for the projects to be discovered again: at once when a person waits (the checks run
/// and their findings are answered).
pub(crate) async fn refresh(
    state: &AppState,
    caller: &Caller,
    site: &JiraSite,
) -> Result<CheckOutcome, ApiError> {
    caller.require(Action::UpdateIngestion, &resource(&site.name))?;
    if state.store.ticket_connection(site.id).await?.is_none() {
        return Err(not_set_up(StoreError::NotFound));
    }
    state.store.request_ticket_refresh(site.id).await?;
    run_check(state, site).await
}

/// Makes every imported project (or one) due now.
pub(crate) async fn run_now(
    state: &AppState,
    caller: &Caller,
    site: &JiraSite,
    project: Option<&str>,
) -> Result<u64, ApiError> {
    caller.require(Action::UpdateIngestion, &resource(&site.name))?;
    match state.store.ticket_run_now(site.id, project).await {
        Err(StoreError::NotFound) => Err(no_project(project.unwrap_or_default())),
        other => Ok(other?),
    }
}

/// Sets what one issue type of a project counts as.
pub(crate) async fn set_type(
    state: &AppState,
    caller: &Caller,
    site: &JiraSite,
    project: &str,
    issue_type: &str,
    category: &str,
) -> Result<(), ApiError> {
    caller.require(Action::UpdateIngestion, &resource(&site.name))?;
    let Some(category) = TicketCategory::parse(category.trim()) else {
        let all: Vec<&str> = TicketCategory::ALL.iter().map(|c| c.as_str()).collect();
        return Err(ApiError::invalid(
            "category",
            format!("unknown category {category:?}; use one of {}", all.join(", ")),
        ));
    };
    let p = match state.store.ticket_project(site.id, project).await {
        Ok(p) => p,
        Err(StoreError::NotFound) => return Err(no_project(project)),
        Err(e) => return Err(e.into()),
    };
    state.store.set_type_assignment(site.id, &p.id, issue_type, category, &caller.actor()).await?;
    Ok(())
}

/// What a check found, for a response: the stored report.
pub(crate) fn outcome_json(o: &CheckOutcome) -> Value {
    o.report.clone()
}
