//! Who is calling the API: an API token (`Authorization: Bearer tether-api-…`)
//! becomes a `tether-policy` principal, bounded by the token that created it, or
//! by its member; every route asks [`Caller::require`] for its action.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use tether_policy::{Action, Decision, Principal, Resource};
use tether_store::{PrincipalError, Store, TokenInfo};

use crate::AppState;
use crate::error::ApiError;

/// An authenticated API caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub token: TokenInfo,
}

impl Caller {
    /// Allows the action on the resource, or says which action on which resource
    /// was denied and why.
    pub fn require(&self, action: Action, resource: &Resource) -> Result<(), ApiError> {
        match self.principal.evaluate(action, resource) {
            Decision::Allow => Ok(()),
            deny => Err(ApiError::Forbidden(deny.to_string())),
        }
    }

    pub fn can(&self, action: Action, resource: &Resource) -> bool {
        self.principal.evaluate(action, resource).is_allowed()
    }

    /// How the caller is named in the audit log: `member/token`.
    pub fn actor(&self) -> String {
        format!("{}/{}", self.token.member, self.token.name)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        // Already authenticated by the project-visibility layer.
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let secret = presented_secret(&parts.headers).ok_or_else(|| {
            ApiError::Unauthorized(
                "an API token is required: Authorization: Bearer tether-api-…".to_owned(),
            )
        })?;
        let addr = crate::throttle::client_addr(parts);
        state.throttle.check(addr).map_err(crate::throttle::too_many)?;
        let Some(token) = state.store.token_by_secret(secret).await? else {
            let why = "unknown or revoked API token";
            crate::throttle::refused(state, addr, "an API token", why);
            return Err(ApiError::Unauthorized(why.to_owned()));
        };
        caller_for(&state.store, token).await
    }
}

/// The token in `Authorization: Bearer …`. The API takes nothing else: a browser
/// sends cookies on its own, so a cookie would let any site's page act as the
/// person signed in to tether's UI (cross-site request forgery).
fn presented_secret(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(AUTHORIZATION).and_then(bearer).filter(|s| !s.is_empty())
}

/// The credential of an `Authorization: Bearer …` value, trimmed (the API's tokens and
/// OFREP's SDK keys).
pub(crate) fn bearer(value: &axum::http::HeaderValue) -> Option<&str> {
    let v = value.to_str().ok()?;
    v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")).map(str::trim)
}

/// The caller a token stands for: its principal, bounded by its creators.
pub(crate) async fn caller_for(store: &Store, token: TokenInfo) -> Result<Caller, ApiError> {
    match store.principal_of(&token).await? {
        Ok(principal) => Ok(Caller { principal, token }),
        Err(e @ PrincipalError::CreatorRevoked(_)) => Err(ApiError::Unauthorized(e.to_string())),
        Err(e @ PrincipalError::ChainTooLong) => Err(ApiError::Forbidden(e.to_string())),
    }
}

/// Under `/api/projects/{project}/…`, a project the caller may not view answers
/// exactly as a project that does not exist (404), before anything else is read,
/// so that 403 and 404 never tell whether something exists in a project the
/// caller cannot see. The caller it authenticated is kept for the handler.
pub(crate) async fn project_visibility(
    axum::extract::State(state): axum::extract::State<AppState>,
    params: axum::extract::RawPathParams,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let project = params.iter().find(|(name, _)| *name == "project").map(|(_, v)| v.to_owned());
    let Some(project) = project else { return next.run(req).await };
    let (mut parts, body) = req.into_parts();
    let caller = match Caller::from_request_parts(&mut parts, &state).await {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    if !caller.can(Action::ViewProject, &crate::admin::project_resource(&project)) {
        return ApiError::NotFound(format!("no project {project:?}")).into_response();
    }
    parts.extensions.insert(caller);
    next.run(axum::extract::Request::from_parts(parts, body)).await
}
