//! A Jira-compatible HTTP server (Cloud or Data Center flavour) for tests, demos and benchmarks.
//!
//! It shares no code with tether's Jira client on purpose: both are written from Atlassian's
//! OpenAPI specs, so a misreading in one shows up as a failing test instead of being copied.
//!
//! Entry points: [`Sandbox::new`] builds the world from a [`SandboxConfig`], [`router`] gives the
//! axum app, [`serve`] runs it on a listener until a shutdown future resolves. The handle's
//! inspection methods (and `GET /_sandbox/...`) show what a client wrote.

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;
use serde_json::Value;

mod config;
mod connect_install;
mod development;
mod forge;
mod http;
mod jql;
mod load;
mod oauth1;
mod seed;
mod signing;
mod state;
mod text;
mod time;
mod webhooks;

pub use config::{
    CLOUD_ID, DEFAULT_API_TOKEN, DEFAULT_EMAIL, DEFAULT_OAUTH_CLIENT_ID,
    DEFAULT_OAUTH_CLIENT_SECRET, DEFAULT_PASSWORD, DEFAULT_PAT, DEFAULT_USER, DevOpsPermission,
    Flavour, Knobs, OAuth1ConsumerSpec, OAuthClient, PermissionDenial, ProjectSpec, ProjectType,
    RateLimit, SCREEN_FIELDS, SandboxConfig, ScreenField, SecurityLevelSpec, StatusCategory,
    StatusSpec, TransitionSpec, UserSpec, Workflow,
};
pub use connect_install::{ConnectAppRecord, InstallError, UninstallReport};
pub use development::{
    BranchPanel, BuildPanel, CodePanel, CommitPanel, DeploymentPanel, EnvironmentPanel, FlagPanel,
    Icon, IssueDevelopment, LinkPanel, PullRequestPanel, RepositoryPanel, Rollout, UserRef,
};
pub use forge::{ForgeError, ForgeInstallation, ForgeInvocationSpec};
pub use jql::JqlError;
pub use load::{EXPORT_FILES, LoadError, LoadReport};
pub use seed::{Layout, SeedReport};
pub use signing::{FORGE_JWKS_PATH, INSTALL_KEYS_PATH};
pub use state::EntityPropertyError;
pub use webhooks::{Webhook, WebhookKind};

use state::State;

/// The axum app serving every Jira endpoint of the sandbox's flavour plus `/_sandbox/...`.
pub fn router(sandbox: Sandbox) -> axum::Router {
    http::router(sandbox)
}

/// Builds a sandbox from `config` and serves it on `listener` until `shutdown` resolves.
/// Prints nothing: the host decides what to show (see [`Sandbox::banner`]).
pub async fn serve(
    config: SandboxConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let sandbox =
        Sandbox::new(config).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    sandbox.serve(listener, shutdown).await
}

/// Configuration that cannot describe a Jira.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "Data Center version {0:?} is not one the sandbox plays: give 6.x to 11.x, e.g. 6.4, 7.13.0 or 9.12.0"
    )]
    UnsupportedVersion(String),
    #[error("a sandbox needs at least one user")]
    NoUsers,
    #[error("user {0:?} is configured twice")]
    DuplicateUser(String),
    #[error("unknown user {0:?}")]
    UnknownUser(String),
    #[error("project {0:?} is configured twice")]
    DuplicateProject(String),
    #[error(
        "project key {0:?} is not a Jira project key (two or more of A-Z, 0-9, _; a letter first)"
    )]
    BadProjectKey(String),
    #[error("unknown project {0:?}")]
    UnknownProject(String),
    #[error("unknown permission key {0:?}")]
    UnknownPermission(String),
    #[error("the workflow of project {0:?} has no status")]
    EmptyWorkflow(String),
    #[error(
        "a transition of project {project:?} names status {status:?}, which its workflow lacks"
    )]
    UnknownStatus { project: String, status: String },
    #[error(
        "the screen of transition {transition:?} shows field {field:?}, which a transition cannot set (known: resolution, assignee, priority, labels, summary, description, comment)"
    )]
    UnknownScreenField { transition: String, field: String },
    #[error("security level {0:?} is configured twice")]
    DuplicateSecurityLevel(String),
    #[error("unknown security level {0:?}")]
    UnknownSecurityLevel(String),
    #[error("unknown OAuth 2.0 client {0:?}")]
    UnknownOAuthClient(String),
    #[error("unknown issue {0:?}")]
    UnknownIssue(String),
    #[error(
        "the public key of OAuth 1.0a consumer {key:?} is not an RSA public key in PEM: {reason}"
    )]
    BadPublicKey { key: String, reason: String },
}

