//! Transitions (`/issue/{key}/transitions`): what an issue is offered, with the fields each
//! transition's screen asks for, and performing one.

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::platform::{find_issue, require};
use super::read::{read_body, read_labels, read_priority, read_user};
use super::render;
use super::{ApiError, Ctx, JsonBody, Params};
use crate::config::ScreenField;
use crate::state::{State as World, TransitionError, TransitionInput, screen_field_name};
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
                "hasScreen": t.screen.is_some(),
                "isGlobal": t.from.is_empty(),
                "isInitial": false,
                "isAvailable": true,
                "isConditional": false,
                "isLooped": false,
            });
            if with_fields {
                let mut fields = serde_json::Map::new();
                for f in t.screen.iter().flatten() {
                    fields.insert(f.field.clone(), field_meta(&ctx, &state, idx, f));
                }
                v["fields"] = Value::Object(fields);
            }
            v
        })
        .collect();
    Ok(Json(json!({"expand": "transitions", "transitions": list})))
}

/// FieldMetadata for a transition screen field.
fn field_meta(ctx: &Ctx, state: &World, idx: usize, f: &ScreenField) -> Value {
    let key = f.field.as_str();
    let issue_key = &state.issues[idx].key;
    let (schema, operations, allowed, autocomplete): (
        Value,
        &[&str],
        Option<Value>,
        Option<String>,
    ) = match key {
        "resolution" => (
            json!({"type": "resolution", "system": "resolution"}),
            &["set"],
            Some((0..state.resolutions.len()).map(|r| render::resolution(ctx, state, r)).collect()),
            None,
        ),
        "priority" => (
            json!({"type": "priority", "system": "priority"}),
            &["set"],
            Some((0..state.priorities.len()).map(|p| render::priority(ctx, state, p)).collect()),
            None,
        ),
        "assignee" => (
            json!({"type": "user", "system": "assignee"}),
            &["set"],
            None,
            Some(format!("{}/user/assignable/search?issueKey={issue_key}&query=", ctx.api)),
        ),
        "labels" => (
            json!({"type": "array", "items": "string", "system": "labels"}),
            &["add", "set", "remove"],
            None,
            Some(format!("{}/rest/api/1.0/labels/suggest?query=", ctx.base)),
        ),
        "comment" => (json!({"type": "comments-page", "system": "comment"}), &["add"], None, None),
        other => (json!({"type": "string", "system": other}), &["set"], None, None),
    };
    let mut v = json!({
        "required": f.required,
        "schema": schema,
        "name": screen_field_name(key),
        "key": key,
        "hasDefaultValue": false,
        "operations": operations,
    });
    if let Some(a) = allowed {
        v["allowedValues"] = a;
    }
    if let Some(u) = autocomplete {
        v["autoCompleteUrl"] = json!(u);
    }
    v
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
    let mut given = TransitionInput::default();
    let mut errors = Vec::new();
    // `fields` are sets; `update` holds operations, of which sets and comment adds are read.
    let mut sets: Vec<(String, Value)> = body
        .get("fields")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut comments = Vec::new();
    for (name, ops) in body.get("update").and_then(Value::as_object).into_iter().flatten() {
        for op in ops.as_array().into_iter().flatten() {
            let Some((verb, value)) = op.as_object().and_then(|o| o.iter().next()) else {
                continue;
            };
            match (name.as_str(), verb.as_str()) {
                // A comment may ride along: {"update":{"comment":[{"add":{"body":...}}]}}; it
                // is read before the move so a bad body leaves the issue untouched.
                ("comment", "add") => match read_body(&ctx, "comment", &value["body"]) {
                    Ok(Some(b)) => {
                        comments.push(b);
                        given.fields.push("comment".into());
                    }
                    Ok(None) => {}
                    Err(ApiError::FieldErrors(e)) => errors.extend(e),
                    Err(e) => return Err(e),
                },
                (_, "set") => sets.push((name.clone(), value.clone())),
                _ => errors.push((
                    name.clone(),
                    format!("Operation '{verb}' is not supported on field '{name}'."),
                )),
            }
        }
    }
    for (name, value) in sets {
        let r = match name.as_str() {
            "resolution" => {
                let wanted = value
                    .get("name")
                    .or_else(|| value.get("id"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                match state.resolution_by_name_or_id(wanted) {
                    Some(r) => {
                        given.resolution = Some(r);
                        Ok(())
                    }
                    None => Err(ApiError::field(
                        "resolution",
                        format!("Could not find resolution '{wanted}'."),
                    )),
                }
            }
            "assignee" => {
                read_user(&ctx, &state, "assignee", &value).map(|u| given.edit.assignee = Some(u))
            }
            "priority" => read_priority(&state, &value).map(|p| given.edit.priority = Some(p)),
            "labels" => read_labels(&value).map(|l| given.edit.labels = Some(l)),
            "description" => {
                read_body(&ctx, "description", &value).map(|b| given.edit.description = Some(b))
            }
            "summary" => match value.as_str().map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => {
                    given.edit.summary = Some(s.to_owned());
                    Ok(())
                }
                None => Err(ApiError::field("summary", "You must specify a summary of the issue.")),
            },
            // Unknown here; the workflow says "cannot be set" (it is on no screen).
            _ => Ok(()),
        };
        match r {
            Ok(()) => given.fields.push(name),
            Err(ApiError::FieldErrors(e)) => errors.extend(e),
            Err(e) => return Err(e),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::FieldErrors(errors));
    }
    let changed: Vec<String> = ["status", "resolution"]
        .into_iter()
        .map(str::to_owned)
        .chain(given.fields.iter().filter(|f| *f != "comment").cloned())
        .collect();
    let now = now_ms();
    match state.transition(idx, &id, given, ctx.user, now) {
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
    let changed: Vec<&str> = changed.iter().map(String::as_str).collect();
    super::webhooks::issue_event(&ctx, &state, idx, "jira:issue_updated", &changed);
    Ok(StatusCode::NO_CONTENT)
}
