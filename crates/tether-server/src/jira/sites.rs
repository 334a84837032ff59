//! Jira sites: reading and checking a site's settings and credentials (one
//! validation for the API and the `/jira` page), finding a site by name, and the
//! connection test.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tether_policy::{Named, Resource};
use tether_store::{JiraAuthKind, JiraSite, NewJiraSite, StoreError};
use tether_sync::jira::auth_for_site;

use crate::AppState;
use crate::error::ApiError;

/// The policy resource of a site.
pub(crate) fn integration(name: &str) -> Resource {
    Resource::Integration(Named::new(name))
}

/// A site to register or replace. Per kind, `user` is the email (api_token),
/// the username (password), the client id (oauth2) or the consumer key (oauth1),
/// and `secret` the API token, password, personal access token, client secret
/// or RSA private key (PEM); oauth1 also needs `access_token`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SiteBody {
    #[serde(default)]
    pub(crate) name: Option<String>,
    url: String,
    #[serde(default)]
    api_url: Option<String>,
    kind: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    /// oauth2: the Atlassian account whose API token (`api_token`) makes the calls OAuth
    /// credentials may not (issues, comments, properties).
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    api_token: Option<String>,
    #[serde(default)]
    options: SiteOptions,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteOptions {
    /// OAuth 2.0: where tokens come from (default Atlassian's).
    #[serde(default)]
    token_url: Option<String>,
    /// OAuth 2.0: the API gateway (default Atlassian's).
    #[serde(default)]
    gateway_url: Option<String>,
    /// Requests started per second on this site (default 10).
    #[serde(default)]
    requests_per_second: Option<f64>,
    /// Requests in flight at once (default 4).
    #[serde(default)]
    max_concurrency: Option<u64>,
}

pub(crate) async fn find_site(state: &AppState, name: &str) -> Result<JiraSite, ApiError> {
    match state.store.jira_site_by_name(name).await {
        Ok(s) => Ok(s),
        Err(StoreError::NotFound) => {
            Err(ApiError::NotFound(format!("no Jira site named {name:?}")))
        }
        Err(e) => Err(e.into()),
    }
}

fn check_url(field: &str, url: &str) -> Result<String, ApiError> {
    let url = url.trim();
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() > "https://".len()
        && !url.contains(char::is_whitespace);
    if ok {
        Ok(url.trim_end_matches('/').to_owned())
    } else {
        Err(ApiError::invalid(field, format!("expected an http:// or https:// URL, got {url:?}")))
    }
}

/// The kinds a person registers (Connect sites come from the app's install).
const KINDS: &str = "api_token, password, pat, oauth2, oauth1";

/// The site as stored, when a body replaces it.
pub(crate) struct Stored<'a> {
    pub(crate) site: &'a JiraSite,
    pub(crate) secret: SecretString,
}

