//! Checking the Atlassian Connect JWTs Jira sends to tether (lifecycle callbacks, webhooks,
//! module URLs): HS256 under the installation's shared secret, expiry, and the `qsh` that binds
//! a token to one request; and the install and uninstall callbacks, which Atlassian signs with
//! RS256 under a key it publishes by `kid` ([`verify_connect_install_jwt`], keys fetched by
//! [`crate::ConnectInstallKeys`]).
//!
//! ```
//! # use secrecy::SecretString;
//! # fn demo(token: &str, secret_of: impl Fn(&str) -> Option<SecretString>) -> Result<(), tether_jira::JwtError> {
//! // 1. Who says they sent it (unverified), to find the secret stored at install.
//! let client_key = tether_jira::connect_jwt_issuer(token)?;
//! let Some(secret) = secret_of(&client_key) else { return Ok(()) /* unknown: 401 */ };
//! // 2. Verify against the request as it arrived, path relative to the app's base URL.
//! let query = vec![("issueKey".to_owned(), "DEMO-1".to_owned())];
//! let claims = tether_jira::verify_connect_jwt(
//!     token, &secret, "GET", "/flags/list", &query, 1_700_000_000, false,
//! )?;
//! assert_eq!(claims.iss, client_key);
//! # Ok(()) }
//! ```

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use sha2::Sha256;

use rsa::RsaPublicKey;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;

use crate::auth::query_string_hash;

/// Seconds of clock difference tolerated on `exp`, `iat` and `nbf`: what Atlassian's own
/// `atlassian-jwt` library allows (`TIME_CLAIM_LEEWAY_SECONDS`).
pub const CONNECT_JWT_LEEWAY_S: i64 = 30;

/// The fixed `qsh` of context JWTs (iframe page loads, app-issued session tokens), which are
/// not bound to one request.
pub const CONTEXT_QSH: &str = "context-qsh";

/// The claims of a verified Connect JWT.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectClaims {
    /// The installation's `clientKey`.
    pub iss: String,
    /// The user the request is made for, when there is one (an Atlassian accountId on Cloud).
    pub sub: Option<String>,
    pub iat: Option<i64>,
    pub exp: i64,
    /// The hex SHA-256 of the canonical request, or [`CONTEXT_QSH`].
    pub qsh: String,
    /// `aud`, as a list even when the token carries one string.
    pub aud: Vec<String>,
    /// Every claim, for the ones not named above (such as `context`).
    pub all: Map<String, Value>,
}

impl ConnectClaims {
    /// Whether the token is a context JWT (fixed `qsh`), not one bound to this request.
    pub fn is_context(&self) -> bool {
        self.qsh == CONTEXT_QSH
    }
}

/// Claims are not secret, but `context` may carry user details: keep `Debug` to the named
/// claims.
impl fmt::Debug for ConnectClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectClaims")
            .field("iss", &self.iss)
            .field("sub", &self.sub)
            .field("iat", &self.iat)
            .field("exp", &self.exp)
            .field("qsh", &self.qsh)
            .field("aud", &self.aud)
            .finish_non_exhaustive()
    }
}

/// Why a Connect JWT was refused. Every one of these is a 401 for the request that carried it;
/// the messages say what to look at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the JWT is malformed: {0}")]
    Malformed(&'static str),
    #[error(
        "the JWT is signed with {alg:?}; only {expected} is accepted here (a token with \"none\" \
         or another algorithm is refused, never trusted)"
    )]
    UnsupportedAlgorithm { alg: String, expected: &'static str },
    #[error(
        "the JWT has no usable \"kid\" header: Atlassian names the key that signed an install \
         or uninstall callback there"
    )]
    MissingKeyId,
    #[error(
        "the JWT signature does not match Atlassian's published key {kid:?}: the callback was \
         not signed by Atlassian"
    )]
    BadKeySignature { kid: String },
    #[error(
        "the JWT is meant for {found:?}, not for this app ({expected}): Atlassian sets the \
         audience to the app's baseUrl"
    )]
    WrongAudience { found: Vec<String>, expected: String },
    #[error("the JWT has no {0:?} claim (or it has the wrong type)")]
    MissingClaim(&'static str),
    #[error(
        "the JWT signature does not match the shared secret: the token was altered, or it was \
         signed with another secret (Jira sends a new one on every reinstall; check that the \
         latest `installed` callback was stored)"
    )]
    BadSignature,
    #[error(
        "the JWT expired at {exp} (now {now}, {leeway}s of leeway): a replayed token, or this \
         server's clock is behind",
        leeway = CONNECT_JWT_LEEWAY_S
    )]
    Expired { exp: i64, now: i64 },
    #[error(
        "the JWT is not valid before {not_before} (now {now}, {leeway}s of leeway): this \
         server's clock is ahead, or the token is forged",
        leeway = CONNECT_JWT_LEEWAY_S
    )]
    NotYetValid { not_before: i64, now: i64 },
    #[error(
        "the JWT's qsh does not match this request (method, path relative to the app's base \
         URL, and query without `jwt`): the token was issued for another request, or the path \
         given still contains the base URL's context path"
    )]
    QshMismatch,
    #[error(
        "the JWT is a context token (qsh \"context-qsh\"), which is not accepted here: this \
         endpoint needs a token bound to the request"
    )]
    ContextQshNotAllowed,
}