/// A cheap-to-clone handle on one sandbox's state.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("flavour", &self.flavour()).finish_non_exhaustive()
    }
}

/// A comment as stored. `body` is what the writer sent: ADF (v3) or a string (v2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommentRecord {
    pub issue_key: String,
    pub id: String,
    /// Login name of the author.
    pub author: String,
    pub body_text: String,
    pub body: Value,
    pub created_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteLinkRecord {
    pub issue_key: String,
    pub id: u64,
    pub global_id: Option<String>,
    pub relationship: Option<String>,
    pub application: Option<Value>,
    pub object: Value,
}

/// A transition performed through the REST API (seeded histories are not listed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransitionRecord {
    pub issue_key: String,
    pub transition_id: String,
    pub transition_name: String,
    pub to_status: String,
    pub resolution: Option<String>,
    /// Login name of the user who performed it.
    pub by: String,
    pub at_ms: i64,
}

/// What the `installed` lifecycle callback would have told a Connect app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectInstallation {
    /// The app's key; the `iss` of the JWTs it signs.
    pub key: String,
    pub client_key: String,
    pub shared_secret: String,
    /// Login name of the app user its requests act as (`addon_<key>`).
    pub user: String,
}

/// A feature flag as the Feature Flags API stored it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureFlagRecord {
    pub id: String,
    pub key: String,
    pub update_sequence_id: i64,
    /// The known issue keys the flag is linked to (unknown ones are dropped, as Jira does).
    pub issue_keys: Vec<String>,
    /// The request-level properties it was submitted with (for delete-by-properties).
    pub properties: BTreeMap<String, String>,
    /// The flag document as submitted.
    pub data: Value,
}

/// An issue's current state, for assertions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssueSnapshot {
    pub id: String,
    pub key: String,
    pub project: String,
    pub issue_type: String,
    pub summary: String,
    pub description_text: Option<String>,
    pub status: String,
    pub status_category: String,
    pub resolution: Option<String>,
    pub labels: Vec<String>,
    pub assignee: Option<String>,
    pub reporter: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub comments: usize,
    pub histories: usize,
    pub priority: Option<String>,
    /// Login names, in the order they started watching.
    pub watchers: Vec<String>,
    pub worklogs: usize,
    pub time_spent_seconds: u64,
}

/// An indexed issue-property value: searchable as `issue.property[<key>].<path>` (and by
/// `alias`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexedProperty {
    pub property_key: String,
    pub path: String,
    /// `number`, `string`, `text`, `date` or `user`.
    pub kind: String,
    pub alias: Option<String>,
}

/// OAuth 2.0 credentials as `/_sandbox/oauth-clients` lists them: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OAuthClientRecord {
    pub client_id: String,
    pub user: String,
    pub permissions: Vec<DevOpsPermission>,
}

/// A worklog as stored. `comment` is what the writer sent: ADF (v3) or a string (v2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorklogRecord {
    pub issue_key: String,
    pub id: String,
    /// Login name of the author.
    pub author: String,
    pub time_spent_seconds: u64,
    pub started_ms: i64,
    pub comment_text: Option<String>,
    pub comment: Option<Value>,
}

impl Sandbox {
    pub fn new(config: SandboxConfig) -> Result<Sandbox, ConfigError> {
        let state = State::new(&config)?;
        let runtime =
            http::Runtime::new(config.knobs.clone(), StdRng::seed_from_u64(config.rng_seed));
        Ok(Sandbox {
            inner: Arc::new(Inner {
                flavour: config.flavour.clone(),
                base_url: config.base_url.clone(),
                state: RwLock::new(state),
                runtime: Mutex::new(runtime),
                search_cache: Mutex::new(http::SearchCache::default()),
            }),
        })
    }

