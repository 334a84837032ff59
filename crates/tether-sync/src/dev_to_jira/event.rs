//! Processing one stored dev event (a `dev.event` row): read it and its repository's
//! settings, plan it, and per mentioned issue and entity make the link, the comment, the
//! transition and the Smart Commits, recording what was done on the event.
//!
//! Jira being unavailable ends the attempt: the row is tried again later, and the ledger
//! makes the next attempt skip what was done. Anything Jira refuses for good is recorded
//! and the rest goes on.

use std::collections::HashMap;
use std::time::Duration;

use tether_refs::{MatchSettings, Matcher};
use tether_store::dev::{
    EffectiveSettings, EventState, Mention, Repository, StoredDevEvent, Transitions,
};
use tether_store::{DevScanWork, JiraSite, Store, StoreError};

use super::DevContext;
use super::actions::{Halt, Run};
use super::batch::Batch;
use super::plan::{EntityKind, EventPlan, Mentioning, plan};
use super::report::{EntityReport, EventReport, IssueReport};
use super::transition::Wanted;
use crate::SyncError;
use crate::jira::clients::ClientError;

/// How one attempt at a row ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    Done,
    Retry { error: String, retry_after: Option<Duration> },
}

/// What the event, its repository and their settings make of it, or why nothing can be.
pub(crate) struct Loaded {
    pub event: StoredDevEvent,
    pub repo: Repository,
    pub settings: EffectiveSettings,
    pub plan: EventPlan,
    pub dev_event: tether_forge::DevEvent,
}

/// Reads an event and plans it; `Err` with the report when it cannot be (the report says
/// why), `Ok(None)` when the event or its repository is gone.
pub(crate) async fn load(
    store: &Store,
    public_url: &str,
    event_id: i64,
    batch: &mut Batch,
) -> Result<Result<Option<Loaded>, EventReport>, StoreError> {
    let event = match store.dev_event(event_id).await {
        Ok(e) => e,
        Err(StoreError::NotFound) => return Ok(Ok(None)),
        Err(e) => return Err(e),
    };
    let Some((repo, settings)) = batch.repository(store, event.repository_id).await? else {
        return Ok(Ok(None));
    };
    let fail = |error: String| EventReport { error: Some(error), ..EventReport::default() };
    let matcher = match matcher(&settings) {
        Ok(m) => m,
        Err(e) => return Ok(Err(fail(format!("the repository's matching settings: {e}")))),
    };
    let dev_event = match event.dev_event() {
        Ok(d) => d,
        Err(e) => return Ok(Err(fail(format!("the stored event does not read: {e}")))),
    };
    let fallback = format!("{}/code/repositories/{}", public_url.trim_end_matches('/'), repo.name);
    let plan = plan(&repo, &settings, &matcher, &dev_event, &fallback);
    Ok(Ok(Some(Loaded { event, repo, settings, plan, dev_event })))
}

/// The matcher of a repository's settings.
pub fn matcher(settings: &EffectiveSettings) -> Result<Matcher, tether_refs::SettingsError> {
    Matcher::new(&MatchSettings {
        key_regex: settings.key_regex.clone(),
        key_prefix: settings.key_prefix.clone(),
        project_keys: settings.project_keys.clone(),
    })
}

/// The site a repository's settings name; `Err` with why there is none.
pub(crate) async fn site(
    store: &Store,
    settings: &EffectiveSettings,
) -> Result<Result<JiraSite, String>, StoreError> {
    let Some(name) = &settings.site else {
        return Ok(Err("no Jira site is set for this repository (settings: site)".into()));
    };
    match store.jira_site_by_name(name).await {
        Ok(s) => Ok(Ok(s)),
        Err(StoreError::NotFound) => Ok(Err(format!("the Jira site {name:?} does not exist"))),
        Err(e) => Err(e),
    }
}

