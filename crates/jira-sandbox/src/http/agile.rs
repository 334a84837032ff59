//! Jira Software's agile API (`/rest/agile/1.0`), both flavours: boards, a board's sprints
//! (a Kanban board answers 400: it has none), a sprint's issues, and moving issues to a sprint.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::render::{self, FieldSel};
use super::{ApiError, Ctx, Params, page_size};
use crate::Sandbox;
use crate::jql::{Caller, compile};
use crate::state::{BoardKind, SprintState, State as World};
use crate::time::now_ms;

pub(crate) fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/board", get(boards))
        .route("/board/{id}", get(board))
        .route("/board/{id}/sprint", get(board_sprints))
        .route("/sprint/{id}", get(sprint))
        .route("/sprint/{id}/issue", get(sprint_issues).post(move_to_sprint))
}

/// `POST /sprint/{id}/issue` with `{"issues": [keys or ids]}`: moves up to 50 issues to an
/// active or future sprint (a closed one answers 400), each leaving the open sprint it was in
/// and keeping its closed ones; each move is a `Sprint` changelog item (a custom field, sprint
/// ids in `from`/`to`, names in the strings) and updates the issue. 204.
async fn move_to_sprint(
    ctx: Ctx,
    Path(id): Path<String>,
    super::JsonBody(body): super::JsonBody,
) -> Result<StatusCode, ApiError> {
    let mut state = ctx.sb.write();
    let s = find_sprint(&ctx, &state, &id)?;
    if state.sprints[s].state == SprintState::Closed {
        return Err(ApiError::bad("Cannot move issues to a closed sprint."));
    }
    let keys: Vec<String> = match body.get("issues").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => list
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| ApiError::bad("'issues' must be a list of issue keys or ids."))?,
        _ => return Err(ApiError::bad("'issues' must name at least one issue.")),
    };
    if keys.len() > 50 {
        return Err(ApiError::bad("At most 50 issues can be moved in one operation."));
    }
    let mut found = Vec::with_capacity(keys.len());
    for key in &keys {
        let idx = super::platform::find_issue(&state, ctx.user, key)?;
        super::platform::require(&state, ctx.user, idx, "SCHEDULE_ISSUES", "schedule issues")?;
        found.push(idx);
    }
    let now = now_ms();
    let field_id = state.sprint_field.clone();
    for idx in found {
        let before = state.issues[idx].sprints.clone();
        if before.contains(&s) {
            continue;
        }
        let after: Vec<usize> = before
            .iter()
            .copied()
            .filter(|&x| state.sprints[x].state == SprintState::Closed)
            .chain([s])
            .collect();
        let ids = |list: &[usize]| {
            list.iter().map(|&x| state.sprints[x].id.to_string()).collect::<Vec<_>>().join(", ")
        };
        let names = |list: &[usize]| {
            list.iter().map(|&x| state.sprints[x].name.clone()).collect::<Vec<_>>()
        };
        let item = crate::state::ChangeItem {
            field: "Sprint".into(),
            field_type: Some("custom".into()),
            field_id: Some(field_id.clone()),
            from: Some(ids(&before)).filter(|x| !x.is_empty()),
            from_string: Some(names(&before).join(", ")).filter(|x| !x.is_empty()),
            to: Some(ids(&after)),
            to_string: Some(names(&after).join(", ")),
        };
        state.issues[idx].sprints = after;
        state.issues[idx].updated = now;
        state.push_history(idx, Some(ctx.user), now, vec![item]);
        super::webhooks::issue_event(&ctx, &state, idx, "jira:issue_updated", &["Sprint"]);
    }
    state.bump();
    Ok(StatusCode::NO_CONTENT)
}

/// The agile API's page: `maxResults`, `startAt`, `total`, `isLast`, `values`.
fn page(values: Vec<Value>, start: usize, max: usize, total: usize) -> Value {
    let is_last = start + values.len() >= total;
    json!({"maxResults": max, "startAt": start, "total": total, "isLast": is_last, "values": values})
}

fn board_json(ctx: &Ctx, state: &World, b: usize) -> Value {
    let board = &state.boards[b];
    let p = &state.projects[board.project];
    let display = format!("{} ({})", p.name, p.key);
    let mut v = json!({
        "id": board.id,
        "self": format!("{}/rest/agile/1.0/board/{}", ctx.base, board.id),
        "name": board.name,
        "type": board.kind.key(),
        "location": {
            "projectId": p.id,
            "displayName": display,
            "projectName": p.name,
            "projectKey": p.key,
            "projectTypeKey": p.project_type.key(),
            "avatarURI": format!("{}/secure/projectavatar?size=small&pid={}", ctx.base, p.id),
            "name": display,
        },
    });
    if ctx.cloud() {
        v["isPrivate"] = json!(false);
    }
    v
}

fn find_board(ctx: &Ctx, state: &World, id: &str) -> Result<usize, ApiError> {
    id.parse::<u64>()
        .ok()
        .and_then(|id| state.boards.iter().position(|b| b.id == id))
        .filter(|&b| state.can_browse(ctx.user, state.boards[b].project))
        .ok_or_else(|| {
            ApiError::NotFound(
                "Board does not exist or you do not have permission to see it.".into(),
            )
        })
}

fn find_sprint(ctx: &Ctx, state: &World, id: &str) -> Result<usize, ApiError> {
    id.parse::<u64>()
        .ok()
        .and_then(|id| state.sprints.iter().position(|s| s.id == id))
        .filter(|&s| state.can_browse(ctx.user, state.boards[state.sprints[s].board].project))
        .ok_or_else(|| {
            ApiError::NotFound(
                "Sprint does not exist or you do not have permission to see it.".into(),
            )
        })
}

