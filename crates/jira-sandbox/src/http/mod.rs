//! The HTTP edge: routing per flavour, the knobs and auth middleware, Jira's error shape.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use crate::config::Knobs;
use crate::state::UserIdx;
use crate::{Flavour, Sandbox};
use devops::DevOpsApi;

mod admin;
mod agile;
mod auth;
mod browse;
mod builds;
mod comments;
mod connect;
mod create_page;
mod createmeta;
mod devinfo;
mod devops;
mod featureflags;
mod issues;
mod links;
mod meta;
mod oauth;
mod oauth1;
mod platform;
mod properties;
mod read;
mod render;
mod search;
mod transitions;
mod watchers;
mod webhooks;
mod worklogs;

pub(crate) use connect::query_string_hash;
pub(crate) use render::SPRINT_FIELD;

pub(crate) fn router(sandbox: Sandbox) -> Router {
    let cloud = sandbox.flavour().is_cloud();
    let mut rest = Router::new()
        .nest("/rest/api/2", platform::routes().layer(Extension(ApiVersion(2))))
        .nest("/rest/api/latest", platform::routes().layer(Extension(ApiVersion(2))));
    // Clients such as Python's `jira` ask for application links before adding remote links;
    // the sandbox has none.
    rest =
        rest.route("/rest/applinks/latest/listApplicationlinks", get(|| async { Json(json!([])) }));
    rest = rest
        .nest("/rest/agile/1.0", agile::routes().layer(Extension(ApiVersion(2))))
        .nest("/rest/webhooks/1.0", webhooks::admin_routes());
    if cloud {
        rest = rest.nest("/rest/api/3", platform::routes().layer(Extension(ApiVersion(3))));
        let apis = [
            (DevOpsApi::FeatureFlags, featureflags::routes()),
            (DevOpsApi::DevelopmentInfo, devinfo::routes()),
            (DevOpsApi::Builds, builds::build_routes()),
            (DevOpsApi::Deployments, builds::deployment_routes()),
        ];
        for (api, routes) in apis {
            let sb = sandbox.clone();
            let gate = middleware::from_fn(move |req: Request, next: Next| {
                devops::gate(sb.clone(), api, req, next)
            });
            rest = rest
                .nest(&format!("/rest/{}/{}", api.segment(), api.version()), routes.layer(gate));
        }
    }
    let mut app = rest
        .layer(middleware::from_fn_with_state(sandbox.clone(), rest_middleware))
        .nest("/_sandbox", admin::routes());
    if !cloud {
        // OAuth 1.0a application links: the dance authenticates by signature itself.
        app = app.nest("/plugins/servlet/oauth", oauth1::routes());
    }
    if cloud {
        // Anonymous on Cloud: how a client finds the cloudId for OAuth 2.0 gateway URLs.
        app = app.route(
            "/_edge/tenant_info",
            get(|| async { Json(json!({"cloudId": crate::CLOUD_ID})) }),
        );
    }
    if cloud {
        app = app.route("/oauth/token", axum::routing::post(oauth::token));
        // Atlassian's key service for signed Connect installs, played by the sandbox.
        app = app.route("/connect-install-keys/{kid}", get(connect::install_key));
        // Forge's key set for Forge Invocation Tokens, played by the sandbox (the path is
        // `signing::FORGE_JWKS_PATH`, written out so the schema walk's route list finds it).
        app = app.route("/.well-known/jwks.json", get(|| async { Json(crate::signing::jwks()) }));
    }
    let inner: Router = app
        .route("/", get(|| async { Json(json!({"sandbox": "jira", "inspect": "/_sandbox"})) }))
        // For people, like Jira's issue URLs; unauthenticated, like `/_sandbox`.
        .route("/browse/{key}", get(browse::page))
        // Jira's prefilled create-issue page, and the form it submits.
        .route("/secure/CreateIssueDetails!init.jspa", get(create_page::form))
        .route("/secure/CreateIssueDetails.jspa", axum::routing::post(create_page::submit))
        .fallback(|| async { ApiError::NotFound("Not found".into()) })
        .with_state(sandbox);
    if !cloud {
        return inner;
    }
    // The OAuth 2.0 gateway forms of the same APIs, served by rewriting onto `inner`.
    Router::new()
        .route("/ex/jira/{cloud_id}/{*rest}", axum::routing::any(oauth::platform_gateway))
        .route(
            "/jira/{api}/{version}/cloud/{cloud_id}/{*rest}",
            axum::routing::any(oauth::devops_gateway),
        )
        .with_state(inner.clone())
        .merge(inner)
}

