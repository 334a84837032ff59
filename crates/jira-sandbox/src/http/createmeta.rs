//! Create metadata: what a caller may create where, and with which fields. The paged
//! `GET /issue/createmeta/{project}/issuetypes[/{issueTypeId}]` (Cloud, and Data Center from
//! 8.4) and the legacy `GET /issue/createmeta` (Cloud, where it is deprecated, and Data Center
//! before 9.0, which removed it).

use axum::Json;
use axum::extract::Path;
use serde_json::{Map, Value, json};

use super::render;
use super::{ApiError, Ctx, Params, page_size};
use crate::state::State as World;

/// Data Center version from which the paged resources exist, and the one that dropped the
/// legacy one.
const PAGED_SINCE: (u32, u32) = (8, 4);
const LEGACY_UNTIL: (u32, u32) = (9, 0);

fn not_here(what: &str) -> ApiError {
    ApiError::NotFound(format!("null for uri: {what}"))
}

fn createmeta_project(ctx: &Ctx, state: &World, project: &str) -> Result<usize, ApiError> {
    state
        .find_project(project)
        .filter(|&p| {
            state.can_browse(ctx.user, p) && state.allowed(ctx.user, Some(p), "CREATE_ISSUES")
        })
        .ok_or_else(|| {
            ApiError::NotFound(format!("No project could be found with key '{project}'."))
        })
}

/// Cloud names the page's list `issueTypes`/`fields`; Data Center uses `values`.
fn meta_page(
    ctx: &Ctx,
    cloud_key: &str,
    items: Vec<Value>,
    params: &Params,
) -> Result<Json<Value>, ApiError> {
    let start = params.int("startAt")?.unwrap_or(0).max(0) as usize;
    let max = page_size(&ctx.sb, params.int("maxResults")?, 50, 200);
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(start).take(max).collect();
    let last = start + page.len() >= total;
    Ok(Json(if ctx.cloud() {
        json!({"startAt": start, "maxResults": max, "total": total, cloud_key: page})
    } else {
        json!({"startAt": start, "maxResults": max, "total": total, "isLast": last, "values": page})
    }))
}

pub(super) async fn issue_types(
    ctx: Ctx,
    Path(project): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    if state.dc_older_than(PAGED_SINCE) {
        return Err(not_here("/issue/createmeta/{projectIdOrKey}/issuetypes"));
    }
    let p = createmeta_project(&ctx, &state, &project)?;
    let items = state.projects[p]
        .issue_types
        .iter()
        .map(|&t| render::issue_type(&ctx, &state, t))
        .collect();
    meta_page(&ctx, "issueTypes", items, &params)
}

pub(super) async fn fields(
    ctx: Ctx,
    Path((project, type_id)): Path<(String, String)>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    if state.dc_older_than(PAGED_SINCE) {
        return Err(not_here("/issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId}"));
    }
    let p = createmeta_project(&ctx, &state, &project)?;
    let t = state.projects[p]
        .issue_types
        .iter()
        .copied()
        .find(|&t| state.issue_types[t].id.to_string() == type_id)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "Issue type with id '{type_id}' does not exist in the project."
            ))
        })?;
    let items = field_list(&ctx, &state, p, t)
        .into_iter()
        .map(|(id, mut v)| {
            v["fieldId"] = json!(id);
            v
        })
        .collect();
    meta_page(&ctx, "fields", items, &params)
}

