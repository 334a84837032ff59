//! Dev events (`dev_events`): each delivery stored once, as received, keyed by its delivery
//! id per repository, with its outbox rows in the same transaction; what processing it
//! found and did (its report); and the branch heads a local scan last saw
//! (`dev_branch_heads`), moved in the transaction that stores the scan's events.

use std::collections::BTreeMap;

use tether_forge::{DevEvent, Forge};

use super::intake::{self, insert_rows};
use super::ledger::Mention;
use super::local;
use crate::{Result, Store, StoreError, with_pool, with_write_tx};

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventSource {
    GitHub,
    GitLab,
    /// A scan of a local repository (tether's own format, see `local`).
    Scan,
}

impl EventSource {
    pub fn as_str(self) -> &'static str {
        match self {
            EventSource::GitHub => "github",
            EventSource::GitLab => "gitlab",
            EventSource::Scan => "scan",
        }
    }

    pub fn parse(s: &str) -> Option<EventSource> {
        [EventSource::GitHub, EventSource::GitLab, EventSource::Scan]
            .into_iter()
            .find(|e| e.as_str() == s)
    }

    pub fn of_forge(forge: Forge) -> EventSource {
        match forge {
            Forge::GitHub => EventSource::GitHub,
            Forge::GitLab => EventSource::GitLab,
            Forge::Local => EventSource::Scan,
        }
    }
}

/// A delivery to store.
#[derive(Debug, Clone)]
pub struct NewDevEvent {
    pub repository_id: i64,
    pub delivery_id: String,
    pub source: EventSource,
    pub event_name: String,
    /// The headers `tether_forge::parse` reads, so the worker can parse the body again.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What storing a delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Stored, with its outbox rows.
    Stored(i64),
    /// The same delivery was stored before (a redelivery or retry): nothing written.
    Duplicate(i64),
}

impl Recorded {
    pub fn id(self) -> i64 {
        match self {
            Recorded::Stored(id) | Recorded::Duplicate(id) => id,
        }
    }
}

/// A stored event, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDevEvent {
    pub id: i64,
    pub repository_id: i64,
    pub delivery_id: String,
    pub source: EventSource,
    pub event_name: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub received_at: i64,
    pub state: EventState,
    /// JSON written by the worker: what matched, what was done, what failed and why.
    pub report: Option<String>,
    /// JSON of what the Development Information API was sent and answered (Jira Cloud).
    pub devinfo_report: Option<String>,
    pub processed_at: Option<i64>,
}

/// How far an event's processing got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventState {
    Pending,
    /// Everything it asked for was done (or found done before).
    Done,
    /// Processed, and something failed for good (the report says what and why).
    Failed,
}

impl EventState {
    pub fn as_str(self) -> &'static str {
        match self {
            EventState::Pending => "pending",
            EventState::Done => "done",
            EventState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<EventState> {
        match s {
            "pending" => Ok(EventState::Pending),
            "done" => Ok(EventState::Done),
            "failed" => Ok(EventState::Failed),
            other => Err(StoreError::Damaged(format!("dev event state {other:?}"))),
        }
    }
}

impl StoredDevEvent {
    /// The event as tether reads it: the forge's payload parsed again (the same function
    /// intake used), or a scan's own format.
    pub fn dev_event(&self) -> std::result::Result<DevEvent, String> {
        match self.source {
            EventSource::GitHub | EventSource::GitLab => {
                let forge =
                    if self.source == EventSource::GitHub { Forge::GitHub } else { Forge::GitLab };
                tether_forge::parse(forge, &self.headers, &self.body)
                    .map(|i| i.event)
                    .map_err(|e| e.to_string())
            }
            EventSource::Scan => local::read(&self.body).map(DevEvent::Push),
        }
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    repository_id: i64,
    delivery_id: String,
    source: String,
    event_name: String,
    headers: String,
    body: Vec<u8>,
    body_encoding: String,
    received_at: i64,
    state: String,
    report: Option<String>,
    devinfo_report: Option<String>,
    processed_at: Option<i64>,
}

const EVENT_COLUMNS: &str = "id, repository_id, delivery_id, source, event_name, headers, body, \
     body_encoding, received_at, state, report, devinfo_report, processed_at";

impl TryFrom<EventRow> for StoredDevEvent {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<StoredDevEvent> {
        let headers: BTreeMap<String, String> = serde_json::from_str(&r.headers)
            .map_err(|e| StoreError::Damaged(format!("dev event headers: {e}")))?;
        Ok(StoredDevEvent {
            source: EventSource::parse(&r.source)
                .ok_or_else(|| StoreError::Damaged(format!("dev event source {:?}", r.source)))?,
            state: EventState::parse(&r.state)?,
            headers: headers.into_iter().collect(),
            id: r.id,
            repository_id: r.repository_id,
            delivery_id: r.delivery_id,
            event_name: r.event_name,
            body: super::body::decode(r.body, &r.body_encoding)?,
            received_at: r.received_at,
            report: r.report,
            devinfo_report: r.devinfo_report,
            processed_at: r.processed_at,
        })
    }
}

impl Store {
    /// Stores what a scan of a local repository found, and moves its branch heads, in one
    /// transaction: a scan cut short stores nothing and is repeated whole. `heads` is every
    /// branch the repository has now (branches left out are gone). Returns the ids of the
    /// events stored (events stored before are skipped).
    pub async fn record_scan(
        &self,
        repository_id: i64,
        events: &[NewDevEvent],
        heads: &BTreeMap<String, String>,
    ) -> Result<Vec<i64>> {
        let now = self.now();
        // Made (bodies compressed) before the writer is taken.
        let rows: Vec<intake::EventRow> = events.iter().map(intake::EventRow::of).collect();
        let rows: Vec<&intake::EventRow> = rows.iter().collect();
        let out = with_write_tx!(self, tx => {
            let mut out = Vec::new();
            for chunk in rows.chunks(intake::MOST) {
                out.extend(insert_rows!(&mut *tx, chunk, now).into_iter().flatten());
            }
            sqlx::query("DELETE FROM dev_branch_heads WHERE repository_id = $1")
                .bind(repository_id)
                .execute(&mut *tx)
                .await?;
            for (branch, head) in heads {
                sqlx::query(
                    "INSERT INTO dev_branch_heads (repository_id, branch, head, updated_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(repository_id)
                .bind(branch)
                .bind(head)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            out
        });
        Ok(out)
    }

    /// The branch heads the last scan of a repository saw.
    pub async fn branch_heads(&self, repository_id: i64) -> Result<BTreeMap<String, String>> {
        let rows: Vec<(String, String)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT branch, head FROM dev_branch_heads WHERE repository_id = $1"
        )
        .bind(repository_id)
        .fetch_all(pool)
        .await?);
        Ok(rows.into_iter().collect())
    }

