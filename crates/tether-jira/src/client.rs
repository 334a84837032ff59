//! The client: one site, its detected deployment, and the request machinery every operation
//! goes through (URLs per auth mode, credentials, the concurrency cap and pace, retries).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use reqwest::header::{AUTHORIZATION, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::auth::{self, Auth};
use crate::error::Error;
use crate::outbound::OutboundPolicy;
use crate::version::{Deployment, DeploymentKind, Version, is_cloud_host};
use crate::wire::{ErrorBody, ServerInfo};

/// Where a Jira is and how to log in.
#[derive(Debug, Clone)]
pub struct Site {
    /// The address people open in a browser, e.g. `https://acme.atlassian.net` or
    /// `https://jira.example.com/jira`.
    pub web_url: String,
    /// Where the REST API is reached, when not at `web_url` (a proxy, an internal name).
    pub api_url: Option<String>,
    pub auth: Auth,
}

impl Site {
    pub fn new(web_url: impl Into<String>, auth: Auth) -> Site {
        Site { web_url: web_url.into(), api_url: None, auth }
    }
}

/// Limits and patience, per site.
#[derive(Debug, Clone)]
pub struct Options {
    /// Requests in flight at once.
    pub max_concurrency: usize,
    /// Requests started per second; `None` for no pacing (the sandbox in tests).
    pub requests_per_second: Option<f64>,
    /// Retries after the first attempt, for 429, 5xx and transport errors.
    pub max_retries: u32,
    /// First backoff; doubled per retry, jittered, capped at `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// A `Retry-After` longer than this is handed to the caller as `RateLimited` instead of
    /// waited out, so a worker can reschedule instead of holding a task for minutes.
    pub max_retry_after: Duration,
    /// Per request, connect to last byte.
    pub timeout: Duration,
    /// `maxResults` asked for by the paging streams.
    pub page_size: u32,
    /// Which addresses the site's URLs may reach (checked after resolution, and on
    /// every redirect).
    pub outbound: OutboundPolicy,
    /// Refuse, at connect, a Data Center/Server older than 7.13 (what reading tickets in
    /// bulk needs). Code ↔ Jira turns it off: the REST v2 calls it makes (remote links,
    /// comments, transitions, worklogs) are in Jira Server 6 already.
    pub refuse_old_data_center: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_concurrency: 4,
            requests_per_second: Some(10.0),
            max_retries: 5,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            timeout: Duration::from_secs(30),
            page_size: 100,
            outbound: OutboundPolicy::OPEN,
            refuse_old_data_center: true,
        }
    }
}

