//! The OAuth 1.0a dance of a Data Center application link, which gives tether an access token
//! to sign API requests with ([`crate::Auth::OAuth1`]).
//!
//! A Jira admin first creates an application link with an incoming consumer: a consumer key and
//! the public half of tether's RSA key. Then, once per Jira user tether acts as:
//!
//! 1. [`request_token`]: tether asks Jira for a request token (signed by the consumer).
//! 2. [`authorize_url`]: the user opens it in a browser and allows access; Jira redirects to
//!    the callback with `oauth_verifier`, or shows the verifier for out-of-band (`oob`) flows.
//! 3. [`access_token`]: tether trades the request token and the verifier for an access token
//!    (Jira's last five years), and [`AccessToken::auth`] makes the credentials.
//!
//! Signatures are RSA-SHA1 (the only method Jira takes), so the token secrets Jira hands out
//! sign nothing; they are kept because the protocol returns them.
//!
//! ```no_run
//! # async fn demo() -> Result<(), tether_jira::Error> {
//! use tether_jira::oauth1::{self, Consumer};
//! let jira = "https://jira.example.com";
//! let consumer = Consumer::new("tether", "-----BEGIN PRIVATE KEY-----\n...");
//! let request = oauth1::request_token(jira, &consumer, None).await?;
//! println!("Open {} and allow access", oauth1::authorize_url(jira, &request)?);
//! let verifier = "the code Jira showed";
//! let access = oauth1::access_token(jira, &consumer, &request, verifier).await?;
//! let site = tether_jira::Site::new(jira, access.auth(&consumer));
//! # Ok(()) }
//! ```

use std::time::Duration;

use reqwest::Url;
use secrecy::SecretString;

use crate::auth::{Auth, OAuth1Request, oauth1_header_with, oauth1_nonce};
use crate::client::{now_s, parse_base, status_error, transport_detail};
use crate::error::Error;
use crate::outbound::OutboundPolicy;

/// The callback value for flows without a redirect: Jira shows the verifier to the user.
pub const OUT_OF_BAND: &str = "oob";

/// An application link's incoming consumer as tether holds it: the consumer key registered in
/// Jira and the RSA private key whose public half was registered with it.
#[derive(Debug, Clone)]
pub struct Consumer {
    pub key: String,
    /// PKCS#8 or PKCS#1 PEM.
    pub private_key_pem: SecretString,
}

impl Consumer {
    pub fn new(key: impl Into<String>, private_key_pem: impl Into<String>) -> Consumer {
        Consumer { key: key.into(), private_key_pem: SecretString::from(private_key_pem.into()) }
    }
}

/// A request token, good for one authorization and one exchange.
#[derive(Debug, Clone)]
pub struct RequestToken {
    /// Not secret: it travels in the authorize URL.
    pub token: String,
    pub secret: SecretString,
    /// Whether Jira confirmed the callback (OAuth 1.0a revision A); a Jira that does not is not
    /// one this client talks to safely.
    pub callback_confirmed: bool,
}

/// An access token: the credential API requests are signed with.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: SecretString,
    pub secret: SecretString,
    /// How long the token lives, when Jira says (`oauth_expires_in`).
    pub expires_in: Option<Duration>,
    /// How long the user's approval lives (`oauth_authorization_expires_in`).
    pub authorization_expires_in: Option<Duration>,
}

impl AccessToken {
    /// The credentials for [`crate::Site`]: this token, signed for by `consumer`.
    pub fn auth(&self, consumer: &Consumer) -> Auth {
        Auth::OAuth1 {
            consumer_key: consumer.key.clone(),
            private_key_pem: consumer.private_key_pem.clone(),
            access_token: self.token.clone(),
        }
    }
}

/// A fresh consumer key pair for an application link: the private key (PKCS#8 PEM, which
/// tether keeps sealed and signs with) and its public half (SubjectPublicKeyInfo PEM, which a
/// Jira admin pastes into the link's incoming side). 2048 bits, what Jira's own guide uses.
pub fn generate_key_pair() -> Result<(SecretString, String), Error> {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048)
        .map_err(|e| Error::Other(format!("cannot generate an RSA key: {e}")))?;
    let private = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| Error::Other(format!("cannot encode the RSA key: {e}")))?;
    let public = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| Error::Other(format!("cannot encode the public key: {e}")))?;
    Ok((SecretString::from(private.to_string()), public))
}

/// The public half of a consumer's private key (PKCS#8 or PKCS#1 PEM), as
/// [`generate_key_pair`] gives it.
pub fn public_key_pem(private_key_pem: &SecretString) -> Result<String, Error> {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
    use secrecy::ExposeSecret;
    let pem = private_key_pem.expose_secret().trim();
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(pem))
        .map_err(|e| Error::Other(format!("not an RSA private key in PEM: {e}")))?;
    key.to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| Error::Other(format!("cannot encode the public key: {e}")))
}

/// Step 1, `POST {jira_url}/plugins/servlet/oauth/request-token`, signed by the consumer.
/// `callback` is where Jira sends the user after they allow access (with `oauth_token` and
/// `oauth_verifier` in the query), or `None` for [`OUT_OF_BAND`].
///
/// A refused signature is [`Error::Unauthorized`] with Jira's `oauth_problem` in
/// `denied_reason` (`consumer_key_unknown`: no application link has this key;
/// `signature_invalid`: the registered public key is not this private key's;
/// `timestamp_refused`: this server's clock is off). [`Error::NotFound`]: no OAuth 1.0a at
/// this URL (Jira Cloud has none).
pub async fn request_token(
    jira_url: &str,
    consumer: &Consumer,
    callback: Option<&str>,
) -> Result<RequestToken, Error> {
    request_token_within(OutboundPolicy::OPEN, jira_url, consumer, callback).await
}

