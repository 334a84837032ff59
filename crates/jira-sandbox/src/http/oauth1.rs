//! OAuth 1.0a application links (Data Center): the three-legged dance under
//! `/plugins/servlet/oauth/` and the check of signed API requests.
//!
//! `POST request-token` (signed by the consumer, `oauth_callback`) → `GET authorize?oauth_token=`
//! (auto-approved for the logged-in user, or the sandbox's first user; redirects to the callback
//! with `oauth_verifier`, or shows the verifier for `oob`) → `POST access-token` (signed with
//! the request token and `oauth_verifier`). Requests signed with the access token then act as
//! the user who authorised it.

use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

use super::{Params, base_url};
use crate::Sandbox;
use crate::oauth1::{
    ACCESS_TOKEN_EXPIRES_S, AccessToken, RequestToken, Signed, base_uri, check, encode,
    random_token,
};
use crate::state::UserIdx;
use crate::time::now_ms;

pub(crate) fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/request-token", post(request_token))
        .route("/authorize", get(authorize))
        .route("/access-token", post(access_token))
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|q| q.0)
        .unwrap_or_default()
}

/// The user a request signed with an OAuth 1.0a access token acts as.
pub(crate) fn api_user(
    sb: &Sandbox,
    method: &Method,
    uri: &Uri,
    base: &str,
    header: &str,
) -> Option<UserIdx> {
    let params = query_pairs(uri);
    let state = sb.read();
    let mut rt = sb.runtime();
    let signed = check(
        &state,
        &mut rt.oauth1,
        method.as_str(),
        &base_uri(base, uri.path()),
        header,
        &params,
        now_ms() / 1000,
    )
    .ok()?;
    let token = rt.oauth1.access.get(signed.token.as_deref()?)?;
    (token.consumer == signed.consumer).then_some(token.user)
}

