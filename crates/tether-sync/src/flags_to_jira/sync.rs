//! Bringing flags' state on a Jira site up to date: what the worker's
//! [`super::job::FlagSyncJob`] does with `jira.flag.sync` rows, and the direct
//! re-send backfill and reconcile use.
//!
//! Per flag: read its `updateSequenceId` first, then its state (a change
//! committed in between is sent again under its own, higher number), decide
//! whether Jira should show it ([`Plan`]), then send. Cloud: one Feature Flags
//! API document per flag, at most 100 per bulk request, a chunk halved on 413;
//! removal is `DELETE /flag/{id}`. Data Center: one remote link per linked
//! issue under a stable `globalId` (always sent whole: an upsert replaces the
//! link), deleted from issues no longer linked. What Jira acknowledged is
//! recorded per flag (`record_flag_push`), with its unknown issue keys and
//! per-flag failures; refusals are recorded as errors; transient failures (429,
//! 5xx, timeouts, connections) come back as [`Outcome::Retry`] so the outbox row
//! is tried again later, with nothing lost.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tether_jira::{
    Application, Client, Error, FeatureFlag, FlagBulkRequest, FlagBulkResponse, FlagDetails,
    FlagEnvironment, FlagStatus, FlagSummary, RemoteLink, RemoteObject, RemoteStatus, Rollout,
};
use tether_store::{FlagState, FlagSync, Project, ProjectJira, Store, StoreError};

use super::document::{EnvView, FlagView, RolloutView, flag_view, remote_link_global_id};
use crate::SyncError;
use crate::jira::clients::{ClientError, JiraClients};

/// At most this many flags per Feature Flags API request (Jira's limit).
pub const MAX_FLAGS_PER_REQUEST: usize = 100;

/// What the worker (and backfill, reconcile) needs to reach Jira.
#[derive(Debug, Clone)]
pub struct JiraContext {
    pub clients: JiraClients,
    /// tether's public URL, for links to flags.
    pub public_url: String,
}

/// One flag of one project.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlagRef {
    pub project: String,
    pub flag: String,
}

impl FlagRef {
    pub fn new(project: impl Into<String>, flag: impl Into<String>) -> FlagRef {
        FlagRef { project: project.into(), flag: flag.into() }
    }
}

impl std::fmt::Display for FlagRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.project, self.flag)
    }
}

/// What Jira holds of a flag as last sent: the `pushed` JSON of its sync row.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Pushed {
    /// Issues that show the flag (Cloud: the known keys it was sent with; Data
    /// Center: the issues carrying its remote link).
    pub issue_keys: Vec<String>,
    /// The tracked environments it was sent with.
    pub environments: Vec<String>,
    pub seq: i64,
}

impl Pushed {
    pub fn parse(sync: &FlagSync) -> Option<Pushed> {
        sync.pushed.as_deref().and_then(|p| serde_json::from_str(p).ok())
    }
}

/// What Jira answered for a flag: the `result` JSON of its sync row.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PushResult {
    pub unknown_issue_keys: Vec<String>,
    /// By Jira flag id: Jira's messages.
    pub failed: BTreeMap<String, Vec<String>>,
}

/// What a flag should look like on a site, decided from the store.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Show it: the project tracks the site and the flag is linked.
    Push { seq: i64, view: Box<FlagView>, prev: Option<Pushed> },
    /// Take it away: flag deleted, unlinked, or its project tracks another site.
    Remove { seq: i64, prev: Option<Pushed> },
}

impl Plan {
    pub fn seq(&self) -> i64 {
        match self {
            Plan::Push { seq, .. } | Plan::Remove { seq, .. } => *seq,
        }
    }
}

/// What became of one flag.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Sent, or recorded as refused: the row is done.
    Done,
    /// Not sent, and never will be with the site as it is set up (why): the row is done.
    Skipped(String),
    /// Jira could not take it now; try again later.
    Retry { error: String, retry_after: Option<Duration> },
}

