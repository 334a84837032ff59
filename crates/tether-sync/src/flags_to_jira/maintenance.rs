//! Backfill and reconcile: whole-site operations run by an operator
//! (`tether jira backfill`, `tether jira reconcile`).
//!
//! [`backfill`] re-sends every flag a site should hold, directly and in bulk,
//! under new sequence numbers (after a reinstall Jira holds nothing; after a
//! restore it may hold older versions). [`reconcile`] reads back what Jira
//! holds for every flag of the site, compares it with what it should hold,
//! and repairs the differences by sending the flag again under a sequence
//! number above anything Jira has. Both report progress as (done, total) and
//! hand what Jira could not take now to the worker through the outbox.

use std::collections::{BTreeMap, BTreeSet};

use tether_jira::{Client, Error, FeatureFlag, Rollout};
use tether_store::{FlagSync, Store};

use super::document::remote_link_global_id;
use super::property::{enqueue_properties, update_issue_properties};
use super::sync::{
    FlagRef, JiraContext, MAX_FLAGS_PER_REQUEST, Outcome, Plan, Properties, PushResult, Pushed,
    ReadMode, SyncStats, feature_flag, feature_flag_id, plan_flags, remote_link, send_plans,
};
use crate::SyncError;
use crate::jira::clients::ClientError;

/// Flags per round on Data Center (one request per linked issue each).
const DC_ROUND: usize = 20;
/// Issues per round of property updates.
const PROPERTY_ROUND: usize = 200;

/// What a backfill did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BackfillReport {
    /// The site's flags (linked ones, and those it was told about before).
    pub flags: usize,
    pub stats: SyncStats,
    /// Flags Jira could not take now, left to the worker.
    pub queued: usize,
    /// Issues whose `tether.flags` property was rewritten (Cloud).
    pub properties: usize,
    /// Issue properties left to the worker.
    pub properties_queued: usize,
    /// Why no issue property was written, when the site's credentials cannot (OAuth
    /// credentials).
    pub properties_skipped: Option<String>,
}

/// Re-sends everything a site should hold. `progress` is told (done, total)
/// as flags go out.
pub async fn backfill(
    store: &Store,
    jira: &JiraContext,
    site_id: i64,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<BackfillReport, SyncError> {
    let (_, client) = client(jira, site_id).await?;
    let refs = site_flags(store, site_id).await?;
    store.bump_site_flag_seqs(site_id).await?;
    let plans = plan_flags(store, site_id, &jira.public_url, &refs, ReadMode::Site).await?;
    let mut report = BackfillReport { flags: plans.len(), ..BackfillReport::default() };
    progress(0, plans.len());
    let round = if client.deployment().is_cloud() { MAX_FLAGS_PER_REQUEST } else { DC_ROUND };
    let mut done = 0;
    let mut plans = plans.into_iter().peekable();
    while plans.peek().is_some() {
        let chunk: Vec<(FlagRef, Plan)> = plans.by_ref().take(round).collect();
        done += chunk.len();
        let (outcomes, stats) =
            send_plans(store, jira, site_id, chunk, Properties::LeaveToCaller).await?;
        for (f, outcome) in outcomes {
            if let Outcome::Retry { .. } = outcome {
                store.enqueue_flag_sync(site_id, &f.project, &f.flag).await?;
                report.queued += 1;
            }
        }
        report.stats.add(stats);
        progress(done, report.flags);
    }
    report.properties_skipped = super::property::skipped_because(&client).map(str::to_owned);
    if client.deployment().is_cloud() && report.properties_skipped.is_none() {
        let issues: Vec<String> =
            report.stats.issues.difference(&report.stats.unknown_issue_keys).cloned().collect();
        for round in issues.chunks(PROPERTY_ROUND) {
            let round: BTreeSet<String> = round.iter().cloned().collect();
            let failed =
                update_issue_properties(store, &client, site_id, &jira.public_url, &round).await?;
            report.properties += round.len() - failed.len();
            report.properties_queued += failed.len();
            enqueue_properties(store, site_id, &failed.into_keys().collect()).await?;
        }
    }
    Ok(report)
}

/// Hands every flag of a site to the worker under a new sequence number: a
/// backfill through the outbox, for a server that learns of a reinstall (the
/// Connect `installed` lifecycle) and should not block on sending. Returns how
/// many flags were queued.
pub async fn enqueue_site(store: &Store, site_id: i64) -> Result<usize, SyncError> {
    let flags = store.flags_for_site(site_id).await?;
    for (project, flag) in &flags {
        store.enqueue_flag_sync(site_id, project, flag).await?;
    }
    Ok(flags.len())
}

/// How one flag stood on Jira.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    InSync,
    /// Jira should show it and does not (Cloud), or lacks links (Data Center).
    Missing(String),
    /// Jira shows something else, or shows what it should not.
    Stale(String),
}