async fn boards(ctx: Ctx, params: Params) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let start = params.int("startAt")?.unwrap_or(0).max(0) as usize;
    let max = page_size(&ctx.sb, params.int("maxResults")?, 50, 50);
    let types = params.list("type");
    if let Some(bad) =
        types.iter().flatten().find(|t| !["scrum", "kanban", "simple"].contains(&t.as_str()))
    {
        return Err(ApiError::bad(format!("The board type '{bad}' is not valid.")));
    }
    let project = match params.get("projectKeyOrId") {
        None => None,
        Some(p) => {
            Some(state.find_project(p).filter(|&p| state.can_browse(ctx.user, p)).ok_or_else(
                || ApiError::bad(format!("No project could be found with key '{p}'.")),
            )?)
        }
    };
    let name = params.get("name").map(str::to_lowercase);
    let hits: Vec<usize> = (0..state.boards.len())
        .filter(|&b| {
            let board = &state.boards[b];
            state.can_browse(ctx.user, board.project)
                && project.is_none_or(|p| p == board.project)
                && types.as_ref().is_none_or(|t| t.iter().any(|t| t == board.kind.key()))
                && name.as_ref().is_none_or(|n| board.name.to_lowercase().contains(n))
        })
        .collect();
    let values = hits.iter().skip(start).take(max).map(|&b| board_json(&ctx, &state, b)).collect();
    Ok(Json(page(values, start, max, hits.len())))
}

async fn board(ctx: Ctx, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let b = find_board(&ctx, &state, &id)?;
    Ok(Json(board_json(&ctx, &state, b)))
}

async fn board_sprints(
    ctx: Ctx,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let b = find_board(&ctx, &state, &id)?;
    if state.boards[b].kind == BoardKind::Kanban {
        return Err(ApiError::bad("The board does not support sprints"));
    }
    let start = params.int("startAt")?.unwrap_or(0).max(0) as usize;
    let max = page_size(&ctx.sb, params.int("maxResults")?, 50, 50);
    let states = params.list("state");
    if let Some(bad) =
        states.iter().flatten().find(|s| !["closed", "active", "future"].contains(&s.as_str()))
    {
        return Err(ApiError::bad(format!("The sprint state '{bad}' is not valid.")));
    }
    // Closed first, then active, then future; by position within each.
    let rank = |s: SprintState| match s {
        SprintState::Closed => 0,
        SprintState::Active => 1,
        SprintState::Future => 2,
    };
    let mut hits: Vec<usize> = (0..state.sprints.len())
        .filter(|&s| {
            let sp = &state.sprints[s];
            sp.board == b && states.as_ref().is_none_or(|w| w.iter().any(|x| x == sp.state.key()))
        })
        .collect();
    hits.sort_by_key(|&s| (rank(state.sprints[s].state), state.sprints[s].number));
    let values =
        hits.iter().skip(start).take(max).map(|&s| render::sprint(&ctx, &state, s)).collect();
    Ok(Json(page(values, start, max, hits.len())))
}

async fn sprint(ctx: Ctx, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let s = find_sprint(&ctx, &state, &id)?;
    Ok(Json(render::sprint(&ctx, &state, s)))
}

/// An issue as the agile API returns it: the platform bean plus `sprint` (the open sprint it
/// is in) and `closedSprints`.
fn agile_issue(ctx: &Ctx, state: &World, idx: usize, sel: &FieldSel) -> Value {
    let mut v = render::issue(ctx, state, idx, sel, None);
    let issue = &state.issues[idx];
    v["self"] = json!(format!("{}/rest/agile/1.0/issue/{}", ctx.base, issue.id));
    if sel.wants("sprint") {
        let open =
            issue.sprints.iter().rev().find(|&&s| state.sprints[s].state != SprintState::Closed);
        v["fields"]["sprint"] = open.map_or(Value::Null, |&s| render::sprint(ctx, state, s));
    }
    if sel.wants("closedSprints") {
        v["fields"]["closedSprints"] = issue
            .sprints
            .iter()
            .filter(|&&s| state.sprints[s].state == SprintState::Closed)
            .map(|&s| render::sprint(ctx, state, s))
            .collect();
    }
    v
}

async fn sprint_issues(
    ctx: Ctx,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let state = ctx.sb.read();
    let s = find_sprint(&ctx, &state, &id)?;
    let start = params.int("startAt")?.unwrap_or(0).max(0) as usize;
    let max = page_size(&ctx.sb, params.int("maxResults")?, 50, 50);
    let filter = match params.get("jql").filter(|j| !j.trim().is_empty()) {
        None => None,
        Some(jql) => {
            let caller = Caller {
                user: ctx.user,
                utc_offset_minutes: state.users[ctx.user].spec.utc_offset_minutes,
                now: now_ms(),
            };
            Some(compile(jql, &state, caller)?)
        }
    };
    let sel = FieldSel::parse(params.list("fields"), FieldSel::all());
    // In rank order, which for the sandbox is creation order.
    let hits: Vec<usize> = (0..state.issues.len())
        .filter(|&i| {
            state.issues[i].sprints.contains(&s)
                && state.can_see(ctx.user, i)
                && filter.as_ref().is_none_or(|f| f.matches(&state, i))
        })
        .collect();
    let issues: Vec<Value> =
        hits.iter().skip(start).take(max).map(|&i| agile_issue(&ctx, &state, i, &sel)).collect();
    Ok(Json(json!({
        "expand": "schema,names",
        "startAt": start,
        "maxResults": max,
        "total": hits.len(),
        "issues": issues,
    })))
}
