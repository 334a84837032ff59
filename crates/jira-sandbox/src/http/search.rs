//! Issue search in both paging styles: Cloud's `/search/jql` (nextPageToken, isLast, no
//! total; the legacy `/search` answers 410) and Data Center's `/search` (startAt, total).

use std::sync::Arc;

use axum::Json;
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::render::{self, FieldSel};
use super::{ApiError, Ctx, JsonBody, Params, page_size};
use crate::jql::{Caller, compile};
use crate::time::now_ms;

/// What a search request asks for, from query parameters or a JSON body.
#[derive(Debug, Default)]
struct SearchRequest {
    jql: String,
    start_at: Option<i64>,
    max_results: Option<i64>,
    next_page_token: Option<String>,
    fields: Option<Vec<String>>,
    expand: Vec<String>,
    /// Issue ids the caller just wrote and wants to see despite eventual consistency.
    reconcile: Vec<u64>,
}

impl SearchRequest {
    fn from_params(p: &Params) -> Result<SearchRequest, ApiError> {
        Ok(SearchRequest {
            jql: p.get("jql").unwrap_or_default().to_owned(),
            start_at: p.int("startAt")?,
            max_results: p.int("maxResults")?,
            next_page_token: p.get("nextPageToken").map(str::to_owned),
            fields: p.list("fields"),
            expand: p.list("expand").unwrap_or_default(),
            reconcile: p
                .list("reconcileIssues")
                .unwrap_or_default()
                .iter()
                .map(|s| s.parse().map_err(|_| ApiError::bad("reconcileIssues takes issue ids.")))
                .collect::<Result<_, _>>()?,
        })
    }

    fn from_body(b: &Value) -> Result<SearchRequest, ApiError> {
        let strings = |v: &Value| -> Option<Vec<String>> {
            match v {
                Value::Array(a) => {
                    Some(a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                }
                Value::String(s) => Some(
                    s.split(',').map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect(),
                ),
                _ => None,
            }
        };
        let int = |k: &str| -> Result<Option<i64>, ApiError> {
            match b.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| ApiError::bad(format!("'{k}' must be a number."))),
            }
        };
        Ok(SearchRequest {
            jql: b.get("jql").and_then(Value::as_str).unwrap_or_default().to_owned(),
            start_at: int("startAt")?,
            max_results: int("maxResults")?,
            next_page_token: b.get("nextPageToken").and_then(Value::as_str).map(str::to_owned),
            fields: b.get("fields").and_then(strings),
            expand: b.get("expand").and_then(strings).unwrap_or_default(),
            reconcile: b
                .get("reconcileIssues")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|v| {
                    v.as_u64().ok_or_else(|| ApiError::bad("reconcileIssues takes issue ids."))
                })
                .collect::<Result<_, _>>()?,
        })
    }
}

fn run(ctx: &Ctx, jql: &str, cloud_new: bool) -> Result<Arc<Vec<usize>>, ApiError> {
    let state = ctx.sb.read();
    let now = now_ms();
    let caller = Caller {
        user: ctx.user,
        utc_offset_minutes: state.users[ctx.user].spec.utc_offset_minutes,
        now,
    };
    let key = format!("{}\u{0}{}\u{0}{jql}", ctx.user, now / 60_000);
    if let Some(hits) = ctx.sb.search_cache().get(&key, state.generation) {
        return Ok(hits);
    }
    let compiled = compile(jql, &state, caller)?;
    if cloud_new && !compiled.bounded {
        return Err(ApiError::bad(
            "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.",
        ));
    }
    let hits = Arc::new(compiled.run(&state));
    ctx.sb.search_cache().put(key, state.generation, hits.clone());
    Ok(hits)
}

/// Drops issues Cloud's index has not caught up with yet, unless reconciled by id.
fn indexed(ctx: &Ctx, hits: Arc<Vec<usize>>, reconcile: &[u64]) -> Arc<Vec<usize>> {
    if ctx.sb.knobs().search_index_delay_ms == 0 {
        return hits;
    }
    let now = now_ms();
    let state = ctx.sb.read();
    let seen = hits
        .iter()
        .copied()
        .filter(|&i| {
            let issue = &state.issues[i];
            issue.indexed_at <= now || reconcile.contains(&issue.id)
        })
        .collect();
    Arc::new(seen)
}

fn gone() -> ApiError {
    ApiError::Status(
        StatusCode::GONE,
        "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046".into(),
    )
}

fn not_found() -> ApiError {
    ApiError::NotFound("null for uri: /search/jql".into())
}