/// [`request_token`], reaching only the addresses `policy` allows.
pub async fn request_token_within(
    policy: OutboundPolicy,
    jira_url: &str,
    consumer: &Consumer,
    callback: Option<&str>,
) -> Result<RequestToken, Error> {
    let callback = callback.unwrap_or(OUT_OF_BAND);
    let pairs = post_signed(
        policy,
        jira_url,
        "request-token",
        consumer,
        None,
        &[("oauth_callback", callback)],
    )
    .await?;
    let token = field(&pairs, "oauth_token", "request-token")?;
    let secret = field(&pairs, "oauth_token_secret", "request-token")?;
    Ok(RequestToken {
        token,
        secret: SecretString::from(secret),
        callback_confirmed: pairs
            .iter()
            .any(|(k, v)| k == "oauth_callback_confirmed" && v == "true"),
    })
}

/// Step 2, the page where the user allows access:
/// `{jira_url}/plugins/servlet/oauth/authorize?oauth_token=...`. Fails only for a URL that is
/// not one.
pub fn authorize_url(jira_url: &str, request_token: &RequestToken) -> Result<String, Error> {
    let mut url = endpoint(jira_url, "authorize")?;
    url.query_pairs_mut().append_pair("oauth_token", &request_token.token);
    Ok(url.into())
}

/// Step 3, `POST {jira_url}/plugins/servlet/oauth/access-token`, signed with the request token
/// and the `verifier` Jira gave the user (or the callback). A request token is exchanged once;
/// `oauth_problem=permission_denied` means the verifier is wrong, `permission_unknown` that
/// nobody allowed access yet, `token_rejected` that the request token is used up or unknown.
pub async fn access_token(
    jira_url: &str,
    consumer: &Consumer,
    request_token: &RequestToken,
    verifier: &str,
) -> Result<AccessToken, Error> {
    access_token_within(OutboundPolicy::OPEN, jira_url, consumer, request_token, verifier).await
}

/// [`access_token`], reaching only the addresses `policy` allows.
pub async fn access_token_within(
    policy: OutboundPolicy,
    jira_url: &str,
    consumer: &Consumer,
    request_token: &RequestToken,
    verifier: &str,
) -> Result<AccessToken, Error> {
    let pairs = post_signed(
        policy,
        jira_url,
        "access-token",
        consumer,
        Some(&request_token.token),
        &[("oauth_verifier", verifier.trim())],
    )
    .await?;
    let seconds = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.parse().ok())
            .map(Duration::from_secs)
    };
    Ok(AccessToken {
        token: SecretString::from(field(&pairs, "oauth_token", "access-token")?),
        secret: SecretString::from(field(&pairs, "oauth_token_secret", "access-token")?),
        expires_in: seconds("oauth_expires_in"),
        authorization_expires_in: seconds("oauth_authorization_expires_in"),
    })
}

fn endpoint(jira_url: &str, step: &str) -> Result<Url, Error> {
    parse_base(jira_url)?
        .join(&format!("plugins/servlet/oauth/{step}"))
        .map_err(|e| Error::Other(format!("bad Jira URL {jira_url:?}: {e}")))
}

/// POSTs one signed step of the dance; answers the form-encoded pairs of a 2xx.
async fn post_signed(
    policy: OutboundPolicy,
    jira_url: &str,
    step: &str,
    consumer: &Consumer,
    token: Option<&str>,
    extra: &[(&str, &str)],
) -> Result<Vec<(String, String)>, Error> {
    let url = endpoint(jira_url, step)?;
    policy.check_url(&url).map_err(|e| Error::Other(e.to_string()))?;
    let nonce = oauth1_nonce();
    let req = OAuth1Request {
        method: "POST",
        base_url: url.as_str(),
        query: &[],
        timestamp_s: now_s(),
        nonce: &nonce,
    };
    let header = oauth1_header_with(&consumer.key, &consumer.private_key_pem, token, extra, &req)
        .map_err(Error::Other)?;
    let builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("tether-jira/", env!("CARGO_PKG_VERSION")));
    let http = policy
        .apply(builder, true)
        .build()
        .map_err(|e| Error::Other(format!("cannot build the HTTP client: {e}")))?;
    let resp = http
        .post(url)
        .header(reqwest::header::AUTHORIZATION, header)
        .body("")
        .send()
        .await
        .map_err(|e| Error::Transport(transport_detail(&e)))?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.map_err(|e| Error::Transport(transport_detail(&e)))?;
    if !status.is_success() {
        let mut err = status_error(status, &headers, &body);
        // Jira repeats the problem in a form-encoded body; use it when the header had none.
        if let Error::Unauthorized { denied_reason: reason @ None } = &mut err {
            *reason = form_pairs(&body)
                .into_iter()
                .find(|(k, _)| k == "oauth_problem")
                .map(|(_, v)| format!("oauth_problem={v}"));
        }
        return Err(err);
    }
    Ok(form_pairs(&body))
}

/// `a=1&b=x%20y` as decoded pairs (form rules: `+` is a space).
fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    let mut url = Url::parse("http://form.invalid/").expect("static URL");
    url.set_query(Some(&String::from_utf8_lossy(body)));
    url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn field(pairs: &[(String, String)], name: &str, step: &str) -> Result<String, Error> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::Decode {
            endpoint: format!("POST /plugins/servlet/oauth/{step}"),
            detail: format!("no {name} in the answer"),
        })
}
