//! The Atlassian Connect app: `GET /atlassian-connect.json`, the descriptor Jira
//! Cloud installs tether from. Its `jiraFeatureFlagInfoProvider` module lets Jira
//! show tether's flags on issues, and its actions open tether's issue-side pages
//! (create a flag from an issue, link an existing flag, list an issue's flags).

use axum::Router;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::AppState;

const LOGO: &str = include_str!("../static/tether-logo.svg");

/// Where Jira posts the lifecycle events, relative to the descriptor's `baseUrl`.
pub(crate) const INSTALLED_PATH: &str = "/connect/installed";
pub(crate) const UNINSTALLED_PATH: &str = "/connect/uninstalled";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/atlassian-connect.json", get(descriptor))
        .route("/static/tether-logo.svg", get(logo))
}

/// The descriptor for a tether reached at `public_url`, installed as app `key`.
pub(crate) fn descriptor_json(public_url: &str, key: &str) -> Value {
    let base = public_url.trim_end_matches('/');
    json!({
        "key": key,
        "name": "tether",
        "description": "Feature flags from tether on Jira issues: each issue shows its flags, \
                        whether they are on, and their rollout.",
        "vendor": {"name": "tether", "url": base},
        "baseUrl": base,
        "links": {"self": format!("{base}/atlassian-connect.json"), "homepage": base},
        "authentication": {"type": "jwt"},
        "lifecycle": {"installed": INSTALLED_PATH, "uninstalled": UNINSTALLED_PATH},
        "apiVersion": 1,
        "scopes": ["READ", "WRITE", "DELETE"],
        "modules": {
            "jiraFeatureFlagInfoProvider": {
                "key": "tether-feature-flags",
                "name": {"value": "tether"},
                "homeUrl": base,
                "logoUrl": format!("{base}/static/tether-logo.svg"),
                "documentationUrl": format!("{base}/jira"),
                "actions": {
                    "createFlag": {"templateUrl": format!(
                        "{base}/jira/create-flag?issueKey={{issue.key}}&issueSummary={{issue.summary}}"
                    )},
                    "linkFlag": {"templateUrl": format!("{base}/jira/link-flag?issueKey={{issue.key}}")},
                    "listFlags": {"templateUrl": format!("{base}/jira/issue-flags?issueKey={{issue.key}}")}
                }
            }
        }
    })
}

async fn descriptor(State(state): State<AppState>) -> Response {
    let doc = descriptor_json(&state.config.public_url, &state.config.connect_app_key);
    ([(CACHE_CONTROL, "no-cache")], axum::Json(doc)).into_response()
}

async fn logo() -> Response {
    ([(CONTENT_TYPE, "image/svg+xml"), (CACHE_CONTROL, "public, max-age=86400")], LOGO)
        .into_response()
}
