//! The Jira section of the Integrations page: every Jira site the caller may
//! see, named as Jira names itself (its server title once a connection test has
//! read it, else its host), how tether signs in to it (never a Connect
//! clientKey), which projects report to it, and whether tether's Forge app is
//! installed there (an installation on a site tether does not know is listed
//! apart, so someone adds its OAuth credentials).

use std::future::Future;
use std::pin::Pin;

use askama::Template;
use tether_policy::{Action, Named, Resource};
use tether_store::{JiraAuthKind, JiraSite};

use super::ui::{can_view, store};
use crate::AppState;
use crate::auth::Caller;
use crate::web::integrations::IntegrationSection;
use crate::web::page::UiError;

pub(crate) const SECTION: IntegrationSection =
    IntegrationSection { key: "jira", title: "Jira sites", render };

fn render<'a>(
    state: &'a AppState,
    user: &'a Caller,
) -> Pin<Box<dyn Future<Output = Result<String, UiError>> + Send + 'a>> {
    Box::pin(section(state, user))
}

struct SiteRow {
    title: String,
    /// The host, shown under a title that is not it: every Jira is titled "Jira" until an
    /// admin names it.
    host: Option<String>,
    name: String,
    url: String,
    deployment: &'static str,
    sign_in: String,
    projects: Vec<String>,
    enabled: bool,
    /// Tether's Forge app on this site: `Some(true)` installed, `Some(false)`
    /// uninstalled since.
    forge: Option<bool>,
}

/// A Forge installation on a site no registered site matches.
struct ForgeRow {
    /// The site's URL when a token named it, else its cloudId in words.
    site: String,
    cloud_id: Option<String>,
    enabled: bool,
}

#[derive(Template)]
#[template(path = "jira_integration.html")]
struct Section {
    sites: Vec<SiteRow>,
    forge_only: Vec<ForgeRow>,
}

/// How a person recognises a site: Jira's own title for itself when a
/// connection test has read it, else the host it is reached at.
pub(crate) fn site_title(site: &JiraSite) -> String {
    if let Some(title) = site.options.get("server_title").and_then(|v| v.as_str())
        && !title.trim().is_empty()
    {
        return title.trim().to_owned();
    }
    site_host(site)
}

/// The host a site is reached at (its name when the URL has none).
fn site_host(site: &JiraSite) -> String {
    site.url
        .parse::<axum::http::Uri>()
        .ok()
        .and_then(|u| u.authority().map(|a| a.as_str().rsplit('@').next().unwrap_or("").to_owned()))
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| site.name.clone())
}

/// How tether signs in to a site, in words; a Connect site's clientKey is an
/// identifier Atlassian issues, not something people recognise, so it is not shown.
pub(crate) fn sign_in_text(site: &JiraSite) -> String {
    let user = site.auth_user.trim();
    let who = |what: &str| {
        if user.is_empty() { what.to_owned() } else { format!("{what} of {user}") }
    };
    // Jira Cloud's Feature Flags and Development Information APIs take apps only.
    let cloud_login = |what: String| {
        if site.deployment.as_deref() == Some("dc") {
            what
        } else {
            format!("{what} (reads issues only; flags on Jira Cloud need OAuth credentials)")
        }
    };
    match site.auth_kind {
        JiraAuthKind::ApiToken => cloud_login(who("API token")),
        JiraAuthKind::Password => cloud_login(who("username and password")),
        JiraAuthKind::Pat => "personal access token".to_owned(),
        JiraAuthKind::OAuth2 => {
            match site.options.get(tether_sync::jira::PLATFORM_EMAIL).and_then(|e| e.as_str()) {
                Some(email) => format!("OAuth 2.0 credentials, with the API token of {email}"),
                None => {
                    "OAuth 2.0 credentials (DevOps APIs only: issues are not checked)".to_owned()
                }
            }
        }
        JiraAuthKind::Connect => "Atlassian Connect app".to_owned(),
        JiraAuthKind::OAuth1 => "application link (OAuth 1.0a)".to_owned(),
    }
}

async fn section(state: &AppState, user: &Caller) -> Result<String, UiError> {
    // Which visible project reports to which site.
    let mut reporting: Vec<(i64, String)> = Vec::new();
    for p in state.store.list_projects().await.map_err(store)? {
        if can_view(user, &p.key)
            && let Some(tracking) = state.store.project_jira(&p.key).await.map_err(store)?
        {
            reporting.push((tracking.site_id, p.key));
        }
    }
    let forge = super::forge::installations(state).await.map_err(UiError::Other)?;
    let all_sites = state.store.list_jira_sites().await.map_err(store)?;
    let mut sites = Vec::new();
    for site in all_sites {
        if !user.can(Action::ViewIntegration, &Resource::Integration(Named::new(&site.name))) {
            continue;
        }
        // A site with several installations (one uninstalled, one live) shows the live one.
        let here = forge.iter().filter(|i| i.site_id == Some(site.id));
        let forge_here = here.map(|i| i.enabled).reduce(|a, b| a || b);
        let projects =
            reporting.iter().filter(|(id, _)| *id == site.id).map(|(_, p)| p.clone()).collect();
        let (title, host) = (site_title(&site), site_host(&site));
        sites.push(SiteRow {
            host: (host != title).then_some(host),
            title,
            deployment: match site.deployment.as_deref() {
                Some("cloud") => "Jira Cloud",
                Some("dc") => "Jira Data Center",
                _ => "not yet connected",
            },
            sign_in: sign_in_text(&site),
            projects,
            enabled: site.enabled,
            forge: forge_here,
            name: site.name,
            url: site.url,
        });
    }
    // Installations on sites tether has no settings for (or whose cloudId it has not learned
    // yet), to whoever may see integrations named as such a site would be (by its host; by its
    // cloudId when the token named no URL).
    let forge_only = forge
        .into_iter()
        .filter(|i| i.site_id.is_none())
        .filter_map(|i| {
            let (site, name) = match (&i.site_url, &i.cloud_id) {
                (Some(url), _) => {
                    let host = url.split("://").nth(1).unwrap_or(url).split('/').next();
                    (url.clone(), host.unwrap_or_default().to_owned())
                }
                (None, Some(id)) => (format!("Jira Cloud site {id}"), id.clone()),
                (None, None) => return None,
            };
            user.can(Action::ViewIntegration, &Resource::Integration(Named::new(&name)))
                .then_some(ForgeRow { site, cloud_id: i.cloud_id, enabled: i.enabled })
        })
        .collect();
    Section { sites, forge_only }
        .render()
        .map_err(|e| UiError::Other(crate::error::ApiError::internal(e)))
}
