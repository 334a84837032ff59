//! The ledger (`dev_ledger`) of side effects on Jira issues, one row per (site, issue key,
//! entity, action), and the mentions index (`dev_mentions`: which commits and merge
//! requests mention which issue, for the issue page).
//!
//! A side effect that Jira must not see twice (a comment, a worklog, a transition) is
//! *claimed* first ([`Store::ledger_claim`]: a `started` row with the claim's time), then
//! attempted, then settled (`done`, `failed`, `skipped`, `unknown`). A claim is a
//! compare-and-set, so of two workers only one attempts it; a claim found `started` tells
//! its finder that an attempt may be in flight or may have been cut off.

use crate::{Result, Store, StoreError, with_pool, with_writer};

/// Where a side effect stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LedgerState {
    /// Claimed: an attempt is in flight, or was cut off (its worker died, or Jira gave no
    /// answer) and may or may not have happened.
    Started,
    Done,
    /// Jira refused it for good (the detail says why).
    Failed,
    /// Decided against (already resolved, disabled, nothing to do).
    Skipped,
    /// Jira gave an ambiguous answer to something never retried (a transition): it may or
    /// may not have happened.
    Unknown,
}

impl LedgerState {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerState::Started => "started",
            LedgerState::Done => "done",
            LedgerState::Failed => "failed",
            LedgerState::Skipped => "skipped",
            LedgerState::Unknown => "unknown",
        }
    }

    fn parse(s: &str) -> Result<LedgerState> {
        [
            LedgerState::Started,
            LedgerState::Done,
            LedgerState::Failed,
            LedgerState::Skipped,
            LedgerState::Unknown,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| StoreError::Damaged(format!("ledger state {s:?}")))
    }
}

/// One side effect on one issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub site_id: i64,
    pub issue_key: String,
    /// `<repository id>:commit:<sha>` or `<repository id>:pr:<number>`.
    pub entity: String,
    /// `link`, `comment`, `transition` or `smart:<n>`.
    pub action: String,
    pub state: LedgerState,
    /// What came of it: a comment or worklog id, the transition applied, why it failed.
    pub detail: String,
    /// Jira's id of the issue, once known (kept across a move to another site).
    pub issue_id: Option<String>,
    pub updated_at: i64,
}

/// A side effect, named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerKey<'a> {
    pub site_id: i64,
    pub issue_key: &'a str,
    pub entity: &'a str,
    pub action: &'a str,
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Ours now; the caller attempts it.
    Won,
    /// Already there: the row as it stands.
    Held(LedgerEntry),
}

/// A commit or merge request that mentions an issue.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Mention {
    pub repository_id: i64,
    pub entity: String,
    pub issue_key: String,
    /// `commit`, `pull_request` or `branch`.
    pub kind: String,
    pub title: String,
    pub url: String,
    pub author: String,
    pub branch: String,
    /// A request's `OPEN`, `MERGED` or `DECLINED`; empty for commits.
    pub state: String,
    pub at: i64,
}

#[derive(sqlx::FromRow)]
struct LedgerRow {
    site_id: i64,
    issue_key: String,
    entity: String,
    action: String,
    state: String,
    detail: String,
    issue_id: Option<String>,
    updated_at: i64,
}

impl TryFrom<LedgerRow> for LedgerEntry {
    type Error = StoreError;
    fn try_from(r: LedgerRow) -> Result<LedgerEntry> {
        Ok(LedgerEntry {
            state: LedgerState::parse(&r.state)?,
            site_id: r.site_id,
            issue_key: r.issue_key,
            entity: r.entity,
            action: r.action,
            detail: r.detail,
            issue_id: r.issue_id,
            updated_at: r.updated_at,
        })
    }
}

const LEDGER_COLUMNS: &str =
    "site_id, issue_key, entity, action, state, detail, issue_id, updated_at";