/// Processes one event; what it writes about the event goes into `batch`, flushed before
/// anything is asked of Jira.
pub(crate) async fn process(
    store: &Store,
    ctx: &DevContext,
    event_id: i64,
    batch: &mut Batch,
) -> Result<Settled, SyncError> {
    let loaded = match load(store, &ctx.public_url, event_id, batch).await? {
        Ok(Some(l)) => l,
        Ok(None) => return Ok(Settled::Done),
        Err(report) => {
            batch.report(event_id, EventState::Failed, report.to_json());
            return Ok(Settled::Done);
        }
    };
    let Loaded { repo, settings, plan, dev_event, .. } = &loaded;
    let mut report = EventReport {
        summary: summary(dev_event),
        notes: plan.notes.clone(),
        ..EventReport::default()
    };
    if let Some(t) = &plan.truncated {
        report.notes.push(truncated_note(store, repo, t).await?);
    }
    if plan.mentions.is_empty() {
        batch.report(event_id, EventState::Done, report.to_json());
        return Ok(Settled::Done);
    }
    batch.mentions(mentions(store, repo, &plan.mentions));
    let site = match site(store, settings).await? {
        Ok(s) => s,
        Err(why) => {
            report.error = Some(why);
            batch.report(event_id, EventState::Failed, report.to_json());
            return Ok(Settled::Done);
        }
    };
    // What this event and the ones before found is stored before Jira is asked anything.
    batch.flush(store).await?;
    let client = match ctx.clients.get(site.id).await {
        Ok((_, c)) => c,
        Err(ClientError::Jira { source, .. }) if source.is_transient() => {
            return Ok(Settled::Retry {
                error: source.to_string(),
                retry_after: source.retry_after(),
            });
        }
        Err(e) => {
            report.error = Some(crate::error_chain(&e));
            batch.report(event_id, EventState::Failed, report.to_json());
            return Ok(Settled::Done);
        }
    };
    if !client.reaches_platform_apis() {
        // Links, comments and transitions are calls on issues, which Jira refuses to OAuth
        // credentials: nothing to do, and nothing that failed (the Development panel goes
        // through its own job).
        report.notes.push(ISSUES_NEED_PLATFORM.to_owned());
        batch.report(event_id, EventState::Done, report.to_json());
        return Ok(Settled::Done);
    }
    let mut run = Run {
        store,
        client: &client,
        site_id: site.id,
        settings,
        plan,
        hold: ctx.hold,
        users: HashMap::new(),
    };
    for m in &plan.mentions {
        match entity_report(&mut run, m).await {
            Ok(r) => report.entities.push(r),
            Err(Halt::Store(e)) => return Err(e.into()),
            Err(Halt::Retry { error, retry_after }) => {
                report
                    .notes
                    .push(format!("Jira could not take everything now, trying again: {error}"));
                batch.report(event_id, EventState::Pending, report.to_json());
                return Ok(Settled::Retry { error, retry_after });
            }
        }
    }
    let state = if report.failed() { EventState::Failed } else { EventState::Done };
    batch.report(event_id, state, report.to_json());
    Ok(Settled::Done)
}

/// Why a site with OAuth credentials gets no remote links, comments or transitions.
pub const ISSUES_NEED_PLATFORM: &str = "No remote links, comments or transitions: the site's \
     OAuth credentials reach only Jira's DevOps APIs, not issues. They need tether's Forge app \
     or a credential for Jira's REST API (an API token) on the site.";