/// Counts over a batch of flags.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncStats {
    /// Flags Jira now shows as tether has them.
    pub sent: usize,
    /// Flags removed from Jira (or found absent, as they should be).
    pub deleted: usize,
    /// Flags Jira refused (recorded on the flag).
    pub failed: usize,
    /// Flags linked only to issues Jira does not know: shown nowhere.
    pub unshown: usize,
    /// Flags to be tried again later.
    pub retried: usize,
    /// Issue keys Jira does not know, over all flags.
    pub unknown_issue_keys: BTreeSet<String>,
    /// (flag, message) for each refusal.
    pub failures: Vec<(String, String)>,
    /// Issues whose `tether.flags` property may have changed (Cloud).
    pub issues: BTreeSet<String>,
}

impl SyncStats {
    pub fn add(&mut self, other: SyncStats) {
        self.sent += other.sent;
        self.deleted += other.deleted;
        self.failed += other.failed;
        self.unshown += other.unshown;
        self.retried += other.retried;
        self.unknown_issue_keys.extend(other.unknown_issue_keys);
        self.failures.extend(other.failures);
        self.issues.extend(other.issues);
    }
}

/// The Feature Flags API id of a flag: `{project}~{flag}` (`~` occurs in no key).
pub fn feature_flag_id(project: &str, flag: &str) -> String {
    format!("{project}~{flag}")
}

/// Whether trying again later may succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Waiting will not help (bad credentials, a refusal): record it.
    Permanent,
    /// Jira could not take it now (429, 5xx, no answer); `retry_after` is how long
    /// Jira asked to wait, when it said.
    Transient { retry_after: Option<Duration> },
}

impl FailureKind {
    /// What kind of failure a Jira error is.
    pub fn of(e: &Error) -> FailureKind {
        if e.is_transient() {
            FailureKind::Transient { retry_after: e.retry_after() }
        } else {
            FailureKind::Permanent
        }
    }

    /// What kind of failure not getting a site's client is: transient only when
    /// Jira itself was unavailable.
    pub fn of_client(e: &ClientError) -> FailureKind {
        match e {
            ClientError::Jira { source, .. } => FailureKind::of(source),
            _ => FailureKind::Permanent,
        }
    }

    pub fn is_transient(self) -> bool {
        matches!(self, FailureKind::Transient { .. })
    }
}

/// How [`plan_flags`] reads the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadMode {
    /// Every sync row of the site and every flag of each project at once
    /// (backfill, reconcile: most of a site's flags).
    Site,
    /// Flag by flag (the worker's small batches).
    PerFlag,
}

/// Who writes the `tether.flags` property rows of the issues a send touches (Cloud).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Properties {
    /// [`send_plans`] enqueues them, before sending and again after.
    Enqueue,
    /// The caller updates [`SyncStats::issues`] itself (backfill, in bulk).
    LeaveToCaller,
}

/// How long to wait before trying again after `e`: Jira's `Retry-After`, and
/// after no answer at all at least `in_flight` (the client's timeout), so a
/// late arrival of the old write cannot land after the new one (remote links
/// and issue properties have no sequence number to protect them).
pub fn wait_after(e: &Error, in_flight: Duration) -> Option<Duration> {
    match e {
        Error::Transport(_) => Some(in_flight.max(e.retry_after().unwrap_or_default())),
        _ => e.retry_after(),
    }
}