/// Checks a site body in full and builds the site. The stored secret is kept when
/// the body has none, the kind did not change, and neither did any address the
/// secret is sent to (`url`, `api_url`, `options.token_url`, `options.gateway_url`):
/// a stored secret is never sent to a new address without being given again.
pub(crate) fn build_site(
    name: String,
    body: SiteBody,
    stored: Option<Stored<'_>>,
) -> Result<NewJiraSite, ApiError> {
    let kind = match JiraAuthKind::parse(body.kind.trim()) {
        Some(JiraAuthKind::Connect) => {
            return Err(ApiError::invalid(
                "kind",
                "connect sites are created by installing tether's Connect app in Jira \
                 (descriptor at /atlassian-connect.json), not registered by hand",
            ));
        }
        Some(k) => k,
        None => {
            return Err(ApiError::invalid(
                "kind",
                format!("unknown kind {:?}; use one of {KINDS}", body.kind),
            ));
        }
    };
    let url = check_url("url", &body.url)?;
    let api_url = match body.api_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => Some(check_url("api_url", u)?),
        None => None,
    };
    let user = body.user.trim().to_owned();
    let need_user = |what: &str| -> Result<(), ApiError> {
        if user.is_empty() {
            Err(ApiError::invalid("user", format!("a {} site needs {what}", kind.as_str())))
        } else {
            Ok(())
        }
    };
    match kind {
        JiraAuthKind::ApiToken if !user.contains('@') => {
            return Err(ApiError::invalid(
                "user",
                "an api_token site needs the Atlassian account's email",
            ));
        }
        JiraAuthKind::Password => need_user("the username")?,
        JiraAuthKind::OAuth2 => need_user("the OAuth 2.0 client id")?,
        JiraAuthKind::OAuth1 => need_user("the OAuth 1.0a consumer key")?,
        _ => {}
    }
    let moved = stored.as_ref().and_then(|s| {
        let o = &s.site.options;
        let option = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
        let new_option =
            |v: &Option<String>| v.as_deref().map(|u| u.trim().trim_end_matches('/').to_owned());
        if s.site.url != url {
            Some("url")
        } else if s.site.api_url != api_url {
            Some("api_url")
        } else if option("token_url") != new_option(&body.options.token_url) {
            Some("options.token_url")
        } else if option("gateway_url") != new_option(&body.options.gateway_url) {
            Some("options.gateway_url")
        } else {
            None
        }
    });
    let given = body.secret.filter(|s| !s.trim().is_empty());
    if let (Some(field), None) = (moved, &given) {
        return Err(ApiError::invalid(
            "secret",
            format!(
                "{field} changed: give the secret again (tether never sends a stored secret \
                 to a new address)"
            ),
        ));
    }
    let kept = stored.filter(|s| s.site.auth_kind == kind);
    let email = body.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
    let api_token = body.api_token.filter(|t| !t.trim().is_empty());
    if kind != JiraAuthKind::OAuth2 && (email.is_some() || api_token.is_some()) {
        return Err(ApiError::invalid(
            if email.is_some() { "email" } else { "api_token" },
            "only oauth2 sites take an email and API token beside their credentials (an \
             api_token site gives the email as user and the token as secret)",
        ));
    }
    let mut platform_email = None;
    let secret = if kind == JiraAuthKind::OAuth2 {
        let (kept_secret, kept_platform) = match &kept {
            Some(s) => {
                let (secret, platform) = tether_sync::jira::oauth2_secrets(s.site, &s.secret)
                    .map_err(|e| ApiError::invalid("secret", e.to_string()))?;
                (Some(secret), platform)
            }
            None => (None, None),
        };
        let client_secret = given.map(SecretString::from).or(kept_secret).ok_or_else(|| {
            ApiError::invalid("secret", "an oauth2 site needs the client secret as secret")
        })?;
        match email {
            None if api_token.is_some() => {
                return Err(ApiError::invalid(
                    "email",
                    "an API token needs the email of the Atlassian account it belongs to",
                ));
            }
            None => client_secret,
            Some(e) => {
                if !e.contains('@') {
                    return Err(ApiError::invalid(
                        "email",
                        "expected the email of the Atlassian account the API token belongs to",
                    ));
                }
                if let (Some(field), None) = (moved, &api_token) {
                    return Err(ApiError::invalid(
                        "api_token",
                        format!(
                            "{field} changed: give the API token again (tether never sends \
                                 a stored secret to a new address)"
                        ),
                    ));
                }
                let token = match (api_token, kept_platform) {
                    (Some(t), _) => t,
                    (None, Some(p)) if p.email == e => p.token.expose_secret().to_owned(),
                    (None, _) => {
                        return Err(ApiError::invalid(
                            "api_token",
                            format!(
                                "give the API token of {e} (tether keeps a stored token only \
                                     for the same account)"
                            ),
                        ));
                    }
                };
                platform_email = Some(e.to_owned());
                SecretString::from(
                    json!({"client_secret": client_secret.expose_secret(), "api_token": token})
                        .to_string(),
                )
            }
        }
    } else if kind == JiraAuthKind::OAuth1 {
        let kept = kept.map(|s| s.secret);
        let old: Value = kept
            .as_ref()
            .and_then(|s| serde_json::from_str(s.expose_secret()).ok())
            .unwrap_or_default();
        let pem = given.or_else(|| old["private_key_pem"].as_str().map(str::to_owned));
        let pem = pem.ok_or_else(|| {
            ApiError::invalid("secret", "an oauth1 site needs the RSA private key (PEM) as secret")
        })?;
        if !pem.contains("PRIVATE KEY") {
            return Err(ApiError::invalid(
                "secret",
                "expected an RSA private key in PEM form (-----BEGIN PRIVATE KEY-----)",
            ));
        }
        let token = body
            .access_token
            .filter(|s| !s.trim().is_empty())
            .or_else(|| old["access_token"].as_str().map(str::to_owned))
            .ok_or_else(|| {
                ApiError::invalid(
                    "access_token",
                    "an oauth1 site needs the access token from the OAuth 1.0a dance",
                )
            })?;
        SecretString::from(json!({"private_key_pem": pem, "access_token": token}).to_string())
    } else {
        if body.access_token.is_some() {
            return Err(ApiError::invalid(
                "access_token",
                "only oauth1 sites take an access_token",
            ));
        }
        match (given, kept.map(|s| s.secret)) {
            (Some(s), _) => SecretString::from(s),
            (None, Some(s)) => s,
            (None, None) => {
                let what = match kind {
                    JiraAuthKind::ApiToken => "the API token",
                    JiraAuthKind::Password => "the password",
                    JiraAuthKind::Pat => "the personal access token",
                    _ => "the client secret",
                };
                return Err(ApiError::invalid(
                    "secret",
                    format!("a {} site needs {what} as secret", kind.as_str()),
                ));
            }
        }
    };
    let mut options = Map::new();
    let o = body.options;
    if kind != JiraAuthKind::OAuth2 && (o.token_url.is_some() || o.gateway_url.is_some()) {
        let field = if o.token_url.is_some() { "options.token_url" } else { "options.gateway_url" };
        return Err(ApiError::invalid(field, "only oauth2 sites take a token or gateway URL"));
    }
    if let Some(e) = platform_email {
        options.insert(tether_sync::jira::PLATFORM_EMAIL.into(), e.into());
    }
    if let Some(u) = o.token_url {
        options.insert("token_url".into(), check_url("options.token_url", &u)?.into());
    }
    if let Some(u) = o.gateway_url {
        options.insert("gateway_url".into(), check_url("options.gateway_url", &u)?.into());
    }
    if let Some(n) = o.requests_per_second {
        if !(n > 0.0 && n <= 1000.0) {
            return Err(ApiError::invalid(
                "options.requests_per_second",
                "expected a number of requests per second above 0 and at most 1000",
            ));
        }
        options.insert("requests_per_second".into(), json!(n));
    }
    if let Some(n) = o.max_concurrency {
        if !(1..=64).contains(&n) {
            return Err(ApiError::invalid("options.max_concurrency", "expected 1 to 64"));
        }
        options.insert("max_concurrency".into(), json!(n));
    }
    Ok(NewJiraSite {
        name,
        url,
        api_url,
        deployment: None,
        auth_kind: kind,
        auth_user: user,
        secret,
        options,
    })
}

