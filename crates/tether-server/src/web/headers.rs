//! Security headers on every answer: no content sniffing, no referrer to other
//! sites, and on pages a Content Security Policy (only tether's own scripts,
//! styles, images and form targets; no plugins; no `<base>`). Pages may not be
//! framed, except the ones Jira opens in its issue view, which the registered
//! Jira sites alone may frame.

use axum::http::HeaderValue;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::response::Response;

use crate::AppState;

/// The pages Jira opens in a frame on an issue (the Connect and Forge actions).
pub(crate) const FRAMED_BY_JIRA: [&str; 3] =
    ["/jira/create-flag", "/jira/link-flag", "/jira/issue-flags"];

const POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
                      script-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'";

/// Sets the security headers of `response`; `framed` when it answers one of the pages Jira
/// frames ([`FRAMED_BY_JIRA`]).
pub(crate) async fn secure(state: &AppState, framed: bool, mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    let html = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !html {
        return response;
    }
    let ancestors = if framed { jira_origins(state).await } else { "'none'".to_owned() };
    let policy = format!("{POLICY}; frame-ancestors {ancestors}");
    if let Ok(v) = HeaderValue::from_str(&policy) {
        response.headers_mut().insert(CONTENT_SECURITY_POLICY, v);
    }
    if !framed {
        response.headers_mut().insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

/// `'self'` and the origins of the enabled Jira sites (their base and display URLs).
async fn jira_origins(state: &AppState) -> String {
    let mut origins = vec!["'self'".to_owned()];
    let sites = state.store.list_jira_sites().await.unwrap_or_default();
    for site in sites.iter().filter(|s| s.enabled) {
        let display = site.options.get("display_url").and_then(|v| v.as_str());
        for url in std::iter::once(site.url.as_str()).chain(display) {
            if let Some(origin) = origin_of(url).filter(|o| !origins.contains(o)) {
                origins.push(origin);
            }
        }
    }
    origins.join(" ")
}

/// `scheme://host[:port]` of a URL, when it has one that may stand in a policy.
fn origin_of(url: &str) -> Option<String> {
    let u = url.parse::<axum::http::Uri>().ok()?;
    let scheme = u.scheme_str().filter(|s| matches!(*s, "http" | "https"))?;
    let authority = u.authority()?.as_str();
    let plain = authority
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    plain.then(|| format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn only_plain_origins_enter_the_policy() {
        let cases = [
            ("https://acme.atlassian.net", Some("https://acme.atlassian.net")),
            ("https://acme.atlassian.net/jira/", Some("https://acme.atlassian.net")),
            ("http://127.0.0.1:8081", Some("http://127.0.0.1:8081")),
            ("https://user@acme.atlassian.net", None),
            ("https://a.example; script-src *", None),
            ("javascript:alert(1)", None),
        ];
        for (url, want) in cases {
            assert_eq!(origin_of(url).as_deref(), want, "{url}");
        }
    }
}
