//! What a Jira webhook delivers about an issue or a comment, as far as ingestion needs it: the
//! event and which issue (and project) it concerns.

use serde::Deserialize;
use serde_json::Value;

/// One webhook delivery, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookEvent {
    /// `jira:issue_created`, `jira:issue_updated`, `jira:issue_deleted`, `comment_created`, …
    pub event: String,
    pub issue_id: Option<String>,
    pub issue_key: Option<String>,
    pub project_id: Option<String>,
}

impl HookEvent {
    /// Reads a delivery (`{"webhookEvent": …, "issue": {"id", "key", "fields": {"project"}}}`);
    /// `None` for a body that is not one.
    pub fn parse(body: &[u8]) -> Option<HookEvent> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Delivery {
            webhook_event: String,
            #[serde(default)]
            issue: Option<Value>,
        }
        let d: Delivery = serde_json::from_slice(body).ok()?;
        let issue = d.issue.as_ref();
        let text = |v: Option<&Value>| {
            v.and_then(|v| {
                v.as_str().map(str::to_owned).or_else(|| v.as_u64().map(|n| n.to_string()))
            })
        };
        Some(HookEvent {
            event: d.webhook_event,
            issue_id: text(issue.and_then(|i| i.get("id"))),
            issue_key: text(issue.and_then(|i| i.get("key"))),
            project_id: text(issue.and_then(|i| i.pointer("/fields/project/id"))),
        })
    }

    /// Whether it says an issue is gone.
    pub fn is_deletion(&self) -> bool {
        self.event == "jira:issue_deleted"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_read() {
        /// (event, issue id, project id).
        type Read = Option<(&'static str, Option<&'static str>, Option<&'static str>)>;
        let cases: &[(&str, Read)] = &[
            (
                r#"{"timestamp": 1, "webhookEvent": "jira:issue_updated", "issue": {"id": "10001", "key": "WEB-1", "fields": {"project": {"id": "10000", "key": "WEB"}}}}"#,
                Some(("jira:issue_updated", Some("10001"), Some("10000"))),
            ),
            (
                r#"{"webhookEvent": "comment_created", "comment": {"id": "5"}, "issue": {"id": 10002, "key": "WEB-2"}}"#,
                Some(("comment_created", Some("10002"), None)),
            ),
            (r#"{"webhookEvent": "jira:issue_deleted"}"#, Some(("jira:issue_deleted", None, None))),
            (r#"{"issue": {}}"#, None),
            ("not json", None),
        ];
        for (body, want) in cases {
            let got = HookEvent::parse(body.as_bytes());
            let got = got
                .as_ref()
                .map(|e| (e.event.as_str(), e.issue_id.as_deref(), e.project_id.as_deref()));
            assert_eq!(got, *want, "{body}");
        }
    }
}
