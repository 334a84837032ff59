//! The one check every form post of the web UI goes through against cross-site
//! request forgery, as a layer over the pages' routes:
//!
//! - a post that says it comes from another site (`Sec-Fetch-Site: cross-site` or
//!   `same-site`), or whose `Origin` is not tether's own (`public_url`), is refused;
//! - a post made with the session cookie must carry the session's CSRF token in a
//!   `csrf` field. The token is derived from the session id (SHA-256 of it under a
//!   fixed label), so only a page tether served to that session holds it;
//! - every HTML page shown to a session gets the token in each `<form method="post">`
//!   as a hidden field, so no page or feature has to remember it.
//!
//! Requests with `Authorization: Bearer` carry no ambient credential and need no
//! token; the API takes bearer tokens only (`auth.rs`).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, ORIGIN};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::page::UiError;
use super::signin::session_cookie;
use crate::AppState;
use crate::error::ApiError;

/// The hidden field forms carry the token in.
pub(crate) const FIELD: &str = "csrf";

/// Pages are small; a larger one is passed through without tokens (and its forms
/// then fail loudly rather than silently).
const MAX_PAGE: usize = 4 * 1024 * 1024;

/// The CSRF token of a session.
pub(crate) fn token_for(session_id: &str) -> String {
    let digest = Sha256::digest(format!("tether-csrf:{session_id}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Forms are posted from tether's own pages only. Browsers say where a request
/// comes from in `Sec-Fetch-Site` and `Origin`; other clients send neither.
pub(crate) fn refuse_cross_site(headers: &HeaderMap, public_url: &str) -> Result<(), UiError> {
    let from = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()).unwrap_or("none");
    let foreign = || {
        UiError::Forbidden("tether's forms can only be posted from tether's own pages".to_owned())
    };
    if from == "cross-site" || from == "same-site" {
        return Err(foreign());
    }
    if let Some(origin) = headers.get(ORIGIN) {
        let origin = origin.to_str().unwrap_or("null");
        if origin != own_origin(public_url) {
            return Err(foreign());
        }
    }
    Ok(())
}

/// `scheme://host[:port]` of `public_url`, as browsers write `Origin`.
fn own_origin(public_url: &str) -> String {
    match public_url.parse::<axum::http::Uri>() {
        Ok(u) => match (u.scheme_str(), u.authority()) {
            (Some(scheme), Some(authority)) => format!("{scheme}://{authority}"),
            _ => public_url.trim_end_matches('/').to_owned(),
        },
        Err(_) => public_url.trim_end_matches('/').to_owned(),
    }
}

/// The layer: checks posts, and puts the session's token into the forms of the
/// pages it answers.
pub(crate) async fn protect(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let bearer = req.headers().contains_key(axum::http::header::AUTHORIZATION);
    let session = if bearer { None } else { session_cookie(req.headers()).map(str::to_owned) };
    let req = if req.method() == Method::POST {
        if let Err(e) = refuse_cross_site(req.headers(), &state.config.public_url) {
            return e.into_response();
        }
        // Signing in starts a session (a new one if there was one): there is none
        // to protect yet, and a stale cookie must not stop it.
        let signing_in = req.uri().path() == "/signin";
        match session.as_deref().filter(|_| !signing_in) {
            Some(id) => match checked(req, id, state.config.body_limit).await {
                Ok(req) => req,
                Err(response) => return response,
            },
            None => req,
        }
    } else {
        req
    };
    let response = next.run(req).await;
    match session {
        Some(id) if is_html(&response) => with_tokens(response, &token_for(&id)).await,
        _ => response,
    }
}

/// The request again if its form carries the session's token; the refusal if not.
async fn checked(req: Request, session_id: &str, limit: usize) -> Result<Request, Response> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::PayloadTooLarge(format!("the form is larger than the limit of {limit} bytes"))
            .into_response()
    })?;
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let sent = fields.iter().find(|(k, _)| k == FIELD).map(|(_, v)| v.as_str()).unwrap_or("");
    let expected = token_for(session_id);
    if !bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) {
        return Err(UiError::Forbidden(
            "this form is not from your current session (it is stale, or it came from another \
             site): reload the page and send it again"
                .to_owned(),
        )
        .into_response());
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// The page with a hidden token field after every `<form … method="post" …>` tag.
async fn with_tokens(response: Response, token: &str) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE).await else {
        return ApiError::internal(std::io::Error::other("a page too large to answer"))
            .into_response();
    };
    let Ok(html) = std::str::from_utf8(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let page = insert_tokens(html, token);
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(page))
}

/// `html` with `<input type="hidden" name="csrf" value="…">` after each post form's
/// opening tag.
pub(crate) fn insert_tokens(html: &str, token: &str) -> String {
    let field = format!(r#"<input type="hidden" name="{FIELD}" value="{token}">"#);
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(start) = find_ascii_ci(rest, "<form") {
        let Some(end) = rest[start..].find('>').map(|e| start + e + 1) else { break };
        let tag = &rest[start..end];
        out.push_str(&rest[..end]);
        if tag.to_ascii_lowercase().replace('\'', "\"").contains("method=\"post\"") {
            out.push_str(&field);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_forms_get_the_token_and_others_do_not() {
        let html = r#"<form action="/a" method="post"><input name="x"></form><FORM METHOD='POST'>
<form method="get" action="/flags"></form><p>no form</p>"#;
        let out = insert_tokens(html, "T");
        assert_eq!(out.matches(r#"name="csrf" value="T""#).count(), 2, "{out}");
        assert!(out.contains(r#"<form method="get" action="/flags"></form>"#));
        assert_eq!(insert_tokens("<p>plain</p>", "T"), "<p>plain</p>");
        assert_eq!(insert_tokens("<form method=\"post\"", "T"), "<form method=\"post\"");
    }

    #[test]
    fn tokens_are_per_session_and_hide_the_session_id() {
        let a = token_for("tether-session-aaaa");
        assert_eq!(a, token_for("tether-session-aaaa"));
        assert_ne!(a, token_for("tether-session-aaab"));
        assert!(!a.contains("aaaa") && a.len() == 64);
    }

    #[test]
    fn origins_of_other_sites_are_refused() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, v.parse().unwrap());
            }
            h
        };
        let own = "https://flags.example.com/";
        let ok = |h: HeaderMap| refuse_cross_site(&h, own).is_ok();
        assert!(ok(headers(&[])), "no browser headers: not a browser");
        assert!(ok(headers(&[("sec-fetch-site", "same-origin")])));
        assert!(ok(headers(&[("origin", "https://flags.example.com")])));
        assert!(!ok(headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!ok(headers(&[("sec-fetch-site", "same-site")])));
        // Reported: a post without Sec-Fetch-Site and with a foreign Origin was written.
        assert!(!ok(headers(&[("origin", "https://evil.example")])));
        assert!(!ok(headers(&[("origin", "null")])));
        assert!(!ok(headers(&[("origin", "https://flags.example.com.evil.example")])));
    }
}
