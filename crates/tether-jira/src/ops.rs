//! The platform API operations tether needs: issues, comments, remote links, transitions,
//! projects, permissions and bulk fetch.

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::client::{Api, Call, Client, seg};
use crate::error::Error;
use crate::text::Doc;
use crate::wire::{
    BulkFetch, Comment, CreatedIssue, Issue, MyPermissions, PermissionGrant, Project,
    ProjectSearchPage, RemoteLink, RemoteLinkCreated, Transition, TransitionList, User,
};

/// A new issue. `fields` carries anything else (custom fields) as Jira's JSON.
#[derive(Debug, Clone, Default)]
pub struct NewIssue {
    pub project_key: String,
    /// Issue type name, e.g. `Task`.
    pub issue_type: String,
    pub summary: String,
    pub description: Option<Doc>,
    pub labels: Vec<String>,
    pub fields: Map<String, Value>,
}

/// Changes to an issue; `None`/empty leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct IssueEdit {
    pub summary: Option<String>,
    pub description: Option<Doc>,
    pub add_labels: Vec<String>,
    pub remove_labels: Vec<String>,
    pub fields: Map<String, Value>,
}

/// Whether an upsert made a link or replaced one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    Created,
    Replaced,
}

impl Client {
    fn platform(&self) -> Api {
        Api::Platform(self.api_version())
    }

    /// `GET /myself`.
    pub async fn myself(&self) -> Result<User, Error> {
        self.json(&Call::get(self.platform(), "myself")).await
    }

    /// `GET /issue/{key}`; `fields` empty means Jira's default (all navigable fields).
    pub async fn issue(&self, key: &str, fields: &[&str], expand: &[&str]) -> Result<Issue, Error> {
        let mut call = Call::get(self.platform(), format!("issue/{}", seg(key)));
        if !fields.is_empty() {
            call = call.param("fields", fields.join(","));
        }
        if !expand.is_empty() {
            call = call.param("expand", expand.join(","));
        }
        self.json(&call).await
    }

    /// `POST /issue`.
    pub async fn create_issue(&self, new: &NewIssue) -> Result<CreatedIssue, Error> {
        let mut fields = new.fields.clone();
        fields.insert("project".into(), json!({"key": new.project_key}));
        fields.insert("issuetype".into(), json!({"name": new.issue_type}));
        fields.insert("summary".into(), json!(new.summary));
        if let Some(d) = &new.description {
            fields.insert("description".into(), d.to_body(self.api_version()));
        }
        if !new.labels.is_empty() {
            fields.insert("labels".into(), json!(new.labels));
        }
        let call =
            Call::new(Method::POST, self.platform(), "issue").body(json!({"fields": fields}));
        self.json(&call).await
    }

    /// `PUT /issue/{key}`: fields set, labels added and removed without touching the others.
    pub async fn edit_issue(&self, key: &str, edit: &IssueEdit) -> Result<(), Error> {
        let mut fields = edit.fields.clone();
        if let Some(s) = &edit.summary {
            fields.insert("summary".into(), json!(s));
        }
        if let Some(d) = &edit.description {
            fields.insert("description".into(), d.to_body(self.api_version()));
        }
        let mut body = json!({"fields": fields});
        let ops: Vec<Value> = edit
            .add_labels
            .iter()
            .map(|l| json!({"add": l}))
            .chain(edit.remove_labels.iter().map(|l| json!({"remove": l})))
            .collect();
        if !ops.is_empty() {
            body["update"] = json!({"labels": ops});
        }
        let call =
            Call::new(Method::PUT, self.platform(), format!("issue/{}", seg(key))).body(body);
        self.execute(&call).await.map(|_| ())
    }

    /// `POST /issue/{key}/comment`, rendered as ADF on v3 and wiki markup on v2.
    pub async fn add_comment(&self, key: &str, doc: &Doc) -> Result<Comment, Error> {
        let call = Call::new(Method::POST, self.platform(), format!("issue/{}/comment", seg(key)))
            .body(json!({"body": doc.to_body(self.api_version())}));
        self.json(&call).await
    }