/// What a reconcile found and did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReconcileReport {
    pub checked: usize,
    pub in_sync: Vec<String>,
    /// (flag, what is missing).
    pub missing: Vec<(String, String)>,
    /// (flag, what differs).
    pub stale: Vec<(String, String)>,
    /// Flags sent again (not on a dry run).
    pub repaired: Vec<String>,
    /// Flags Jira could not take now, left to the worker.
    pub queued: Vec<String>,
    /// (flag, why) for flags that could not be read or repaired.
    pub failed: Vec<(String, String)>,
}

/// Whether a reconcile repairs what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReconcileMode {
    /// Only report (a dry run).
    Check,
    /// Report, and send again every flag found missing or stale.
    Repair,
}

/// Reads back what the site holds for each of its flags and, in
/// [`ReconcileMode::Repair`], repairs what differs. `progress` is told (done, total).
pub async fn reconcile(
    store: &Store,
    jira: &JiraContext,
    site_id: i64,
    mode: ReconcileMode,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<ReconcileReport, SyncError> {
    let (_, client) = client(jira, site_id).await?;
    let refs = site_flags(store, site_id).await?;
    let plans = plan_flags(store, site_id, &jira.public_url, &refs, ReadMode::Site).await?;
    let syncs: BTreeMap<FlagRef, FlagSync> = store
        .flag_syncs_on_site(site_id)
        .await?
        .into_iter()
        .map(|s| (FlagRef::new(s.project.clone(), s.flag_key.clone()), s))
        .collect();
    let mut report = ReconcileReport { checked: plans.len(), ..ReconcileReport::default() };
    progress(0, plans.len());
    // (flag, the sequence number Jira holds) for each repair.
    let mut repairs: Vec<(FlagRef, i64)> = Vec::new();
    for (n, (f, plan)) in plans.iter().enumerate() {
        let unknown: Vec<String> = syncs
            .get(f)
            .and_then(|s| s.result.as_deref())
            .and_then(|r| serde_json::from_str::<PushResult>(r).ok())
            .map(|r| r.unknown_issue_keys)
            .unwrap_or_default();
        let pushed = syncs.get(f).and_then(Pushed::parse);
        let checked = if client.deployment().is_cloud() {
            check_cloud(&client, f, plan, &unknown).await
        } else {
            check_dc(&client, f, plan, pushed.as_ref(), &unknown).await
        };
        match checked {
            Ok((Finding::InSync, _)) => report.in_sync.push(f.to_string()),
            Ok((finding, held_seq)) => {
                match finding {
                    Finding::Missing(why) => report.missing.push((f.to_string(), why)),
                    Finding::Stale(why) => report.stale.push((f.to_string(), why)),
                    Finding::InSync => unreachable!("matched above"),
                }
                repairs.push((f.clone(), held_seq));
            }
            Err(e) => report.failed.push((f.to_string(), format!("cannot read it back: {e}"))),
        }
        progress(n + 1, plans.len());
    }
    if mode == ReconcileMode::Check || repairs.is_empty() {
        return Ok(report);
    }
    for (f, held_seq) in &repairs {
        store.bump_flag_seq(site_id, &f.project, &f.flag, *held_seq).await?;
    }
    let refs: Vec<FlagRef> = repairs.into_iter().map(|(f, _)| f).collect();
    for round in refs.chunks(MAX_FLAGS_PER_REQUEST) {
        let plans = plan_flags(store, site_id, &jira.public_url, round, ReadMode::PerFlag).await?;
        let (outcomes, stats) =
            send_plans(store, jira, site_id, plans, Properties::Enqueue).await?;
        let refused: BTreeSet<&str> = stats.failures.iter().map(|(f, _)| f.as_str()).collect();
        for (f, why) in &stats.failures {
            report.failed.push((f.clone(), why.clone()));
        }
        for f in round {
            match outcomes.get(f) {
                Some(Outcome::Retry { .. }) => {
                    store.enqueue_flag_sync(site_id, &f.project, &f.flag).await?;
                    report.queued.push(f.to_string());
                }
                _ if refused.contains(f.to_string().as_str()) => {}
                _ => report.repaired.push(f.to_string()),
            }
        }
    }
    Ok(report)
}

async fn client(
    jira: &JiraContext,
    site_id: i64,
) -> Result<(tether_store::JiraSite, Client), SyncError> {
    jira.clients.get(site_id).await.map_err(|e| match e {
        ClientError::Store(e) => SyncError::Store(e),
        other => SyncError::Jira(other),
    })
}

/// Every flag of the site, each with a sync row (made where missing, so it
/// gets a sequence number).
async fn site_flags(store: &Store, site_id: i64) -> Result<Vec<FlagRef>, SyncError> {
    let flags = store.flags_for_site(site_id).await?;
    let known: BTreeSet<(String, String)> = store
        .flag_syncs_on_site(site_id)
        .await?
        .into_iter()
        .map(|s| (s.project, s.flag_key))
        .collect();
    for (p, f) in &flags {
        if !known.contains(&(p.clone(), f.clone())) {
            store.bump_flag_seq(site_id, p, f, 0).await?;
        }
    }
    Ok(flags.into_iter().map(|(p, f)| FlagRef::new(p, f)).collect())
}

fn keys_without(keys: &[String], unknown: &[String]) -> BTreeSet<String> {
    keys.iter().filter(|k| !unknown.contains(k)).cloned().collect()
}

/// How a Jira flag differs from the one tether would send, in words.
fn flag_differences(want: &FeatureFlag, held: &FeatureFlag, unknown: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    if held.update_sequence_id < want.update_sequence_id {
        out.push(format!(
            "updateSequenceId {} < {}",
            held.update_sequence_id, want.update_sequence_id
        ));
    }
    if held.update_sequence_id > want.update_sequence_id {
        out.push(format!(
            "updateSequenceId {} is ahead of tether's {}",
            held.update_sequence_id, want.update_sequence_id
        ));
    }
    if held.display_name != want.display_name {
        out.push("name".into());
    }
    if keys_without(&held.issue_keys, unknown) != keys_without(&want.issue_keys, unknown) {
        out.push(format!("issue keys {:?}", held.issue_keys));
    }
    if held.summary.status.enabled != want.summary.status.enabled {
        out.push(format!("enabled {}", held.summary.status.enabled));
    }
    if !same_rollout(&held.summary.status.rollout, &want.summary.status.rollout) {
        out.push("rollout".into());
    }
    if held.summary.status.default_value != want.summary.status.default_value {
        out.push("default value".into());
    }
    let envs = |f: &FeatureFlag| -> Vec<(String, Option<String>, bool, Option<String>)> {
        f.details
            .iter()
            .map(|d| {
                (
                    d.environment.name.clone(),
                    d.environment.kind.clone(),
                    d.status.enabled,
                    d.status.default_value.clone(),
                )
            })
            .collect()
    };
    let rollouts_match = held.details.len() == want.details.len()
        && held
            .details
            .iter()
            .zip(&want.details)
            .all(|(h, w)| same_rollout(&h.status.rollout, &w.status.rollout));
    if envs(held) != envs(want) || !rollouts_match {
        out.push("details".into());
    }
    out
}

fn same_rollout(a: &Option<Rollout>, b: &Option<Rollout>) -> bool {
    match (a, b) {
        (Some(Rollout::Percentage(x)), Some(Rollout::Percentage(y))) => (x - y).abs() < 1e-9,
        _ => a == b,
    }
}

/// (finding, the sequence number Jira holds or 0).
async fn check_cloud(
    client: &Client,
    f: &FlagRef,
    plan: &Plan,
    unknown: &[String],
) -> Result<(Finding, i64), Error> {
    let held = client.feature_flag(&feature_flag_id(&f.project, &f.flag)).await?;
    let held_seq = held.as_ref().map_or(0, |h| h.update_sequence_id);
    let finding = match (plan, held) {
        (Plan::Remove { .. }, None) => Finding::InSync,
        (Plan::Remove { .. }, Some(_)) => Finding::Stale("in Jira but should not be".into()),
        (Plan::Push { seq, view, .. }, held) => {
            let want = feature_flag(view, *seq);
            match held {
                // Jira keeps no flag linked only to issues it does not know.
                None if keys_without(&want.issue_keys, unknown).is_empty() => Finding::InSync,
                None => Finding::Missing("not in Jira".into()),
                Some(held) => {
                    let diff = flag_differences(&want, &held, unknown);
                    if diff.is_empty() { Finding::InSync } else { Finding::Stale(diff.join(", ")) }
                }
            }
        }
    };
    Ok((finding, held_seq))
}

async fn check_dc(
    client: &Client,
    f: &FlagRef,
    plan: &Plan,
    pushed: Option<&Pushed>,
    unknown: &[String],
) -> Result<(Finding, i64), Error> {
    let global_id = remote_link_global_id(&f.project, &f.flag);
    let (wanted_link, wanted): (_, BTreeSet<String>) = match plan {
        Plan::Push { view, .. } => {
            let keys = tether_store::normalize_issue_keys(&view.issue_keys);
            (Some(remote_link(view)), keys_without(&keys, unknown))
        }
        Plan::Remove { .. } => (None, BTreeSet::new()),
    };
    let mut missing = Vec::new();
    let mut stale = Vec::new();
    for key in &wanted {
        let want = wanted_link.as_ref().expect("keys only with a link");
        match client.remote_link(key, &global_id).await? {
            None => missing.push(key.clone()),
            Some(held) => {
                let (h, w) = (&held.object, &want.object);
                let resolved =
                    |s: &Option<tether_jira::RemoteStatus>| s.as_ref().is_some_and(|s| s.resolved);
                if h.title != w.title
                    || h.url != w.url
                    || h.summary != w.summary
                    || resolved(&h.status) != resolved(&w.status)
                {
                    stale.push(format!("{key}: \"{}\"", h.title));
                }
            }
        }
    }
    for key in pushed.iter().flat_map(|p| &p.issue_keys).filter(|k| !wanted.contains(*k)) {
        if client.remote_link(key, &global_id).await?.is_some() {
            stale.push(format!("{key}: link should be gone"));
        }
    }
    let finding = if !missing.is_empty() {
        let mut why = format!("no link on {}", missing.join(", "));
        if !stale.is_empty() {
            why.push_str(&format!("; {}", stale.join("; ")));
        }
        Finding::Missing(why)
    } else if !stale.is_empty() {
        Finding::Stale(stale.join("; "))
    } else {
        Finding::InSync
    };
    Ok((finding, 0))
}
