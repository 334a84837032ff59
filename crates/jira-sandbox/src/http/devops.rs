//! Who may call Jira Software Cloud's DevOps APIs (feature flags, development information,
//! builds, deployments): apps only, as on Jira Cloud. Basic auth with an API token (and any
//! other way a person logs in) is refused with 401. OAuth 2.0 credentials need the API's read
//! permission for reads and its write permission for writes and deletes; a Connect app
//! installed from a descriptor needs the API's module and the scope the method asks for (READ,
//! WRITE, DELETE), else 403. Apps registered without a descriptor may call everything.

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{ApiError, Principal, Via};
use crate::Sandbox;
use crate::config::DevOpsPermission;

/// One of the DevOps APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DevOpsApi {
    FeatureFlags,
    DevelopmentInfo,
    Builds,
    Deployments,
}

impl DevOpsApi {
    /// The path segment of its URLs (`/rest/<it>/<version>`, `/jira/<it>/<version>/cloud/…`).
    pub fn segment(self) -> &'static str {
        match self {
            DevOpsApi::FeatureFlags => "featureflags",
            DevOpsApi::DevelopmentInfo => "devinfo",
            DevOpsApi::Builds => "builds",
            DevOpsApi::Deployments => "deployments",
        }
    }

    pub fn version(self) -> &'static str {
        match self {
            DevOpsApi::DevelopmentInfo => "0.10",
            _ => "0.1",
        }
    }

    pub fn from_segment(s: &str) -> Option<DevOpsApi> {
        use DevOpsApi::*;
        [FeatureFlags, DevelopmentInfo, Builds, Deployments].into_iter().find(|a| a.segment() == s)
    }

    fn name(self) -> &'static str {
        match self {
            DevOpsApi::FeatureFlags => "Feature Flags API",
            DevOpsApi::DevelopmentInfo => "Development Information API",
            DevOpsApi::Builds => "Builds API",
            DevOpsApi::Deployments => "Deployments API",
        }
    }

    /// The Connect module an app must define to call it.
    fn module(self) -> &'static str {
        match self {
            DevOpsApi::FeatureFlags => "jiraFeatureFlagInfoProvider",
            DevOpsApi::DevelopmentInfo => "jiraDevelopmentTool",
            DevOpsApi::Builds => "jiraBuildInfoProvider",
            DevOpsApi::Deployments => "jiraDeploymentInfoProvider",
        }
    }

    /// The OAuth credential permission a call with `method` needs.
    fn permission(self, method: &Method) -> DevOpsPermission {
        use DevOpsPermission::*;
        let read = *method == Method::GET || *method == Method::HEAD;
        match (self, read) {
            (DevOpsApi::FeatureFlags, true) => FeatureFlagsRead,
            (DevOpsApi::FeatureFlags, false) => FeatureFlagsWrite,
            (DevOpsApi::DevelopmentInfo, true) => DevelopmentInfoRead,
            (DevOpsApi::DevelopmentInfo, false) => DevelopmentInfoWrite,
            (DevOpsApi::Builds, true) => BuildsRead,
            (DevOpsApi::Builds, false) => BuildsWrite,
            (DevOpsApi::Deployments, true) => DeploymentsRead,
            (DevOpsApi::Deployments, false) => DeploymentsWrite,
        }
    }

    /// An error in the API's own shape: the Development Information API answers
    /// `{"errorMessages": [...]}`, the others `[{"message": ...}]`.
    pub fn error(self, status: StatusCode, msg: impl Into<String>) -> ApiError {
        match self {
            DevOpsApi::DevelopmentInfo => ApiError::ErrorMessages(status, vec![msg.into()]),
            _ => ApiError::Messages(status, msg.into()),
        }
    }
}