/// A Jira REST client for one site. Cheap to clone; clones share the concurrency cap, the
/// pace and the OAuth 2.0 token.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl Client {
    /// Detects the deployment (serverInfo, falling back to the host name for Cloud), refuses a
    /// Data Center older than 7.13 (unless `refuse_old_data_center` is off), and resolves
    /// the cloudId for OAuth 2.0.
    pub async fn connect(site: Site, options: Options) -> Result<Client, Error> {
        let mut inner = Inner::new(site, options, None)?;
        if matches!(inner.site.auth, Auth::OAuth2 { .. }) {
            inner.cloud_id = Some(tenant_cloud_id(&inner).await?);
        }
        let client = Client { inner: Arc::new(inner) };
        if client.is_oauth2() {
            // A token now, so a wrong client secret fails here as wrong credentials fail on
            // serverInfo.
            client.oauth2_token().await?;
        }
        // OAuth credentials exist on Jira Cloud only, and serverInfo is a platform call they
        // may not make (an API token beside them may).
        let deployment = if client.inner.site.auth.reaches_platform_apis() {
            client.detect().await?
        } else {
            Deployment { kind: DeploymentKind::Cloud, version: None }
        };
        if client.inner.options.refuse_old_data_center {
            deployment.check_supported().map_err(Error::Other)?;
        }
        let mut inner = Arc::try_unwrap(client.inner).expect("not shared yet");
        inner.deployment = Some(deployment);
        Ok(Client { inner: Arc::new(inner) })
    }

    /// A client for a site whose deployment is already known (no request is made).
    pub fn with_deployment(
        site: Site,
        options: Options,
        deployment: Deployment,
        cloud_id: Option<String>,
    ) -> Result<Client, Error> {
        let mut inner = Inner::new(site, options, Some(deployment))?;
        inner.cloud_id = cloud_id;
        Ok(Client { inner: Arc::new(inner) })
    }

    pub fn site(&self) -> &Site {
        &self.inner.site
    }

    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    pub fn deployment(&self) -> Deployment {
        self.inner
            .deployment
            .clone()
            .unwrap_or(Deployment { kind: DeploymentKind::DataCenter, version: None })
    }

    /// 3 on Cloud, 2 on Data Center.
    pub fn api_version(&self) -> u8 {
        self.deployment().api_version()
    }

    /// Whether the site's credentials may call the platform and agile REST APIs; when not
    /// (OAuth credentials on Cloud), such calls fail with [`Error::NeedsPlatformCredential`]
    /// without being sent.
    pub fn reaches_platform_apis(&self) -> bool {
        self.inner.site.auth.reaches_platform_apis()
    }

    /// The cloudId, for OAuth 2.0 sites.
    pub fn cloud_id(&self) -> Option<&str> {
        self.inner.cloud_id.as_deref()
    }

    /// `GET {site}/_edge/tenant_info`: the cloudId of a Jira Cloud site (asked without
    /// credentials, as Jira answers it to anyone).
    pub async fn tenant_cloud_id(&self) -> Result<String, Error> {
        tenant_cloud_id(&self.inner).await
    }

    /// `GET /rest/api/2/serverInfo`.
    pub async fn server_info(&self) -> Result<ServerInfo, Error> {
        self.json(&Call::get(Api::Platform(2), "serverInfo")).await
    }

    /// Any platform API `GET`, for what has no typed operation yet. `path` is relative to
    /// `/rest/api/{version}/`.
    pub async fn get_json(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, Error> {
        let call = Call::get(Api::Platform(self.api_version()), path).query(query);
        self.json(&call).await
    }

    async fn detect(&self) -> Result<Deployment, Error> {
        let host_says_cloud = self.inner.web.host_str().is_some_and(is_cloud_host);
        match self.server_info().await {
            Ok(info) => Ok(deployment_of(&info, host_says_cloud)),
            Err(_) if host_says_cloud => {
                Ok(Deployment { kind: DeploymentKind::Cloud, version: None })
            }
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn json<T: DeserializeOwned>(&self, call: &Call) -> Result<T, Error> {
        let (_, body) = self.execute(call).await?;
        decode(call, &body)
    }

    /// Runs a call with retries; answers the 2xx status and body.
    pub(crate) async fn execute(&self, call: &Call) -> Result<(StatusCode, Vec<u8>), Error> {
        if !call.api.is_devops() && !self.reaches_platform_apis() {
            return Err(Error::NeedsPlatformCredential { call: call.describe() });
        }
        let opts = &self.inner.options;
        let mut attempt: u32 = 0;
        let mut refreshed_token = false;
        loop {
            let outcome = self.attempt(call).await;
            let retries_left = attempt < opts.max_retries;
            let wait = match outcome {
                Ok((status, _, body)) if status.is_success() => return Ok((status, body)),
                Ok((status, headers, body)) => {
                    let retry_after = retry_after(&headers);
                    let err = status_error(status, &headers, &body);
                    match status.as_u16() {
                        // Refused before processing, so safe to repeat whatever the method.
                        429 | 503 => {
                            let wait = retry_after.unwrap_or_else(|| self.backoff(attempt));
                            if !retries_left || wait > opts.max_retry_after {
                                return Err(err);
                            }
                            wait
                        }
                        // A 500 may come after the write happened: repeat only what is safe.
                        500..=599 if call.idempotent && retries_left => self.backoff(attempt),
                        // An OAuth 2.0 token can be revoked before it expires: fetch a new one
                        // once.
                        401 if self.bearer_for(call) && !refreshed_token => {
                            refreshed_token = true;
                            *self.inner.token.lock().await = None;
                            Duration::ZERO
                        }
                        _ => return Err(err),
                    }
                }
                Err(Failure::Transport { error, maybe_sent }) => {
                    if !retries_left || (maybe_sent && !call.idempotent) {
                        return Err(error);
                    }
                    self.backoff(attempt)
                }
                Err(Failure::Fatal(e)) => {
                    if !(e.is_transient() && retries_left) {
                        return Err(e);
                    }
                    self.backoff(attempt)
                }
            };
            tracing::debug!(call = %call.describe(), attempt, ?wait, "retrying Jira request");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, call: &Call) -> Result<(StatusCode, HeaderMap, Vec<u8>), Failure> {
        let url = self.url(call).map_err(Failure::Fatal)?;
        let _permit = self.inner.permits.acquire().await.expect("the semaphore is never closed");
        self.pace().await;
        let mut req = self.inner.http.request(call.method.clone(), url.clone());
        if let Some(value) = self.authorization(call, &url).await.map_err(Failure::Fatal)? {
            req = req.header(AUTHORIZATION, value);
        }
        if let Some(body) = &call.body {
            req = req.json(body);
        }
        let resp = req.send().await.map_err(|e| Failure::Transport {
            maybe_sent: !e.is_connect(),
            error: Error::Transport(transport_detail(&e)),
        })?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| Failure::Transport {
            maybe_sent: true,
            error: Error::Transport(transport_detail(&e)),
        })?;
        Ok((status, headers, body.to_vec()))
    }

    fn url(&self, call: &Call) -> Result<Url, Error> {
        let cloud_gateway = match (&self.inner.site.auth, &self.inner.cloud_id) {
            // An API token beside OAuth credentials makes the platform calls, at the site.
            (Auth::OAuth2 { platform: Some(_), .. }, _) if !call.api.is_devops() => None,
            (Auth::OAuth2 { gateway_url, .. }, Some(id)) => {
                Some((gateway_url.trim_end_matches('/'), id.as_str()))
            }
            _ => None,
        };
        let api = self.inner.api.as_str().trim_end_matches('/');
        let base = match (&call.api, cloud_gateway) {
            (Api::Platform(v), Some((gw, id))) => format!("{gw}/ex/jira/{id}/rest/api/{v}/"),
            (Api::Platform(v), None) => format!("{api}/rest/api/{v}/"),
            (Api::FeatureFlags, Some((gw, id))) => {
                format!("{gw}/jira/featureflags/0.1/cloud/{id}/")
            }
            (Api::FeatureFlags, None) => format!("{api}/rest/featureflags/0.1/"),
            (Api::DevInfo, Some((gw, id))) => format!("{gw}/jira/devinfo/0.10/cloud/{id}/"),
            (Api::DevInfo, None) => format!("{api}/rest/devinfo/0.10/"),
            (Api::Agile, Some((gw, id))) => format!("{gw}/ex/jira/{id}/rest/agile/1.0/"),
            (Api::Agile, None) => format!("{api}/rest/agile/1.0/"),
            (Api::Webhooks, Some((gw, id))) => format!("{gw}/ex/jira/{id}/rest/webhooks/1.0/"),
            (Api::Webhooks, None) => format!("{api}/rest/webhooks/1.0/"),
        };
        let mut url = Url::parse(&format!("{base}{}", call.path))
            .map_err(|e| Error::Other(format!("bad Jira URL {base}{}: {e}", call.path)))?;
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&call.query);
        }
        Ok(url)
    }

    async fn authorization(&self, call: &Call, url: &Url) -> Result<Option<String>, Error> {
        use base64::Engine;
        let basic = |id: &str, secret: &SecretString| {
            let raw = format!("{id}:{}", secret.expose_secret());
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
        };
        Ok(Some(match &self.inner.site.auth {
            Auth::Anonymous => return Ok(None),
            Auth::ApiToken { email, token } => basic(email, token),
            Auth::Password { username, password } => basic(username, password),
            Auth::PersonalAccessToken { token } => format!("Bearer {}", token.expose_secret()),
            Auth::OAuth2 { platform: Some(p), .. } if !call.api.is_devops() => {
                basic(&p.email, &p.token)
            }
            Auth::OAuth2 { .. } => format!("Bearer {}", self.oauth2_token().await?),
            Auth::Connect { app_key, shared_secret } => {
                // The canonical path is relative to the site's base URL, which may have a
                // context path of its own.
                let prefix = self.inner.api.path().trim_end_matches('/');
                let path = url.path().strip_prefix(prefix).unwrap_or(url.path());
                let jwt = auth::connect_jwt(
                    app_key,
                    shared_secret,
                    call.method.as_str(),
                    path,
                    &call.query,
                    now_s(),
                );
                format!("JWT {jwt}")
            }
            Auth::OAuth1 { consumer_key, private_key_pem, access_token } => {
                let mut base = url.clone();
                base.set_query(None);
                base.set_fragment(None);
                let nonce = auth::oauth1_nonce();
                let req = auth::OAuth1Request {
                    method: call.method.as_str(),
                    base_url: base.as_str(),
                    query: &call.query,
                    timestamp_s: now_s(),
                    nonce: &nonce,
                };
                auth::oauth1_header(consumer_key, private_key_pem, access_token, &req)
                    .map_err(Error::Other)?
            }
        }))
    }

    fn is_oauth2(&self) -> bool {
        matches!(self.inner.site.auth, Auth::OAuth2 { .. })
    }

    /// Whether `call` is sent with the OAuth 2.0 token (and not the API token beside it).
    fn bearer_for(&self, call: &Call) -> bool {
        match &self.inner.site.auth {
            Auth::OAuth2 { platform: Some(_), .. } => call.api.is_devops(),
            auth => matches!(auth, Auth::OAuth2 { .. }),
        }
    }

    /// The cached OAuth 2.0 access token, fetched anew a minute before it expires.
    async fn oauth2_token(&self) -> Result<String, Error> {
        let Auth::OAuth2 { client_id, client_secret, token_url, .. } = &self.inner.site.auth else {
            return Err(Error::Other("not an OAuth 2.0 site".into()));
        };
        let mut cached = self.inner.token.lock().await;
        if let Some((token, expires)) = &*cached
            && Instant::now() + Duration::from_secs(60) < *expires
        {
            return Ok(token.expose_secret().to_owned());
        }
        let resp = self
            .inner
            .http
            .post(token_url)
            .json(&serde_json::json!({
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret.expose_secret(),
                "audience": "api.atlassian.com",
            }))
            .send()
            .await
            .map_err(|e| Error::Transport(transport_detail(&e)))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| Error::Transport(transport_detail(&e)))?;
        if !status.is_success() {
            // The token endpoint answers 400/401 `access_denied` for a wrong id or secret.
            return Err(match status.as_u16() {
                400 | 401 | 403 => Error::Unauthorized { denied_reason: None },
                _ => status_error(status, &headers, &body),
            });
        }
        #[derive(serde::Deserialize)]
        struct TokenResponse {
            access_token: String,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let t: TokenResponse = serde_json::from_slice(&body).map_err(|e| Error::Decode {
            endpoint: format!("POST {token_url}"),
            detail: e.to_string(),
        })?;
        let lifetime = Duration::from_secs(t.expires_in.unwrap_or(3600));
        *cached = Some((SecretString::from(t.access_token.clone()), Instant::now() + lifetime));
        Ok(t.access_token)
    }

    /// Waits for this request's slot under the request-rate limit: slots are handed out
    /// `1/rate` apart, so bursts are smoothed rather than refused.
    async fn pace(&self) {
        let Some(rate) = self.inner.options.requests_per_second.filter(|r| *r > 0.0) else {
            return;
        };
        let interval = Duration::from_secs_f64(1.0 / rate);
        let slot = {
            let mut next = self.inner.next_slot.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Exponential backoff with equal jitter: half the step fixed, half random, so retries
    /// from many workers spread out but never collapse to zero.
    fn backoff(&self, attempt: u32) -> Duration {
        let o = &self.inner.options;
        let step = o.backoff_base.saturating_mul(1 << attempt.min(16)).min(o.backoff_max);
        let half = step / 2;
        half + half.mul_f64(rand::thread_rng().r#gen::<f64>())
    }
}

/// Which REST API a call addresses; the base URL differs per auth mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// `/rest/api/{version}/`.
    Platform(u8),
    /// `/rest/featureflags/0.1/`.
    FeatureFlags,
    /// `/rest/devinfo/0.10/`.
    DevInfo,
    /// Jira Software's `/rest/agile/1.0/` (boards and sprints).
    Agile,
    /// The admin webhooks of `/rest/webhooks/1.0/` (both deployments).
    Webhooks,
}

impl Api {
    /// The Feature Flags and Development Information APIs, which OAuth credentials reach.
    fn is_devops(self) -> bool {
        matches!(self, Api::FeatureFlags | Api::DevInfo)
    }
}

/// One request, described so it can be re-sent and signed.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub method: Method,
    pub api: Api,
    /// Relative to the API's base, segments already encoded.
    pub path: String,
    /// Decoded pairs; encoded when the URL is built (and for signatures).
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    /// Whether sending it twice does no harm (so a 500 or lost answer may be retried).
    pub idempotent: bool,
}

impl Call {
    pub fn new(method: Method, api: Api, path: impl Into<String>) -> Call {
        let idempotent = matches!(method, Method::GET | Method::PUT | Method::DELETE);
        Call { method, api, path: path.into(), query: Vec::new(), body: None, idempotent }
    }

    pub fn get(api: Api, path: impl Into<String>) -> Call {
        Call::new(Method::GET, api, path)
    }

    pub fn query(mut self, pairs: &[(&str, &str)]) -> Call {
        self.query.extend(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        self
    }

    pub fn param(mut self, k: &str, v: impl Into<String>) -> Call {
        self.query.push((k.to_owned(), v.into()));
        self
    }

    pub fn body(mut self, body: Value) -> Call {
        self.body = Some(body);
        self
    }

    /// Marks a POST that reads, or writes by a key Jira upserts on.
    pub fn idempotent(mut self) -> Call {
        self.idempotent = true;
        self
    }

    pub fn describe(&self) -> String {
        let prefix = match self.api {
            Api::Platform(v) => format!("/rest/api/{v}/"),
            Api::FeatureFlags => "/rest/featureflags/0.1/".to_owned(),
            Api::DevInfo => "/rest/devinfo/0.10/".to_owned(),
            Api::Agile => "/rest/agile/1.0/".to_owned(),
            Api::Webhooks => "/rest/webhooks/1.0/".to_owned(),
        };
        format!("{} {prefix}{}", self.method, self.path)
    }
}

/// Encodes one path segment (an issue key, a flag id).
pub(crate) fn seg(s: &str) -> String {
    auth::percent_encode(s)
}

pub(crate) fn decode<T: DeserializeOwned>(call: &Call, body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body)
        .map_err(|e| Error::Decode { endpoint: call.describe(), detail: e.to_string() })
}

/// The error a non-2xx answer stands for.
pub(crate) fn status_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    let denied_reason = headers
        .get("X-Authentication-Denied-Reason")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| oauth_problem(headers));
    let messages = || ErrorBody::parse(body);
    match status.as_u16() {
        401 => Error::Unauthorized { denied_reason },
        // Data Center answers a CAPTCHA demand with 403 on some endpoints.
        403 if denied_reason.is_some() => Error::Unauthorized { denied_reason },
        403 => Error::Forbidden { messages: messages() },
        404 => Error::NotFound { messages: messages() },
        429 => Error::RateLimited { retry_after: retry_after(headers) },
        s @ 500..=599 => Error::Unavailable { status: s, retry_after: retry_after(headers) },
        s => Error::BadRequest { status: s, messages: messages() },
    }
}

