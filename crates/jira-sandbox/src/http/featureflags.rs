//! Jira Software's Feature Flags API (`/rest/featureflags/0.1`): bulk submit with per-flag
//! validation, get, delete and delete-by-properties.
//!
//! Jira processes submissions asynchronously; the sandbox applies them before answering 202,
//! which a client cannot tell apart from fast processing.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use super::{ApiError, Ctx, Params};
use crate::Sandbox;
use crate::state::StoredFlag;
use crate::time::is_rfc3339;

pub(crate) fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/bulk", post(bulk))
        .route("/flag/{id}", get(get_flag).delete(delete_flag))
        .route("/bulkByProperties", delete(delete_by_properties))
}

/// A 400 in this API's own error shape (`[{"message": ...}]`), not the platform's.
fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::Messages(StatusCode::BAD_REQUEST, msg.into())
}

const MAX_FLAGS: usize = 100;
const MAX_ISSUE_KEYS: usize = 100;
const MAX_ASSOCIATION_VALUES: usize = 500;
const MAX_PROPERTIES: usize = 5;

fn is_issue_key(s: &str) -> bool {
    // ^\w{1,255}-\d{1,255}$ from the spec.
    let Some((p, n)) = s.rsplit_once('-') else {
        return false;
    };
    (1..=255).contains(&p.chars().count())
        && p.chars().all(|c| c.is_alphanumeric() || c == '_')
        && (1..=255).contains(&n.len())
        && n.bytes().all(|b| b.is_ascii_digit())
}

/// The issue references one flag makes, by association type.
#[derive(Debug, Default)]
struct Refs {
    issue_keys: Vec<String>,
    id_or_keys: Vec<String>,
}

async fn bulk(ctx: Ctx, body: Body) -> Result<Response, ApiError> {
    // Read up to the knob, not up to axum's default limit (2 MiB), so the knob alone decides.
    // (A body that breaks off gets the same answer, which its client cannot read anyway.)
    let cap = ctx.sb.knobs().feature_flags_max_body_bytes;
    let Ok(body) = axum::body::to_bytes(body, cap).await else {
        return Err(ApiError::Messages(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Data is too large. Submit fewer Feature Flags in each payload.".into(),
        ));
    };
    let req: Value = serde_json::from_slice(&body)
        .map_err(|e| bad(format!("Request body is not valid JSON: {e}")))?;
    let flags =
        req.get("flags").and_then(Value::as_array).ok_or_else(|| bad("flags: must not be null"))?;
    if flags.is_empty() || flags.len() > MAX_FLAGS {
        return Err(bad(format!(
            "flags: must contain between 1 and {MAX_FLAGS} Feature Flags, got {}",
            flags.len()
        )));
    }
    let properties = read_properties(req.get("properties"))?;
    if let Some(pm) = req.get("providerMetadata").filter(|v| !v.is_null())
        && !pm.is_object()
    {
        return Err(bad("providerMetadata: must be an object"));
    }

    let mut accepted = Vec::new();
    let mut failed = Map::new();
    let mut unknown_keys: Vec<String> = Vec::new();
    let mut unknown_assoc: Vec<String> = Vec::new();
    let mut state = ctx.sb.write();
    for (n, flag) in flags.iter().enumerate() {
        let id = flag.get("id").and_then(Value::as_str).map(str::to_owned);
        let (refs, problems) = validate_flag(flag);
        if !problems.is_empty() || id.is_none() {
            let key = id.unwrap_or_else(|| format!("flags[{n}]"));
            let msgs: Vec<Value> = problems.into_iter().map(|m| json!({"message": m})).collect();
            failed.insert(key, Value::Array(msgs));
            continue;
        }
        let id = id.expect("checked");
        let mut known = Vec::new();
        for k in &refs.issue_keys {
            match state.issue_by_key.get(k.as_str()) {
                Some(&i) => known.push(state.issues[i].key.clone()),
                None => {
                    if !unknown_keys.contains(k) {
                        unknown_keys.push(k.clone());
                    }
                }
            }
        }
        for k in &refs.id_or_keys {
            match state.find_issue(k) {
                Some(i) => known.push(state.issues[i].key.clone()),
                None => {
                    if !unknown_assoc.contains(k) {
                        unknown_assoc.push(k.clone());
                    }
                }
            }
        }
        // The same issue named twice (repeated, or by key and by id) is one link.
        let mut seen = std::collections::HashSet::new();
        known.retain(|k| seen.insert(k.clone()));
        if known.is_empty() {
            // Linked only to unknown issues: neither accepted nor failed, and not stored.
            continue;
        }
        accepted.push(Value::String(id.clone()));
        let seq = flag.get("updateSequenceId").and_then(Value::as_i64).expect("validated");
        if state.flags.get(&id).is_some_and(|f| f.update_sequence_id >= seq) {
            // An older or equal sequence id is ignored, not failed.
            continue;
        }
        state.flags.insert(
            id,
            StoredFlag {
                data: flag.clone(),
                update_sequence_id: seq,
                issue_keys: known,
                properties: properties.clone(),
                owner: Some(ctx.user),
            },
        );
    }
    state.bump();
    let mut resp = json!({
        "acceptedFeatureFlags": accepted,
        "failedFeatureFlags": failed,
        "unknownIssueKeys": unknown_keys,
    });
    if !unknown_assoc.is_empty() {
        resp["unknownAssociations"] =
            json!([{"associationType": "issueIdOrKeys", "values": unknown_assoc}]);
    }
    Ok((StatusCode::ACCEPTED, Json(resp)).into_response())
}

