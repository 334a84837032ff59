//! The Atlassian Connect app: `GET /atlassian-connect.json`, the descriptor Jira
//! Cloud installs tether from, and the lifecycle callbacks Jira posts
//! (`/connect/installed`, `/connect/uninstalled`). Its `jiraFeatureFlagInfoProvider`
//! module lets Jira show tether's flags on issues, and its actions open tether's
//! issue-side pages (create a flag from an issue, link a flag, list an issue's flags).
//!
//! Every request from Jira that carries a JWT (`Authorization: JWT …` or `?jwt=`)
//! is verified before anything else happens: HS256 under the installation's
//! shared secret, expiry, and the `qsh` that binds it to this request (method,
//! path relative to `public_url`, query). A refusal is 401 and changes nothing.
//!
//! The `installed` and `uninstalled` callbacks are trusted only when Atlassian
//! signed them: RS256 under the public key the JWT's `kid` names (fetched from
//! `jira.connect_install_keys_url`, cached), `aud` = tether's `public_url`, `iss` =
//! the payload's clientKey, `qsh` of the request. A token signed with a secret of
//! the sender's choosing proves nothing, so a first install signed HS256 is refused.
//! The one HS256 callback accepted is one signed with the secret tether already
//! holds for that clientKey. The payload's `baseUrl` must be on
//! `jira.connect_allowed_hosts` (Atlassian's Cloud domains by default). Refusals
//! count against the caller's address ([`crate::throttle`]).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, OriginalUri, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::future::Future;

use tether_jira::{
    ConnectClaims, InstallKeyError, JwtError, connect_jwt_header, connect_jwt_issuer,
    verify_connect_install_jwt, verify_connect_jwt,
};
use tether_store::{JiraAuthKind, JiraSite, StoreError};

use crate::AppState;
use crate::error::ApiError;
use crate::throttle::ClientAddr;

const LOGO: &str = include_str!("../../static/tether-logo.svg");

/// Where Jira posts the lifecycle events, relative to the descriptor's `baseUrl`.
pub(crate) const INSTALLED_PATH: &str = "/connect/installed";
pub(crate) const UNINSTALLED_PATH: &str = "/connect/uninstalled";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/atlassian-connect.json", get(descriptor))
        .route("/static/tether-logo.svg", get(logo))
        .route(INSTALLED_PATH, post(installed))
        .route(UNINSTALLED_PATH, post(uninstalled))
}

/// The descriptor for a tether reached at `public_url`, installed as app `key`.
pub(crate) fn descriptor_json(public_url: &str, key: &str) -> Value {
    let base = public_url.trim_end_matches('/');
    json!({
        "key": key,
        "name": "tether",
        "description": "Feature flags and code from tether on Jira issues: each issue shows its \
                        flags, whether they are on, and their rollout, and the commits, branches \
                        and pull requests that mention it.",
        "vendor": {"name": "tether", "url": base},
        "baseUrl": base,
        "links": {"self": format!("{base}/atlassian-connect.json"), "homepage": base},
        "authentication": {"type": "jwt"},
        "lifecycle": {"installed": INSTALLED_PATH, "uninstalled": UNINSTALLED_PATH},
        // Install callbacks signed by Atlassian (RS256), and context JWTs with a fixed qsh.
        "apiMigrations": {"signed-install": true, "context-qsh": true},
        "apiVersion": 1,
        "scopes": ["READ", "WRITE", "DELETE"],
        "modules": {
            "jiraFeatureFlagInfoProvider": {
                "key": "tether-feature-flags",
                "name": {"value": "tether"},
                "homeUrl": base,
                "logoUrl": format!("{base}/static/tether-logo.svg"),
                "documentationUrl": format!("{base}/jira"),
                "actions": {
                    "createFlag": {"templateUrl": format!(
                        "{base}/jira/create-flag?issueKey={{issue.key}}&issueSummary={{issue.summary}}"
                    )},
                    "linkFlag": {"templateUrl": format!("{base}/jira/link-flag?issueKey={{issue.key}}")},
                    "listFlags": {"templateUrl": format!("{base}/jira/issue-flags?issueKey={{issue.key}}")}
                }
            },
            // Lets the Development Information API take commits, branches and pull
            // requests from tether's code repositories (Connect apps need the module).
            "jiraDevelopmentTool": {
                "key": "tether-development",
                "name": {"value": "tether"},
                "application": {"value": "tether"},
                "url": format!("{base}/code"),
                "logoUrl": format!("{base}/static/tether-logo.svg"),
                "capabilities": ["commit", "branch", "pull_request"]
            },
            // The `tether.flags` issue property, searchable in Jira's JQL.
            "jiraEntityProperties": [{
                "key": "tether-flags-index",
                "name": {"value": "tether flags"},
                "entityType": "issue",
                "keyConfigurations": [{
                    "propertyKey": super::forge::PROPERTY_KEY,
                    "extractions": super::forge::INDEXED.iter().map(|i| json!({
                        "objectName": i.path, "type": i.kind, "alias": i.alias,
                    })).collect::<Vec<_>>(),
                }],
            }]
        }
    })
}

