//! Repositories (`dev_repositories`: a GitHub or GitLab webhook with its secret sealed, or a
//! local path), their groups (`dev_groups`), the instance-level code settings, and the
//! per-site Development Information credentials (`dev_devinfo_credentials`).

use secrecy::SecretString;

use super::settings::{CodeSettings, Resolved, resolve};
use crate::audit::audit_on;
use crate::{Result, Store, StoreError, with_pool, with_write_tx, with_writer};

/// The instance's code settings, a plain setting of this name.
const INSTANCE_SETTINGS: &str = "dev.settings";

/// Where a repository's events come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RepoSource {
    /// GitHub webhooks, signed with the repository's secret.
    GitHub,
    /// GitLab webhooks, carrying the repository's secret token.
    GitLab,
    /// A git repository on this machine, scanned.
    Local,
}

impl RepoSource {
    pub const ALL: [RepoSource; 3] = [RepoSource::GitHub, RepoSource::GitLab, RepoSource::Local];

    pub fn as_str(self) -> &'static str {
        match self {
            RepoSource::GitHub => "github",
            RepoSource::GitLab => "gitlab",
            RepoSource::Local => "local",
        }
    }

    pub fn parse(s: &str) -> Option<RepoSource> {
        RepoSource::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The forge whose webhooks this repository takes.
    pub fn forge(self) -> Option<tether_forge::Forge> {
        match self {
            RepoSource::GitHub => Some(tether_forge::Forge::GitHub),
            RepoSource::GitLab => Some(tether_forge::Forge::GitLab),
            RepoSource::Local => None,
        }
    }
}

/// A repository, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub id: i64,
    /// Unique; how people and the CLI name it.
    pub name: String,
    pub source: RepoSource,
    pub group: Option<String>,
    /// Whether a webhook secret is held.
    pub has_secret: bool,
    /// A local clone: scanned (local repositories), or read to complete truncated pushes.
    pub path: Option<String>,
    /// The repository's page, for links (local repositories; forges send their own).
    pub web_url: Option<String>,
    pub settings: CodeSettings,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A repository to add.
#[derive(Debug, Clone)]
pub struct NewRepository {
    pub name: String,
    pub source: RepoSource,
    pub group: Option<String>,
    /// The webhook secret (GitHub) or token (GitLab).
    pub secret: Option<SecretString>,
    pub path: Option<String>,
    pub web_url: Option<String>,
    pub settings: CodeSettings,
}

/// A group of repositories sharing settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoGroup {
    pub id: i64,
    pub name: String,
    pub settings: CodeSettings,
}

/// OAuth 2.0 client credentials a site's admin created for the Development Information API
/// (Jira Cloud's "OAuth credentials" for self-hosted tools); the secret is kept apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevInfoCredentials {
    pub site_id: i64,
    pub client_id: String,
    /// `token_url`, `gateway_url` when not Atlassian's.
    pub options: serde_json::Map<String, serde_json::Value>,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct RepoRow {
    id: i64,
    name: String,
    source: String,
    group_name: Option<String>,
    has_secret: bool,
    path: Option<String>,
    web_url: Option<String>,
    settings: String,
    created_at: i64,
    updated_at: i64,
}

const REPO_SELECT: &str = "SELECT r.id, r.name, r.source, g.name AS group_name, \
     (r.secret IS NOT NULL) AS has_secret, r.path, r.web_url, r.settings, r.created_at, r.updated_at \
     FROM dev_repositories r LEFT JOIN dev_groups g ON g.id = r.group_id";

