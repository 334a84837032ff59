//! The public keys Atlassian signs Connect install and uninstall callbacks with, fetched by
//! `kid` from its key service (`https://connect-install-keys.atlassian.com/<kid>` by default;
//! configurable so the sandbox can play that part) and cached: a key never changes under its
//! `kid`, Atlassian rotates by publishing a new `kid`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::jwt::InstallKey;

/// Atlassian's key service for Connect lifecycle callbacks.
pub const ATLASSIAN_INSTALL_KEYS_URL: &str = "https://connect-install-keys.atlassian.com";

/// Keys kept at most; beyond it the cache starts again (a rotation every few months makes this
/// plenty, and a flood of made-up `kid`s never reaches the cache: only keys that exist do).
const CACHE_LIMIT: usize = 64;

/// A PEM public key is well under this; anything larger is not one.
const MAX_KEY_BYTES: usize = 16 * 1024;

/// Why no key could be had for a `kid`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstallKeyError {
    #[error("the JWT's kid {0:?} is not a key id (letters, digits, `.`, `_`, `-`; at most 128)")]
    BadKeyId(String),
    #[error("Atlassian's key service has no key {kid:?} ({status})")]
    Unknown { kid: String, status: u16 },
    #[error("Atlassian's key service at {url} cannot be reached: {detail}")]
    Unreachable { url: String, detail: String },
    #[error(
        "Atlassian's key service answered for {kid:?} with something that is not an RSA public key in PEM"
    )]
    NotAKey { kid: String },
}

/// Fetches and caches install keys. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct ConnectInstallKeys {
    base_url: String,
    http: reqwest::Client,
    cache: Mutex<HashMap<String, InstallKey>>,
}

impl ConnectInstallKeys {
    /// Keys from the service at `base_url` (no trailing slash needed).
    pub fn new(base_url: &str) -> ConnectInstallKeys {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        ConnectInstallKeys {
            base_url: base_url.trim_end_matches('/').to_owned(),
            http,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Where keys are fetched from.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The key named `kid`, from the cache or the key service.
    pub async fn key(&self, kid: &str) -> Result<InstallKey, InstallKeyError> {
        if !is_key_id(kid) {
            return Err(InstallKeyError::BadKeyId(kid.chars().take(140).collect()));
        }
        if let Some(key) = self.cache.lock().expect("not poisoned").get(kid) {
            return Ok(key.clone());
        }
        let url = format!("{}/{kid}", self.base_url);
        let unreachable = |e: reqwest::Error| InstallKeyError::Unreachable {
            url: url.clone(),
            detail: e.to_string(),
        };
        let resp = self.http.get(&url).send().await.map_err(unreachable)?;
        let status = resp.status();
        if !status.is_success() {
            return Err(InstallKeyError::Unknown { kid: kid.to_owned(), status: status.as_u16() });
        }
        let body = resp.bytes().await.map_err(unreachable)?;
        let key = (body.len() <= MAX_KEY_BYTES)
            .then(|| std::str::from_utf8(&body).ok().and_then(InstallKey::from_pem))
            .flatten()
            .ok_or_else(|| InstallKeyError::NotAKey { kid: kid.to_owned() })?;
        let mut cache = self.cache.lock().expect("not poisoned");
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(kid.to_owned(), key.clone());
        Ok(key)
    }
}

/// Key ids are opaque (once UUIDs, no longer always), but they end up in a URL path: nothing
/// that could leave it (`/`, `..`, `?`, `%`).
fn is_key_id(kid: &str) -> bool {
    !kid.is_empty()
        && kid.len() <= 128
        && kid != "."
        && kid != ".."
        && kid.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_that_could_leave_the_path_are_refused() {
        let cases = [
            ("0e50fccb-239d-41ac-8ad8-a6dfa9f9b42d", true),
            ("prod_key.2024", true),
            ("", false),
            ("..", false),
            ("../../admin", false),
            ("a/b", false),
            ("a?b", false),
            ("a%2Fb", false),
            ("ключ", false),
        ];
        for (kid, ok) in cases {
            assert_eq!(is_key_id(kid), ok, "{kid}");
        }
        assert!(!is_key_id(&"a".repeat(129)));
    }
}
