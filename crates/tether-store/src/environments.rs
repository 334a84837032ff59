//! A project's environments after its creation: added (every flag off, or with
//! another environment's flag configurations), changed (name, kind, which one is
//! primary) and deleted (with its flag configurations and SDK keys).
//!
//! Environments are versioned with their project: each change here checks and
//! bumps the project's `version`, is audited, and writes an `environment.*`
//! event, all in one transaction. None of them changes what an existing
//! environment evaluates, so no `config_version` moves; a deleted environment's
//! id is never reused, which is how evaluation caches tell a re-created
//! environment from the one they hold.

use serde_json::{Value, json};
use tether_flags::{EnvConfig, Flag};

use crate::audit::audit_on;
use crate::flag_format::{config_to_json, flag_from_json};
use crate::flags::{check_version, conflict_as, emit, event};
use crate::outbox::kinds::Event;
use crate::projects::{EnvKind, NewEnvironment, Project};
use crate::{Result, Store, StoreError, with_write_tx};

/// What to change of an environment; `None` leaves a part as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvironmentChange {
    pub name: Option<String>,
    pub kind: Option<EnvKind>,
    /// `Some(true)` makes it the primary environment and demotes the old one.
    /// `Some(false)` on the primary is refused: a project always has one, so
    /// another environment is made primary instead.
    pub primary: Option<bool>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    key: String,
    name: String,
    kind: String,
    is_primary: bool,
}

impl Row {
    fn json(&self) -> Value {
        json!({"key": self.key, "name": self.name, "kind": self.kind, "primary": self.is_primary})
    }
}

const ROW: &str = "SELECT id, key, name, kind, is_primary FROM environments";

fn env_resource(project: &str, env: &str) -> String {
    format!("proj/{project}:env/{env}")
}

/// Locks the project's row, checks the version the caller based its change on,
/// and returns the project's id.
macro_rules! lock_project {
    ($store:expr, $tx:expr, $project:expr, $expected:expr) => {{
        let lock = $store.for_update();
        let (id, version): (i64, i64) =
            sqlx::query_as(&format!("SELECT id, version FROM projects WHERE key = $1{lock}"))
                .bind($project)
                .fetch_one(&mut *$tx)
                .await?;
        check_version($expected, version)?;
        id
    }};
}

/// Counts a change to the project's environments in its version.
macro_rules! bump_project_version {
    ($tx:expr, $project_id:expr, $now:expr) => {{
        sqlx::query("UPDATE projects SET version = version + 1, updated_at = $1 WHERE id = $2")
            .bind($now)
            .bind($project_id)
            .execute(&mut *$tx)
            .await?;
    }};
}

/// Demotes the project's primary environment (if it is not `except`), auditing
/// it and announcing it; returns the demoted environment's key.
macro_rules! demote_primary {
    ($tx:expr, $project:expr, $project_id:expr, $except:expr, $now:expr, $actor:expr) => {{
        let old: Option<Row> = sqlx::query_as(&format!(
            "{ROW} WHERE project_id = $1 AND is_primary = $2 AND key <> $3"
        ))
        .bind($project_id)
        .bind(true)
        .bind($except)
        .fetch_optional(&mut *$tx)
        .await?;
        if let Some(old) = &old {
            sqlx::query("UPDATE environments SET is_primary = $1 WHERE id = $2")
                .bind(false)
                .bind(old.id)
                .execute(&mut *$tx)
                .await?;
            let before = old.json();
            let mut after = before.clone();
            after["primary"] = json!(false);
            let resource = env_resource($project, &old.key);
            audit_on!(
                &mut *$tx,
                $now,
                $actor,
                "environment.update",
                &resource,
                Some(before.to_string()),
                Some(after.to_string())
            );
            emit!(
                &mut *$tx,
                Event {
                    environment: Some(old.key.clone()),
                    ..event("environment.updated", $project, $actor, $now)
                }
            );
        }
        old.map(|o| o.key)
    }};
}

/// Refuses a state without exactly one primary environment (a safety net: the
/// changes above keep it so).
macro_rules! check_one_primary {
    ($tx:expr, $project:expr, $project_id:expr) => {{
        let primaries: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM environments WHERE project_id = $1 AND is_primary = $2",
        )
        .bind($project_id)
        .bind(true)
        .fetch_one(&mut *$tx)
        .await?;
        if primaries != 1 {
            return Err(StoreError::Refused(format!(
                "project {:?} would have {primaries} primary environments instead of one",
                $project
            )));
        }
    }};
}

