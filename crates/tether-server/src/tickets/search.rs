//! JQL search over the ingested tickets, shared by the API (`GET`/`POST /api/search`, in
//! Jira's search shape) and the Tickets page's JQL box: the caller's sites (those whose
//! tickets it may view), the searcher's clock and zone, and `currentUser()`.
//!
//! Dates in a query are read in the zone ticket pages show times in (the first searched
//! site's Jira service account's, else UTC). `currentUser()` is the tether member whose name
//! is a Jira user's email or account id.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use tether_jql::dates::{Clock, WeekStart};
use tether_policy::Action;
use tether_store::{JiraSite, SearchError, SearchPage, SearchScope, TicketRow};

use super::passthrough::{self, Route};
use super::resource;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// Results per page when the caller does not say, and at most.
pub(crate) const DEFAULT_RESULTS: i64 = 50;
pub(crate) const MAX_RESULTS: i64 = 100;

/// A search's answer with the sites its tickets come from.
pub(crate) struct Found {
    pub(crate) page: SearchPage,
    pub(crate) sites: Vec<JiraSite>,
    /// The zone times are shown (and query dates read) in.
    pub(crate) zone: String,
}

/// Why a search gave nothing.
pub(crate) enum Failure {
    /// Jira's messages for the query.
    Invalid(Vec<String>),
    Other(ApiError),
}

impl From<tether_store::StoreError> for Failure {
    fn from(e: tether_store::StoreError) -> Failure {
        Failure::Other(e.into())
    }
}

/// Where and as whom queries run: the sites the caller may view (only `site`, when given),
/// the zone and clock dates are read with, and who `currentUser()` is.
pub(crate) struct Searcher {
    pub(crate) sites: Vec<JiraSite>,
    pub(crate) zone: String,
    pub(crate) scope: SearchScope,
}

impl Searcher {
    pub(crate) async fn new(
        state: &AppState,
        caller: &Caller,
        site: Option<&str>,
    ) -> Result<Searcher, ApiError> {
        let mut sites = Vec::new();
        // The zone of the first site searched: its ingestion account's.
        let mut first_zone: Option<Option<String>> = None;
        for s in state.store.list_jira_sites().await? {
            if site.is_some_and(|name| name != s.name)
                || !caller.can(Action::ViewTickets, &resource(&s.name))
            {
                continue;
            }
            if let Some(connection) = state.store.ticket_connection(s.id).await? {
                first_zone.get_or_insert(connection.time_zone);
                sites.push(s);
            }
        }
        let zone = super::time::display_zone(first_zone.flatten().as_deref());
        let now_ms = state.store.clock().now_ms();
        let scope = SearchScope {
            site_ids: sites.iter().map(|s| s.id).collect(),
            clock: Clock {
                now_ms,
                utc_offset_seconds: utc_offset(&zone, now_ms),
                week_start: WeekStart::Sunday,
            },
            current_user: vec![caller.token.member.clone()],
        };
        Ok(Searcher { sites, zone, scope })
    }

    /// The sites searched.
    pub(crate) fn sites(&self) -> &[JiraSite] {
        &self.sites
    }

    /// One page of the tickets matching `jql`.
    pub(crate) async fn search(
        &self,
        state: &AppState,
        jql: &str,
        limit: i64,
        offset: i64,
    ) -> Result<Found, Failure> {
        match state.store.search_tickets(jql, &self.scope, limit, offset).await {
            Ok(page) => Ok(Found { page, sites: self.sites.clone(), zone: self.zone.clone() }),
            Err(e) => Err(e.into()),
        }
    }

    /// How many tickets match `jql`.
    pub(crate) async fn count(&self, state: &AppState, jql: &str) -> Result<i64, Failure> {
        state.store.count_tickets(jql, &self.scope).await.map_err(Failure::from)
    }
}

impl From<SearchError> for Failure {
    fn from(e: SearchError) -> Failure {
        match e {
            SearchError::Invalid(messages) => Failure::Invalid(messages),
            SearchError::Store(e) => e.into(),
        }
    }
}

/// The zone's offset from UTC at that moment, in seconds.
pub(crate) fn utc_offset(zone: &str, at_ms: i64) -> i32 {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_millisecond(at_ms).map(|t| tz.to_offset(t).seconds()).unwrap_or(0)
}

