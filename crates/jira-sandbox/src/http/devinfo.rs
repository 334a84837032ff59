//! Jira Software Cloud's Development Information API (`/rest/devinfo/0.10`): bulk submit of
//! repositories with their commits, branches and pull requests; read and delete a repository;
//! delete one entity; delete and check by properties. Errors are this API's own
//! `{"errorMessages": [{"message": ...}]}`.
//!
//! Request-level problems (no repositories, more than 100, more than 5 properties, a property
//! key starting with `_`) are 400s; more than 1000 entities in one request is a 413. Each
//! repository and entity is checked on its own: a bad repository fails with its entities
//! (`failedDevinfoEntities[repo].errorMessages`), a bad entity fails alone; unknown issue keys
//! are reported and an entity naming only unknown ones is not stored.

use std::collections::BTreeMap;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use super::{ApiError, Ctx, JsonBody, Params};
use crate::Sandbox;
use crate::state::{DevEntity, DevRepo, EntityKind, PropertyQuery};
use crate::time::is_rfc3339;

pub(crate) fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/bulk", post(bulk))
        .route("/bulkByProperties", delete(delete_by_properties))
        .route("/existsByProperties", get(exists_by_properties))
        .route("/repository/{repo}", get(get_repository).delete(delete_repository))
        .route("/repository/{repo}/{kind}/{entity}", delete(delete_entity))
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::ErrorMessages(StatusCode::BAD_REQUEST, vec![msg.into()])
}

const MAX_REPOSITORIES: usize = 100;
const MAX_ENTITIES_PER_LIST: usize = 400;
const MAX_ENTITIES: usize = 1000;
const MAX_ISSUE_KEYS: usize = 100;

/// What is wrong with one object, message by message.
#[derive(Default)]
struct Check(Vec<String>);

impl Check {
    fn string(&mut self, v: &Value, at: &str, field: &str, max: usize, required: bool) {
        match v.get(field) {
            None | Some(Value::Null) if required => {
                self.0.push(format!("{at}{field} must not be null"))
            }
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.chars().count() > max => {
                self.0.push(format!("{at}{field} must be at most {max} characters"))
            }
            Some(Value::String(_)) => {}
            Some(_) => self.0.push(format!("{at}{field} must be a string")),
        }
    }

    fn integer(&mut self, v: &Value, at: &str, field: &str) -> Option<i64> {
        let n = v.get(field).and_then(Value::as_i64);
        if n.is_none() {
            self.0.push(format!("{at}{field} must be an integer"));
        }
        n
    }

    fn timestamp(&mut self, v: &Value, field: &str) {
        if !v.get(field).and_then(Value::as_str).is_some_and(is_rfc3339) {
            self.0.push(format!("{field} must be an ISO 8601 date-time"));
        }
    }

    fn author(&mut self, v: &Value, at: &str) {
        match v.get("author") {
            Some(a @ Value::Object(_)) => {
                self.string(a, &format!("{at}author."), "name", 255, true);
                self.string(a, &format!("{at}author."), "email", 255, true);
            }
            _ => self.0.push(format!("{at}author must not be null")),
        }
    }

    /// A commit, on its own or as a branch's `lastCommit`.
    fn commit(&mut self, c: &Value, at: &str) {
        self.string(c, at, "id", 1024, true);
        self.string(c, at, "hash", 255, true);
        self.string(c, at, "message", 1024, true);
        self.string(c, at, "url", 2000, true);
        self.string(c, at, "displayId", 255, true);
        self.author(c, at);
        if c.get("fileCount").and_then(Value::as_u64).is_none_or(|n| n > i32::MAX as u64) {
            self.0.push(format!("{at}fileCount must be a number of files"));
        }
        if !c.get("authorTimestamp").and_then(Value::as_str).is_some_and(is_rfc3339) {
            self.0.push(format!("{at}authorTimestamp must be an ISO 8601 date-time"));
        }
        if c.get("files").and_then(Value::as_array).is_some_and(|f| f.len() > 10) {
            self.0.push(format!("{at}files must contain at most 10 files"));
        }
    }

    /// The fields every entity has: `id`, `issueKeys` (1–100), `updateSequenceId`.
    fn entity(&mut self, e: &Value) -> (Option<i64>, Vec<String>) {
        self.string(e, "", "id", 1024, true);
        let seq = self.integer(e, "", "updateSequenceId");
        let keys: Vec<String> = e
            .get("issueKeys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        if keys.is_empty() || keys.len() > MAX_ISSUE_KEYS {
            self.0
                .push(format!("issueKeys must contain between 1 and {MAX_ISSUE_KEYS} issue keys"));
        }
        (seq, keys)
    }
}

