//! Jira Software Cloud's Builds (`/rest/builds/0.1`) and Deployments
//! (`/rest/deployments/0.1`) APIs: bulk submit with per-item checks of the spec's required
//! fields, read one, delete one, delete by properties. Builds are keyed by
//! `(pipelineId, buildNumber)`, deployments by `(pipeline.id, environment.id,
//! deploymentSequenceNumber)`; an older or equal `updateSequenceNumber` is ignored, not failed,
//! and an item linked only to unknown issues is not stored. Both answer errors as
//! `[{"message": ...}]`.

use std::collections::BTreeMap;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::{ApiError, Ctx, JsonBody, Params};
use crate::Sandbox;
use crate::state::{ProviderDoc, State as World};
use crate::time::is_rfc3339;

pub(crate) fn build_routes() -> Router<Sandbox> {
    Router::new()
        .route("/bulk", post(submit_builds))
        .route("/bulkByProperties", delete(delete_builds_by_properties))
        .route("/pipelines/{pipeline}/builds/{number}", get(get_build).delete(delete_build))
}

pub(crate) fn deployment_routes() -> Router<Sandbox> {
    Router::new()
        .route("/bulk", post(submit_deployments))
        .route("/bulkByProperties", delete(delete_deployments_by_properties))
        .route(
            "/pipelines/{pipeline}/environments/{environment}/deployments/{number}",
            get(get_deployment).delete(delete_deployment),
        )
        .route(
            "/pipelines/{pipeline}/environments/{environment}/deployments/{number}/gating-status",
            get(gating_status),
        )
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::Messages(StatusCode::BAD_REQUEST, msg.into())
}

fn not_found(what: &str) -> ApiError {
    ApiError::Messages(StatusCode::NOT_FOUND, format!("No {what} with that key exists."))
}

/// Collects what is wrong with one submitted item.
#[derive(Default)]
struct Check(Vec<String>);

impl Check {
    fn string(&mut self, v: &Value, path: &str, max: usize, required: bool) {
        match v.pointer(&format!("/{}", path.replace('.', "/"))) {
            None | Some(Value::Null) if required => {
                self.0.push(format!("{path}: must not be null"))
            }
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.chars().count() > max => {
                self.0.push(format!("{path}: size must be between 0 and {max}"))
            }
            Some(Value::String(_)) => {}
            Some(_) => self.0.push(format!("{path}: must be a string")),
        }
    }

    fn integer(&mut self, v: &Value, field: &str) -> Option<i64> {
        let n = v.get(field).and_then(Value::as_i64);
        if n.is_none() {
            self.0.push(format!("{field}: must be an integer"));
        }
        n
    }

    fn one_of(&mut self, v: &Value, path: &str, allowed: &[&str]) {
        let got = v.pointer(&format!("/{}", path.replace('.', "/"))).and_then(Value::as_str);
        if !got.is_some_and(|g| allowed.contains(&g)) {
            self.0.push(format!("{path}: must be one of {}", allowed.join(", ")));
        }
    }

    fn timestamp(&mut self, v: &Value, field: &str) {
        if !v.get(field).and_then(Value::as_str).is_some_and(is_rfc3339) {
            self.0.push(format!("{field}: must be an ISO 8601 date-time"));
        }
    }

    /// Issue keys or ids named by `issueKeys` and `associations` (issue association types).
    fn issues(&mut self, v: &Value, required: bool) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let keys = v.get("issueKeys").and_then(Value::as_array);
        if let Some(keys) = keys {
            if keys.is_empty() || keys.len() > 100 {
                self.0.push("issueKeys: size must be between 1 and 100".into());
            }
            out.extend(keys.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        let assoc = v.get("associations").and_then(Value::as_array);
        for a in assoc.into_iter().flatten() {
            match a.get("associationType").and_then(Value::as_str) {
                Some("issueKeys" | "issueIdOrKeys") => out.extend(
                    a["values"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(str::to_owned),
                ),
                Some("serviceIdOrKeys") => {}
                _ => self.0.push("associations: unknown associationType".into()),
            }
        }
        if required && keys.is_none() && assoc.is_none() {
            self.0.push("issueKeys: must not be null".into());
        }
        out
    }
}

fn properties(req: &Value) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    let Some(obj) = req.get("properties").filter(|v| !v.is_null()) else { return Ok(out) };
    let obj = obj.as_object().ok_or_else(|| bad("properties: must be an object"))?;
    if obj.len() > 5 {
        return Err(bad("properties: must contain at most 5 properties"));
    }
    for (k, v) in obj {
        if k.starts_with('_') || k.contains(':') {
            return Err(bad(format!(
                "properties.{k}: keys must not contain ':' or start with '_'"
            )));
        }
        let s = v.as_str().ok_or_else(|| bad(format!("properties.{k}: must be a string")))?;
        out.insert(k.clone(), s.to_owned());
    }
    Ok(out)
}

/// Known issue keys of `refs` (by key or id), and the unknown ones.
fn resolve(state: &World, refs: &[String]) -> (Vec<String>, Vec<String>) {
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for r in refs {
        match state.find_issue(r) {
            Some(i) if !known.contains(&state.issues[i].key) => {
                known.push(state.issues[i].key.clone())
            }
            Some(_) => {}
            None if !unknown.contains(r) => unknown.push(r.clone()),
            None => {}
        }
    }
    (known, unknown)
}

/// The items of a bulk request: 1 to 100 of them.
fn items<'a>(req: &'a Value, field: &str) -> Result<&'a Vec<Value>, ApiError> {
    let list = req
        .get(field)
        .and_then(Value::as_array)
        .ok_or_else(|| bad(format!("{field}: must not be null")))?;
    if list.is_empty() || list.len() > 100 {
        return Err(bad(format!("{field}: size must be between 1 and 100")));
    }
    Ok(list)
}