/// The `iss` of a Connect JWT, read **without** verifying anything, so the caller can look up
/// the installation's shared secret before calling [`verify_connect_jwt`]. Never trust it
/// further than that.
pub fn connect_jwt_issuer(token: &str) -> Result<String, JwtError> {
    let (_, claims, _) = split(token)?;
    let claims = decode_object(claims, "the claims are not base64url-encoded JSON")?;
    claims
        .get("iss")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or(JwtError::MissingClaim("iss"))
}

/// Verifies a Connect JWT Jira sent with a request to tether.
///
/// Checks, in order: three base64url parts; header `alg` exactly `HS256`; the HMAC-SHA256
/// signature under `shared_secret` (compared in constant time); `exp` not passed and `iat`/`nbf`
/// not in the future, each with [`CONNECT_JWT_LEEWAY_S`]; and `qsh` equal to
/// [`query_string_hash`] of the request, or [`CONTEXT_QSH`] when `allow_context_qsh`.
///
/// - `method`: the request's HTTP method, any case.
/// - `path`: the request path as it arrived (still percent-encoded), relative to the app's base
///   URL: for a base URL `https://tether.example/jira` and a request to
///   `/jira/connect/installed`, pass `/connect/installed`.
/// - `query`: the decoded query pairs (`+` read as a space, as form decoding does), the `jwt`
///   parameter included or not (it is left out of the hash either way).
/// - `now_secs`: the current Unix time in seconds.
pub fn verify_connect_jwt(
    token: &str,
    shared_secret: &SecretString,
    method: &str,
    path: &str,
    query: &[(String, String)],
    now_secs: i64,
    allow_context_qsh: bool,
) -> Result<ConnectClaims, JwtError> {
    let (header, claims_part, signature) = split(token)?;
    let header_json = decode_object(header, "the header is not base64url-encoded JSON")?;
    require_alg(&header_json, "HS256")?;
    let signature =
        decode_part(signature).ok_or(JwtError::Malformed("the signature is not base64url"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(shared_secret.expose_secret().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(format!("{header}.{claims_part}").as_bytes());
    // `verify_slice` compares in constant time.
    mac.verify_slice(&signature).map_err(|_| JwtError::BadSignature)?;
    check_claims(claims_part, method, path, query, now_secs, allow_context_qsh)
}

/// The header fields of a JWT that choose how to verify it, read **without** verifying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtHeader {
    /// `alg`, e.g. `HS256` (requests signed with an installation's shared secret) or `RS256`
    /// (install and uninstall callbacks signed by Atlassian).
    pub alg: String,
    /// `kid`: which of Atlassian's published keys signed an RS256 token.
    pub kid: Option<String>,
}

/// The header of a Connect JWT, read without verifying anything.
pub fn connect_jwt_header(token: &str) -> Result<JwtHeader, JwtError> {
    let (header, _, _) = split(token)?;
    let header = decode_object(header, "the header is not base64url-encoded JSON")?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(JwtError::Malformed("the header has no \"alg\""))?
        .to_owned();
    let kid = header.get("kid").and_then(Value::as_str).map(str::to_owned);
    Ok(JwtHeader { alg, kid })
}

/// A public key Atlassian publishes for verifying install and uninstall callbacks.
#[derive(Clone, PartialEq, Eq)]
pub struct InstallKey(RsaPublicKey);

impl InstallKey {
    /// Reads a PEM public key: SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`, what Atlassian's key
    /// service serves) or PKCS#1 (`BEGIN RSA PUBLIC KEY`).
    pub fn from_pem(pem: &str) -> Option<InstallKey> {
        let pem = pem.trim();
        RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
            .ok()
            .map(InstallKey)
    }
}

impl fmt::Debug for InstallKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InstallKey(RSA)")
    }
}

