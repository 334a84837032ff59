//! What ingestion reads about a site besides issues: its catalogues (statuses, issue types,
//! priorities, resolutions, fields), projects, the issue types an account may create in a
//! project, security levels, boards and sprints, and the admin webhooks it registers.

use reqwest::Method;
use serde_json::json;

use super::wire::{
    AdminWebhook, AgilePage, Board, CreateMetaTypes, FieldInfo, IssueTypeInfo, LegacyCreateMeta,
    NamedInfo, ProjectPage, SecurityLevels, Sprint, StatusInfo, TicketProject,
};
use crate::client::{Api, Call, Client, seg};
use crate::error::Error;
use crate::wire::ServerInfo;

/// The events tether asks a Jira admin webhook for.
pub const WEBHOOK_EVENTS: [&str; 6] = [
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
];

impl Client {
    fn api(&self) -> Api {
        Api::Platform(self.api_version())
    }

    /// Jira's own clock (`serverInfo.serverTime`) in epoch ms, when it says.
    pub async fn server_time_ms(&self) -> Result<Option<i64>, Error> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Time {
            #[serde(default)]
            server_time: Option<String>,
        }
        let call = Call::get(Api::Platform(2), "serverInfo");
        let (_, body) = self.execute(&call).await?;
        let t: Time = crate::client::decode(&call, &body)?;
        Ok(t.server_time.as_deref().and_then(crate::wire::parse_timestamp))
    }

    /// `GET /serverInfo` with the account's credentials.
    pub async fn server_info_as_account(&self) -> Result<ServerInfo, Error> {
        self.json(&Call::get(self.api(), "serverInfo")).await
    }

    /// `GET /status`: every status with its category.
    pub async fn statuses(&self) -> Result<Vec<StatusInfo>, Error> {
        self.json(&Call::get(self.api(), "status")).await
    }

    /// `GET /issuetype`: every issue type the account can see.
    pub async fn issue_types(&self) -> Result<Vec<IssueTypeInfo>, Error> {
        self.json(&Call::get(self.api(), "issuetype")).await
    }

    /// `GET /priority`.
    pub async fn priorities(&self) -> Result<Vec<NamedInfo>, Error> {
        self.json(&Call::get(self.api(), "priority")).await
    }

    /// `GET /resolution`.
    pub async fn resolutions(&self) -> Result<Vec<NamedInfo>, Error> {
        self.json(&Call::get(self.api(), "resolution")).await
    }

    /// `GET /field`: system and custom fields with their schemas.
    pub async fn fields(&self) -> Result<Vec<FieldInfo>, Error> {
        self.json(&Call::get(self.api(), "field")).await
    }

    /// Every project the account can browse, with type, category, style and issue types:
    /// `/project/search` paged on Cloud, `/project` on Data Center.
    pub async fn ticket_projects(&self) -> Result<Vec<TicketProject>, Error> {
        if !self.deployment().is_cloud() {
            let call = Call::get(self.api(), "project").param("expand", "issueTypes");
            return self.json(&call).await;
        }
        let mut out: Vec<TicketProject> = Vec::new();
        loop {
            let call = Call::get(self.api(), "project/search")
                .param("startAt", out.len().to_string())
                .param("maxResults", "50")
                .param("expand", "issueTypes");
            let page: ProjectPage = self.json(&call).await?;
            let got = page.values.len();
            out.extend(page.values);
            let done =
                page.is_last.unwrap_or(true) || page.total.is_some_and(|t| out.len() as u64 >= t);
            if got == 0 || done {
                return Ok(out);
            }
        }
    }

    /// The issue types the account may create issues of in a project (create metadata,
    /// which needs the Create Issues permission there): `None` when Jira shows none, which is
    /// how a missing permission looks. Data Center before 8.4 only has the legacy form.
    pub async fn creatable_issue_types(
        &self,
        project_id: &str,
    ) -> Result<Option<Vec<IssueTypeInfo>>, Error> {
        let call =
            Call::get(self.api(), format!("issue/createmeta/{}/issuetypes", seg(project_id)))
                .param("maxResults", "200");
        let types = match self.json::<CreateMetaTypes>(&call).await {
            Ok(page) => {
                let mut t = page.issue_types;
                t.extend(page.values);
                t
            }
            Err(Error::NotFound { .. }) if !self.deployment().is_cloud() => {
                let call =
                    Call::get(self.api(), "issue/createmeta").param("projectIds", project_id);
                let legacy: LegacyCreateMeta = self.json(&call).await?;
                legacy.projects.into_iter().flat_map(|p| p.issuetypes).collect()
            }
            // No Create Issues permission can read as "no such project" here.
            Err(Error::NotFound { .. } | Error::Forbidden { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok((!types.is_empty()).then_some(types))
    }

    /// `GET /project/{id}/securitylevel`: the issue security levels of a project that the
    /// account may set; `None` when Jira does not answer it.
    pub async fn project_security_levels(
        &self,
        project_id: &str,
    ) -> Result<Option<Vec<NamedInfo>>, Error> {
        let call = Call::get(self.api(), format!("project/{}/securitylevel", seg(project_id)));
        match self.json::<SecurityLevels>(&call).await {
            Ok(l) => Ok(Some(l.levels)),
            Err(Error::NotFound { .. } | Error::Forbidden { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The boards of a project (`/rest/agile/1.0/board?projectKeyOrId=`); none on a site
    /// without Jira Software.
    pub async fn boards(&self, project_id: &str) -> Result<Vec<Board>, Error> {
        let mut out: Vec<Board> = Vec::new();
        loop {
            let call = Call::get(Api::Agile, "board")
                .param("projectKeyOrId", project_id)
                .param("startAt", out.len().to_string())
                .param("maxResults", "50");
            let page: AgilePage<Board> = match self.json(&call).await {
                Ok(p) => p,
                Err(Error::NotFound { .. }) if out.is_empty() => return Ok(out),
                Err(e) => return Err(e),
            };
            let got = page.values.len();
            out.extend(page.values);
            if got == 0 || page.is_last.unwrap_or(true) {
                return Ok(out);
            }
        }
    }

    /// A board's sprints; a Kanban board has none (Jira answers 400, which is no error here).
    pub async fn sprints(&self, board_id: i64) -> Result<Vec<Sprint>, Error> {
        let mut out: Vec<Sprint> = Vec::new();
        loop {
            let call = Call::get(Api::Agile, format!("board/{board_id}/sprint"))
                .param("startAt", out.len().to_string())
                .param("maxResults", "50");
            let page: AgilePage<Sprint> = match self.json(&call).await {
                Ok(p) => p,
                Err(Error::BadRequest { status: 400, .. } | Error::NotFound { .. })
                    if out.is_empty() =>
                {
                    return Ok(out);
                }
                Err(e) => return Err(e),
            };
            let got = page.values.len();
            out.extend(page.values);
            if got == 0 || page.is_last.unwrap_or(true) {
                return Ok(out);
            }
        }
    }

    /// Registers an admin webhook (`POST /rest/webhooks/1.0/webhook`, which needs the
    /// Administer Jira global permission) for issue and comment events in the issues `jql`
    /// finds; answers its id.
    pub async fn register_admin_webhook(
        &self,
        name: &str,
        url: &str,
        jql: &str,
    ) -> Result<String, Error> {
        let body = json!({
            "name": name,
            "url": url,
            "events": WEBHOOK_EVENTS,
            "filters": {"issue-related-events-section": jql},
            "excludeBody": false,
        });
        let call = Call::new(Method::POST, Api::Webhooks, "webhook").body(body);
        let hook: AdminWebhook = self.json(&call).await?;
        hook.id().map(str::to_owned).ok_or_else(|| Error::Decode {
            endpoint: call.describe(),
            detail: "the webhook came back without its self URL".into(),
        })
    }

    /// `GET /rest/webhooks/1.0/webhook`.
    pub async fn admin_webhooks(&self) -> Result<Vec<AdminWebhook>, Error> {
        self.json(&Call::get(Api::Webhooks, "webhook")).await
    }

    /// `DELETE /rest/webhooks/1.0/webhook/{id}`; deleting what is gone is not an error.
    pub async fn delete_admin_webhook(&self, id: &str) -> Result<(), Error> {
        let call = Call::new(Method::DELETE, Api::Webhooks, format!("webhook/{}", seg(id)));
        match self.execute(&call).await {
            Ok(_) | Err(Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