/// Which platform API version a route was reached through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ApiVersion(pub u8);

/// The authenticated caller, set by the middleware: the user it acts as (none for anonymous
/// calls Jira allows) and how it authenticated.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Principal(pub Option<UserIdx>, pub Via);

/// How a caller authenticated. Only apps (Connect JWTs, OAuth 2.0 client credentials) may call
/// Jira Software Cloud's DevOps APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    Anonymous,
    /// Basic, a personal access token, OAuth 1.0a: a person.
    Person,
    /// An installed Connect app's JWT.
    ConnectApp,
    /// A token of OAuth 2.0 credentials: the index of the client in `State::oauth_clients`.
    OAuthClient(usize),
}

impl Via {
    pub fn is_app(self) -> bool {
        matches!(self, Via::ConnectApp | Via::OAuthClient(_))
    }
}

/// Mutable per-request machinery kept apart from the data lock: knobs, the fault RNG, the
/// rate-limit window and failed-login counts.
#[derive(Debug)]
pub(crate) struct Runtime {
    pub knobs: Knobs,
    rng: StdRng,
    window_start: Option<Instant>,
    window_count: u32,
    pub login_failures: HashMap<String, u32>,
    /// Issued OAuth 2.0 access tokens: the client (index in `State::oauth_clients`) and when
    /// they expire.
    pub oauth_tokens: HashMap<String, (usize, Instant)>,
    pub tokens_issued: u64,
    /// OAuth 1.0a request and access tokens, and seen nonces.
    pub oauth1: crate::oauth1::Tokens,
}

impl Runtime {
    pub fn new(knobs: Knobs, rng: StdRng) -> Runtime {
        Runtime {
            knobs,
            rng,
            window_start: None,
            window_count: 0,
            login_failures: HashMap::new(),
            oauth_tokens: HashMap::new(),
            tokens_issued: 0,
            oauth1: crate::oauth1::Tokens::default(),
        }
    }

    pub fn set_knobs(&mut self, knobs: Knobs) {
        self.knobs = knobs;
        self.window_start = None;
        self.window_count = 0;
    }
}

/// Results of recent searches, so paging through 100,000 hits does not re-run the query per
/// page. Entries are tied to the data generation, so any write invalidates them.
#[derive(Debug, Default)]
pub(crate) struct SearchCache {
    entries: Vec<(String, u64, Arc<Vec<usize>>)>,
}

impl SearchCache {
    const CAPACITY: usize = 16;

    pub fn get(&mut self, key: &str, generation: u64) -> Option<Arc<Vec<usize>>> {
        let pos = self.entries.iter().position(|(k, g, _)| k == key && *g == generation)?;
        let entry = self.entries.remove(pos);
        let hits = entry.2.clone();
        self.entries.push(entry);
        Some(hits)
    }

    pub fn put(&mut self, key: String, generation: u64, hits: Arc<Vec<usize>>) {
        self.entries.retain(|(_, g, _)| *g == generation);
        if self.entries.len() >= Self::CAPACITY {
            self.entries.remove(0);
        }
        self.entries.push((key, generation, hits));
    }
}

enum Gate {
    Pass,
    Reject(Response),
    /// Hold the request this long, then drop the connection without an answer.
    Drop(Duration),
}

/// Knobs first (rate limit, latency, timeouts, faults), then authentication.
async fn rest_middleware(State(sb): State<Sandbox>, mut req: Request, next: Next) -> Response {
    let (gate, delay) = knob_gate(&sb, req.uri().path());
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    match gate {
        Gate::Pass => {}
        Gate::Reject(r) => return r,
        Gate::Drop(hold) => {
            tokio::time::sleep(hold).await;
            return severed();
        }
    }
    match auth::authenticate(
        &sb,
        req.method(),
        req.uri(),
        req.headers(),
        &base_url(&sb, req.headers()),
    ) {
        Ok(Principal(_, Via::OAuthClient(_))) if !oauth::reaches(req.uri().path()) => {
            oauth::platform_refused()
        }
        Ok(principal) => {
            req.extensions_mut().insert(principal);
            next.run(req).await
        }
        Err(denied) => denied.into_response(),
    }
}

