//! The inspection and control endpoint under `/_sandbox`, unauthenticated and never rate
//! limited or faulted. `GET /_sandbox` lists what is here.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::{ApiError, JsonBody, Params};
use crate::{Knobs, Sandbox};

pub(crate) fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/", get(index))
        .route("/issues/{key}", get(issue).delete(delete_issue))
        .route("/issues/{key}/move", post(move_issue))
        .route("/issues/{key}/development", get(development))
        .route("/comments", get(comments))
        .route("/worklogs", get(worklogs))
        .route("/remote-links", get(remote_links))
        .route("/transitions", get(transitions))
        .route("/feature-flags", get(flags))
        .route("/feature-flags/{id}", get(flag))
        .route("/knobs", get(knobs).put(set_knobs))
        .route("/seed", post(seed))
        .route("/load", post(load))
        .route("/connect/install", post(connect_install))
        .route("/connect/uninstall", post(connect_uninstall))
        .route("/connect/apps", get(connect_apps))
        .route("/webhooks", get(webhooks))
        .route("/security-levels", post(add_security_level))
        .route("/issues/{key}/security", put(set_issue_security))
        .route("/oauth1/consumers", post(add_oauth1_consumer))
        .route("/oauth-clients", get(oauth_clients).post(add_oauth_client))
        .route("/entity-properties", get(entity_properties))
        .route(
            "/forge/{app}/entity-properties",
            post(register_forge_entity_properties).delete(unregister_forge_entity_properties),
        )
        .route("/oauth-clients/{client_id}/permissions", put(set_oauth_permissions))
        .route("/reset-logins", post(reset_logins))
        .route("/forge/apps", get(forge_apps))
        .route("/forge/{app}/install", post(forge_install))
        .route("/forge/{app}/uninstall", post(forge_uninstall))
        .route("/forge/{app}/token", post(forge_token))
}

async fn index(State(sb): State<Sandbox>) -> Json<Value> {
    Json(json!({
        "flavour": sb.flavour(),
        "issues": sb.issue_count(),
        "endpoints": {
            "GET /_sandbox/issues/{key}": "an issue's current state",
            "DELETE /_sandbox/issues/{key}": "delete an issue",
            "POST /_sandbox/issues/{key}/move": "{\"project\": KEY}: move an issue to another project (new key; the old one still finds it)",
            "GET /_sandbox/issues/{key}/development": "an issue's feature flags (from the Feature Flags API) and remote links, as /browse/{key} shows them",
            "GET /browse/{key}": "an issue as a page for people: summary, status, assignee, feature flags, remote links",
            "GET /_sandbox/comments[?issue=KEY]": "comments as written (body as sent, plus plain text)",
            "GET /_sandbox/worklogs[?issue=KEY]": "worklogs as written (time in seconds, comment as sent)",
            "GET /_sandbox/remote-links[?issue=KEY]": "remote links as stored",
            "GET /_sandbox/transitions[?issue=KEY]": "transitions performed through the REST API",
            "GET /_sandbox/feature-flags": "feature flags stored by the Feature Flags API",
            "GET /_sandbox/feature-flags/{id}": "one stored feature flag",
            "GET /_sandbox/knobs": "current knobs",
            "PUT /_sandbox/knobs": "replace the knobs (fields left out take their defaults)",
            "POST /_sandbox/seed": "{\"issues\": N, \"seed\": S}: add N deterministic issues",
            "POST /_sandbox/load": "body: issue JSON (array, search page or one issue) to add",
            "POST /_sandbox/connect/install": "{\"key\": K, \"name\": N}: register a Connect app, get its shared secret; or {\"descriptorUrl\": U}: perform the install handshake against a loopback app",
            "POST /_sandbox/connect/uninstall": "{\"key\": K}: call the app's uninstalled hook, delete what it sent",
            "GET /_sandbox/connect/apps": "installed Connect apps (with their jiraFeatureFlagInfoProvider module)",
            "GET /_sandbox/webhooks": "registered webhooks (dynamic and admin)",
            "POST /_sandbox/security-levels": "{\"name\", \"description\", \"members\": [login]}: add an issue security level",
            "PUT /_sandbox/issues/{key}/security": "{\"level\": name or null}: put an issue in a security level",
            "POST /_sandbox/oauth1/consumers": "{\"consumerKey\", \"name\", \"publicKeyPem\"}: register an OAuth 1.0a consumer (Data Center)",
            "POST /_sandbox/reset-logins": "forget failed logins (lifts a CAPTCHA demand)",
            "GET /_sandbox/entity-properties": "the issue-property values JQL can search (issue.property[key].path, aliases), from installed Connect apps' jiraEntityProperties and registered Forge modules",
            "POST /_sandbox/forge/{app}/entity-properties": "a Forge app's jira:entityProperty modules (the manifest's list): index what they declare",
            "DELETE /_sandbox/forge/{app}/entity-properties": "forget a Forge app's entity property modules",
            "GET /_sandbox/forge/apps": "installed Forge apps (app id, installation id, the remote's lifecycle endpoint)",
            "POST /_sandbox/forge/{app}/install": "{\"eventsUrl\": U}: install a Forge app: post avi:forge:installed:app to its remote (loopback) with a Forge Invocation Token",
            "POST /_sandbox/forge/{app}/uninstall": "post avi:forge:uninstalled:app to the app's remote, forget the app and its entity property modules",
            "POST /_sandbox/forge/{app}/token": "{\"moduleKey\", \"installationId\", \"principal\"}: a Forge Invocation Token as Forge would sign a call to the app's remote (keys at /.well-known/jwks.json)",
            "GET /_sandbox/oauth-clients": "OAuth 2.0 credentials (Cloud) with their DevOps API permissions, without secrets",
            "POST /_sandbox/oauth-clients": "{\"client_id\", \"client_secret\", \"user\", \"permissions\": [...]}: create (or replace) OAuth 2.0 credentials",
            "PUT /_sandbox/oauth-clients/{client_id}/permissions": "[\"feature_flags_read\", \"feature_flags_write\", \"development_info_read\", ...]: set what the credentials may call",
        },
    }))
}