/// `GET /issue/createmeta?projectKeys=&projectIds=&issuetypeIds=&issuetypeNames=&expand=`:
/// every project the caller may create in (or those named), each with its issue types (or
/// those named) and, with `expand=projects.issuetypes.fields`, their fields by id.
pub(super) async fn legacy(ctx: Ctx, params: Params) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    if !state.dc_older_than(LEGACY_UNTIL) && !ctx.cloud() {
        return Err(not_here("/issue/createmeta"));
    }
    let keys = params.list("projectKeys");
    let ids = params.list("projectIds");
    let type_ids = params.list("issuetypeIds");
    let type_names = params.list("issuetypeNames");
    let with_fields =
        params.list("expand").is_some_and(|e| e.iter().any(|x| x == "projects.issuetypes.fields"));
    let mut projects = Vec::new();
    for p in 0..state.projects.len() {
        let pr = &state.projects[p];
        let named = (keys.is_none() && ids.is_none())
            || keys.as_ref().is_some_and(|k| k.iter().any(|k| k.eq_ignore_ascii_case(&pr.key)))
            || ids.as_ref().is_some_and(|i| i.iter().any(|i| *i == pr.id.to_string()));
        if !named
            || !state.can_browse(ctx.user, p)
            || !state.allowed(ctx.user, Some(p), "CREATE_ISSUES")
        {
            continue;
        }
        let mut types = Vec::new();
        for &t in &pr.issue_types {
            let it = &state.issue_types[t];
            let wanted = (type_ids.is_none() && type_names.is_none())
                || type_ids.as_ref().is_some_and(|i| i.iter().any(|i| *i == it.id.to_string()))
                || type_names
                    .as_ref()
                    .is_some_and(|n| n.iter().any(|n| n.eq_ignore_ascii_case(&it.name)));
            if !wanted {
                continue;
            }
            let mut v = render::issue_type(&ctx, &state, t);
            if with_fields {
                let fields: Map<String, Value> =
                    field_list(&ctx, &state, p, t).into_iter().collect();
                v["fields"] = Value::Object(fields);
            } else {
                v["expand"] = json!("fields");
            }
            types.push(v);
        }
        let mut v = render::project_ref(&ctx, &state, p);
        if let Some(o) = v.as_object_mut() {
            o.remove("projectTypeKey");
            o.remove("simplified");
        }
        v["issuetypes"] = Value::Array(types);
        projects.push(v);
    }
    Ok(Json(json!({"expand": "projects", "projects": projects})))
}

/// The create screen's fields (FieldMetadata), by field id.
fn field_list(ctx: &Ctx, state: &World, p: usize, t: usize) -> Vec<(String, Value)> {
    let field = |id: &str, name: &str, required: bool, schema: Value, allowed: Option<Value>| {
        let mut v = json!({
            "required": required, "schema": schema, "name": name, "key": id,
            "hasDefaultValue": false, "operations": ["set"],
        });
        if let Some(a) = allowed {
            v["allowedValues"] = a;
        }
        (id.to_owned(), v)
    };
    let priorities: Vec<Value> =
        (0..state.priorities.len()).map(|p| render::priority(ctx, state, p)).collect();
    let mut priority = field(
        "priority",
        "Priority",
        false,
        json!({"type": "priority", "system": "priority"}),
        Some(Value::Array(priorities)),
    );
    if let Some(d) = state.default_priority() {
        priority.1["hasDefaultValue"] = json!(true);
        priority.1["defaultValue"] = render::priority(ctx, state, d);
    }
    vec![
        field(
            "issuetype",
            "Issue Type",
            true,
            json!({"type": "issuetype", "system": "issuetype"}),
            Some(json!([render::issue_type(ctx, state, t)])),
        ),
        field(
            "project",
            "Project",
            true,
            json!({"type": "project", "system": "project"}),
            Some(json!([render::project_ref(ctx, state, p)])),
        ),
        field("summary", "Summary", true, json!({"type": "string", "system": "summary"}), None),
        field(
            "description",
            "Description",
            false,
            json!({"type": "string", "system": "description"}),
            None,
        ),
        priority,
        field(
            "labels",
            "Labels",
            false,
            json!({"type": "array", "items": "string", "system": "labels"}),
            None,
        ),
        field("assignee", "Assignee", false, json!({"type": "user", "system": "assignee"}), None),
        field("reporter", "Reporter", true, json!({"type": "user", "system": "reporter"}), None),
    ]
}
