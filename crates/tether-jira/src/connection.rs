//! The connection test a person runs when setting up a site: serverInfo, myself and the
//! permissions the chosen features need, turned into messages that say what to change.

use secrecy::ExposeSecret;
use std::fmt;
use std::time::Duration;

use crate::auth::Auth;
use crate::client::{Client, Options, Site, deployment_of, parse_base};
use crate::devops::{Access, DevOpsApi};
use crate::error::Error;
use crate::version::{Deployment, DeploymentKind, is_cloud_host};
use crate::wire::{ServerInfo, User};

/// What tether will do on a site; each needs some project permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    ReadIssues,
    Comment,
    RemoteLinks,
    Transition,
    CreateIssues,
    EditIssues,
    /// Smart Commits' `#time`.
    LogWork,
    /// Cloud: flags on issues through the Feature Flags API (OAuth credentials or an app).
    FeatureFlags,
    /// Cloud: commits and pull requests on issues through the Development Information API.
    DevelopmentInformation,
}

impl Feature {
    /// The DevOps API the feature sends through, on Cloud.
    pub fn devops_api(self) -> Option<DevOpsApi> {
        match self {
            Feature::FeatureFlags => Some(DevOpsApi::FeatureFlags),
            Feature::DevelopmentInformation => Some(DevOpsApi::DevelopmentInformation),
            _ => None,
        }
    }

    /// Jira permission keys the feature needs in each project.
    pub fn permissions(self) -> &'static [&'static str] {
        match self {
            Feature::ReadIssues => &["BROWSE_PROJECTS"],
            Feature::Comment => &["BROWSE_PROJECTS", "ADD_COMMENTS"],
            Feature::RemoteLinks => &["BROWSE_PROJECTS", "LINK_ISSUES"],
            Feature::Transition => &["BROWSE_PROJECTS", "TRANSITION_ISSUES", "RESOLVE_ISSUES"],
            Feature::CreateIssues => &["BROWSE_PROJECTS", "CREATE_ISSUES"],
            Feature::EditIssues => &["BROWSE_PROJECTS", "EDIT_ISSUES"],
            Feature::LogWork => &["BROWSE_PROJECTS", "WORK_ON_ISSUES"],
            // Granted to the credential itself, not per project: see `devops_api`.
            Feature::FeatureFlags | Feature::DevelopmentInformation => &[],
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Feature::ReadIssues => "read issues",
            Feature::Comment => "comment on issues",
            Feature::RemoteLinks => "link code changes to issues",
            Feature::Transition => "move issues through their workflow",
            Feature::CreateIssues => "create issues",
            Feature::EditIssues => "edit issues",
            Feature::LogWork => "log work from Smart Commits",
            Feature::FeatureFlags => DevOpsApi::FeatureFlags.used_for(),
            Feature::DevelopmentInformation => DevOpsApi::DevelopmentInformation.used_for(),
        }
    }
}

/// One thing wrong, with what to do about it in [`Problem::message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Unreachable {
        url: String,
        detail: String,
    },
    /// The URL reaches a server, but not Jira's REST API at that path.
    WrongBaseUrl {
        url: String,
        detail: String,
        suggestion: Option<String>,
    },
    NotJira {
        url: String,
        detail: String,
    },
    VersionTooOld {
        detail: String,
    },
    /// Spaces or line breaks around a pasted secret or id (trimmed for the rest of the test).
    SurroundingWhitespace {
        what: &'static str,
    },
    CredentialsRejected {
        advice: String,
    },
    /// Cloud: Jira accepted the API token, but `/myself` names another email: the token
    /// belongs to another account than the email given, and tether would act as that one.
    EmailMismatch {
        configured: String,
        account: String,
        display_name: Option<String>,
    },
    PersonalAccessTokenOnCloud,
    ApiTokenOnDataCenter {
        version: Option<String>,
    },
    /// Another credential kind that the deployment does not take.
    AuthNotForDeployment {
        advice: String,
    },
    CaptchaRequired {
        user: String,
        login_url: Option<String>,
    },
    ProjectNotFound {
        project: String,
    },
    MissingPermission {
        project: String,
        key: String,
        name: String,
        needed_to: Vec<&'static str>,
    },
    /// Cloud: the credentials are a person's login, which the DevOps APIs never take.
    DevOpsNeedsApp {
        api: DevOpsApi,
    },
    /// Cloud: OAuth credentials or an app that Jira refused on a DevOps API.
    DevOpsRefused {
        api: DevOpsApi,
        access: Access,
        /// Whether the credentials are an installed Connect app (else OAuth credentials).
        app: bool,
        detail: String,
    },
    Other {
        detail: String,
    },
}