async fn descriptor(State(state): State<AppState>) -> Response {
    let doc = descriptor_json(&state.config.public_url, &state.config.connect_app_key);
    ([(CACHE_CONTROL, "no-cache")], axum::Json(doc)).into_response()
}

async fn logo() -> Response {
    ([(CONTENT_TYPE, "image/svg+xml"), (CACHE_CONTROL, "public, max-age=86400")], LOGO)
        .into_response()
}

/// The JWT a request from Jira carries: `Authorization: JWT …`, else `?jwt=`.
fn presented_jwt(headers: &HeaderMap, query: &[(String, String)]) -> Option<String> {
    let header = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("JWT ").or_else(|| v.strip_prefix("jwt ")))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    header
        .map(str::to_owned)
        .or_else(|| query.iter().find(|(k, _)| k == "jwt").map(|(_, v)| v.clone()))
}

/// The request's query as decoded pairs (`+` as a space, as Connect's qsh wants).
fn query_pairs(uri: &axum::http::Uri) -> Vec<(String, String)> {
    uri.query().map(form_urlencoded_pairs).unwrap_or_default()
}

fn form_urlencoded_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(k), decode_component(v))
        })
        .collect()
}

fn decode_component(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn now_secs(clock: &tether_store::Clock) -> i64 {
    clock.now_ms() / 1000
}

/// A refusal of a request from Jira: 401 with the reason (never a secret). The
/// warning is logged where the refusal is answered, rate-limited.
fn refused(why: impl Into<String>) -> ApiError {
    ApiError::Unauthorized(why.into())
}

fn jwt_refused(e: JwtError) -> ApiError {
    refused(e.to_string())
}

/// What Jira posts to the lifecycle URLs (the fields tether uses).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Lifecycle {
    key: String,
    client_key: String,
    #[serde(default)]
    shared_secret: Option<String>,
    base_url: String,
    #[serde(default)]
    display_url: Option<String>,
    #[serde(default)]
    cloud_id: Option<String>,
    #[serde(default)]
    product_type: Option<String>,
}

fn parse_lifecycle(body: &Bytes) -> Result<Lifecycle, ApiError> {
    let l: Lifecycle = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("not a Connect lifecycle payload: {e}")))?;
    if l.client_key.trim().is_empty() {
        return Err(ApiError::invalid("clientKey", "the clientKey is empty"));
    }
    if !(l.base_url.starts_with("https://") || l.base_url.starts_with("http://")) {
        return Err(ApiError::invalid("baseUrl", "expected the site's http(s) base URL"));
    }
    Ok(l)
}

/// The request as the JWT's `qsh` covers it.
struct Signed<'a> {
    method: &'a Method,
    path: &'a str,
    query: Vec<(String, String)>,
    token: String,
}

fn signed<'a>(
    method: &'a Method,
    uri: &'a axum::http::Uri,
    headers: &HeaderMap,
) -> Result<Signed<'a>, ApiError> {
    let query = query_pairs(uri);
    let token = presented_jwt(headers, &query).ok_or_else(|| {
        refused("a request from Jira must carry a Connect JWT (Authorization: JWT …)")
    })?;
    Ok(Signed { method, path: uri.path(), query, token })
}

fn verify(
    s: &Signed<'_>,
    secret: &SecretString,
    context: bool,
    clock: &tether_store::Clock,
) -> Result<ConnectClaims, JwtError> {
    let now = now_secs(clock);
    verify_connect_jwt(&s.token, secret, s.method.as_str(), s.path, &s.query, now, context)
}

/// Checks the claims' audience, when the token names one, against this app.
fn check_audience(state: &AppState, claims: &ConnectClaims) -> Result<(), ApiError> {
    let ours = state.config.public_url.trim_end_matches('/');
    if claims.aud.is_empty() || claims.aud.iter().any(|a| a.trim_end_matches('/') == ours) {
        Ok(())
    } else {
        Err(refused(format!(
            "the JWT is meant for {}, not for this tether ({ours})",
            claims.aud.join(", ")
        )))
    }
}

