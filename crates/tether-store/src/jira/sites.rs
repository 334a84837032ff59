//! Jira sites: registered with their secret sealed, Connect installs keyed by
//! their clientKey (installed, refreshed, disabled on uninstall).

use secrecy::SecretString;

use super::forge::match_forge_installations_on;
use crate::audit::audit_on;
use crate::{Result, Store, StoreError, with_pool, with_write_tx, with_writer};

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
    /// The site's cloudId on Jira Cloud, once known (a Connect install, a connection test or the
    /// site's first client asked `/_edge/tenant_info`): how Forge installations find their site.
    pub cloud_id: Option<String>,
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
    cloud_id: Option<String>,
    enabled: bool,
    created_at: i64,
    updated_at: i64,
}

const SITE_COLUMNS: &str = "id, name, url, api_url, deployment, auth_kind, auth_user, options, cloud_id, enabled, created_at, updated_at";

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
            cloud_id: r.cloud_id,
            enabled: r.enabled,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

pub(super) fn secret_context(name: &str) -> String {
    format!("jira_site:{name}")
}

pub(super) fn site_audit(site: &NewJiraSite) -> String {
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

/// Writes a site's settings (URL, deployment, credentials sealed, options), enables it and
/// stamps `updated_at` (what cached clients are keyed by), on the given transaction: for a
/// changed site and for one moved to another Jira alike.
macro_rules! put_site_settings_on {
    ($conn:expr, $id:expr, $new:expr, $sealed:expr, $options:expr, $stamp:expr) => {{
        let new: &$crate::NewJiraSite = $new;
        sqlx::query(
            "UPDATE jira_sites SET url = $1, api_url = $2, deployment = $3, auth_kind = $4, auth_user = $5, \
             secret = $6, options = $7, enabled = $8, updated_at = $9 WHERE id = $10",
        )
        .bind(&new.url)
        .bind(&new.api_url)
        .bind(&new.deployment)
        .bind(new.auth_kind.as_str())
        .bind(&new.auth_user)
        .bind($sealed)
        .bind($options)
        .bind(true)
        .bind($stamp)
        .bind($id)
        .execute($conn)
        .await?
    }};
}
pub(crate) use put_site_settings_on;

impl Store {
    /// Registers a site; its secret is sealed under the master key.
    pub async fn create_jira_site(&self, new: &NewJiraSite, actor: &str) -> Result<JiraSite> {
        let now = self.now();
        let sealed = self.key.seal_secret(&secret_context(&new.name), &new.secret);
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
            match_forge_installations_on!(tx);
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
        let now = self.now();
        let current = self.jira_site(id).await?;
        let sealed = self.key.seal_secret(&secret_context(&current.name), &new.secret);
        let options = serde_json::Value::Object(new.options.clone()).to_string();
        with_write_tx!(self, tx => {
            put_site_settings_on!(&mut *tx, id, new, &sealed, &options, now);
            audit_on!(&mut *tx, now, actor, "jira.site.update", &format!("integration/{}", current.name), None, Some(site_audit(new)));
            match_forge_installations_on!(tx);
        });
        self.jira_site(id).await
    }

    /// Records the deployment a connection detected (`cloud` or `dc`).
    pub async fn set_jira_site_deployment(&self, id: i64, deployment: &str) -> Result<()> {
        with_writer!(self, pool => { sqlx::query("UPDATE jira_sites SET deployment = $1 WHERE id = $2")
            .bind(deployment)
            .bind(id)
            .execute(pool)
            .await?; });
        Ok(())
    }

    /// Records the title Jira gives itself (serverInfo's `serverTitle`), as a connection test
    /// read it, in the site's options under `server_title`; an empty title removes it. The
    /// options are read and written in one transaction, so a concurrent edit is not undone.
    pub async fn set_jira_site_server_title(&self, id: i64, title: &str) -> Result<()> {
        let title = title.trim();
        with_write_tx!(self, tx => {
            let current: Option<(String,)> =
                sqlx::query_as("SELECT options FROM jira_sites WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((text,)) = current else {
                return Err(StoreError::NotFound);
            };
            let mut options: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&text)
                    .map_err(|e| StoreError::Damaged(format!("jira site options: {e}")))?;
            if title.is_empty() {
                options.remove("server_title");
            } else {
                options.insert("server_title".into(), title.into());
            }
            sqlx::query("UPDATE jira_sites SET options = $1 WHERE id = $2")
                .bind(serde_json::Value::Object(options).to_string())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        });
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
        self.key.open_secret(&secret_context(&name), &sealed)
    }

    /// Deletes a site; refused while a project tracks it.
    pub async fn delete_jira_site(&self, id: i64, actor: &str) -> Result<bool> {
        let now = self.now();
        let done = with_write_tx!(self, tx => {
            let users: Vec<String> = sqlx::query_scalar(
                "SELECT p.key FROM project_jira j JOIN projects p ON p.id = j.project_id WHERE j.site_id = $1 ORDER BY p.key",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            if !users.is_empty() {
                return Err(StoreError::Conflict(format!(
                    "projects {} track this site; point them elsewhere first",
                    users.join(", ")
                )));
            }
            let name: Option<String> = sqlx::query_scalar("DELETE FROM jira_sites WHERE id = $1 RETURNING name")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(name) = &name {
                audit_on!(&mut *tx, now, actor, "jira.site.delete", &format!("integration/{name}"), None, None);
                // Its installations (unmatched by the delete) go to another site of theirs, if any.
                match_forge_installations_on!(tx);
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
        let cloud_id = options.get("cloud_id").and_then(|v| v.as_str()).map(str::to_owned);
        let site = match self.jira_site_by_client_key(client_key).await {
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
        }?;
        match cloud_id {
            Some(cloud_id) if site.cloud_id.as_deref() != Some(&cloud_id) => {
                self.set_jira_site_cloud_id(site.id, &cloud_id).await?;
                self.jira_site(site.id).await
            }
            _ => Ok(site),
        }
    }

    /// The Connect `uninstalled` lifecycle: the site stays (with its links) but
    /// is disabled; Jira has dropped everything the app sent.
    pub async fn uninstall_connect_site(&self, client_key: &str) -> Result<JiraSite> {
        let site = self.jira_site_by_client_key(client_key).await?;
        let now = self.now();
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
}
