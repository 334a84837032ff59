//! The OpenFeature Remote Evaluation Protocol (OFREP): single and bulk evaluation,
//! and the provider configuration. Any OpenFeature SDK with an OFREP provider
//! works against it unmodified.
//!
//! OFREP prescribes its own response shapes (`{key, errorCode, errorDetails}`),
//! so this module answers in them rather than in [`crate::ApiError`]'s shape.
//! The environment is chosen by the SDK key (`Authorization: Bearer <key>` or
//! `X-API-Key: <key>`). The bulk ETag covers the environment, its snapshot version
//! and the context, so a `304` is only ever sent for an identical answer.

pub(crate) mod lane;
pub(crate) mod snapshots;

use crate::throttle::ClientAddr;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::header::{AUTHORIZATION, ETAG, IF_NONE_MATCH, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tether_flags::{Context, ErrorCode, Snapshot};
use tether_store::SdkKeyScope;

use crate::AppState;

/// How long a verified SDK key is trusted before the database is asked again
/// (so a revoked key stops working within this time).
const KEY_CACHE_TTL: Duration = Duration::from_secs(5);

/// The evaluation routes' templates (the fast lane records its requests under them too).
const SINGLE: &str = "/ofrep/v1/evaluate/flags/{key}";
const BULK: &str = "/ofrep/v1/evaluate/flags";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(SINGLE, post(single))
        .route(BULK, post(bulk))
        .route("/ofrep/v1/configuration", get(configuration))
}

/// Verified SDK keys, briefly cached, and the per-key rate limiter.
pub struct SdkKeyGate {
    verified: RwLock<HashMap<String, (Arc<SdkKeyScope>, Instant)>>,
    limiter: Option<DefaultKeyedRateLimiter<String>>,
}

impl std::fmt::Debug for SdkKeyGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SdkKeyGate")
            .field("limited", &self.limiter.is_some())
            .finish_non_exhaustive()
    }
}

impl SdkKeyGate {
    /// `per_second` evaluations per SDK key; 0 means no limit.
    pub fn new(per_second: u32) -> SdkKeyGate {
        SdkKeyGate {
            verified: RwLock::default(),
            limiter: NonZeroU32::new(per_second).map(|n| RateLimiter::keyed(Quota::per_second(n))),
        }
    }
}

impl SdkKeyGate {
    /// Forgets the verified keys of an environment (it was deleted, and its
    /// keys revoked with it), so that they are asked of the database again.
    pub fn forget_environment(&self, project: &str, env: &str) {
        if let Ok(mut m) = self.verified.write() {
            m.retain(|_, (scope, _)| scope.project != project || scope.env != env);
        }
    }
}

/// An OFREP answer that is not a success.
enum Refusal {
    Unauthorized(&'static str),
    Forbidden(&'static str),
    RateLimited(Duration),
    /// The address spent its allowance of refused keys.
    TooManyFailures(Duration),
    /// 400 or 404 with `{key?, errorCode, errorDetails}`.
    Evaluation {
        status: StatusCode,
        key: Option<String>,
        code: &'static str,
        details: String,
    },
    Internal,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Unauthorized(details) => (
                StatusCode::UNAUTHORIZED,
                [(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
                axum::Json(json!({ "errorDetails": details })),
            )
                .into_response(),
            Refusal::Forbidden(details) => {
                (StatusCode::FORBIDDEN, axum::Json(json!({ "errorDetails": details })))
                    .into_response()
            }
            Refusal::RateLimited(wait) | Refusal::TooManyFailures(wait) => {
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                let details = match self {
                    Refusal::RateLimited(_) => "rate limit of this SDK key reached",
                    _ => "too many refused SDK keys from this address; try again later",
                };
                let mut r =
                    (StatusCode::TOO_MANY_REQUESTS, axum::Json(json!({ "errorDetails": details })))
                        .into_response();
                r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs.max(1)));
                r
            }
            Refusal::Evaluation { status, key, code, details } => {
                let mut body = Map::new();
                if let Some(key) = key {
                    body.insert("key".into(), key.into());
                }
                body.insert("errorCode".into(), code.into());
                body.insert("errorDetails".into(), details.into());
                (status, axum::Json(Value::Object(body))).into_response()
            }
            Refusal::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(json!({ "errorDetails": "internal error; see the server's log" })),
            )
                .into_response(),
        }
    }
}

/// The request headers an evaluation reads, taken alone: axum's `HeaderMap` extractor
/// copies every header of the request, which the single phase's profile showed.
struct Presented {
    authorization: Option<HeaderValue>,
    api_key: Option<HeaderValue>,
    /// Every `If-None-Match` (bulk only); empty, and so not allocated, when none came.
    if_none_match: Vec<HeaderValue>,
}

impl<S: Send + Sync> FromRequestParts<S> for Presented {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Presented, Self::Rejection> {
        Ok(Presented::of(&parts.headers))
    }
}

