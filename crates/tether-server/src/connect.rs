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
//! The `installed` callback of a first install can only be checked against the
//! shared secret it brings (how HS256 installs work: the sandbox signs with it).
//! For a `clientKey` tether knows, the token may be signed with the stored secret
//! or the new one; signed only with the new one, the install may not move the
//! site to another `baseUrl`, so knowing a clientKey is not enough to take a
//! site over.

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
use tether_jira::{ConnectClaims, JwtError, connect_jwt_issuer, verify_connect_jwt};
use tether_store::{JiraAuthKind, JiraSite, StoreError, now_ms};

use crate::AppState;
use crate::error::ApiError;

const LOGO: &str = include_str!("../static/tether-logo.svg");

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
        "description": "Feature flags from tether on Jira issues: each issue shows its flags, \
                        whether they are on, and their rollout.",
        "vendor": {"name": "tether", "url": base},
        "baseUrl": base,
        "links": {"self": format!("{base}/atlassian-connect.json"), "homepage": base},
        "authentication": {"type": "jwt"},
        "lifecycle": {"installed": INSTALLED_PATH, "uninstalled": UNINSTALLED_PATH},
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
            }
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

fn now_secs() -> i64 {
    now_ms() / 1000
}

/// A refusal of a request from Jira: 401 with the reason (never a secret).
fn refused(why: impl Into<String>) -> ApiError {
    let why = why.into();
    tracing::warn!(reason = %why, "refused a request claiming to come from Jira");
    ApiError::Unauthorized(why)
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

fn verify(s: &Signed<'_>, secret: &SecretString, context: bool) -> Result<ConnectClaims, JwtError> {
    verify_connect_jwt(&s.token, secret, s.method.as_str(), s.path, &s.query, now_secs(), context)
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

async fn installed(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let request = signed(&method, &uri, &headers)?;
    let issuer = connect_jwt_issuer(&request.token).map_err(jwt_refused)?;
    let payload = parse_lifecycle(&body)?;
    if issuer != payload.client_key {
        return Err(refused("the JWT's issuer is not the clientKey being installed"));
    }
    let new_secret = payload
        .shared_secret
        .clone()
        .filter(|s| !s.is_empty())
        .map(SecretString::from)
        .ok_or_else(|| ApiError::invalid("sharedSecret", "an install must bring a sharedSecret"))?;
    let known = match state.store.jira_site_by_client_key(&payload.client_key).await {
        Ok(site) => Some(site),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let claims = match &known {
        None => verify(&request, &new_secret, false).map_err(jwt_refused)?,
        Some(site) => {
            let stored = state.store.jira_site_secret(site.id).await?;
            match verify(&request, &stored, false) {
                Ok(claims) => claims,
                Err(JwtError::BadSignature) => {
                    let claims = verify(&request, &new_secret, false).map_err(jwt_refused)?;
                    if site.url.trim_end_matches('/') != payload.base_url.trim_end_matches('/') {
                        return Err(refused(
                            "a reinstall that moves a known site to another baseUrl must be \
                             signed with the site's current shared secret",
                        ));
                    }
                    claims
                }
                Err(e) => return Err(jwt_refused(e)),
            }
        }
    };
    check_audience(&state, &claims)?;
    if payload.key != state.config.connect_app_key {
        return Err(ApiError::BadRequest(format!(
            "this tether is the Connect app {:?}, not {:?}",
            state.config.connect_app_key, payload.key
        )));
    }
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
    let queued =
        tether_sync::jira::enqueue_site(&state.store, site.id).await.map_err(ApiError::internal)?;
    tracing::info!(site = %site.name, url = %site.url, reinstall = known.is_some(), queued, "Connect app installed");
    Ok(StatusCode::NO_CONTENT)
}

async fn uninstalled(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let request = signed(&method, &uri, &headers)?;
    let issuer = connect_jwt_issuer(&request.token).map_err(jwt_refused)?;
    let site = known_site(&state, &issuer).await?;
    let secret = state.store.jira_site_secret(site.id).await?;
    let claims = verify(&request, &secret, false).map_err(jwt_refused)?;
    check_audience(&state, &claims)?;
    let payload = parse_lifecycle(&body)?;
    if payload.client_key != issuer {
        return Err(refused("the JWT's issuer is not the clientKey being uninstalled"));
    }
    let site = state.store.uninstall_connect_site(&issuer).await?;
    state.jira.forget(site.id).await;
    tracing::info!(site = %site.name, "Connect app uninstalled; the site is disabled");
    Ok(StatusCode::NO_CONTENT)
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
        let check = async {
            let issuer = connect_jwt_issuer(&token).map_err(jwt_refused)?;
            let site = known_site(state, &issuer).await?;
            let secret = state.store.jira_site_secret(site.id).await?;
            let request = Signed { method: &parts.method, path: uri.path(), query, token };
            let claims = verify(&request, &secret, true).map_err(jwt_refused)?;
            check_audience(state, &claims)?;
            Ok::<_, ApiError>((site, claims))
        };
        match check.await {
            Ok(found) => Ok(FromJira(Some(found))),
            Err(e) => Err(e.into_response()),
        }
    }
}

#[cfg(test)]
mod tests;