/// A site's settings from the API's site JSON, checked field by field as the API checks
/// them (no stored secret to keep: the body gives it), for commands that act on the
/// database directly (`tether jira migrate-site`). Errors name the field.
pub fn site_from_body(name: &str, body: Value) -> Result<NewJiraSite, ApiError> {
    let body: SiteBody =
        serde_json::from_value(body).map_err(|e| ApiError::invalid("body", e.to_string()))?;
    build_site(name.to_owned(), body, None)
}

/// A connection test's findings, for people: every problem is a sentence saying
/// what to change.
#[derive(Debug, Serialize)]
pub(crate) struct ReportView {
    pub site: String,
    pub ok: bool,
    /// `cloud` or `dc`.
    pub deployment: Option<&'static str>,
    pub version: Option<String>,
    pub server_title: Option<String>,
    pub account: Option<String>,
    pub projects_checked: Vec<String>,
    pub projects_ok: Vec<String>,
    /// What the test checked beyond reaching the site (OAuth credentials: the DevOps APIs).
    pub checked: Vec<String>,
    /// What the credentials cannot do however they are set up, and what would.
    pub limits: Vec<String>,
    pub messages: Vec<String>,
}

/// Runs the client's connection test on a stored site and records the
/// deployment it found.
pub(crate) async fn run_test(
    state: &AppState,
    site: &JiraSite,
    projects: Option<Vec<String>>,
) -> Result<ReportView, ApiError> {
    let projects = match projects {
        Some(p) => p.iter().map(|p| p.trim().to_ascii_uppercase()).collect(),
        None => linked_jira_projects(state, site.id).await?,
    };
    let secret = state.store.jira_site_secret(site.id).await?;
    let auth = match auth_for_site(site, &secret) {
        Ok(a) => a,
        Err(e) => {
            return Ok(ReportView {
                site: site.name.clone(),
                ok: false,
                deployment: None,
                version: None,
                server_title: None,
                account: None,
                projects_checked: projects,
                projects_ok: vec![],
                checked: vec![],
                limits: vec![],
                messages: vec![e.to_string()],
            });
        }
    };
    let jira_site =
        tether_jira::Site { web_url: site.url.clone(), api_url: site.api_url.clone(), auth };
    let options = tether_sync::jira::clients::options_for_site(
        site,
        &tether_jira::Options {
            outbound: state.config.outbound,
            ..crate::jira::interactive_options()
        },
    );
    // On Cloud flags go through the Feature Flags API, and code changes through the
    // Development Information API (checked only there); Data Center takes remote links.
    // A Connect app reaches only the APIs its descriptor declares: tether's declares flags.
    let mut features = vec![tether_jira::Feature::ReadIssues, tether_jira::Feature::FeatureFlags];
    if site.auth_kind != JiraAuthKind::Connect {
        features.push(tether_jira::Feature::DevelopmentInformation);
    }
    if site.deployment.as_deref() == Some("dc") {
        features.push(tether_jira::Feature::RemoteLinks);
    }
    let keys: Vec<&str> = projects.iter().map(String::as_str).collect();
    let report = tether_jira::test_connection(&jira_site, &options, &keys, &features).await;
    let deployment = report.deployment.as_ref().map(|d| if d.is_cloud() { "cloud" } else { "dc" });
    if let Some(d) = deployment
        && site.deployment.as_deref() != Some(d)
    {
        state.store.set_jira_site_deployment(site.id, d).await?;
    }
    // The cloudId tells which Forge installations are this site's (matched in the store).
    if let Some(cloud_id) = &report.cloud_id
        && site.cloud_id.as_ref() != Some(cloud_id)
    {
        state.store.set_jira_site_cloud_id(site.id, cloud_id).await?;
    }
    // Jira's name for itself names the site on the Integrations page.
    if let Some(title) = report.server.as_ref().and_then(|s| s.server_title.as_deref())
        && site.options.get("server_title").and_then(Value::as_str) != Some(title.trim())
    {
        state.store.set_jira_site_server_title(site.id, title).await?;
    }
    Ok(ReportView {
        site: site.name.clone(),
        ok: report.is_ok(),
        deployment,
        version: report
            .deployment
            .as_ref()
            .and_then(|d| d.version.map(|v| v.to_string()))
            .or_else(|| report.server.as_ref().and_then(|s| s.version.clone())),
        server_title: report.server.as_ref().and_then(|s| s.server_title.clone()),
        account: report.account.as_ref().map(|u| {
            let name = u.display_name.clone().or_else(|| u.name.clone()).unwrap_or_default();
            match &u.email_address {
                Some(email) => format!("{name} <{email}>"),
                None => name,
            }
        }),
        projects_checked: projects,
        projects_ok: report.projects_ok.clone(),
        checked: report.checked.clone(),
        limits: report.limits.clone(),
        messages: report.messages(),
    })
}

