//! The transactional outbox: work for the background workers (deliveries to Jira,
//! webhooks), written in the same transaction as the change that caused it.
//!
//! A worker *claims* due rows for a lease; it then marks each one done, or failed
//! with the time of the next attempt. A lease that runs out (a crashed worker)
//! makes the row claimable again, so nothing is lost. On PostgreSQL claiming uses
//! `FOR UPDATE SKIP LOCKED`, so several tether processes on one database never
//! claim the same row at once; SQLite serialises writers by itself. Every time
//! here (due, leases, retries) is read from the store's [`crate::Clock`].
//!
//! [`kinds`] is the registry of what the rows hold.

pub mod kinds;

use std::time::Duration;

use crate::{Backend, Result, Store, with_pool, with_writer};
use kinds::OutboxWork;

/// Inserts one outbox row on the given connection or transaction, due at `$now`;
/// returns its id.
macro_rules! enqueue_on {
    ($conn:expr, $item:expr, $now:expr) => {{
        let item: &$crate::NewOutboxItem = $item;
        let now: i64 = $now;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO outbox (kind, payload, attempts, next_attempt_at, created_at) \
             VALUES ($1, $2, 0, $3, $3) RETURNING id",
        )
        .bind(&item.kind)
        .bind(&item.payload)
        .bind(now)
        .fetch_one($conn)
        .await?;
        Ok::<i64, $crate::StoreError>(id)
    }};
}
pub(crate) use enqueue_on;

/// A piece of work to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboxItem {
    /// What kind of work this is, e.g. `jira.flag.sync` (see [`kinds::OutboxKind`]);
    /// workers select by kind.
    pub kind: String,
    /// The work's description, as JSON text.
    pub payload: String,
}

/// A claimed piece of work.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxItem {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
    pub created_at: i64,
}

/// How much work is waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxStats {
    /// Rows not yet done.
    pub pending: i64,
    /// When the oldest pending row was written (epoch ms).
    pub oldest_created_at: Option<i64>,
}

const CLAIM_PG: &str = "UPDATE outbox SET claimed_by = $1, claimed_until = $2, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM outbox \
        WHERE done_at IS NULL AND next_attempt_at <= $3 \
          AND (claimed_until IS NULL OR claimed_until < $3) \
        ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) \
     RETURNING id, kind, payload, attempts, created_at";

const CLAIM_SQLITE: &str = "UPDATE outbox SET claimed_by = $1, claimed_until = $2, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM outbox \
        WHERE done_at IS NULL AND next_attempt_at <= $3 \
          AND (claimed_until IS NULL OR claimed_until < $3) \
        ORDER BY id LIMIT $4) \
     RETURNING id, kind, payload, attempts, created_at";

impl Store {
    /// Enqueues work on its own; callers that change data enqueue inside the
    /// store method that makes the change instead.
    pub async fn enqueue(&self, item: &NewOutboxItem) -> Result<i64> {
        let now = self.now();
        with_writer!(self, pool => {
            let mut conn = pool.acquire().await?;
            enqueue_on!(&mut *conn, item, now)
        })
    }

    /// Enqueues typed work of a registered kind (see [`kinds`]).
    pub async fn enqueue_work<W: OutboxWork>(&self, work: &W) -> Result<i64> {
        self.enqueue(&work.to_item()).await
    }

    /// [`Store::enqueue_unless_waiting`] for typed work of a registered kind.
    pub async fn enqueue_work_unless_waiting<W: OutboxWork>(&self, work: &W) -> Result<bool> {
        self.enqueue_unless_waiting(&work.to_item()).await
    }