fn knob_gate(sb: &Sandbox, path: &str) -> (Gate, Option<Duration>) {
    let mut rt = sb.runtime();
    let knobs = rt.knobs.clone();
    if let Some(limit) = knobs.rate_limit {
        let now = Instant::now();
        let window = Duration::from_secs(u64::from(limit.window_seconds.max(1)));
        let start = match rt.window_start {
            Some(s) if now.duration_since(s) < window => s,
            _ => {
                rt.window_start = Some(now);
                rt.window_count = 0;
                now
            }
        };
        if rt.window_count >= limit.requests {
            let reset_in = window.saturating_sub(now.duration_since(start));
            let retry_after = reset_in.as_secs_f64().ceil().max(1.0) as u64;
            let reset_at =
                crate::time::format_jira(crate::time::now_ms() + reset_in.as_millis() as i64);
            let mut resp =
                ApiError::Status(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded.".into())
                    .into_response();
            let h = resp.headers_mut();
            h.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            h.insert("X-RateLimit-Limit", HeaderValue::from(limit.requests));
            h.insert("X-RateLimit-Remaining", HeaderValue::from(0));
            if let Ok(v) = HeaderValue::from_str(&reset_at) {
                h.insert("X-RateLimit-Reset", v);
            }
            h.insert("RateLimit-Reason", HeaderValue::from_static("jira-burst-based"));
            return (Gate::Reject(resp), None);
        }
        rt.window_count += 1;
    }
    if knobs.fault_path_prefix.as_deref().is_some_and(|p| !path.starts_with(p)) {
        return (Gate::Pass, None);
    }
    let delay = (knobs.latency_ms > 0 && rt.rng.gen_bool(knobs.latency_rate.clamp(0.0, 1.0)))
        .then(|| Duration::from_millis(knobs.latency_ms));
    // Drawn only when the knob is on, so turning it on leaves other seeded sequences alone.
    if knobs.timeout_rate > 0.0 && rt.rng.gen_bool(knobs.timeout_rate.clamp(0.0, 1.0)) {
        return (Gate::Drop(Duration::from_millis(knobs.timeout_ms)), delay);
    }
    if knobs.fault_rate > 0.0
        && !knobs.fault_statuses.is_empty()
        && rt.rng.gen_bool(knobs.fault_rate.clamp(0.0, 1.0))
    {
        let code = knobs.fault_statuses[rt.rng.gen_range(0..knobs.fault_statuses.len())];
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp =
            ApiError::Status(status, "Injected fault (jira-sandbox knob).".into()).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(1));
        }
        return (Gate::Reject(resp), delay);
    }
    (Gate::Pass, delay)
}

/// A response that is never sent: its body fails before yielding a byte, and hyper then
/// closes the HTTP/1.1 connection without flushing the head it had only buffered. The client
/// sees the connection close with no answer (`tests/it/knobs.rs` checks the bytes on the wire).
fn severed() -> Response {
    Response::new(axum::body::Body::new(Severed))
}

#[derive(Debug)]
struct Severed;

impl axum::body::HttpBody for Severed {
    type Data = axum::body::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Ready(Some(Err(std::io::Error::other(
            "injected timeout (jira-sandbox knob)",
        ))))
    }
}

/// The absolute base URL for `self` links.
pub(crate) fn base_url(sb: &Sandbox, headers: &HeaderMap) -> String {
    if let Some(b) = sb.configured_base_url() {
        return b.trim_end_matches('/').to_owned();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    format!("http://{host}")
}

/// What a platform handler needs: the sandbox, the caller, the API version, the base URL.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub sb: Sandbox,
    pub user: UserIdx,
    pub v3: bool,
    pub base: String,
    pub api: String,
    /// Whether the caller is an app (Connect JWT or OAuth 2.0 token), not a person.
    pub app: bool,
}

impl Ctx {
    pub fn cloud(&self) -> bool {
        matches!(self.sb.flavour(), Flavour::Cloud)
    }
}

