//! A project's page at `/projects/{project}`: its environments, and per
//! environment the SDK keys applications evaluate with — created here (the key
//! is shown on the answer to that one request, never in a URL, never again),
//! listed by their last characters, revoked. Through the same service as the API.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tether_store::Project;

use super::sdk_keys;
use crate::auth::Caller;
use crate::web::format::{absolute_time, relative_time};
use crate::web::page::{UiError, html, or_404, require_visible};
use crate::web::signin::UiUser;
use crate::web::{Nav, nav_for};
use crate::{AppState, VERSION};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/projects/{project}", get(page))
        .route("/projects/{project}/environments/{env}/sdk-keys", post(create_key))
        .route("/projects/{project}/environments/{env}/sdk-keys/{id}/revoke", post(revoke_key))
}

struct KeyRow {
    id: i64,
    hint: String,
    created: String,
    created_title: String,
    revoked: Option<String>,
}

struct EnvSection {
    key: String,
    name: String,
    kind: &'static str,
    primary: bool,
    /// None when the caller may not see this environment's keys.
    keys: Option<Vec<KeyRow>>,
    may_revoke: bool,
}

/// A key just created, shown once.
struct Created {
    env: String,
    env_name: String,
    key: String,
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage {
    nav: Nav,
    version: &'static str,
    key: String,
    name: String,
    description: String,
    public_url: String,
    notice: Option<String>,
    created: Option<Created>,
    environments: Vec<EnvSection>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Saved {
    #[serde(default)]
    saved: String,
}

async fn render(
    state: &AppState,
    user: &Caller,
    p: &Project,
    notice: Option<String>,
    created: Option<Created>,
) -> Result<Response, UiError> {
    let now = state.clock.now_ms();
    let mut environments = Vec::new();
    for e in &p.environments {
        let keys = match sdk_keys::list(state, user, &p.key, &e.key).await {
            Ok(keys) => Some(
                keys.into_iter()
                    .map(|k| KeyRow {
                        id: k.id,
                        hint: k.hint,
                        created: relative_time(k.created_at, now),
                        created_title: absolute_time(k.created_at),
                        revoked: k.revoked_at.map(|at| relative_time(at, now)),
                    })
                    .collect(),
            ),
            Err(crate::error::ApiError::Forbidden(_)) => None,
            Err(e) => return Err(e.into()),
        };
        environments.push(EnvSection {
            may_revoke: sdk_keys::may_revoke(user, &p.key, &e.key),
            key: e.key.clone(),
            name: e.name.clone(),
            kind: e.kind.as_str(),
            primary: e.primary,
            keys,
        });
    }
    let page = ProjectPage {
        nav: nav_for("/flags", user),
        version: VERSION,
        key: p.key.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        public_url: state.config.public_url.trim_end_matches('/').to_owned(),
        notice,
        created,
        environments,
    };
    html(StatusCode::OK, &page)
}

async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(project): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, UiError> {
    let path = format!("/projects/{project}");
    require_visible(&user, &project, &path)?;
    let p = state.store.project(&project).await.map_err(or_404(&path))?;
    let notice = match q.saved.as_str() {
        "" => None,
        "revoked" => Some(
            "Revoked the SDK key: applications using it can no longer evaluate flags.".to_owned(),
        ),
        _ => Some("Saved.".to_owned()),
    };
    render(&state, &user, &p, notice, None).await
}

async fn create_key(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((project, env)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let path = format!("/projects/{project}");
    require_visible(&user, &project, &path)?;
    let p = state.store.project(&project).await.map_err(or_404(&path))?;
    let Some(e) = p.environments.iter().find(|e| e.key == env) else {
        return Err(UiError::NotFound(format!("{path}/environments/{env}")));
    };
    let key = sdk_keys::create(&state, &user, &project, &env).await?;
    let created = Created { env: e.key.clone(), env_name: e.name.clone(), key };
    // Answered directly (no redirect): the key is never in a URL or history.
    let mut response = render(&state, &user, &p, None, Some(created)).await?;
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

async fn revoke_key(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((project, env, id)): Path<(String, String, i64)>,
) -> Result<Response, UiError> {
    let path = format!("/projects/{project}");
    require_visible(&user, &project, &path)?;
    sdk_keys::revoke(&state, &user, &project, &env, id).await?;
    Ok(Redirect::to(&format!("{path}?saved=revoked#env-{env}")).into_response())
}
