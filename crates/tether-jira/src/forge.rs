//! Forge Invocation Tokens: what Atlassian's Forge platform signs every call to an app's remote
//! backend with (the `Authorization: Bearer` of a Forge Remote request), and the keys it
//! publishes for them as a JWKS. An RS256 JWT with `iss` `forge/invocation-token`, `aud` the
//! app's id (`ari:cloud:ecosystem::app/<uuid>`), and the invocation in `app` (its id,
//! installation, `apiBaseUrl`, environment, module) and `context` (the site's `cloudId`, …).

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use serde_json::{Map, Value};
use sha2::Sha256;

/// Where Atlassian publishes the keys of Forge Invocation Tokens (production).
pub const ATLASSIAN_FORGE_JWKS_URL: &str =
    "https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json";

/// The `iss` of every Forge Invocation Token.
pub const FORGE_ISSUER: &str = "forge/invocation-token";

/// What every Forge app id starts with.
pub const FORGE_APP_ARI_PREFIX: &str = "ari:cloud:ecosystem::app/";

/// Clock skew allowed on `exp` and `nbf`, in seconds.
pub const FORGE_LEEWAY_S: i64 = 30;

/// After a fetch, the JWKS is not fetched again for an unknown `kid` before this: a flood of
/// made-up key ids costs Atlassian one request a minute, not one each.
const REFETCH_AFTER: Duration = Duration::from_secs(60);

/// A JWKS is a few kilobytes; anything far larger is not one.
const MAX_JWKS_BYTES: usize = 256 * 1024;

/// An app id as `manifest.yml` has it (`ari:cloud:ecosystem::app/<uuid>`) or as its bare uuid,
/// in the form tokens carry.
pub fn forge_app_ari(app_id: &str) -> String {
    let id = app_id.trim();
    if id.starts_with(FORGE_APP_ARI_PREFIX) {
        id.to_owned()
    } else {
        format!("{FORGE_APP_ARI_PREFIX}{id}")
    }
}

/// What a verified token says about the call.
#[derive(Clone, PartialEq, Eq)]
pub struct ForgeInvocation {
    /// `app.id`: the app's ARI (equal to the token's audience).
    pub app_id: String,
    /// `app.installationId`: one install of the app on one site.
    pub installation_id: String,
    /// `app.apiBaseUrl`: where the app's tokens reach the site's APIs
    /// (`https://api.atlassian.com/ex/jira/<cloudId>`).
    pub api_base_url: Option<String>,
    /// `app.environment.type`: `DEVELOPMENT`, `STAGING` or `PRODUCTION`.
    pub environment: Option<String>,
    /// `app.module.key`: the manifest module that was invoked.
    pub module_key: Option<String>,
    /// `context.cloudId`, else the last segment of `apiBaseUrl`.
    pub cloud_id: Option<String>,
    /// `context.siteUrl`, when the invocation names the site.
    pub site_url: Option<String>,
    /// `principal`: the accountId of the user behind the call, if any.
    pub principal: Option<String>,
    pub exp: i64,
}

impl fmt::Debug for ForgeInvocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // No principal: an account id is personal data, and has no place in logs.
        f.debug_struct("ForgeInvocation")
            .field("app_id", &self.app_id)
            .field("installation_id", &self.installation_id)
            .field("cloud_id", &self.cloud_id)
            .field("module_key", &self.module_key)
            .finish_non_exhaustive()
    }
}

/// Why a Forge Invocation Token was refused: each is a 401 for the call that carried it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForgeTokenError {
    #[error("no Forge Invocation Token: Forge sends it as `Authorization: Bearer <token>`")]
    Missing,
    #[error("the Forge Invocation Token is malformed: {0}")]
    Malformed(&'static str),
    #[error("the token is signed with {0:?}; Forge Invocation Tokens are RS256")]
    UnsupportedAlgorithm(String),
    #[error("the token has no \"kid\" header naming the key that signed it")]
    MissingKeyId,
    #[error("Forge's key set has no key {0:?}")]
    UnknownKey(String),
    #[error("Forge's key set at {url} cannot be read: {detail}")]
    KeysUnavailable { url: String, detail: String },
    #[error("the signature does not match Forge's key {0:?}: the call did not come from Forge")]
    BadSignature(String),
    #[error("the token's issuer is {0:?}, not forge/invocation-token")]
    WrongIssuer(String),
    #[error(
        "the token is meant for {found:?}, not for this app ({expected}): check jira.forge_app_id"
    )]
    WrongAudience { found: Vec<String>, expected: String },
    #[error("the token's app.id {found:?} is not its audience {expected}")]
    AppMismatch { found: String, expected: String },
    #[error("the token has no {0:?} claim (or it has the wrong type)")]
    MissingClaim(&'static str),
    #[error(
        "the token expired at {exp} (now {now}): a replayed call, or this server's clock is behind"
    )]
    Expired { exp: i64, now: i64 },
    #[error("the token is not valid before {nbf} (now {now}): this server's clock is ahead")]
    NotYetValid { nbf: i64, now: i64 },
}

