//! Jira sites, which site and environments each project tracks, flag ↔ issue
//! links, and what was last sent to Jira for each flag.
//!
//! A flag's links live in its `jira.issues` custom property (so linking is a
//! versioned, audited flag change); `flag_issue_links` indexes them by issue and
//! is rewritten in the same transaction as every flag change. Each flag change
//! of a project that tracks a Jira site also bumps the flag's
//! `updateSequenceId` (`jira_flag_sync.seq`) and enqueues a [`JIRA_SYNC_KIND`]
//! outbox row, both in the change's transaction. The worker sends the flag's
//! *current* state with the sequence number it read *before* that state, so a
//! re-sent row is harmless and the newest state always wins in Jira.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::audit::audit_on;
use crate::outbox::enqueue_on;
use crate::{EnvKind, Result, Store, StoreError, now_ms, with_pool, with_write_tx};

/// Outbox kind: bring one flag's state on one Jira site up to date.
pub const JIRA_SYNC_KIND: &str = "jira.flag.sync";

/// The payload of a [`JIRA_SYNC_KIND`] row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JiraSyncWork {
    pub site_id: i64,
    pub project: String,
    pub flag: String,
}

/// How tether authenticates to a site. The secret is kept apart (sealed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JiraAuthKind {
    /// Cloud: Basic email + API token.
    ApiToken,
    /// Data Center: Basic username + password.
    Password,
    /// Data Center: Bearer personal access token.
    Pat,
    /// Cloud: OAuth 2.0 client credentials (user = client id).
    OAuth2,
    /// Cloud: an installed Atlassian Connect app (user = clientKey, secret = sharedSecret).
    Connect,
    /// Data Center: OAuth 1.0a (user = consumer key, secret = private key PEM; the access token in options).
    OAuth1,
}

impl JiraAuthKind {
    pub const ALL: [JiraAuthKind; 6] = [
        JiraAuthKind::ApiToken,
        JiraAuthKind::Password,
        JiraAuthKind::Pat,
        JiraAuthKind::OAuth2,
        JiraAuthKind::Connect,
        JiraAuthKind::OAuth1,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JiraAuthKind::ApiToken => "api_token",
            JiraAuthKind::Password => "password",
            JiraAuthKind::Pat => "pat",
            JiraAuthKind::OAuth2 => "oauth2",
            JiraAuthKind::Connect => "connect",
            JiraAuthKind::OAuth1 => "oauth1",
        }
    }

    pub fn parse(s: &str) -> Option<JiraAuthKind> {
        JiraAuthKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A registered Jira site, without its secret.
#[derive(Debug, Clone, PartialEq)]
pub struct JiraSite {
    pub id: i64,
    /// Unique; how people and the CLI name it.
    pub name: String,
    /// The web URL (for links people click).
    pub url: String,
    /// Where API calls go, when not the web URL.
    pub api_url: Option<String>,
    /// `cloud` or `dc` once known (detected at the first connection).
    pub deployment: Option<String>,
    pub auth_kind: JiraAuthKind,
    /// Email, username, OAuth client id, Connect clientKey or OAuth 1.0a consumer key.
    pub auth_user: String,
    /// Kind-specific settings that are not secret (token URL, gateway URL, app key, …).
    pub options: serde_json::Map<String, serde_json::Value>,
    /// False once a Connect app is uninstalled: nothing is sent until it is installed again.
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A site to register.
#[derive(Debug, Clone)]
pub struct NewJiraSite {
    pub name: String,
    pub url: String,
    pub api_url: Option<String>,
    pub deployment: Option<String>,
    pub auth_kind: JiraAuthKind,
    pub auth_user: String,
    pub secret: SecretString,
    pub options: serde_json::Map<String, serde_json::Value>,
}

/// Which site a project reports to and which of its environments Jira sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectJira {
    pub project: String,
    pub site_id: i64,
    /// As configured; `None` means "the production-type environments".
    pub environments: Option<Vec<String>>,
    /// As configured; `None` means "the project's primary if tracked, else the first tracked".
    pub primary: Option<String>,
    /// Resolved: the tracked environment keys, in the project's order.
    pub tracked: Vec<String>,
    /// Resolved: the primary tracked environment.
    pub primary_env: String,
    pub version: i64,
    pub updated_at: i64,
}

/// One flag ↔ issue link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueLink {
    pub project: String,
    pub flag: String,
    pub issue: String,
}

