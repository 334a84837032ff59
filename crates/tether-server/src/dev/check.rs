//! "Test settings": for the settings in force at a level, whether the Jira site answers
//! (serverInfo), who the credentials are (myself), whether that account holds the Jira
//! permissions each enabled feature needs in the projects concerned (browse, link issues,
//! add comments, transition, log work), and on Cloud whether the Development panel's
//! OAuth 2.0 credentials may call the Development Information API. The deployment found
//! is recorded, so a site whose URL or credentials changed is detected again.

use std::collections::BTreeMap;

use serde::Serialize;
use tether_jira::{Error, Feature};
use tether_store::dev::{EffectiveSettings, Repository, Transitions};
use tether_sync::dev_to_jira::DevInfoClients;
use tether_sync::jira::auth_for_site;

use crate::AppState;
use crate::error::ApiError;

/// What a test found; every message says what to change.
#[derive(Debug, Serialize)]
pub(crate) struct TestReport {
    pub ok: bool,
    pub site: Option<String>,
    /// `cloud` or `dc`.
    pub deployment: Option<&'static str>,
    pub version: Option<String>,
    pub account: Option<String>,
    /// The features whose permissions were checked.
    pub features: Vec<&'static str>,
    pub projects_checked: Vec<String>,
    pub projects_ok: Vec<String>,
    /// The Development panel: `ok`, or why not.
    pub development_panel: Option<String>,
    pub messages: Vec<String>,
}

/// The features the settings turn on.
fn features(s: &EffectiveSettings) -> Vec<Feature> {
    let mut out = vec![Feature::ReadIssues, Feature::RemoteLinks];
    if s.comments || s.smart_commits {
        out.push(Feature::Comment);
    }
    if s.transitions != Transitions::Off || s.smart_commits {
        out.push(Feature::Transition);
    }
    if s.smart_commits {
        out.push(Feature::LogWork);
    }
    out
}

/// The Jira projects to check: the allow-list, else those the repository's commits and
/// merge requests have mentioned (at most ten).
async fn projects(
    state: &AppState,
    s: &EffectiveSettings,
    repo: Option<&Repository>,
) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> =
        s.project_keys.iter().map(|p| p.trim().to_ascii_uppercase()).collect();
    if out.is_empty()
        && let Some(repo) = repo
    {
        let mut seen = BTreeMap::new();
        for key in mentioned_keys(state, repo).await? {
            if let Some((p, _)) = key.split_once('-') {
                seen.insert(p.to_owned(), ());
            }
        }
        out = seen.into_keys().take(10).collect();
    }
    Ok(out)
}

async fn mentioned_keys(state: &AppState, repo: &Repository) -> Result<Vec<String>, ApiError> {
    let mut keys = Vec::new();
    for e in state.store.dev_events(repo.id, None, 100).await? {
        let Some(report) =
            e.report.as_deref().and_then(tether_sync::dev_to_jira::report::EventReport::from_json)
        else {
            continue;
        };
        keys.extend(report.entities.into_iter().flat_map(|en| en.keys));
    }
    Ok(keys)
}