pub(crate) async fn legacy_get(ctx: Ctx, params: Params) -> Result<Json<Value>, ApiError> {
    if ctx.cloud() {
        return Err(gone());
    }
    legacy(&ctx, SearchRequest::from_params(&params)?)
}

pub(crate) async fn legacy_post(
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    if ctx.cloud() {
        return Err(gone());
    }
    legacy(&ctx, SearchRequest::from_body(&body)?)
}

/// Data Center's offset paging with a total.
fn legacy(ctx: &Ctx, req: SearchRequest) -> Result<Json<Value>, ApiError> {
    let hits = run(ctx, &req.jql, false)?;
    let start = req.start_at.unwrap_or(0).max(0) as usize;
    let max = page_size(&ctx.sb, req.max_results, 50, 1000);
    let sel = FieldSel::parse(req.fields, FieldSel::navigable());
    let changelog = req
        .expand
        .iter()
        .any(|e| e == "changelog")
        .then(|| Some(ctx.sb.knobs().embedded_changelog_cap as usize));
    let state = ctx.sb.read();
    let issues: Vec<Value> = hits
        .iter()
        .skip(start)
        .take(max)
        .filter(|&&i| i < state.issues.len())
        .map(|&i| render::issue(ctx, &state, i, &sel, changelog))
        .collect();
    Ok(Json(json!({
        "expand": "schema,names",
        "startAt": start,
        "maxResults": max,
        "total": hits.len(),
        "issues": issues,
    })))
}

pub(crate) async fn jql_get(ctx: Ctx, params: Params) -> Result<Json<Value>, ApiError> {
    if !ctx.cloud() {
        return Err(not_found());
    }
    new_search(&ctx, SearchRequest::from_params(&params)?)
}

pub(crate) async fn jql_post(ctx: Ctx, JsonBody(body): JsonBody) -> Result<Json<Value>, ApiError> {
    if !ctx.cloud() {
        return Err(not_found());
    }
    new_search(&ctx, SearchRequest::from_body(&body)?)
}

pub(crate) fn fingerprint(jql: &str) -> String {
    Sha256::digest(jql.as_bytes()).iter().take(6).map(|b| format!("{b:02x}")).collect()
}

fn encode_token(offset: usize, jql: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{offset}:{}", fingerprint(jql)))
}

fn decode_token(token: &str, jql: &str) -> Option<usize> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
    let (offset, fp) = raw.split_once(':')?;
    (fp == fingerprint(jql)).then_some(())?;
    offset.parse().ok()
}

/// Cloud's token paging: no total, `isLast`, and only ids unless fields are asked for.
fn new_search(ctx: &Ctx, req: SearchRequest) -> Result<Json<Value>, ApiError> {
    let start = match &req.next_page_token {
        None => 0,
        Some(t) => decode_token(t, &req.jql)
            .ok_or_else(|| ApiError::bad("The provided next page token is invalid or expired."))?,
    };
    if req.reconcile.len() > 50 {
        return Err(ApiError::bad("reconcileIssues accepts at most 50 issue ids."));
    }
    let hits = indexed(ctx, run(ctx, &req.jql, true)?, &req.reconcile);
    let sel =
        FieldSel::parse(req.fields, FieldSel::parse(Some(vec!["id".into()]), FieldSel::all()));
    let cap = if sel.only_id() { 5000 } else { 100 };
    let max = page_size(&ctx.sb, req.max_results, 50, cap).max(1);
    let changelog = req
        .expand
        .iter()
        .any(|e| e == "changelog")
        .then(|| Some(ctx.sb.knobs().embedded_changelog_cap as usize));
    let state = ctx.sb.read();
    let issues: Vec<Value> = hits
        .iter()
        .skip(start)
        .take(max)
        .filter(|&&i| i < state.issues.len())
        .map(|&i| {
            if sel.only_id() && changelog.is_none() {
                json!({"id": state.issues[i].id.to_string()})
            } else {
                render::issue(ctx, &state, i, &sel, changelog)
            }
        })
        .collect();
    let end = start + max;
    let is_last = end >= hits.len();
    let mut v = json!({"issues": issues, "isLast": is_last});
    if !is_last {
        v["nextPageToken"] = json!(encode_token(end, &req.jql));
    }
    Ok(Json(v))
}

pub(crate) async fn approximate_count(
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    if !ctx.cloud() {
        return Err(ApiError::NotFound("null for uri: /search/approximate-count".into()));
    }
    let jql = body.get("jql").and_then(Value::as_str).unwrap_or_default();
    let hits = indexed(&ctx, run(&ctx, jql, true)?, &[]);
    Ok(Json(json!({"count": hits.len()})))
}
