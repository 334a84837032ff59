//! Administration: projects and their environments, API tokens and SDK keys,
//! outgoing webhooks, and the OpenAPI document of the whole API.

pub(crate) mod environments;
pub(crate) mod openapi;
pub(crate) mod project_page;
pub(crate) mod projects;
pub(crate) mod roles;
pub(crate) mod sdk_keys;
pub(crate) mod tokens;
pub(crate) mod ui;
pub(crate) mod webhooks;

use axum::Router;
use axum::routing::{get, patch};

pub(crate) use projects::{check_key, project_resource};

use crate::AppState;

/// This feature's routes under `/api`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects", get(projects::list).post(projects::create))
        .route("/projects/{project}", get(projects::get))
        .route(
            "/projects/{project}/environments",
            get(environments::list).post(environments::create),
        )
        .route(
            "/projects/{project}/environments/{env}",
            patch(environments::patch).put(environments::put).delete(environments::delete),
        )
        .route(
            "/projects/{project}/environments/{env}/sdk-keys",
            get(sdk_keys::list_api).post(sdk_keys::create_api),
        )
        .route(
            "/projects/{project}/environments/{env}/sdk-keys/{id}",
            axum::routing::delete(sdk_keys::revoke_api),
        )
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}", axum::routing::delete(tokens::revoke))
        .route("/tokens/{id}/roles", axum::routing::put(tokens::set_roles))
        .route("/roles", get(roles::list))
        .route("/roles/{name}", get(roles::get).put(roles::put).delete(roles::delete))
        .route("/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/webhooks/{id}", axum::routing::delete(webhooks::delete))
        .route("/webhooks/{id}/deliveries", get(webhooks::deliveries))
}

/// This feature's documented routes.
pub(crate) const ROUTES: &[openapi::Route] = &[
    ("get", "/api/roles", "viewRole", "List the roles (built-in and custom) the caller may see"),
    (
        "get",
        "/api/roles/{name}",
        "viewRole",
        "A role's statements (and, for those who may change it, who holds it)",
    ),
    (
        "put",
        "/api/roles/{name}",
        "(createRole|updateRole)",
        "Create or replace a custom role: {statements: [{effect, actions|notActions, resources|notResources}]}; built-in roles are read-only",
    ),
    ("delete", "/api/roles/{name}", "deleteRole", "Delete a custom role nobody holds"),
    (
        "put",
        "/api/tokens/{id}/roles",
        "createToken",
        "Give a token other roles (a token the caller created, or any for admins); it never exceeds its creator",
    ),
    ("get", "/api/projects", "viewProject", "List the projects the caller may view"),
    ("post", "/api/projects", "createProject", "Create a project with its environments"),
    ("get", "/api/projects/{project}", "viewProject", "A project with its environments"),
    (
        "get",
        "/api/projects/{project}/environments",
        "viewProject",
        "List a project's environments; `version` is the project's, for changes",
    ),
    (
        "post",
        "/api/projects/{project}/environments",
        "createEnvironment (and updateProject when primary)",
        "Add an environment: every flag off, or with copy_from's configurations",
    ),
    (
        "patch",
        "/api/projects/{project}/environments/{env}",
        "updateEnvironment (and updateProject to make it primary)",
        "Change an environment's name, kind or primary (demoting the old primary)",
    ),
    (
        "put",
        "/api/projects/{project}/environments/{env}",
        "updateEnvironment (and updateProject to make it primary)",
        "Replace an environment's name and kind (and optionally make it primary)",
    ),
    (
        "delete",
        "/api/projects/{project}/environments/{env}",
        "deleteEnvironment",
        "Delete an environment with its flag configurations, revoking its SDK keys; \
         never the primary one",
    ),
    (
        "get",
        "/api/projects/{project}/environments/{env}/sdk-keys",
        "viewSdkKey",
        "List an environment's SDK keys (hints only)",
    ),
    (
        "post",
        "/api/projects/{project}/environments/{env}/sdk-keys",
        "viewSdkKey",
        "Create an SDK key; the key is shown once",
    ),
    (
        "delete",
        "/api/projects/{project}/environments/{env}/sdk-keys/{id}",
        "updateEnvironment",
        "Revoke an SDK key",
    ),
    ("get", "/api/tokens", "viewToken", "List the API tokens the caller may see"),
    (
        "post",
        "/api/tokens",
        "createToken",
        "Create an API token owned by the caller's member and bounded by the caller; shown once",
    ),
    ("delete", "/api/tokens/{id}", "revokeToken", "Revoke an API token"),
    ("get", "/api/webhooks", "viewWebhook", "List outgoing webhooks (never their secrets)"),
    (
        "post",
        "/api/webhooks",
        "createWebhook",
        "Subscribe a URL to flag and segment changes, signed with HMAC-SHA256",
    ),
    ("delete", "/api/webhooks/{id}", "deleteWebhook", "Delete a webhook and its delivery log"),
    (
        "get",
        "/api/webhooks/{id}/deliveries",
        "viewWebhook",
        "A webhook's delivery attempts, newest first",
    ),
];
