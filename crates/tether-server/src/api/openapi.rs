//! `/api/openapi.json`: the API described as OpenAPI 3.1, built from one table
//! of routes that also names the policy action each route asks for.

use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tether_policy::CATALOGUE;

/// (method, path, action the caller needs, summary). An action in parentheses
/// depends on what the request changes.
pub(crate) const ROUTES: &[(&str, &str, &str, &str)] = &[
    ("get", "/api/projects", "viewProject", "List the projects the caller may view"),
    ("post", "/api/projects", "createProject", "Create a project with its environments"),
    ("get", "/api/projects/{project}", "viewProject", "A project with its environments"),
    (
        "get",
        "/api/projects/{project}/flags",
        "viewProject",
        "List a project's flags with their configuration per environment",
    ),
    (
        "post",
        "/api/projects/{project}/flags",
        "createFlag",
        "Create a flag (off in every environment)",
    ),
    (
        "get",
        "/api/projects/{project}/flags/{key}",
        "viewProject",
        "A flag with its configuration per environment",
    ),
    (
        "put",
        "/api/projects/{project}/flags/{key}",
        "updateFlag",
        "Replace a flag's definition (name, variations, tags, properties)",
    ),
    ("delete", "/api/projects/{project}/flags/{key}", "deleteFlag", "Delete a flag"),
    (
        "get",
        "/api/projects/{project}/flags/{key}/audit",
        "viewProject",
        "A flag's change history, newest first",
    ),
    (
        "post",
        "/api/projects/{project}/flags/{key}/copy",
        "copyFlagConfig",
        "Copy one environment's configuration to another",
    ),
    (
        "put",
        "/api/projects/{project}/flags/{key}/environments/{env}",
        "(updateOn, updateRules, updateFallthrough, updateTargets, updateOffVariation)",
        "Replace a flag's configuration in one environment; each changed part needs its action",
    ),
    (
        "post",
        "/api/projects/{project}/flags/{key}/environments/{env}/toggle",
        "updateOn",
        "Turn a flag on or off (or flip it) in one environment",
    ),
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
    ("get", "/api/projects/{project}/segments", "viewProject", "List a project's segments"),
    ("post", "/api/projects/{project}/segments", "createSegment", "Create a segment"),
    ("put", "/api/projects/{project}/segments/{key}", "updateSegment", "Replace a segment"),
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

pub(crate) async fn document() -> Response {
    axum::Json(build()).into_response()
}

fn build() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for &(method, path, action, summary) in ROUTES.iter().chain(super::jira::ROUTES) {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut op = json!({
            "summary": summary,
            "operationId": format!("{method}{}", path.replace(['/', '{', '}', '-'], "_")),
            "x-tether-action": action,
            "security": [{"apiToken": []}],
            "parameters": params,
            "responses": {
                "200": {"description": "Success", "content": {"application/json": {"schema": {"type": ["object", "array"]}}}},
                "400": {"$ref": "#/components/responses/Error"},
                "401": {"$ref": "#/components/responses/Error"},
                "403": {"$ref": "#/components/responses/Error"},
                "404": {"$ref": "#/components/responses/Error"},
                "409": {"$ref": "#/components/responses/Error"},
                "412": {"$ref": "#/components/responses/Error"},
                "422": {"$ref": "#/components/responses/Error"}
            }
        });
        if matches!(method, "post" | "put" | "patch") {
            op["requestBody"] = json!({"required": method != "post", "content": {"application/json": {"schema": {"type": "object"}}}});
        }
        paths.entry(path.to_owned()).or_insert_with(|| json!({}))[method] = op;
    }
    let actions: Vec<Value> = CATALOGUE
        .iter()
        .map(|a| json!({"name": a.name, "resource": a.kind.name(), "description": a.description}))
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "tether admin API",
            "version": crate::VERSION,
            "description": "Projects and their environments, flags, segments, SDK keys and API tokens. Every operation names the policy action it needs (x-tether-action); x-tether-actions lists them all. Errors are {code, message, field?}. Writes may carry the version they are based on (body `version` or If-Match) and answer 412 when it is stale. Flag evaluation is OFREP, under /ofrep."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "apiToken": {"type": "http", "scheme": "bearer", "description": "An API token, tether-api-…"}
            },
            "responses": {
                "Error": {
                    "description": "An error",
                    "content": {"application/json": {"schema": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}}
                    }}}
                }
            }
        },
        "x-tether-actions": actions
    })
}