/// The `kid` of a token, read without verifying anything (to pick the key).
pub fn forge_token_kid(token: &str) -> Result<String, ForgeTokenError> {
    let (header, _, _) = split(token)?;
    let header = object(header)?;
    match header.get("alg").and_then(Value::as_str) {
        Some("RS256") => {}
        Some(other) => return Err(ForgeTokenError::UnsupportedAlgorithm(other.to_owned())),
        None => return Err(ForgeTokenError::Malformed("the header has no \"alg\"")),
    }
    header
        .get("kid")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or(ForgeTokenError::MissingKeyId)
}

/// Verifies a Forge Invocation Token under `key` (the one its `kid` names): RS256 signature,
/// `iss`, `aud` = `app_id` (an ARI or bare uuid), `app.id` = the audience, `exp` and `nbf` with
/// [`FORGE_LEEWAY_S`]; then reads the invocation.
pub fn verify_forge_token(
    token: &str,
    key: &ForgeKey,
    app_id: &str,
    now_secs: i64,
) -> Result<ForgeInvocation, ForgeTokenError> {
    let kid = forge_token_kid(token)?;
    let (header, claims, signature) = split(token)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature.trim_end_matches('='))
        .ok()
        .and_then(|s| Signature::try_from(s.as_slice()).ok())
        .ok_or_else(|| ForgeTokenError::BadSignature(kid.clone()))?;
    VerifyingKey::<Sha256>::new(key.0.clone())
        .verify(format!("{header}.{claims}").as_bytes(), &signature)
        .map_err(|_| ForgeTokenError::BadSignature(kid))?;
    let all = object(claims)?;
    let str_at = |v: &Value, path: &str| v.pointer(path).and_then(Value::as_str).map(str::to_owned);
    let all = Value::Object(all);
    let iss = str_at(&all, "/iss").ok_or(ForgeTokenError::MissingClaim("iss"))?;
    if iss != FORGE_ISSUER {
        return Err(ForgeTokenError::WrongIssuer(iss));
    }
    let expected = forge_app_ari(app_id);
    let aud: Vec<String> = match all.get("aud") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => return Err(ForgeTokenError::MissingClaim("aud")),
    };
    if !aud.contains(&expected) {
        return Err(ForgeTokenError::WrongAudience { found: aud, expected });
    }
    let seconds = |name: &'static str| all.get(name).and_then(Value::as_i64);
    let exp = seconds("exp").ok_or(ForgeTokenError::MissingClaim("exp"))?;
    if exp.saturating_add(FORGE_LEEWAY_S) < now_secs {
        return Err(ForgeTokenError::Expired { exp, now: now_secs });
    }
    if let Some(nbf) = seconds("nbf").or_else(|| seconds("iat"))
        && nbf.saturating_sub(FORGE_LEEWAY_S) > now_secs
    {
        return Err(ForgeTokenError::NotYetValid { nbf, now: now_secs });
    }
    let app = str_at(&all, "/app/id").ok_or(ForgeTokenError::MissingClaim("app.id"))?;
    if app != expected {
        return Err(ForgeTokenError::AppMismatch { found: app, expected });
    }
    let installation_id = str_at(&all, "/app/installationId")
        .ok_or(ForgeTokenError::MissingClaim("app.installationId"))?;
    let api_base_url = str_at(&all, "/app/apiBaseUrl");
    let cloud_id = str_at(&all, "/context/cloudId").or_else(|| {
        api_base_url
            .as_deref()
            .and_then(|u| u.trim_end_matches('/').rsplit('/').next())
            .map(str::to_owned)
    });
    Ok(ForgeInvocation {
        app_id: app,
        installation_id,
        environment: str_at(&all, "/app/environment/type"),
        module_key: str_at(&all, "/app/module/key"),
        site_url: str_at(&all, "/context/siteUrl"),
        principal: str_at(&all, "/principal"),
        api_base_url,
        cloud_id,
        exp,
    })
}