/// What tether knows of an issue from its last look at Jira.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedIssue {
    pub issue_key: String,
    pub summary: String,
    pub status: String,
    /// `new`, `indeterminate` or `done`.
    pub status_category: String,
    pub fetched_at: i64,
}

/// A flag's sync state on one site.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FlagSync {
    pub site_id: i64,
    pub project: String,
    pub flag_key: String,
    /// The `updateSequenceId` of the newest change.
    pub seq: i64,
    /// The newest `updateSequenceId` Jira acknowledged.
    pub pushed_seq: Option<i64>,
    pub pushed_at: Option<i64>,
    /// JSON: what Jira holds, as last sent (the worker's own format).
    pub pushed: Option<String>,
    /// JSON: what Jira answered (unknown issue keys, failed flags).
    pub result: Option<String>,
    pub last_error: Option<String>,
}

/// site_id, environments, primary_env, version, updated_at
type ProjectJiraRow = (i64, Option<String>, Option<String>, i64, i64);

#[derive(sqlx::FromRow)]
struct SiteRow {
    id: i64,
    name: String,
    url: String,
    api_url: Option<String>,
    deployment: Option<String>,
    auth_kind: String,
    auth_user: String,
    options: String,
    enabled: bool,
    created_at: i64,
    updated_at: i64,
}

const SITE_COLUMNS: &str = "id, name, url, api_url, deployment, auth_kind, auth_user, options, enabled, created_at, updated_at";
const SYNC_COLUMNS: &str =
    "site_id, project, flag_key, seq, pushed_seq, pushed_at, pushed, result, last_error";