impl Problem {
    /// A sentence a person can act on.
    pub fn message(&self) -> String {
        match self {
            Problem::Unreachable { url, detail } => format!(
                "Could not reach {url} ({detail}). Check the host name and port, and that this \
                 server may connect to it (proxy, firewall, VPN)."
            ),
            Problem::WrongBaseUrl { url, detail, suggestion } => {
                let hint = match suggestion {
                    Some(s) => format!(" Try {s}."),
                    None => String::new(),
                };
                format!(
                    "{url} is not Jira's base URL ({detail}). Use the address of Jira's front \
                     page without anything after it, such as https://your-site.atlassian.net or \
                     https://jira.example.com/jira.{hint}"
                )
            }
            Problem::NotJira { url, detail } => format!(
                "{url} answered, but not as Jira does ({detail}). Check that the URL is your \
                 Jira and not another product, a login proxy or an intranet page."
            ),
            Problem::VersionTooOld { detail } => format!("{detail}."),
            Problem::SurroundingWhitespace { what } => format!(
                "The {what} has spaces or line breaks around it, probably from copying it. \
                 Paste it again without them (this test went on with it trimmed)."
            ),
            Problem::CredentialsRejected { advice } => {
                format!("Jira rejected the credentials: {advice}")
            }
            Problem::EmailMismatch { configured, account, display_name } => format!(
                "The API token does not belong to {configured}: Jira accepted it as the account \
                 {who}, so tether would act as that account, not as {configured}. Enter \
                 {account} as the email if that account is the one to use; otherwise create an \
                 API token while logged in as {configured} (id.atlassian.com → Security → API \
                 tokens) and paste that one.",
                who = match display_name {
                    Some(name) => format!("{name} <{account}>"),
                    None => account.clone(),
                }
            ),
            Problem::PersonalAccessTokenOnCloud => "This is Jira Cloud, which does not accept \
                 personal access tokens (a Data Center feature). Use your Atlassian account's \
                 email with an API token (id.atlassian.com → Security → API tokens)."
                .to_owned(),
            Problem::ApiTokenOnDataCenter { version } => format!(
                "This is Jira Data Center{}, which does not take an email with an Atlassian API \
                 token. Use a username and password, or a personal access token (your Jira \
                 profile → Personal Access Tokens, Jira 8.14 and later).",
                version.as_deref().map(|v| format!(" {v}")).unwrap_or_default()
            ),
            Problem::AuthNotForDeployment { advice } => advice.clone(),
            Problem::CaptchaRequired { user, login_url } => format!(
                "Jira demands a CAPTCHA for {user} after failed logins, so API logins fail even \
                 with the right password. Log in once in a browser{} and solve it, correct the \
                 password here, then test again; tether does not retry by itself, since every \
                 failed login prolongs the lock.",
                login_url.as_deref().map(|u| format!(" at {u}")).unwrap_or_default()
            ),
            Problem::ProjectNotFound { project } => format!(
                "Project {project} does not exist, or this account cannot browse it. Check the \
                 key, or ask a Jira admin for the Browse Projects permission in it."
            ),
            Problem::MissingPermission { project, key, name, needed_to } => format!(
                "The account lacks the '{name}' permission ({key}) in project {project}, which \
                 tether needs to {}. Ask a Jira admin to grant it in the project's permission \
                 scheme.",
                needed_to.join(", ")
            ),
            Problem::DevOpsNeedsApp { api } => format!(
                "Jira Cloud's {api} accepts only apps, never a person's API token, so tether \
                 cannot {} with these credentials. Create OAuth credentials for tether (Jira \
                 settings → Apps → OAuth credentials → Create credentials, with the '{}' \
                 permission) and register the site with them: kind oauth2, the client id as \
                 user, the client secret as secret. (A site with tether's Connect app \
                 installed works too, until Atlassian ends Connect in December 2026.)",
                api.used_for(),
                api.permission()
            ),
            Problem::DevOpsRefused { api, access, app: false, detail } => format!(
                "These OAuth credentials may not {} through Jira's {api} ({detail}), which \
                 tether needs to {}. In Jira settings → Apps → OAuth credentials, edit tether's \
                 credentials and grant the '{}' permission.",
                access.describe(),
                api.used_for(),
                api.permission()
            ),
            Problem::DevOpsRefused { api, access, app: true, detail } => format!(
                "The installed app may not {} through Jira's {api} ({detail}), which tether \
                 needs to {}. Reinstall the app from tether's current descriptor or manifest, \
                 which declares the module and scopes.",
                access.describe(),
                api.used_for()
            ),
            Problem::Other { detail } => detail.clone(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// What the test found: what answered, who the credentials are, and every problem.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConnectionReport {
    pub server: Option<ServerInfo>,
    pub deployment: Option<Deployment>,
    pub account: Option<User>,
    /// The site's cloudId (`/_edge/tenant_info`) when it is Jira Cloud and answered it: what
    /// tells which Forge installations belong to the site.
    pub cloud_id: Option<String>,
    /// Projects checked and found with every permission the features need.
    pub projects_ok: Vec<String>,
    /// What was checked beyond reaching the site, in words ("Feature Flags API: read and
    /// write"); filled for OAuth credentials, whose test checks the DevOps APIs only.
    pub checked: Vec<String>,
    /// What these credentials cannot do however they are set up, and what would: not problems
    /// to fix, so [`ConnectionReport::is_ok`] ignores them.
    pub limits: Vec<String>,
    pub problems: Vec<Problem>,
}

/// What OAuth credentials leave out, said by the connection test of every site using them.
pub const OAUTH_CREDENTIALS_LIMIT: &str = "OAuth credentials reach only Jira's DevOps APIs \
     (feature flags, development information): they act as no Jira user, so Jira refuses them \
     on issues. tether therefore does not check issue keys before linking them (Jira's answer \
     to each delivery lists the keys it does not know, shown on the flag page), does not write \
     the tether.flags issue property that Jira's JQL on flags searches, and does not comment on \
     or transition issues from code changes. For those, give the site an API token beside the \
     OAuth credentials (an Atlassian account's email and token).";

impl ConnectionReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    pub fn messages(&self) -> Vec<String> {
        self.problems.iter().map(Problem::message).collect()
    }
}

/// Tests a site: can it be reached, is it a supported Jira, do the credentials work and fit
/// the deployment, and does the account hold what `features` need in each of `projects`.
/// Never fails: everything wrong is a [`Problem`] in the report.
pub async fn test_connection(
    site: &Site,
    options: &Options,
    projects: &[&str],
    features: &[Feature],
) -> ConnectionReport {
    let mut report = ConnectionReport::default();
    // A person is waiting: a couple of quick retries, no long waits.
    let options = Options {
        max_retries: options.max_retries.min(1),
        backoff_base: Duration::from_millis(200),
        max_retry_after: Duration::from_secs(5),
        ..options.clone()
    };

    let mut site = site.clone();
    if let Some(suggestion) = suggested_base(&site.web_url) {
        report.problems.push(Problem::WrongBaseUrl {
            url: site.web_url.clone(),
            detail: "it points at a page or API path inside Jira".into(),
            suggestion: Some(suggestion.clone()),
        });
        site.web_url = suggestion;
    }
    let web = match parse_base(&site.web_url) {
        Ok(u) => u,
        Err(e) => {
            report.problems.push(Problem::WrongBaseUrl {
                url: site.web_url.clone(),
                detail: e.to_string(),
                suggestion: None,
            });
            return report;
        }
    };
    if let Some(what) = whitespace_in(&site.auth) {
        report.problems.push(Problem::SurroundingWhitespace { what });
        site.auth = site.auth.trimmed();
    }

    // serverInfo answers without credentials, so this tells "is it Jira" apart from "are the
    // credentials right".
    let host_cloud = web.host_str().is_some_and(is_cloud_host);
    let probe_site = Site { auth: Auth::Anonymous, ..site.clone() };
    let placeholder = Deployment { kind: DeploymentKind::DataCenter, version: None };
    let probe = match Client::with_deployment(probe_site, options.clone(), placeholder, None) {
        Ok(c) => c,
        Err(e) => {
            report.problems.push(Problem::Other { detail: e.to_string() });
            return report;
        }
    };
    let url = site.web_url.trim_end_matches('/').to_owned();
    let deployment = match probe.server_info().await {
        Ok(info) if info.version.is_none() && info.deployment_type.is_none() => {
            report.problems.push(Problem::NotJira {
                url,
                detail: "serverInfo has neither version nor deploymentType".into(),
            });
            return report;
        }
        Ok(info) => {
            let d = deployment_of(&info, host_cloud);
            report.server = Some(info);
            d
        }
        Err(Error::Transport(detail)) => {
            report.problems.push(Problem::Unreachable { url, detail });
            return report;
        }
        Err(Error::NotFound { .. }) => {
            report.problems.push(Problem::WrongBaseUrl {
                url,
                detail: "/rest/api/2/serverInfo answered 404".into(),
                suggestion: None,
            });
            return report;
        }
        Err(Error::Decode { detail, .. }) => {
            report.problems.push(Problem::NotJira { url, detail: format!("serverInfo: {detail}") });
            return report;
        }
        Err(_) if host_cloud => Deployment { kind: DeploymentKind::Cloud, version: None },
        Err(e) => {
            report.problems.push(Problem::NotJira { url, detail: e.to_string() });
            return report;
        }
    };
    report.deployment = Some(deployment.clone());
    if options.refuse_old_data_center
        && let Err(detail) = deployment.check_supported()
    {
        report.problems.push(Problem::VersionTooOld { detail });
        return report;
    }

    let mismatch = auth_mismatch(&site.auth, &deployment);
    let mismatched = mismatch.is_some();
    report.problems.extend(mismatch);

    let client = match connect_with(&site, &options, deployment.clone()).await {
        Ok(c) => c,
        Err(e) => {
            report.problems.extend(auth_problem(&site.auth, e, mismatched));
            return report;
        }
    };
    if deployment.is_cloud() {
        // Anonymous and harmless; a site that does not answer it is no problem of the test's.
        report.cloud_id = match client.cloud_id() {
            Some(id) => Some(id.to_owned()),
            None => client.tenant_cloud_id().await.ok(),
        };
    }
    if !site.auth.reaches_platform_apis() {
        // Neither `/myself` nor project permissions: Jira answers them 401 for these
        // credentials, which act as no user.
        report.limits.push(OAUTH_CREDENTIALS_LIMIT.to_owned());
        check_devops(&client, &site.auth, features, &mut report).await;
        return report;
    }
    // Beside OAuth credentials, an API token makes the platform calls: its problems are an
    // API token's.
    let platform_auth = match site.auth.platform_token() {
        Some(p) => Auth::ApiToken { email: p.email.clone(), token: p.token.clone() },
        None => site.auth.clone(),
    };
    let account = match client.myself().await {
        Ok(u) => u,
        Err(e) => {
            report.problems.extend(auth_problem(&platform_auth, e, mismatched));
            return report;
        }
    };
    // A hidden email (Cloud privacy settings) comes absent or empty: nothing to compare then.
    if let (Auth::ApiToken { email, .. }, Some(actual)) = (&platform_auth, &account.email_address)
        && !actual.trim().is_empty()
        && !email.trim().eq_ignore_ascii_case(actual.trim())
    {
        report.problems.push(Problem::EmailMismatch {
            configured: email.trim().to_owned(),
            account: actual.clone(),
            display_name: account.display_name.clone(),
        });
    }
    report.account = Some(account);

    if deployment.is_cloud() {
        check_devops(&client, &site.auth, features, &mut report).await;
    }

    let mut needed: Vec<&'static str> = Vec::new();
    for f in features {
        for p in f.permissions() {
            if !needed.contains(p) {
                needed.push(p);
            }
        }
    }
    if needed.is_empty() {
        return report;
    }
    for &project in projects {
        match client.my_permissions(Some(project), &needed).await {
            Ok(grants) => {
                let before = report.problems.len();
                for key in &needed {
                    let grant = grants.iter().find(|g| g.key == *key);
                    if grant.is_some_and(|g| g.have_permission) {
                        continue;
                    }
                    let needed_to = features
                        .iter()
                        .filter(|f| f.permissions().contains(key))
                        .map(|f| f.describe())
                        .collect();
                    report.problems.push(Problem::MissingPermission {
                        project: project.to_owned(),
                        key: (*key).to_owned(),
                        name: grant
                            .and_then(|g| g.name.clone())
                            .unwrap_or_else(|| (*key).to_owned()),
                        needed_to,
                    });
                }
                if report.problems.len() == before {
                    report.projects_ok.push(project.to_owned());
                }
            }
            Err(Error::NotFound { .. }) => {
                report.problems.push(Problem::ProjectNotFound { project: project.to_owned() })
            }
            Err(e) => report.problems.push(Problem::Other {
                detail: format!("Could not read permissions in project {project}: {e}"),
            }),
        }
    }
    report
}

/// Whether the credentials may read and write through every DevOps API `features` send
/// through: a person's login never may; OAuth credentials and apps are probed.
async fn check_devops(
    client: &Client,
    auth: &Auth,
    features: &[Feature],
    report: &mut ConnectionReport,
) {
    let mut apis: Vec<DevOpsApi> = Vec::new();
    for api in features.iter().filter_map(|f| f.devops_api()) {
        if !apis.contains(&api) {
            apis.push(api);
        }
    }
    for api in apis {
        if !auth.reaches_devops_apis() {
            report.problems.push(Problem::DevOpsNeedsApp { api });
            continue;
        }
        let mut allowed: Vec<&str> = Vec::new();
        for access in [Access::Read, Access::Write] {
            match client.probe_devops(api, access).await {
                Ok(()) => allowed.push(match access {
                    Access::Read => "read",
                    Access::Write => "write",
                }),
                Err(e @ (Error::Unauthorized { .. } | Error::Forbidden { .. })) => {
                    let detail = match e.messages() {
                        [] => e.to_string(),
                        m => m.join("; "),
                    };
                    let app = matches!(auth, Auth::Connect { .. });
                    report.problems.push(Problem::DevOpsRefused { api, access, app, detail });
                    break;
                }
                Err(e) => {
                    report.problems.push(Problem::Other {
                        detail: format!("Could not check access to Jira's {api}: {e}"),
                    });
                    break;
                }
            }
        }
        report.checked.push(match allowed.as_slice() {
            [] => format!("{api}: refused"),
            a => format!("{api}: {} allowed", a.join(" and ")),
        });
    }
}

async fn connect_with(
    site: &Site,
    options: &Options,
    deployment: Deployment,
) -> Result<Client, Error> {
    if matches!(site.auth, Auth::OAuth2 { .. }) {
        // The gateway needs the cloudId; `connect` finds it.
        return Client::connect(site.clone(), options.clone()).await;
    }
    Client::with_deployment(site.clone(), options.clone(), deployment, None)
}

/// A URL someone copied from the address bar or an API call, cut back to Jira's base.
fn suggested_base(url: &str) -> Option<String> {
    let trimmed = url.trim();
    let lower = trimmed.to_ascii_lowercase();
    let markers =
        ["/rest/", "/browse/", "/secure/", "/projects/", "/jira/software/", "/plugins/servlet/"];
    let cut = markers.iter().filter_map(|m| lower.find(m)).min()?;
    Some(trimmed[..cut].to_owned())
}

fn whitespace_in(auth: &Auth) -> Option<&'static str> {
    let padded = |s: &str| s != s.trim();
    match auth {
        Auth::ApiToken { email, .. } if padded(email) => return Some("email"),
        Auth::Password { username, .. } if padded(username) => return Some("username"),
        _ => {}
    }
    if let Some(p) = auth.platform_token() {
        if padded(&p.email) {
            return Some("email");
        }
        if padded(p.token.expose_secret()) {
            return Some("API token");
        }
    }
    let what = match auth {
        Auth::ApiToken { .. } => "API token",
        Auth::Password { .. } => "password",
        Auth::PersonalAccessToken { .. } => "personal access token",
        Auth::OAuth2 { .. } => "client secret",
        Auth::Connect { .. } => "shared secret",
        Auth::OAuth1 { .. } => "access token",
        Auth::Anonymous => return None,
    };
    auth.pasted_secret().is_some_and(padded).then_some(what)
}

fn auth_mismatch(auth: &Auth, d: &Deployment) -> Option<Problem> {
    let cloud_only = |what: &str| Problem::AuthNotForDeployment {
        advice: format!(
            "{what} works with Jira Cloud only, and this is Jira Data Center. Use a username \
             and password, or a personal access token."
        ),
    };
    match (auth, d.kind) {
        (Auth::PersonalAccessToken { .. }, DeploymentKind::Cloud) => {
            Some(Problem::PersonalAccessTokenOnCloud)
        }
        (Auth::ApiToken { .. }, DeploymentKind::DataCenter) => {
            Some(Problem::ApiTokenOnDataCenter { version: d.version.map(|v| v.to_string()) })
        }
        (Auth::Password { .. }, DeploymentKind::Cloud) => Some(Problem::AuthNotForDeployment {
            advice: "This is Jira Cloud, which does not accept account passwords over its API. \
                     Use your Atlassian account's email with an API token."
                .into(),
        }),
        (Auth::OAuth1 { .. }, DeploymentKind::Cloud) => Some(Problem::AuthNotForDeployment {
            advice: "OAuth 1.0a application links are deprecated on Jira Cloud. Use an email \
                     with an API token, or OAuth 2.0 client credentials."
                .into(),
        }),
        (Auth::OAuth2 { .. }, DeploymentKind::DataCenter) => {
            Some(cloud_only("OAuth 2.0 through Atlassian's gateway"))
        }
        (Auth::Connect { .. }, DeploymentKind::DataCenter) => Some(cloud_only("A Connect app")),
        _ => None,
    }
}

/// The problem behind a failed `myself`; `None` when the credential/deployment mismatch
/// already explains it.
fn auth_problem(auth: &Auth, e: Error, mismatched: bool) -> Option<Problem> {
    Some(match e {
        Error::Unauthorized { denied_reason: Some(reason) }
            if reason.to_ascii_uppercase().contains("CAPTCHA") =>
        {
            let user = match auth {
                Auth::Password { username, .. } => username.clone(),
                Auth::ApiToken { email, .. } => email.clone(),
                _ => "this account".into(),
            };
            let login_url = reason
                .split(';')
                .find_map(|part| part.trim().strip_prefix("login-url="))
                .map(str::to_owned);
            Problem::CaptchaRequired { user, login_url }
        }
        Error::Unauthorized { .. } if mismatched => return None,
        Error::Unauthorized { .. } => Problem::CredentialsRejected {
            advice: match auth {
                Auth::ApiToken { email, .. } => format!(
                    "either the API token is wrong, expired or revoked, or it belongs to an \
                     Atlassian account whose email is not {email} (a token only works with its \
                     own account's email). Create a new token while logged in as {email}."
                ),
                Auth::Password { username, .. } => format!(
                    "the username {username} or its password is wrong. Check both; repeated \
                     failures make Jira demand a CAPTCHA."
                ),
                Auth::PersonalAccessToken { .. } => "the personal access token is wrong, \
                     expired or revoked. Create a new one in your Jira profile."
                    .into(),
                Auth::OAuth2 { .. } => "the OAuth 2.0 client id or secret is wrong, or the \
                     credentials were revoked. Check them in the site's admin settings."
                    .into(),
                Auth::Connect { .. } => "the Connect app is not installed on this site, or its \
                     shared secret changed (it does on every reinstall)."
                    .into(),
                Auth::OAuth1 { .. } => "the application link does not know this consumer key \
                     and public key, or the access token was revoked."
                    .into(),
                Auth::Anonymous => "this site needs credentials.".into(),
            },
        },
        Error::Forbidden { messages } => Problem::Other {
            detail: format!(
                "Jira refused access to this account{}. It may be deactivated or lack the \
                 product licence (Jira Software or Jira Work Management).",
                if messages.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", messages.join("; "))
                }
            ),
        },
        Error::Transport(detail) => Problem::Unreachable { url: "the Jira API".into(), detail },
        other => Problem::Other { detail: format!("Reading the current user failed: {other}") },
    })
}