/// `oauth_problem=...` from `WWW-Authenticate: OAuth realm="...", oauth_problem="..."`, how
/// Jira says why it refused an OAuth 1.0a signed request.
pub(crate) fn oauth_problem(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(reqwest::header::WWW_AUTHENTICATE)?.to_str().ok()?;
    let (scheme, params) = v.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("oauth") {
        return None;
    }
    params.split(',').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim() == "oauth_problem")
            .then(|| format!("oauth_problem={}", v.trim().trim_matches('"')))
    })
}

/// `Retry-After` in seconds (what Jira sends) or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs >= 0.0 && secs.is_finite()).then(|| Duration::from_secs_f64(secs));
    }
    let at = http_date_s(v)?;
    Some(Duration::from_secs(u64::try_from(at - now_s()).unwrap_or(0)))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` as epoch seconds.
fn http_date_s(s: &str) -> Option<i64> {
    let mut parts = s.split_whitespace().skip(1);
    let day = parts.next()?;
    let month = parts.next()?;
    let year = parts.next()?;
    let time = parts.next()?;
    let months =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let m = months.iter().position(|x| *x == month)? + 1;
    let iso = format!("{year}-{m:02}-{day:0>2}T{time}Z");
    crate::wire::parse_timestamp(&iso).map(|ms| ms / 1000)
}

pub(crate) fn transport_detail(e: &reqwest::Error) -> String {
    // reqwest's Display stops at "error sending request"; the cause names the real problem.
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

pub(crate) fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub(crate) fn deployment_of(info: &ServerInfo, host_says_cloud: bool) -> Deployment {
    let kind = match info.deployment_type.as_deref() {
        Some(t) if t.eq_ignore_ascii_case("cloud") => DeploymentKind::Cloud,
        Some(_) => DeploymentKind::DataCenter,
        None if host_says_cloud => DeploymentKind::Cloud,
        None => DeploymentKind::DataCenter,
    };
    Deployment { kind, version: info.version.as_deref().and_then(Version::parse) }
}

/// `GET {web_url}/_edge/tenant_info` (anonymous): the cloudId OAuth 2.0 gateway URLs need.
async fn tenant_cloud_id(inner: &Inner) -> Result<String, Error> {
    let url = inner
        .web
        .join("_edge/tenant_info")
        .map_err(|e| Error::Other(format!("bad site URL: {e}")))?;
    let resp =
        inner.http.get(url).send().await.map_err(|e| Error::Transport(transport_detail(&e)))?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.map_err(|e| Error::Transport(transport_detail(&e)))?;
    if !status.is_success() {
        return Err(status_error(status, &headers, &body));
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Tenant {
        cloud_id: String,
    }
    serde_json::from_slice::<Tenant>(&body).map(|t| t.cloud_id).map_err(|e| Error::Decode {
        endpoint: "GET /_edge/tenant_info".into(),
        detail: e.to_string(),
    })
}

enum Failure {
    /// No HTTP answer; `maybe_sent` when the server may have acted on it.
    Transport {
        error: Error,
        maybe_sent: bool,
    },
    Fatal(Error),
}

#[derive(Debug)]
struct Inner {
    site: Site,
    options: Options,
    web: Url,
    api: Url,
    http: reqwest::Client,
    deployment: Option<Deployment>,
    cloud_id: Option<String>,
    permits: Semaphore,
    next_slot: Mutex<Instant>,
    token: tokio::sync::Mutex<Option<(SecretString, Instant)>>,
}

impl Inner {
    fn new(site: Site, options: Options, deployment: Option<Deployment>) -> Result<Inner, Error> {
        let web = parse_base(&site.web_url)?;
        let api = match &site.api_url {
            Some(a) => parse_base(a)?,
            None => web.clone(),
        };
        let mut addresses = vec![web.clone(), api.clone()];
        if let Auth::OAuth2 { token_url, gateway_url, .. } = &site.auth {
            addresses
                .extend([token_url, gateway_url].into_iter().filter_map(|u| Url::parse(u).ok()));
        }
        for url in &addresses {
            options.outbound.check_url(url).map_err(|e| Error::Other(e.to_string()))?;
        }
        let builder = reqwest::Client::builder()
            .timeout(options.timeout)
            .user_agent(concat!("tether-jira/", env!("CARGO_PKG_VERSION")));
        let http = options
            .outbound
            .apply(builder, true)
            .build()
            .map_err(|e| Error::Other(format!("cannot build the HTTP client: {e}")))?;
        Ok(Inner {
            permits: Semaphore::new(options.max_concurrency.max(1)),
            next_slot: Mutex::new(Instant::now()),
            token: tokio::sync::Mutex::new(None),
            site,
            options,
            web,
            api,
            http,
            deployment,
            cloud_id: None,
        })
    }
}

/// A base URL with a trailing slash, so `join` keeps its context path.
pub(crate) fn parse_base(s: &str) -> Result<Url, Error> {
    let trimmed = s.trim();
    let with_slash =
        if trimmed.ends_with('/') { trimmed.to_owned() } else { format!("{trimmed}/") };
    let url = Url::parse(&with_slash)
        .map_err(|e| Error::Other(format!("{trimmed:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Other(format!("{trimmed:?} is not an http(s) URL")));
    }
    Ok(url)
}
