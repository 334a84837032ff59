//! `/api/tokens`: API access tokens, shown once.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tether_policy::{Action, Named, Resource};
use tether_store::{NewToken, StoreError, TokenInfo};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Json};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateToken {
    name: String,
    /// `personal` (default) or `service`.
    #[serde(default = "personal")]
    kind: String,
    roles: Vec<String>,
}

fn personal() -> String {
    "personal".to_owned()
}

#[derive(Debug, Serialize)]
pub(crate) struct TokenView {
    id: i64,
    name: String,
    kind: String,
    member: String,
    created_by: Option<i64>,
    roles: Vec<String>,
    hint: String,
    created_at: i64,
    revoked_at: Option<i64>,
    last_used_at: Option<i64>,
}

#[derive(Debug, Serialize)]
pub(crate) struct CreatedToken {
    #[serde(flatten)]
    info: TokenView,
    /// The token itself: shown this once, never again.
    token: String,
}

fn token_view(t: TokenInfo) -> TokenView {
    TokenView {
        id: t.id,
        name: t.name,
        kind: t.kind,
        member: t.member,
        created_by: t.created_by,
        roles: t.roles,
        hint: t.hint,
        created_at: t.created_at,
        revoked_at: t.revoked_at,
        last_used_at: t.last_used_at,
    }
}

fn token_resource(owner: &str, name: &str) -> Resource {
    Resource::Token { owner: owner.to_owned(), token: Named::new(name) }
}

/// Creates a token owned by the caller's member and bounded by the caller.
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<CreateToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let name = body.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::invalid("name", "a token name must have 1 to 100 characters"));
    }
    if !matches!(body.kind.as_str(), "personal" | "service") {
        return Err(ApiError::invalid("kind", "expected \"personal\" or \"service\""));
    }
    check_roles(&state, &body.roles).await?;
    let member = caller.token.member.clone();
    caller.require(Action::CreateToken, &token_resource(&member, name))?;
    let new = NewToken {
        name: name.to_owned(),
        kind: body.kind,
        member,
        created_by: Some(caller.token.id),
        roles: body.roles,
    };
    let (info, secret) = state.store.create_token(&new, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { info: token_view(info), token: secret })))
}

/// The tokens the caller may see.
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let tokens = state.store.list_tokens().await?;
    Ok(Json(
        tokens
            .into_iter()
            .filter(|t| caller.can(Action::ViewToken, &token_resource(&t.member, &t.name)))
            .map(token_view)
            .collect(),
    ))
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let token = match state.store.token(id).await {
        Ok(t) => t,
        Err(StoreError::NotFound) => return Err(ApiError::NotFound(format!("no token {id}"))),
        Err(e) => return Err(e.into()),
    };
    caller.require(Action::RevokeToken, &token_resource(&token.member, &token.name))?;
    if !may_revoke(&state, &caller, &token).await? {
        return Err(ApiError::Forbidden(format!(
            "token {:?} may revoke only itself and the tokens it created (and theirs); \
             {:?} is not one of them (an admin may revoke any token)",
            caller.token.name, token.name
        )));
    }
    if state.store.revoke_token(id, &caller.actor()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::Conflict(format!("token {id} is already revoked")))
    }
}

/// A token revokes itself and its descendants (the tokens it created, and
/// theirs); one whose roles grant revoking anyone's tokens (`token/*`, as the
/// admin role does) revokes any. Without this, a writer could revoke its own
/// creator and siblings (`member/$self` covers every token of its member).
async fn may_revoke(
    state: &AppState,
    caller: &Caller,
    target: &TokenInfo,
) -> Result<bool, ApiError> {
    let anyones = Resource::Token { owner: String::new(), token: Named::new(target.name.clone()) };
    if target.id == caller.token.id || caller.can(Action::RevokeToken, &anyones) {
        return Ok(true);
    }
    let mut parent = target.created_by;
    // Chains are at most a few tokens long (auth refuses deeper ones).
    for _ in 0..16 {
        match parent {
            None => return Ok(false),
            Some(id) if id == caller.token.id => return Ok(true),
            Some(id) => parent = state.store.token(id).await?.created_by,
        }
    }
    Ok(false)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RolesBody {
    roles: Vec<String>,
}

/// Checks that every named role exists; the refusal names the index.
async fn check_roles(state: &AppState, roles: &[String]) -> Result<(), ApiError> {
    if roles.is_empty() {
        return Err(ApiError::invalid("roles", "a token needs at least one role"));
    }
    for (i, role) in roles.iter().enumerate() {
        let known = tether_policy::Role::BUILT_IN.contains(&role.as_str())
            || state.store.role_statements(role).await?.is_some();
        if !known {
            return Err(ApiError::invalid(
                format!("roles[{i}]"),
                format!("no role named {role:?}"),
            ));
        }
    }
    Ok(())
}

/// `PUT /api/tokens/{id}/roles`: gives a token other roles. Like revoking, only
/// the tokens a token created (and theirs), or any for an admin; what the token
/// may then do stays bounded by its creator.
pub(crate) async fn set_roles(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<RolesBody>,
) -> Result<Json<TokenView>, ApiError> {
    let token = match state.store.token(id).await {
        Ok(t) if t.revoked_at.is_none() => t,
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(ApiError::NotFound(format!("no live token {id}")));
        }
        Err(e) => return Err(e.into()),
    };
    caller.require(Action::CreateToken, &token_resource(&token.member, &token.name))?;
    if token.id == caller.token.id || !may_revoke(&state, &caller, &token).await? {
        return Err(ApiError::Forbidden(format!(
            "token {:?} may change the roles of the tokens it created (and theirs) only, not \
             its own or {:?}'s (an admin may change any)",
            caller.token.name, token.name
        )));
    }
    check_roles(&state, &body.roles).await?;
    let saved = state.store.set_token_roles(id, &body.roles, &caller.actor()).await?;
    Ok(Json(token_view(saved)))
}