/// Everything done for one entity, issue by issue.
async fn entity_report(run: &mut Run<'_>, m: &Mentioning) -> Result<EntityReport, Halt> {
    let e = &m.entity;
    let mut out = EntityReport {
        entity: super::text::entity_name(e),
        title: e.title.clone(),
        url: e.url.clone(),
        keys: m.refs.keys.iter().map(|k| k.key.to_string()).collect(),
        closes: m.refs.closes.iter().map(ToString::to_string).collect(),
        commands: Vec::new(),
        ignored: m.refs.ignored.iter().map(|c| c.reason.to_string()).collect(),
        issues: Vec::new(),
    };
    let smart = run.settings.smart_commits && e.kind == EntityKind::Commit;
    if smart {
        out.commands = m.refs.commands.iter().map(|c| e.text[c.span.clone()].to_owned()).collect();
    }
    for found in &m.refs.keys {
        let key = &found.key;
        let mut actions = Vec::new();
        let Some(link) = run.link(e, key, false).await? else {
            actions.push(super::report::ActionReport::new(
                "remote link",
                super::report::Outcome::Failed,
                format!("Jira has no issue {key}, or tether's account cannot see it"),
            ));
            out.issues.push(IssueReport { key: key.to_string(), actions });
            continue;
        };
        actions.push(link);
        if run.settings.comments {
            actions.push(run.comment(e, key).await?);
        }
        let closing = m.refs.closes.contains(key);
        match (&run.settings.transitions, closing, e.may_close) {
            (Transitions::Off, true, true) => actions.push(super::report::ActionReport::new(
                "transition",
                super::report::Outcome::Skipped,
                "transitions are off for this repository",
            )),
            (t, true, true) => {
                let step = run
                    .transition(e, key, "transition", "transition", Wanted::Close(t.clone()))
                    .await?;
                let closed = step.outcome == super::report::Outcome::Done;
                actions.push(step);
                if closed && let Some(link) = run.link(e, key, true).await? {
                    actions.push(link);
                }
            }
            (_, true, false) => actions.push(super::report::ActionReport::new(
                "transition",
                super::report::Outcome::Skipped,
                not_closing_why(e),
            )),
            _ => {}
        }
        if smart {
            actions.extend(run.smart(e, key, &m.refs.commands).await?);
        }
        out.issues.push(IssueReport { key: key.to_string(), actions });
    }
    Ok(out)
}

fn not_closing_why(e: &super::plan::Entity) -> String {
    match e.kind {
        EntityKind::Commit => format!(
            "closing words act when the commit reaches the default branch (this push is to {}), \
             and not in merge commits the forge wrote",
            e.branch
        ),
        EntityKind::PullRequest => {
            "closing words of a merge request act when it is merged into the default branch".into()
        }
    }
}

/// The rows of what the event mentions (a push mentions several issues in several commits).
fn mentions(store: &Store, repo: &Repository, mentions: &[Mentioning]) -> Vec<Mention> {
    let mut rows = Vec::new();
    for m in mentions {
        let e = &m.entity;
        let kind = match e.kind {
            EntityKind::Commit => "commit",
            EntityKind::PullRequest => "pull_request",
        };
        let state = e.pr_state.map(|s| format!("{s:?}").to_ascii_uppercase()).unwrap_or_default();
        rows.extend(m.refs.keys.iter().map(|k| Mention {
            repository_id: repo.id,
            entity: e.ledger_id.clone(),
            issue_key: k.key.to_string(),
            kind: kind.into(),
            title: e.title.clone(),
            url: e.url.clone(),
            author: e.author_name.clone(),
            branch: e.branch.clone(),
            state: state.clone(),
            at: e.at_ms.unwrap_or_else(|| store.clock().now_ms()),
        }));
    }
    rows
}

/// What happens to the commits a push did not list: a scan of the repository's local clone
/// finds them, when it has one.
async fn truncated_note(
    store: &Store,
    repo: &Repository,
    t: &super::plan::TruncatedPush,
) -> Result<String, StoreError> {
    let missing = t.total.saturating_sub(t.listed);
    let head =
        format!("the forge listed {} of the push's {} commits to {}", t.listed, t.total, t.branch);
    if repo.path.is_some() {
        store.enqueue_work_unless_waiting(&DevScanWork { repository_id: repo.id }).await?;
        Ok(format!("{head}; the local clone is scanned for the other {missing}"))
    } else {
        Ok(format!(
            "{head}; the other {missing} are not read: set the repository's local clone path to \
             complete such pushes"
        ))
    }
}

/// `push to main (3 commits)`, `merge request !7 merged`.
pub fn summary(event: &tether_forge::DevEvent) -> String {
    match event {
        tether_forge::DevEvent::Push(p) if p.deleted => format!("branch {} deleted", p.branch),
        tether_forge::DevEvent::Push(p) => {
            let forced = if p.forced == Some(true) { "forced " } else { "" };
            format!("{forced}push to {} ({} commits)", p.branch, p.total_commits)
        }
        tether_forge::DevEvent::PullRequest(pr) => {
            let sign = if pr.repo.forge == tether_forge::Forge::GitLab {
                "merge request !"
            } else {
                "pull request #"
            };
            format!("{sign}{} {}", pr.number, format!("{:?}", pr.action).to_ascii_lowercase())
        }
        tether_forge::DevEvent::Ignored { reason } => format!("ignored: {reason}"),
    }
}
