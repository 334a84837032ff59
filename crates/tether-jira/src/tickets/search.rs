//! Reading issues for ingestion: one page of a keyset search (each page a search of its own,
//! so a checkpoint is just the last key and survives restarts), the ids of a project (to find
//! deleted and moved issues), one issue by id, and what search embeds only in part: the rest
//! of a changelog (Cloud's bulk endpoint, or per issue), comments and worklogs.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::json;

use super::wire::{
    BulkChangelogPage, CommentPage, IdJqlPage, IdOffsetPage, IssueId, JqlPage, OffsetPage,
    RawComment, RawIssue, Worklog, WorklogPage,
};
use crate::client::{Api, Call, Client, seg};
use crate::error::Error;
use crate::wire::{ChangelogPage, History};

/// Issues per ingestion search page: what Jira Cloud returns at most with fields.
pub const TICKET_PAGE_SIZE: u32 = 100;

/// A page of issues and whether the search found more after it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IssuePage {
    pub issues: Vec<RawIssue>,
    pub more: bool,
    /// Data Center's total for the whole search, when it says.
    pub total: Option<u64>,
}

/// JQL for one ingestion page of a project: issues updated since `updated_since` (epoch ms,
/// absolute, so the searching account's time zone does not matter), after `after_key` in
/// key order. Ordered by key, which an edit never changes, so no issue jumps between pages
/// while the pass runs (ordering by `updated` makes them jump).
pub fn ingest_jql(project_id: &str, updated_since: Option<i64>, after_key: Option<&str>) -> String {
    let mut jql = format!("project = {}", quote(project_id));
    if let Some(ms) = updated_since {
        jql.push_str(&format!(" AND updated >= {ms}"));
    }
    if let Some(k) = after_key {
        jql.push_str(&format!(" AND key > {}", quote(k)));
    }
    jql.push_str(" ORDER BY key ASC");
    jql
}