impl Presented {
    fn of(headers: &axum::http::HeaderMap) -> Presented {
        Presented {
            authorization: headers.get(AUTHORIZATION).cloned(),
            api_key: headers.get("x-api-key").cloned(),
            if_none_match: headers.get_all(IF_NONE_MATCH).iter().cloned().collect(),
        }
    }
}

/// The SDK key from `Authorization: Bearer` or `X-API-Key`.
fn presented_key(headers: &Presented) -> Option<&str> {
    let bearer = headers.authorization.as_ref().and_then(crate::auth::bearer);
    bearer.or_else(|| headers.api_key.as_ref().and_then(|v| v.to_str().ok()).map(str::trim))
}

/// Authenticates, rate-limits, and returns the environment's snapshot.
async fn authorise(
    state: &AppState,
    addr: std::net::IpAddr,
    headers: &Presented,
) -> Result<(Arc<SdkKeyScope>, Arc<Snapshot>), Refusal> {
    let Some(key) = presented_key(headers).filter(|k| !k.is_empty()) else {
        return Err(Refusal::Unauthorized(
            "an SDK key is required: Authorization: Bearer <key> or X-API-Key: <key>",
        ));
    };
    let gate = &state.sdk_keys;
    let cached = gate.verified.read().ok().and_then(|m| {
        m.get(key).filter(|(_, at)| at.elapsed() < KEY_CACHE_TTL).map(|(s, _)| s.clone())
    });
    let scope = match cached {
        Some(scope) => scope,
        None => {
            // Keys not seen lately are looked up, within the address's allowance of
            // refused keys (cached ones cost the database nothing).
            state.throttle.check(addr).map_err(Refusal::TooManyFailures)?;
            let found = state.store.sdk_key_scope(key).await.map_err(|e| {
                tracing::error!(error = %crate::error::error_chain(&e), "cannot check an SDK key");
                Refusal::Internal
            })?;
            let Some(scope) = found.map(Arc::new) else {
                if let Ok(mut m) = gate.verified.write() {
                    m.remove(key);
                }
                // A live API token is a valid credential of the wrong kind.
                if key.starts_with(tether_store::API_TOKEN_PREFIX)
                    && matches!(state.store.token_by_secret(key).await, Ok(Some(_)))
                {
                    return Err(Refusal::Forbidden(
                        "API tokens cannot evaluate flags: use an SDK key of the environment",
                    ));
                }
                crate::throttle::refused(state, addr, "an SDK key", "unknown or revoked SDK key");
                return Err(Refusal::Unauthorized("unknown or revoked SDK key"));
            };
            if let Ok(mut m) = gate.verified.write() {
                m.insert(key.to_owned(), (scope.clone(), Instant::now()));
            }
            scope
        }
    };
    if let Some(Err(not_until)) = gate.limiter.as_ref().map(|l| l.check_key(&key.to_owned())) {
        {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            return Err(Refusal::RateLimited(wait));
        }
    }
    let snapshots = &state.snapshots;
    let mut found = snapshots.get(&state.store, &scope.project, &scope.env).await;
    if found.as_ref().is_ok_and(|s| s.env_id != scope.env_id) {
        // The cache holds another environment under this key: the key's was
        // deleted (and perhaps re-created), or the cached snapshot is older
        // than a re-creation. The database says which.
        found = snapshots.refresh(&state.store, &scope.project, &scope.env).await;
    }
    match found {
        Ok(s) if s.env_id == scope.env_id => Ok((scope, s.snapshot)),
        // The key's environment is gone, and the key with it.
        Ok(_) | Err(tether_store::StoreError::NotFound) => {
            gate.forget_environment(&scope.project, &scope.env);
            Err(Refusal::Unauthorized("unknown or revoked SDK key"))
        }
        Err(e) => {
            tracing::error!(error = %crate::error::error_chain(&e), "cannot load an evaluation snapshot");
            Err(Refusal::Internal)
        }
    }
}

/// The request's context object (`{}` for an empty body or a body without one), as
/// tether-flags reads it; a refusal is a 400 naming the flag's key when there is one.
fn context_of(body: &Bytes, key: Option<&str>) -> Result<Map<String, Value>, Refusal> {
    tether_flags::request_context(body).map_err(|e| Refusal::Evaluation {
        status: StatusCode::BAD_REQUEST,
        key: key.map(str::to_owned),
        code: e.code(),
        details: e.to_string(),
    })
}