/// The middleware in front of one DevOps API's routes (after authentication).
pub(crate) async fn gate(sb: Sandbox, api: DevOpsApi, req: Request, next: Next) -> Response {
    let principal = req.extensions().get::<Principal>().copied();
    match check(&sb, api, req.method(), principal) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

fn check(
    sb: &Sandbox,
    api: DevOpsApi,
    method: &Method,
    principal: Option<Principal>,
) -> Result<(), ApiError> {
    let Some(Principal(Some(user), via)) = principal else {
        return Err(refused_person(api));
    };
    match via {
        Via::Anonymous | Via::Person => Err(refused_person(api)),
        Via::OAuthClient(client) => {
            let wanted = api.permission(method);
            let state = sb.read();
            let held = state
                .oauth_clients
                .get(client)
                .is_some_and(|(c, _)| c.permissions.contains(&wanted));
            if held {
                return Ok(());
            }
            Err(api.error(
                StatusCode::FORBIDDEN,
                format!(
                    "These OAuth 2.0 credentials do not have the {} permission ({}) that the {} needs.",
                    permission_name(wanted),
                    wanted.scope(),
                    api.name()
                ),
            ))
        }
        Via::ConnectApp => {
            let state = sb.read();
            let Some(app) = state.connect_apps.iter().find(|a| a.user == user) else {
                return Err(refused_person(api));
            };
            let Some(descriptor) = &app.descriptor else { return Ok(()) };
            if descriptor.pointer(&format!("/modules/{}", api.module())).is_none() {
                return Err(api.error(
                    StatusCode::FORBIDDEN,
                    format!("The app {} does not define the {} module.", app.key, api.module()),
                ));
            }
            let needed = connect_scope(method);
            let scopes: Vec<&str> = descriptor["scopes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if scopes.iter().any(|s| implies(s, needed)) {
                return Ok(());
            }
            Err(api.error(
                StatusCode::FORBIDDEN,
                format!("The app {} does not define the '{needed}' scope.", app.key),
            ))
        }
    }
}

fn refused_person(api: DevOpsApi) -> ApiError {
    api.error(
        StatusCode::UNAUTHORIZED,
        format!(
            "The {} accepts only apps: a Connect app's JWT or an OAuth 2.0 access token of OAuth credentials (client credentials). Basic auth with an API token is not accepted.",
            api.name()
        ),
    )
}

/// The Connect scope a method needs: READ for reads, WRITE for submits, DELETE for deletes.
fn connect_scope(method: &Method) -> &'static str {
    match *method {
        Method::GET | Method::HEAD => "READ",
        Method::DELETE => "DELETE",
        _ => "WRITE",
    }
}

/// Connect scopes nest: ADMIN ⊇ PROJECT_ADMIN ⊇ DELETE ⊇ WRITE ⊇ READ.
fn implies(held: &str, needed: &str) -> bool {
    const ORDER: [&str; 5] = ["READ", "WRITE", "DELETE", "PROJECT_ADMIN", "ADMIN"];
    let rank = |s: &str| ORDER.iter().position(|o| o.eq_ignore_ascii_case(s));
    matches!((rank(held), rank(needed)), (Some(h), Some(n)) if h >= n)
}

fn permission_name(p: DevOpsPermission) -> &'static str {
    use DevOpsPermission::*;
    match p {
        FeatureFlagsRead => "Feature flags: read",
        FeatureFlagsWrite => "Feature flags: write",
        DevelopmentInfoRead => "Development information: read",
        DevelopmentInfoWrite => "Development information: write",
        BuildsRead => "Builds: read",
        BuildsWrite => "Builds: write",
        DeploymentsRead => "Deployments: read",
        DeploymentsWrite => "Deployments: write",
    }
}

#[cfg(test)]
mod tests {
    use super::implies;

    #[test]
    fn connect_scopes_nest() {
        let check = |held: &str, needed: &str, want: bool| {
            assert_eq!(implies(held, needed), want, "{held} ⊇ {needed}");
        };
        check("READ", "READ", true);
        check("READ", "WRITE", false);
        check("WRITE", "READ", true);
        check("write", "WRITE", true);
        check("DELETE", "WRITE", true);
        check("WRITE", "DELETE", false);
        check("ADMIN", "DELETE", true);
        check("ACT_AS_USER", "READ", false);
    }
}