/// Jira's timestamp format: `2024-01-31T10:15:00.000+0000` (UTC).
pub(crate) fn jira_time(ms: i64) -> Option<String> {
    let t = jiff::Timestamp::from_millisecond(ms).ok()?;
    Some(format!(
        "{}.{:03}+0000",
        t.to_zoned(jiff::tz::TimeZone::UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        ms.rem_euclid(1000)
    ))
}

/// What a search takes (Jira's enhanced search parameters): `fields` comma-separated in
/// `GET /api/search`'s query string, a list in `POST`'s body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SearchParams<F> {
    #[serde(default)]
    jql: String,
    #[serde(default)]
    max_results: Option<i64>,
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default = "Option::default")]
    fields: Option<F>,
}

pub(crate) async fn get_search(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Query(q): axum::extract::Query<SearchParams<String>>,
) -> Result<Response, ApiError> {
    let fields = q.fields.as_ref().map(|f| f.split(',').map(|s| s.trim().to_owned()).collect());
    answer(&state, &caller, &q, fields).await
}

pub(crate) async fn post_search(
    State(state): State<AppState>,
    caller: Caller,
    crate::error::Json(body): crate::error::Json<SearchParams<Vec<String>>>,
) -> Result<Response, ApiError> {
    answer(&state, &caller, &body, body.fields.clone()).await
}

/// Jira's error shape for a query it refuses.
fn refused(messages: Vec<String>) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(json!({"errorMessages": messages, "errors": {}})))
        .into_response()
}

async fn answer<F>(
    state: &AppState,
    caller: &Caller,
    params: &SearchParams<F>,
    fields: Option<Vec<String>>,
) -> Result<Response, ApiError> {
    let (jql, max_results, token) =
        (params.jql.as_str(), params.max_results, params.next_page_token.as_deref());
    let limit = max_results.unwrap_or(DEFAULT_RESULTS);
    if limit < 1 {
        return Ok(refused(vec!["maxResults must be at least 1.".to_owned()]));
    }
    let limit = limit.min(MAX_RESULTS);
    let searcher = Searcher::new(state, caller, None).await?;
    let token = token.filter(|t| !t.is_empty());
    match passthrough::route(state, &searcher, jql).await? {
        Route::Tether => {}
        Route::Refused(messages) => return Ok(refused(messages)),
        Route::Jira(site) => {
            let jira_token = match token.map(|t| t.strip_prefix(passthrough::TOKEN_PREFIX)) {
                None => None,
                Some(Some(t)) => Some(t),
                Some(None) => {
                    return Ok(refused(vec![
                        "The provided next page token is invalid or expired.".to_owned(),
                    ]));
                }
            };
            let fields = fields.unwrap_or_default();
            return Ok(
                match passthrough::search(state, &site, jql, &fields, limit, jira_token).await? {
                    Ok(page) => axum::Json(page).into_response(),
                    Err(messages) => refused(messages),
                },
            );
        }
    }
    let offset = match token {
        None => 0,
        Some(t) => match t.strip_prefix("o").and_then(|n| n.parse::<i64>().ok()) {
            Some(n) if n >= 0 => n,
            _ => {
                return Ok(refused(vec![
                    "The provided next page token is invalid or expired.".to_owned(),
                ]));
            }
        },
    };
    let found = match searcher.search(state, jql, limit, offset).await {
        Ok(found) => found,
        Err(Failure::Invalid(messages)) => return Ok(refused(messages)),
        Err(Failure::Other(e)) => return Err(e),
    };
    let want = Fields::new(fields.as_deref());
    let issues: Vec<Value> = found
        .page
        .tickets
        .iter()
        .map(|t| {
            let site = found.sites.iter().find(|s| s.id == t.site_id);
            issue_json(site, t, &want)
        })
        .collect();
    let mut out = json!({"issues": issues, "isLast": found.page.is_last});
    if !found.page.is_last {
        out["nextPageToken"] = json!(format!("o{}", offset + limit));
    }
    Ok(axum::Json(out).into_response())
}

