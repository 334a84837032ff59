//! Liveness (`/healthz`) and readiness (`/readyz`: database reachable, schema current).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::AppState;

/// The process is up and serving.
pub(crate) async fn healthz() -> Response {
    axum::Json(json!({"status": "ok"})).into_response()
}

/// Ready for traffic: the database answers and every migration is applied.
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    let report = readiness(&state).await;
    let status = if report.ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "status": if report.ready { "ready" } else { "not_ready" },
        "checks": {
            "database": report.database,
            "migrations": report.migrations,
        }
    });
    (status, axum::Json(body)).into_response()
}

/// What the readiness check found, also shown on the status page.
#[derive(Debug, Clone)]
pub(crate) struct Readiness {
    pub ready: bool,
    pub database: String,
    pub migrations: String,
}

pub(crate) async fn readiness(state: &AppState) -> Readiness {
    let database = match state.store.ping().await {
        Ok(()) => Ok(()),
        Err(e) => {
            tracing::warn!(error = %crate::error::error_chain(&e), "readiness: database unreachable");
            Err("unreachable".to_owned())
        }
    };
    let migrations = match &database {
        Err(_) => Err("unknown".to_owned()),
        Ok(()) => match state.store.schema_status().await {
            Ok(s) if s.is_current() => Ok(format!("{}/{} applied", s.applied, s.expected)),
            Ok(s) => Err(format!("{}/{} applied", s.applied, s.expected)),
            Err(_) => Err("unknown".to_owned()),
        },
    };
    Readiness {
        ready: database.is_ok() && migrations.is_ok(),
        database: database.map(|()| "ok".to_owned()).unwrap_or_else(|e| e),
        migrations: migrations.unwrap_or_else(|e| e),
    }
}