/// Stores `doc` under `key` unless a newer one is there; `false` when it was linked only to
/// unknown issues (and so not stored).
fn store<K: Ord>(
    docs: &mut BTreeMap<K, ProviderDoc>,
    key: K,
    data: &Value,
    seq: i64,
    issue_keys: Vec<String>,
    properties: &BTreeMap<String, String>,
) -> bool {
    if issue_keys.is_empty() {
        return false;
    }
    if docs.get(&key).is_none_or(|d| d.update_sequence < seq) {
        let doc = ProviderDoc {
            data: data.clone(),
            update_sequence: seq,
            issue_keys,
            properties: properties.clone(),
        };
        docs.insert(key, doc);
    }
    true
}

async fn submit_builds(ctx: Ctx, JsonBody(req): JsonBody) -> Result<Response, ApiError> {
    let list = items(&req, "builds")?;
    let props = properties(&req)?;
    let mut state = ctx.sb.write();
    let (mut accepted, mut rejected, mut unknown) = (Vec::new(), Vec::new(), Vec::<String>::new());
    for b in list {
        let mut c = Check::default();
        c.string(b, "pipelineId", 255, true);
        let number = c.integer(b, "buildNumber");
        let seq = c.integer(b, "updateSequenceNumber");
        c.string(b, "displayName", 255, true);
        c.string(b, "description", 255, false);
        c.string(b, "label", 255, false);
        c.string(b, "url", 2000, true);
        c.one_of(
            b,
            "state",
            &["pending", "in_progress", "successful", "failed", "cancelled", "unknown"],
        );
        c.timestamp(b, "lastUpdated");
        let refs = c.issues(b, true);
        let pipeline = b["pipelineId"].as_str().unwrap_or_default().to_owned();
        let key = json!({"pipelineId": pipeline, "buildNumber": number.unwrap_or(0)});
        let (Some(number), Some(seq), true) = (number, seq, c.0.is_empty()) else {
            let errors: Vec<Value> = c.0.into_iter().map(|m| json!({"message": m})).collect();
            rejected.push(json!({"key": key, "errors": errors}));
            continue;
        };
        let (known, missing) = resolve(&state, &refs);
        unknown.extend(missing.into_iter().filter(|m| !unknown.contains(m)).collect::<Vec<_>>());
        if store(&mut state.builds, (pipeline, number), b, seq, known, &props) {
            accepted.push(key);
        }
    }
    state.bump();
    let body = json!({"acceptedBuilds": accepted, "rejectedBuilds": rejected, "unknownIssueKeys": unknown});
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

async fn submit_deployments(ctx: Ctx, JsonBody(req): JsonBody) -> Result<Response, ApiError> {
    let list = items(&req, "deployments")?;
    let props = properties(&req)?;
    let mut state = ctx.sb.write();
    let (mut accepted, mut rejected, mut unknown) = (Vec::new(), Vec::new(), Vec::<String>::new());
    for d in list {
        let mut c = Check::default();
        let number = c.integer(d, "deploymentSequenceNumber");
        let seq = c.integer(d, "updateSequenceNumber");
        c.string(d, "displayName", 255, true);
        c.string(d, "description", 255, true);
        c.string(d, "label", 255, false);
        c.string(d, "url", 2000, true);
        c.timestamp(d, "lastUpdated");
        let states = [
            "unknown",
            "pending",
            "in_progress",
            "cancelled",
            "failed",
            "rolled_back",
            "successful",
        ];
        c.one_of(d, "state", &states);
        for f in
            ["pipeline.id", "pipeline.displayName", "environment.id", "environment.displayName"]
        {
            c.string(d, f, 255, true);
        }
        c.string(d, "pipeline.url", 2000, true);
        let types = ["unmapped", "development", "testing", "staging", "production"];
        c.one_of(d, "environment.type", &types);
        let refs = c.issues(d, true);
        let pipeline =
            d.pointer("/pipeline/id").and_then(Value::as_str).unwrap_or_default().to_owned();
        let env =
            d.pointer("/environment/id").and_then(Value::as_str).unwrap_or_default().to_owned();
        let key = json!({"pipelineId": pipeline, "environmentId": env, "deploymentSequenceNumber": number.unwrap_or(0)});
        let (Some(number), Some(seq), true) = (number, seq, c.0.is_empty()) else {
            let errors: Vec<Value> = c.0.into_iter().map(|m| json!({"message": m})).collect();
            rejected.push(json!({"key": key, "errors": errors}));
            continue;
        };
        let (known, missing) = resolve(&state, &refs);
        unknown.extend(missing.into_iter().filter(|m| !unknown.contains(m)).collect::<Vec<_>>());
        if store(&mut state.deployments, (pipeline, env, number), d, seq, known, &props) {
            accepted.push(key);
        }
    }
    state.bump();
    let body = json!({"acceptedDeployments": accepted, "rejectedDeployments": rejected, "unknownIssueKeys": unknown});
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

async fn get_build(
    ctx: Ctx,
    Path((pipeline, number)): Path<(String, i64)>,
) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let doc = state.builds.get(&(pipeline, number)).ok_or_else(|| not_found("build"))?;
    Ok(Json(doc.data.clone()))
}

async fn delete_build(ctx: Ctx, Path((pipeline, number)): Path<(String, i64)>) -> StatusCode {
    let mut state = ctx.sb.write();
    state.builds.remove(&(pipeline, number));
    state.bump();
    StatusCode::ACCEPTED
}

async fn get_deployment(
    ctx: Ctx,
    Path((pipeline, env, number)): Path<(String, String, i64)>,
) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let doc =
        state.deployments.get(&(pipeline, env, number)).ok_or_else(|| not_found("deployment"))?;
    Ok(Json(doc.data.clone()))
}