/// 401 with the problem in the `WWW-Authenticate` header and the body, as Jira reports it.
fn problem(base: &str, problem: &str) -> Response {
    let mut resp = (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "application/x-www-form-urlencoded")],
        format!("oauth_problem={problem}"),
    )
        .into_response();
    if let Ok(v) =
        HeaderValue::from_str(&format!("OAuth realm=\"{base}\", oauth_problem=\"{problem}\""))
    {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

fn form_response(pairs: &[(&str, String)]) -> Response {
    let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    ([(header::CONTENT_TYPE, "application/x-www-form-urlencoded")], body.join("&")).into_response()
}

/// Checks the signature of a dance request (query and form body parameters included).
async fn signed(sb: &Sandbox, req: Request) -> Result<Signed, Response> {
    let base = base_url(sb, req.headers());
    let method = req.method().clone();
    // Nested routes see a stripped path; the signature covers the full one.
    let uri = req
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| req.uri().clone(), |o| o.0.clone());
    let header_value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' ').filter(|(s, _)| s.eq_ignore_ascii_case("oauth")))
        .map(|(_, rest)| rest.to_owned());
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let mut params = query_pairs(&uri);
    if is_form {
        match Form::<Vec<(String, String)>>::from_request(req, &()).await {
            Ok(Form(body)) => params.extend(body),
            Err(_) => return Err(problem(&base, "parameter_rejected")),
        }
    }
    // Protocol parameters may come in the query or body instead of the header.
    let header_value = match header_value {
        Some(h) => h,
        None => params
            .iter()
            .filter(|(k, _)| k.starts_with("oauth_"))
            .map(|(k, v)| format!("{}=\"{}\"", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join(","),
    };
    let params: Vec<(String, String)> = if header_value.is_empty() {
        params
    } else {
        // Parameters moved into the header value must not count twice.
        let in_header = crate::oauth1::parse_header(&header_value).unwrap_or_default();
        params.into_iter().filter(|p| !in_header.contains(p)).collect()
    };
    let state = sb.read();
    let mut rt = sb.runtime();
    check(
        &state,
        &mut rt.oauth1,
        method.as_str(),
        &base_uri(&base, uri.path()),
        &header_value,
        &params,
        now_ms() / 1000,
    )
    .map_err(|p| problem(&base, p))
}

async fn request_token(State(sb): State<Sandbox>, req: Request) -> Response {
    let s = match signed(&sb, req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let callback = s.protocol.get("oauth_callback").cloned().unwrap_or_else(|| "oob".into());
    let token = random_token(32);
    let secret = random_token(32);
    sb.runtime()
        .oauth1
        .request
        .insert(token.clone(), RequestToken { consumer: s.consumer, callback, authorized: None });
    form_response(&[
        ("oauth_token", token),
        ("oauth_token_secret", secret),
        ("oauth_callback_confirmed", "true".into()),
    ])
}

/// The approval page. Jira asks the logged-in user to allow access; the sandbox approves at
/// once for whoever the request authenticates as (Basic or PAT), else for its first user.
async fn authorize(State(sb): State<Sandbox>, headers: HeaderMap, params: Params) -> Response {
    let base = base_url(&sb, &headers);
    let Some(token) = params.get("oauth_token").map(str::to_owned) else {
        return problem(&base, "parameter_absent");
    };
    let user = if headers.contains_key(header::AUTHORIZATION) {
        let uri: Uri = "/plugins/servlet/oauth/authorize".parse().expect("static");
        match super::auth::authenticate(&sb, &Method::GET, &uri, &headers, &base) {
            Ok(super::Principal(Some(u), _)) => u,
            _ => return problem(&base, "permission_denied"),
        }
    } else {
        0
    };
    let verifier = random_token(16);
    let callback = {
        let mut rt = sb.runtime();
        let Some(rq) = rt.oauth1.request.get_mut(&token) else {
            return problem(&base, "token_rejected");
        };
        rq.authorized = Some((user, verifier.clone()));
        rq.callback.clone()
    };
    if callback == "oob" {
        let name = super::browse::escape(&sb.read().users[user].spec.display_name);
        return Html(format!(
            "<!DOCTYPE html><html><head><title>Access approved</title></head><body>\
             <h1>Access approved</h1><p>{name} allowed access. Your verification code is \
             '<code id=\"oauth_verifier\">{verifier}</code>'.</p></body></html>"
        ))
        .into_response();
    }
    let sep = if callback.contains('?') { '&' } else { '?' };
    let location = format!(
        "{callback}{sep}oauth_token={}&oauth_verifier={}",
        encode(&token),
        encode(&verifier)
    );
    match HeaderValue::from_str(&location) {
        Ok(v) => (StatusCode::FOUND, [(header::LOCATION, v)]).into_response(),
        Err(_) => problem(&base, "parameter_rejected"),
    }
}

async fn access_token(State(sb): State<Sandbox>, req: Request) -> Response {
    let base = base_url(&sb, req.headers());
    let s = match signed(&sb, req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut rt = sb.runtime();
    let Some(token) = s.token.as_deref() else {
        return problem(&base, "parameter_absent");
    };
    let Some(rq) = rt.oauth1.request.get(token).filter(|r| r.consumer == s.consumer) else {
        return problem(&base, "token_rejected");
    };
    let Some((user, verifier)) = rq.authorized.clone() else {
        return problem(&base, "permission_unknown");
    };
    if s.protocol.get("oauth_verifier") != Some(&verifier) {
        return problem(&base, "permission_denied");
    }
    rt.oauth1.request.remove(token);
    let access = random_token(32);
    rt.oauth1.access.insert(access.clone(), AccessToken { consumer: s.consumer, user });
    form_response(&[
        ("oauth_token", access),
        ("oauth_token_secret", random_token(32)),
        ("oauth_expires_in", ACCESS_TOKEN_EXPIRES_S.to_string()),
        ("oauth_authorization_expires_in", ACCESS_TOKEN_EXPIRES_S.to_string()),
    ])
}