fn read_properties(v: Option<&Value>) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(out);
    };
    let obj = v.as_object().ok_or_else(|| bad("properties: must be an object"))?;
    if obj.len() > MAX_PROPERTIES {
        return Err(bad(format!("properties: must contain at most {MAX_PROPERTIES} properties")));
    }
    for (k, v) in obj {
        let s = v.as_str().ok_or_else(|| bad(format!("properties.{k}: must be a string")))?;
        if s.chars().count() > 255 || k.chars().count() > 255 {
            return Err(bad(format!("properties.{k}: must be at most 255 characters")));
        }
        out.insert(k.clone(), s.to_owned());
    }
    Ok(out)
}

struct Check {
    problems: Vec<String>,
}

impl Check {
    fn fail(&mut self, m: impl Into<String>) {
        self.problems.push(m.into());
    }

    /// Checks string field `field` of `v`; `at` names `v` in messages (`details[0].`).
    fn string(&mut self, v: &Value, at: &str, field: &str, max: usize, required: bool) {
        let path = format!("{at}{field}");
        match v.get(field) {
            None | Some(Value::Null) if required => self.fail(format!("{path}: must not be null")),
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.chars().count() > max => {
                self.fail(format!("{path}: size must be between 0 and {max}"))
            }
            Some(Value::String(_)) => {}
            Some(_) => self.fail(format!("{path}: must be a string")),
        }
    }

    fn timestamp(&mut self, v: &Value, path: &str) {
        match v.get("lastUpdated") {
            Some(Value::String(s)) if is_rfc3339(s) => {}
            None | Some(Value::Null) => self.fail(format!("{path}.lastUpdated: must not be null")),
            Some(_) => self.fail(format!("{path}.lastUpdated: must be an RFC 3339 timestamp")),
        }
    }

    fn status(&mut self, v: Option<&Value>, path: &str) {
        let Some(st) = v.filter(|s| s.is_object()) else {
            self.fail(format!("{path}: must not be null"));
            return;
        };
        if !st.get("enabled").is_some_and(Value::is_boolean) {
            self.fail(format!("{path}.enabled: must not be null"));
        }
        self.string(st, &format!("{path}."), "defaultValue", 255, false);
        if let Some(r) = st.get("rollout").filter(|r| !r.is_null()) {
            let kinds = ["percentage", "text", "rules"]
                .iter()
                .filter(|k| r.get(**k).is_some_and(|x| !x.is_null()))
                .count();
            if kinds > 1 {
                self.fail(format!(
                    "{path}.rollout: only one of 'percentage', 'text' or 'rules' may be set"
                ));
            }
            let set = |k: &str| r.get(k).filter(|x| !x.is_null());
            if let Some(p) = set("percentage")
                && !p.as_f64().is_some_and(|p| (0.0..=100.0).contains(&p))
            {
                self.fail(format!("{path}.rollout.percentage: must be between 0 and 100"));
            }
            if let Some(t) = set("text")
                && t.as_str().is_none_or(|t| t.chars().count() > 255)
            {
                self.fail(format!("{path}.rollout.text: size must be between 0 and 255"));
            }
            if let Some(n) = set("rules")
                && n.as_u64().is_none()
            {
                self.fail(format!("{path}.rollout.rules: must be greater than or equal to 0"));
            }
        }
    }
}