async fn delete_deployment(
    ctx: Ctx,
    Path((pipeline, env, number)): Path<(String, String, i64)>,
) -> StatusCode {
    let mut state = ctx.sb.write();
    state.deployments.remove(&(pipeline, env, number));
    state.bump();
    StatusCode::ACCEPTED
}

/// No deployment gating is configured in the sandbox: every stored deployment is allowed.
async fn gating_status(
    ctx: Ctx,
    Path((pipeline, env, number)): Path<(String, String, i64)>,
) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let doc = state
        .deployments
        .get(&(pipeline.clone(), env.clone(), number))
        .ok_or_else(|| not_found("deployment"))?;
    Ok(Json(json!({
        "deploymentSequenceNumber": number,
        "pipelineId": pipeline,
        "environmentId": env,
        "updatedTimestamp": doc.data["lastUpdated"],
        "gatingStatus": "allowed",
        "details": [],
    })))
}

/// The `?k=v` properties of a delete-by-properties (`_updateSequenceNumber` aside); all must
/// match.
fn wanted_properties(params: &Params) -> Result<Vec<(String, String)>, ApiError> {
    let wanted: Vec<(String, String)> =
        params.0.iter().filter(|(k, _)| !k.starts_with('_')).cloned().collect();
    if wanted.is_empty() {
        return Err(bad("At least one property must be given."));
    }
    Ok(wanted)
}

fn matches(doc: &ProviderDoc, wanted: &[(String, String)]) -> bool {
    wanted.iter().all(|(k, v)| doc.properties.get(k) == Some(v))
}

async fn delete_builds_by_properties(ctx: Ctx, params: Params) -> Result<StatusCode, ApiError> {
    let wanted = wanted_properties(&params)?;
    let mut state = ctx.sb.write();
    state.builds.retain(|_, d| !matches(d, &wanted));
    state.bump();
    Ok(StatusCode::ACCEPTED)
}

async fn delete_deployments_by_properties(
    ctx: Ctx,
    params: Params,
) -> Result<StatusCode, ApiError> {
    let wanted = wanted_properties(&params)?;
    let mut state = ctx.sb.write();
    state.deployments.retain(|_, d| !matches(d, &wanted));
    state.bump();
    Ok(StatusCode::ACCEPTED)
}
