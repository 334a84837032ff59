//! Registered webhooks, and their delivery to loopback URLs.
//!
//! Two registries share one list: Cloud's dynamic webhooks for apps (`/rest/api/3/webhook`,
//! owned by the app that registered them, expiring after 30 days) and the admin webhooks of
//! `/rest/webhooks/1.0/webhook`. Delivery is best effort and loopback only: `jira:issue_updated`
//! and `jira:issue_deleted` are POSTed to registered `http://127.0.0.1`/`localhost` URLs whose
//! JQL filter matches the issue; any other URL is stored and listed, never called.

use serde::Serialize;
use serde_json::Value;

/// Which API registered a webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookKind {
    /// Cloud `POST /rest/api/3/webhook` by an app.
    Dynamic,
    /// `POST /rest/webhooks/1.0/webhook` by an administrator.
    Admin,
}

/// A registered webhook, as the library and `GET /_sandbox/webhooks` show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub id: u64,
    pub kind: WebhookKind,
    /// Admin webhooks' name; empty for dynamic ones.
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    pub jql_filter: Option<String>,
    pub field_ids_filter: Option<Vec<String>>,
    pub issue_property_keys_filter: Option<Vec<String>>,
    pub exclude_body: bool,
    /// Login name of the app user (dynamic) or administrator (admin) that registered it.
    pub owner: String,
    /// Dynamic webhooks expire 30 days after registration or refresh.
    pub expiration_ms: Option<i64>,
    pub updated_ms: i64,
}

/// Events a dynamic webhook may name (the `WebhookDetails.events` enum of the spec).
pub(crate) const DYNAMIC_EVENTS: &[&str] = &[
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
    "issue_property_set",
    "issue_property_deleted",
];

/// Thirty days, the lifetime of a dynamic webhook.
pub(crate) const DYNAMIC_LIFETIME_MS: i64 = 30 * 86_400_000;

/// Whether delivery may call this URL: plain HTTP to the loopback interface only.
pub(crate) fn deliverable(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// POSTs `payload` to each URL, in the background, ignoring failures.
pub(crate) fn deliver(targets: Vec<String>, payload: Value) {
    if targets.is_empty() {
        return;
    }
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return;
    };
    handle.spawn(async move {
        let client = reqwest::Client::new();
        for url in targets {
            let _ = client
                .post(&url)
                .json(&payload)
                .timeout(std::time::Duration::from_secs(5))
                .send()
                .await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_is_deliverable() {
        let cases = [
            ("http://127.0.0.1:8080/hook", true),
            ("http://localhost/hook", true),
            ("http://[::1]:9/x", true),
            ("https://127.0.0.1/hook", false),
            ("http://example.com/hook", false),
            ("http://127.0.0.1.example.com/hook", false),
            ("/relative", false),
        ];
        for (url, want) in cases {
            assert_eq!(deliverable(url), want, "{url}");
        }
    }
}
