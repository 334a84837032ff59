//! How the client proves who it is: the five ways Jira accepts, and the request signing two of
//! them need (Atlassian Connect JWT with its query string hash, OAuth 1.0a RSA-SHA1).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// Atlassian's OAuth 2.0 token endpoint.
pub const ATLASSIAN_TOKEN_URL: &str = "https://api.atlassian.com/oauth/token";
/// Atlassian's API gateway, where OAuth 2.0 tokens are spent.
pub const ATLASSIAN_GATEWAY_URL: &str = "https://api.atlassian.com";

/// An Atlassian account's email and API token, used beside OAuth credentials for the REST
/// APIs those may not call.
#[derive(Debug, Clone)]
pub struct PlatformToken {
    pub email: String,
    pub token: SecretString,
}

impl PlatformToken {
    pub fn new(email: impl Into<String>, token: impl Into<String>) -> PlatformToken {
        PlatformToken { email: email.into(), token: SecretString::from(token.into()) }
    }
}

/// Credentials for one site. Secrets are `SecretString`, so `Debug` shows them redacted.
#[derive(Debug, Clone)]
pub enum Auth {
    /// No credentials (only serverInfo answers).
    Anonymous,
    /// Cloud: Basic with the Atlassian account's email and an API token.
    ApiToken { email: String, token: SecretString },
    /// Data Center/Server: Basic with a username and password.
    Password { username: String, password: SecretString },
    /// Data Center 8.14+: a personal access token, sent as `Authorization: Bearer`.
    PersonalAccessToken { token: SecretString },
    /// Cloud: OAuth 2.0 client credentials a site admin created for a self-hosted tool. Calls go
    /// through the gateway (`{gateway_url}/ex/jira/{cloudId}/...`).
    OAuth2 {
        client_id: String,
        client_secret: SecretString,
        /// Normally [`ATLASSIAN_TOKEN_URL`]; configurable so a sandbox can play the role.
        token_url: String,
        /// Normally [`ATLASSIAN_GATEWAY_URL`].
        gateway_url: String,
        /// An API token beside the credentials for Jira's platform and agile REST APIs, which
        /// OAuth credentials may not call. Those calls then go to the site's own URL with Basic
        /// auth; the DevOps APIs still go through the gateway with the OAuth token.
        platform: Option<PlatformToken>,
    },
    /// Cloud: an installed Atlassian Connect app, signing each request with a JWT (HS256 with
    /// `qsh`) under the shared secret from the `installed` callback.
    Connect { app_key: String, shared_secret: SecretString },
    /// Data Center/Server application link: OAuth 1.0a with RSA-SHA1 signatures.
    OAuth1 { consumer_key: String, private_key_pem: SecretString, access_token: SecretString },
}

impl Auth {
    pub fn api_token(email: impl Into<String>, token: impl Into<String>) -> Auth {
        Auth::ApiToken { email: email.into(), token: SecretString::from(token.into()) }
    }

    pub fn password(username: impl Into<String>, password: impl Into<String>) -> Auth {
        Auth::Password { username: username.into(), password: SecretString::from(password.into()) }
    }

    pub fn personal_access_token(token: impl Into<String>) -> Auth {
        Auth::PersonalAccessToken { token: SecretString::from(token.into()) }
    }

    /// OAuth 2.0 client credentials against Atlassian's own token endpoint and gateway.
    pub fn oauth2(client_id: impl Into<String>, client_secret: impl Into<String>) -> Auth {
        Auth::OAuth2 {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
            token_url: ATLASSIAN_TOKEN_URL.to_owned(),
            gateway_url: ATLASSIAN_GATEWAY_URL.to_owned(),
            platform: None,
        }
    }

    /// OAuth 2.0 credentials with an API token beside them for the platform REST APIs; other
    /// credentials are returned unchanged.
    pub fn with_platform_token(self, token: PlatformToken) -> Auth {
        match self {
            Auth::OAuth2 { client_id, client_secret, token_url, gateway_url, .. } => Auth::OAuth2 {
                client_id,
                client_secret,
                token_url,
                gateway_url,
                platform: Some(token),
            },
            other => other,
        }
    }

    /// The API token beside OAuth credentials, when there is one.
    pub fn platform_token(&self) -> Option<&PlatformToken> {
        match self {
            Auth::OAuth2 { platform, .. } => platform.as_ref(),
            _ => None,
        }
    }

    /// Data Center application link: the consumer key, its RSA private key (PEM) and an access
    /// token from the dance in [`crate::oauth1`].
    pub fn oauth1(
        consumer_key: impl Into<String>,
        private_key_pem: impl Into<String>,
        access_token: impl Into<String>,
    ) -> Auth {
        Auth::OAuth1 {
            consumer_key: consumer_key.into(),
            private_key_pem: SecretString::from(private_key_pem.into()),
            access_token: SecretString::from(access_token.into()),
        }
    }

