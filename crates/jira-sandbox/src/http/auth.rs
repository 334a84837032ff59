//! Who is calling: Basic and Bearer as each flavour accepts them, Connect JWTs and OAuth 2.0
//! tokens on Cloud, OAuth 1.0a signed requests on Data Center.

use axum::http::{HeaderMap, HeaderValue, Method, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;

use super::{ApiError, Principal, Via};
use crate::Sandbox;
use crate::state::UserIdx;

/// The credentials a request carries, by scheme.
///
/// Bearer is a personal access token on Data Center and an OAuth 2.0 access token from
/// `POST /oauth/token` on Cloud; JWT is an installed Connect app's (Cloud); OAuth is an
/// OAuth 1.0a RSA-SHA1 signed request with an access token from the application-link dance
/// under `/plugins/servlet/oauth/...` (Data Center; refused on Cloud).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Credentials {
    None,
    Basic { id: String, secret: String },
    Bearer(String),
    OAuth1(String),
    ConnectJwt(String),
    Malformed,
}

pub(crate) fn credentials(headers: &HeaderMap) -> Credentials {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Credentials::None;
    };
    let Ok(value) = value.to_str() else {
        return Credentials::Malformed;
    };
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest)
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            match decoded.as_deref().and_then(|s| s.split_once(':')) {
                Some((id, secret)) => {
                    Credentials::Basic { id: id.to_owned(), secret: secret.to_owned() }
                }
                None => Credentials::Malformed,
            }
        }
        "bearer" => Credentials::Bearer(rest.to_owned()),
        "oauth" => Credentials::OAuth1(rest.to_owned()),
        "jwt" => Credentials::ConnectJwt(rest.to_owned()),
        _ => Credentials::Malformed,
    }
}

/// Paths Jira answers without credentials.
fn anonymous_ok(path: &str) -> bool {
    path.ends_with("/serverInfo")
}

pub(crate) fn authenticate(
    sb: &Sandbox,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    base: &str,
) -> Result<Principal, Denied> {
    let path = uri.path();
    let mut creds = credentials(headers);
    // Connect apps may put their JWT in the query string instead.
    if creds == Credentials::None
        && let Some(jwt) = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
            .ok()
            .and_then(|q| q.0.into_iter().find(|(k, _)| k == "jwt").map(|(_, v)| v))
    {
        creds = Credentials::ConnectJwt(jwt);
    }
    let cloud = sb.flavour().is_cloud();
    let mut via = Via::Person;
    let user: Option<UserIdx> = match &creds {
        Credentials::None if anonymous_ok(path) => return Ok(Principal(None, Via::Anonymous)),
        Credentials::None => None,
        Credentials::Basic { id, secret } if cloud => {
            let state = sb.read();
            state.users.iter().position(|u| {
                u.spec.email.eq_ignore_ascii_case(id)
                    && u.spec.api_token.as_deref() == Some(secret.as_str())
            })
        }
        Credentials::Basic { id, secret } => return dc_basic(sb, id, secret, base),
        Credentials::Bearer(token) if cloud => {
            super::oauth::token_client(sb, token).map(|(client, user)| {
                via = Via::OAuthClient(client);
                user
            })
        }
        Credentials::Bearer(token) => {
            let state = sb.read();
            // Personal access tokens came with Jira 8.14; before, a Bearer header is no login.
            if state.dc_older_than((8, 14)) {
                None
            } else {
                state
                    .users
                    .iter()
                    .position(|u| u.spec.personal_access_token.as_deref() == Some(token.as_str()))
            }
        }
        Credentials::ConnectJwt(token) if cloud => {
            via = Via::ConnectApp;
            super::connect::verify(sb, method, uri, token).ok()
        }
        Credentials::OAuth1(params) if !cloud => {
            super::oauth1::api_user(sb, method, uri, base, params)
        }
        Credentials::OAuth1(_) | Credentials::ConnectJwt(_) | Credentials::Malformed => None,
    };
    match user {
        Some(u) => Ok(Principal(Some(u), via)),
        None if anonymous_ok(path) => Ok(Principal(None, Via::Anonymous)),
        None => Err(Denied { cloud, captcha_base: None }),
    }
}

/// Data Center Basic auth, with Seraph's CAPTCHA after repeated failures: once demanded, even
/// the right password is refused until the failures are reset.
fn dc_basic(sb: &Sandbox, id: &str, secret: &str, base: &str) -> Result<Principal, Denied> {
    let name = id.to_lowercase();
    let threshold = sb.knobs().captcha_after_failures;
    let failures = sb.runtime().login_failures.get(&name).copied().unwrap_or(0);
    if threshold > 0 && failures >= threshold {
        return Err(Denied { cloud: false, captcha_base: Some(base.to_owned()) });
    }
    let user = {
        let state = sb.read();
        state.users.iter().position(|u| {
            u.spec.name.eq_ignore_ascii_case(id) && u.spec.password.as_deref() == Some(secret)
        })
    };
    let mut rt = sb.runtime();
    match user {
        Some(u) => {
            rt.login_failures.remove(&name);
            Ok(Principal(Some(u), Via::Person))
        }
        None => {
            let count = rt.login_failures.entry(name).or_default();
            *count += 1;
            // The failure that reaches the threshold already carries the CAPTCHA demand.
            let captcha = threshold > 0 && *count >= threshold;
            Err(Denied { cloud: false, captcha_base: captcha.then(|| base.to_owned()) })
        }
    }
}

/// A refused login: 401 with the headers the flavour sends.
#[derive(Debug)]
pub(crate) struct Denied {
    cloud: bool,
    /// Set when Data Center demands a CAPTCHA; the base URL for its login link.
    captcha_base: Option<String>,
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        unauthorized(self.cloud, self.captcha_base.as_deref())
    }
}

fn unauthorized(cloud: bool, captcha_base: Option<&str>) -> Response {
    let mut resp = ApiError::Unauthorized.into_response();
    let h = resp.headers_mut();
    if cloud {
        h.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"protected-by-api-token\""),
        );
        return resp;
    }
    h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Jira\""));
    match captcha_base {
        Some(base) => {
            h.insert("X-Seraph-LoginReason", HeaderValue::from_static("AUTHENTICATION_DENIED"));
            if let Ok(v) =
                HeaderValue::from_str(&format!("CAPTCHA_CHALLENGE; login-url={base}/login.jsp"))
            {
                h.insert("X-Authentication-Denied-Reason", v);
            }
        }
        None => {
            h.insert("X-Seraph-LoginReason", HeaderValue::from_static("AUTHENTICATED_FAILED"));
        }
    }
    resp
}