impl Store {
    /// The ledger row of a side effect, if any.
    pub async fn ledger_entry(&self, k: LedgerKey<'_>) -> Result<Option<LedgerEntry>> {
        let row: Option<LedgerRow> = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {LEDGER_COLUMNS} FROM dev_ledger WHERE site_id = $1 AND issue_key = $2 AND entity = $3 AND action = $4"
        ))
        .bind(k.site_id)
        .bind(k.issue_key)
        .bind(k.entity)
        .bind(k.action)
        .fetch_optional(pool)
        .await?);
        row.map(TryInto::try_into).transpose()
    }

    /// Claims a side effect before attempting it: a `started` row, unless there is a row
    /// (then [`Claim::Held`] with it).
    pub async fn ledger_claim(&self, k: LedgerKey<'_>) -> Result<Claim> {
        let now = self.now();
        let n = with_writer!(self, pool => sqlx::query(
            "INSERT INTO dev_ledger (site_id, issue_key, entity, action, state, detail, updated_at) \
             VALUES ($1, $2, $3, $4, 'started', '', $5) \
             ON CONFLICT (site_id, issue_key, entity, action) DO NOTHING"
        )
        .bind(k.site_id)
        .bind(k.issue_key)
        .bind(k.entity)
        .bind(k.action)
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected());
        if n == 1 {
            return Ok(Claim::Won);
        }
        match self.ledger_entry(k).await? {
            Some(e) => Ok(Claim::Held(e)),
            // Deleted in between: try once more.
            None => Box::pin(self.ledger_claim(k)).await,
        }
    }

    /// Takes over a `started` claim last stamped at `seen_at` (whose holder is taken to be
    /// gone); false when someone else took it first or it was settled.
    pub async fn ledger_reclaim(&self, k: LedgerKey<'_>, seen_at: i64) -> Result<bool> {
        let now = self.now();
        let n = with_writer!(self, pool => sqlx::query(
            "UPDATE dev_ledger SET updated_at = $1 WHERE site_id = $2 AND issue_key = $3 AND entity = $4 \
             AND action = $5 AND state = 'started' AND updated_at = $6"
        )
        .bind(now)
        .bind(k.site_id)
        .bind(k.issue_key)
        .bind(k.entity)
        .bind(k.action)
        .bind(seen_at)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Records where a side effect stands (creating the row if needed).
    pub async fn ledger_settle(
        &self,
        k: LedgerKey<'_>,
        state: LedgerState,
        detail: &str,
    ) -> Result<()> {
        let now = self.now();
        with_writer!(self, pool => sqlx::query(
            "INSERT INTO dev_ledger (site_id, issue_key, entity, action, state, detail, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (site_id, issue_key, entity, action) DO UPDATE SET state = excluded.state, \
             detail = excluded.detail, updated_at = excluded.updated_at"
        )
        .bind(k.site_id)
        .bind(k.issue_key)
        .bind(k.entity)
        .bind(k.action)
        .bind(state.as_str())
        .bind(detail)
        .bind(now)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }

    /// Forgets a claim whose attempt Jira refused before acting on it (429, 503, a
    /// connection never opened), so the next attempt claims it afresh.
    pub async fn ledger_release(&self, k: LedgerKey<'_>) -> Result<()> {
        with_writer!(self, pool => sqlx::query(
            "DELETE FROM dev_ledger WHERE site_id = $1 AND issue_key = $2 AND entity = $3 AND action = $4 AND state = 'started'"
        )
        .bind(k.site_id)
        .bind(k.issue_key)
        .bind(k.entity)
        .bind(k.action)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }

    /// Every ledger row of a site, by issue key.
    pub async fn ledger_for_site(&self, site_id: i64) -> Result<Vec<LedgerEntry>> {
        let rows: Vec<LedgerRow> = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {LEDGER_COLUMNS} FROM dev_ledger WHERE site_id = $1 ORDER BY issue_key, entity, action"
        ))
        .bind(site_id)
        .fetch_all(pool)
        .await?);
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// The ledger rows of an issue on a site.
    pub async fn ledger_for_issue(
        &self,
        site_id: i64,
        issue_key: &str,
    ) -> Result<Vec<LedgerEntry>> {
        let rows: Vec<LedgerRow> = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {LEDGER_COLUMNS} FROM dev_ledger WHERE site_id = $1 AND issue_key = $2 ORDER BY entity, action"
        ))
        .bind(site_id)
        .bind(issue_key)
        .fetch_all(pool)
        .await?);
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Records Jira's id of an issue on a site, on every ledger row of that issue (after a
    /// move to another site the ids are those of the new site).
    pub async fn set_ledger_issue_id(
        &self,
        site_id: i64,
        issue_key: &str,
        issue_id: &str,
    ) -> Result<u64> {
        let n = with_writer!(self, pool => sqlx::query(
            "UPDATE dev_ledger SET issue_id = $1 WHERE site_id = $2 AND issue_key = $3"
        )
        .bind(issue_id)
        .bind(site_id)
        .bind(issue_key)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(n)
    }

    /// Rewrites a ledger row's detail (a comment id found again on a new site).
    pub async fn set_ledger_detail(&self, k: LedgerKey<'_>, detail: &str) -> Result<()> {
        with_writer!(self, pool => sqlx::query(
            "UPDATE dev_ledger SET detail = $1 WHERE site_id = $2 AND issue_key = $3 AND entity = $4 AND action = $5"
        )
        .bind(detail)
        .bind(k.site_id)
        .bind(k.issue_key)
        .bind(k.entity)
        .bind(k.action)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }

    /// Records (or refreshes) what one event mentions, in one transaction: as
    /// [`Store::upsert_mention`] of each in order (a later copy of the same repository,
    /// entity and issue wins; an entity's id names its kind, so copies agree on it), but one write and one commit instead of one each.
    pub async fn upsert_mentions(&self, mentions: &[Mention]) -> Result<()> {
        let mentions = mentions.to_vec();
        self.record_dev_outcomes(&super::DevOutcomes { mentions, ..Default::default() }).await
    }

    /// Records (or refreshes) that an entity mentions an issue.
    pub async fn upsert_mention(&self, m: &Mention) -> Result<()> {
        with_writer!(self, pool => sqlx::query(
            "INSERT INTO dev_mentions (repository_id, entity, issue_key, kind, title, url, author, branch, state, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (repository_id, entity, issue_key) DO UPDATE SET title = excluded.title, \
             url = excluded.url, author = excluded.author, branch = excluded.branch, \
             state = excluded.state, at = excluded.at"
        )
        .bind(m.repository_id)
        .bind(&m.entity)
        .bind(&m.issue_key)
        .bind(&m.kind)
        .bind(&m.title)
        .bind(&m.url)
        .bind(&m.author)
        .bind(&m.branch)
        .bind(&m.state)
        .bind(m.at)
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }

    /// What mentions an issue, newest first.
    pub async fn mentions_of_issue(&self, issue_key: &str) -> Result<Vec<Mention>> {
        let rows = with_pool!(self, pool => sqlx::query_as(
            "SELECT repository_id, entity, issue_key, kind, title, url, author, branch, state, at \
             FROM dev_mentions WHERE issue_key = $1 ORDER BY at DESC, entity"
        )
        .bind(issue_key)
        .fetch_all(pool)
        .await?);
        Ok(rows)
    }

    /// What one entity of a repository mentions.
    pub async fn mentions_of_entity(
        &self,
        repository_id: i64,
        entity: &str,
    ) -> Result<Vec<Mention>> {
        let rows = with_pool!(self, pool => sqlx::query_as(
            "SELECT repository_id, entity, issue_key, kind, title, url, author, branch, state, at \
             FROM dev_mentions WHERE repository_id = $1 AND entity = $2 ORDER BY issue_key"
        )
        .bind(repository_id)
        .bind(entity)
        .fetch_all(pool)
        .await?);
        Ok(rows)
    }
}

/// Rows per statement of [`Store::record_dev_outcomes`] (10 parameters each, far under either
/// database's limit).
pub(super) const MENTIONS_PER_STATEMENT: usize = 100;

/// The last copy of each (repository, entity, issue) in `mentions`, in order: what upserting
/// them one by one would leave, as one multi-row upsert (which may not name a row twice).
pub(super) fn last_of_each(mentions: &[Mention]) -> Vec<&Mention> {
    let mut last: Vec<&Mention> = Vec::with_capacity(mentions.len());
    let mut seen = std::collections::HashSet::with_capacity(mentions.len());
    for m in mentions.iter().rev() {
        if seen.insert((m.repository_id, &m.entity, &m.issue_key)) {
            last.push(m);
        }
    }
    last.reverse();
    last
}

/// One multi-row upsert of `mentions`, for either database.
pub(super) fn mentions_statement<'a, DB>(mentions: &'a [&'a Mention]) -> sqlx::QueryBuilder<'a, DB>
where
    DB: sqlx::Database,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let mut q = sqlx::QueryBuilder::new(
        "INSERT INTO dev_mentions (repository_id, entity, issue_key, kind, title, url, author, branch, state, at) ",
    );
    q.push_values(mentions, |mut row, m| {
        row.push_bind(m.repository_id)
            .push_bind(&m.entity)
            .push_bind(&m.issue_key)
            .push_bind(&m.kind)
            .push_bind(&m.title)
            .push_bind(&m.url)
            .push_bind(&m.author)
            .push_bind(&m.branch)
            .push_bind(&m.state)
            .push_bind(m.at);
    });
    q.push(
        " ON CONFLICT (repository_id, entity, issue_key) DO UPDATE SET title = excluded.title, \
         url = excluded.url, author = excluded.author, branch = excluded.branch, \
         state = excluded.state, at = excluded.at",
    );
    q
}