/// Who vouched for a lifecycle callback.
enum Signer {
    /// Atlassian, with its published key (RS256).
    Atlassian,
    /// The installation itself, with the shared secret tether holds for it (HS256).
    StoredSecret,
}

/// Runs a lifecycle handler under the caller's failure allowance: refused while the
/// allowance is spent, and a refusal (401) spends from it.
async fn throttled<F>(state: &AppState, addr: ClientAddr, handle: F) -> Result<StatusCode, ApiError>
where
    F: Future<Output = Result<StatusCode, ApiError>>,
{
    state.throttle.check(addr.0).map_err(crate::throttle::too_many)?;
    let result = handle.await;
    if let Err(ApiError::Unauthorized(why)) = &result {
        crate::throttle::refused(state, addr.0, "a Connect lifecycle callback", why);
    }
    result
}

/// Verifies a lifecycle callback's JWT as Atlassian signs it (see the module doc).
async fn verify_lifecycle(
    state: &AppState,
    request: &Signed<'_>,
) -> Result<(ConnectClaims, Signer), ApiError> {
    let header = connect_jwt_header(&request.token).map_err(jwt_refused)?;
    match header.alg.as_str() {
        "RS256" => {
            let kid = header.kid.ok_or_else(|| jwt_refused(JwtError::MissingKeyId))?;
            let key = state.install_keys.key(&kid).await.map_err(|e| match e {
                InstallKeyError::Unreachable { .. } => ApiError::Unavailable(e.to_string()),
                other => refused(other.to_string()),
            })?;
            let claims = verify_connect_install_jwt(
                &request.token,
                &key,
                request.method.as_str(),
                request.path,
                &request.query,
                now_secs(&state.clock),
                &state.config.public_url,
            )
            .map_err(jwt_refused)?;
            Ok((claims, Signer::Atlassian))
        }
        "HS256" => {
            let issuer = connect_jwt_issuer(&request.token).map_err(jwt_refused)?;
            let site = match known_site(state, &issuer).await {
                Ok(site) => site,
                Err(ApiError::Unauthorized(_)) => {
                    return Err(refused(
                        "a Connect install must be signed by Atlassian (RS256 with a published \
                         key); a token signed with the secret it brings proves nothing",
                    ));
                }
                Err(e) => return Err(e),
            };
            let secret = state.store.jira_site_secret(site.id).await?;
            let claims = verify(request, &secret, false, &state.clock).map_err(|e| match e {
                JwtError::BadSignature => refused(
                    "the callback is signed neither by Atlassian (RS256) nor with the shared \
                     secret of this installation",
                ),
                other => jwt_refused(other),
            })?;
            check_audience(state, &claims)?;
            Ok((claims, Signer::StoredSecret))
        }
        other => Err(jwt_refused(JwtError::UnsupportedAlgorithm {
            alg: other.to_owned(),
            expected: "RS256",
        })),
    }
}

/// Whether a Connect install from `base_url` is allowed: its host is on
/// `jira.connect_allowed_hosts` (`*.suffix` or exact; the port is not compared).
fn allowed_base_url(allowed: &[String], base_url: &str) -> bool {
    let Ok(url) = base_url.parse::<axum::http::Uri>() else { return false };
    if !matches!(url.scheme_str(), Some("https" | "http")) {
        return false;
    }
    let Some(host) = url.host().map(|h| h.trim_end_matches('.').to_ascii_lowercase()) else {
        return false;
    };
    allowed.iter().any(|pattern| {
        let pattern = pattern.trim().to_ascii_lowercase();
        match pattern.strip_prefix("*.") {
            Some(suffix) => host.len() > suffix.len() + 1 && host.ends_with(&format!(".{suffix}")),
            None => host == pattern,
        }
    })
}