    /// Every comment of an issue, paging `GET /issue/{key}/comment`.
    pub async fn comments(&self, key: &str) -> Result<Vec<Comment>, Error> {
        let mut out = Vec::new();
        loop {
            let call = Call::get(self.platform(), format!("issue/{}/comment", seg(key)))
                .param("startAt", out.len().to_string())
                .param("maxResults", self.options().page_size.to_string());
            let page: crate::wire::CommentPage = self.json(&call).await?;
            let got = page.comments.len();
            out.extend(page.comments);
            if got == 0 || out.len() as u64 >= page.total {
                return Ok(out);
            }
        }
    }

    /// `POST /issue/{key}/remotelink`: creates the link, or replaces the whole link with the
    /// same `globalId`. Needs a `globalId`, since without one every call adds a link.
    pub async fn upsert_remote_link(&self, key: &str, link: &RemoteLink) -> Result<Upsert, Error> {
        if link.global_id.as_deref().is_none_or(str::is_empty) {
            return Err(Error::Other("a remote link upsert needs a globalId".into()));
        }
        let body = serde_json::to_value(link).map_err(|e| Error::Other(e.to_string()))?;
        let call =
            Call::new(Method::POST, self.platform(), format!("issue/{}/remotelink", seg(key)))
                .body(body)
                .idempotent();
        let (status, body) = self.execute(&call).await?;
        let _: RemoteLinkCreated = crate::client::decode(&call, &body)?;
        Ok(if status.as_u16() == 201 { Upsert::Created } else { Upsert::Replaced })
    }

    /// `GET /issue/{key}/remotelink`.
    pub async fn remote_links(&self, key: &str) -> Result<Vec<RemoteLink>, Error> {
        self.json(&Call::get(self.platform(), format!("issue/{}/remotelink", seg(key)))).await
    }