/// Verifies the JWT of an install or uninstall callback: RS256 under `key` (the one the header's
/// `kid` names, fetched from Atlassian's key service), expiry, a `qsh` bound to this request
/// (context tokens refused), and an audience that is the app's own `app_base_url`. Only then may
/// the payload's `sharedSecret` be trusted.
pub fn verify_connect_install_jwt(
    token: &str,
    key: &InstallKey,
    method: &str,
    path: &str,
    query: &[(String, String)],
    now_secs: i64,
    app_base_url: &str,
) -> Result<ConnectClaims, JwtError> {
    let (header, claims_part, signature) = split(token)?;
    let header_json = decode_object(header, "the header is not base64url-encoded JSON")?;
    require_alg(&header_json, "RS256")?;
    let kid =
        header_json.get("kid").and_then(Value::as_str).ok_or(JwtError::MissingKeyId)?.to_owned();
    let signature =
        decode_part(signature).ok_or(JwtError::Malformed("the signature is not base64url"))?;
    let signature = Signature::try_from(signature.as_slice())
        .map_err(|_| JwtError::BadKeySignature { kid: kid.clone() })?;
    VerifyingKey::<Sha256>::new(key.0.clone())
        .verify(format!("{header}.{claims_part}").as_bytes(), &signature)
        .map_err(|_| JwtError::BadKeySignature { kid })?;
    let claims = check_claims(claims_part, method, path, query, now_secs, false)?;
    let expected = app_base_url.trim_end_matches('/');
    if !claims.aud.iter().any(|a| a.trim_end_matches('/') == expected) {
        return Err(JwtError::WrongAudience {
            found: claims.aud.clone(),
            expected: expected.to_owned(),
        });
    }
    Ok(claims)
}

fn require_alg(header: &Map<String, Value>, expected: &'static str) -> Result<(), JwtError> {
    match header.get("alg").and_then(Value::as_str) {
        Some(alg) if alg == expected => Ok(()),
        Some(other) => Err(JwtError::UnsupportedAlgorithm { alg: other.to_owned(), expected }),
        None => Err(JwtError::Malformed("the header has no \"alg\"")),
    }
}

/// The checks after the signature: times (saturating, so no claim can overflow them), `qsh`,
/// and the claims as [`ConnectClaims`].
fn check_claims(
    claims_part: &str,
    method: &str,
    path: &str,
    query: &[(String, String)],
    now_secs: i64,
    allow_context_qsh: bool,
) -> Result<ConnectClaims, JwtError> {
    let all = decode_object(claims_part, "the claims are not base64url-encoded JSON")?;
    let iss = all.get("iss").and_then(Value::as_str).ok_or(JwtError::MissingClaim("iss"))?;
    let exp = all.get("exp").and_then(as_seconds).ok_or(JwtError::MissingClaim("exp"))?;
    if exp.saturating_add(CONNECT_JWT_LEEWAY_S) < now_secs {
        return Err(JwtError::Expired { exp, now: now_secs });
    }
    let iat = all.get("iat").and_then(as_seconds);
    let nbf = all.get("nbf").and_then(as_seconds);
    for not_before in [iat, nbf].into_iter().flatten() {
        if not_before.saturating_sub(CONNECT_JWT_LEEWAY_S) > now_secs {
            return Err(JwtError::NotYetValid { not_before, now: now_secs });
        }
    }
    let qsh = all.get("qsh").and_then(Value::as_str).ok_or(JwtError::MissingClaim("qsh"))?;
    if qsh == CONTEXT_QSH {
        if !allow_context_qsh {
            return Err(JwtError::ContextQshNotAllowed);
        }
    } else if qsh != query_string_hash(method, path, query) {
        return Err(JwtError::QshMismatch);
    }
    let aud = match all.get("aud") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    Ok(ConnectClaims {
        iss: iss.to_owned(),
        sub: all.get("sub").and_then(Value::as_str).map(str::to_owned),
        iat,
        exp,
        qsh: qsh.to_owned(),
        aud,
        all: all.clone(),
    })
}

fn split(token: &str) -> Result<(&str, &str, &str), JwtError> {
    let mut parts = token.trim().split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(c), Some(s), None) if !h.is_empty() && !c.is_empty() => Ok((h, c, s)),
        _ => Err(JwtError::Malformed("a JWT has three parts separated by dots")),
    }
}

fn decode_part(part: &str) -> Option<Vec<u8>> {
    // Some encoders pad; base64url without padding is the norm.
    URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()
}

fn decode_object(part: &str, what: &'static str) -> Result<Map<String, Value>, JwtError> {
    match decode_part(part).and_then(|b| serde_json::from_slice::<Value>(&b).ok()) {
        Some(Value::Object(m)) => Ok(m),
        _ => Err(JwtError::Malformed(what)),
    }
}

/// NumericDate: seconds, an integer or (rarely) a fraction.
fn as_seconds(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f.floor() as i64))
}

#[cfg(test)]
mod tests;