fn check_entity(kind: EntityKind, e: &Value) -> (Option<i64>, Vec<String>, Vec<String>) {
    let mut c = Check::default();
    let (seq, keys) = c.entity(e);
    match kind {
        EntityKind::Commit => c.commit(e, ""),
        EntityKind::Branch => {
            c.string(e, "", "name", 512, true);
            c.string(e, "", "url", 2000, true);
            c.string(e, "", "createPullRequestUrl", 2000, false);
            match e.get("lastCommit") {
                Some(lc @ Value::Object(_)) => c.commit(lc, "lastCommit."),
                _ => c.0.push("lastCommit must not be null".into()),
            }
        }
        EntityKind::PullRequest => {
            let status = e.get("status").and_then(Value::as_str);
            if !status.is_some_and(|s| ["OPEN", "MERGED", "DECLINED", "UNKNOWN"].contains(&s)) {
                c.0.push("status must be one of OPEN, MERGED, DECLINED, UNKNOWN".into());
            }
            c.string(e, "", "title", 1024, true);
            c.string(e, "", "sourceBranch", 255, true);
            c.string(e, "", "destinationBranch", 255, false);
            c.string(e, "", "url", 2000, true);
            c.string(e, "", "displayId", 255, true);
            c.author(e, "");
            if e.get("commentCount").and_then(Value::as_i64).is_none() {
                c.0.push("commentCount must be an integer".into());
            }
            c.timestamp(e, "lastUpdate");
        }
    }
    (seq, keys, c.0)
}

fn properties(req: &Value) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    let Some(obj) = req.get("properties").filter(|v| !v.is_null()) else { return Ok(out) };
    let obj = obj.as_object().ok_or_else(|| bad("properties must be an object"))?;
    if obj.len() > 5 {
        return Err(bad("No more than 5 properties may be submitted."));
    }
    for (k, v) in obj {
        if k.starts_with('_') {
            return Err(bad(format!("Property key '{k}' must not start with '_'.")));
        }
        let s = v.as_str().ok_or_else(|| bad(format!("Property '{k}' must be a string.")))?;
        out.insert(k.clone(), s.to_owned());
    }
    Ok(out)
}

fn errors(msgs: Vec<String>) -> Value {
    Value::Array(msgs.into_iter().map(|m| json!({"message": m})).collect())
}

async fn bulk(ctx: Ctx, JsonBody(req): JsonBody) -> Result<Response, ApiError> {
    let repos =
        req.get("repositories").and_then(Value::as_array).filter(|r| !r.is_empty()).ok_or_else(
            || bad("No repositories or development information entities were provided."),
        )?;
    if repos.len() > MAX_REPOSITORIES {
        return Err(bad(format!("No more than {MAX_REPOSITORIES} repositories may be submitted.")));
    }
    let entities: usize = repos
        .iter()
        .map(|r| {
            EntityKind::ALL
                .iter()
                .map(|k| r[k.list()].as_array().map_or(0, Vec::len))
                .sum::<usize>()
        })
        .sum();
    if entities > MAX_ENTITIES {
        return Err(ApiError::ErrorMessages(
            StatusCode::PAYLOAD_TOO_LARGE,
            vec!["Data is too large. Submit fewer devinfo entities in each payload.".into()],
        ));
    }
    let props = properties(&req)?;
    let mut accepted = Map::new();
    let mut failed = Map::new();
    let mut unknown: Vec<String> = Vec::new();
    let mut state = ctx.sb.write();
    for (n, repo) in repos.iter().enumerate() {
        let mut c = Check::default();
        c.string(repo, "", "id", 1024, true);
        c.string(repo, "", "name", 255, true);
        c.string(repo, "", "url", 2000, true);
        c.string(repo, "", "description", 1024, false);
        let seq = c.integer(repo, "", "updateSequenceId");
        for kind in EntityKind::ALL {
            if repo[kind.list()].as_array().is_some_and(|l| l.len() > MAX_ENTITIES_PER_LIST) {
                c.0.push(format!(
                    "{} must contain at most {MAX_ENTITIES_PER_LIST} entities",
                    kind.list()
                ));
            }
        }
        let id = repo.get("id").and_then(Value::as_str).map(str::to_owned);
        let (Some(id), Some(seq), true) = (id.clone(), seq, c.0.is_empty()) else {
            let key = id.unwrap_or_else(|| format!("repositories[{n}]"));
            failed.insert(key, json!({"errorMessages": errors(c.0)}));
            continue;
        };
        let mut fields = repo.clone();
        for kind in EntityKind::ALL {
            fields.as_object_mut().map(|o| o.remove(kind.list()));
        }
        match state.devinfo.get_mut(&id) {
            Some(r) if r.update_sequence_id < seq => {
                r.data = fields;
                r.update_sequence_id = seq;
                r.properties = props.clone();
            }
            Some(_) => {}
            None => {
                state.devinfo.insert(id.clone(), DevRepo::new(fields, seq, props.clone()));
            }
        }
        let mut ok = Map::new();
        let mut bad_entities = Map::new();
        for kind in EntityKind::ALL {
            let (mut ok_ids, mut bad_list) = (Vec::new(), Vec::new());
            for e in repo[kind.list()].as_array().into_iter().flatten() {
                let (e_seq, keys, problems) = check_entity(kind, e);
                let e_id = e.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
                let Some(e_seq) = e_seq.filter(|_| problems.is_empty()) else {
                    bad_list.push(json!({"id": e_id, "errorMessages": errors(problems)}));
                    continue;
                };
                let mut known = Vec::new();
                for k in &keys {
                    match state.find_issue(k) {
                        Some(i) if !known.contains(&state.issues[i].key) => {
                            known.push(state.issues[i].key.clone())
                        }
                        Some(_) => {}
                        None if !unknown.contains(k) => unknown.push(k.clone()),
                        None => {}
                    }
                }
                let entity = DevEntity {
                    data: e.clone(),
                    update_sequence_id: e_seq,
                    issue_keys: known,
                    properties: props.clone(),
                };
                if state.store_dev_entity(&id, kind, &e_id, entity) {
                    ok_ids.push(json!(e_id));
                }
            }
            if !ok_ids.is_empty() {
                ok.insert(kind.list().into(), Value::Array(ok_ids));
            }
            if !bad_list.is_empty() {
                bad_entities.insert(kind.list().into(), Value::Array(bad_list));
            }
        }
        accepted.insert(id.clone(), Value::Object(ok));
        if !bad_entities.is_empty() {
            failed.insert(id, Value::Object(bad_entities));
        }
    }
    state.bump();
    let body = json!({
        "acceptedDevinfoEntities": accepted,
        "failedDevinfoEntities": failed,
        "unknownIssueKeys": unknown,
    });
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

/// The repository with (up to) its 400 most recent entities of each kind, as stored.
async fn get_repository(ctx: Ctx, Path(repo): Path<String>) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let r = state.devinfo.get(&repo).ok_or_else(|| {
        ApiError::ErrorMessages(
            StatusCode::NOT_FOUND,
            vec![format!("No data found for repository '{repo}'.")],
        )
    })?;
    let mut v = r.data.clone();
    for kind in EntityKind::ALL {
        let mut list: Vec<&DevEntity> = r.entities(kind).values().collect();
        list.sort_by_key(|e| std::cmp::Reverse(e.update_sequence_id));
        v[kind.list()] =
            list.into_iter().take(MAX_ENTITIES_PER_LIST).map(|e| e.data.clone()).collect();
    }
    Ok(Json(v))
}