impl FromRequestParts<Sandbox> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, sb: &Sandbox) -> Result<Self, ApiError> {
        let version = parts.extensions.get::<ApiVersion>().copied().unwrap_or(ApiVersion(2));
        let principal = parts.extensions.get::<Principal>().copied();
        let user = principal.and_then(|p| p.0).ok_or(ApiError::Unauthorized)?;
        let app = principal.is_some_and(|p| p.1.is_app());
        let base = base_url(sb, &parts.headers);
        let api = format!("{base}/rest/api/{}", version.0);
        Ok(Ctx { sb: sb.clone(), user, v3: version.0 == 3, base, api, app })
    }
}

/// Every error the sandbox answers, in Jira's shape `{"errorMessages":[...],"errors":{...}}`,
/// except `Messages`: Jira Software's Feature Flags API answers its own `ErrorMessages`,
/// `[{"message": ...}]`.
#[derive(Debug)]
pub(crate) enum ApiError {
    BadRequest(Vec<String>),
    FieldErrors(Vec<(String, String)>),
    Unauthorized,
    NotFound(String),
    Status(StatusCode, String),
    Messages(StatusCode, String),
    /// The Development Information API's `{"errorMessages": [{"message": ...}]}`.
    ErrorMessages(StatusCode, Vec<String>),
}

impl ApiError {
    pub fn bad(msg: impl Into<String>) -> ApiError {
        ApiError::BadRequest(vec![msg.into()])
    }

    pub fn field(field: &str, msg: impl Into<String>) -> ApiError {
        ApiError::FieldErrors(vec![(field.to_owned(), msg.into())])
    }
}

impl From<crate::JqlError> for ApiError {
    fn from(e: crate::JqlError) -> Self {
        ApiError::BadRequest(vec![e.0])
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, messages, errors) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m, Map::new()),
            ApiError::FieldErrors(fields) => (
                StatusCode::BAD_REQUEST,
                vec![],
                fields.into_iter().map(|(k, v)| (k, Value::String(v))).collect(),
            ),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                vec![
                    "You are not authenticated. Authentication required to perform this operation."
                        .into(),
                ],
                Map::new(),
            ),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, vec![m], Map::new()),
            ApiError::Status(s, m) => (s, vec![m], Map::new()),
            ApiError::Messages(s, m) => return (s, Json(json!([{"message": m}]))).into_response(),
            ApiError::ErrorMessages(s, m) => {
                let m: Vec<Value> = m.into_iter().map(|m| json!({"message": m})).collect();
                return (s, Json(json!({"errorMessages": m}))).into_response();
            }
        };
        (status, Json(json!({"errorMessages": messages, "errors": errors}))).into_response()
    }
}

/// A JSON body whose parse failures come back in Jira's error shape.
#[derive(Debug)]
pub(crate) struct JsonBody(pub Value);

impl<S: Send + Sync> axum::extract::FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::bad(e.to_string()))?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::bad(format!("Unexpected character in the request body: {e}")))
    }
}

/// Query parameters as pairs, so repeated keys (`fields=a&fields=b`) survive.
#[derive(Debug, Default)]
pub(crate) struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// All values of a key, comma lists split.
    pub fn list(&self, key: &str) -> Option<Vec<String>> {
        let vals: Vec<String> = self
            .0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_owned()))
            .filter(|s| !s.is_empty())
            .collect();
        (!vals.is_empty()).then_some(vals)
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        self.get(key)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    ApiError::bad(format!("The value '{v}' is not a valid number for '{key}'."))
                })
            })
            .transpose()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|axum::extract::Query(v)| Params(v))
            .map_err(|e| ApiError::bad(e.to_string()))
    }
}

/// Page size after the caller's `maxResults`, the flavour's cap and the knob.
pub(crate) fn page_size(
    sb: &Sandbox,
    requested: Option<i64>,
    default: usize,
    flavour_cap: usize,
) -> usize {
    let cap = match sb.knobs().page_size_cap {
        Some(k) => flavour_cap.min(k as usize),
        None => flavour_cap,
    };
    match requested {
        Some(n) if n >= 0 => (n as usize).min(cap),
        _ => default.min(cap),
    }
}