    pub fn connect(app_key: impl Into<String>, shared_secret: impl Into<String>) -> Auth {
        Auth::Connect {
            app_key: app_key.into(),
            shared_secret: SecretString::from(shared_secret.into()),
        }
    }

    /// The secret a person pasted, for the connection test's whitespace check.
    pub(crate) fn pasted_secret(&self) -> Option<&str> {
        match self {
            Auth::ApiToken { token, .. } | Auth::PersonalAccessToken { token } => {
                Some(token.expose_secret())
            }
            Auth::Password { password, .. } => Some(password.expose_secret()),
            Auth::OAuth2 { client_secret, .. } => Some(client_secret.expose_secret()),
            Auth::Connect { shared_secret, .. } => Some(shared_secret.expose_secret()),
            Auth::OAuth1 { access_token, .. } => Some(access_token.expose_secret()),
            Auth::Anonymous => None,
        }
    }

    /// The same credentials with the pasted secret trimmed.
    pub(crate) fn trimmed(&self) -> Auth {
        let t = |s: &SecretString| SecretString::from(s.expose_secret().trim().to_owned());
        match self {
            Auth::ApiToken { email, token } => {
                Auth::ApiToken { email: email.trim().to_owned(), token: t(token) }
            }
            Auth::Password { username, password } => {
                Auth::Password { username: username.trim().to_owned(), password: t(password) }
            }
            Auth::PersonalAccessToken { token } => Auth::PersonalAccessToken { token: t(token) },
            Auth::OAuth2 { client_id, client_secret, token_url, gateway_url, platform } => {
                Auth::OAuth2 {
                    client_id: client_id.trim().to_owned(),
                    client_secret: t(client_secret),
                    token_url: token_url.clone(),
                    gateway_url: gateway_url.clone(),
                    platform: platform.as_ref().map(|p| PlatformToken {
                        email: p.email.trim().to_owned(),
                        token: t(&p.token),
                    }),
                }
            }
            Auth::Connect { app_key, shared_secret } => {
                Auth::Connect { app_key: app_key.clone(), shared_secret: t(shared_secret) }
            }
            Auth::OAuth1 { consumer_key, private_key_pem, access_token } => Auth::OAuth1 {
                consumer_key: consumer_key.clone(),
                private_key_pem: private_key_pem.clone(),
                access_token: t(access_token),
            },
            Auth::Anonymous => Auth::Anonymous,
        }
    }
}

/// RFC 3986 percent-encoding as Connect and OAuth 1.0a define it: everything but
/// `A-Z a-z 0-9 - . _ ~` is escaped, so a space is `%20` (never `+`) and `*` is `%2A`.
pub fn percent_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, UNRESERVED_ONLY).to_string()
}

/// What RFC 3986 escapes in a component: everything but its unreserved characters.
const UNRESERVED_ONLY: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Atlassian Connect's canonical request: `METHOD&path&query`.
///
/// `path` is relative to the site's base URL (`/` when empty, no trailing slash, `&` escaped
/// as `%26`); `query` holds the decoded parameters: names are encoded per RFC 3986 and sorted,
/// a repeated name's values are sorted as they are (decoded) and only then encoded and joined
/// with `,` — Atlassian's own case `ids=.1,.2,%3A1,%3A2` sorts `:` after `.`, which sorting the
/// encoded `%3A` would not — and `jwt` is left out (it carries the token being computed).
pub fn canonical_request(method: &str, path: &str, query: &[(String, String)]) -> String {
    let mut path = path.trim_end_matches('/').replace('&', "%26");
    if path.is_empty() {
        path.push('/');
    }
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    let mut params: Vec<(String, &str)> = query
        .iter()
        .filter(|(k, _)| k != "jwt")
        .map(|(k, v)| (percent_encode(k), v.as_str()))
        .collect();
    params.sort();
    let mut joined: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in params {
        let v = percent_encode(v);
        match joined.last_mut() {
            Some((last, values)) if *last == k => values.push(v),
            _ => joined.push((k, vec![v])),
        }
    }
    let query: Vec<String> =
        joined.into_iter().map(|(k, values)| format!("{k}={}", values.join(","))).collect();
    format!("{}&{path}&{}", method.to_ascii_uppercase(), query.join("&"))
}

/// The `qsh` claim: hex SHA-256 of [`canonical_request`].
pub fn query_string_hash(method: &str, path: &str, query: &[(String, String)]) -> String {
    hex(&Sha256::digest(canonical_request(method, path, query).as_bytes()))
}