    /// Serves this sandbox on `listener` until `shutdown` resolves.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        axum::serve(listener, router(self)).with_graceful_shutdown(shutdown).await
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.inner.state.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.inner.state.write().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn runtime(&self) -> std::sync::MutexGuard<'_, http::Runtime> {
        self.inner.runtime.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn search_cache(&self) -> std::sync::MutexGuard<'_, http::SearchCache> {
        self.inner.search_cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn flavour(&self) -> Flavour {
        self.inner.flavour.clone()
    }

    pub(crate) fn configured_base_url(&self) -> Option<&str> {
        self.inner.base_url.as_deref()
    }

    /// What a host prints at start: where the sandbox is and how to log in.
    pub fn banner(&self, base_url: &str) -> String {
        let state = self.read();
        let base = base_url.trim_end_matches('/');
        let mut out = match &state.flavour {
            Flavour::Cloud => format!("Jira sandbox (Cloud) at {base}\n"),
            Flavour::DataCenter { version } => {
                format!("Jira sandbox (Data Center {version}) at {base}\n")
            }
        };
        for user in state.users.iter().filter(|u| {
            u.spec.api_token.is_some()
                || u.spec.password.is_some()
                || u.spec.personal_access_token.is_some()
        }) {
            let s = &user.spec;
            if state.flavour.is_cloud() {
                if let Some(token) = &s.api_token {
                    out.push_str(&format!(
                        "  Basic auth: email {} with API token {token}\n",
                        s.email
                    ));
                }
            } else {
                if let Some(pw) = &s.password {
                    out.push_str(&format!("  Basic auth: user {} with password {pw}\n", s.name));
                }
                if let Some(pat) = &s.personal_access_token {
                    out.push_str(&format!(
                        "  Bearer auth: personal access token {pat} (user {})\n",
                        s.name
                    ));
                }
            }
        }
        if state.flavour.is_cloud() {
            for (c, _) in &state.oauth_clients {
                out.push_str(&format!(
                    "  OAuth 2.0 client credentials: {} / {} at {base}/oauth/token\n",
                    c.client_id, c.client_secret
                ));
            }
        }
        for c in &state.oauth1_consumers {
            out.push_str(&format!(
                "  OAuth 1.0a consumer {} ({}): {base}/plugins/servlet/oauth/request-token\n",
                c.key, c.name
            ));
        }
        let example = state
            .issues
            .first()
            .map_or_else(String::new, |i| format!(" (e.g. {base}/browse/{})", i.key));
        out.push_str(&format!("  View an issue in a browser: {base}/browse/<KEY>{example}\n"));
        out.push_str(&format!("  Inspect what was written: {base}/_sandbox\n"));
        out
    }

    pub fn knobs(&self) -> Knobs {
        self.runtime().knobs.clone()
    }

    /// Replaces the knobs; takes effect on the next request.
    pub fn set_knobs(&self, knobs: Knobs) {
        self.runtime().set_knobs(knobs);
    }

    /// Forgets failed logins, lifting a Data Center CAPTCHA demand.
    pub fn reset_login_failures(&self) {
        self.runtime().login_failures.clear();
    }

    /// Adds `n` deterministic issues (and the projects and users they need) from `seed`.
    pub fn seed_issues(&self, n: usize, seed: u64) -> SeedReport {
        seed::seed_issues(&mut self.write(), n, seed)
    }

    /// The same issues as [`Sandbox::seed_issues`], laid out in time as `layout` says (for
    /// example [`Layout::recent`]: weeks of history ending before now).
    pub fn seed_issues_laid_out(&self, n: usize, seed: u64, layout: Layout) -> SeedReport {
        seed::seed_issues_laid_out(&mut self.write(), n, seed, layout)
    }

    /// Loads real issue JSON: an array of issues as `GET /issue/{key}?expand=changelog`
    /// returns them, a search response page, or one issue. All-or-nothing on malformed input.
    pub fn load_issues(&self, json: &Value) -> Result<LoadReport, LoadError> {
        load::load_issues(&mut self.write(), json)
    }

    /// Loads an export from disk: the issues file at `path` and the files of [`EXPORT_FILES`]
    /// beside it (users, statuses, priorities, resolutions, issue types, fields, projects,
    /// boards, sprints), each when it is there.
    pub fn load_export_file(&self, path: &std::path::Path) -> Result<LoadReport, LoadError> {
        let (export, files) = load::read_export(path)?;
        let mut report = load::load_export(&mut self.write(), &export)?;
        report.files = files;
        Ok(report)
    }