/// `_updateSequenceId`: only data at or below it is deleted.
fn ceiling(params: &Params) -> Result<Option<i64>, ApiError> {
    params
        .get("_updateSequenceId")
        .map(|s| s.parse::<i64>().map_err(|_| bad("_updateSequenceId must be a number.")))
        .transpose()
}

async fn delete_repository(
    ctx: Ctx,
    Path(repo): Path<String>,
    params: Params,
) -> Result<StatusCode, ApiError> {
    let max = ceiling(&params)?;
    let mut state = ctx.sb.write();
    if state.devinfo.get(&repo).is_some_and(|r| max.is_none_or(|m| r.update_sequence_id <= m)) {
        state.devinfo.remove(&repo);
        state.bump();
    }
    Ok(StatusCode::ACCEPTED)
}

async fn delete_entity(
    ctx: Ctx,
    Path((repo, kind, entity)): Path<(String, String, String)>,
    params: Params,
) -> Result<StatusCode, ApiError> {
    let kind = EntityKind::from_path(&kind).ok_or_else(|| {
        bad(format!("Wrong entity type '{kind}': use commit, branch or pull_request."))
    })?;
    let max = ceiling(&params)?;
    let mut state = ctx.sb.write();
    if let Some(r) = state.devinfo.get_mut(&repo) {
        let list = r.entities_mut(kind);
        if list.get(&entity).is_some_and(|e| max.is_none_or(|m| e.update_sequence_id <= m)) {
            list.remove(&entity);
        }
    }
    state.bump();
    Ok(StatusCode::ACCEPTED)
}

/// The properties of a by-properties call: at least one, each given once.
fn query(params: &Params) -> Result<PropertyQuery, ApiError> {
    let max_sequence = ceiling(params)?;
    let mut properties: Vec<(String, String)> = Vec::new();
    for (k, v) in params.0.iter().filter(|(k, _)| !k.starts_with('_')) {
        if properties.iter().any(|(seen, _)| seen == k) {
            return Err(bad(format!("Property '{k}' is given more than once.")));
        }
        properties.push((k.clone(), v.clone()));
    }
    if properties.is_empty() {
        return Err(bad("At least one property must be given."));
    }
    Ok(PropertyQuery { properties, max_sequence })
}

async fn delete_by_properties(ctx: Ctx, params: Params) -> Result<StatusCode, ApiError> {
    let q = query(&params)?;
    ctx.sb.write().delete_dev_by_properties(&q);
    Ok(StatusCode::ACCEPTED)
}

async fn exists_by_properties(ctx: Ctx, params: Params) -> Result<Json<Value>, ApiError> {
    let q = query(&params)?;
    let exists = ctx.sb.read().dev_exists_by_properties(&q);
    Ok(Json(json!({"hasDataMatchingProperties": exists})))
}
