//! The forges' webhooks: `POST /hooks/github/{id}` and `POST /hooks/gitlab/{id}`, one
//! address per repository (its id in the path). The repository's secret proves the sender
//! (`X-Hub-Signature-256`, `X-Gitlab-Token`, compared in constant time): a wrong one is a
//! 401, stores nothing, and spends the address's allowance of failures. A delivery is read
//! (`tether_forge::parse`; 400 when malformed), stored once under its delivery id with the
//! outbox rows that process it, in one commit, and answered at once: 202 (200 for a
//! delivery stored before); events tether does not use are a 202 storing nothing. Jira is
//! never called here (GitHub waits 10 seconds, GitLab less, before calling a delivery
//! failed).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde_json::json;
use tether_forge::headers::names;
use tether_forge::{DevEvent, Forge, ForgeError};
use tether_store::StoreError;
use tether_store::dev::{EventSource, NewDevEvent, Recorded};

use crate::AppState;
use crate::error::ApiError;
use crate::throttle::{ClientAddr, refused, too_many};

/// The headers a delivery is read again with.
const KEPT: [&str; 9] = [
    names::GITHUB_EVENT,
    names::GITHUB_DELIVERY,
    names::GITHUB_HOOK_ID,
    names::GITLAB_EVENT,
    names::GITLAB_EVENT_UUID,
    names::GITLAB_WEBHOOK_UUID,
    names::IDEMPOTENCY_KEY,
    names::CONTENT_TYPE,
    "X-Gitlab-Instance",
];

pub(crate) async fn github(
    State(state): State<AppState>,
    addr: ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    receive(&state, addr, Forge::GitHub, &id, &headers, &body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

pub(crate) async fn gitlab(
    State(state): State<AppState>,
    addr: ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    receive(&state, addr, Forge::GitLab, &id, &headers, &body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// The headers as `(name, value)` pairs (values that are not text are left out).
fn pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect()
}

async fn receive(
    state: &AppState,
    ClientAddr(addr): ClientAddr,
    forge: Forge,
    id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    state.throttle.check(addr).map_err(too_many)?;
    let unknown = || ApiError::NotFound("no such webhook address".to_owned());
    let refuse = |why: &str| {
        refused(state, addr, "a forge webhook", why);
    };
    let Ok(id) = id.parse::<i64>() else {
        refuse("an address that names no repository");
        return Err(unknown());
    };
    // One read for the repository's forge and secret: every delivery makes it.
    let secret = match state.store.repository_webhook(id).await {
        Ok((source, secret)) if source.forge() == Some(forge) => secret,
        Ok(_) | Err(StoreError::NotFound) => {
            refuse("an address that names no repository of this forge");
            return Err(unknown());
        }
        Err(e) => return Err(e.into()),
    }
    .unwrap_or_else(|| SecretString::from(String::new()));
    let all = pairs(headers);
    if let Err(e) = tether_forge::verify(forge, &secret, &all, body) {
        refuse(&e.to_string());
        return Err(ApiError::Unauthorized(e.to_string()));
    }
    let incoming = tether_forge::parse(forge, &all, body).map_err(|e| match e {
        ForgeError::Malformed { .. } | ForgeError::MissingHeader(_) => {
            ApiError::BadRequest(e.to_string())
        }
        ForgeError::BadSignature(_) => ApiError::Unauthorized(e.to_string()),
    })?;
    if let DevEvent::Ignored { reason } = &incoming.event {
        return Ok((StatusCode::ACCEPTED, axum::Json(json!({"ignored": reason.to_string()})))
            .into_response());
    }
    let kept =
        all.into_iter().filter(|(k, _)| KEPT.iter().any(|n| n.eq_ignore_ascii_case(k))).collect();
    let new = NewDevEvent {
        repository_id: id,
        delivery_id: incoming.delivery.as_str().to_owned(),
        source: EventSource::of_forge(forge),
        event_name: incoming.event_name.clone(),
        headers: kept,
        body: body.to_vec(),
    };
    Ok(match state.store.record_dev_event(&new).await? {
        Recorded::Stored(id) => {
            (StatusCode::ACCEPTED, axum::Json(json!({"event": id}))).into_response()
        }
        Recorded::Duplicate(id) => {
            (StatusCode::OK, axum::Json(json!({"event": id, "duplicate": true}))).into_response()
        }
    })
}
