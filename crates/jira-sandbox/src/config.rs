//! Typed configuration of a sandbox: flavour, users, projects, workflows and knobs.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Which Jira the sandbox pretends to be. Chosen once, at construction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Flavour {
    /// Jira Cloud: platform API v2 and v3, accountId users, the new paged search.
    Cloud,
    /// Jira Data Center / Server: API v2 only, name/key users, startAt paging.
    DataCenter {
        /// Reported by serverInfo, e.g. `9.12.0`, `7.13.0` or `6.4`: any Jira Server/Data
        /// Center from 6.x to 11.x. What the sandbox serves follows it: personal access tokens
        /// from 8.14, the paged create metadata from 8.4, the legacy one until 9.0, user keys
        /// `JIRAUSER…` from 8.0 (lower-cased names before).
        version: String,
    },
}

impl Flavour {
    /// A Data Center flavour reporting the given version.
    pub fn data_center(version: impl Into<String>) -> Self {
        Flavour::DataCenter { version: version.into() }
    }

    pub fn is_cloud(&self) -> bool {
        matches!(self, Flavour::Cloud)
    }

    /// A Data Center version as `(major, minor, patch)`: `6.4` is `(6, 4, 0)`, `9.12.1-m3` is
    /// `(9, 12, 1)`. `None` on Cloud, or for a version that does not start with a number.
    pub fn dc_version(&self) -> Option<(u32, u32, u32)> {
        let Flavour::DataCenter { version } = self else { return None };
        let mut parts = version.split('.').map(|p| {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        });
        let major = parts.next().flatten()?;
        let minor = parts.next().flatten().unwrap_or(0);
        let patch = parts.next().flatten().unwrap_or(0);
        Some((major, minor, patch))
    }
}

/// Everything a sandbox needs at start. `Default` gives the documented defaults: Cloud, one
/// `admin` user, one software project `SAND`, the default workflow and no faults.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub flavour: Flavour,
    pub users: Vec<UserSpec>,
    pub projects: Vec<ProjectSpec>,
    pub knobs: Knobs,
    /// Seed of the RNG used for fault injection, so a run with faults can be replayed.
    pub rng_seed: u64,
    /// Absolute base URL used in `self` links; when `None` it is taken from each request's
    /// `Host` header, which is what a sandbox on port 0 needs.
    pub base_url: Option<String>,
    /// The time zone serverInfo reports. Stored timestamps are always rendered in UTC.
    pub server_time_zone: String,
    /// The site's name for itself, serverInfo's `serverTitle` (an admin sets it in Jira's
    /// general configuration; "Jira" until then).
    pub server_title: String,
    /// Everyone holds every permission except these.
    pub denied_permissions: Vec<PermissionDenial>,
    /// Cloud: OAuth 2.0 client-credentials apps (`POST /oauth/token`).
    pub oauth_clients: Vec<OAuthClient>,
    /// Issue security levels; issues are put in one with `Sandbox::set_issue_security`.
    pub security_levels: Vec<SecurityLevelSpec>,
    /// Data Center: OAuth 1.0a consumers (application links) allowed to sign requests.
    pub oauth1_consumers: Vec<OAuth1ConsumerSpec>,
}

/// An issue security level: issues in it are visible (and searchable) by its members only;
/// everyone else gets 404 as if the issue did not exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityLevelSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Login names of the users who may see issues at this level.
    pub members: Vec<String>,
}

/// An OAuth 1.0a consumer as a Jira admin registers it for an application link: the
/// consumer key and the RSA public key (PEM, PKCS#8 `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`)
/// its RSA-SHA1 signatures are checked against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuth1ConsumerSpec {
    pub consumer_key: String,
    #[serde(default)]
    pub name: String,
    pub public_key_pem: String,
}

/// OAuth 2.0 credentials a site admin created for a self-hosted tool ("OAuth credentials" in
/// Jira Cloud's admin): its tokens call the DevOps APIs its `permissions` allow, and the
/// platform API as `user`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_secret: String,
    /// Login name of the user the client's tokens act as on the platform API.
    pub user: String,
    /// What the credential may do with the DevOps APIs; every permission by default.
    #[serde(default = "DevOpsPermission::all")]
    pub permissions: Vec<DevOpsPermission>,
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("user", &self.user)
            .field("permissions", &self.permissions)
            .finish()
    }
}

