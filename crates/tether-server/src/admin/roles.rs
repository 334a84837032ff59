//! Roles: the four built-in ones (read-only) and custom roles made of policy
//! statements, which tokens are given. `/api/roles` takes statements as JSON
//! (`{effect, actions|notActions, resources|notResources}`; a refusal names the
//! statement and field, `statements[2].resources[0]`); the `/roles` page takes
//! the same statements in their text form, one a line. The service here is the
//! one place both go through.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tether_policy::{
    Action, ActionSet, Named, Resource, ResourceSet, Role, Statement, StatementError,
};
use tether_store::StoreError;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Json};

/// The most statements a role holds.
const MAX_STATEMENTS: usize = 100;

/// A statement as the API writes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct StatementWire {
    effect: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    actions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    not_actions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resources: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    not_resources: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleBody {
    statements: Vec<StatementWire>,
}

#[derive(Debug, Serialize)]
pub(crate) struct RoleView {
    pub(crate) name: String,
    /// Built-in roles cannot be changed or deleted.
    pub(crate) built_in: bool,
    /// The statements, one a line, as `tether-policy` writes them.
    pub(crate) text: Vec<String>,
    statements: Vec<StatementWire>,
    /// Who holds it (tokens and members), for those who may change roles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) holders: Option<Vec<String>>,
}

fn resource(name: &str) -> Resource {
    Resource::Role(Named::new(name))
}

fn wire(s: &Statement) -> StatementWire {
    let (actions, not_actions) = match s.actions() {
        ActionSet::Actions(p) => (Some(p.iter().map(ToString::to_string).collect()), None),
        ActionSet::NotActions(p) => (None, Some(p.iter().map(ToString::to_string).collect())),
    };
    let (resources, not_resources) = match s.resources() {
        ResourceSet::Resources(r) => (Some(r.iter().map(ToString::to_string).collect()), None),
        ResourceSet::NotResources(r) => (None, Some(r.iter().map(ToString::to_string).collect())),
    };
    StatementWire {
        effect: s.effect().name().to_owned(),
        actions,
        not_actions,
        resources,
        not_resources,
    }
}

/// Reads the API's statements; a refusal names the statement and field.
fn statements(body: &[StatementWire]) -> Result<Vec<Statement>, ApiError> {
    if body.is_empty() {
        return Err(ApiError::invalid("statements", "a role needs at least one statement"));
    }
    if body.len() > MAX_STATEMENTS {
        return Err(ApiError::invalid(
            "statements",
            format!("a role holds at most {MAX_STATEMENTS} statements"),
        ));
    }
    body.iter()
        .enumerate()
        .map(|(i, s)| {
            Statement::from_parts(
                &s.effect,
                s.actions.as_deref(),
                s.not_actions.as_deref(),
                s.resources.as_deref(),
                s.not_resources.as_deref(),
            )
            .map_err(|e| {
                let field = match &e {
                    StatementError::Effect(_) => format!("statements[{i}].effect"),
                    StatementError::Actions => format!("statements[{i}].actions"),
                    StatementError::Resources => format!("statements[{i}].resources"),
                    StatementError::EmptyList { field } => format!("statements[{i}].{field}"),
                    StatementError::Item { field, index, .. } => {
                        format!("statements[{i}].{field}[{index}]")
                    }
                };
                ApiError::invalid(field, e.to_string())
            })
        })
        .collect()
}

/// Reads statements in their text form, one a line (the `/roles` page); a
/// refusal names the line.
pub(crate) fn statements_from_text(text: &str) -> Result<Vec<Statement>, ApiError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect();
    if lines.is_empty() {
        return Err(ApiError::invalid("statements", "a role needs at least one statement"));
    }
    lines
        .into_iter()
        .map(|(n, line)| {
            Statement::parse(line)
                .map_err(|e| ApiError::invalid(format!("line {n}"), format!("line {n}: {e}")))
        })
        .collect()
}

/// Creates or replaces custom role `name`. Built-in roles are read-only.
pub(crate) async fn put_role(
    state: &AppState,
    caller: &Caller,
    name: &str,
    statements: &[Statement],
) -> Result<StatusCode, ApiError> {
    super::check_key("name", name)?;
    if Role::BUILT_IN.contains(&name) {
        return Err(ApiError::Conflict(format!(
            "{name:?} is a built-in role: it cannot be changed"
        )));
    }
    let exists = state.store.role_statements(name).await?.is_some();
    let action = if exists { Action::UpdateRole } else { Action::CreateRole };
    caller.require(action, &resource(name))?;
    let text: Vec<String> = statements.iter().map(ToString::to_string).collect();
    state.store.put_role(name, &text.join("\n"), &caller.actor()).await?;
    Ok(if exists { StatusCode::OK } else { StatusCode::CREATED })
}

/// A role as `caller` may see it, or 404.
pub(crate) async fn role_view(
    state: &AppState,
    caller: &Caller,
    name: &str,
) -> Result<RoleView, ApiError> {
    caller.require(Action::ViewRole, &resource(name))?;
    let role = match Role::built_in(name) {
        Some(role) => role,
        None => match state.store.role_statements(name).await? {
            Some(text) => Role::parse(name, &text).map_err(ApiError::internal)?,
            None => return Err(ApiError::NotFound(format!("no role {name:?}"))),
        },
    };
    let built_in = Role::BUILT_IN.contains(&name);
    let holders = match caller.can(Action::UpdateRole, &resource(name)) {
        true => Some(state.store.role_holders(name).await?),
        false => None,
    };
    Ok(RoleView {
        name: name.to_owned(),
        built_in,
        text: role.statements.iter().map(ToString::to_string).collect(),
        statements: role.statements.iter().map(wire).collect(),
        holders,
    })
}

pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<RoleView>>, ApiError> {
    let mut names: Vec<String> = Role::BUILT_IN.iter().map(|n| (*n).to_owned()).collect();
    names.extend(state.store.list_roles().await?.into_iter().map(|(name, _, _)| name));
    let mut out = Vec::new();
    for name in names.iter().filter(|n| caller.can(Action::ViewRole, &resource(n))) {
        out.push(role_view(&state, &caller, name).await?);
    }
    Ok(Json(out))
}

pub(crate) async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<RoleView>, ApiError> {
    Ok(Json(role_view(&state, &caller, &name).await?))
}

pub(crate) async fn put(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<RoleBody>,
) -> Result<(StatusCode, Json<RoleView>), ApiError> {
    let parsed = statements(&body.statements)?;
    let status = put_role(&state, &caller, &name, &parsed).await?;
    Ok((status, Json(role_view(&state, &caller, &name).await?)))
}

/// Deletes custom role `name`; refused while anyone holds it.
pub(crate) async fn delete_role(
    state: &AppState,
    caller: &Caller,
    name: &str,
) -> Result<(), ApiError> {
    if Role::BUILT_IN.contains(&name) {
        return Err(ApiError::Conflict(format!(
            "{name:?} is a built-in role: it cannot be deleted"
        )));
    }
    caller.require(Action::DeleteRole, &resource(name))?;
    match state.store.delete_role(name, &caller.actor()).await {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound) => Err(ApiError::NotFound(format!("no role {name:?}"))),
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    delete_role(&state, &caller, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