/// RFC 3339 in UTC, e.g. `2024-05-01T10:00:00.123Z`.
pub fn rfc3339(ms: i64) -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The issue keys a flag is shown on: normalised, at most 100 (Jira's limit per flag).
fn issue_keys(view: &FlagView) -> Vec<String> {
    let mut keys = tether_store::normalize_issue_keys(&view.issue_keys);
    keys.truncate(100);
    keys
}

fn status(e: &EnvView) -> FlagStatus {
    FlagStatus {
        enabled: e.enabled,
        default_value: Some(truncate(&e.default_value, 255)),
        // Jira shows a percentage or a number of rules by itself; anything more is words.
        rollout: Some(match &e.rollout {
            RolloutView::Percentage(p) => Rollout::Percentage(*p),
            RolloutView::Rules(n) => Rollout::Rules(*n as i64),
            words @ (RolloutView::Split { .. } | RolloutView::RulesAndRollout { .. }) => {
                Rollout::Text(truncate(&words.describe(), 255))
            }
        }),
    }
}

/// The Feature Flags API document of a flag (Cloud).
pub fn feature_flag(view: &FlagView, seq: i64) -> FeatureFlag {
    FeatureFlag {
        schema_version: "1.0".into(),
        id: feature_flag_id(&view.project, &view.key),
        key: view.key.clone(),
        update_sequence_id: seq,
        display_name: Some(truncate(&view.name, 255)),
        issue_keys: issue_keys(view),
        summary: FlagSummary {
            url: Some(view.url.clone()),
            status: status(&view.primary),
            last_updated: rfc3339(view.last_saved),
        },
        details: view
            .environments
            .iter()
            .map(|e| FlagDetails {
                url: e.url.clone(),
                last_updated: rfc3339(e.last_saved),
                environment: FlagEnvironment {
                    name: truncate(&e.name, 255),
                    kind: Some(e.kind.clone()),
                },
                status: status(e),
            })
            .collect(),
    }
}

fn env_state(e: &EnvView) -> String {
    if e.enabled { format!("on, {}", e.rollout.describe()) } else { "off".to_owned() }
}

/// The remote link's title: the flag's name, its state in the primary
/// environment and the rollout, e.g. `Flag "New checkout": on in Production, 30%`.
pub fn remote_link_title(view: &FlagView) -> String {
    let archived = if view.archived { " (archived)" } else { "" };
    let p = &view.primary;
    let state = if p.enabled {
        format!("on in {}, {}", p.name, p.rollout.describe())
    } else {
        format!("off in {}", p.name)
    };
    format!("Flag \"{}\"{archived}: {state}", view.name)
}

/// The remote link of a flag (Data Center), the same on every issue it is linked to.
pub fn remote_link(view: &FlagView) -> RemoteLink {
    let states: Vec<String> =
        view.environments.iter().map(|e| format!("{}: {}", e.name, env_state(e))).collect();
    let summary = format!("{}. Last saved {}.", states.join("; "), rfc3339(view.last_saved));
    RemoteLink {
        id: None,
        global_id: Some(remote_link_global_id(&view.project, &view.key)),
        application: Some(Application { kind: Some("tether".into()), name: Some("tether".into()) }),
        relationship: Some("feature flag".into()),
        object: RemoteObject {
            url: view.url.clone(),
            title: remote_link_title(view),
            summary: Some(summary),
            icon: None,
            status: Some(RemoteStatus {
                resolved: view.fully_rolled_out || view.archived,
                icon: None,
            }),
        },
    }
}

/// A project and the site it tracks; `None` when it is gone or tracks none.
pub(crate) async fn tracking(
    store: &Store,
    project: &str,
) -> Result<Option<(Project, ProjectJira)>, StoreError> {
    match (store.project(project).await, store.project_jira(project).await) {
        (Ok(p), Ok(Some(j))) => Ok(Some((p, j))),
        (Ok(_), Ok(None)) | (Err(StoreError::NotFound), _) | (_, Err(StoreError::NotFound)) => {
            Ok(None)
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// Reads what each flag should look like on the site, as `read` says. Either
/// way the sequence numbers are read before the state they describe. Flags
/// with no sync row (never enqueued for this site) are left out.
pub async fn plan_flags(
    store: &Store,
    site_id: i64,
    public_url: &str,
    flags: &[FlagRef],
    read: ReadMode,
) -> Result<Vec<(FlagRef, Plan)>, StoreError> {
    let bulk = read == ReadMode::Site;
    let mut syncs: HashMap<FlagRef, FlagSync> = HashMap::new();
    if bulk {
        for s in store.flag_syncs_on_site(site_id).await? {
            syncs.insert(FlagRef::new(s.project.clone(), s.flag_key.clone()), s);
        }
    } else {
        for f in flags {
            if let Some(s) = store.flag_sync(site_id, &f.project, &f.flag).await? {
                syncs.insert(f.clone(), s);
            }
        }
    }
    let mut projects: HashMap<String, Option<(Project, ProjectJira)>> = HashMap::new();
    let mut listed: HashMap<String, HashMap<String, FlagState>> = HashMap::new();
    let mut out = Vec::with_capacity(flags.len());
    for f in flags {
        let Some(sync) = syncs.get(f) else { continue };
        let prev = Pushed::parse(sync);
        let remove = Plan::Remove { seq: sync.seq, prev: prev.clone() };
        if !projects.contains_key(&f.project) {
            projects.insert(f.project.clone(), tracking(store, &f.project).await?);
        }
        let Some((project, tracking)) =
            projects[&f.project].as_ref().filter(|(_, j)| j.site_id == site_id)
        else {
            out.push((f.clone(), remove));
            continue;
        };
        let state = if bulk {
            if !listed.contains_key(&f.project) {
                let all = store.list_flags(&f.project).await?;
                listed.insert(
                    f.project.clone(),
                    all.into_iter().map(|s| (s.flag.key.clone(), s)).collect(),
                );
            }
            listed[&f.project].get(&f.flag).cloned()
        } else {
            match store.flag(&f.project, &f.flag).await {
                Ok(s) => Some(s),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e),
            }
        };
        let view = state
            .as_ref()
            .and_then(|s| flag_view(s, project, tracking, public_url))
            .filter(|v| !tether_store::normalize_issue_keys(&v.issue_keys).is_empty());
        out.push((
            f.clone(),
            match view {
                Some(view) => Plan::Push { seq: sync.seq, view: Box::new(view), prev },
                None => remove,
            },
        ));
    }
    Ok(out)
}

/// Brings the given flags up to date on one site. Duplicates are sent once.
/// On Cloud, the issues whose `tether.flags` property may change get a
/// property row each (see [`super::property`]).
pub async fn sync_flags(
    store: &Store,
    jira: &JiraContext,
    site_id: i64,
    flags: &[FlagRef],
    read: ReadMode,
) -> Result<(HashMap<FlagRef, Outcome>, SyncStats), SyncError> {
    let mut unique: Vec<FlagRef> = Vec::new();
    let mut seen = BTreeSet::new();
    for f in flags {
        if seen.insert(f.clone()) {
            unique.push(f.clone());
        }
    }
    let plans = plan_flags(store, site_id, &jira.public_url, &unique, read).await?;
    send_plans(store, jira, site_id, plans, Properties::Enqueue).await
}

/// Sends what was planned; on Cloud the issues concerned get property rows
/// as `properties` says.
pub async fn send_plans(
    store: &Store,
    jira: &JiraContext,
    site_id: i64,
    plans: Vec<(FlagRef, Plan)>,
    properties: Properties,
) -> Result<(HashMap<FlagRef, Outcome>, SyncStats), SyncError> {
    let mut run = Run {
        store,
        site_id,
        in_flight: Duration::ZERO,
        properties,
        outcomes: HashMap::new(),
        stats: SyncStats::default(),
    };
    if plans.is_empty() {
        return Ok((run.outcomes, run.stats));
    }
    let client = match jira.clients.get(site_id).await {
        Ok((_, client)) => {
            run.in_flight = client.options().timeout;
            client
        }
        Err(ClientError::Store(StoreError::NotFound)) => {
            // The site was deleted: nothing is left to tell it.
            for (f, _) in plans {
                run.outcomes.insert(f, Outcome::Done);
            }
            return Ok((run.outcomes, run.stats));
        }
        Err(ClientError::Store(e)) => return Err(e.into()),
        Err(e) => {
            let failure = FailureKind::of_client(&e);
            let message = crate::error_chain(&e);
            for (f, _) in plans {
                match failure {
                    FailureKind::Transient { retry_after } => {
                        run.retry(&f, message.clone(), retry_after)
                    }
                    FailureKind::Permanent => run.refused(&f, &message).await?,
                }
            }
            return Ok((run.outcomes, run.stats));
        }
    };
    if client.deployment().is_cloud() && !client.site().auth.reaches_devops_apis() {
        // Jira Cloud's Feature Flags API refuses a person's login whatever it may do: say so
        // on each flag once instead of sending what can only be refused.
        let message =
            tether_jira::Problem::DevOpsNeedsApp { api: tether_jira::DevOpsApi::FeatureFlags }
                .message();
        for (f, plan) in plans {
            match plan {
                Plan::Push { .. } => run.refused(&f, &message).await?,
                Plan::Remove { .. } => {
                    run.outcomes.insert(f, Outcome::Done);
                }
            }
        }
    } else if client.deployment().is_cloud() {
        run.cloud(&client, plans).await?;
    } else {
        run.data_center(&client, plans).await?;
    }
    Ok((run.outcomes, run.stats))
}

/// A flag document ready to submit, with what is recorded when Jira takes it.
struct Doc {
    flag: FlagRef,
    seq: i64,
    prev: Option<Pushed>,
    envs: Vec<String>,
    doc: FeatureFlag,
}

struct Run<'a> {
    store: &'a Store,
    site_id: i64,
    /// How long a request that got no answer may still be on its way: the
    /// client's timeout (see [`wait_after`]).
    in_flight: Duration,
    properties: Properties,
    outcomes: HashMap<FlagRef, Outcome>,
    stats: SyncStats,
}

impl Run<'_> {
    fn retry(&mut self, f: &FlagRef, error: String, retry_after: Option<Duration>) {
        tracing::debug!(flag = %f, %error, "Jira is unavailable; the flag will be sent again");
        self.stats.retried += 1;
        self.outcomes.insert(f.clone(), Outcome::Retry { error, retry_after });
    }

    /// Jira refused for good (or the site is unusable): recorded on the flag.
    async fn refused(&mut self, f: &FlagRef, message: &str) -> Result<(), StoreError> {
        tracing::warn!(flag = %f, site = self.site_id, error = message, "Jira refused a flag");
        self.store.record_flag_push_error(self.site_id, &f.project, &f.flag, message).await?;
        self.stats.failed += 1;
        self.stats.failures.push((f.to_string(), message.to_owned()));
        self.outcomes.insert(f.clone(), Outcome::Done);
        Ok(())
    }

    /// How long to wait before trying again after `e`.
    fn wait(&self, e: &Error) -> Option<Duration> {
        wait_after(e, self.in_flight)
    }

    async fn failed(&mut self, f: &FlagRef, e: &Error) -> Result<(), StoreError> {
        match FailureKind::of(e) {
            FailureKind::Transient { .. } => {
                let wait = self.wait(e);
                self.retry(f, e.to_string(), wait);
                Ok(())
            }
            FailureKind::Permanent => self.refused(f, &e.to_string()).await,
        }
    }

    async fn record(
        &mut self,
        f: &FlagRef,
        seq: i64,
        pushed: Option<&Pushed>,
        result: Option<&PushResult>,
    ) -> Result<(), StoreError> {
        let pushed = pushed.map(|p| serde_json::to_string(p).expect("serialises"));
        let result = result.map(|r| serde_json::to_string(r).expect("serialises"));
        self.store
            .record_flag_push(
                self.site_id,
                &f.project,
                &f.flag,
                seq,
                pushed.as_deref(),
                result.as_deref(),
            )
            .await
    }

    async fn cloud(
        &mut self,
        client: &Client,
        plans: Vec<(FlagRef, Plan)>,
    ) -> Result<(), StoreError> {
        // The issues each flag is (or was) shown on: their property changes too.
        let mut issues: Vec<(FlagRef, Vec<String>)> = Vec::with_capacity(plans.len());
        for (f, plan) in &plans {
            let (now, prev) = match plan {
                Plan::Push { view, prev, .. } => (issue_keys(view), prev),
                Plan::Remove { prev, .. } => (vec![], prev),
            };
            let mut keys = now;
            for k in prev.iter().flat_map(|p| &p.issue_keys) {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
            issues.push((f.clone(), keys));
        }
        let touched: BTreeSet<String> = issues.into_iter().flat_map(|(_, keys)| keys).collect();
        // No property rows for OAuth credentials: Jira refuses them on issues, so the rows
        // could only ever be skipped (see `property::sync_properties`).
        let properties = if client.reaches_platform_apis() {
            self.properties
        } else {
            Properties::LeaveToCaller
        };
        if properties == Properties::Enqueue {
            // Before sending: should this stop half-way, the rows are there.
            super::property::enqueue_properties(self.store, self.site_id, &touched).await?;
        }
        self.cloud_flags(client, plans).await?;
        if properties == Properties::Enqueue {
            // And again once the sends are recorded: another worker may have
            // claimed a waiting row in between and computed the value from
            // before them. Usually the row from above is still waiting and
            // this writes nothing.
            super::property::enqueue_properties(self.store, self.site_id, &touched).await?;
        }
        self.stats.issues.extend(touched);
        Ok(())
    }

    async fn cloud_flags(
        &mut self,
        client: &Client,
        plans: Vec<(FlagRef, Plan)>,
    ) -> Result<(), StoreError> {
        let mut docs: Vec<Doc> = Vec::new();
        for (f, plan) in plans {
            match plan {
                // Deleted even when the record says Jira holds nothing: a send
                // that timed out may have arrived all the same.
                Plan::Remove { seq, .. } => self.cloud_delete(client, &f, seq, None).await?,
                Plan::Push { seq, view, prev } => {
                    let envs = view.environments.iter().map(|e| e.key.clone()).collect();
                    docs.push(Doc { doc: feature_flag(&view, seq), flag: f, seq, prev, envs });
                }
            }
        }
        for chunk in docs.chunks(MAX_FLAGS_PER_REQUEST) {
            let flags: Vec<FeatureFlag> = chunk.iter().map(|d| d.doc.clone()).collect();
            for (range, answer) in submit_halving(client, &flags).await {
                for d in &chunk[range] {
                    match &answer {
                        Ok(resp) => self.cloud_answer(client, d, resp).await?,
                        Err(e) => self.failed(&d.flag, e).await?,
                    }
                }
            }
        }
        Ok(())
    }

    async fn cloud_delete(
        &mut self,
        client: &Client,
        f: &FlagRef,
        seq: i64,
        result: Option<&PushResult>,
    ) -> Result<(), StoreError> {
        match client.delete_feature_flag(&feature_flag_id(&f.project, &f.flag), Some(seq)).await {
            Ok(()) => {
                self.record(f, seq, None, result).await?;
                self.stats.deleted += 1;
                self.outcomes.insert(f.clone(), Outcome::Done);
                Ok(())
            }
            Err(e) => self.failed(f, &e).await,
        }
    }

    async fn cloud_answer(
        &mut self,
        client: &Client,
        d: &Doc,
        resp: &FlagBulkResponse,
    ) -> Result<(), StoreError> {
        let (f, seq, doc) = (&d.flag, d.seq, &d.doc);
        let unknown: Vec<String> = doc
            .issue_keys
            .iter()
            .filter(|k| resp.unknown_issue_keys.contains(k))
            .cloned()
            .collect();
        self.stats.unknown_issue_keys.extend(unknown.iter().cloned());
        let mut result =
            PushResult { unknown_issue_keys: unknown.clone(), failed: BTreeMap::new() };
        if let Some(errors) = resp.failed_feature_flags.get(&doc.id) {
            let messages: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
            result.failed.insert(doc.id.clone(), messages.clone());
            self.record(f, seq, d.prev.as_ref(), Some(&result)).await?;
            self.stats.failed += 1;
            self.stats.failures.push((f.to_string(), messages.join("; ")));
            self.outcomes.insert(f.clone(), Outcome::Done);
            return Ok(());
        }
        if unknown.len() == doc.issue_keys.len() {
            // Jira does not store a flag linked only to unknown issues, and would
            // go on showing an older version: take that away.
            let deleted = self.stats.deleted;
            self.cloud_delete(client, f, seq, Some(&result)).await?;
            if self.stats.deleted > deleted {
                self.stats.deleted = deleted;
                self.stats.unshown += 1;
            }
            return Ok(());
        }
        let pushed = Pushed {
            issue_keys: doc.issue_keys.iter().filter(|k| !unknown.contains(k)).cloned().collect(),
            environments: d.envs.clone(),
            seq,
        };
        self.record(f, seq, Some(&pushed), Some(&result)).await?;
        self.stats.sent += 1;
        self.outcomes.insert(f.clone(), Outcome::Done);
        Ok(())
    }
}

/// Submits flags in one request, halving a chunk Jira finds too large (413)
/// until it fits; answers per sub-range.
async fn submit_halving(
    client: &Client,
    flags: &[FeatureFlag],
) -> Vec<(Range<usize>, Result<FlagBulkResponse, Error>)> {
    let mut out = Vec::new();
    let mut todo: Vec<Range<usize>> = Vec::new();
    todo.push(0..flags.len());
    while let Some(r) = todo.pop() {
        let request = FlagBulkRequest { flags: flags[r.clone()].to_vec(), ..Default::default() };
        match client.submit_feature_flags(&request).await {
            Err(Error::BadRequest { status: 413, .. }) if r.len() > 1 => {
                let mid = r.start + r.len() / 2;
                tracing::debug!(flags = r.len(), "Jira found the request too large; halving it");
                todo.push(mid..r.end);
                todo.push(r.start..mid);
            }
            answer => out.push((r, answer)),
        }
    }
    out
}

mod dc;
#[cfg(test)]
mod tests;
