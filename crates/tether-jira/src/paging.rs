//! Paged reads as async streams: Cloud's token-paged `/search/jql`, Data Center's offset-paged
//! `/search`, and an issue's full changelog. Each page request is retried by the client, so a
//! stream ends early only on an error it hands out last.

use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use reqwest::Method;
use serde_json::json;

use crate::client::{Api, Call, Client, seg};
use crate::error::Error;
use crate::wire::{ChangelogPage, History, Issue, JqlSearchPage, OffsetSearchPage};

/// A search. `fields` empty means `*navigable`.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub jql: String,
    pub fields: Vec<String>,
    pub expand: Vec<String>,
    /// Cloud: issue ids that must be in the results even if the index lags (≤50), for
    /// read-after-write.
    pub reconcile_issues: Vec<u64>,
}

impl Search {
    pub fn jql(jql: impl Into<String>) -> Search {
        Search { jql: jql.into(), ..Search::default() }
    }

    pub fn fields(mut self, fields: &[&str]) -> Search {
        self.fields = fields.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    pub fn expand(mut self, expand: &[&str]) -> Search {
        self.expand = expand.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    fn field_list(&self) -> Vec<String> {
        if self.fields.is_empty() { vec!["*navigable".to_owned()] } else { self.fields.clone() }
    }
}

impl Client {
    /// Every issue the search finds, in the deployment's paging style.
    pub fn search(&self, search: Search) -> BoxStream<'static, Result<Issue, Error>> {
        if self.deployment().is_cloud() {
            flatten(self.search_jql_pages(search), |p| p.issues)
        } else {
            flatten(self.search_offset_pages(search), |p| p.issues)
        }
    }

    /// Cloud: `POST /rest/api/3/search/jql`, page after page by `nextPageToken` until
    /// `isLast`. There is no total: the token is the only cursor.
    pub fn search_jql_pages(
        &self,
        search: Search,
    ) -> BoxStream<'static, Result<JqlSearchPage, Error>> {
        let client = self.clone();
        // `Some(None)`: the first page; `Some(Some(t))`: the page after token t; `None`: done.
        stream::try_unfold(Some(None::<String>), move |cursor| {
            let client = client.clone();
            let search = search.clone();
            async move {
                let Some(token) = cursor else { return Ok(None) };
                let mut body = json!({
                    "jql": search.jql,
                    "maxResults": client.options().page_size,
                    "fields": search.field_list(),
                });
                if !search.expand.is_empty() {
                    body["expand"] = json!(search.expand.join(","));
                }
                if !search.reconcile_issues.is_empty() {
                    body["reconcileIssues"] = json!(search.reconcile_issues);
                }
                if let Some(t) = &token {
                    body["nextPageToken"] = json!(t);
                }
                let call =
                    Call::new(Method::POST, Api::Platform(3), "search/jql").body(body).idempotent();
                let page: JqlSearchPage = client.json(&call).await?;
                let next = match (&page.next_page_token, page.is_last) {
                    (_, Some(true)) | (None, _) => None,
                    // A token handed back unchanged would loop forever.
                    (Some(t), _) if Some(t) == token.as_ref() => {
                        return Err(Error::Decode {
                            endpoint: call.describe(),
                            detail: "the same nextPageToken came back twice".into(),
                        });
                    }
                    (Some(t), _) => Some(Some(t.clone())),
                };
                Ok(Some((page, next)))
            }
        })
        .boxed()
    }

    /// Data Center: `GET /rest/api/2/search` by `startAt`, advancing by what each page held
    /// (the server may cap `maxResults`) until `total` is reached or a page comes back empty.
    pub fn search_offset_pages(
        &self,
        search: Search,
    ) -> BoxStream<'static, Result<OffsetSearchPage, Error>> {
        let client = self.clone();
        stream::try_unfold(Some(0u64), move |cursor| {
            let client = client.clone();
            let search = search.clone();
            async move {
                let Some(start) = cursor else { return Ok(None) };
                let mut call = Call::get(Api::Platform(2), "search")
                    .param("jql", search.jql.clone())
                    .param("startAt", start.to_string())
                    .param("maxResults", client.options().page_size.to_string())
                    .param("fields", search.field_list().join(","));
                if !search.expand.is_empty() {
                    call = call.param("expand", search.expand.join(","));
                }
                let page: OffsetSearchPage = client.json(&call).await?;
                let next_start = start + page.issues.len() as u64;
                let next =
                    (!page.issues.is_empty() && next_start < page.total).then_some(next_start);
                Ok(Some((page, next)))
            }
        })
        .boxed()
    }

    /// An issue's complete changelog, oldest first. Cloud pages
    /// `/rest/api/3/issue/{key}/changelog`; Data Center returns it whole with
    /// `expand=changelog`.
    pub fn changelog(&self, key: &str) -> BoxStream<'static, Result<History, Error>> {
        let client = self.clone();
        let key = key.to_owned();
        if !self.deployment().is_cloud() {
            return stream::once(async move {
                let issue = client.issue(&key, &["summary"], &["changelog"]).await?;
                Ok::<_, Error>(issue.changelog.map(|c| c.histories).unwrap_or_default())
            })
            .map_ok(|v| stream::iter(v.into_iter().map(Ok)))
            .try_flatten()
            .boxed();
        }
        let pages = stream::try_unfold(Some(0u64), move |cursor| {
            let client = client.clone();
            let key = key.clone();
            async move {
                let Some(start) = cursor else { return Ok(None) };
                let call = Call::get(Api::Platform(3), format!("issue/{}/changelog", seg(&key)))
                    .param("startAt", start.to_string())
                    .param("maxResults", client.options().page_size.to_string());
                let page: ChangelogPage = client.json(&call).await?;
                let next_start = start + page.values.len() as u64;
                let more = match (page.is_last, page.total) {
                    (Some(last), _) => !last,
                    (None, Some(total)) => next_start < total,
                    (None, None) => false,
                };
                let next = (more && !page.values.is_empty()).then_some(next_start);
                Ok::<_, Error>(Some((page, next)))
            }
        });
        flatten(pages, |p| p.values)
    }
}

fn flatten<P, T, S>(pages: S, items: fn(P) -> Vec<T>) -> BoxStream<'static, Result<T, Error>>
where
    S: stream::Stream<Item = Result<P, Error>> + Send + 'static,
    P: Send + 'static,
    T: Send + 'static,
{
    pages.map_ok(move |p| stream::iter(items(p).into_iter().map(Ok))).try_flatten().boxed()
}