/// A JSON body from bytes already serialised.
fn json_body(
    status: StatusCode,
    extra: Option<(axum::http::HeaderName, HeaderValue)>,
    bytes: Vec<u8>,
) -> Response {
    let mut r = (status, bytes).into_response();
    r.headers_mut()
        .insert(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some((name, value)) = extra {
        r.headers_mut().insert(name, value);
    }
    r
}

/// `POST /ofrep/v1/evaluate/flags/{key}`.
async fn single(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(key): Path<String>,
    headers: Presented,
    body: Bytes,
) -> Response {
    answer_single(&state, addr, &headers, &key, &body).await
}

/// A single evaluation's answer, whichever way the request came in (the router, or the fast
/// lane: [`lane`]).
async fn answer_single(
    state: &AppState,
    addr: std::net::IpAddr,
    headers: &Presented,
    key: &str,
    body: &Bytes,
) -> Response {
    let (_, snapshot) = match authorise(state, addr, headers).await {
        Ok(x) => x,
        Err(r) => return r.into_response(),
    };
    let ctx = match context_of(body, Some(key)) {
        Ok(ctx) => ctx,
        Err(r) => return r.into_response(),
    };
    let mut bytes = Vec::with_capacity(160);
    let status = match snapshot.write_answer(key, &Context::new(&ctx), &mut bytes) {
        Ok(()) => StatusCode::OK,
        Err(ErrorCode::FlagNotFound) => StatusCode::NOT_FOUND,
        Err(_) => StatusCode::BAD_REQUEST,
    };
    json_body(status, None, bytes)
}

/// `POST /ofrep/v1/evaluate/flags`: every flag of the environment.
async fn bulk(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: Presented,
    body: Bytes,
) -> Response {
    answer_bulk(&state, addr, &headers, &body).await
}

/// A bulk evaluation's answer, whichever way the request came in.
async fn answer_bulk(
    state: &AppState,
    addr: std::net::IpAddr,
    headers: &Presented,
    body: &Bytes,
) -> Response {
    let (scope, snapshot) = match authorise(state, addr, headers).await {
        Ok(x) => x,
        Err(r) => return r.into_response(),
    };
    let ctx = match context_of(body, None) {
        Ok(ctx) => ctx,
        Err(r) => return r.into_response(),
    };
    let etag = bulk_etag(&scope, snapshot.version(), &ctx);
    let etag_header = HeaderValue::from_str(&etag).expect("an ETag is ASCII");
    if if_none_match(headers, &etag) {
        return (StatusCode::NOT_MODIFIED, [(ETAG, etag_header)]).into_response();
    }
    let mut bytes = Vec::with_capacity(160 * snapshot.len() + 16);
    snapshot.write_all_answers(&Context::new(&ctx), &mut bytes);
    json_body(StatusCode::OK, Some((ETAG, etag_header)), bytes)
}

/// `"<snapshot version>-<hash of environment (key and id) and context>"`; serde_json's maps
/// are ordered, so equal contexts serialise equally.
fn bulk_etag(scope: &SdkKeyScope, version: u64, ctx: &Map<String, Value>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(scope.project.as_bytes());
    hasher.update([0]);
    hasher.update(scope.env.as_bytes());
    hasher.update([0]);
    // A re-created environment may count its versions from where the old one stood.
    hasher.update(scope.env_id.to_le_bytes());
    // The context's JSON goes into the hash as serde_json writes it, without a copy.
    let _ = serde_json::to_writer(HashWriter(&mut hasher), ctx);
    let digest = hasher.finalize();
    let mut tag = String::with_capacity(40);
    let _ = write!(tag, "\"{version}-");
    for b in digest.iter().take(8) {
        let _ = write!(tag, "{b:02x}");
    }
    tag.push('"');
    tag
}

/// Writes into a hash.
struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether `If-None-Match` lists `etag` (weak or strong) or is `*`.
fn if_none_match(headers: &Presented, etag: &str) -> bool {
    headers.if_none_match.iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == etag
        },
    )
}

/// `GET /ofrep/v1/configuration`: what this server supports.
async fn configuration() -> Response {
    axum::Json(json!({
        "name": "tether",
        "capabilities": {
            "cacheInvalidation": { "polling": { "enabled": true, "minPollingIntervalMs": 1000 } },
            "flagEvaluation": { "supportedTypes": ["boolean", "string", "int", "float", "object"] }
        }
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use sha2::{Digest, Sha256};
    use tether_store::SdkKeyScope;

    use super::bulk_etag;

    #[test]
    fn the_bulk_etag_is_the_version_and_the_hash_of_environment_and_context() {
        let scope = SdkKeyScope { project: "shop".into(), env: "production".into(), env_id: 7 };
        let Value::Object(ctx) = json!({"targetingKey": "u1", "country": "FR", "n": [1, 2.5]})
        else {
            unreachable!()
        };
        // Spelt out: SHA-256 of project, NUL, environment, NUL, its id (little-endian) and the
        // context as serde_json writes it; the first 8 bytes in hex after the version.
        let mut bytes = b"shop\0production\0".to_vec();
        bytes.extend_from_slice(&7i64.to_le_bytes());
        bytes.extend_from_slice(br#"{"country":"FR","n":[1,2.5],"targetingKey":"u1"}"#);
        let digest = Sha256::digest(&bytes);
        let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(bulk_etag(&scope, 42, &ctx), format!("\"42-{hex}\""));
        // Another context, version or environment gives another tag.
        let other = SdkKeyScope { env_id: 8, ..scope.clone() };
        assert_ne!(bulk_etag(&other, 42, &ctx), bulk_etag(&scope, 42, &ctx));
        assert_ne!(bulk_etag(&scope, 43, &ctx), bulk_etag(&scope, 42, &ctx));
    }
}
