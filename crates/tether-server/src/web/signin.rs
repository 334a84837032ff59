//! Signing in to the web UI with an API token. Signing in starts a server-side
//! session (`tether_store` keeps its id hashed; idle and absolute expiry; a new id
//! at every sign-in; revoked at sign-out) whose id goes into an HttpOnly,
//! SameSite=Strict cookie, `Secure` when `public_url` is https. Every page that
//! shows or changes flags needs it (or an `Authorization: Bearer` header) and acts
//! with the rights of the token signed in with.

use askama::Template;
use axum::Form;
use axum::extract::{FromRequestParts, OriginalUri, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Nav, nav};
use crate::auth::{Caller, caller_for};
use crate::error::ApiError;
use crate::throttle::ClientAddr;
use crate::{AppState, VERSION};

/// The web UI's session cookie: the session's random id.
pub(crate) const SESSION_COOKIE: &str = "tether_session";

/// The session id the request's cookie carries.
pub(crate) fn session_cookie(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('='))
        .filter(|id| !id.is_empty())
}

/// A signed-in person (or an API client with a Bearer token).
#[derive(Debug)]
pub(crate) struct UiUser(pub Caller);

impl FromRequestParts<AppState> for UiUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<UiUser, Response> {
        let found = match session_cookie(&parts.headers) {
            Some(id) if !parts.headers.contains_key(axum::http::header::AUTHORIZATION) => {
                match state.store.session_token(id, state.config.sessions).await {
                    Ok(Some(token)) => caller_for(&state.store, token).await,
                    Ok(None) => Err(ApiError::Unauthorized("the session ended".to_owned())),
                    Err(e) => Err(e.into()),
                }
            }
            _ => Caller::from_request_parts(parts, state).await,
        };
        match found {
            Ok(caller) => Ok(UiUser(caller)),
            Err(ApiError::Unauthorized(_)) => {
                let next = parts
                    .extensions
                    .get::<OriginalUri>()
                    .map(|u| u.0.to_string())
                    .unwrap_or_else(|| parts.uri.to_string());
                if parts.method == axum::http::Method::GET && from_other_site(&parts.headers) {
                    return Err(reload(&next));
                }
                let to = format!("/signin?next={}", encode(&next));
                Err(Redirect::to(&to).into_response())
            }
            Err(other) => Err(other.into_response()),
        }
    }
}

/// A navigation from another site's page (a link in Jira): the browser held
/// back the SameSite=Strict session cookie.
fn from_other_site(headers: &axum::http::HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    header("sec-fetch-site") == Some("cross-site") && header("sec-fetch-mode") == Some("navigate")
}

/// Loads `path` again from this page, so the request starts on tether's own
/// site and carries the session cookie if there is one (without it, the reload
/// asks to sign in as usual). Only tether's own paths, by construction.
fn reload(path: &str) -> Response {
    let target = safe_next(path);
    let escaped = target.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;");
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"0;url={escaped}\"><title>tether</title></head>\
         <body><p><a href=\"{escaped}\">Continue to tether</a></p></body></html>"
    );
    let mut r = Html(body).into_response();
    r.headers_mut().insert(axum::http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    nav: Nav,
    version: &'static str,
    next: String,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Next {
    #[serde(default)]
    next: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    token: String,
    #[serde(default)]
    next: String,
}

/// Only paths on this site: no open redirects. A path has no control characters
/// or white space (browsers drop tabs and newlines, so `/\t/evil.example` would
/// become `//evil.example`), and does not start with `//` or `/\` (which browsers
/// read as another host); anything else goes to `/`.
pub(crate) fn safe_next(next: &str) -> String {
    let plain = next.chars().all(|c| !c.is_control() && !c.is_whitespace() && c != '\\');
    if plain && next.starts_with('/') && !next.starts_with("//") {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

/// A path as a query value, its `/`s left as they are (readable, and legal there).
fn encode(s: &str) -> String {
    tether_jira::percent_encode(s).replace("%2F", "/")
}

fn page(next: String, error: Option<String>, status: StatusCode) -> Response {
    let page = SignInPage { nav: nav("/signin"), version: VERSION, next: safe_next(&next), error };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

pub(crate) async fn form(Query(q): Query<Next>) -> Response {
    page(q.next, None, StatusCode::OK)
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: axum::http::HeaderMap,
    Form(f): Form<SignInForm>,
) -> Response {
    if let Err(wait) = state.throttle.check(addr) {
        return crate::throttle::too_many(wait).into_response();
    }
    let token = match state.store.token_by_secret(f.token.trim()).await {
        Ok(Some(token)) => token,
        Ok(None) => {
            crate::throttle::refused(&state, addr, "a sign-in", "unknown or revoked token");
            let error = Some("That token is unknown or revoked.".to_owned());
            return page(f.next, error, StatusCode::UNAUTHORIZED);
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    // A new session id at every sign-in; the one the browser had ends here.
    if let Some(old) = session_cookie(&headers)
        && let Err(e) = state.store.revoke_session(old).await
    {
        return ApiError::from(e).into_response();
    }
    let id = match state.store.create_session(token.id, state.config.sessions).await {
        Ok(id) => id,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let mut r = Redirect::to(&safe_next(&f.next)).into_response();
    let max_age = state.config.sessions.absolute.as_secs();
    set_cookie(&mut r, &state, &format!("{id}; Max-Age={max_age}"));
    r
}

/// `POST /signout`: ends the session (it no longer works, whoever holds its id).
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Response {
    if let Some(id) = session_cookie(&headers)
        && let Err(e) = state.store.revoke_session(id).await
    {
        return ApiError::from(e).into_response();
    }
    let mut r = Redirect::to("/signin").into_response();
    set_cookie(&mut r, &state, "; Max-Age=0");
    r
}

fn set_cookie(r: &mut Response, state: &AppState, value_and_age: &str) {
    let secure = if state.config.public_url.starts_with("https://") { "; Secure" } else { "" };
    let cookie =
        format!("{SESSION_COOKIE}={value_and_age}; HttpOnly; SameSite=Strict; Path=/{secure}");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(SET_COOKIE, v);
    }
}