impl OAuthClient {
    /// `sandbox-client` / `sandbox-secret`, acting as `admin`, with every permission.
    pub fn default_client() -> Self {
        OAuthClient {
            client_id: DEFAULT_OAUTH_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_OAUTH_CLIENT_SECRET.to_owned(),
            user: DEFAULT_USER.to_owned(),
            permissions: DevOpsPermission::all(),
        }
    }
}

/// One permission of OAuth credentials: read or write (which includes delete) access to one
/// of Jira Software Cloud's DevOps APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DevOpsPermission {
    FeatureFlagsRead,
    FeatureFlagsWrite,
    DevelopmentInfoRead,
    DevelopmentInfoWrite,
    BuildsRead,
    BuildsWrite,
    DeploymentsRead,
    DeploymentsWrite,
}

impl DevOpsPermission {
    pub fn all() -> Vec<DevOpsPermission> {
        use DevOpsPermission::*;
        vec![
            FeatureFlagsRead,
            FeatureFlagsWrite,
            DevelopmentInfoRead,
            DevelopmentInfoWrite,
            BuildsRead,
            BuildsWrite,
            DeploymentsRead,
            DeploymentsWrite,
        ]
    }

    /// The OAuth 2.0 scope a token granted this permission carries.
    pub fn scope(self) -> &'static str {
        use DevOpsPermission::*;
        match self {
            FeatureFlagsRead => "read:feature-flag:jira-software",
            FeatureFlagsWrite => "write:feature-flag:jira-software",
            DevelopmentInfoRead => "read:dev-info:jira",
            DevelopmentInfoWrite => "write:dev-info:jira",
            BuildsRead => "read:build:jira-software",
            BuildsWrite => "write:build:jira-software",
            DeploymentsRead => "read:deployment:jira-software",
            DeploymentsWrite => "write:deployment:jira-software",
        }
    }
}

pub const DEFAULT_OAUTH_CLIENT_ID: &str = "sandbox-client";
pub const DEFAULT_OAUTH_CLIENT_SECRET: &str = "sandbox-secret";
/// The `cloudId` of every Cloud sandbox (`/_edge/tenant_info`, gateway URLs).
pub const CLOUD_ID: &str = "5a4db0c5-e7d1-4c3a-8f00-5e1f4c3a0001";

/// A permission a user lacks, in one project or (with `project: None`) everywhere.
/// Without `BROWSE_PROJECTS` a project and its issues are invisible to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionDenial {
    /// Login name.
    pub user: String,
    /// Project key; `None` for every project and for global permissions.
    pub project: Option<String>,
    /// Jira permission key, e.g. `CREATE_ISSUES` or `ADMINISTER`.
    pub permission: String,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            flavour: Flavour::Cloud,
            users: vec![UserSpec::admin()],
            projects: vec![ProjectSpec::new("SAND", "Sandbox", ProjectType::Software)],
            knobs: Knobs::default(),
            rng_seed: 0x5eed,
            base_url: None,
            server_time_zone: "UTC".to_owned(),
            server_title: "Jira".to_owned(),
            denied_permissions: Vec::new(),
            oauth_clients: vec![OAuthClient::default_client()],
            security_levels: Vec::new(),
            oauth1_consumers: Vec::new(),
        }
    }
}

impl SandboxConfig {
    /// The defaults with another flavour.
    pub fn with_flavour(flavour: Flavour) -> Self {
        SandboxConfig { flavour, ..SandboxConfig::default() }
    }
}

/// A user and the credentials it may log in with. A credential left `None` cannot be used.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSpec {
    /// Data Center login name; also the base of the Cloud accountId when `account_id` is unset.
    pub name: String,
    pub display_name: String,
    pub email: String,
    /// Cloud accountId; derived deterministically from `name` when `None`.
    pub account_id: Option<String>,
    /// IANA name shown by `/myself`. Its offset is `utc_offset_minutes` all year: the sandbox
    /// carries no time-zone database, so there is no daylight saving time.
    pub time_zone: String,
    /// Offset used to read JQL date strings typed by this user.
    pub utc_offset_minutes: i32,
    /// Cloud: Basic `email:api_token`.
    pub api_token: Option<String>,
    /// Data Center: Basic `name:password`.
    pub password: Option<String>,
    /// Data Center (8.14+): `Authorization: Bearer <pat>`.
    pub personal_access_token: Option<String>,
}

