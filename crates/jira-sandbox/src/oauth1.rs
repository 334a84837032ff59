//! OAuth 1.0a (RFC 5849) as Jira Data Center's application links use it: consumers sign with
//! RSA-SHA1, verified against the public key an admin registered for their consumer key.
//!
//! This module holds the protocol: the signature base string (section 3.4.1), parameter
//! encoding (3.6), header parsing (3.5.1), signature, timestamp and nonce checks, and the
//! token stores. The three endpoints of the dance live in `http::oauth1`.

use std::collections::HashMap;

use rand::Rng;
use rand::distributions::Alphanumeric;
use rsa::RsaPublicKey;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use sha1::Sha1;

use crate::ConfigError;
use crate::config::OAuth1ConsumerSpec;
use crate::state::{State, UserIdx};

/// Seconds a request's `oauth_timestamp` may differ from the server clock; nonces are
/// remembered this long.
pub(crate) const TIMESTAMP_WINDOW_S: i64 = 300;
/// What Jira reports as an access token's lifetime (five years).
pub(crate) const ACCESS_TOKEN_EXPIRES_S: i64 = 157_680_000;

/// A registered consumer.
#[derive(Debug, Clone)]
pub(crate) struct Consumer {
    pub key: String,
    pub name: String,
    pub public_key: RsaPublicKey,
}

impl Consumer {
    pub fn new(_state: &State, spec: &OAuth1ConsumerSpec) -> Result<Consumer, ConfigError> {
        let pem = spec.public_key_pem.trim();
        let public_key = RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
            .map_err(|e| ConfigError::BadPublicKey {
                key: spec.consumer_key.clone(),
                reason: e.to_string(),
            })?;
        let name = if spec.name.is_empty() { spec.consumer_key.clone() } else { spec.name.clone() };
        Ok(Consumer { key: spec.consumer_key.clone(), name, public_key })
    }
}

/// A request token between `request-token` and `access-token`.
#[derive(Debug, Clone)]
pub(crate) struct RequestToken {
    pub consumer: String,
    /// `oob` or the URL the authorize page redirects to.
    pub callback: String,
    /// Set once a user approved the token.
    pub authorized: Option<(UserIdx, String)>,
}

#[derive(Debug, Clone)]
pub(crate) struct AccessToken {
    pub consumer: String,
    pub user: UserIdx,
}

/// Tokens and seen nonces; kept in the runtime, next to the other per-request machinery.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    pub request: HashMap<String, RequestToken>,
    pub access: HashMap<String, AccessToken>,
    /// (consumer, token, nonce) → timestamp, for replay detection.
    nonces: HashMap<(String, String, String), i64>,
}

impl Tokens {
    /// Records a nonce; false when the same consumer and token already used it.
    pub fn fresh_nonce(&mut self, consumer: &str, token: &str, nonce: &str, now_s: i64) -> bool {
        self.nonces.retain(|_, ts| (now_s - *ts).abs() <= TIMESTAMP_WINDOW_S);
        let key = (consumer.to_owned(), token.to_owned(), nonce.to_owned());
        if self.nonces.contains_key(&key) {
            return false;
        }
        self.nonces.insert(key, now_s);
        true
    }
}

pub(crate) fn random_token(len: usize) -> String {
    rand::thread_rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}

/// RFC 5849 section 3.6: everything but `A-Z a-z 0-9 - . _ ~` as `%XX`.
pub(crate) fn encode(s: &str) -> String {
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

/// Percent-decoding (no `+` rule: header values are encoded per section 3.6).
pub(crate) fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The parameters of an `Authorization: OAuth k="v", ...` header (the part after `OAuth`).
pub(crate) fn parse_header(rest: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) = part.split_once('=')?;
        let v = v.trim().strip_prefix('"')?.strip_suffix('"')?;
        out.push((decode(k.trim())?, decode(v)?));
    }
    Some(out)
}

/// Section 3.4.1: `METHOD&encode(base-uri)&encode(normalized-parameters)`. `params` are the
/// decoded query, body and protocol parameters, without `oauth_signature` and `realm`.
pub(crate) fn base_string(method: &str, base_uri: &str, params: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> =
        params.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    pairs.sort();
    let normalized: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        encode(base_uri),
        encode(&normalized.join("&"))
    )
}

/// Section 3.4.1.2: scheme and host lower-case, the default port left out, no query.
pub(crate) fn base_uri(origin: &str, path: &str) -> String {
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    let origin = origin
        .strip_suffix(":80")
        .filter(|_| origin.starts_with("http://"))
        .or_else(|| origin.strip_suffix(":443").filter(|_| origin.starts_with("https://")))
        .unwrap_or(&origin);
    format!("{origin}{path}")
}

