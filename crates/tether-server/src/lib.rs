//! tether's HTTP surface: `router(state)` and `serve(config, listener, shutdown)`.
//!
//! Handlers read and write through `tether-store` only; they never call Jira
//! (work for Jira goes to the outbox). This crate is the only one that knows HTTP
//! requests and HTML.

mod admin;
mod api;
mod auth;
mod dev;
mod error;
mod flags;
mod front;
mod health;
mod insights;
mod jira;
mod metrics;
mod ofrep;
mod throttle;
mod tickets;
mod web;

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tether_store::Store;
use tether_sync::jira::JiraClients;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

pub use auth::Caller;
pub use error::{ApiError, Json};
pub use jira::forge::{
    PLACEHOLDER_APP_ID as FORGE_PLACEHOLDER_APP_ID, PLACEHOLDER_URL as FORGE_PLACEHOLDER_URL,
    entity_property_modules as forge_entity_property_modules, manifest_yaml as forge_manifest,
};
pub use jira::sites::site_from_body;
pub use metrics::Metrics;
pub use ofrep::SdkKeyGate;
pub use ofrep::snapshots::{EnvSnapshot, Snapshots};
pub use throttle::{AuthThrottle, FailureLimit};

/// What the server needs to know from tether's configuration.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// The URL people reach this server at, for links (e.g. `http://127.0.0.1:8080`).
    pub public_url: String,
    /// OFREP evaluations per second allowed per SDK key; 0 means no limit.
    pub ofrep_rate_limit: u32,
    /// How often evaluation snapshots are compared with the database, to pick up
    /// changes made by other processes sharing it.
    pub snapshot_refresh: std::time::Duration,
    /// The Atlassian Connect app's key (`jira.connect_app_key`), in the descriptor
    /// and in the JWTs tether signs as that app.
    pub connect_app_key: String,
    /// Where Atlassian publishes the keys it signs Connect install and uninstall
    /// callbacks with (`jira.connect_install_keys_url`).
    pub connect_install_keys_url: String,
    /// Hosts a Connect install may come from (`jira.connect_allowed_hosts`): exact
    /// names or `*.suffix`; the port is not compared.
    pub connect_allowed_hosts: Vec<String>,
    /// The Forge app's id (`jira.forge_app_id`): Forge Invocation Tokens must be meant for it.
    /// `None`: no Forge app, and its endpoints refuse every call.
    pub forge_app_id: Option<String>,
    /// Where Forge publishes the keys of its invocation tokens (`jira.forge_jwks_url`).
    pub forge_jwks_url: String,
    /// Failed authentications allowed per client address (`auth_failure_burst`,
    /// `auth_failures_per_minute`); past it, 429 with `Retry-After`.
    pub auth_failures: FailureLimit,
    /// How long web UI sessions last (`session_idle_minutes`, `session_absolute_hours`).
    pub sessions: tether_store::SessionLimits,
    /// Which addresses Jira sites and outgoing webhooks may reach
    /// (`outbound_allow_loopback`, `outbound_allow_private`).
    pub outbound: tether_jira::OutboundPolicy,
}

/// Atlassian's Cloud domains: where Connect installs come from unless configured otherwise.
pub const ATLASSIAN_CLOUD_HOSTS: &[&str] = &["*.atlassian.net", "*.jira.com", "*.jira-dev.com"];

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            body_limit: 1024 * 1024,
            public_url: "http://127.0.0.1:8080".to_owned(),
            ofrep_rate_limit: 0,
            snapshot_refresh: std::time::Duration::from_secs(1),
            connect_app_key: "tether".to_owned(),
            connect_install_keys_url: tether_jira::ATLASSIAN_INSTALL_KEYS_URL.to_owned(),
            connect_allowed_hosts: ATLASSIAN_CLOUD_HOSTS.iter().map(|h| (*h).to_owned()).collect(),
            forge_app_id: None,
            forge_jwks_url: tether_jira::ATLASSIAN_FORGE_JWKS_URL.to_owned(),
            auth_failures: FailureLimit::default(),
            sessions: tether_store::SessionLimits::default(),
            outbound: tether_jira::OutboundPolicy::OPEN,
        }
    }
}

/// Everything a handler can reach: one `Arc`, so cloning it (which axum does several
/// times per request: each middleware and the `State` extractor) costs one atomic
/// increment. Cloning the fields one by one cost about a fifth of an OFREP evaluation's
/// server CPU (measured with `perf`, see README "OFREP at the HTTP floor").
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
#[derive(Debug, Clone)]
pub struct Shared {
    pub store: Store,
    pub config: Arc<ServerConfig>,
    pub metrics: Arc<Metrics>,
    /// Compiled flags per environment, for OFREP.
    pub snapshots: Arc<Snapshots>,
    pub sdk_keys: Arc<SdkKeyGate>,
    pub started: Instant,
    /// A Jira client per registered site, for what a person waits on (checking
    /// an issue key, a connection test); never for writing to Jira.
    pub jira: JiraClients,
    /// Atlassian's keys for signed Connect installs, cached by `kid`.
    pub install_keys: Arc<tether_jira::ConnectInstallKeys>,
    /// Forge's keys for its invocation tokens, cached by `kid`.
    pub forge_keys: Arc<tether_jira::ForgeKeys>,
    /// Failed authentications per client address.
    pub throttle: Arc<AuthThrottle>,
    /// Holds back repeated warnings about refused credentials.
    pub refusal_log: Arc<throttle::WarnGate>,
    /// What the server reads the time from.
    pub clock: tether_store::Clock,
    /// Checks the Jira issues a flag definition adds (the Jira feature's check).
    pub(crate) issue_check: flags::IssueCheck,
    /// The tabs other features add to the flag page, in order.
    pub(crate) flag_tabs: &'static [flags::ui::FlagTab],
    /// The sections other features add to an issue's page, in order.
    pub(crate) issue_sections: &'static [jira::IssueSection],
    /// The Integrations page's sections, one per feature that connects tether to something.
    pub(crate) integrations: &'static [web::integrations::IntegrationSection],
}