    /// Installs an Atlassian Connect app (Cloud): JWTs it signs with the returned shared secret
    /// authenticate as its app user. Installing the same key again rotates the secret.
    /// Registers a Connect app with its descriptor, as an install would leave it but without
    /// the handshake (for what the descriptor declares: modules, scopes, entity properties).
    pub fn install_connect_app_described(&self, descriptor: Value) -> Option<ConnectInstallation> {
        let key = descriptor.get("key")?.as_str()?.to_owned();
        let name = descriptor.get("name").and_then(Value::as_str).unwrap_or(&key).to_owned();
        let installed = self.install_connect_app(&key, &name);
        let mut state = self.write();
        let app = state.connect_apps.iter_mut().find(|a| a.key == key)?;
        app.descriptor = Some(descriptor);
        Some(installed)
    }

    pub fn install_connect_app(&self, key: &str, name: &str) -> ConnectInstallation {
        let mut state = self.write();
        let login = format!("addon_{key}");
        let user = match state.user_by_name(&login) {
            Some(u) => u,
            None => state.add_user(UserSpec::named(&login, name)).expect("name checked"),
        };
        let installs = state.connect_apps.len();
        let digest = |what: &str| -> String {
            use sha2::Digest;
            sha2::Sha256::digest(format!("{what}:{key}:{installs}").as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        let app = state::ConnectApp {
            key: key.to_owned(),
            client_key: format!("jira:{}", &digest("client")[..32]),
            shared_secret: digest("secret"),
            user,
            descriptor: None,
        };
        state.connect_apps.retain(|a| a.key != key);
        state.connect_apps.push(app.clone());
        ConnectInstallation {
            key: app.key,
            client_key: app.client_key,
            shared_secret: app.shared_secret,
            user: login,
        }
    }

    pub fn add_user(&self, user: UserSpec) -> Result<(), ConfigError> {
        self.write().add_user(user).map(|_| ())
    }

    pub fn add_project(&self, project: ProjectSpec) -> Result<(), ConfigError> {
        self.write().add_project(&project).map(|_| ())
    }

    /// Takes a permission away from a user at runtime.
    pub fn deny_permission(&self, denial: PermissionDenial) -> Result<(), ConfigError> {
        self.write().deny(&denial)
    }

    pub fn issue_count(&self) -> usize {
        self.read().issues.len()
    }

    pub fn issue(&self, key: &str) -> Option<IssueSnapshot> {
        let state = self.read();
        let i = &state.issues[state.find_issue(key)?];
        let user = |u: Option<usize>| u.map(|u| state.users[u].spec.name.clone());
        let status = &state.statuses[i.status];
        Some(IssueSnapshot {
            id: i.id.to_string(),
            key: i.key.clone(),
            project: state.projects[i.project].key.clone(),
            issue_type: state.issue_types[i.issue_type].name.to_owned(),
            summary: i.summary.clone(),
            description_text: i.description.as_ref().map(text::Body::plain_text),
            status: status.name.clone(),
            status_category: status.category.key().to_owned(),
            resolution: i.resolution.map(|r| state.resolutions[r].name.to_owned()),
            labels: i.labels.clone(),
            assignee: user(i.assignee),
            reporter: user(i.reporter),
            created_ms: i.created,
            updated_ms: i.updated,
            comments: i.comments.len(),
            histories: i.histories.len(),
            priority: i.priority.map(|p| state.priorities[p].name.clone()),
            watchers: i.watchers.iter().map(|&u| state.users[u].spec.name.clone()).collect(),
            worklogs: i.worklogs.len(),
            time_spent_seconds: i.worklogs.iter().map(|w| w.time_spent).sum(),
        })
    }

    /// Worklogs on one issue, or on every issue when `issue_key` is `None`.
    pub fn worklogs(&self, issue_key: Option<&str>) -> Vec<WorklogRecord> {
        let state = self.read();
        select(&state, issue_key)
            .flat_map(|i| {
                i.worklogs.iter().map(|w| WorklogRecord {
                    issue_key: i.key.clone(),
                    id: w.id.to_string(),
                    author: state.users[w.author].spec.name.clone(),
                    time_spent_seconds: w.time_spent,
                    started_ms: w.started,
                    comment_text: w.comment.as_ref().map(text::Body::plain_text),
                    comment: w.comment.as_ref().map(|c| match c {
                        text::Body::Adf(v) => v.clone(),
                        text::Body::Wiki(s) => Value::String(s.clone()),
                    }),
                })
            })
            .collect()
    }

    /// Comments on one issue, or on every issue when `issue_key` is `None`.
    pub fn comments(&self, issue_key: Option<&str>) -> Vec<CommentRecord> {
        let state = self.read();
        select(&state, issue_key)
            .flat_map(|i| {
                i.comments.iter().map(|c| CommentRecord {
                    issue_key: i.key.clone(),
                    id: c.id.to_string(),
                    author: state.users[c.author].spec.name.clone(),
                    body_text: c.body.plain_text(),
                    body: match &c.body {
                        text::Body::Adf(v) => v.clone(),
                        text::Body::Wiki(s) => Value::String(s.clone()),
                    },
                    created_ms: c.created,
                })
            })
            .collect()
    }

    pub fn remote_links(&self, issue_key: Option<&str>) -> Vec<RemoteLinkRecord> {
        let state = self.read();
        select(&state, issue_key)
            .flat_map(|i| {
                i.remote_links.iter().map(|l| RemoteLinkRecord {
                    issue_key: i.key.clone(),
                    id: l.id,
                    global_id: l.global_id.clone(),
                    relationship: l.relationship.clone(),
                    application: l.application.clone(),
                    object: l.object.clone(),
                })
            })
            .collect()
    }

    pub fn transitions_done(&self, issue_key: Option<&str>) -> Vec<TransitionRecord> {
        self.read()
            .transitions_done
            .iter()
            .filter(|t| issue_key.is_none_or(|k| t.issue_key.eq_ignore_ascii_case(k)))
            .cloned()
            .collect()
    }

    pub fn feature_flags(&self) -> Vec<FeatureFlagRecord> {
        let state = self.read();
        state.flags.iter().map(|(id, f)| flag_record(id, f)).collect()
    }

    pub fn feature_flag(&self, id: &str) -> Option<FeatureFlagRecord> {
        self.read().flags.get(id).map(|f| flag_record(id, f))
    }

    /// An issue with the feature flags linked to it and its remote links, as `/browse/{key}`
    /// shows them.
    pub fn development(&self, issue_key: &str) -> Option<IssueDevelopment> {
        development::development(&self.read(), issue_key)
    }

    /// Deletes an issue (as an admin would; no webhook is sent).
    pub fn delete_issue(&self, issue_key: &str) -> Result<(), ConfigError> {
        let mut state = self.write();
        let idx = state
            .find_issue(issue_key)
            .ok_or_else(|| ConfigError::UnknownIssue(issue_key.into()))?;
        state.delete_issue(idx);
        Ok(())
    }

    /// Moves an issue to another project (by key or id), as the first user; returns its new
    /// key. The old key keeps finding it (REST answers the issue under its new key,
    /// `/browse/OLD-1` redirects).
    pub fn move_issue(&self, issue_key: &str, project: &str) -> Result<String, ConfigError> {
        let mut state = self.write();
        let idx = state
            .find_issue(issue_key)
            .ok_or_else(|| ConfigError::UnknownIssue(issue_key.into()))?;
        let p = state
            .find_project(project)
            .ok_or_else(|| ConfigError::UnknownProject(project.into()))?;
        Ok(state.move_issue(idx, p, 0, time::now_ms()))
    }

    /// Adds an issue security level (see [`SecurityLevelSpec`]).
    pub fn add_security_level(&self, level: SecurityLevelSpec) -> Result<(), ConfigError> {
        self.write().add_security_level(&level).map(|_| ())
    }

    /// Puts an issue in a security level (by name or id), or takes it out with `None`.
    pub fn set_issue_security(
        &self,
        issue_key: &str,
        level: Option<&str>,
    ) -> Result<(), ConfigError> {
        let mut state = self.write();
        let idx = state
            .find_issue(issue_key)
            .ok_or_else(|| ConfigError::UnknownIssue(issue_key.into()))?;
        let level = level
            .map(|l| {
                state
                    .security_level_by_name(l)
                    .ok_or_else(|| ConfigError::UnknownSecurityLevel(l.into()))
            })
            .transpose()?;
        state.issues[idx].security = level;
        state.issues[idx].touch(&["security"]);
        state.bump();
        Ok(())
    }

    /// Creates OAuth 2.0 credentials (Cloud's "OAuth credentials"), or replaces the ones with the
    /// same client id; tokens already issued to it keep working with the new permissions.
    pub fn add_oauth_client(&self, client: OAuthClient) -> Result<(), ConfigError> {
        self.write().add_oauth_client(client)
    }

    /// Sets what OAuth 2.0 credentials may do with the DevOps APIs; applies to tokens already
    /// issued.
    pub fn set_oauth_permissions(
        &self,
        client_id: &str,
        permissions: Vec<DevOpsPermission>,
    ) -> Result<(), ConfigError> {
        let mut state = self.write();
        let (client, _) = state
            .oauth_clients
            .iter_mut()
            .find(|(c, _)| c.client_id == client_id)
            .ok_or_else(|| ConfigError::UnknownOAuthClient(client_id.to_owned()))?;
        client.permissions = permissions;
        Ok(())
    }

    /// The OAuth 2.0 credentials, without their secrets.
    pub fn oauth_clients(&self) -> Vec<OAuthClientRecord> {
        self.read()
            .oauth_clients
            .iter()
            .map(|(c, _)| OAuthClientRecord {
                client_id: c.client_id.clone(),
                user: c.user.clone(),
                permissions: c.permissions.clone(),
            })
            .collect()
    }

    /// Registers (or replaces) an OAuth 1.0a consumer (Data Center application link).
    pub fn add_oauth1_consumer(&self, consumer: OAuth1ConsumerSpec) -> Result<(), ConfigError> {
        self.write().add_oauth1_consumer(&consumer)
    }

    /// Registers (or replaces) a Forge app's `jira:entityProperty` modules (the manifest's
    /// list: `propertyKey`, `values[]` of `path`, `type`, `searchAlias`), so JQL can search the
    /// issue property values they index. Returns how many issue values that is.
    pub fn register_forge_entity_properties(
        &self,
        app: &str,
        modules: &Value,
    ) -> Result<usize, EntityPropertyError> {
        self.write().register_forge_entity_properties(app, modules)
    }

    /// Forgets a Forge app's entity property modules, as uninstalling it would.
    pub fn unregister_forge_entity_properties(&self, app: &str) -> bool {
        self.write().unregister_forge_entity_properties(app)
    }

    /// What JQL can search in issue properties: every extraction an installed Connect app's
    /// descriptor (`modules.jiraEntityProperties`) or a registered Forge app declares.
    pub fn indexed_properties(&self) -> Vec<IndexedProperty> {
        self.read()
            .property_extractions()
            .into_iter()
            .map(|e| IndexedProperty {
                property_key: e.property_key,
                path: e.path,
                kind: format!("{:?}", e.kind).to_lowercase(),
                alias: e.alias,
            })
            .collect()
    }

    /// Registered webhooks, both registries.
    pub fn webhooks(&self) -> Vec<Webhook> {
        self.read().webhooks.clone()
    }

    /// An issue's properties, key → value.
    pub fn issue_properties(&self, issue_key: &str) -> Option<BTreeMap<String, Value>> {
        let state = self.read();
        state.find_issue(issue_key).map(|i| state.issues[i].properties.clone())
    }
}

fn select<'a>(
    state: &'a State,
    issue_key: Option<&str>,
) -> Box<dyn Iterator<Item = &'a state::Issue> + 'a> {
    match issue_key {
        None => Box::new(state.issues.iter()),
        Some(k) => Box::new(state.find_issue(k).map(|i| &state.issues[i]).into_iter()),
    }
}

fn flag_record(id: &str, f: &state::StoredFlag) -> FeatureFlagRecord {
    FeatureFlagRecord {
        id: id.to_owned(),
        key: f.data.get("key").and_then(Value::as_str).unwrap_or_default().to_owned(),
        update_sequence_id: f.update_sequence_id,
        issue_keys: f.issue_keys.clone(),
        properties: f.properties.clone(),
        data: f.data.clone(),
    }
}

#[derive(Debug)]
struct Inner {
    /// Fixed at construction and kept outside the lock, so reading it never contends.
    flavour: Flavour,
    base_url: Option<String>,
    state: RwLock<State>,
    runtime: Mutex<http::Runtime>,
    search_cache: Mutex<http::SearchCache>,
}
