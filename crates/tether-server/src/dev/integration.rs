//! The code section of the Integrations page: every repository the caller may see, where
//! its events come from (the webhook URL to paste into GitHub or GitLab, or the local
//! clone tether scans) and how its last delivery or scan went, with a link to its page.

use std::future::Future;
use std::pin::Pin;

use askama::Template;
use tether_policy::Action;
use tether_store::dev::{EventState, RepoSource, Repository};

use super::api::event_view;
use super::{hook_url, repo_resource};
use crate::AppState;
use crate::auth::Caller;
use crate::web::format::absolute_time;
use crate::web::integrations::IntegrationSection;
use crate::web::page::UiError;

pub(crate) const SECTION: IntegrationSection =
    IntegrationSection { key: "code", title: "Code repositories", render };

fn render<'a>(
    state: &'a AppState,
    user: &'a Caller,
) -> Pin<Box<dyn Future<Output = Result<String, UiError>> + Send + 'a>> {
    Box::pin(section(state, user))
}

/// How the last delivery (or scan) went, in words, and whether it is good news.
struct Last {
    text: String,
    when: String,
    class: &'static str,
}

struct RepoRow {
    name: String,
    source: &'static str,
    /// The webhook URL, or the local clone's path.
    address: String,
    last: Option<Last>,
}

#[derive(Template)]
#[template(path = "code_integration.html")]
struct Section {
    repos: Vec<RepoRow>,
}

async fn last_of(state: &AppState, repo: &Repository) -> Result<Option<Last>, UiError> {
    if repo.source == RepoSource::Local {
        return last_scan(state, repo).await;
    }
    let Some(e) = state.store.dev_events(repo.id, None, 1).await?.into_iter().next() else {
        return Ok(None);
    };
    let view = event_view(&e);
    let summary = view.report.as_ref().map(|r| r.summary.clone()).unwrap_or(view.event);
    let (text, class) = match e.state {
        EventState::Pending => (format!("{summary}: waiting to be processed"), "muted"),
        EventState::Done => (format!("{summary}: done"), "ok"),
        EventState::Failed => {
            let why = view.report.and_then(|r| r.error).unwrap_or_else(|| {
                "something failed (the repository's delivery log says what)".to_owned()
            });
            (format!("{summary}: failed: {why}"), "bad")
        }
    };
    Ok(Some(Last { text, when: absolute_time(e.received_at), class }))
}

/// A local clone's last scan, as the binary recorded it (`git::ScanSummary`).
async fn last_scan(state: &AppState, repo: &Repository) -> Result<Option<Last>, UiError> {
    let scan = state.store.setting(&format!("dev.scan.{}", repo.id)).await?;
    let Some(scan) = scan.and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok()) else {
        return Ok(None);
    };
    let when = scan["at"].as_i64().map(absolute_time).unwrap_or_default();
    Ok(Some(match scan["error"].as_str() {
        Some(e) => Last { text: format!("scan failed: {e}"), when, class: "bad" },
        None => Last {
            text: format!(
                "scanned: {} new commits read, {} pushes stored",
                scan["commits_read"], scan["events_stored"]
            ),
            when,
            class: "ok",
        },
    }))
}

async fn section(state: &AppState, user: &Caller) -> Result<String, UiError> {
    let mut repos = Vec::new();
    for repo in state.store.repositories().await? {
        if !user.can(Action::ViewRepository, &repo_resource(&repo.name)) {
            continue;
        }
        let address = hook_url(state, &repo).or_else(|| repo.path.clone()).unwrap_or_default();
        repos.push(RepoRow {
            last: last_of(state, &repo).await?,
            source: repo.source.as_str(),
            address,
            name: repo.name,
        });
    }
    Section { repos }.render().map_err(|e| UiError::Other(crate::error::ApiError::internal(e)))
}
