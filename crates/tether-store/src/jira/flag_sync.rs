//! What Jira is to be and was sent of each flag (`jira_flag_sync`, per flag and
//! site). Each flag change of a project that tracks a Jira site bumps the flag's
//! `updateSequenceId` (`seq`) and enqueues a [`crate::JiraSyncWork`] outbox row,
//! both in the change's transaction. The worker sends the flag's *current* state
//! with the sequence number it read *before* that state, so a re-sent row is
//! harmless and the newest state always wins in Jira.

use crate::{Result, Store, with_pool, with_write_tx, with_writer};

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

const SYNC_COLUMNS: &str =
    "site_id, project, flag_key, seq, pushed_seq, pushed_at, pushed, result, last_error";

/// After a flag change: when the project tracks a Jira site and the flag is
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
            let work = $crate::JiraSyncWork {
                site_id,
                project: project.to_owned(),
                flag: flag_key.to_owned(),
            };
            let item = $crate::OutboxWork::to_item(&work);
            $crate::outbox::enqueue_on!(&mut *$conn, &item, now)?;
        }
    }};
}
pub(crate) use jira_enqueue_on;

impl Store {
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
        let now = self.now();
        with_writer!(self, pool => { sqlx::query(
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
        with_writer!(self, pool => { sqlx::query(
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
        let now = self.now();
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
        let floor = self.now().max(above.saturating_add(1));
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
        let now = self.now();
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
