//! The one error type of the client: the few cases a caller acts on differently.

use std::time::Duration;

/// What went wrong talking to Jira, sorted by what the caller does about it: fix credentials
/// (`Unauthorized`), fix permissions (`Forbidden`), give up on the item (`NotFound`,
/// `BadRequest`), come back later (`RateLimited`, `Unavailable`, `Transport`), or report a bug
/// (`Decode`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 401: credentials missing, wrong or expired. `denied_reason` carries why, when Jira said:
    /// its `X-Authentication-Denied-Reason` (a CAPTCHA demand on Data Center, which no retry
    /// fixes), or for OAuth 1.0a the `oauth_problem` (`oauth_problem=signature_invalid`,
    /// `consumer_key_unknown`, `token_rejected`, `timestamp_refused`, ...).
    #[error("Jira rejected the credentials (401){}", denied_reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    Unauthorized { denied_reason: Option<String> },
    /// 403: authenticated, but not allowed.
    #[error("Jira refused the request (403){}", join(messages))]
    Forbidden { messages: Vec<String> },
    /// 404: the issue, project, link or flag does not exist (or is invisible to this user).
    #[error("not found in Jira (404){}", join(messages))]
    NotFound { messages: Vec<String> },
    /// 429 after the retries allowed, or with a `Retry-After` longer than the client waits.
    #[error("Jira is rate limiting this client{}", retry_after.map(|d| format!("; retry after {}s", d.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx after the retries allowed.
    #[error("Jira is unavailable (HTTP {status})")]
    Unavailable { status: u16, retry_after: Option<Duration> },
    /// Any other 4xx, with Jira's `errorMessages` and `errors` (as `field: message`).
    #[error("Jira refused the request (HTTP {status}){}", join(messages))]
    BadRequest { status: u16, messages: Vec<String> },
    /// The request never got an HTTP answer (DNS, connect, TLS, timeout, reset).
    #[error("could not reach Jira: {0}")]
    Transport(String),
    /// Jira answered 2xx with a body this client cannot read.
    #[error("unexpected response from {endpoint}: {detail}")]
    Decode { endpoint: String, detail: String },
    /// The site is a Jira this client does not support (too old), or misconfigured locally.
    #[error("{0}")]
    Other(String),
    /// Not sent: the site's credentials are Jira Cloud's OAuth credentials for self-hosted
    /// tools, which reach only the DevOps APIs (Jira answers anything else 401). `call` is the
    /// request that was not made.
    #[error(
        "{call} was not sent: Jira Cloud's OAuth credentials reach only the DevOps APIs \
         (feature flags, development information, builds, deployments), not issues. This needs \
         an Atlassian account's API token beside the OAuth credentials"
    )]
    NeedsPlatformCredential { call: String },
}

impl Error {
    /// Whether trying again later may succeed without anybody changing anything: rate limits
    /// (429), server errors (5xx), a 408 Request Timeout, and requests that got no answer
    /// (connection refused or reset, DNS, timeouts). Everything else is permanent until someone
    /// changes the request, the credentials, the permissions or the configuration: a background
    /// worker parks the job and reports it instead of retrying.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Unavailable { .. } | Error::Transport(_) => true,
            Error::BadRequest { status, .. } => *status == 408,
            Error::Unauthorized { .. }
            | Error::Forbidden { .. }
            | Error::NotFound { .. }
            | Error::Decode { .. }
            | Error::Other(_)
            | Error::NeedsPlatformCredential { .. } => false,
        }
    }

    /// Whether Jira may have acted on a request that failed this way: `false` when it
    /// refused before acting (a 4xx answer, 429, or 503, which Jira sends before
    /// processing), `true` when it may have applied it (another 5xx, or no answer at all).
    /// A write that must not happen twice is never repeated after a `true`.
    pub fn may_have_applied(&self) -> bool {
        match self {
            Error::Unavailable { status, .. } => *status != 503,
            // A 2xx whose body did not read: it was applied.
            Error::Transport(_) | Error::Decode { .. } => true,
            Error::RateLimited { .. }
            | Error::Unauthorized { .. }
            | Error::Forbidden { .. }
            | Error::NotFound { .. }
            | Error::BadRequest { .. }
            | Error::Other(_)
            | Error::NeedsPlatformCredential { .. } => false,
        }
    }

    /// How long Jira asked the client to wait (its `Retry-After`, on a 429 or a 5xx), so a
    /// worker can schedule the next attempt no earlier. `None` when Jira did not say; pick a
    /// backoff of your own then.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after } | Error::Unavailable { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// The messages Jira gave, if any.
    pub fn messages(&self) -> &[String] {
        match self {
            Error::Forbidden { messages }
            | Error::NotFound { messages }
            | Error::BadRequest { messages, .. } => messages,
            _ => &[],
        }
    }
}

fn join(messages: &[String]) -> String {
    if messages.is_empty() { String::new() } else { format!(": {}", messages.join("; ")) }
}

#[cfg(test)]
mod tests;