    /// Enqueues work unless the same work (kind and payload) is already
    /// waiting: not done and not claimed. Returns whether a row was written.
    /// For work that recomputes its result when it runs (so one waiting row
    /// covers every request made before it is claimed).
    pub async fn enqueue_unless_waiting(&self, item: &NewOutboxItem) -> Result<bool> {
        let now = self.now();
        let n = with_writer!(self, pool => sqlx::query(
            "INSERT INTO outbox (kind, payload, attempts, next_attempt_at, created_at) \
             SELECT $1, $2, 0, $3, $3 WHERE NOT EXISTS (SELECT 1 FROM outbox \
               WHERE kind = $1 AND payload = $2 AND done_at IS NULL \
                 AND (claimed_until IS NULL OR claimed_until < $3))"
        )
        .bind(&item.kind)
        .bind(&item.payload)
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Claims up to `limit` due rows for `worker` for the length of `lease`.
    pub async fn claim_outbox(
        &self,
        worker: &str,
        limit: i64,
        lease: Duration,
    ) -> Result<Vec<OutboxItem>> {
        let now = self.now();
        let until = now.saturating_add(millis(lease));
        let sql = match self.backend {
            Backend::Sqlite(..) => CLAIM_SQLITE,
            Backend::Postgres(_) => CLAIM_PG,
        };
        let mut items: Vec<OutboxItem> = with_writer!(self, pool => sqlx::query_as(sql)
            .bind(worker)
            .bind(until)
            .bind(now)
            .bind(limit)
            .fetch_all(pool)
            .await?);
        items.sort_by_key(|i| i.id);
        Ok(items)
    }

    /// Marks a claimed row done. False if `worker` no longer holds it (its lease
    /// ran out and another worker took it over).
    pub async fn complete_outbox(&self, id: i64, worker: &str) -> Result<bool> {
        let now = self.now();
        let n = with_writer!(self, pool => sqlx::query(
            "UPDATE outbox SET done_at = $1, claimed_by = NULL, claimed_until = NULL, last_error = NULL \
             WHERE id = $2 AND claimed_by = $3 AND done_at IS NULL"
        )
        .bind(now)
        .bind(id)
        .bind(worker)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Marks claimed rows done at once (one statement, one commit): those `worker` still
    /// holds; returns how many.
    pub async fn complete_outbox_all(&self, ids: &[i64], worker: &str) -> Result<u64> {
        let now = self.now();
        let mut n = 0;
        for chunk in ids.chunks(500) {
            n += with_writer!(self, pool => {
                let mut q = sqlx::QueryBuilder::new(
                    "UPDATE outbox SET done_at = ",
                );
                q.push_bind(now)
                    .push(", claimed_by = NULL, claimed_until = NULL, last_error = NULL WHERE claimed_by = ")
                    .push_bind(worker)
                    .push(" AND done_at IS NULL AND id IN (");
                let mut list = q.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                q.push(")");
                q.build().execute(pool).await?.rows_affected()
            });
        }
        Ok(n)
    }

    /// Releases a claimed row after a failed attempt, to be tried again after `delay`.
    pub async fn fail_outbox(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        delay: Duration,
    ) -> Result<bool> {
        let next = self.now().saturating_add(millis(delay));
        let n = with_writer!(self, pool => sqlx::query(
            "UPDATE outbox SET next_attempt_at = $1, last_error = $2, claimed_by = NULL, claimed_until = NULL \
             WHERE id = $3 AND claimed_by = $4 AND done_at IS NULL"
        )
        .bind(next)
        .bind(error)
        .bind(id)
        .bind(worker)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Deletes done rows older than `before` (epoch ms); returns how many.
    pub async fn purge_outbox(&self, before: i64) -> Result<u64> {
        let n = with_writer!(self, pool => sqlx::query("DELETE FROM outbox WHERE done_at IS NOT NULL AND done_at < $1")
            .bind(before)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n)
    }

    /// Ends every current claim at once, as if each lease had run out, so the rows
    /// are due again; returns how many. Only for when every worker holding one is
    /// known to be gone (a test that has killed its only server standing in for the
    /// lease running out, or an operator after a crash who does not want to wait).
    pub async fn expire_outbox_claims(&self) -> Result<u64> {
        let n = with_writer!(self, pool => sqlx::query(
            "UPDATE outbox SET claimed_until = 0 WHERE done_at IS NULL AND claimed_until IS NOT NULL"
        )
        .execute(pool)
        .await?
        .rows_affected());
        Ok(n)
    }

    /// How much work is waiting, for metrics and the status page.
    pub async fn outbox_stats(&self) -> Result<OutboxStats> {
        let (pending, oldest): (i64, Option<i64>) = with_pool!(self, pool => sqlx::query_as(
            "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE done_at IS NULL"
        )
        .fetch_one(pool)
        .await?);
        Ok(OutboxStats { pending, oldest_created_at: oldest })
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
