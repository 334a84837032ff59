//! Flags, their configuration per environment, and segments: versioned, audited,
//! and each change bumps the `config_version` of the environments it affects
//! (the version of their evaluation snapshot, and the OFREP ETag).

use tether_flags::{EnvConfig, Flag, Segment};

use crate::audit::audit_on;
use crate::flag_format::{
    Damaged, config_from_json, config_to_json, flag_from_json, flag_to_json, segment_from_json,
    segment_to_json,
};
use crate::jira::{index_links_on, jira_touch_on};
use crate::outbox::kinds::Event;
use crate::{Result, Store, StoreError, with_pool, with_write_tx};

/// A flag as stored, with its configuration in every environment of its project.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagState {
    pub flag: Flag,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub updated_by: String,
    /// In the project's environment order.
    pub environments: Vec<EnvConfigState>,
}

/// One environment's configuration of a flag.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvConfigState {
    pub env: String,
    pub config: EnvConfig,
    pub version: i64,
    pub updated_at: i64,
    pub updated_by: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SegmentState {
    pub segment: Segment,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub updated_by: String,
}

/// Everything one environment evaluates, at one `config_version`.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvContents {
    /// The environment's id: never reused, so a deleted environment re-created
    /// under the same key has another.
    pub env_id: i64,
    pub version: i64,
    pub flags: Vec<(Flag, EnvConfig)>,
    pub segments: Vec<Segment>,
}

/// One flag of an environment, read with the environment's version in one transaction:
/// what a snapshot needs to take in a change to that flag alone.
#[derive(Debug, Clone)]
pub struct EnvFlag {
    pub env_id: i64,
    pub version: i64,
    /// `None` when the environment has no such flag (it was deleted).
    pub flag: Option<(Flag, EnvConfig)>,
}

/// An environment's id, project id and `config_version`, by project key (`$1`) and
/// environment key (`$2`).
const ENVIRONMENT: &str = "SELECT e.id, e.project_id, e.config_version FROM environments e \
     JOIN projects p ON p.id = e.project_id WHERE p.key = $1 AND e.key = $2";

impl From<Damaged> for StoreError {
    fn from(d: Damaged) -> Self {
        StoreError::Damaged(d.0)
    }
}

/// One environment's identity and `config_version`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EnvironmentVersion {
    pub project: String,
    pub env: String,
    pub env_id: i64,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct FlagRow {
    id: i64,
    key: String,
    body: String,
    version: i64,
    created_at: i64,
    updated_at: i64,
    updated_by: String,
}

#[derive(sqlx::FromRow)]
struct ConfigRow {
    flag_id: i64,
    env: String,
    body: String,
    version: i64,
    updated_at: i64,
    updated_by: String,
}

#[derive(sqlx::FromRow)]
struct SegmentRow {
    key: String,
    body: String,
    version: i64,
    created_at: i64,
    updated_at: i64,
    updated_by: String,
}

const FLAG_COLUMNS: &str = "id, key, body, version, created_at, updated_at, updated_by";
const CONFIG_SELECT: &str = "SELECT c.flag_id, e.key AS env, c.body, c.version, c.updated_at, c.updated_by \
     FROM flag_configs c JOIN environments e ON e.id = c.environment_id";

fn flag_resource(project: &str, key: &str) -> String {
    format!("proj/{project}:flag/{key}")
}

/// Fails with `VersionMismatch` when the caller expected another version.
pub(crate) fn check_version(expected: Option<i64>, current: i64) -> Result<()> {
    match expected {
        Some(expected) if expected != current => {
            Err(StoreError::VersionMismatch { expected, current })
        }
        _ => Ok(()),
    }
}

pub(crate) fn conflict_as(what: String) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(what),
        other => other,
    }
}

/// The id of a project by key, on the given connection or transaction.
/// (A macro, not a generic function: generic `Executor` bounds make the
/// callers' futures lose `Send`.)
macro_rules! project_id {
    ($conn:expr, $key:expr) => {{
        let id: i64 = sqlx::query_scalar("SELECT id FROM projects WHERE key = $1")
            .bind($key)
            .fetch_one($conn)
            .await?;
        id
    }};
}

/// Marks every environment of a project as changed. On PostgreSQL the rows are locked in
/// id order first (with the lock the update itself takes, which does not wait for the
/// key-share locks the new configurations' foreign keys hold): two flags created at once
/// each update every environment of the project, and rows locked in whatever order each
/// scan met them deadlocked (`40P01`, seen in `flags_and_environments_created_at_once_all_meet`).
macro_rules! bump_project {
    ($conn:expr, $project_id:expr, $lock:expr) => {{
        sqlx::query(&format!(
            "UPDATE environments SET config_version = config_version + 1 WHERE id IN \
             (SELECT id FROM environments WHERE project_id = $1 ORDER BY id{})",
            $lock
        ))
        .bind($project_id)
        .execute($conn)
        .await?;
    }};
}