/// One public key of Forge's key set.
#[derive(Clone, PartialEq, Eq)]
pub struct ForgeKey(RsaPublicKey);

impl ForgeKey {
    /// An RSA key of a JWKS (`kty` `RSA`, `n` and `e` in base64url).
    pub fn from_jwk(jwk: &Value) -> Option<ForgeKey> {
        if jwk.get("kty").and_then(Value::as_str) != Some("RSA") {
            return None;
        }
        let part = |name: &str| {
            let s = jwk.get(name)?.as_str()?;
            URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok().map(|b| BigUint::from_bytes_be(&b))
        };
        RsaPublicKey::new(part("n")?, part("e")?).ok().map(ForgeKey)
    }
}

impl fmt::Debug for ForgeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ForgeKey(RSA)")
    }
}

/// The keys of Forge's JWKS, fetched on demand and cached by `kid`. Cheap to share behind an
/// `Arc`.
#[derive(Debug)]
pub struct ForgeKeys {
    url: String,
    http: reqwest::Client,
    cache: Mutex<Cache>,
}

#[derive(Debug, Default)]
struct Cache {
    keys: HashMap<String, ForgeKey>,
    fetched: Option<Instant>,
}

impl ForgeKeys {
    /// Keys from the JWKS at `url` ([`ATLASSIAN_FORGE_JWKS_URL`], or a sandbox's).
    pub fn new(url: &str) -> ForgeKeys {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        ForgeKeys { url: url.to_owned(), http, cache: Mutex::new(Cache::default()) }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Verifies `token` for `app_id` with the key its `kid` names (see [`verify_forge_token`]).
    pub async fn verify(
        &self,
        token: &str,
        app_id: &str,
        now_secs: i64,
    ) -> Result<ForgeInvocation, ForgeTokenError> {
        let kid = forge_token_kid(token)?;
        let key = self.key(&kid).await?;
        verify_forge_token(token, &key, app_id, now_secs)
    }

    /// The key `kid`, from the cache, else from a fresh read of the key set (Forge rotates by
    /// publishing a new `kid`).
    pub async fn key(&self, kid: &str) -> Result<ForgeKey, ForgeTokenError> {
        {
            let cache = self.cache.lock().expect("not poisoned");
            if let Some(k) = cache.keys.get(kid) {
                return Ok(k.clone());
            }
            if cache.fetched.is_some_and(|at| at.elapsed() < REFETCH_AFTER) {
                return Err(ForgeTokenError::UnknownKey(kid.chars().take(140).collect()));
            }
        }
        let keys = self.fetch().await?;
        let mut cache = self.cache.lock().expect("not poisoned");
        cache.keys = keys;
        cache.fetched = Some(Instant::now());
        cache
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| ForgeTokenError::UnknownKey(kid.chars().take(140).collect()))
    }

    async fn fetch(&self) -> Result<HashMap<String, ForgeKey>, ForgeTokenError> {
        let unavailable =
            |detail: String| ForgeTokenError::KeysUnavailable { url: self.url.clone(), detail };
        let resp = self.http.get(&self.url).send().await.map_err(|e| unavailable(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(unavailable(format!("HTTP {}", resp.status().as_u16())));
        }
        let body = resp.bytes().await.map_err(|e| unavailable(e.to_string()))?;
        if body.len() > MAX_JWKS_BYTES {
            return Err(unavailable("the answer is too large for a key set".into()));
        }
        let set: Value = serde_json::from_slice(&body)
            .map_err(|_| unavailable("the answer is not JSON".into()))?;
        let keys = set
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| unavailable("the answer has no \"keys\" list".into()))?;
        Ok(keys
            .iter()
            .filter_map(|k| {
                let kid = k.get("kid")?.as_str()?.to_owned();
                Some((kid, ForgeKey::from_jwk(k)?))
            })
            .collect())
    }
}

fn split(token: &str) -> Result<(&str, &str, &str), ForgeTokenError> {
    let mut parts = token.trim().split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(c), Some(s), None) if !h.is_empty() && !c.is_empty() => Ok((h, c, s)),
        _ => Err(ForgeTokenError::Malformed("a JWT has three parts separated by dots")),
    }
}

fn object(part: &str) -> Result<Map<String, Value>, ForgeTokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| ForgeTokenError::Malformed("a part is not base64url"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(ForgeTokenError::Malformed("a part is not a JSON object")),
    }
}

#[cfg(test)]
mod tests;