impl AppState {
    /// The state with the store's clock.
    pub fn new(store: Store, config: ServerConfig) -> AppState {
        let clock = store.clock().clone();
        AppState::with_clock(store, config, clock)
    }

    /// The state with a given clock (a manual one in tests).
    pub fn with_clock(store: Store, config: ServerConfig, clock: tether_store::Clock) -> AppState {
        AppState(Arc::new(Shared {
            jira: JiraClients::new(
                store.clone(),
                tether_jira::Options { outbound: config.outbound, ..jira::interactive_options() },
            ),
            install_keys: Arc::new(tether_jira::ConnectInstallKeys::new(
                &config.connect_install_keys_url,
            )),
            forge_keys: Arc::new(tether_jira::ForgeKeys::new(&config.forge_jwks_url)),
            throttle: Arc::new(AuthThrottle::new(config.auth_failures, clock.clone())),
            refusal_log: Arc::new(throttle::WarnGate::new(
                std::time::Duration::from_secs(10),
                clock.clone(),
            )),
            clock,
            issue_check: jira::check_property_links,
            flag_tabs: &[jira::panel::TAB],
            issue_sections: &[dev::issue::SECTION],
            integrations: &[
                jira::integration::SECTION,
                dev::integration::SECTION,
                tickets::integration::SECTION,
            ],
            store,
            sdk_keys: Arc::new(SdkKeyGate::new(config.ofrep_rate_limit)),
            config: Arc::new(config),
            metrics: Arc::new(Metrics::default()),
            snapshots: Arc::new(Snapshots::default()),
            started: Instant::now(),
        }))
    }

    /// Replaces the Jira clients (e.g. with other client options).
    pub fn with_jira(mut self, jira: JiraClients) -> AppState {
        Arc::make_mut(&mut self.0).jira = jira;
        self
    }
}

/// tether's version, as the binary and the UI show it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Every route tether serves.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.body_limit;
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .nest("/api", api::router(&state))
        // Merged with full paths, not nested: a nested router costs each evaluation a second
        // route lookup and a prefix-stripping wrapper (seen in the single phase's profile).
        .merge(ofrep::router())
        .merge(pages(&state))
        .merge(jira::connect::router())
        .route("/hooks/github/{id}", axum::routing::post(dev::intake::github))
        .route("/hooks/gitlab/{id}", axum::routing::post(dev::intake::gitlab))
        .merge(jira::forge::router())
        .merge(tickets::hooks::router())
        .fallback(web::not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), edge))
        .layer(DefaultBodyLimit::max(body_limit))
        .route_layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The web UI's pages, behind the one CSRF check.
fn pages(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(web::router())
        .merge(flags::ui::router())
        .merge(jira::ui::router())
        .merge(admin::ui::router())
        .merge(admin::project_page::router())
        .merge(dev::ui::router())
        .merge(tickets::ui::router())
        .merge(insights::ui::router())
        .route_layer(middleware::from_fn_with_state(state.clone(), web::csrf::protect))
}

/// Serves `router(state)` on `listener` (OFREP evaluations through the fast lane beside it:
/// `front`, `ofrep::lane`) until `shutdown` resolves, then stops
/// accepting connections and lets requests in flight finish. Meanwhile the
/// evaluation snapshots are compared with the database every `snapshot_refresh`.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let refresher = tokio::spawn(refresh_snapshots(state.clone()));
    front::serve(state.clone(), router(state), listener, shutdown).await;
    refresher.abort();
    Ok(())
}

/// The thin loop around [`Snapshots::tick`]: picks up what other processes
/// sharing the database changed (flags, new and deleted environments), every
/// `snapshot_refresh` and, on PostgreSQL, whenever one announces a change.
async fn refresh_snapshots(state: AppState) {
    let mut every = tokio::time::interval(state.config.snapshot_refresh);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await;
    // On PostgreSQL, changes other processes commit are announced: brought in at once.
    let mut listener = match state.store.config_listener().await {
        Ok(listener) => listener,
        Err(e) => {
            let error = error::error_chain(&e);
            tracing::warn!(%error, "cannot listen for configuration changes; polling only");
            None
        }
    };
    loop {
        let announced = async {
            match listener.as_mut() {
                Some(l) => l.changed().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = every.tick() => {}
            heard = announced => {
                if let Err(e) = heard {
                    let error = error::error_chain(&e);
                    tracing::warn!(%error, "lost the configuration change notifications; polling only");
                    listener = None;
                }
            }
        }
        if let Err(e) = state.snapshots.tick(&state.store).await {
            let error = error::error_chain(&e);
            tracing::warn!(%error, "cannot refresh the evaluation snapshots");
        }
    }
}

/// What every answer passes through, in one layer (each layer costs a clone of the
/// router's service per request): a declared body over the limit is refused before
/// anything reads it (bodies without a length are cut off by `DefaultBodyLimit` as they
/// are read), and the security headers are set (`web::headers`).
async fn edge(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = state.config.body_limit;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        let refused = ApiError::PayloadTooLarge(format!(
            "request body is larger than the limit of {limit} bytes"
        ))
        .into_response();
        return web::headers::secure(&state, false, refused).await;
    }
    let framed = web::headers::FRAMED_BY_JIRA.contains(&req.uri().path());
    let response = next.run(req).await;
    web::headers::secure(&state, framed, response).await
}

async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::MethodNotAllowed(format!("{} is not allowed on {}", req.method(), req.uri().path()))
}
