//! Projects and their environments.

use crate::audit::audit_on;
use crate::{Result, Store, StoreError, with_pool, with_writer};

/// The four environment types Jira's Feature Flags API knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvKind {
    Development,
    Testing,
    Staging,
    Production,
}

impl EnvKind {
    pub const ALL: [EnvKind; 4] =
        [EnvKind::Development, EnvKind::Testing, EnvKind::Staging, EnvKind::Production];

    pub fn as_str(self) -> &'static str {
        match self {
            EnvKind::Development => "development",
            EnvKind::Testing => "testing",
            EnvKind::Staging => "staging",
            EnvKind::Production => "production",
        }
    }

    pub fn parse(s: &str) -> Option<EnvKind> {
        EnvKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A project to create. With no environments given it gets development, staging
/// and production, production being primary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProject {
    pub key: String,
    pub name: String,
    pub description: String,
    pub environments: Vec<NewEnvironment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEnvironment {
    pub key: String,
    pub name: String,
    pub kind: EnvKind,
    pub primary: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub description: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub environments: Vec<Environment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    pub key: String,
    pub name: String,
    pub kind: EnvKind,
    pub primary: bool,
}

#[derive(sqlx::FromRow)]
struct ProjectRow {
    id: i64,
    key: String,
    name: String,
    description: String,
    version: i64,
    created_at: i64,
    updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct EnvRow {
    project_id: i64,
    key: String,
    name: String,
    kind: String,
    is_primary: bool,
}

impl EnvRow {
    fn into_env(self) -> Environment {
        Environment {
            kind: EnvKind::parse(&self.kind).unwrap_or(EnvKind::Development),
            key: self.key,
            name: self.name,
            primary: self.is_primary,
        }
    }
}

impl NewProject {
    fn environments_or_default(&self) -> Vec<NewEnvironment> {
        if !self.environments.is_empty() {
            return self.environments.clone();
        }
        [
            ("development", "Development", EnvKind::Development),
            ("staging", "Staging", EnvKind::Staging),
            ("production", "Production", EnvKind::Production),
        ]
        .into_iter()
        .map(|(key, name, kind)| NewEnvironment {
            key: key.to_owned(),
            name: name.to_owned(),
            kind,
            primary: kind == EnvKind::Production,
        })
        .collect()
    }
}

impl Store {
    /// Creates a project with its environments and an audit entry, all in one
    /// transaction. Exactly one environment must be primary.
    pub async fn create_project(&self, new: &NewProject, actor: &str) -> Result<Project> {
        let envs = new.environments_or_default();
        let primaries = envs.iter().filter(|e| e.primary).count();
        if primaries != 1 {
            return Err(StoreError::Invalid(format!(
                "exactly one environment must be primary, found {primaries}"
            )));
        }
        let now = self.now();
        let after = serde_json::json!({
            "key": new.key,
            "name": new.name,
            "description": new.description,
            "environments": envs.iter().map(|e| serde_json::json!({
                "key": e.key, "name": e.name, "kind": e.kind.as_str(), "primary": e.primary,
            })).collect::<Vec<_>>(),
        })
        .to_string();
        let resource = format!("proj/{}", new.key);
        with_writer!(self, pool => {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO projects (key, name, description, version, created_at, updated_at) \
                 VALUES ($1, $2, $3, 1, $4, $4) RETURNING id",
            )
            .bind(&new.key)
            .bind(&new.name)
            .bind(&new.description)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => {
                    StoreError::Conflict(format!("a project with key {:?} exists", new.key))
                }
                other => other,
            })?;
            for (position, env) in envs.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO environments (project_id, key, name, kind, is_primary, position, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(id)
                .bind(&env.key)
                .bind(&env.name)
                .bind(env.kind.as_str())
                .bind(env.primary)
                .bind(position as i64)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| match StoreError::from(e) {
                    StoreError::Conflict(_) => StoreError::Conflict(format!(
                        "environment key {:?} is used twice",
                        env.key
                    )),
                    other => other,
                })?;
            }
            audit_on!(&mut *tx, now, actor, "project.create", &resource, None, Some(after));
            tx.commit().await?;
        });
        self.project(&new.key).await
    }

    /// One project by key, with its environments in order.
    pub async fn project(&self, key: &str) -> Result<Project> {
        let row: ProjectRow = with_pool!(self, pool => sqlx::query_as(
            "SELECT id, key, name, description, version, created_at, updated_at FROM projects WHERE key = $1"
        )
        .bind(key)
        .fetch_one(pool)
        .await?);
        let envs: Vec<EnvRow> = with_pool!(self, pool => sqlx::query_as(
            "SELECT project_id, key, name, kind, is_primary FROM environments \
             WHERE project_id = $1 ORDER BY position"
        )
        .bind(row.id)
        .fetch_all(pool)
        .await?);
        Ok(assemble(row, envs.into_iter().map(EnvRow::into_env).collect()))
    }

    /// Every project, by key, with environments.
    pub async fn list_projects(&self) -> Result<Vec<Project>> {
        let rows: Vec<ProjectRow> = with_pool!(self, pool => sqlx::query_as(
            "SELECT id, key, name, description, version, created_at, updated_at FROM projects ORDER BY key"
        )
        .fetch_all(pool)
        .await?);
        let envs: Vec<EnvRow> = with_pool!(self, pool => sqlx::query_as(
            "SELECT project_id, key, name, kind, is_primary FROM environments ORDER BY project_id, position"
        )
        .fetch_all(pool)
        .await?);
        let mut projects: Vec<Project> =
            rows.into_iter().map(|r| assemble(r, Vec::new())).collect();
        for env in envs {
            if let Some(p) = projects.iter_mut().find(|p| p.id == env.project_id) {
                p.environments.push(env.into_env());
            }
        }
        Ok(projects)
    }
}

fn assemble(row: ProjectRow, environments: Vec<Environment>) -> Project {
    Project {
        id: row.id,
        key: row.key,
        name: row.name,
        description: row.description,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        environments,
    }
}