impl TryFrom<SiteRow> for JiraSite {
    type Error = StoreError;
    fn try_from(r: SiteRow) -> Result<JiraSite> {
        Ok(JiraSite {
            auth_kind: JiraAuthKind::parse(&r.auth_kind).ok_or_else(|| {
                StoreError::Damaged(format!("jira site auth kind {:?}", r.auth_kind))
            })?,
            options: serde_json::from_str(&r.options)
                .map_err(|e| StoreError::Damaged(format!("jira site options: {e}")))?,
            id: r.id,
            name: r.name,
            url: r.url,
            api_url: r.api_url,
            deployment: r.deployment,
            auth_user: r.auth_user,
            enabled: r.enabled,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn secret_context(name: &str) -> String {
    format!("jira_site:{name}")
}

fn site_audit(site: &NewJiraSite) -> String {
    serde_json::json!({
        "name": site.name,
        "url": site.url,
        "api_url": site.api_url,
        "auth_kind": site.auth_kind.as_str(),
        "auth_user": site.auth_user,
        "options": site.options,
    })
    .to_string()
}

/// Issue keys read as typed (`IssueKey::parse_user_input`), de-duplicated, in order.
pub fn normalize_issue_keys<S: AsRef<str>>(keys: &[S]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(keys.len());
    for k in keys {
        // Flag validation refuses what is not a key before anything is stored.
        let Ok(k) = tether_refs::IssueKey::parse_user_input(k.as_ref()) else { continue };
        let k = k.to_string();
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// Rewrites a flag's rows in `flag_issue_links` on the given transaction.
macro_rules! index_links_on {
    ($conn:expr, $project_id:expr, $flag_key:expr, $keys:expr) => {{
        let keys: &[String] = $keys;
        sqlx::query("DELETE FROM flag_issue_links WHERE project_id = $1 AND flag_key = $2")
            .bind($project_id)
            .bind($flag_key)
            .execute(&mut *$conn)
            .await?;
        for k in $crate::jira::normalize_issue_keys(keys) {
            sqlx::query(
                "INSERT INTO flag_issue_links (project_id, flag_key, issue_key) VALUES ($1, $2, $3)",
            )
            .bind($project_id)
            .bind($flag_key)
            .bind(k)
            .execute(&mut *$conn)
            .await?;
        }
    }};
}
pub(crate) use index_links_on;

/// After a flag change: when the project reports to a Jira site and the flag is
/// linked there (now, or before: Jira must hear of an unlink), bumps the flag's
/// `updateSequenceId` and enqueues its sync, on the given transaction.
macro_rules! jira_touch_on {
    ($conn:expr, $project_id:expr, $project:expr, $flag_key:expr, $now:expr) => {{
        let site: Option<i64> =
            sqlx::query_scalar("SELECT site_id FROM project_jira WHERE project_id = $1")
                .bind($project_id)
                .fetch_optional(&mut *$conn)
                .await?;
        if let Some(site_id) = site {
            $crate::jira::jira_enqueue_on!(
                $conn,
                $project_id,
                site_id,
                $project,
                $flag_key,
                $now,
                false
            );
        }
    }};
}
pub(crate) use jira_touch_on;

/// Bumps the sequence and enqueues a sync of one flag on one site when the flag
/// is linked or Jira has seen it (or always, when `force`).
macro_rules! jira_enqueue_on {
    ($conn:expr, $project_id:expr, $site_id:expr, $project:expr, $flag_key:expr, $now:expr, $force:expr) => {{
        let project: &str = $project;
        let flag_key: &str = $flag_key;
        let site_id: i64 = $site_id;
        let now: i64 = $now;
        let relevant: bool = $force || {
            let n: i64 = sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM flag_issue_links WHERE project_id = $1 AND flag_key = $2) \
                      + (SELECT COUNT(*) FROM jira_flag_sync WHERE site_id = $3 AND project = $4 AND flag_key = $2)",
            )
            .bind($project_id)
            .bind(flag_key)
            .bind(site_id)
            .bind(project)
            .fetch_one(&mut *$conn)
            .await?;
            n > 0
        };
        if relevant {
            sqlx::query(
                "INSERT INTO jira_flag_sync (site_id, project, flag_key, seq) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (site_id, project, flag_key) DO UPDATE SET seq = \
                 CASE WHEN jira_flag_sync.seq + 1 > $4 THEN jira_flag_sync.seq + 1 ELSE $4 END",
            )
            .bind(site_id)
            .bind(project)
            .bind(flag_key)
            .bind(now)
            .execute(&mut *$conn)
            .await?;
            let work = $crate::jira::JiraSyncWork {
                site_id,
                project: project.to_owned(),
                flag: flag_key.to_owned(),
            };
            let item = $crate::NewOutboxItem {
                kind: $crate::jira::JIRA_SYNC_KIND.to_owned(),
                payload: serde_json::to_string(&work).expect("sync work serialises"),
            };
            enqueue_on!(&mut *$conn, &item)?;
        }
    }};
}
pub(crate) use jira_enqueue_on;

/// The tracked environments and the primary one, resolved against the project's environments.
fn resolve_tracking(
    envs: &[crate::Environment],
    configured: Option<&[String]>,
    primary: Option<&str>,
) -> (Vec<String>, String) {
    let tracked: Vec<String> = match configured {
        Some(keys) => {
            envs.iter().filter(|e| keys.contains(&e.key)).map(|e| e.key.clone()).collect()
        }
        None => {
            let prod: Vec<String> = envs
                .iter()
                .filter(|e| e.kind == EnvKind::Production)
                .map(|e| e.key.clone())
                .collect();
            if prod.is_empty() {
                envs.iter().filter(|e| e.primary).map(|e| e.key.clone()).collect()
            } else {
                prod
            }
        }
    };
    let primary = primary
        .filter(|p| tracked.iter().any(|t| t == p))
        .map(str::to_owned)
        .or_else(|| {
            envs.iter().find(|e| e.primary && tracked.contains(&e.key)).map(|e| e.key.clone())
        })
        .or_else(|| tracked.first().cloned())
        .unwrap_or_default();
    (tracked, primary)
}

/// A site name from a base URL: its host (and port), lower-cased, every character but
/// letters, digits, `.` and `-` made a `-` (`https://Acme.atlassian.net/jira` →
/// `acme.atlassian.net`, `http://127.0.0.1:8081` → `127.0.0.1-8081`), so names never carry
/// paths or other characters that break the URLs they appear in.
pub fn site_name_for(base_url: &str) -> String {
    let rest = base_url.split_once("://").map_or(base_url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let name: String = host
        .trim_end_matches('.')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_matches('-');
    if name.is_empty() { "jira".to_owned() } else { name.chars().take(64).collect() }
}

impl Store {
    /// Registers a site; its secret is sealed under the master key.
    pub async fn create_jira_site(&self, new: &NewJiraSite, actor: &str) -> Result<JiraSite> {
        let now = now_ms();
        let sealed =
            self.key.seal(&secret_context(&new.name), new.secret.expose_secret().as_bytes());
        let options = serde_json::Value::Object(new.options.clone()).to_string();
        let id: i64 = with_write_tx!(self, tx => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO jira_sites (name, url, api_url, deployment, auth_kind, auth_user, secret, options, enabled, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
            )
            .bind(&new.name)
            .bind(&new.url)
            .bind(&new.api_url)
            .bind(&new.deployment)
            .bind(new.auth_kind.as_str())
            .bind(&new.auth_user)
            .bind(&sealed)
            .bind(&options)
            .bind(true)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => StoreError::Conflict(format!("a Jira site named {:?} exists", new.name)),
                other => other,
            })?;
            audit_on!(&mut *tx, now, actor, "jira.site.create", &format!("integration/{}", new.name), None, Some(site_audit(new)));
            id
        });
        self.jira_site(id).await
    }

    /// Replaces a site's settings and secret (the name stays).
    pub async fn update_jira_site(
        &self,
        id: i64,
        new: &NewJiraSite,
        actor: &str,
    ) -> Result<JiraSite> {
        let now = now_ms();
        let current = self.jira_site(id).await?;
        let sealed =
            self.key.seal(&secret_context(&current.name), new.secret.expose_secret().as_bytes());
        let options = serde_json::Value::Object(new.options.clone()).to_string();
        with_write_tx!(self, tx => {
            sqlx::query(
                "UPDATE jira_sites SET url = $1, api_url = $2, deployment = $3, auth_kind = $4, auth_user = $5, \
                 secret = $6, options = $7, enabled = $8, updated_at = $9 WHERE id = $10",
            )
            .bind(&new.url)
            .bind(&new.api_url)
            .bind(&new.deployment)
            .bind(new.auth_kind.as_str())
            .bind(&new.auth_user)
            .bind(&sealed)
            .bind(&options)
            .bind(true)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            audit_on!(&mut *tx, now, actor, "jira.site.update", &format!("integration/{}", current.name), None, Some(site_audit(new)));
        });
        self.jira_site(id).await
    }

    /// Records the deployment a connection detected (`cloud` or `dc`).
    pub async fn set_jira_site_deployment(&self, id: i64, deployment: &str) -> Result<()> {
        with_pool!(self, pool => { sqlx::query("UPDATE jira_sites SET deployment = $1 WHERE id = $2")
            .bind(deployment)
            .bind(id)
            .execute(pool)
            .await?; });
        Ok(())
    }

    pub async fn jira_site(&self, id: i64) -> Result<JiraSite> {
        let row: SiteRow = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {SITE_COLUMNS} FROM jira_sites WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(pool)
        .await?);
        row.try_into()
    }

    pub async fn jira_site_by_name(&self, name: &str) -> Result<JiraSite> {
        let row: SiteRow = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {SITE_COLUMNS} FROM jira_sites WHERE name = $1"
        ))
        .bind(name)
        .fetch_one(pool)
        .await?);
        row.try_into()
    }

    /// The site an installed Connect app's `clientKey` belongs to.
    pub async fn jira_site_by_client_key(&self, client_key: &str) -> Result<JiraSite> {
        let row: SiteRow = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {SITE_COLUMNS} FROM jira_sites WHERE auth_kind = 'connect' AND auth_user = $1"
        ))
        .bind(client_key)
        .fetch_one(pool)
        .await?);
        row.try_into()
    }

    pub async fn list_jira_sites(&self) -> Result<Vec<JiraSite>> {
        let rows: Vec<SiteRow> = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {SITE_COLUMNS} FROM jira_sites ORDER BY id"
        ))
        .fetch_all(pool)
        .await?);
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// The site's secret (API token, password, PAT, client secret, shared secret or private key).
    pub async fn jira_site_secret(&self, id: i64) -> Result<SecretString> {
        let (name, sealed): (String, Vec<u8>) = with_pool!(self, pool => sqlx::query_as(
            "SELECT name, secret FROM jira_sites WHERE id = $1"
        )
        .bind(id)
        .fetch_one(pool)
        .await?);
        let plain = self
            .key
            .open(&secret_context(&name), &sealed)
            .ok_or_else(|| StoreError::Decrypt(secret_context(&name)))?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| StoreError::Decrypt(secret_context(&name)))
    }

    /// Deletes a site; refused while a project reports to it.
    pub async fn delete_jira_site(&self, id: i64, actor: &str) -> Result<bool> {
        let now = now_ms();
        let done = with_write_tx!(self, tx => {
            let users: Vec<String> = sqlx::query_scalar(
                "SELECT p.key FROM project_jira j JOIN projects p ON p.id = j.project_id WHERE j.site_id = $1 ORDER BY p.key",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            if !users.is_empty() {
                return Err(StoreError::Conflict(format!(
                    "projects {} report to this site; point them elsewhere first",
                    users.join(", ")
                )));
            }
            let name: Option<String> = sqlx::query_scalar("DELETE FROM jira_sites WHERE id = $1 RETURNING name")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(name) = &name {
                audit_on!(&mut *tx, now, actor, "jira.site.delete", &format!("integration/{name}"), None, None);
            }
            name.is_some()
        });
        Ok(done)
    }

    /// The Connect `installed` lifecycle: creates or refreshes the site of
    /// `client_key` (named after its host unless it exists), enabled, with the
    /// new shared secret.
    pub async fn install_connect_site(
        &self,
        client_key: &str,
        base_url: &str,
        shared_secret: &SecretString,
        options: serde_json::Map<String, serde_json::Value>,
    ) -> Result<JiraSite> {
        let new = |name: String| NewJiraSite {
            name,
            url: base_url.trim_end_matches('/').to_owned(),
            api_url: None,
            deployment: Some("cloud".into()),
            auth_kind: JiraAuthKind::Connect,
            auth_user: client_key.to_owned(),
            secret: shared_secret.clone(),
            options: options.clone(),
        };
        match self.jira_site_by_client_key(client_key).await {
            Ok(site) => {
                self.update_jira_site(site.id, &new(site.name.clone()), "jira-connect").await
            }
            Err(StoreError::NotFound) => {
                let host = site_name_for(base_url);
                let mut name = host.clone();
                let mut n = 1;
                while self.jira_site_by_name(&name).await.is_ok() {
                    n += 1;
                    name = format!("{host}-{n}");
                }
                self.create_jira_site(&new(name), "jira-connect").await
            }
            Err(e) => Err(e),
        }
    }

    /// The Connect `uninstalled` lifecycle: the site stays (with its links) but
    /// is disabled; Jira has dropped everything the app sent.
    pub async fn uninstall_connect_site(&self, client_key: &str) -> Result<JiraSite> {
        let site = self.jira_site_by_client_key(client_key).await?;
        let now = now_ms();
        with_write_tx!(self, tx => {
            sqlx::query("UPDATE jira_sites SET enabled = $1, updated_at = $2 WHERE id = $3")
                .bind(false)
                .bind(now)
                .bind(site.id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE jira_flag_sync SET pushed_seq = NULL, pushed_at = NULL, pushed = NULL, result = NULL WHERE site_id = $1")
                .bind(site.id)
                .execute(&mut *tx)
                .await?;
            audit_on!(&mut *tx, now, "jira-connect", "jira.site.uninstall", &format!("integration/{}", site.name), None, None);
        });
        self.jira_site(site.id).await
    }

    /// Points a project at a site and chooses its tracked environments.
    /// Changing the site enqueues a sync of every linked flag; changing only
    /// the environments does not (links show what they were pushed with until
    /// the flag next changes).
    pub async fn set_project_jira(
        &self,
        project: &str,
        site_id: i64,
        environments: Option<&[String]>,
        primary: Option<&str>,
        expected: Option<i64>,
        actor: &str,
    ) -> Result<ProjectJira> {
        let p = self.project(project).await?;
        self.jira_site(site_id).await?;
        if let Some(envs) = environments {
            if envs.is_empty() {
                return Err(StoreError::Invalid(
                    "environments: track at least one environment".into(),
                ));
            }
            for (i, e) in envs.iter().enumerate() {
                if !p.environments.iter().any(|pe| &pe.key == e) {
                    return Err(StoreError::Invalid(format!(
                        "environments[{i}]: project {project:?} has no environment {e:?}"
                    )));
                }
            }
        }
        let (tracked, _) = resolve_tracking(&p.environments, environments, None);
        if let Some(primary) = primary
            && !tracked.iter().any(|t| t == primary)
        {
            return Err(StoreError::Invalid(format!(
                "primary_environment: {primary:?} is not a tracked environment"
            )));
        }
        let now = now_ms();
        let envs_json = environments.map(|e| serde_json::to_string(e).expect("strings serialise"));
        let lock = self.for_update();
        with_write_tx!(self, tx => {
            let current: Option<(i64, i64)> = sqlx::query_as(&format!(
                "SELECT site_id, version FROM project_jira WHERE project_id = $1{lock}"
            ))
            .bind(p.id)
            .fetch_optional(&mut *tx)
            .await?;
            if let (Some(expected), Some((_, version))) = (expected, current)
                && expected != version
            {
                return Err(StoreError::VersionMismatch { expected, current: version });
            }
            sqlx::query(
                "INSERT INTO project_jira (project_id, site_id, environments, primary_env, version, updated_at) \
                 VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (project_id) DO UPDATE SET \
                 site_id = $2, environments = $3, primary_env = $4, version = project_jira.version + 1, updated_at = $5",
            )
            .bind(p.id)
            .bind(site_id)
            .bind(&envs_json)
            .bind(primary)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let after = serde_json::json!({"site_id": site_id, "environments": environments, "primary_environment": primary}).to_string();
            audit_on!(&mut *tx, now, actor, "project.jira.update", &format!("proj/{project}"), None, Some(after));
            let site_changed = current.map(|(s, _)| s) != Some(site_id);
            if site_changed {
                let flags: Vec<String> = sqlx::query_scalar(
                    "SELECT DISTINCT flag_key FROM flag_issue_links WHERE project_id = $1 ORDER BY flag_key",
                )
                .bind(p.id)
                .fetch_all(&mut *tx)
                .await?;
                for f in &flags {
                    jira_enqueue_on!(&mut *tx, p.id, site_id, project, f, now, true);
                }
                if let Some((old_site, _)) = current {
                    // The old site must drop what it was sent.
                    let known: Vec<String> = sqlx::query_scalar(
                        "SELECT flag_key FROM jira_flag_sync WHERE site_id = $1 AND project = $2 ORDER BY flag_key",
                    )
                    .bind(old_site)
                    .bind(project)
                    .fetch_all(&mut *tx)
                    .await?;
                    for f in &known {
                        jira_enqueue_on!(&mut *tx, p.id, old_site, project, f, now, true);
                    }
                }
            }
        });
        self.project_jira(project).await?.ok_or(StoreError::NotFound)
    }

    /// Stops a project reporting to Jira (what was sent stays there until a
    /// sync of each flag, which this enqueues, removes it).
    pub async fn clear_project_jira(&self, project: &str, actor: &str) -> Result<bool> {
        let p = self.project(project).await?;
        let now = now_ms();
        let done = with_write_tx!(self, tx => {
            let site: Option<i64> = sqlx::query_scalar("DELETE FROM project_jira WHERE project_id = $1 RETURNING site_id")
                .bind(p.id)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(site_id) = site {
                let known: Vec<String> = sqlx::query_scalar(
                    "SELECT flag_key FROM jira_flag_sync WHERE site_id = $1 AND project = $2 ORDER BY flag_key",
                )
                .bind(site_id)
                .bind(project)
                .fetch_all(&mut *tx)
                .await?;
                for f in &known {
                    jira_enqueue_on!(&mut *tx, p.id, site_id, project, f, now, true);
                }
                audit_on!(&mut *tx, now, actor, "project.jira.delete", &format!("proj/{project}"), None, None);
            }
            site.is_some()
        });
        Ok(done)
    }

    /// The project's Jira settings, resolved; `None` when it reports to no site.
    pub async fn project_jira(&self, project: &str) -> Result<Option<ProjectJira>> {
        let p = self.project(project).await?;
        let row: Option<ProjectJiraRow> = with_pool!(self, pool => sqlx::query_as(
            "SELECT site_id, environments, primary_env, version, updated_at FROM project_jira WHERE project_id = $1"
        )
        .bind(p.id)
        .fetch_optional(pool)
        .await?);
        let Some((site_id, envs, primary, version, updated_at)) = row else { return Ok(None) };
        let environments: Option<Vec<String>> = envs
            .map(|e| serde_json::from_str(&e))
            .transpose()
            .map_err(|e| StoreError::Damaged(format!("project_jira.environments: {e}")))?;
        let (tracked, primary_env) =
            resolve_tracking(&p.environments, environments.as_deref(), primary.as_deref());
        Ok(Some(ProjectJira {
            project: project.to_owned(),
            site_id,
            environments,
            primary,
            tracked,
            primary_env,
            version,
            updated_at,
        }))
    }

    /// Adds an issue to a flag's links (its `jira.issues` property): a flag
    /// update, versioned and audited. Already linked is not an error.
    pub async fn link_flag_issue(
        &self,
        project: &str,
        flag: &str,
        issue: &str,
        actor: &str,
    ) -> Result<()> {
        let issue = issue.trim().to_ascii_uppercase();
        self.edit_links(project, flag, actor, |keys| {
            if keys.contains(&issue) {
                false
            } else {
                keys.push(issue.clone());
                true
            }
        })
        .await
    }

    /// Removes an issue from a flag's links; false when it was not linked.
    pub async fn unlink_flag_issue(
        &self,
        project: &str,
        flag: &str,
        issue: &str,
        actor: &str,
    ) -> Result<bool> {
        let issue = issue.trim().to_ascii_uppercase();
        let mut removed = false;
        self.edit_links(project, flag, actor, |keys| {
            let before = keys.len();
            keys.retain(|k| !k.eq_ignore_ascii_case(&issue));
            removed = keys.len() != before;
            removed
        })
        .await?;
        Ok(removed)
    }

    async fn edit_links(
        &self,
        project: &str,
        flag: &str,
        actor: &str,
        mut edit: impl FnMut(&mut Vec<String>) -> bool,
    ) -> Result<()> {
        for _ in 0..5 {
            let state = self.flag(project, flag).await?;
            let mut f = state.flag.clone();
            let prop = f
                .custom_properties
                .entry(tether_flags::JIRA_ISSUES_PROPERTY.to_owned())
                .or_insert_with(|| tether_flags::CustomProperty {
                    name: "Jira issues".into(),
                    values: vec![],
                });
            if !edit(&mut prop.values) {
                return Ok(());
            }
            if prop.values.is_empty() {
                f.custom_properties.remove(tether_flags::JIRA_ISSUES_PROPERTY);
            }
            match self.update_flag(project, &f, Some(state.version), actor).await {
                Err(StoreError::VersionMismatch { .. }) => continue,
                other => return other.map(|_| ()),
            }
        }
        Err(StoreError::Conflict(format!("flag {flag:?} kept changing; try again")))
    }

    /// Links, optionally only one flag's (by key, in any project) or one project's.
    pub async fn issue_links(
        &self,
        project: Option<&str>,
        flag: Option<&str>,
    ) -> Result<Vec<IssueLink>> {
        let rows: Vec<(String, String, String)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT p.key, l.flag_key, l.issue_key FROM flag_issue_links l JOIN projects p ON p.id = l.project_id \
             WHERE ($1 IS NULL OR p.key = $1) AND ($2 IS NULL OR l.flag_key = $2) \
             ORDER BY l.issue_key, p.key, l.flag_key"
        )
        .bind(project)
        .bind(flag)
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .map(|(project, flag, issue)| IssueLink { project, flag, issue })
            .collect())
    }

    /// The flags linked to one issue.
    pub async fn issue_flags(&self, issue: &str) -> Result<Vec<IssueLink>> {
        let rows: Vec<(String, String, String)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT p.key, l.flag_key, l.issue_key FROM flag_issue_links l JOIN projects p ON p.id = l.project_id \
             WHERE l.issue_key = $1 ORDER BY p.key, l.flag_key"
        )
        .bind(issue.trim().to_ascii_uppercase())
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .map(|(project, flag, issue)| IssueLink { project, flag, issue })
            .collect())
    }

    /// Remembers what Jira said of an issue.
    pub async fn cache_issue(&self, site_id: i64, issue: &CachedIssue) -> Result<()> {
        with_pool!(self, pool => { sqlx::query(
            "INSERT INTO jira_issue_cache (site_id, issue_key, summary, status, status_category, fetched_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (site_id, issue_key) DO UPDATE SET \
             summary = $3, status = $4, status_category = $5, fetched_at = $6"
        )
        .bind(site_id)
        .bind(&issue.issue_key)
        .bind(&issue.summary)
        .bind(&issue.status)
        .bind(&issue.status_category)
        .bind(issue.fetched_at)
        .execute(pool)
        .await?; });
        Ok(())
    }

    pub async fn cached_issue(&self, site_id: i64, issue: &str) -> Result<Option<CachedIssue>> {
        let row: Option<(String, String, String, String, i64)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT issue_key, summary, status, status_category, fetched_at FROM jira_issue_cache \
             WHERE site_id = $1 AND issue_key = $2"
        )
        .bind(site_id)
        .bind(issue)
        .fetch_optional(pool)
        .await?);
        Ok(row.map(|(issue_key, summary, status, status_category, fetched_at)| CachedIssue {
            issue_key,
            summary,
            status,
            status_category,
            fetched_at,
        }))
    }

    /// A flag's sync state on one site.
    pub async fn flag_sync(
        &self,
        site_id: i64,
        project: &str,
        flag: &str,
    ) -> Result<Option<FlagSync>> {
        Ok(with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {SYNC_COLUMNS} FROM jira_flag_sync WHERE site_id = $1 AND project = $2 AND flag_key = $3"
        ))
        .bind(site_id)
        .bind(project)
        .bind(flag)
        .fetch_optional(pool)
        .await?))
    }

    /// Every flag a site has been, or is to be, told about.
    pub async fn flag_syncs_on_site(&self, site_id: i64) -> Result<Vec<FlagSync>> {
        Ok(with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {SYNC_COLUMNS} FROM jira_flag_sync WHERE site_id = $1 ORDER BY project, flag_key"
        ))
        .bind(site_id)
        .fetch_all(pool)
        .await?))
    }

    /// Records what Jira acknowledged for `seq` (never moving `pushed_seq` back).
    pub async fn record_flag_push(
        &self,
        site_id: i64,
        project: &str,
        flag: &str,
        seq: i64,
        pushed: Option<&str>,
        result: Option<&str>,
    ) -> Result<()> {
        let now = now_ms();
        with_pool!(self, pool => { sqlx::query(
            "UPDATE jira_flag_sync SET pushed_seq = $1, pushed_at = $2, pushed = $3, result = $4, last_error = NULL \
             WHERE site_id = $5 AND project = $6 AND flag_key = $7 AND (pushed_seq IS NULL OR pushed_seq <= $1)"
        )
        .bind(seq)
        .bind(now)
        .bind(pushed)
        .bind(result)
        .bind(site_id)
        .bind(project)
        .bind(flag)
        .execute(pool)
        .await?; });
        Ok(())
    }

    /// Records why the last attempt failed (shown on the flag page).
    pub async fn record_flag_push_error(
        &self,
        site_id: i64,
        project: &str,
        flag: &str,
        error: &str,
    ) -> Result<()> {
        with_pool!(self, pool => { sqlx::query(
            "UPDATE jira_flag_sync SET last_error = $1 WHERE site_id = $2 AND project = $3 AND flag_key = $4"
        )
        .bind(error)
        .bind(site_id)
        .bind(project)
        .bind(flag)
        .execute(pool)
        .await?; });
        Ok(())
    }

    /// Enqueues a sync of one flag on one site under a new `updateSequenceId`
    /// (backfill and reconcile's repairs).
    pub async fn enqueue_flag_sync(&self, site_id: i64, project: &str, flag: &str) -> Result<()> {
        let p = self.project(project).await?;
        let now = now_ms();
        with_write_tx!(self, tx => {
            jira_enqueue_on!(&mut *tx, p.id, site_id, project, flag, now, true);
        });
        Ok(())
    }

    /// Raises one flag's `updateSequenceId` on a site, without enqueueing
    /// anything, to above both its current value and `above` (what Jira was
    /// found holding), and at least to now; returns the new value. For a
    /// direct re-send (reconcile's repairs) that must win over what Jira holds.
    pub async fn bump_flag_seq(
        &self,
        site_id: i64,
        project: &str,
        flag: &str,
        above: i64,
    ) -> Result<i64> {
        let floor = now_ms().max(above.saturating_add(1));
        let seq: i64 = with_write_tx!(self, tx => sqlx::query_scalar(
            "INSERT INTO jira_flag_sync (site_id, project, flag_key, seq) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (site_id, project, flag_key) DO UPDATE SET seq = \
             CASE WHEN jira_flag_sync.seq + 1 > $4 THEN jira_flag_sync.seq + 1 ELSE $4 END \
             RETURNING seq",
        )
        .bind(site_id)
        .bind(project)
        .bind(flag)
        .bind(floor)
        .fetch_one(&mut *tx)
        .await?);
        Ok(seq)
    }

    /// Raises the `updateSequenceId` of every flag a site was told about, in
    /// one statement and without enqueueing (backfill sends them itself);
    /// returns how many.
    pub async fn bump_site_flag_seqs(&self, site_id: i64) -> Result<u64> {
        let now = now_ms();
        let n = with_write_tx!(self, tx => sqlx::query(
            "UPDATE jira_flag_sync SET seq = CASE WHEN seq + 1 > $1 THEN seq + 1 ELSE $1 END WHERE site_id = $2",
        )
        .bind(now)
        .bind(site_id)
        .execute(&mut *tx)
        .await?
        .rows_affected());
        Ok(n)
    }

    /// Every (project, flag) a site should hold or has been sent: the linked
    /// flags of projects reporting to it, and those it was told about before.
    pub async fn flags_for_site(&self, site_id: i64) -> Result<Vec<(String, String)>> {
        let rows: Vec<(String, String)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT p.key, l.flag_key FROM flag_issue_links l JOIN projects p ON p.id = l.project_id \
               JOIN project_jira j ON j.project_id = l.project_id WHERE j.site_id = $1 \
             UNION SELECT project, flag_key FROM jira_flag_sync WHERE site_id = $1 \
             ORDER BY 1, 2"
        )
        .bind(site_id)
        .fetch_all(pool)
        .await?);
        Ok(rows)
    }
}