pub(crate) fn verify_rsa_sha1(key: &RsaPublicKey, base: &str, signature_b64: &str) -> bool {
    use base64::Engine;
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(signature_b64) else {
        return false;
    };
    let Ok(sig) = Signature::try_from(bytes.as_slice()) else {
        return false;
    };
    VerifyingKey::<Sha1>::new(key.clone()).verify(base.as_bytes(), &sig).is_ok()
}

/// A request whose signature, timestamp and nonce checked out.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    pub consumer: String,
    /// The `oauth_token` it carried, if any (request or access token).
    pub token: Option<String>,
    pub protocol: HashMap<String, String>,
}

/// Checks a signed request. `header` is the part after `OAuth `; `params` the decoded query
/// and form-body parameters. Errors are OAuth problem codes (`oauth_problem=...`).
pub(crate) fn check(
    state: &State,
    tokens: &mut Tokens,
    method: &str,
    base_uri: &str,
    header: &str,
    params: &[(String, String)],
    now_s: i64,
) -> Result<Signed, &'static str> {
    let oauth = parse_header(header).ok_or("parameter_rejected")?;
    let get = |k: &str| oauth.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if get("oauth_version").is_some_and(|v| v != "1.0") {
        return Err("version_rejected");
    }
    if get("oauth_signature_method") != Some("RSA-SHA1") {
        return Err("signature_method_rejected");
    }
    let consumer_key = get("oauth_consumer_key").ok_or("parameter_absent")?;
    let consumer = state
        .oauth1_consumers
        .iter()
        .find(|c| c.key == consumer_key)
        .ok_or("consumer_key_unknown")?;
    let signature = get("oauth_signature").ok_or("parameter_absent")?;
    let timestamp: i64 =
        get("oauth_timestamp").and_then(|t| t.parse().ok()).ok_or("parameter_absent")?;
    let nonce = get("oauth_nonce").filter(|n| !n.is_empty()).ok_or("parameter_absent")?;
    if (now_s - timestamp).abs() > TIMESTAMP_WINDOW_S {
        return Err("timestamp_refused");
    }
    let mut all: Vec<(String, String)> =
        oauth.iter().filter(|(k, _)| k != "oauth_signature" && k != "realm").cloned().collect();
    all.extend(params.iter().cloned());
    let base = base_string(method, base_uri, &all);
    if !verify_rsa_sha1(&consumer.public_key, &base, signature) {
        return Err("signature_invalid");
    }
    let token = get("oauth_token").filter(|t| !t.is_empty()).map(str::to_owned);
    if !tokens.fresh_nonce(consumer_key, token.as_deref().unwrap_or(""), nonce, now_s) {
        return Err("nonce_used");
    }
    Ok(Signed {
        consumer: consumer.key.clone(),
        token,
        protocol: oauth.into_iter().filter(|(k, _)| k.starts_with("oauth_")).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of RFC 5849 section 3.4.1.1 (its parameters, our encoder).
    #[test]
    fn rfc5849_base_string() {
        let p = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let params = vec![
            p("b5", "=%3D"),
            p("a3", "a"),
            p("c@", ""),
            p("a2", "r b"),
            p("oauth_consumer_key", "9djdj82h48djs9d2"),
            p("oauth_token", "kkk9d7dh3k39sjv7"),
            p("oauth_signature_method", "HMAC-SHA1"),
            p("oauth_timestamp", "137131201"),
            p("oauth_nonce", "7d8f3e4a"),
            p("c2", ""),
            p("a3", "2 q"),
        ];
        let want = "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q\
            %26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_\
            key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m\
            ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk\
            9d7dh3k39sjv7";
        assert_eq!(
            base_string("post", &base_uri("http://EXAMPLE.COM:80", "/request"), &params),
            want
        );
    }

    #[test]
    fn header_and_uri_forms() {
        let parsed =
            parse_header(r#"realm="Example", oauth_consumer_key="a%20b",oauth_nonce="x""#).unwrap();
        assert_eq!(parsed[1], ("oauth_consumer_key".to_owned(), "a b".to_owned()));
        assert_eq!(parse_header("oauth_nonce=x"), None);
        let cases = [
            ("http://127.0.0.1:8080", "/a", "http://127.0.0.1:8080/a"),
            ("HTTPS://Jira.Example:443", "/a", "https://jira.example/a"),
            ("http://h:443", "/", "http://h:443/"),
        ];
        for (origin, path, want) in cases {
            assert_eq!(base_uri(origin, path), want);
        }
    }
}
