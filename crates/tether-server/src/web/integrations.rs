//! The Integrations page at `/integrations`: one section per feature that
//! connects tether to something (Jira sites, and the code and ticket
//! integrations as they arrive). Sections are data (`AppState::integrations`),
//! like the flag page's tabs, so a feature adds its own without editing others.

use std::future::Future;
use std::pin::Pin;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::auth::Caller;
use crate::web::page::{UiError, html};
use crate::web::signin::UiUser;
use crate::web::{Nav, nav_for};
use crate::{AppState, VERSION};

/// A section of the Integrations page: its heading, and its body as HTML for
/// the signed-in caller (showing only what they may see).
#[derive(Debug, Clone, Copy)]
pub(crate) struct IntegrationSection {
    pub(crate) key: &'static str,
    pub(crate) title: &'static str,
    pub(crate) render: RenderSection,
}

/// Renders an [`IntegrationSection`]'s body.
pub(crate) type RenderSection =
    for<'a> fn(
        &'a AppState,
        &'a Caller,
    ) -> Pin<Box<dyn Future<Output = Result<String, UiError>> + Send + 'a>>;

struct SectionView {
    key: &'static str,
    title: &'static str,
    body: String,
}

#[derive(Template)]
#[template(path = "integrations.html")]
struct IntegrationsPage {
    nav: Nav,
    version: &'static str,
    sections: Vec<SectionView>,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
) -> Result<Response, UiError> {
    let mut sections = Vec::with_capacity(state.integrations.len());
    for s in state.integrations {
        sections.push(SectionView {
            key: s.key,
            title: s.title,
            body: (s.render)(&state, &user).await?,
        });
    }
    let page =
        IntegrationsPage { nav: nav_for("/integrations", &user), version: VERSION, sections };
    html(StatusCode::OK, &page)
}