/// Writes a change event to the outbox on the given transaction, due at once
/// (the event's time is the change's).
macro_rules! emit {
    ($conn:expr, $event:expr) => {{
        let event: Event = $event;
        $crate::outbox::enqueue_on!($conn, &$crate::OutboxWork::to_item(&event), event.at)?;
    }};
}
pub(crate) use emit;

pub(crate) fn event(name: &str, project: &str, actor: &str, at: i64) -> Event {
    Event {
        event: name.to_owned(),
        project: project.to_owned(),
        environment: None,
        flag: None,
        segment: None,
        actor: actor.to_owned(),
        at,
        on: None,
    }
}

impl Store {
    /// Creates a flag with `initial` as its configuration in every environment.
    pub async fn create_flag(
        &self,
        project: &str,
        flag: &Flag,
        initial: &EnvConfig,
        actor: &str,
    ) -> Result<FlagState> {
        let now = self.now();
        let body = flag_to_json(flag);
        let config = config_to_json(initial);
        // Held until commit, so that no environment is added or deleted (which
        // lock the project's row) between reading the environments and
        // committing: each gets this flag's configuration, exactly once.
        let share = self.for_share();
        with_write_tx!(self, tx => {
            let project_id: i64 =
                sqlx::query_scalar(&format!("SELECT id FROM projects WHERE key = $1{share}"))
                    .bind(project)
                    .fetch_one(&mut *tx)
                    .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO flags (project_id, key, body, version, created_at, updated_at, updated_by) \
                 VALUES ($1, $2, $3, 1, $4, $4, $5) RETURNING id",
            )
            .bind(project_id)
            .bind(&flag.key)
            .bind(&body)
            .bind(now)
            .bind(actor)
            .fetch_one(&mut *tx)
            .await
            .map_err(conflict_as(format!("a flag with key {:?} exists in project {project:?}", flag.key)))?;
            sqlx::query(
                "INSERT INTO flag_configs (flag_id, environment_id, body, version, updated_at, updated_by) \
                 SELECT $1, id, $2, 1, $3, $4 FROM environments WHERE project_id = $5",
            )
            .bind(id)
            .bind(&config)
            .bind(now)
            .bind(actor)
            .bind(project_id)
            .execute(&mut *tx)
            .await?;
            bump_project!(&mut *tx, project_id, self.for_no_key_update());
            index_links_on!(&mut *tx, project_id, &flag.key, flag.jira_issues());
            jira_touch_on!(&mut *tx, project_id, project, &flag.key, now);
            let after = format!("{{\"flag\":{body},\"initial\":{config}}}");
            audit_on!(&mut *tx, now, actor, "flag.create", &flag_resource(project, &flag.key), None, Some(after));
            emit!(&mut *tx, Event { flag: Some(flag.key.clone()), ..event("flag.created", project, actor, now) });
        });
        self.flag(project, &flag.key).await
    }

    /// Replaces a flag's definition (not its per-environment configuration).
    pub async fn update_flag(
        &self,
        project: &str,
        flag: &Flag,
        expected: Option<i64>,
        actor: &str,
    ) -> Result<FlagState> {
        let now = self.now();
        let body = flag_to_json(flag);
        let lock = self.for_update();
        with_write_tx!(self, tx => {
            let project_id = project_id!(&mut *tx, project);
            let row: FlagRow = sqlx::query_as(&format!(
                "SELECT {FLAG_COLUMNS} FROM flags WHERE project_id = $1 AND key = $2{lock}"
            ))
            .bind(project_id)
            .bind(&flag.key)
            .fetch_one(&mut *tx)
            .await?;
            check_version(expected, row.version)?;
            sqlx::query("UPDATE flags SET body = $1, version = version + 1, updated_at = $2, updated_by = $3 WHERE id = $4")
                .bind(&body)
                .bind(now)
                .bind(actor)
                .bind(row.id)
                .execute(&mut *tx)
                .await?;
            bump_project!(&mut *tx, project_id, self.for_no_key_update());
            index_links_on!(&mut *tx, project_id, &flag.key, flag.jira_issues());
            jira_touch_on!(&mut *tx, project_id, project, &flag.key, now);
            audit_on!(&mut *tx, now, actor, "flag.update", &flag_resource(project, &flag.key), Some(row.body), Some(body));
            emit!(&mut *tx, Event { flag: Some(flag.key.clone()), ..event("flag.updated", project, actor, now) });
        });
        self.flag(project, &flag.key).await
    }

    /// Deletes a flag and its configurations.
    pub async fn delete_flag(
        &self,
        project: &str,
        key: &str,
        expected: Option<i64>,
        actor: &str,
    ) -> Result<()> {
        let now = self.now();
        let lock = self.for_update();
        with_write_tx!(self, tx => {
            let project_id = project_id!(&mut *tx, project);
            let row: FlagRow = sqlx::query_as(&format!(
                "SELECT {FLAG_COLUMNS} FROM flags WHERE project_id = $1 AND key = $2{lock}"
            ))
            .bind(project_id)
            .bind(key)
            .fetch_one(&mut *tx)
            .await?;
            check_version(expected, row.version)?;
            sqlx::query("DELETE FROM flags WHERE id = $1").bind(row.id).execute(&mut *tx).await?;
            bump_project!(&mut *tx, project_id, self.for_no_key_update());
            index_links_on!(&mut *tx, project_id, key, &[]);
            jira_touch_on!(&mut *tx, project_id, project, key, now);
            audit_on!(&mut *tx, now, actor, "flag.delete", &flag_resource(project, key), Some(row.body), None);
            emit!(&mut *tx, Event { flag: Some(key.to_owned()), ..event("flag.deleted", project, actor, now) });
        });
        Ok(())
    }

    /// Replaces a flag's configuration in one environment.
    pub async fn update_flag_config(
        &self,
        project: &str,
        key: &str,
        env: &str,
        config: &EnvConfig,
        expected: Option<i64>,
        actor: &str,
    ) -> Result<EnvConfigState> {
        let now = self.now();
        let body = config_to_json(config);
        let lock = self.for_update();
        with_write_tx!(self, tx => {
            let project_id = project_id!(&mut *tx, project);
            let env_id: i64 = sqlx::query_scalar("SELECT id FROM environments WHERE project_id = $1 AND key = $2")
                .bind(project_id)
                .bind(env)
                .fetch_one(&mut *tx)
                .await?;
            let (flag_id, old, version): (i64, String, i64) = sqlx::query_as(&format!(
                "SELECT c.flag_id, c.body, c.version FROM flag_configs c JOIN flags f ON f.id = c.flag_id \
                 WHERE f.project_id = $1 AND f.key = $2 AND c.environment_id = $3{lock}"
            ))
            .bind(project_id)
            .bind(key)
            .bind(env_id)
            .fetch_one(&mut *tx)
            .await?;
            check_version(expected, version)?;
            sqlx::query(
                "UPDATE flag_configs SET body = $1, version = version + 1, updated_at = $2, updated_by = $3 \
                 WHERE flag_id = $4 AND environment_id = $5",
            )
            .bind(&body)
            .bind(now)
            .bind(actor)
            .bind(flag_id)
            .bind(env_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE environments SET config_version = config_version + 1 WHERE id = $1")
                .bind(env_id)
                .execute(&mut *tx)
                .await?;
            jira_touch_on!(&mut *tx, project_id, project, key, now);
            let resource = format!("proj/{project}:env/{env}:flag/{key}");
            audit_on!(&mut *tx, now, actor, "flag.config.update", &resource, Some(old), Some(body));
            emit!(&mut *tx, Event {
                flag: Some(key.to_owned()),
                environment: Some(env.to_owned()),
                on: Some(config.on),
                ..event("flag.config.updated", project, actor, now)
            });
        });
        let state = self.flag(project, key).await?;
        state.environments.into_iter().find(|e| e.env == env).ok_or(StoreError::NotFound)
    }

    /// One flag with its configuration in every environment.
    pub async fn flag(&self, project: &str, key: &str) -> Result<FlagState> {
        let row: FlagRow = with_pool!(self, pool => sqlx::query_as(
            "SELECT f.id, f.key, f.body, f.version, f.created_at, f.updated_at, f.updated_by \
             FROM flags f JOIN projects p ON p.id = f.project_id WHERE p.key = $1 AND f.key = $2"
        )
        .bind(project)
        .bind(key)
        .fetch_one(pool)
        .await?);
        let configs: Vec<ConfigRow> = with_pool!(self, pool => sqlx::query_as(&format!(
            "{CONFIG_SELECT} WHERE c.flag_id = $1 ORDER BY e.position"
        ))
        .bind(row.id)
        .fetch_all(pool)
        .await?);
        assemble_flag(row, configs)
    }

    /// Every flag of a project, by key, with configurations.
    pub async fn list_flags(&self, project: &str) -> Result<Vec<FlagState>> {
        let project_id = self.project(project).await?.id;
        let rows: Vec<FlagRow> = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {FLAG_COLUMNS} FROM flags WHERE project_id = $1 ORDER BY key"
        ))
        .bind(project_id)
        .fetch_all(pool)
        .await?);
        let configs: Vec<ConfigRow> = with_pool!(self, pool => sqlx::query_as(&format!(
            "{CONFIG_SELECT} WHERE e.project_id = $1 ORDER BY c.flag_id, e.position"
        ))
        .bind(project_id)
        .fetch_all(pool)
        .await?);
        let mut by_flag: std::collections::HashMap<i64, Vec<ConfigRow>> =
            std::collections::HashMap::new();
        for c in configs {
            by_flag.entry(c.flag_id).or_default().push(c);
        }
        rows.into_iter()
            .map(|row| {
                let configs = by_flag.remove(&row.id).unwrap_or_default();
                assemble_flag(row, configs)
            })
            .collect()
    }

    /// Creates a segment.
    pub async fn create_segment(
        &self,
        project: &str,
        segment: &Segment,
        actor: &str,
    ) -> Result<SegmentState> {
        let now = self.now();
        let body = segment_to_json(segment);
        with_write_tx!(self, tx => {
            let project_id = project_id!(&mut *tx, project);
            sqlx::query(
                "INSERT INTO segments (project_id, key, body, version, created_at, updated_at, updated_by) \
                 VALUES ($1, $2, $3, 1, $4, $4, $5)",
            )
            .bind(project_id)
            .bind(&segment.key)
            .bind(&body)
            .bind(now)
            .bind(actor)
            .execute(&mut *tx)
            .await
            .map_err(conflict_as(format!("a segment with key {:?} exists in project {project:?}", segment.key)))?;
            bump_project!(&mut *tx, project_id, self.for_no_key_update());
            let resource = format!("proj/{project}:segment/{}", segment.key);
            audit_on!(&mut *tx, now, actor, "segment.create", &resource, None, Some(body));
            emit!(&mut *tx, Event { segment: Some(segment.key.clone()), ..event("segment.created", project, actor, now) });
        });
        self.segment(project, &segment.key).await
    }

    /// Replaces a segment's definition.
    pub async fn update_segment(
        &self,
        project: &str,
        segment: &Segment,
        expected: Option<i64>,
        actor: &str,
    ) -> Result<SegmentState> {
        let now = self.now();
        let body = segment_to_json(segment);
        let lock = self.for_update();
        with_write_tx!(self, tx => {
            let project_id = project_id!(&mut *tx, project);
            let (id, old, version): (i64, String, i64) = sqlx::query_as(&format!(
                "SELECT id, body, version FROM segments WHERE project_id = $1 AND key = $2{lock}"
            ))
            .bind(project_id)
            .bind(&segment.key)
            .fetch_one(&mut *tx)
            .await?;
            check_version(expected, version)?;
            sqlx::query("UPDATE segments SET body = $1, version = version + 1, updated_at = $2, updated_by = $3 WHERE id = $4")
                .bind(&body)
                .bind(now)
                .bind(actor)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            bump_project!(&mut *tx, project_id, self.for_no_key_update());
            let resource = format!("proj/{project}:segment/{}", segment.key);
            audit_on!(&mut *tx, now, actor, "segment.update", &resource, Some(old), Some(body));
            emit!(&mut *tx, Event { segment: Some(segment.key.clone()), ..event("segment.updated", project, actor, now) });
        });
        self.segment(project, &segment.key).await
    }

    pub async fn segment(&self, project: &str, key: &str) -> Result<SegmentState> {
        let row: SegmentRow = with_pool!(self, pool => sqlx::query_as(
            "SELECT s.key, s.body, s.version, s.created_at, s.updated_at, s.updated_by \
             FROM segments s JOIN projects p ON p.id = s.project_id WHERE p.key = $1 AND s.key = $2"
        )
        .bind(project)
        .bind(key)
        .fetch_one(pool)
        .await?);
        assemble_segment(row)
    }

    pub async fn list_segments(&self, project: &str) -> Result<Vec<SegmentState>> {
        let rows: Vec<SegmentRow> = with_pool!(self, pool => sqlx::query_as(
            "SELECT s.key, s.body, s.version, s.created_at, s.updated_at, s.updated_by \
             FROM segments s JOIN projects p ON p.id = s.project_id WHERE p.key = $1 ORDER BY s.key"
        )
        .bind(project)
        .fetch_all(pool)
        .await?);
        rows.into_iter().map(assemble_segment).collect()
    }

    /// The `config_version` of one environment: cheap, for cache checks.
    pub async fn environment_version(&self, project: &str, env: &str) -> Result<i64> {
        let v = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT e.config_version FROM environments e JOIN projects p ON p.id = e.project_id \
             WHERE p.key = $1 AND e.key = $2"
        )
        .bind(project)
        .bind(env)
        .fetch_one(pool)
        .await?);
        Ok(v)
    }

    /// Every environment's id and `config_version`: one query that tells a
    /// cache which snapshots are stale, and which environments are gone.
    pub async fn environment_versions(&self) -> Result<Vec<EnvironmentVersion>> {
        let rows = with_pool!(self, pool => sqlx::query_as(
            "SELECT p.key AS project, e.key AS env, e.id AS env_id, e.config_version AS version \
             FROM environments e JOIN projects p ON p.id = e.project_id ORDER BY p.key, e.position"
        )
        .fetch_all(pool)
        .await?);
        Ok(rows)
    }

    /// What one environment evaluates. Read in one transaction, so the flags,
    /// segments and version belong together.
    pub async fn environment_contents(&self, project: &str, env: &str) -> Result<EnvContents> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let (env_id, project_id, version): (i64, i64, i64) = sqlx::query_as(ENVIRONMENT)
                .bind(project)
                .bind(env)
                .fetch_one(&mut *tx)
                .await?;
            // The project's flags by their (project, key) index, in key order, then each one's
            // configuration by its key: by the environment alone SQLite read every project's
            // configurations and sorted them.
            let rows: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT f.key, f.body, c.body FROM flags f JOIN flag_configs c ON c.flag_id = f.id \
                 WHERE f.project_id = $1 AND c.environment_id = $2 ORDER BY f.key",
            )
            .bind(project_id)
            .bind(env_id)
            .fetch_all(&mut *tx)
            .await?;
            let segments: Vec<(String, String)> =
                sqlx::query_as("SELECT key, body FROM segments WHERE project_id = $1 ORDER BY key")
                    .bind(project_id)
                    .fetch_all(&mut *tx)
                    .await?;
            tx.commit().await?;
            let flags = rows
                .into_iter()
                .map(|(key, flag, config)| Ok((flag_from_json(&key, &flag)?, config_from_json(&config)?)))
                .collect::<Result<Vec<_>, Damaged>>()?;
            let segments = segments
                .into_iter()
                .map(|(key, body)| segment_from_json(&key, &body))
                .collect::<Result<Vec<_>, Damaged>>()?;
            Ok(EnvContents { env_id, version, flags, segments })
        })
    }

    /// One flag of an environment with its config there, and the environment's id and
    /// `config_version` as of the same read; `NotFound` when there is no such environment.
    pub async fn environment_flag(&self, project: &str, env: &str, key: &str) -> Result<EnvFlag> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let (env_id, project_id, version): (i64, i64, i64) = sqlx::query_as(ENVIRONMENT)
                .bind(project)
                .bind(env)
                .fetch_one(&mut *tx)
                .await?;
            // The project narrows the flag to its unique (project, key) index: by key alone
            // SQLite scans every flag's row (milliseconds at 10,000 flags).
            let row: Option<(String, String)> = sqlx::query_as(
                "SELECT f.body, c.body FROM flags f JOIN flag_configs c ON c.flag_id = f.id \
                 WHERE f.project_id = $1 AND f.key = $2 AND c.environment_id = $3",
            )
            .bind(project_id)
            .bind(key)
            .bind(env_id)
            .fetch_optional(&mut *tx)
            .await?;
            tx.commit().await?;
            let flag = match row {
                Some((flag, config)) => Some((flag_from_json(key, &flag)?, config_from_json(&config)?)),
                None => None,
            };
            Ok(EnvFlag { env_id, version, flag })
        })
    }
}

fn assemble_flag(row: FlagRow, configs: Vec<ConfigRow>) -> Result<FlagState> {
    let flag = flag_from_json(&row.key, &row.body)?;
    let environments = configs
        .into_iter()
        .map(|c| {
            Ok(EnvConfigState {
                env: c.env,
                config: config_from_json(&c.body)?,
                version: c.version,
                updated_at: c.updated_at,
                updated_by: c.updated_by,
            })
        })
        .collect::<Result<Vec<_>, Damaged>>()?;
    Ok(FlagState {
        flag,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        updated_by: row.updated_by,
        environments,
    })
}

fn assemble_segment(row: SegmentRow) -> Result<SegmentState> {
    Ok(SegmentState {
        segment: segment_from_json(&row.key, &row.body)?,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        updated_by: row.updated_by,
    })
}