impl UserSpec {
    /// The default user everybody can try: `admin` / `admin@sandbox.test` / `sandbox-token`
    /// (Cloud) / password `admin` / PAT `sandbox-pat` (Data Center).
    pub fn admin() -> Self {
        UserSpec {
            name: "admin".to_owned(),
            display_name: "Sandbox Admin".to_owned(),
            email: DEFAULT_EMAIL.to_owned(),
            account_id: None,
            time_zone: "UTC".to_owned(),
            utc_offset_minutes: 0,
            api_token: Some(DEFAULT_API_TOKEN.to_owned()),
            password: Some(DEFAULT_PASSWORD.to_owned()),
            personal_access_token: Some(DEFAULT_PAT.to_owned()),
        }
    }

    /// A user with no credentials (it can be reporter or assignee, not log in).
    pub fn named(name: &str, display_name: &str) -> Self {
        UserSpec {
            name: name.to_owned(),
            display_name: display_name.to_owned(),
            email: format!("{name}@sandbox.test"),
            account_id: None,
            time_zone: "UTC".to_owned(),
            utc_offset_minutes: 0,
            api_token: None,
            password: None,
            personal_access_token: None,
        }
    }
}

/// Secrets stay out of logs and panic messages.
impl fmt::Debug for UserSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |s: &Option<String>| s.as_ref().map(|_| "<redacted>");
        f.debug_struct("UserSpec")
            .field("name", &self.name)
            .field("display_name", &self.display_name)
            .field("email", &self.email)
            .field("account_id", &self.account_id)
            .field("time_zone", &self.time_zone)
            .field("utc_offset_minutes", &self.utc_offset_minutes)
            .field("api_token", &redact(&self.api_token))
            .field("password", &redact(&self.password))
            .field("personal_access_token", &redact(&self.personal_access_token))
            .finish()
    }
}

pub const DEFAULT_USER: &str = "admin";
pub const DEFAULT_EMAIL: &str = "admin@sandbox.test";
pub const DEFAULT_API_TOKEN: &str = "sandbox-token";
pub const DEFAULT_PASSWORD: &str = "admin";
pub const DEFAULT_PAT: &str = "sandbox-pat";

/// Jira's `projectTypeKey`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectType {
    Software,
    Business,
    ServiceDesk,
}

impl ProjectType {
    pub fn key(self) -> &'static str {
        match self {
            ProjectType::Software => "software",
            ProjectType::Business => "business",
            ProjectType::ServiceDesk => "service_desk",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectSpec {
    pub key: String,
    pub name: String,
    pub project_type: ProjectType,
    /// Login name of the lead; the first user when `None`.
    pub lead: Option<String>,
    pub workflow: Workflow,
}

impl ProjectSpec {
    pub fn new(key: &str, name: &str, project_type: ProjectType) -> Self {
        ProjectSpec {
            key: key.to_owned(),
            name: name.to_owned(),
            project_type,
            lead: None,
            workflow: Workflow::default(),
        }
    }
}

/// Jira's three status categories (the fourth, `undefined`, never appears on an issue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusCategory {
    New,
    Indeterminate,
    Done,
}

impl StatusCategory {
    pub fn key(self) -> &'static str {
        match self {
            StatusCategory::New => "new",
            StatusCategory::Indeterminate => "indeterminate",
            StatusCategory::Done => "done",
        }
    }
    pub fn id(self) -> u32 {
        match self {
            StatusCategory::New => 2,
            StatusCategory::Indeterminate => 4,
            StatusCategory::Done => 3,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            StatusCategory::New => "To Do",
            StatusCategory::Indeterminate => "In Progress",
            StatusCategory::Done => "Done",
        }
    }
    pub fn color_name(self) -> &'static str {
        match self {
            StatusCategory::New => "blue-gray",
            StatusCategory::Indeterminate => "yellow",
            StatusCategory::Done => "green",
        }
    }
}

/// A project's workflow. The first status is where new issues start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workflow {
    pub statuses: Vec<StatusSpec>,
    pub transitions: Vec<TransitionSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusSpec {
    pub name: String,
    pub category: StatusCategory,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionSpec {
    /// Jira transition ids are numeric strings that differ per workflow.
    pub id: String,
    pub name: String,
    /// Statuses the transition starts from; empty means global (from any status).
    pub from: Vec<String>,
    pub to: String,
    /// The fields of the transition's screen, in order; `None` when it has no screen. A
    /// transition without a screen into a done-category status sets the resolution `Done`
    /// itself (the post function of Jira's default workflows); with a screen, the resolution
    /// is whatever the caller sets there, and a required field left out is a 400.
    pub screen: Option<Vec<ScreenField>>,
}

/// One field of a transition screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenField {
    /// Field id, one of [`SCREEN_FIELDS`].
    pub field: String,
    pub required: bool,
}

