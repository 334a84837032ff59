//! What the rows of one tick share while they are handled one by one: their repositories
//! and settings, read once, and what they write about their events, gathered into one
//! transaction instead of two or three commits per event.
//!
//! The gathered writes are flushed before any call to Jira (so everything the rows before
//! found is stored before anything is done outside) and when the tick's rows are handled;
//! what a call to Jira must record at once (the ledger) is written as before. A worker that
//! dies before the flush leaves its rows claimed, and they are handled again after their
//! lease, as when it dies before settling them.

use std::collections::HashMap;

use tether_store::dev::{DevOutcomes, EffectiveSettings, EventState, Mention, Repository};
use tether_store::{Store, StoreError};

/// One tick's shared reads and gathered writes.
#[derive(Debug, Default)]
pub struct Batch {
    repositories: HashMap<i64, Option<(Repository, EffectiveSettings)>>,
    writes: DevOutcomes,
}

impl Batch {
    /// A repository and its resolved settings, read at its first event of the tick;
    /// `None` when it is gone.
    pub(crate) async fn repository(
        &mut self,
        store: &Store,
        id: i64,
    ) -> Result<Option<(Repository, EffectiveSettings)>, StoreError> {
        if let Some(known) = self.repositories.get(&id) {
            return Ok(known.clone());
        }
        let found = match store.repository(id).await {
            Ok(repo) => {
                let settings = store.resolved_code_settings(&repo).await?.settings;
                Some((repo, settings))
            }
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e),
        };
        self.repositories.insert(id, found.clone());
        Ok(found)
    }

    /// An event's state and report, written at the next flush.
    pub(crate) fn report(&mut self, event_id: i64, state: EventState, report: String) {
        self.writes.reports.push((event_id, state, report));
    }

    /// An event's Development panel report, written at the next flush.
    pub(crate) fn devinfo_report(&mut self, event_id: i64, report: String) {
        self.writes.devinfo_reports.push((event_id, report));
    }

    /// What an event mentions, written at the next flush.
    pub(crate) fn mentions(&mut self, mentions: impl IntoIterator<Item = Mention>) {
        self.writes.mentions.extend(mentions);
    }

    /// Writes what was gathered, in one transaction.
    pub(crate) async fn flush(&mut self, store: &Store) -> Result<(), StoreError> {
        if self.writes.is_empty() {
            return Ok(());
        }
        store.record_dev_outcomes(&self.writes).await?;
        self.writes = DevOutcomes::default();
        Ok(())
    }
}
