//! `GET /api/insights`: the insight the page shows, as JSON (durations in days, moments in
//! epoch milliseconds), with the same filters.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::metrics::Durations;
use super::{Filters, days, report};
use crate::AppState;
use crate::admin::openapi::Route;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::tickets::search::Failure;

/// (method, path, action, summary) of this module's routes, for `/api/openapi.json`.
pub(crate) const ROUTES: &[Route] = &[(
    "get",
    "/api/insights",
    "viewTickets",
    "Delivery insight over the ingested tickets the caller may view: cycle and lead time with percentiles, throughput per week and sprint, cumulative flow, ageing work, first commit → flag on, share behind flags, clean-up candidates; filters project, category, team (assignees, comma-separated), to (YYYY-MM-DD), weeks (default 12), jql",
)];

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/insights", get(insights))
}

fn durations(d: &Durations) -> Value {
    json!({
        "p50_days": d.p50.map(days),
        "p85_days": d.p85.map(days),
        "p95_days": d.p95.map(days),
        "tickets": d.items.iter().map(|(k, at, ms)| json!({"key": k, "at": at, "days": days(*ms)})).collect::<Vec<_>>(),
    })
}

async fn insights(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Query(f): axum::extract::Query<Filters>,
) -> Result<Response, ApiError> {
    let r = match report(&state, &caller, &f).await {
        Ok(r) => r,
        Err(Failure::Invalid(messages)) => {
            return Ok((
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"errorMessages": messages, "errors": {}})),
            )
                .into_response());
        }
        Err(Failure::Other(e)) => return Err(e),
    };
    let i = &r.insight;
    let (behind, finished) = i.behind_flags;
    Ok(axum::Json(json!({
        "range": {"from": r.range.from_ms, "to": r.range.to_ms, "zone": r.zone, "note": r.note},
        "query": r.query,
        "tickets": r.tickets,
        "cycle_time": durations(&i.cycle),
        "lead_time": durations(&i.lead),
        "throughput": {
            "weekly": i.weekly.iter().map(|(w, c)| json!({"week": w, "done": c})).collect::<Vec<_>>(),
            "sprints": i.sprints.iter().map(|(s, c)| json!({"sprint": s, "done": c})).collect::<Vec<_>>(),
        },
        "flow": i.flow.iter().map(|f| json!({"at": f.at_ms, "to_do": f.to_do, "in_progress": f.in_progress, "done": f.done})).collect::<Vec<_>>(),
        "ageing": i.ageing.iter().map(|a| json!({"key": a.key, "in_progress": a.in_progress, "days": days(a.age_ms)})).collect::<Vec<_>>(),
        "commit_to_flag_on": durations(&i.commit_to_flag),
        "behind_flags": {"with_flags": behind, "finished": finished},
        "cleanup": i.cleanup.iter().map(|(f, t)| json!({"flag": f, "ticket": t})).collect::<Vec<_>>(),
    }))
    .into_response())
}