/// Which fields an answer carries: Jira's navigable ones by default, `*all` adds the
/// description, a list names them, `id` alone (or `-field`s) trims.
struct Fields {
    all: bool,
    named: Option<Vec<String>>,
}

impl Fields {
    fn new(fields: Option<&[String]>) -> Fields {
        let list: Vec<String> =
            fields.unwrap_or_default().iter().filter(|f| !f.is_empty()).cloned().collect();
        if list.is_empty() || list.iter().any(|f| f == "*navigable") {
            return Fields { all: false, named: None };
        }
        if list.iter().any(|f| f == "*all") {
            return Fields { all: true, named: None };
        }
        Fields { all: false, named: Some(list) }
    }

    fn wants(&self, field: &str) -> bool {
        match &self.named {
            None => field != "description" || self.all,
            Some(list) => list.iter().any(|f| f.eq_ignore_ascii_case(field)),
        }
    }
}

/// A ticket as Jira's search answers an issue, with where it lives in tether.
fn issue_json(site: Option<&JiraSite>, t: &TicketRow, want: &Fields) -> Value {
    let named = |name: &Option<String>| name.as_ref().map(|n| json!({"name": n}));
    let person = |name: &Option<String>| name.as_ref().map(|n| json!({"displayName": n}));
    let category_name = |key: &str| match key {
        "new" => "To Do",
        "indeterminate" => "In Progress",
        "done" => "Done",
        _ => "No Category",
    };
    let candidates: [(&str, Value); 14] = [
        ("summary", json!(t.summary)),
        (
            "status",
            json!(t.status.as_ref().map(|s| json!({
                "name": s,
                "statusCategory": t.status_category.as_ref().map(|k| json!({"key": k, "name": category_name(k)})),
            }))),
        ),
        ("issuetype", json!(named(&t.issue_type))),
        ("project", json!({"id": t.project_id, "key": t.project_key})),
        ("priority", json!(named(&t.priority))),
        ("resolution", json!(named(&t.resolution))),
        ("assignee", json!(person(&t.assignee))),
        ("reporter", json!(person(&t.reporter))),
        ("created", json!(t.created_at.and_then(jira_time))),
        ("updated", json!(t.updated_at.and_then(jira_time))),
        ("resolutiondate", json!(t.resolved_at.and_then(jira_time))),
        ("labels", serde_json::from_str::<Value>(&t.labels).unwrap_or_else(|_| json!([]))),
        ("parent", json!(t.parent_key.as_ref().map(|k| json!({"key": k})))),
        ("description", json!(t.description)),
    ];
    let mut fields = serde_json::Map::new();
    for (name, value) in candidates {
        if want.wants(name) {
            fields.insert(name.to_owned(), value);
        }
    }
    // Custom fields as Jira gave them, under their ids (`customfield_10010`).
    if let Ok(Value::Object(custom)) = serde_json::from_str::<Value>(&t.custom) {
        for (id, entry) in custom {
            if want.wants(&id)
                && let Some(value) = entry.get("value")
            {
                fields.insert(id, value.clone());
            }
        }
    }
    let site_name = site.map(|s| s.name.clone()).unwrap_or_default();
    let base = site.map(|s| s.url.trim_end_matches('/').to_owned()).unwrap_or_default();
    json!({
        "id": t.id,
        "key": t.key,
        "self": format!("{base}/rest/api/2/issue/{}", t.id),
        "fields": fields,
        "tether": {
            "site": site_name,
            "url": format!("/tickets/sites/{}/tickets/{}", site_name, t.key),
            "category": t.category,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jira_times_and_field_selection() {
        assert_eq!(jira_time(1_706_696_100_123).unwrap(), "2024-01-31T10:15:00.123+0000");
        let default = Fields::new(None);
        assert!(default.wants("summary") && !default.wants("description"));
        assert!(Fields::new(Some(&["*all".to_owned()])).wants("description"));
        let some = Fields::new(Some(&["summary".to_owned(), "Status".to_owned()]));
        assert!(some.wants("status") && !some.wants("assignee"));
        assert_eq!(utc_offset("Europe/Berlin", 1_706_696_100_000), 3600);
        assert_eq!(utc_offset("Not/AZone", 0), 0);
    }
}
