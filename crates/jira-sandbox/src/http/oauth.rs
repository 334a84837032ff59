//! OAuth 2.0 client credentials (Cloud): the token endpoint, and the gateway-style URLs
//! (`/ex/jira/{cloudId}/rest/api/...`, `/jira/featureflags/0.1/cloud/{cloudId}/...`) that
//! clients holding such tokens call.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json, Router};
use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::time::Instant;
use tower::ServiceExt;

use crate::Sandbox;

const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "error_description": description}))).into_response()
}

/// `POST /oauth/token` with `grant_type=client_credentials`, the client id and secret in the
/// body (JSON or form) or as Basic credentials.
pub(crate) async fn token(State(sb): State<Sandbox>, req: Request) -> Response {
    let basic = super::auth::credentials(req.headers());
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let mut params: HashMap<String, String> = if is_json {
        match Json::<Value>::from_request(req, &()).await {
            Ok(Json(Value::Object(o))) => {
                o.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned()))).collect()
            }
            _ => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Malformed body"),
        }
    } else {
        match Form::<HashMap<String, String>>::from_request(req, &()).await {
            Ok(Form(f)) => f,
            Err(_) => {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Malformed body");
            }
        }
    };
    if let super::auth::Credentials::Basic { id, secret } = basic {
        params.entry("client_id".into()).or_insert(id);
        params.entry("client_secret".into()).or_insert(secret);
    }
    if params.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Only client_credentials is supported",
        );
    }
    let (id, secret) = (params.get("client_id"), params.get("client_secret"));
    let found = {
        let state = sb.read();
        state
            .oauth_clients
            .iter()
            .position(|(c, _)| Some(&c.client_id) == id && Some(&c.client_secret) == secret)
            .map(|i| (i, state.oauth_clients[i].0.permissions.clone()))
    };
    let Some((client, permissions)) = found else {
        return oauth_error(StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized");
    };
    let mut rt = sb.runtime();
    rt.tokens_issued += 1;
    let seed = format!("{}:{}:{:?}", rt.tokens_issued, id.map_or("", |s| s), Instant::now());
    let token =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(seed.as_bytes()));
    rt.oauth_tokens.insert(token.clone(), (client, Instant::now() + TOKEN_LIFETIME));
    // The scopes of the permissions the credential had when the token was issued; the
    // permissions themselves are checked on every call, so a change applies at once. No
    // platform scope (`read:jira-work` …): these credentials reach the DevOps APIs only.
    let scope: Vec<&str> = permissions.iter().map(|p| p.scope()).collect();
    Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME.as_secs(),
        "scope": scope.join(" "),
    }))
    .into_response()
}

/// Whether a token of OAuth credentials for self-hosted tools may call `path` (site-relative,
/// after the gateway rewrite): the DevOps APIs only. Atlassian calls these credentials "a
/// system-to-system integration, not associated with any Jira user" (support.atlassian.com,
/// "Integrate with self-hosted tools using OAuth"), granted per DevOps API; the developer page
/// "Integrating Jira Software Cloud with on-premises tools" covers the Builds, Deployments,
/// Development Information and Feature Flags APIs and nothing else.
///
/// One exception the sandbox keeps on purpose: the dynamic webhook API (`/rest/api/*/webhook`),
/// which on Jira is for Connect and OAuth 2.0 (3LO) apps. The sandbox has no 3LO apps, and its
/// tests use these tokens to stand in for one there.
pub(crate) fn reaches(path: &str) -> bool {
    let devops = ["/rest/featureflags/", "/rest/devinfo/", "/rest/builds/", "/rest/deployments/"];
    if devops.iter().any(|p| path.starts_with(p)) {
        return true;
    }
    let webhook = path.strip_prefix("/rest/api/").and_then(|rest| rest.split_once('/'));
    matches!(webhook, Some((_, rest)) if rest == "webhook" || rest.starts_with("webhook/"))
}

/// What the platform and agile REST APIs answer such a token. Atlassian documents no answer
/// for this case; this is the gateway's answer to a token whose scopes do not cover the API
/// (`{"code":401,"message":"Unauthorized; scope does not match"}`), as reported for
/// `api.atlassian.com/ex/jira/{cloudId}/...` calls in Atlassian's community threads.
pub(crate) fn platform_refused() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"code": 401, "message": "Unauthorized; scope does not match"})),
    )
        .into_response()
}

/// The client (index in `State::oauth_clients`) of an unexpired OAuth 2.0 access token, and
/// the user it acts as.
pub(crate) fn token_client(sb: &Sandbox, token: &str) -> Option<(usize, usize)> {
    let client = {
        let rt = sb.runtime();
        let (client, expires) = rt.oauth_tokens.get(token)?;
        (Instant::now() < *expires).then_some(*client)?
    };
    let state = sb.read();
    state.oauth_clients.get(client).map(|(_, user)| (client, *user))
}

async fn rewrite(inner: Router, cloud_id: &str, target: String, req: Request) -> Response {
    if cloud_id != crate::CLOUD_ID {
        return super::ApiError::NotFound(format!("No Jira site with cloudId '{cloud_id}'."))
            .into_response();
    }
    let uri = match req.uri().query() {
        Some(q) => format!("{target}?{q}"),
        None => target,
    };
    let Ok(uri) = uri.parse::<Uri>() else {
        return super::ApiError::bad("Malformed URL").into_response();
    };
    // A fresh request: the outer route's path parameters live in the extensions and would
    // confuse the inner handlers' `Path` extractors.
    let (parts, body) = req.into_parts();
    let mut fresh = Request::new(body);
    *fresh.method_mut() = parts.method;
    *fresh.uri_mut() = uri;
    *fresh.version_mut() = parts.version;
    *fresh.headers_mut() = parts.headers;
    match inner.oneshot(fresh).await {
        Ok(r) => r,
        Err(never) => match never {},
    }
}

/// `/ex/jira/{cloudId}/rest/api/3/...` → `/rest/api/3/...`.
pub(crate) async fn platform_gateway(
    State(inner): State<Router>,
    Path((cloud_id, rest)): Path<(String, String)>,
    req: Request,
) -> Response {
    rewrite(inner, &cloud_id, format!("/{rest}"), req).await
}

/// `/jira/featureflags/0.1/cloud/{cloudId}/bulk` → `/rest/featureflags/0.1/bulk`, and the
/// same for the other DevOps APIs (`devinfo/0.10`, `builds/0.1`, `deployments/0.1`).
pub(crate) async fn devops_gateway(
    State(inner): State<Router>,
    Path((api, version, cloud_id, rest)): Path<(String, String, String, String)>,
    req: Request,
) -> Response {
    match super::devops::DevOpsApi::from_segment(&api).filter(|a| a.version() == version) {
        Some(a) => {
            rewrite(inner, &cloud_id, format!("/rest/{}/{version}/{rest}", a.segment()), req).await
        }
        None => super::ApiError::NotFound("Not found".into()).into_response(),
    }
}
