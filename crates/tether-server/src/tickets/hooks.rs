//! Where Jira's webhooks for ticket ingestion arrive: `POST /hooks/jira/tickets/{site}/{token}`,
//! the URL the ingester registered with a token of its own (Jira's admin webhooks are not
//! signed, so the token is what proves the sender). An event is kept for the ingester and
//! makes the issue's project due at once; polling stays the source of truth.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tether_jira::tickets::HookEvent;

use crate::AppState;
use crate::error::ApiError;

/// Outside the web UI's CSRF check: Jira posts here with neither a session nor a form token.
pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/hooks/jira/tickets/{site}/{token}", axum::routing::post(receive))
}

pub(crate) async fn receive(
    State(state): State<AppState>,
    Path((site, token)): Path<(i64, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let unknown = || ApiError::NotFound("no such webhook".into());
    if !state.store.ticket_webhook_token_matches(site, &token).await? {
        return Err(unknown());
    }
    let Some(event) = HookEvent::parse(&body) else {
        return Err(ApiError::BadRequest("not a Jira webhook delivery".into()));
    };
    // Only projects being imported; the rest of the site's events are of no use.
    let project = match &event.project_id {
        Some(p) => state.store.ticket_project(site, p).await.ok().filter(|p| p.imported),
        None => None,
    };
    if event.project_id.is_some() && project.is_none() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    state
        .store
        .record_ticket_hook(
            site,
            &event.event,
            event.issue_id.as_deref(),
            event.issue_key.as_deref(),
            project.as_ref().map(|p| p.id.as_str()),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