async fn issue(
    State(sb): State<Sandbox>,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let snap = sb.issue(&key).ok_or_else(|| ApiError::NotFound(format!("No issue {key}.")))?;
    Ok(Json(json!(snap)))
}

async fn delete_issue(
    State(sb): State<Sandbox>,
    Path(key): Path<String>,
) -> Result<StatusCode, ApiError> {
    sb.delete_issue(&key).map_err(|e| ApiError::NotFound(e.to_string()))?;
    Ok(StatusCode::NO_CONTENT)
}

async fn move_issue(
    State(sb): State<Sandbox>,
    Path(key): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let project = body
        .get("project")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad("'project' (a project key) is required"))?;
    let new_key = sb.move_issue(&key, project).map_err(|e| match e {
        crate::ConfigError::UnknownIssue(_) => ApiError::NotFound(e.to_string()),
        e => ApiError::bad(e.to_string()),
    })?;
    Ok(Json(json!({"key": new_key, "previous_key": key})))
}

async fn development(
    State(sb): State<Sandbox>,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let dev = sb.development(&key).ok_or_else(|| ApiError::NotFound(format!("No issue {key}.")))?;
    Ok(Json(json!(dev)))
}

async fn comments(State(sb): State<Sandbox>, params: Params) -> Json<Value> {
    Json(json!(sb.comments(params.get("issue"))))
}

async fn worklogs(State(sb): State<Sandbox>, params: Params) -> Json<Value> {
    Json(json!(sb.worklogs(params.get("issue"))))
}

async fn remote_links(State(sb): State<Sandbox>, params: Params) -> Json<Value> {
    Json(json!(sb.remote_links(params.get("issue"))))
}

async fn transitions(State(sb): State<Sandbox>, params: Params) -> Json<Value> {
    Json(json!(sb.transitions_done(params.get("issue"))))
}

async fn flags(State(sb): State<Sandbox>) -> Json<Value> {
    Json(json!(sb.feature_flags()))
}

async fn flag(State(sb): State<Sandbox>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let f =
        sb.feature_flag(&id).ok_or_else(|| ApiError::NotFound(format!("No feature flag {id}.")))?;
    Ok(Json(json!(f)))
}

async fn knobs(State(sb): State<Sandbox>) -> Json<Knobs> {
    Json(sb.knobs())
}

async fn set_knobs(
    State(sb): State<Sandbox>,
    JsonBody(body): JsonBody,
) -> Result<Json<Knobs>, ApiError> {
    let knobs: Knobs = serde_json::from_value(body).map_err(|e| ApiError::bad(e.to_string()))?;
    sb.set_knobs(knobs);
    Ok(Json(sb.knobs()))
}

async fn seed(
    State(sb): State<Sandbox>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let n = body
        .get("issues")
        .and_then(Value::as_u64)
        .ok_or_else(|| ApiError::bad("'issues' must be a number"))?;
    let seed = body.get("seed").and_then(Value::as_u64).unwrap_or(1);
    // Seeding 100,000 issues takes a moment; keep it off the async workers.
    let report = tokio::task::spawn_blocking(move || sb.seed_issues(n as usize, seed))
        .await
        .map_err(|e| ApiError::Status(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(json!(report)))
}

async fn load(
    State(sb): State<Sandbox>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let report = sb.load_issues(&body).map_err(|e| ApiError::bad(e.to_string()))?;
    Ok(Json(json!(report)))
}

async fn connect_install(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    if !sb.flavour().is_cloud() {
        return Err(ApiError::bad("Connect apps exist on Cloud only."));
    }
    if let Some(url) = body.get("descriptorUrl").and_then(Value::as_str) {
        let base = super::base_url(&sb, &headers);
        let installed = sb
            .install_connect_app_from(url, &base)
            .await
            .map_err(|e| ApiError::bad(e.to_string()))?;
        return Ok(Json(json!(installed)));
    }
    let key = body
        .get("key")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::bad("'key' is required"))?;
    let name = body.get("name").and_then(Value::as_str).unwrap_or(key);
    Ok(Json(json!(sb.install_connect_app(key, name))))
}

