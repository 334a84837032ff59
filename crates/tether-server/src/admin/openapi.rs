//! `/api/openapi.json`: the API described as OpenAPI 3.1, built from the route
//! tables of the features, which also name the policy action each route asks for.

use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tether_policy::CATALOGUE;

/// (method, path, action the caller needs, summary): one row of a feature's route table.
/// An action in parentheses depends on what the request changes.
pub(crate) type Route = (&'static str, &'static str, &'static str, &'static str);

/// The OpenAPI document of `routes`.
pub(crate) fn document<'a>(routes: impl Iterator<Item = &'a Route>) -> Response {
    axum::Json(build(routes)).into_response()
}

fn build<'a>(routes: impl Iterator<Item = &'a Route>) -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for &(method, path, action, summary) in routes {
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