    pub async fn dev_event(&self, id: i64) -> Result<StoredDevEvent> {
        let row: EventRow = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM dev_events WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(pool)
        .await?);
        row.try_into()
    }

    /// A repository's events, newest first, at most `limit`, older than `before` if given.
    pub async fn dev_events(
        &self,
        repository_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<StoredDevEvent>> {
        let rows: Vec<EventRow> = with_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM dev_events WHERE repository_id = $1 AND ($2 IS NULL OR id < $2) \
             ORDER BY id DESC LIMIT $3"
        ))
        .bind(repository_id)
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await?);
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// How many events of each state a repository has.
    pub async fn dev_event_counts(&self, repository_id: i64) -> Result<BTreeMap<String, i64>> {
        let rows: Vec<(String, i64)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT state, COUNT(*) FROM dev_events WHERE repository_id = $1 GROUP BY state"
        )
        .bind(repository_id)
        .fetch_all(pool)
        .await?);
        Ok(rows.into_iter().collect())
    }

    /// Records what processing an event found and did.
    pub async fn set_dev_event_report(
        &self,
        id: i64,
        state: EventState,
        report: &str,
    ) -> Result<()> {
        let reports = vec![(id, state, report.to_owned())];
        self.record_dev_outcomes(&DevOutcomes { reports, ..DevOutcomes::default() }).await
    }

    /// Writes what the worker found and did for a batch of events in one transaction, in
    /// the order given: one commit for a batch instead of two or three per event (each a
    /// sync of the log that the forges' deliveries would otherwise wait behind).
    pub async fn record_dev_outcomes(&self, o: &DevOutcomes) -> Result<()> {
        if o.is_empty() {
            return Ok(());
        }
        let now = self.now();
        let mentions = super::ledger::last_of_each(&o.mentions);
        with_write_tx!(self, tx => {
            for chunk in mentions.chunks(super::ledger::MENTIONS_PER_STATEMENT) {
                super::ledger::mentions_statement(chunk).build().execute(&mut *tx).await?;
            }
            for (id, state, report) in &o.reports {
                sqlx::query(
                    "UPDATE dev_events SET state = $1, report = $2, processed_at = $3 WHERE id = $4",
                )
                .bind(state.as_str())
                .bind(report)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            for (id, report) in &o.devinfo_reports {
                sqlx::query("UPDATE dev_events SET devinfo_report = $1 WHERE id = $2")
                    .bind(report)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        });
        Ok(())
    }
}

/// What processing a batch of events wrote, gathered to be written together
/// ([`Store::record_dev_outcomes`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DevOutcomes {
    /// What the events mention (a later copy of the same repository, entity and issue wins).
    pub mentions: Vec<Mention>,
    /// Each event's state and report.
    pub reports: Vec<(i64, EventState, String)>,
    /// Each event's Development panel report: what the Development Information API was sent
    /// for it, and answered.
    pub devinfo_reports: Vec<(i64, String)>,
}

impl DevOutcomes {
    pub fn is_empty(&self) -> bool {
        self.mentions.is_empty() && self.reports.is_empty() && self.devinfo_reports.is_empty()
    }
}