impl TryFrom<RepoRow> for Repository {
    type Error = StoreError;
    fn try_from(r: RepoRow) -> Result<Repository> {
        Ok(Repository {
            source: RepoSource::parse(&r.source)
                .ok_or_else(|| StoreError::Damaged(format!("repository source {:?}", r.source)))?,
            settings: CodeSettings::from_row(&r.settings)?,
            id: r.id,
            name: r.name,
            group: r.group_name,
            has_secret: r.has_secret,
            path: r.path,
            web_url: r.web_url,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn secret_context(id: i64) -> String {
    format!("dev_repository:{id}")
}

fn devinfo_context(site_id: i64) -> String {
    format!("dev_devinfo:{site_id}")
}

fn resource(name: &str) -> String {
    format!("repository/{name}")
}

impl Store {
    /// The instance's code settings (what groups and repositories inherit).
    pub async fn instance_code_settings(&self) -> Result<CodeSettings> {
        match self.setting(INSTANCE_SETTINGS).await? {
            Some(json) => CodeSettings::from_row(&json),
            None => Ok(CodeSettings::default()),
        }
    }

    pub async fn set_instance_code_settings(&self, s: &CodeSettings, actor: &str) -> Result<()> {
        let now = self.now();
        let row = s.to_row();
        with_write_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO settings (key, value, secret, updated_at) VALUES ($1, $2, NULL, $3) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, secret = NULL, \
                 updated_at = excluded.updated_at",
            )
            .bind(INSTANCE_SETTINGS)
            .bind(&row)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit_on!(&mut *tx, now, actor, "code.settings.update", "code/instance", None, Some(row));
        });
        Ok(())
    }

    pub async fn create_repo_group(&self, name: &str, actor: &str) -> Result<RepoGroup> {
        let now = self.now();
        let id: i64 = with_write_tx!(self, tx => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO dev_groups (name, settings, created_at, updated_at) VALUES ($1, '{}', $2, $2) RETURNING id",
            )
            .bind(name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => StoreError::Conflict(format!("a group named {name:?} exists")),
                other => other,
            })?;
            audit_on!(&mut *tx, now, actor, "code.group.create", &format!("group/{name}"), None, None);
            id
        });
        Ok(RepoGroup { id, name: name.to_owned(), settings: CodeSettings::default() })
    }

    pub async fn repo_groups(&self) -> Result<Vec<RepoGroup>> {
        let rows: Vec<(i64, String, String)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT id, name, settings FROM dev_groups ORDER BY name"
        )
        .fetch_all(pool)
        .await?);
        rows.into_iter()
            .map(|(id, name, s)| Ok(RepoGroup { id, name, settings: CodeSettings::from_row(&s)? }))
            .collect()
    }

    pub async fn repo_group(&self, name: &str) -> Result<RepoGroup> {
        let (id, name, s): (i64, String, String) = with_pool!(self, pool => sqlx::query_as(
            "SELECT id, name, settings FROM dev_groups WHERE name = $1"
        )
        .bind(name)
        .fetch_one(pool)
        .await?);
        Ok(RepoGroup { id, name, settings: CodeSettings::from_row(&s)? })
    }

    pub async fn set_repo_group_settings(
        &self,
        name: &str,
        s: &CodeSettings,
        actor: &str,
    ) -> Result<()> {
        let now = self.now();
        let row = s.to_row();
        with_write_tx!(self, tx => {
            let n = sqlx::query("UPDATE dev_groups SET settings = $1, updated_at = $2 WHERE name = $3")
                .bind(&row)
                .bind(now)
                .bind(name)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            audit_on!(&mut *tx, now, actor, "code.group.settings", &format!("group/{name}"), None, Some(row));
        });
        Ok(())
    }

    /// Deletes a group; its repositories keep their own settings and inherit the instance's.
    pub async fn delete_repo_group(&self, name: &str, actor: &str) -> Result<bool> {
        let now = self.now();
        let done = with_write_tx!(self, tx => {
            let n = sqlx::query("DELETE FROM dev_groups WHERE name = $1")
                .bind(name)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n > 0 {
                audit_on!(&mut *tx, now, actor, "code.group.delete", &format!("group/{name}"), None, None);
            }
            n > 0
        });
        Ok(done)
    }

    /// Adds a repository; its secret is sealed under the master key.
    pub async fn create_repository(&self, new: &NewRepository, actor: &str) -> Result<Repository> {
        let now = self.now();
        let id: i64 = with_write_tx!(self, tx => {
            let group_id: Option<i64> = match &new.group {
                Some(g) => Some(
                    sqlx::query_scalar("SELECT id FROM dev_groups WHERE name = $1")
                        .bind(g)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or_else(|| StoreError::Invalid(format!("no group named {g:?}")))?,
                ),
                None => None,
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO dev_repositories (name, source, group_id, path, web_url, settings, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            )
            .bind(&new.name)
            .bind(new.source.as_str())
            .bind(group_id)
            .bind(&new.path)
            .bind(&new.web_url)
            .bind(new.settings.to_row())
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => StoreError::Conflict(format!("a repository named {:?} exists", new.name)),
                other => other,
            })?;
            if let Some(secret) = &new.secret {
                // Sealed under the row's id, known only now.
                sqlx::query("UPDATE dev_repositories SET secret = $1 WHERE id = $2")
                    .bind(self.key.seal_secret(&secret_context(id), secret))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            let after = serde_json::json!({"source": new.source.as_str(), "group": new.group, "path": new.path, "web_url": new.web_url}).to_string();
            audit_on!(&mut *tx, now, actor, "code.repository.create", &resource(&new.name), None, Some(after));
            id
        });
        self.repository(id).await
    }

    pub async fn repository(&self, id: i64) -> Result<Repository> {
        let row: RepoRow = with_pool!(self, pool => sqlx::query_as(&format!("{REPO_SELECT} WHERE r.id = $1"))
            .bind(id)
            .fetch_one(pool)
            .await?);
        row.try_into()
    }

    pub async fn repository_by_name(&self, name: &str) -> Result<Repository> {
        let row: RepoRow = with_pool!(self, pool => sqlx::query_as(&format!("{REPO_SELECT} WHERE r.name = $1"))
            .bind(name)
            .fetch_one(pool)
            .await?);
        row.try_into()
    }

    pub async fn repositories(&self) -> Result<Vec<Repository>> {
        let rows: Vec<RepoRow> = with_pool!(self, pool => sqlx::query_as(&format!("{REPO_SELECT} ORDER BY r.name"))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// What checking a delivery to a repository's webhook address needs, in one read: where
    /// the repository's deliveries come from, and its secret or token. `NotFound` when there
    /// is no such repository.
    /// Kept in memory for a moment (see `dev::intake`): every delivery asks.
    pub async fn repository_webhook(&self, id: i64) -> Result<(RepoSource, Option<SecretString>)> {
        let now = self.clock.now_ms();
        let (source, sealed) = match self.intake.webhook(id, now) {
            Ok(w) => (w.source, w.sealed),
            Err(generation) => {
                let (source, sealed): (String, Option<Vec<u8>>) = with_pool!(self, pool => sqlx::query_as(
                    "SELECT source, secret FROM dev_repositories WHERE id = $1"
                )
                .bind(id)
                .fetch_one(pool)
                .await?);
                self.intake.keep_webhook(id, (source.clone(), sealed.clone()), now, generation);
                (source, sealed)
            }
        };
        let source = RepoSource::parse(&source)
            .ok_or_else(|| StoreError::Damaged(format!("repository source {source:?}")))?;
        let secret = sealed.map(|s| self.key.open_secret(&secret_context(id), &s)).transpose()?;
        Ok((source, secret))
    }

    /// The repository's webhook secret or token.
    pub async fn repository_secret(&self, id: i64) -> Result<Option<SecretString>> {
        let sealed: Option<Vec<u8>> = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT secret FROM dev_repositories WHERE id = $1"
        )
        .bind(id)
        .fetch_one(pool)
        .await?);
        sealed.map(|s| self.key.open_secret(&secret_context(id), &s)).transpose()
    }

    /// Replaces the webhook secret (a new one is shown once, then pasted into the forge).
    pub async fn set_repository_secret(
        &self,
        id: i64,
        secret: &SecretString,
        actor: &str,
    ) -> Result<()> {
        let now = self.now();
        let repo = self.repository(id).await?;
        with_write_tx!(self, tx => {
            sqlx::query("UPDATE dev_repositories SET secret = $1, updated_at = $2 WHERE id = $3")
                .bind(self.key.seal_secret(&secret_context(id), secret))
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit_on!(&mut *tx, now, actor, "code.repository.secret", &resource(&repo.name), None, None);
        });
        self.intake.forget_webhooks();
        Ok(())
    }

    /// Changes a repository's group, path and web URL.
    pub async fn update_repository(
        &self,
        id: i64,
        group: Option<&str>,
        path: Option<&str>,
        web_url: Option<&str>,
        actor: &str,
    ) -> Result<Repository> {
        let now = self.now();
        let repo = self.repository(id).await?;
        with_write_tx!(self, tx => {
            let group_id: Option<i64> = match group {
                Some(g) => Some(
                    sqlx::query_scalar("SELECT id FROM dev_groups WHERE name = $1")
                        .bind(g)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or_else(|| StoreError::Invalid(format!("no group named {g:?}")))?,
                ),
                None => None,
            };
            sqlx::query("UPDATE dev_repositories SET group_id = $1, path = $2, web_url = $3, updated_at = $4 WHERE id = $5")
                .bind(group_id)
                .bind(path)
                .bind(web_url)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let after = serde_json::json!({"group": group, "path": path, "web_url": web_url}).to_string();
            audit_on!(&mut *tx, now, actor, "code.repository.update", &resource(&repo.name), None, Some(after));
        });
        self.repository(id).await
    }

    pub async fn set_repository_settings(
        &self,
        id: i64,
        s: &CodeSettings,
        actor: &str,
    ) -> Result<()> {
        let now = self.now();
        let repo = self.repository(id).await?;
        let row = s.to_row();
        with_write_tx!(self, tx => {
            sqlx::query("UPDATE dev_repositories SET settings = $1, updated_at = $2 WHERE id = $3")
                .bind(&row)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit_on!(&mut *tx, now, actor, "code.repository.settings", &resource(&repo.name), Some(repo.settings.to_row()), Some(row));
        });
        Ok(())
    }

    /// Removes a repository with its events, mentions, scan state and findings. The ledger
    /// stays: what was done on Jira issues was done.
    pub async fn delete_repository(&self, id: i64, actor: &str) -> Result<bool> {
        let now = self.now();
        let done = with_write_tx!(self, tx => {
            let name: Option<String> = sqlx::query_scalar("DELETE FROM dev_repositories WHERE id = $1 RETURNING name")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(name) = &name {
                audit_on!(&mut *tx, now, actor, "code.repository.delete", &resource(name), None, None);
            }
            name.is_some()
        });
        self.intake.forget_webhooks();
        Ok(done)
    }

    /// The settings in force for a repository, with where each field comes from.
    pub async fn resolved_code_settings(&self, repo: &Repository) -> Result<Resolved> {
        let instance = self.instance_code_settings().await?;
        let group = match &repo.group {
            Some(name) => Some(self.repo_group(name).await?),
            None => None,
        };
        Ok(resolve(
            &instance,
            group.as_ref().map(|g| (g.name.as_str(), &g.settings)),
            &repo.settings,
        ))
    }

    /// Stores the Development Information credentials of a site (replacing any).
    pub async fn set_devinfo_credentials(
        &self,
        site_id: i64,
        client_id: &str,
        secret: &SecretString,
        options: &serde_json::Map<String, serde_json::Value>,
        actor: &str,
    ) -> Result<()> {
        let now = self.now();
        let sealed = self.key.seal_secret(&devinfo_context(site_id), secret);
        let options = serde_json::Value::Object(options.clone()).to_string();
        with_write_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO dev_devinfo_credentials (site_id, client_id, secret, options, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (site_id) DO UPDATE SET \
                 client_id = excluded.client_id, secret = excluded.secret, options = excluded.options, \
                 updated_at = excluded.updated_at",
            )
            .bind(site_id)
            .bind(client_id)
            .bind(&sealed)
            .bind(&options)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit_on!(&mut *tx, now, actor, "code.devinfo.credentials", &format!("site/{site_id}"), None, None);
        });
        Ok(())
    }

    /// A site's Development Information credentials and their secret, if set.
    pub async fn devinfo_credentials(
        &self,
        site_id: i64,
    ) -> Result<Option<(DevInfoCredentials, SecretString)>> {
        let row: Option<(String, Vec<u8>, String, i64)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT client_id, secret, options, updated_at FROM dev_devinfo_credentials WHERE site_id = $1"
        )
        .bind(site_id)
        .fetch_optional(pool)
        .await?);
        let Some((client_id, sealed, options, updated_at)) = row else { return Ok(None) };
        let options = serde_json::from_str(&options)
            .map_err(|e| StoreError::Damaged(format!("devinfo options: {e}")))?;
        let secret = self.key.open_secret(&devinfo_context(site_id), &sealed)?;
        Ok(Some((DevInfoCredentials { site_id, client_id, options, updated_at }, secret)))
    }

    pub async fn delete_devinfo_credentials(&self, site_id: i64) -> Result<bool> {
        let n = with_writer!(self, pool => sqlx::query("DELETE FROM dev_devinfo_credentials WHERE site_id = $1")
            .bind(site_id)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n > 0)
    }
}