async fn installed(
    State(state): State<AppState>,
    addr: ClientAddr,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let handle = async {
        let request = signed(&method, &uri, &headers)?;
        let payload = parse_lifecycle(&body)?;
        let (claims, signer) = verify_lifecycle(&state, &request).await?;
        if claims.iss != payload.client_key {
            return Err(refused("the JWT's issuer is not the clientKey being installed"));
        }
        if payload.key != state.config.connect_app_key {
            return Err(ApiError::BadRequest(format!(
                "this tether is the Connect app {:?}, not {:?}",
                state.config.connect_app_key, payload.key
            )));
        }
        if !allowed_base_url(&state.config.connect_allowed_hosts, &payload.base_url) {
            return Err(ApiError::Forbidden(format!(
                "Connect installs from {} are not allowed: its host is not on \
                 jira.connect_allowed_hosts",
                payload.base_url
            )));
        }
        let new_secret = payload
            .shared_secret
            .clone()
            .filter(|s| !s.is_empty())
            .map(SecretString::from)
            .ok_or_else(|| {
                ApiError::invalid("sharedSecret", "an install must bring a sharedSecret")
            })?;
        let known = match state.store.jira_site_by_client_key(&payload.client_key).await {
            Ok(site) => Some(site),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let mut options = Map::new();
        options.insert("app_key".into(), payload.key.clone().into());
        for (name, value) in [
            ("cloud_id", &payload.cloud_id),
            ("display_url", &payload.display_url),
            ("product_type", &payload.product_type),
        ] {
            if let Some(v) = value {
                options.insert(name.into(), v.clone().into());
            }
        }
        let site = state
            .store
            .install_connect_site(&payload.client_key, &payload.base_url, &new_secret, options)
            .await?;
        state.jira.forget(site.id).await;
        // Jira keeps nothing across an uninstall: send every linked flag again.
        let queued = tether_sync::jira::enqueue_site(&state.store, site.id)
            .await
            .map_err(ApiError::internal)?;
        let signed_by = match signer {
            Signer::Atlassian => "atlassian",
            Signer::StoredSecret => "installation",
        };
        tracing::info!(site = %site.name, url = %site.url, reinstall = known.is_some(), signed_by, queued, "Connect app installed");
        Ok(StatusCode::NO_CONTENT)
    };
    throttled(&state, addr, handle).await
}

async fn uninstalled(
    State(state): State<AppState>,
    addr: ClientAddr,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let handle = async {
        let request = signed(&method, &uri, &headers)?;
        let payload = parse_lifecycle(&body)?;
        let (claims, _) = verify_lifecycle(&state, &request).await?;
        if claims.iss != payload.client_key {
            return Err(refused("the JWT's issuer is not the clientKey being uninstalled"));
        }
        let site = known_site(&state, &claims.iss).await?;
        let site = state.store.uninstall_connect_site(&site.auth_user).await?;
        state.jira.forget(site.id).await;
        tracing::info!(site = %site.name, "Connect app uninstalled; the site is disabled");
        Ok(StatusCode::NO_CONTENT)
    };
    throttled(&state, addr, handle).await
}

async fn known_site(state: &AppState, client_key: &str) -> Result<JiraSite, ApiError> {
    match state.store.jira_site_by_client_key(client_key).await {
        Ok(site) if site.auth_kind == JiraAuthKind::Connect => Ok(site),
        Ok(_) | Err(StoreError::NotFound) => {
            Err(refused("the JWT names an installation tether does not know"))
        }
        Err(e) => Err(e.into()),
    }
}

/// A page Jira opened: when the request carries a Connect JWT, it was verified
/// (context `qsh` allowed, as Connect allows for page loads); `None` when it
/// carries none (a person following a link).
#[derive(Debug)]
pub(crate) struct FromJira(pub Option<(JiraSite, ConnectClaims)>);

impl FromRequestParts<AppState> for FromJira {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<FromJira, Response> {
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map(|u| u.0.clone())
            .unwrap_or_else(|| parts.uri.clone());
        let query = query_pairs(&uri);
        let Some(token) = presented_jwt(&parts.headers, &query) else { return Ok(FromJira(None)) };
        let addr = crate::throttle::client_addr(parts);
        if let Err(wait) = state.throttle.check(addr) {
            return Err(crate::throttle::too_many(wait).into_response());
        }
        let check = async {
            let issuer = connect_jwt_issuer(&token).map_err(jwt_refused)?;
            let site = known_site(state, &issuer).await?;
            let secret = state.store.jira_site_secret(site.id).await?;
            let request = Signed { method: &parts.method, path: uri.path(), query, token };
            let claims = verify(&request, &secret, true, &state.clock).map_err(jwt_refused)?;
            check_audience(state, &claims)?;
            Ok::<_, ApiError>((site, claims))
        };
        match check.await {
            Ok(found) => Ok(FromJira(Some(found))),
            Err(e) => {
                if let ApiError::Unauthorized(why) = &e {
                    crate::throttle::refused(state, addr, "a page load from Jira", why);
                }
                Err(e.into_response())
            }
        }
    }
}

#[cfg(test)]
mod tests;
