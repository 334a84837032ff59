//! The platform calls code ↔ Jira makes beyond the shared operations: worklogs (Smart
//! Commits' `#time`), users found by email (who a commit's author is in Jira), and create
//! metadata (which issue types a project takes, for issues made from findings).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::client::{Api, Call, Client, seg};
use crate::error::Error;
use crate::text::{Body, Doc};
use crate::wire::{IssueTypeRef, User};

/// A worklog as Jira returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Worklog {
    pub id: String,
    #[serde(default)]
    pub author: Option<User>,
    #[serde(default)]
    pub comment: Option<Body>,
    #[serde(default)]
    pub time_spent: Option<String>,
    #[serde(default)]
    pub time_spent_seconds: Option<u64>,
    #[serde(default)]
    pub started: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct WorklogPage {
    total: u64,
    worklogs: Vec<Worklog>,
}

/// One page of the paged create metadata: Cloud names the list `issueTypes`, Data Center
/// `values`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct IssueTypePage {
    issue_types: Vec<IssueTypeRef>,
    values: Vec<IssueTypeRef>,
    total: Option<u64>,
    is_last: Option<bool>,
}

impl Client {
    /// `POST /issue/{key}/worklog`: logs `time_spent` in Jira's duration format
    /// (`1w 2d 4h 30m`, so the site's own working day and week apply), with a comment.
    /// Not idempotent: never repeated after an ambiguous failure.
    pub async fn add_worklog(
        &self,
        key: &str,
        time_spent: &str,
        comment: Option<&Doc>,
    ) -> Result<Worklog, Error> {
        let mut body = json!({"timeSpent": time_spent});
        if let Some(c) = comment {
            body["comment"] = c.to_body(self.api_version());
        }
        let call = Call::new(
            Method::POST,
            Api::Platform(self.api_version()),
            format!("issue/{}/worklog", seg(key)),
        )
        .body(body);
        self.json(&call).await
    }

    /// Every worklog of an issue, paging `GET /issue/{key}/worklog`.
    pub async fn issue_worklogs(&self, key: &str) -> Result<Vec<Worklog>, Error> {
        let mut out = Vec::new();
        loop {
            let call =
                Call::get(Api::Platform(self.api_version()), format!("issue/{}/worklog", seg(key)))
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

    /// The active users whose email is `email` (case ignored), as far as Jira shows emails:
    /// Cloud hides them unless the user allows it, so an empty answer is common there.
    /// `GET /user/search?query=` on Cloud, `?username=` on Data Center (which searches
    /// names and emails).
    pub async fn users_with_email(&self, email: &str) -> Result<Vec<User>, Error> {
        let param = if self.deployment().is_cloud() { "query" } else { "username" };
        let call = Call::get(Api::Platform(self.api_version()), "user/search").param(param, email);
        let users: Vec<User> = self.json(&call).await?;
        Ok(users
            .into_iter()
            .filter(|u| u.active != Some(false))
            .filter(|u| {
                u.email_address.as_deref().is_some_and(|e| e.trim().eq_ignore_ascii_case(email))
            })
            .collect())
    }

    /// The issue types one can create in `project` (sub-tasks left out):
    /// `GET /issue/createmeta/{project}/issuetypes` (Cloud, Data Center 8.4 and later), else
    /// the legacy `GET /issue/createmeta?projectKeys=` (Data Center before 8.4; 9.0 removed
    /// it).
    pub async fn issue_types_to_create(&self, project: &str) -> Result<Vec<IssueTypeRef>, Error> {
        let platform = Api::Platform(self.api_version());
        let mut out: Vec<IssueTypeRef> = Vec::new();
        loop {
            let call = Call::get(platform, format!("issue/createmeta/{}/issuetypes", seg(project)))
                .param("startAt", out.len().to_string())
                .param("maxResults", "50");
            let page: IssueTypePage = match self.json(&call).await {
                Ok(p) => p,
                Err(Error::NotFound { .. }) if out.is_empty() && !self.deployment().is_cloud() => {
                    return self.legacy_issue_types(project).await;
                }
                Err(e) => return Err(e),
            };
            let mut items = page.issue_types;
            items.extend(page.values);
            let got = items.len();
            out.extend(items);
            let done = page.is_last.unwrap_or(false)
                || page.total.is_some_and(|t| out.len() as u64 >= t)
                || got == 0;
            if done {
                out.retain(|t| !t.subtask);
                return Ok(out);
            }
        }
    }

    async fn legacy_issue_types(&self, project: &str) -> Result<Vec<IssueTypeRef>, Error> {
        let call = Call::get(Api::Platform(self.api_version()), "issue/createmeta")
            .param("projectKeys", project)
            .param("expand", "projects.issuetypes");
        let got: Value = self.json(&call).await?;
        let types = got["projects"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["key"].as_str() == Some(project)))
            .and_then(|p| p["issuetypes"].as_array())
            .cloned()
            .ok_or_else(|| Error::NotFound {
                messages: vec![format!("no project {project} in the create metadata")],
            })?;
        let mut out: Vec<IssueTypeRef> =
            types.into_iter().filter_map(|t| serde_json::from_value(t).ok()).collect();
        out.retain(|t| !t.subtask);
        Ok(out)
    }
}
