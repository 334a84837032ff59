//! The REST API under `/api`. Unknown routes here answer with a JSON 404.

mod environments;
mod flags;
pub(crate) mod jira;
mod openapi;
mod projects;
mod tokens;
mod webhooks;
mod wire;

use axum::Router;
use axum::extract::{OriginalUri, Request};
use axum::routing::{get, patch, post, put};

pub(crate) use projects::check_key;

use crate::{AppState, error::ApiError};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/projects", get(projects::list).post(projects::create))
        .route("/projects/{key}", get(projects::get))
        .route("/projects/{project}/flags", get(flags::list).post(flags::create))
        .route(
            "/projects/{project}/flags/{key}",
            get(flags::get).put(flags::update).delete(flags::delete),
        )
        .route("/projects/{project}/flags/{key}/audit", get(flags::audit))
        .route("/projects/{project}/flags/{key}/copy", post(flags::copy))
        .route("/projects/{project}/flags/{key}/environments/{env}", put(flags::put_config))
        .route("/projects/{project}/flags/{key}/environments/{env}/toggle", post(flags::toggle))
        .route(
            "/projects/{project}/segments",
            get(flags::list_segments).post(flags::create_segment),
        )
        .route("/projects/{project}/segments/{key}", put(flags::update_segment))
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
            get(tokens::list_sdk_keys).post(tokens::create_sdk_key),
        )
        .route(
            "/projects/{project}/environments/{env}/sdk-keys/{id}",
            axum::routing::delete(tokens::revoke_sdk_key),
        )
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}", axum::routing::delete(tokens::revoke))
        .route("/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/webhooks/{id}", axum::routing::delete(webhooks::delete))
        .route("/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route("/openapi.json", get(openapi::document))
        .merge(jira::router())
        .fallback(not_found)
}

async fn not_found(OriginalUri(uri): OriginalUri, req: Request) -> ApiError {
    ApiError::NotFound(format!("no API route {} {}", req.method(), uri.path()))
}
