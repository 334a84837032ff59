//! Atlassian Connect JWT: the HS256 tokens an installed app signs its calls with (its shared
//! secret), with the `qsh` claim binding a token to one request; and the public keys of the
//! RS256 tokens the sandbox signs its own lifecycle callbacks with (`crate::signing`). The
//! install handshake itself is in `connect_install.rs`.

use axum::http::{Method, Uri};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::Sandbox;
use crate::state::UserIdx;
use crate::time::now_ms;

/// Seconds of clock skew tolerated on `exp` and `iat`.
const LEEWAY_S: i64 = 180;

/// Why a JWT was refused (kept for the 401's message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JwtRejected(pub &'static str);

pub(crate) fn verify(
    sb: &Sandbox,
    method: &Method,
    uri: &Uri,
    token: &str,
) -> Result<UserIdx, JwtRejected> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtRejected("malformed JWT"));
    };
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok();
    let header: Value = decode(h)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(JwtRejected("malformed JWT header"))?;
    if header.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err(JwtRejected("only HS256 is accepted"));
    }
    let claims: Value = decode(p)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(JwtRejected("malformed JWT claims"))?;
    let iss = claims.get("iss").and_then(Value::as_str).ok_or(JwtRejected("no iss"))?;
    let app = {
        let state = sb.read();
        state
            .connect_apps
            .iter()
            .find(|a| a.key == iss || a.client_key == iss)
            .cloned()
            .ok_or(JwtRejected("unknown issuer"))?
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(app.shared_secret.as_bytes())
        .map_err(|_| JwtRejected("bad secret"))?;
    mac.update(format!("{h}.{p}").as_bytes());
    let sig = decode(sig).ok_or(JwtRejected("malformed signature"))?;
    mac.verify_slice(&sig).map_err(|_| JwtRejected("bad signature"))?;
    let now = now_ms() / 1000;
    let exp = claims.get("exp").and_then(Value::as_i64).ok_or(JwtRejected("no exp"))?;
    let iat = claims.get("iat").and_then(Value::as_i64).ok_or(JwtRejected("no iat"))?;
    if exp + LEEWAY_S < now || iat - LEEWAY_S > now {
        return Err(JwtRejected("expired or not yet valid"));
    }
    let qsh = claims.get("qsh").and_then(Value::as_str).ok_or(JwtRejected("no qsh"))?;
    if qsh != query_string_hash(method, uri) {
        return Err(JwtRejected("qsh does not match the request"));
    }
    Ok(app.user)
}

/// `GET /connect-install-keys/{kid}`: the PEM public key an RS256 lifecycle JWT names, as
/// Atlassian's key service serves it (plain text), or 404 for a key the sandbox never had.
pub(crate) async fn install_key(
    axum::extract::Path(kid): axum::extract::Path<String>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match crate::signing::public_key_pem(&kid) {
        Some(pem) => ([(axum::http::header::CONTENT_TYPE, "text/plain")], pem).into_response(),
        None => (axum::http::StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

/// Hex SHA-256 of the canonical request `METHOD&path&sorted-query`.
pub(crate) fn query_string_hash(method: &Method, uri: &Uri) -> String {
    let digest = Sha256::digest(canonical_request(method, uri).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn canonical_request(method: &Method, uri: &Uri) -> String {
    let mut path = uri.path().trim_end_matches('/').replace('&', "%26");
    if path.is_empty() {
        path = "/".into();
    }
    let pairs: Vec<(String, String)> =
        axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
            .map(|q| q.0)
            .unwrap_or_default();
    let mut keys: Vec<String> =
        pairs.iter().map(|(k, _)| k.clone()).filter(|k| k != "jwt").collect();
    keys.sort_by_key(|k| encode(k));
    keys.dedup();
    let query: Vec<String> = keys
        .iter()
        .map(|k| {
            // Jira sorts a repeated parameter's values as text, then encodes them: `.1`
            // before `:1`, though `%3A1` would sort first.
            let mut values: Vec<&str> =
                pairs.iter().filter(|(pk, _)| pk == k).map(|(_, v)| v.as_str()).collect();
            values.sort_unstable();
            let values: Vec<String> = values.into_iter().map(encode).collect();
            format!("{}={}", encode(k), values.join(","))
        })
        .collect();
    format!("{}&{path}&{}", method.as_str().to_uppercase(), query.join("&"))
}

/// RFC 3986 percent-encoding: everything but `A-Z a-z 0-9 - . _ ~`.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
