//! The REST API under `/api`: each feature's routes, the OpenAPI document built
//! from their route tables, and the JSON 404 for unknown routes here.

use axum::Router;
use axum::extract::{OriginalUri, Request};
use axum::http::header::{ETAG, IF_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::error::Json;
use crate::{AppState, admin, dev, error::ApiError, flags, jira, tickets};

pub(crate) fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(admin::routes())
        .merge(flags::api::routes())
        .merge(jira::api::routes())
        .merge(dev::api::routes())
        .merge(dev::findings_api::routes())
        .merge(tickets::api::routes())
        .merge(crate::insights::api::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::project_visibility,
        ))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
}

/// Every documented route: (method, path, action the caller needs, summary).
pub(crate) fn route_table()
-> impl Iterator<Item = &'static (&'static str, &'static str, &'static str, &'static str)> {
    admin::ROUTES
        .iter()
        .chain(flags::api::ROUTES)
        .chain(jira::api::ROUTES)
        .chain(dev::api::ROUTES)
        .chain(dev::findings_api::ROUTES)
        .chain(tickets::api::ROUTES)
        .chain(crate::insights::api::ROUTES)
}

async fn openapi() -> Response {
    admin::openapi::document(route_table())
}

async fn not_found(OriginalUri(uri): OriginalUri, req: Request) -> ApiError {
    ApiError::NotFound(format!("no API route {} {}", req.method(), uri.path()))
}

/// The version a write is based on: the body's `version` or `If-Match`.
pub(crate) fn expected_version(
    headers: &HeaderMap,
    body: Option<i64>,
) -> Result<Option<i64>, ApiError> {
    let header = match headers.get(IF_MATCH) {
        None => None,
        Some(v) => {
            let text =
                v.to_str().unwrap_or_default().trim().trim_start_matches("W/").trim_matches('"');
            Some(text.parse::<i64>().map_err(|_| {
                ApiError::BadRequest(format!(
                    "If-Match must be a version such as \"3\", got {text:?}"
                ))
            })?)
        }
    };
    match (header, body) {
        (Some(h), Some(b)) if h != b => {
            Err(ApiError::BadRequest(format!("If-Match says version {h} but the body says {b}")))
        }
        (h, b) => Ok(h.or(b)),
    }
}

pub(crate) fn with_etag(status: StatusCode, version: i64, body: impl Serialize) -> Response {
    let mut r = (status, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        r.headers_mut().insert(ETAG, v);
    }
    r
}
