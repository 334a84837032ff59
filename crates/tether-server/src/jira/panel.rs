//! The flag page's Jira panel (its Integrations tab): connect an issue by key
//! (checked against Jira; a refusal comes back inline), the connected issues with
//! summary and status, disconnect, and how the flag's delivery to Jira stands.

use std::future::Future;
use std::pin::Pin;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use tether_store::{FlagState, Project};

use super::{FlagLinks, SyncState, flag_links};
use crate::AppState;
use crate::error::ApiError;
use crate::flags::ui::{FlagTab, tab_page};
use crate::web::page::{UiError, field};
use crate::web::signin::UiUser;

use super::ui::{Saved, load_flag, saved, store};

struct IssueRow {
    key: String,
    summary: String,
    status: String,
    /// `new`, `indeterminate`, `done` or empty when unknown.
    category: String,
    url: Option<String>,
    unknown: bool,
    fetched: Option<Saved>,
}

struct SyncRow {
    /// `pending`, `synced` or `failing`.
    state: &'static str,
    text: String,
    pushed: Option<Saved>,
    pushed_keys: String,
    pushed_envs: String,
    unknown: Vec<String>,
    failures: Vec<String>,
}

#[derive(Template)]
#[template(path = "jira_flag_panel.html")]
struct FlagPanel {
    base: String,
    site_name: Option<String>,
    site_url: String,
    tracked: String,
    issues: Vec<IssueRow>,
    typed: String,
    error: Option<String>,
    sync: Option<SyncRow>,
    /// Linked to as many issues as Jira shows a flag on: another link is refused.
    full: bool,
    max_issues: usize,
}

/// What a failed "Connect Jira issue" puts back: the key as typed and why.
pub(crate) struct PanelInput {
    typed: String,
    error: String,
}

fn sync_row(s: SyncState, now: i64) -> SyncRow {
    let (state, text) = if let Some(e) = &s.last_error {
        ("failing", format!("The last delivery to Jira failed: {e}. tether keeps retrying."))
    } else if !s.failures.is_empty() {
        ("failing", "Jira refused this flag's last delivery.".to_owned())
    } else if s.pending() {
        ("pending", "A change is waiting to be delivered to Jira.".to_owned())
    } else {
        ("synced", "Jira shows this flag's current state.".to_owned())
    };
    SyncRow {
        state,
        text,
        pushed: s.pushed_at.map(|t| saved(t, now)),
        pushed_keys: s.pushed_issue_keys.join(", "),
        pushed_envs: s.pushed_environments.join(", "),
        failures: s
            .failures
            .iter()
            .map(|(id, messages)| format!("{id}: {}", messages.join("; ")))
            .collect(),
        unknown: s.unknown_issue_keys,
    }
}

/// The Integrations tab's Jira panel for a flag.
/// The flag page's tab this feature adds.
pub(crate) const TAB: FlagTab = FlagTab { key: "integrations", label: "Integrations", render };

fn render<'a>(
    state: &'a AppState,
    p: &'a Project,
    f: &'a FlagState,
) -> Pin<Box<dyn Future<Output = Result<String, UiError>> + Send + 'a>> {
    Box::pin(flag_panel(state, p, f, None))
}

pub(crate) async fn flag_panel(
    state: &AppState,
    p: &Project,
    f: &FlagState,
    input: Option<PanelInput>,
) -> Result<String, UiError> {
    let now = state.clock.now_ms();
    let FlagLinks { site, tracking, issues, sync } =
        flag_links(state, &p.key, f).await.map_err(store)?;
    let env_name = |k: &str| {
        p.environments.iter().find(|e| e.key == k).map_or_else(|| k.to_owned(), |e| e.name.clone())
    };
    let tracked = tracking
        .map(|t| {
            t.tracked
                .iter()
                .map(|k| {
                    if *k == t.primary_env {
                        format!("{} (primary)", env_name(k))
                    } else {
                        env_name(k)
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let (typed, error) = input.map_or((String::new(), None), |i| (i.typed, Some(i.error)));
    let panel = FlagPanel {
        base: format!("/flags/{}/{}", p.key, f.flag.key),
        site_url: site.as_ref().map(|s| s.url.clone()).unwrap_or_default(),
        site_name: site.map(|s| s.name),
        tracked,
        issues: issues
            .into_iter()
            .map(|i| IssueRow {
                summary: i.cached.as_ref().map(|c| c.summary.clone()).unwrap_or_default(),
                status: i.cached.as_ref().map(|c| c.status.clone()).unwrap_or_default(),
                category: i.cached.as_ref().map(|c| c.status_category.clone()).unwrap_or_default(),
                fetched: i.cached.as_ref().map(|c| saved(c.fetched_at, now)),
                key: i.key,
                url: i.url,
                unknown: i.unknown,
            })
            .collect(),
        typed,
        error,
        sync: sync.map(|s| sync_row(s, now)),
        full: false,
        max_issues: super::MAX_ISSUES_PER_FLAG,
    };
    let panel = FlagPanel { full: panel.issues.len() >= panel.max_issues, ..panel };
    panel.render().map_err(|e| UiError::Other(ApiError::internal(e)))
}

/// `POST /flags/{project}/{flag}/jira/link`: connect an issue by key.
pub(crate) async fn link_from_flag(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((project, key)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let path = format!("/flags/{project}/{key}");
    let (p, f) = load_flag(&state, &user, &project, &key, &path).await?;
    let typed = field(&fields, "issue").trim().to_owned();
    let error = if typed.is_empty() {
        Some((
            StatusCode::UNPROCESSABLE_ENTITY,
            "Type the key of a Jira issue, like SHOP-123.".into(),
        ))
    } else {
        match super::link(&state, &user, &project, &f, &typed).await {
            Ok(_) => None,
            Err(ApiError::Forbidden(why)) => return Err(UiError::Forbidden(why)),
            Err(
                e @ (ApiError::Invalid { .. } | ApiError::Conflict(_) | ApiError::Unavailable(_)),
            ) => Some((e.status_and_code().0, e.to_string())),
            Err(e) => return Err(UiError::Other(e)),
        }
    };
    match error {
        None => Ok(Redirect::to(&format!("{path}?tab={}", TAB.key)).into_response()),
        Some((status, error)) => {
            let panel = flag_panel(&state, &p, &f, Some(PanelInput { typed, error })).await?;
            tab_page(&state, &user, &p, &f, TAB.key, panel, status).await
        }
    }
}

/// `POST /flags/{project}/{flag}/jira/unlink`: disconnect an issue.
pub(crate) async fn unlink_from_flag(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((project, key)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let path = format!("/flags/{project}/{key}");
    let (_, f) = load_flag(&state, &user, &project, &key, &path).await?;
    super::unlink(&state, &user, &project, &f, field(&fields, "issue")).await?;
    Ok(Redirect::to(&format!("{path}?tab={}", TAB.key)).into_response())
}