async fn forge_apps(State(sb): State<Sandbox>) -> Json<Value> {
    Json(json!(sb.forge_installations()))
}

async fn forge_install(
    State(sb): State<Sandbox>,
    Path(app): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let url = body
        .get("eventsUrl")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad("'eventsUrl' is required: the remote's lifecycle endpoint"))?;
    let base = super::base_url(&sb, &headers);
    let installed =
        sb.install_forge_app(&app, url, &base).await.map_err(|e| ApiError::bad(e.to_string()))?;
    Ok(Json(json!(installed)))
}

async fn forge_uninstall(
    State(sb): State<Sandbox>,
    Path(app): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let base = super::base_url(&sb, &headers);
    match sb.uninstall_forge_app(&app, &base).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(e @ crate::forge::ForgeError::UnknownApp(_)) => Err(ApiError::NotFound(e.to_string())),
        Err(e) => Err(ApiError::bad(e.to_string())),
    }
}

async fn forge_token(
    State(sb): State<Sandbox>,
    Path(app): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    if !sb.flavour().is_cloud() {
        return Err(ApiError::bad("Forge apps exist on Cloud only."));
    }
    let base = super::base_url(&sb, &headers);
    let spec = crate::forge::token_request(&app, &body, &base);
    Ok(Json(json!({"token": sb.forge_invocation_token(&spec)})))
}

async fn reset_logins(State(sb): State<Sandbox>) -> StatusCode {
    sb.reset_login_failures();
    StatusCode::NO_CONTENT
}

async fn connect_uninstall(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let key = body
        .get("key")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad("'key' is required"))?;
    let base = super::base_url(&sb, &headers);
    match sb.uninstall_connect_app(key, &base).await {
        Ok(report) => Ok(Json(json!(report))),
        Err(e @ crate::InstallError::UnknownApp(_)) => Err(ApiError::NotFound(e.to_string())),
        Err(e) => Err(ApiError::bad(e.to_string())),
    }
}

async fn connect_apps(State(sb): State<Sandbox>) -> Json<Value> {
    Json(json!(sb.connect_apps()))
}

async fn webhooks(State(sb): State<Sandbox>) -> Json<Value> {
    Json(json!(sb.webhooks()))
}

async fn add_security_level(
    State(sb): State<Sandbox>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let spec: crate::SecurityLevelSpec =
        serde_json::from_value(body).map_err(|e| ApiError::bad(e.to_string()))?;
    sb.add_security_level(spec).map_err(|e| ApiError::bad(e.to_string()))?;
    Ok(StatusCode::CREATED)
}

async fn set_issue_security(
    State(sb): State<Sandbox>,
    Path(key): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let level = match body.get("level") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ApiError::bad("'level' must be a level name or null")),
    };
    sb.set_issue_security(&key, level.as_deref()).map_err(|e| match e {
        crate::ConfigError::UnknownIssue(_) => ApiError::NotFound(e.to_string()),
        e => ApiError::bad(e.to_string()),
    })?;
    Ok(StatusCode::NO_CONTENT)
}

async fn add_oauth1_consumer(
    State(sb): State<Sandbox>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let spec: crate::OAuth1ConsumerSpec =
        serde_json::from_value(body).map_err(|e| ApiError::bad(e.to_string()))?;
    sb.add_oauth1_consumer(spec).map_err(|e| ApiError::bad(e.to_string()))?;
    Ok(StatusCode::CREATED)
}

async fn oauth_clients(State(sb): State<Sandbox>) -> Json<Value> {
    Json(json!(sb.oauth_clients()))
}

async fn add_oauth_client(
    State(sb): State<Sandbox>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let client: crate::OAuthClient =
        serde_json::from_value(body).map_err(|e| ApiError::bad(e.to_string()))?;
    sb.add_oauth_client(client).map_err(|e| ApiError::bad(e.to_string()))?;
    Ok(StatusCode::CREATED)
}

async fn set_oauth_permissions(
    State(sb): State<Sandbox>,
    Path(client_id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let permissions: Vec<crate::DevOpsPermission> =
        serde_json::from_value(body).map_err(|e| ApiError::bad(e.to_string()))?;
    sb.set_oauth_permissions(&client_id, permissions).map_err(|e| match e {
        crate::ConfigError::UnknownOAuthClient(_) => ApiError::NotFound(e.to_string()),
        e => ApiError::bad(e.to_string()),
    })?;
    Ok(StatusCode::NO_CONTENT)
}

async fn entity_properties(State(sb): State<Sandbox>) -> Json<Value> {
    Json(json!(sb.indexed_properties()))
}

async fn register_forge_entity_properties(
    State(sb): State<Sandbox>,
    Path(app): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let n = sb
        .register_forge_entity_properties(&app, &body)
        .map_err(|e| ApiError::bad(e.to_string()))?;
    Ok((StatusCode::CREATED, Json(json!({"app": app, "indexed": n}))))
}

async fn unregister_forge_entity_properties(
    State(sb): State<Sandbox>,
    Path(app): Path<String>,
) -> Result<StatusCode, ApiError> {
    if sb.unregister_forge_entity_properties(&app) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("No Forge app {app} has entity property modules.")))
    }
}
