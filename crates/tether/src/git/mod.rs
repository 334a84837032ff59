//! Local git repositories: scanned with gix ([`scan`]) for the commits that mention issues,
//! stored as dev events with the branch heads they move in one transaction, and processed
//! by the worker like any forge's push. The binary does this (it alone reads files): the
//! worker's `dev.scan` rows run [`ScanJob`], and `tether repos scan --now` runs
//! [`scan_repository`] directly.

pub mod scan;
pub mod write;

#[cfg(test)]
mod tests;

use std::time::Instant;

use anyhow::{Context, Result};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tether_store::dev::{EventSource, NewDevEvent, Repository};
use tether_store::{DevScanWork, OutboxItem, OutboxKind, OutboxWork, Store, StoreError};
use tether_sync::worker::{Job, Settle, TickReport, Worker};

/// What one scan did.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ScanSummary {
    pub commits_read: usize,
    pub events_stored: usize,
    pub branches: usize,
    pub millis: u128,
    #[serde(default)]
    pub error: Option<String>,
    pub at: i64,
}

/// The setting holding a repository's last scan summary.
pub fn summary_key(repository_id: i64) -> String {
    format!("dev.scan.{repository_id}")
}

/// Scans a repository's clone and stores what it found; the summary is kept for its page.
pub async fn scan_repository(store: &Store, repo: &Repository) -> Result<ScanSummary> {
    let started = Instant::now();
    let result = scan_inner(store, repo).await;
    let mut summary = match &result {
        Ok(s) => s.clone(),
        Err(e) => ScanSummary { error: Some(format!("{e:#}")), ..ScanSummary::default() },
    };
    summary.millis = started.elapsed().as_millis();
    summary.at = store.clock().now_ms();
    store
        .put_setting(&summary_key(repo.id), &serde_json::to_string(&summary).expect("serialises"))
        .await?;
    result.map(|_| summary)
}

async fn scan_inner(store: &Store, repo: &Repository) -> Result<ScanSummary> {
    let path = repo.path.clone().context("this repository has no local clone to scan")?;
    let settings = store.resolved_code_settings(repo).await?.settings;
    let matcher = tether_sync::dev_to_jira::matcher(&settings)
        .context("the repository's matching settings")?;
    let known = store.branch_heads(repo.id).await?;
    let info = scan::RepoInfo {
        name: repo.name.clone(),
        web_url: repo.web_url.clone().unwrap_or_default(),
    };
    let found = tokio::task::spawn_blocking(move || scan::scan(&path, &known, &matcher, &info))
        .await
        .context("the scan stopped")??;
    let events: Vec<NewDevEvent> = found
        .pushes
        .iter()
        .map(|p| NewDevEvent {
            repository_id: repo.id,
            delivery_id: format!("scan:{}:{}..{}", p.branch, p.before, p.after),
            source: EventSource::Scan,
            event_name: "scan".into(),
            headers: vec![],
            body: tether_store::dev::local::write(p),
        })
        .collect();
    let stored = store.record_scan(repo.id, &events, &found.heads).await?;
    Ok(ScanSummary {
        commits_read: found.commits_read,
        events_stored: stored.len(),
        branches: found.heads.len(),
        ..ScanSummary::default()
    })
}

/// Handles `dev.scan` rows: one scan per repository named; a failed scan is recorded on the
/// repository (its page shows it) and not retried until asked again.
#[derive(Debug)]
pub struct ScanJob;

impl Job for ScanJob {
    fn kind(&self) -> OutboxKind {
        OutboxKind::DevScan
    }

    fn handle<'a>(
        &'a self,
        worker: &'a Worker,
        rows: Vec<OutboxItem>,
        _report: &'a mut TickReport,
    ) -> BoxFuture<'a, Result<Vec<(OutboxItem, Settle)>, tether_sync::SyncError>> {
        async move {
            let mut out = Vec::new();
            for item in rows {
                if let Ok(work) = DevScanWork::from_item(&item) {
                    match worker.store().repository(work.repository_id).await {
                        Ok(repo) => {
                            if let Err(e) = scan_repository(worker.store(), &repo).await {
                                tracing::warn!(repository = %repo.name, error = %format!("{e:#}"), "scan failed");
                            }
                        }
                        Err(StoreError::NotFound) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                out.push((item, Settle::Done));
            }
            Ok(out)
        }
        .boxed()
    }
}