impl Store {
    /// Adds an environment at the end of the project's list. Every flag gets
    /// `copy_from`'s configuration of it when given, else `initial(flag)`. A new
    /// primary environment demotes the old one.
    pub async fn create_environment<F>(
        &self,
        project: &str,
        new: &NewEnvironment,
        copy_from: Option<&str>,
        initial: F,
        expected: Option<i64>,
        actor: &str,
    ) -> Result<Project>
    where
        F: Fn(&Flag) -> EnvConfig + Send + Sync,
    {
        let now = self.now();
        with_write_tx!(self, tx => {
            let project_id = lock_project!(self, tx, project, expected);
            let source: Option<i64> = match copy_from {
                None => None,
                Some(from) => Some(
                    sqlx::query_scalar("SELECT id FROM environments WHERE project_id = $1 AND key = $2")
                        .bind(project_id)
                        .bind(from)
                        .fetch_one(&mut *tx)
                        .await?,
                ),
            };
            let demoted = if new.primary {
                demote_primary!(tx, project, project_id, &new.key, now, actor)
            } else {
                None
            };
            let position: i64 = sqlx::query_scalar(
                "SELECT COALESCE(MAX(position), -1) + 1 FROM environments WHERE project_id = $1",
            )
            .bind(project_id)
            .fetch_one(&mut *tx)
            .await?;
            let env_id: i64 = sqlx::query_scalar(
                "INSERT INTO environments (project_id, key, name, kind, is_primary, position, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(project_id)
            .bind(&new.key)
            .bind(&new.name)
            .bind(new.kind.as_str())
            .bind(new.primary)
            .bind(position)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(conflict_as(format!(
                "an environment with key {:?} exists in project {project:?}",
                new.key
            )))?;
            let flags = match source {
                Some(source) => sqlx::query(
                    "INSERT INTO flag_configs (flag_id, environment_id, body, version, updated_at, updated_by) \
                     SELECT flag_id, $1, body, 1, $2, $3 FROM flag_configs WHERE environment_id = $4",
                )
                .bind(env_id)
                .bind(now)
                .bind(actor)
                .bind(source)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
                None => {
                    let rows: Vec<(i64, String, String)> =
                        sqlx::query_as("SELECT id, key, body FROM flags WHERE project_id = $1 ORDER BY key")
                            .bind(project_id)
                            .fetch_all(&mut *tx)
                            .await?;
                    for (flag_id, key, body) in &rows {
                        let config = config_to_json(&initial(&flag_from_json(key, body)?));
                        sqlx::query(
                            "INSERT INTO flag_configs (flag_id, environment_id, body, version, updated_at, updated_by) \
                             VALUES ($1, $2, $3, 1, $4, $5)",
                        )
                        .bind(flag_id)
                        .bind(env_id)
                        .bind(&config)
                        .bind(now)
                        .bind(actor)
                        .execute(&mut *tx)
                        .await?;
                    }
                    rows.len() as u64
                }
            };
            check_one_primary!(tx, project, project_id);
            bump_project_version!(tx, project_id, now);
            let after = json!({
                "key": new.key,
                "name": new.name,
                "kind": new.kind.as_str(),
                "primary": new.primary,
                "copy_from": copy_from,
                "flags": flags,
                "demoted": demoted,
            });
            audit_on!(&mut *tx, now, actor, "environment.create", &env_resource(project, &new.key), None, Some(after.to_string()));
            emit!(&mut *tx, Event {
                environment: Some(new.key.clone()),
                ..event("environment.created", project, actor, now)
            });
        });
        self.project(project).await
    }

    /// Changes an environment's name, kind or primacy.
    pub async fn update_environment(
        &self,
        project: &str,
        env: &str,
        change: &EnvironmentChange,
        expected: Option<i64>,
        actor: &str,
    ) -> Result<Project> {
        let now = self.now();
        let lock = self.for_update();
        with_write_tx!(self, tx => {
            let project_id = lock_project!(self, tx, project, expected);
            let row: Row = sqlx::query_as(&format!("{ROW} WHERE project_id = $1 AND key = $2{lock}"))
                .bind(project_id)
                .bind(env)
                .fetch_one(&mut *tx)
                .await?;
            if change.primary == Some(false) && row.is_primary {
                return Err(StoreError::Refused(format!(
                    "{env:?} is the primary environment of project {project:?}: make another \
                     environment primary instead"
                )));
            }
            let primary = change.primary.unwrap_or(row.is_primary);
            if primary && !row.is_primary {
                demote_primary!(tx, project, project_id, env, now, actor);
            }
            let name = change.name.clone().unwrap_or_else(|| row.name.clone());
            let kind = change.kind.map_or_else(|| row.kind.clone(), |k| k.as_str().to_owned());
            sqlx::query("UPDATE environments SET name = $1, kind = $2, is_primary = $3 WHERE id = $4")
                .bind(&name)
                .bind(&kind)
                .bind(primary)
                .bind(row.id)
                .execute(&mut *tx)
                .await?;
            check_one_primary!(tx, project, project_id);
            bump_project_version!(tx, project_id, now);
            let after = json!({"key": env, "name": name, "kind": kind, "primary": primary});
            audit_on!(
                &mut *tx,
                now,
                actor,
                "environment.update",
                &env_resource(project, env),
                Some(row.json().to_string()),
                Some(after.to_string())
            );
            emit!(&mut *tx, Event {
                environment: Some(env.to_owned()),
                ..event("environment.updated", project, actor, now)
            });
        });
        self.project(project).await
    }

    /// Deletes an environment with its flag configurations, revoking its SDK
    /// keys. The primary environment (and so the last one) cannot be deleted.
    /// The audit entry keeps what was deleted.
    pub async fn delete_environment(
        &self,
        project: &str,
        env: &str,
        expected: Option<i64>,
        actor: &str,
    ) -> Result<Project> {
        let now = self.now();
        let lock = self.for_update();
        with_write_tx!(self, tx => {
            let project_id = lock_project!(self, tx, project, expected);
            let row: Row = sqlx::query_as(&format!("{ROW} WHERE project_id = $1 AND key = $2{lock}"))
                .bind(project_id)
                .bind(env)
                .fetch_one(&mut *tx)
                .await?;
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM environments WHERE project_id = $1")
                .bind(project_id)
                .fetch_one(&mut *tx)
                .await?;
            if count <= 1 {
                return Err(StoreError::Refused(format!(
                    "{env:?} is the only environment of project {project:?}: a project needs one"
                )));
            }
            if row.is_primary {
                return Err(StoreError::Refused(format!(
                    "{env:?} is the primary environment of project {project:?}: make another \
                     environment primary first"
                )));
            }
            let revoked: Vec<(i64, String)> = sqlx::query_as(
                "UPDATE sdk_keys SET revoked_at = $1 WHERE environment_id = $2 AND revoked_at IS NULL \
                 RETURNING id, hint",
            )
            .bind(now)
            .bind(row.id)
            .fetch_all(&mut *tx)
            .await?;
            let configs: Vec<(String, String)> = sqlx::query_as(
                "SELECT f.key, c.body FROM flag_configs c JOIN flags f ON f.id = c.flag_id \
                 WHERE c.environment_id = $1 ORDER BY f.key",
            )
            .bind(row.id)
            .fetch_all(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM flag_configs WHERE environment_id = $1")
                .bind(row.id)
                .execute(&mut *tx)
                .await?;
            // The revoked keys go with their environment (the audit entry keeps them).
            sqlx::query("DELETE FROM environments WHERE id = $1").bind(row.id).execute(&mut *tx).await?;
            bump_project_version!(tx, project_id, now);
            let mut before = row.json();
            before["flag_configs"] = configs
                .iter()
                .map(|(key, body)| (key.clone(), serde_json::from_str(body).unwrap_or(Value::Null)))
                .collect::<serde_json::Map<_, _>>()
                .into();
            before["revoked_sdk_keys"] =
                revoked.iter().map(|(id, hint)| json!({"id": id, "hint": hint})).collect();
            audit_on!(&mut *tx, now, actor, "environment.delete", &env_resource(project, env), Some(before.to_string()), None);
            emit!(&mut *tx, Event {
                environment: Some(env.to_owned()),
                ..event("environment.deleted", project, actor, now)
            });
        });
        self.project(project).await
    }
}
