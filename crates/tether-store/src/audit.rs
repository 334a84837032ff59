//! The audit log: who changed what, when, with the state before and after.

use crate::{Result, Store, with_pool};

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    /// Epoch milliseconds.
    pub at: i64,
    pub actor: String,
    /// What was done, e.g. `project.create`.
    pub action: String,
    /// What it was done to, e.g. `proj/checkout`.
    pub resource: String,
    /// JSON of the state before, if there was one.
    pub before: Option<String>,
    /// JSON of the state after, if there is one.
    pub after: Option<String>,
}

impl Store {
    /// The newest entries first; `resource` narrows to one resource.
    pub async fn audit_log(&self, resource: Option<&str>, limit: i64) -> Result<Vec<AuditEntry>> {
        // Two statements, not `$1 IS NULL OR resource = $1`: with that, the planner cannot use
        // `audit_log_resource` and walks the whole log for a resource with few entries.
        const SELECT: &str = "SELECT id, at, actor, action, resource, before, after FROM audit_log";
        let entries = with_pool!(self, pool => match resource {
            Some(r) => sqlx::query_as(&format!("{SELECT} WHERE resource = $1 ORDER BY id DESC LIMIT $2"))
                .bind(r)
                .bind(limit)
                .fetch_all(pool)
                .await?,
            None => sqlx::query_as(&format!("{SELECT} ORDER BY id DESC LIMIT $1"))
                .bind(limit)
                .fetch_all(pool)
                .await?,
        });
        Ok(entries)
    }
}

/// Writes one audit entry on the given connection or transaction.
macro_rules! audit_on {
    ($conn:expr, $at:expr, $actor:expr, $action:expr, $resource:expr, $before:expr, $after:expr) => {{
        let before: Option<String> = $before;
        let after: Option<String> = $after;
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, resource, before, after) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind($at)
        .bind($actor)
        .bind($action)
        .bind($resource)
        .bind(before)
        .bind(after)
        .execute($conn)
        .await?;
    }};
}
pub(crate) use audit_on;