/// Every rule of the FeatureFlagData schema; returns the issue references and problems.
fn validate_flag(flag: &Value) -> (Refs, Vec<String>) {
    let mut c = Check { problems: Vec::new() };
    let mut refs = Refs::default();
    if !flag.is_object() {
        c.fail("flag: must be an object");
        return (refs, c.problems);
    }
    match flag.get("schemaVersion") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s == "1.0" => {}
        Some(_) => c.fail("schemaVersion: must be '1.0'"),
    }
    c.string(flag, "", "id", 255, true);
    c.string(flag, "", "key", 255, true);
    c.string(flag, "", "displayName", 255, false);
    match flag.get("updateSequenceId") {
        Some(v) if v.as_i64().is_some() => {}
        None | Some(Value::Null) => c.fail("updateSequenceId: must not be null"),
        Some(_) => c.fail("updateSequenceId: must be a 64-bit integer"),
    }

    let mut any_refs = false;
    if let Some(keys) = flag.get("issueKeys").filter(|v| !v.is_null()) {
        match keys.as_array() {
            Some(a) if (1..=MAX_ISSUE_KEYS).contains(&a.len()) => {
                any_refs = true;
                for k in a {
                    match k.as_str() {
                        Some(s) if is_issue_key(s) => refs.issue_keys.push(s.to_owned()),
                        _ => c.fail(format!("issueKeys: '{k}' is not a valid issue key")),
                    }
                }
            }
            _ => {
                c.fail(format!("issueKeys: must contain between 1 and {MAX_ISSUE_KEYS} issue keys"))
            }
        }
    }
    if let Some(assocs) = flag.get("associations").filter(|v| !v.is_null()) {
        let mut total = 0;
        for (n, a) in assocs.as_array().into_iter().flatten().enumerate() {
            let values: Vec<&Value> =
                a.get("values").and_then(Value::as_array).into_iter().flatten().collect();
            total += values.len();
            match a.get("associationType").and_then(Value::as_str) {
                Some("issueKeys") => {
                    for v in values {
                        match v.as_str() {
                            Some(s) if is_issue_key(s) => refs.issue_keys.push(s.to_owned()),
                            _ => c.fail(format!(
                                "associations[{n}].values: '{v}' is not a valid issue key"
                            )),
                        }
                    }
                }
                Some("issueIdOrKeys") => {
                    for v in values {
                        match v.as_str() {
                            Some(s)
                                if is_issue_key(s)
                                    || (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())) =>
                            {
                                refs.id_or_keys.push(s.to_owned())
                            }
                            _ => c.fail(format!(
                                "associations[{n}].values: '{v}' is not an issue id or key"
                            )),
                        }
                    }
                }
                _ => c.fail(format!(
                    "associations[{n}].associationType: must be one of 'issueKeys', 'issueIdOrKeys'"
                )),
            }
        }
        if !assocs.is_array() {
            c.fail("associations: must be an array");
        } else if total > MAX_ASSOCIATION_VALUES {
            c.fail(format!("associations: at most {MAX_ASSOCIATION_VALUES} values in total"));
        } else if total > 0 {
            any_refs = true;
        }
    }
    if !any_refs
        && c.problems.iter().all(|p| !p.starts_with("issueKeys") && !p.starts_with("associations"))
    {
        c.fail("issueKeys: at least one issue key or association must be provided");
    }

    match flag.get("summary").filter(|s| s.is_object()) {
        None => c.fail("summary: must not be null"),
        Some(s) => {
            c.string(s, "summary.", "url", 2000, false);
            c.timestamp(s, "summary");
            c.status(s.get("status"), "summary.status");
        }
    }
    match flag.get("details").and_then(Value::as_array) {
        Some(d) if !d.is_empty() => {
            for (n, det) in d.iter().enumerate() {
                let path = format!("details[{n}]");
                c.string(det, &format!("{path}."), "url", 2000, true);
                c.timestamp(det, &path);
                match det.get("environment").filter(|e| e.is_object()) {
                    None => c.fail(format!("{path}.environment: must not be null")),
                    Some(env) => {
                        if !env
                            .get("name")
                            .and_then(Value::as_str)
                            .is_some_and(|s| !s.is_empty() && s.chars().count() <= 255)
                        {
                            c.fail(format!("{path}.environment.name: must not be blank"));
                        }
                        match env.get("type") {
                            None | Some(Value::Null) => {}
                            Some(Value::String(t))
                                if ["development", "testing", "staging", "production"].contains(&t.as_str()) => {}
                            Some(_) => c.fail(format!(
                                "{path}.environment.type: must be one of 'development', 'testing', 'staging', 'production'"
                            )),
                        }
                    }
                }
                c.status(det.get("status"), &format!("{path}.status"));
            }
        }
        _ => c.fail("details: must contain at least 1 element"),
    }
    (refs, c.problems)
}

async fn get_flag(ctx: Ctx, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let f = state.flags.get(&id).ok_or_else(|| {
        ApiError::Messages(StatusCode::NOT_FOUND, format!("No Feature Flag found with ID '{id}'."))
    })?;
    Ok(Json(f.data.clone()))
}

async fn delete_flag(ctx: Ctx, Path(id): Path<String>) -> StatusCode {
    let mut state = ctx.sb.write();
    state.flags.remove(&id);
    state.bump();
    StatusCode::ACCEPTED
}

async fn delete_by_properties(ctx: Ctx, params: Params) -> Result<StatusCode, ApiError> {
    let wanted: Vec<(String, String)> =
        params.0.into_iter().filter(|(k, _)| k != "_updateSequenceId").collect();
    if wanted.is_empty() {
        return Err(bad("At least one property must be given to delete by."));
    }
    let mut state = ctx.sb.write();
    state.flags.retain(|_, f| !wanted.iter().all(|(k, v)| f.properties.get(k) == Some(v)));
    state.bump();
    Ok(StatusCode::ACCEPTED)
}