/// The Jira project keys of issues linked in tether projects reporting to `site_id`.
async fn linked_jira_projects(state: &AppState, site_id: i64) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for (project, flag) in state.store.flags_for_site(site_id).await? {
        for link in state.store.issue_links(Some(&project), Some(&flag)).await? {
            if let Some((jira_project, _)) = link.issue.split_once('-')
                && !out.iter().any(|p| p == jira_project)
                && out.len() < 10
            {
                out.push(jira_project.to_owned());
            }
        }
    }
    Ok(out)
}

/// A site URL's literal address, checked against the outbound policy when the
/// site is saved (names are checked when resolved, at every call).
pub(crate) fn check_reachable(
    policy: tether_jira::OutboundPolicy,
    new: &NewJiraSite,
) -> Result<(), ApiError> {
    let options = |k: &str| new.options.get(k).and_then(Value::as_str).map(str::to_owned);
    let fields = [
        ("url", Some(new.url.clone())),
        ("api_url", new.api_url.clone()),
        ("options.token_url", options("token_url")),
        ("options.gateway_url", options("gateway_url")),
    ];
    for (field, url) in fields {
        let Some(url) = url else { continue };
        policy.check_url_text(&url).map_err(|e| ApiError::invalid(field, e.to_string()))?;
    }
    Ok(())
}