/// A JQL string value, quoted and escaped (`\` and `"`), so reserved words and odd keys are
/// read as values.
pub fn quote(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Client {
    /// The first page of `jql` with every field and the changelog embedded: Cloud's
    /// `POST /search/jql`, Data Center's `POST /search`.
    pub async fn issue_page(&self, jql: &str, max: u32) -> Result<IssuePage, Error> {
        let body = json!({
            "jql": jql,
            "maxResults": max,
            "fields": ["*all"],
            "expand": if self.deployment().is_cloud() { json!("changelog") } else { json!(["changelog"]) },
        });
        if self.deployment().is_cloud() {
            let call =
                Call::new(Method::POST, Api::Platform(3), "search/jql").body(body).idempotent();
            let page: JqlPage = self.json(&call).await?;
            let more = page.is_last == Some(false)
                || (page.is_last.is_none() && page.next_page_token.is_some());
            return Ok(IssuePage { issues: page.issues, more, total: None });
        }
        let mut body = body;
        body["startAt"] = json!(0);
        let call = Call::new(Method::POST, Api::Platform(2), "search").body(body).idempotent();
        let page: OffsetPage = self.json(&call).await?;
        let more = (page.issues.len() as u64) < page.total;
        Ok(IssuePage { total: Some(page.total), issues: page.issues, more })
    }

    /// A page of `jql` as Jira's search answers it, for a query tether passes through to Jira:
    /// `{"issues", "isLast", "nextPageToken"}` with the issues as Jira gave them (`fields` as
    /// asked; none asked: Jira's navigable fields). Cloud's `POST /search/jql` pages by its
    /// own token; Data Center's `POST /search` by `startAt`, whose next value becomes the
    /// token here.
    pub async fn search_passthrough(
        &self,
        jql: &str,
        fields: &[String],
        max: u32,
        token: Option<&str>,
    ) -> Result<serde_json::Value, Error> {
        let fields: Vec<&str> = if fields.is_empty() {
            vec!["*navigable"]
        } else {
            fields.iter().map(String::as_str).collect()
        };
        let mut body = json!({"jql": jql, "maxResults": max, "fields": fields});
        if self.deployment().is_cloud() {
            if let Some(t) = token {
                body["nextPageToken"] = json!(t);
            }
            let call =
                Call::new(Method::POST, Api::Platform(3), "search/jql").body(body).idempotent();
            let page: serde_json::Value = self.json(&call).await?;
            let next = page.get("nextPageToken").and_then(|t| t.as_str()).map(str::to_owned);
            let is_last = page.get("isLast").and_then(|l| l.as_bool()).unwrap_or(next.is_none());
            let mut out = json!({"issues": page.get("issues").cloned().unwrap_or(json!([])), "isLast": is_last});
            if let (false, Some(t)) = (is_last, next) {
                out["nextPageToken"] = json!(t);
            }
            return Ok(out);
        }
        let start: u64 = match token {
            None => 0,
            Some(t) => t.parse().map_err(|_| Error::BadRequest {
                status: 400,
                messages: vec!["The provided next page token is invalid or expired.".into()],
            })?,
        };
        body["startAt"] = json!(start);
        let call = Call::new(Method::POST, Api::Platform(2), "search").body(body).idempotent();
        let page: serde_json::Value = self.json(&call).await?;
        let issues = page.get("issues").cloned().unwrap_or(json!([]));
        let got = issues.as_array().map_or(0, Vec::len) as u64;
        let total = page.get("total").and_then(|t| t.as_u64()).unwrap_or(0);
        let next = start + got;
        let is_last = got == 0 || next >= total;
        let mut out = json!({"issues": issues, "isLast": is_last});
        if !is_last {
            out["nextPageToken"] = json!(next.to_string());
        }
        Ok(out)
    }

    /// How many issues `jql` finds: Data Center's `total`, Cloud's approximate count.
    pub async fn count_issues(&self, jql: &str) -> Result<Option<u64>, Error> {
        if self.deployment().is_cloud() {
            #[derive(serde::Deserialize)]
            struct Count {
                #[serde(default)]
                count: Option<u64>,
            }
            let call = Call::new(Method::POST, Api::Platform(3), "search/approximate-count")
                .body(json!({"jql": jql}))
                .idempotent();
            return match self.json::<Count>(&call).await {
                Ok(c) => Ok(c.count),
                Err(Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            };
        }
        let call = Call::get(Api::Platform(2), "search")
            .param("jql", jql)
            .param("maxResults", "0")
            .param("fields", "id");
        let page: IdOffsetPage = self.json(&call).await?;
        Ok(Some(page.total))
    }

    /// Every issue id of a project, for finding deleted and moved issues: Cloud pages bare
    /// ids (5,000 at a time), Data Center ids and keys (1,000 at a time).
    pub async fn project_issue_ids(&self, project_id: &str) -> Result<Vec<IssueId>, Error> {
        let jql = format!("project = {} ORDER BY key ASC", quote(project_id));
        let mut out: Vec<IssueId> = Vec::new();
        if self.deployment().is_cloud() {
            let mut token: Option<String> = None;
            loop {
                let mut body = json!({"jql": jql, "maxResults": 5000, "fields": ["id"]});
                if let Some(t) = &token {
                    body["nextPageToken"] = json!(t);
                }
                let call =
                    Call::new(Method::POST, Api::Platform(3), "search/jql").body(body).idempotent();
                let page: IdJqlPage = self.json(&call).await?;
                out.extend(page.issues);
                match page.next_page_token {
                    Some(t) if page.is_last != Some(true) && Some(&t) != token.as_ref() => {
                        token = Some(t)
                    }
                    _ => return Ok(out),
                }
            }
        }
        loop {
            let call = Call::get(Api::Platform(2), "search")
                .param("jql", jql.clone())
                .param("startAt", out.len().to_string())
                .param("maxResults", "1000")
                .param("fields", "id");
            let page: IdOffsetPage = self.json(&call).await?;
            let got = page.issues.len();
            out.extend(page.issues);
            if got == 0 || out.len() as u64 >= page.total {
                return Ok(out);
            }
        }
    }

    /// One issue by id (or key) with every field and its changelog; `None` when Jira answers
    /// 404: deleted, or no longer visible to the account.
    pub async fn raw_issue(&self, id: &str) -> Result<Option<RawIssue>, Error> {
        let call = Call::get(Api::Platform(self.api_version()), format!("issue/{}", seg(id)))
            .param("fields", "*all")
            .param("expand", "changelog");
        match self.json::<RawIssue>(&call).await {
            Ok(i) => Ok(Some(i)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Complete changelogs of many issues at once (Cloud's `POST /changelog/bulkfetch`, up to
    /// 1,000 issues a request, paged), by issue id, oldest first. `None` when the site does
    /// not have the endpoint (then use [`Client::full_changelog`] per issue).
    pub async fn bulk_changelogs(
        &self,
        issue_ids: &[&str],
    ) -> Result<Option<BTreeMap<String, Vec<History>>>, Error> {
        let mut out: BTreeMap<String, Vec<History>> = BTreeMap::new();
        for chunk in issue_ids.chunks(1000) {
            let mut token: Option<String> = None;
            loop {
                let mut body = json!({"issueIdsOrKeys": chunk, "maxResults": 1000});
                if let Some(t) = &token {
                    body["nextPageToken"] = json!(t);
                }
                let call = Call::new(Method::POST, Api::Platform(3), "changelog/bulkfetch")
                    .body(body)
                    .idempotent();
                let page: BulkChangelogPage = match self.json(&call).await {
                    Ok(p) => p,
                    Err(Error::NotFound { .. }) if out.is_empty() => return Ok(None),
                    Err(e) => return Err(e),
                };
                for log in page.issue_change_logs {
                    out.entry(log.issue_id).or_default().extend(log.change_histories);
                }
                match page.next_page_token {
                    Some(t) if Some(&t) != token.as_ref() => token = Some(t),
                    _ => break,
                }
            }
        }
        Ok(Some(out))
    }

    /// One issue's complete changelog, oldest first: Cloud pages `/issue/{id}/changelog`,
    /// Data Center returns it whole with `expand=changelog`.
    pub async fn full_changelog(&self, id: &str) -> Result<Vec<History>, Error> {
        if !self.deployment().is_cloud() {
            let call = Call::get(Api::Platform(2), format!("issue/{}", seg(id)))
                .param("fields", "summary")
                .param("expand", "changelog");
            let issue: RawIssue = self.json(&call).await?;
            return Ok(issue.changelog.map(|c| c.histories).unwrap_or_default());
        }
        let mut out: Vec<History> = Vec::new();
        loop {
            let call = Call::get(Api::Platform(3), format!("issue/{}/changelog", seg(id)))
                .param("startAt", out.len().to_string())
                .param("maxResults", "100");
            let page: ChangelogPage = self.json(&call).await?;
            let got = page.values.len();
            out.extend(page.values);
            let more = match (page.is_last, page.total) {
                (Some(last), _) => !last,
                (None, Some(total)) => (out.len() as u64) < total,
                (None, None) => false,
            };
            if got == 0 || !more {
                return Ok(out);
            }
        }
    }

    /// Every comment of an issue, bodies as given, paging `/issue/{id}/comment`.
    pub async fn raw_comments(&self, id: &str) -> Result<Vec<RawComment>, Error> {
        let mut out: Vec<RawComment> = Vec::new();
        loop {
            let call =
                Call::get(Api::Platform(self.api_version()), format!("issue/{}/comment", seg(id)))
                    .param("startAt", out.len().to_string())
                    .param("maxResults", "100");
            let page: CommentPage = self.json(&call).await?;
            let got = page.comments.len();
            out.extend(page.comments);
            if got == 0 || out.len() as u64 >= page.total {
                return Ok(out);
            }
        }
    }

    /// Every worklog of an issue, paging `/issue/{id}/worklog`.
    pub async fn worklogs(&self, id: &str) -> Result<Vec<Worklog>, Error> {
        let mut out: Vec<Worklog> = Vec::new();
        loop {
            let call =
                Call::get(Api::Platform(self.api_version()), format!("issue/{}/worklog", seg(id)))
                    .param("startAt", out.len().to_string())
                    .param("maxResults", "1000");
            let page: WorklogPage = self.json(&call).await?;
            let got = page.worklogs.len();
            out.extend(page.worklogs);
            if got == 0 || out.len() as u64 >= page.total {
                return Ok(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ingestion_jql_is_quoted_and_ordered_by_key() {
        let cases: &[(&str, Option<i64>, Option<&str>, &str)] = &[
            ("10000", None, None, r#"project = "10000" ORDER BY key ASC"#),
            (
                "10000",
                Some(1_706_695_200_000),
                None,
                r#"project = "10000" AND updated >= 1706695200000 ORDER BY key ASC"#,
            ),
            (
                "10000",
                Some(5),
                Some("INT-42"),
                r#"project = "10000" AND updated >= 5 AND key > "INT-42" ORDER BY key ASC"#,
            ),
            ("a\"b\\", None, None, r#"project = "a\"b\\" ORDER BY key ASC"#),
        ];
        for (project, since, after, want) in cases {
            assert_eq!(ingest_jql(project, *since, *after), *want);
        }
    }
}