    /// `GET /issue/{key}/remotelink?globalId=`: `None` when there is no such link.
    pub async fn remote_link(
        &self,
        key: &str,
        global_id: &str,
    ) -> Result<Option<RemoteLink>, Error> {
        let call = Call::get(self.platform(), format!("issue/{}/remotelink", seg(key)))
            .param("globalId", global_id);
        match self.json::<Value>(&call).await {
            // Jira answers one link; be lenient about an array too.
            Ok(Value::Array(mut links)) => links
                .pop()
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| Error::Decode { endpoint: call.describe(), detail: e.to_string() }),
            Ok(v) => serde_json::from_value(v)
                .map(Some)
                .map_err(|e| Error::Decode { endpoint: call.describe(), detail: e.to_string() }),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `DELETE /issue/{key}/remotelink?globalId=`; deleting what is gone is not an error.
    pub async fn delete_remote_link(&self, key: &str, global_id: &str) -> Result<(), Error> {
        let call =
            Call::new(Method::DELETE, self.platform(), format!("issue/{}/remotelink", seg(key)))
                .param("globalId", global_id);
        match self.execute(&call).await {
            Ok(_) | Err(Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `PUT /issue/{key}/properties/{propertyKey}`: stores any JSON value (Jira allows up to
    /// 32,768 bytes, keys up to 255 characters) under the key, replacing what was there.
    pub async fn set_issue_property(
        &self,
        key: &str,
        property_key: &str,
        value: &Value,
    ) -> Result<Upsert, Error> {
        let call = Call::new(Method::PUT, self.platform(), property_path(key, property_key))
            .body(value.clone());
        let (status, _) = self.execute(&call).await?;
        Ok(if status.as_u16() == 201 { Upsert::Created } else { Upsert::Replaced })
    }

    /// `GET /issue/{key}/properties/{propertyKey}`: the value, or `None` when there is none.
    /// Jira answers the same 404 for a missing property and for an issue this account cannot
    /// see, so both are `None`.
    pub async fn issue_property(
        &self,
        key: &str,
        property_key: &str,
    ) -> Result<Option<Value>, Error> {
        #[derive(serde::Deserialize)]
        struct Property {
            #[serde(default)]
            value: Value,
        }
        let call = Call::get(self.platform(), property_path(key, property_key));
        match self.json::<Property>(&call).await {
            Ok(p) => Ok(Some(p.value)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `DELETE /issue/{key}/properties/{propertyKey}`; deleting what is gone is not an error.
    pub async fn delete_issue_property(&self, key: &str, property_key: &str) -> Result<(), Error> {
        let call = Call::new(Method::DELETE, self.platform(), property_path(key, property_key));
        match self.execute(&call).await {
            Ok(_) | Err(Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `GET /issue/{key}/transitions?expand=transitions.fields`: what can be done now, with
    /// target status categories and required fields.
    pub async fn transitions(&self, key: &str) -> Result<Vec<Transition>, Error> {
        let call = Call::get(self.platform(), format!("issue/{}/transitions", seg(key)))
            .param("expand", "transitions.fields");
        let list: TransitionList = self.json(&call).await?;
        Ok(list.transitions)
    }

    /// `POST /issue/{key}/transitions` with the transition id and screen fields (such as
    /// `{"resolution": {"name": "Done"}}`).
    pub async fn transition(
        &self,
        key: &str,
        transition_id: &str,
        fields: Map<String, Value>,
    ) -> Result<(), Error> {
        let mut body = json!({"transition": {"id": transition_id}});
        if !fields.is_empty() {
            body["fields"] = Value::Object(fields);
        }
        let call =
            Call::new(Method::POST, self.platform(), format!("issue/{}/transitions", seg(key)))
                .body(body);
        self.execute(&call).await.map(|_| ())
    }

    /// Every project the user can see, with issue types: `/project/search` paged on Cloud,
    /// `/project?expand=issueTypes` on Data Center.
    pub async fn projects(&self) -> Result<Vec<Project>, Error> {
        if !self.deployment().is_cloud() {
            let call = Call::get(self.platform(), "project").param("expand", "issueTypes");
            return self.json(&call).await;
        }
        let mut out = Vec::new();
        loop {
            let call = Call::get(self.platform(), "project/search")
                .param("startAt", out.len().to_string())
                .param("maxResults", "50")
                .param("expand", "issueTypes");
            let page: ProjectSearchPage = self.json(&call).await?;
            let got = page.values.len();
            out.extend(page.values);
            let done =
                page.is_last.unwrap_or(true) || page.total.is_some_and(|t| out.len() as u64 >= t);
            if got == 0 || done {
                return Ok(out);
            }
        }
    }

    /// `GET /project/{key}`.
    pub async fn project(&self, key: &str) -> Result<Project, Error> {
        self.json(&Call::get(self.platform(), format!("project/{}", seg(key)))).await
    }

    /// `GET /mypermissions?projectKey=&permissions=`: the grants asked for, by key.
    pub async fn my_permissions(
        &self,
        project_key: Option<&str>,
        permissions: &[&str],
    ) -> Result<Vec<PermissionGrant>, Error> {
        let mut call =
            Call::get(self.platform(), "mypermissions").param("permissions", permissions.join(","));
        if let Some(p) = project_key {
            call = call.param("projectKey", p);
        }
        let got: MyPermissions = self.json(&call).await?;
        Ok(got
            .permissions
            .into_iter()
            .map(|(k, mut g)| {
                if g.key.is_empty() {
                    g.key = k;
                }
                g
            })
            .collect())
    }

    /// `POST /rest/api/3/issue/bulkfetch` (Cloud): up to 100 issues per request; more are
    /// fetched in chunks.
    pub async fn bulk_fetch(&self, keys: &[&str], fields: &[&str]) -> Result<BulkFetch, Error> {
        let mut out = BulkFetch::default();
        for chunk in keys.chunks(100) {
            let mut body = json!({"issueIdsOrKeys": chunk});
            if !fields.is_empty() {
                body["fields"] = json!(fields);
            }
            let call = Call::new(Method::POST, Api::Platform(3), "issue/bulkfetch")
                .body(body)
                .idempotent();
            let page: BulkFetch = self.json(&call).await?;
            out.issues.extend(page.issues);
            out.issue_errors.extend(page.issue_errors);
        }
        Ok(out)
    }
}

fn property_path(key: &str, property_key: &str) -> String {
    format!("issue/{}/properties/{}", seg(key), seg(property_key))
}