/// A Connect JWT for one request, valid from `now_s` for three minutes (what Atlassian's own
/// libraries use: long enough for clock skew, short enough to be useless if leaked).
pub fn connect_jwt(
    app_key: &str,
    shared_secret: &SecretString,
    method: &str,
    path: &str,
    query: &[(String, String)],
    now_s: i64,
) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = serde_json::json!({
        "iss": app_key,
        "iat": now_s,
        "exp": now_s + 180,
        "qsh": query_string_hash(method, path, query),
    });
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes());
    let signing_input = format!("{header}.{claims}");
    let mut mac = Hmac::<Sha256>::new_from_slice(shared_secret.expose_secret().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(signing_input.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{sig}")
}

/// The OAuth 1.0a signature base string (RFC 5849 §3.4.1): `METHOD&enc(base URL)&enc(params)`,
/// the parameters (query and `oauth_*`, without `oauth_signature`) encoded, sorted by name then
/// value, and joined with `&`.
pub fn oauth1_base_string(method: &str, base_url: &str, params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "oauth_signature")
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    encoded.sort();
    let joined: Vec<String> = encoded.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode(base_url),
        percent_encode(&joined.join("&"))
    )
}

/// The parts of a request an OAuth 1.0a signature covers (besides the credentials).
#[derive(Debug, Clone, Copy)]
pub struct OAuth1Request<'a> {
    pub method: &'a str,
    /// The request URL without query or fragment.
    pub base_url: &'a str,
    /// The decoded query pairs.
    pub query: &'a [(String, String)],
    pub timestamp_s: i64,
    pub nonce: &'a str,
}

/// The OAuth 1.0a `Authorization` header for one request, signed with RSA-SHA1.
pub fn oauth1_header(
    consumer_key: &str,
    private_key_pem: &SecretString,
    access_token: &SecretString,
    req: &OAuth1Request<'_>,
) -> Result<String, String> {
    oauth1_header_with(consumer_key, private_key_pem, Some(access_token.expose_secret()), &[], req)
}

/// [`oauth1_header`] for any step of the dance: `token` is absent when asking for a request
/// token, and `extra` carries the step's own protocol parameters (`oauth_callback`,
/// `oauth_verifier`), which the signature covers too.
pub(crate) fn oauth1_header_with(
    consumer_key: &str,
    private_key_pem: &SecretString,
    token: Option<&str>,
    extra: &[(&str, &str)],
    req: &OAuth1Request<'_>,
) -> Result<String, String> {
    let mut oauth: Vec<(String, String)> = vec![
        ("oauth_consumer_key".into(), consumer_key.to_owned()),
        ("oauth_nonce".into(), req.nonce.to_owned()),
        ("oauth_signature_method".into(), "RSA-SHA1".into()),
        ("oauth_timestamp".into(), req.timestamp_s.to_string()),
        ("oauth_version".into(), "1.0".into()),
    ];
    if let Some(t) = token {
        oauth.push(("oauth_token".into(), t.to_owned()));
    }
    oauth.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    oauth.sort();
    let all: Vec<(String, String)> =
        req.query.iter().cloned().chain(oauth.iter().cloned()).collect();
    let base = oauth1_base_string(req.method, req.base_url, &all);
    let signature = rsa_sha1_sign(private_key_pem.expose_secret(), base.as_bytes())?;
    let mut fields: Vec<String> =
        oauth.iter().map(|(k, v)| format!("{k}=\"{}\"", percent_encode(v))).collect();
    fields.push(format!("oauth_signature=\"{}\"", percent_encode(&signature)));
    Ok(format!("OAuth {}", fields.join(", ")))
}

/// A fresh nonce for one OAuth 1.0a request: 128 random bits in hex.
pub(crate) fn oauth1_nonce() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..16).map(|_| format!("{:02x}", rng.r#gen::<u8>())).collect()
}

/// Base64 of the PKCS#1 v1.5 RSA signature of SHA-1(`data`); the key as PKCS#8 or PKCS#1 PEM.
pub fn rsa_sha1_sign(private_key_pem: &str, data: &[u8]) -> Result<String, String> {
    rsa_sha1_sign_with(&mut rand::thread_rng(), private_key_pem, data)
}

/// [`rsa_sha1_sign`] with the random generator that blinds the private-key operation, so its
/// timing does not depend on the key (the side channel of RUSTSEC-2023-0071 needs unblinded
/// use).
fn rsa_sha1_sign_with(
    rng: &mut (impl rand::CryptoRng + rand::RngCore),
    private_key_pem: &str,
    data: &[u8],
) -> Result<String, String> {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    let pem = private_key_pem.trim();
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(pem))
        .map_err(|e| format!("the OAuth 1.0a private key is not an RSA key in PEM: {e}"))?;
    let digest = sha1::Sha1::digest(data);
    let sig = key
        .sign_with_rng(rng, rsa::Pkcs1v15Sign::new::<sha1::Sha1>(), &digest)
        .map_err(|e| format!("RSA-SHA1 signing failed: {e}"))?;
    Ok(STANDARD.encode(sig))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
