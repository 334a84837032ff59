//! The REST API under `/api`. Unknown routes here answer with a JSON 404.

mod projects;

use axum::Router;
use axum::extract::{OriginalUri, Request};
use axum::routing::get;

use crate::{AppState, error::ApiError};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/projects", get(projects::list).post(projects::create))
        .route("/projects/{key}", get(projects::get))
        .fallback(not_found)
}

async fn not_found(OriginalUri(uri): OriginalUri, req: Request) -> ApiError {
    ApiError::NotFound(format!("no API route {} {}", req.method(), uri.path()))
}
