//! Transitions (`/issue/{key}/transitions`): what an issue is offered, with the fields each
//! transition's screen asks for, and performing one.

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::platform::{find_issue, require};
use super::read::read_body;
use super::render;
use super::{ApiError, Ctx, JsonBody, Params};
use crate::state::{State as World, TransitionError};
use crate::time::now_ms;

pub(super) async fn transitions(
    ctx: Ctx,
    Path(key): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let idx = find_issue(&state, ctx.user, &key)?;
    let with_fields =
        params.list("expand").is_some_and(|e| e.iter().any(|x| x == "transitions.fields"));
    let only = params.get("transitionId");
    let project = state.issues[idx].project;
    let wf = &state.projects[project].workflow;
    let may = state.allowed(ctx.user, Some(project), "TRANSITION_ISSUES");
    let list: Vec<Value> = state
        .available_transitions(idx)
        .into_iter()
        .filter(|_| may)
        .map(|t| &wf.transitions[t])
        .filter(|t| only.is_none_or(|id| id == t.id))
        .map(|t| {
            let to = state.status_in_project(project, &t.to);
            let mut v = json!({
                "id": t.id,
                "name": t.name,
                "to": render::status(&ctx, &state, to),
                "hasScreen": !t.required_fields.is_empty(),
                "isGlobal": t.from.is_empty(),
                "isInitial": false,
                "isAvailable": true,
                "isConditional": false,
                "isLooped": false,
            });
            if with_fields {
                let mut fields = serde_json::Map::new();
                for f in &t.required_fields {
                    fields.insert(f.clone(), field_meta(&ctx, &state, f));
                }
                v["fields"] = Value::Object(fields);
            }
            v
        })
        .collect();
    Ok(Json(json!({"expand": "transitions", "transitions": list})))
}

/// FieldMetadata for a transition screen field.
fn field_meta(ctx: &Ctx, state: &World, field: &str) -> Value {
    match field {
        "resolution" => json!({
            "required": true,
            "schema": {"type": "resolution", "system": "resolution"},
            "name": "Resolution",
            "key": "resolution",
            "hasDefaultValue": false,
            "operations": ["set"],
            "allowedValues": (0..state.resolutions.len())
                .map(|r| render::resolution(ctx, state, r))
                .collect::<Vec<_>>(),
        }),
        other => json!({
            "required": true,
            "schema": {"type": "string", "system": other},
            "name": other,
            "key": other,
            "hasDefaultValue": false,
            "operations": ["set"],
        }),
    }
}

pub(super) async fn do_transition(
    ctx: Ctx,
    Path(key): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let mut state = ctx.sb.write();
    let idx = find_issue(&state, ctx.user, &key)?;
    require(&state, ctx.user, idx, "TRANSITION_ISSUES", "transition this issue")?;
    let id = body
        .pointer("/transition/id")
        .and_then(|v| v.as_str().map(str::to_owned).or_else(|| v.as_u64().map(|n| n.to_string())))
        .ok_or_else(|| ApiError::bad("Missing 'transition' identifier"))?;
    let mut resolution = None;
    let mut errors = Vec::new();
    if let Some(fields) = body.get("fields").and_then(Value::as_object) {
        for (name, value) in fields {
            if name != "resolution" {
                errors.push((
                    name.clone(),
                    format!("Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."),
                ));
                continue;
            }
            let wanted = value
                .get("name")
                .or_else(|| value.get("id"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            match state.resolution_by_name_or_id(wanted) {
                Some(r) => resolution = Some(r),
                None => errors
                    .push(("resolution".into(), format!("Could not find resolution '{wanted}'."))),
            }
        }
    }
    // A comment may ride along: {"update":{"comment":[{"add":{"body":...}}]}}; it is read
    // before the move so a bad body leaves the issue untouched.
    let mut comments = Vec::new();
    for op in body.pointer("/update/comment").and_then(Value::as_array).into_iter().flatten() {
        if let Some(b) = op.pointer("/add/body") {
            match read_body(&ctx, "comment", b) {
                Ok(Some(b)) => comments.push(b),
                Ok(None) => {}
                Err(ApiError::FieldErrors(e)) => errors.extend(e),
                Err(e) => return Err(e),
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::FieldErrors(errors));
    }
    let now = now_ms();
    match state.transition(idx, &id, resolution, ctx.user, now) {
        Ok(()) => {}
        Err(TransitionError::NotAvailable(id)) => {
            return Err(ApiError::bad(format!(
                "Transition id '{id}' is not valid for this issue."
            )));
        }
        Err(TransitionError::Fields(e)) => return Err(ApiError::FieldErrors(e)),
    }
    for b in comments {
        state.add_comment(idx, ctx.user, b, now);
    }
    super::webhooks::issue_event(
        &ctx,
        &state,
        idx,
        "jira:issue_updated",
        &["status", "resolution"],
    );
    Ok(StatusCode::NO_CONTENT)
}