/// Tests the settings in force for `repo` (or the instance's when `None`).
pub(crate) async fn test_settings(
    state: &AppState,
    settings: &EffectiveSettings,
    repo: Option<&Repository>,
) -> Result<TestReport, ApiError> {
    let features = features(settings);
    let mut report = TestReport {
        ok: false,
        site: settings.site.clone(),
        deployment: None,
        version: None,
        account: None,
        features: features.iter().map(|f| f.describe()).collect(),
        projects_checked: vec![],
        projects_ok: vec![],
        development_panel: None,
        messages: vec![],
    };
    let Some(name) = &settings.site else {
        report.messages.push(
            "No Jira site is set: choose one in the settings (field site), from the sites under \
             /jira."
                .into(),
        );
        return Ok(report);
    };
    let site = crate::jira::sites::find_site(state, name).await?;
    let projects = projects(state, settings, repo).await?;
    if projects.is_empty() {
        report.messages.push(
            "No Jira project to check permissions in: set the project allow-list, or test again \
             once commits have mentioned issues."
                .into(),
        );
    }
    let secret = state.store.jira_site_secret(site.id).await?;
    let auth = match auth_for_site(&site, &secret) {
        Ok(a) => a,
        Err(e) => {
            report.messages.push(e.to_string());
            return Ok(report);
        }
    };
    let jira_site =
        tether_jira::Site { web_url: site.url.clone(), api_url: site.api_url.clone(), auth };
    // Code ↔ Jira works with Jira Server 6 and later (see `DevContext::new`).
    let options = tether_jira::Options {
        refuse_old_data_center: false,
        ..crate::jira::interactive_options()
    };
    let keys: Vec<&str> = projects.iter().map(String::as_str).collect();
    let found = tether_jira::test_connection(&jira_site, &options, &keys, &features).await;
    let deployment = found.deployment.as_ref().map(|d| if d.is_cloud() { "cloud" } else { "dc" });
    if let Some(d) = deployment
        && site.deployment.as_deref() != Some(d)
    {
        state.store.set_jira_site_deployment(site.id, d).await?;
        state.jira.forget(site.id).await;
    }
    report.deployment = deployment;
    report.version = found
        .deployment
        .as_ref()
        .and_then(|d| d.version.map(|v| v.to_string()))
        .or_else(|| found.server.as_ref().and_then(|s| s.version.clone()));
    report.account = found.account.as_ref().map(|u| {
        let name = u.display_name.clone().or_else(|| u.name.clone()).unwrap_or_default();
        match &u.email_address {
            Some(email) => format!("{name} <{email}>"),
            None => name,
        }
    });
    report.projects_checked = projects;
    report.projects_ok = found.projects_ok.clone();
    report.messages.extend(found.messages());
    if settings.development_panel && deployment == Some("cloud") && found.account.is_some() {
        let panel = development_panel(state, site.id).await;
        if panel != "ok" {
            report.messages.push(panel.clone());
        }
        report.development_panel = Some(panel);
    } else if deployment == Some("dc") {
        report.development_panel = Some(
            "Jira Data Center has no Development panel API: remote links and comments carry \
             the commits and merge requests."
                .into(),
        );
    }
    report.ok = report.messages.is_empty();
    Ok(report)
}

/// Whether the Development panel's credentials may read and write development information.
async fn development_panel(state: &AppState, site_id: i64) -> String {
    let clients = DevInfoClients::new(
        state.store.clone(),
        state.jira.clone(),
        crate::jira::interactive_options(),
    );
    let client = match clients.get(site_id).await {
        Ok(Ok(c)) => c,
        Ok(Err(no)) => {
            return format!("The Development panel is off for this site: {}.", no.message());
        }
        Err(e) => {
            return format!(
                "The Development panel's credentials do not work: {}",
                tether_sync::error_chain(&e)
            );
        }
    };
    // A property nothing is stored under: reading and deleting by it changes nothing.
    let probe = BTreeMap::from([("tetherProbe".to_owned(), "test-settings".to_owned())]);
    if let Err(e) = client.devinfo_exists_by_properties(&probe).await {
        return devinfo_problem(&e, "read");
    }
    if let Err(e) = client.delete_devinfo_by_properties(&probe).await {
        return devinfo_problem(&e, "write");
    }
    "ok".into()
}

fn devinfo_problem(e: &Error, what: &str) -> String {
    match e {
        Error::Unauthorized { .. } => {
            "Jira refused the Development panel's OAuth 2.0 credentials: \
             check the client id and secret (Jira admin → Apps → OAuth credentials), and that \
             they were not revoked."
                .into()
        }
        Error::Forbidden { .. } => format!(
            "The Development panel's OAuth 2.0 credentials lack the Development Information \
             API's {what} permission: edit the credentials in Jira (Apps → OAuth credentials) \
             and grant Development Information read and write."
        ),
        other => format!("The Development Information API could not be reached: {other}"),
    }
}