impl ScreenField {
    pub fn required(field: &str) -> Self {
        ScreenField { field: field.to_owned(), required: true }
    }

    pub fn optional(field: &str) -> Self {
        ScreenField { field: field.to_owned(), required: false }
    }
}

/// The fields a transition screen may show (what a transition can set).
pub const SCREEN_FIELDS: &[&str] =
    &["resolution", "assignee", "priority", "labels", "summary", "description", "comment"];

impl Default for Workflow {
    /// Jira's simplified workflow: To Do → In Progress → Done, all transitions global. Two
    /// transitions lead into Done: "Done" (31) shows a screen on which the resolution is
    /// required (and the assignee may be set), as a company-managed project with a resolve
    /// screen does; "Close" (41) has no screen and sets the resolution `Done` itself, as the
    /// default workflow's post function does.
    fn default() -> Self {
        let status = |name: &str, category| StatusSpec { name: name.to_owned(), category };
        let transition =
            |id: &str, name: &str, to: &str, screen: Option<Vec<ScreenField>>| TransitionSpec {
                id: id.to_owned(),
                name: name.to_owned(),
                from: Vec::new(),
                to: to.to_owned(),
                screen,
            };
        let resolve = vec![ScreenField::required("resolution"), ScreenField::optional("assignee")];
        Workflow {
            statuses: vec![
                status("To Do", StatusCategory::New),
                status("In Progress", StatusCategory::Indeterminate),
                status("Done", StatusCategory::Done),
            ],
            transitions: vec![
                transition("11", "To Do", "To Do", None),
                transition("21", "In Progress", "In Progress", None),
                transition("31", "Done", "Done", Some(resolve)),
                transition("41", "Close", "Done", None),
            ],
        }
    }
}

/// Behaviour for tests and benchmarks; settable at runtime through the library or
/// `PUT /_sandbox/knobs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Knobs {
    /// Requests allowed per window on `/rest/...`; beyond that 429 with `Retry-After`.
    pub rate_limit: Option<RateLimit>,
    /// Fraction (0..=1) of `/rest/...` requests answered with an injected fault.
    pub fault_rate: f64,
    /// Statuses drawn from for injected faults (500 and 503 are what Jira gives).
    pub fault_statuses: Vec<u16>,
    /// Fraction (0..=1) of `/rest/...` requests delayed by `latency_ms`.
    pub latency_rate: f64,
    pub latency_ms: u64,
    /// Fraction (0..=1) of `/rest/...` requests held without an answer for `timeout_ms` and
    /// then dropped: the connection closes with no response at all, so a client whose timeout
    /// is shorter times out, and one whose timeout is longer sees the connection close.
    pub timeout_rate: f64,
    pub timeout_ms: u64,
    /// Where latency, timeouts and faults are injected: only into requests whose path starts
    /// with this (e.g. `/rest/featureflags`), or into every `/rest/...` request when `None`.
    /// The gateway forms are matched by the path they stand for (`/rest/...`). The rate limit
    /// is not scoped.
    pub fault_path_prefix: Option<String>,
    /// Largest page any paged endpoint returns, whatever `maxResults` asks for. `None` means
    /// the flavour's own cap (Cloud 100, Data Center 1000).
    pub page_size_cap: Option<u32>,
    /// Bodies of `POST /rest/featureflags/0.1/bulk` larger than this get 413.
    pub feature_flags_max_body_bytes: usize,
    /// Data Center: consecutive failed Basic logins after which a CAPTCHA is demanded.
    pub captcha_after_failures: u32,
    /// Histories embedded by `expand=changelog` in Cloud reads and in search results.
    pub embedded_changelog_cap: u32,
    /// Cloud's search is eventually consistent: an issue created through the API shows up in
    /// `/search/jql` (and approximate-count) only this long after creation, unless the
    /// request names it in `reconcileIssues`.
    pub search_index_delay_ms: u64,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            rate_limit: None,
            fault_rate: 0.0,
            fault_statuses: vec![500, 503],
            latency_rate: 0.0,
            latency_ms: 0,
            timeout_rate: 0.0,
            timeout_ms: 30_000,
            fault_path_prefix: None,
            page_size_cap: None,
            feature_flags_max_body_bytes: 1024 * 1024,
            captcha_after_failures: 3,
            embedded_changelog_cap: 100,
            search_index_delay_ms: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    pub requests: u32,
    pub window_seconds: u32,
}
