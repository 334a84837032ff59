//! Jira Cloud's Development panel (a `dev.devinfo` row): the commits, branch and pull
//! request of one event sent through the Development Information API, with the event's id
//! as `updateSequenceId` (events are numbered as they arrive, so a late retry of an older
//! one never overwrites a newer state); a deleted branch is removed. Link-only mode sends
//! no message text there either.
//!
//! Jira Data Center has no such API: the remote links and comments carry the same.

use std::collections::BTreeMap;

use base64::Engine;
use serde::{Deserialize, Serialize};
use tether_forge::{Commit, DevEvent, PrState, Push};
use tether_jira::{
    DevAuthor, DevBranch, DevCommit, DevEntityKind, DevPullRequest, DevRepository, Error,
};
use tether_refs::Matcher;
use tether_store::Store;
use tether_store::dev::{CommentDetail, Repository};

use super::DevContext;
use super::batch::Batch;
use super::event::{Loaded, Settled, load, matcher, site};
use crate::SyncError;
use crate::flags_to_jira::sync::rfc3339;
use crate::jira::clients::ClientError;

/// What was sent to the Development panel for one event, and what Jira answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevInfoReport {
    pub commits: usize,
    pub branches: usize,
    pub pull_requests: usize,
    #[serde(default)]
    pub deleted_branch: Option<String>,
    #[serde(default)]
    pub unknown_issue_keys: Vec<String>,
    #[serde(default)]
    pub failures: Vec<String>,
    /// Why nothing was sent.
    #[serde(default)]
    pub skipped: Option<String>,
}

/// The Development panel's id of a repository: its tether id.
pub fn repository_id(repo: &Repository) -> String {
    repo.id.to_string()
}

/// A branch's entity id: its name in URL-safe base64, since Jira (Tomcat) refuses encoded
/// slashes in the path that deletes it.
pub fn branch_id(name: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(name)
}

/// Sends one event to the Development panel; its report goes into `batch`, flushed before
/// anything is asked of Jira.
pub(crate) async fn process(
    store: &Store,
    ctx: &DevContext,
    event_id: i64,
    batch: &mut Batch,
) -> Result<Settled, SyncError> {
    let done = |batch: &mut Batch, report: DevInfoReport| {
        let json = serde_json::to_string(&report).expect("a report serialises");
        batch.devinfo_report(event_id, json);
        Ok::<Settled, SyncError>(Settled::Done)
    };
    let skipped = |why: String| DevInfoReport { skipped: Some(why), ..DevInfoReport::default() };
    let Loaded { event, repo, settings, plan, dev_event } =
        match load(store, &ctx.public_url, event_id, batch).await? {
            Ok(Some(l)) => l,
            Ok(None) => return Ok(Settled::Done),
            Err(report) => return done(batch, skipped(report.error.unwrap_or_default())),
        };
    if !settings.development_panel {
        return done(batch, skipped("the Development panel is off for this repository".into()));
    }
    let site = match site(store, &settings).await? {
        Ok(s) => s,
        Err(why) => return done(batch, skipped(why)),
    };
    // What this event and the ones before found is stored before Jira is asked anything.
    batch.flush(store).await?;
    let client = match ctx.devinfo.get(site.id).await {
        Ok(Ok(c)) => c,
        Ok(Err(no)) => return done(batch, skipped(no.message().into())),
        Err(ClientError::Jira { source, .. }) if source.is_transient() => {
            return Ok(retry(&source));
        }
        Err(e) => return done(batch, skipped(crate::error_chain(&e))),
    };
    let matcher = matcher(&settings).expect("load checked the matcher");
    let link_only = settings.comment_detail == CommentDetail::LinkOnly;
    let seq = event.id;
    let mut repository = DevRepository {
        id: repository_id(&repo),
        name: plan.repo_name.clone(),
        url: plan.repo_url.clone(),
        update_sequence_id: seq,
        ..DevRepository::default()
    };
    let mut report = DevInfoReport::default();
    match &dev_event {
        DevEvent::Push(push) if push.deleted => {
            let id = branch_id(&push.branch);
            match client
                .delete_devinfo_entity(&repository.id, DevEntityKind::Branch, &id, Some(seq))
                .await
            {
                Ok(()) => report.deleted_branch = Some(push.branch.clone()),
                Err(e) if e.is_transient() => return Ok(retry(&e)),
                Err(e) => report.failures.push(e.to_string()),
            }
            return done(batch, report);
        }
        DevEvent::Push(push) => {
            let url = |c: &Commit| commit_url(&plan.repo_url, c);
            for c in push.commits.iter().filter(|_| settings.triggers.commits()) {
                let keys = keys_of(&matcher, &c.message);
                if !keys.is_empty() {
                    repository.commits.push(dev_commit(c, keys, seq, &url(c), link_only));
                }
            }
            if let Some(b) = branch(push, &plan.repo_url, &matcher, seq, link_only) {
                repository.branches.push(b);
            }
        }
        DevEvent::PullRequest(pr) if settings.triggers.merge_requests() => {
            let text = format!(
                "{}\n\n{}\n{}",
                pr.title,
                pr.body.as_deref().unwrap_or(""),
                pr.source_branch
            );
            let keys = keys_of(&matcher, &text);
            if !keys.is_empty() {
                let gitlab = pr.repo.forge == tether_forge::Forge::GitLab;
                let display =
                    if gitlab { format!("!{}", pr.number) } else { format!("#{}", pr.number) };
                repository.pull_requests.push(DevPullRequest {
                    id: pr.number.to_string(),
                    issue_keys: keys,
                    update_sequence_id: seq,
                    status: match pr.state {
                        PrState::Open => "OPEN",
                        PrState::Merged => "MERGED",
                        PrState::Declined => "DECLINED",
                    }
                    .into(),
                    title: if link_only {
                        format!("Pull request {display}")
                    } else {
                        pr.title.clone()
                    },
                    author: DevAuthor {
                        name: pr.author.clone().or_else(|| pr.actor.clone()).unwrap_or_default(),
                        email: String::new(),
                        username: pr.author.clone(),
                    },
                    comment_count: 0,
                    source_branch: pr.source_branch.clone(),
                    destination_branch: Some(pr.target_branch.clone()),
                    last_update: pr
                        .updated
                        .as_ref()
                        .and_then(|t| t.epoch_ms)
                        .map_or_else(|| rfc3339(store.clock().now_ms()), rfc3339),
                    url: pr.url.clone(),
                    display_id: display,
                });
            }
        }
        _ => {}
    }
    report.commits = repository.commits.len();
    report.branches = repository.branches.len();
    report.pull_requests = repository.pull_requests.len();
    if report.commits + report.branches + report.pull_requests == 0 {
        return done(batch, DevInfoReport { skipped: Some("no issue keys".into()), ..report });
    }
    let properties = BTreeMap::from([("tetherRepository".to_owned(), repository.id.clone())]);
    match client.submit_devinfo_all(repository, &properties).await {
        Ok(got) => {
            report.unknown_issue_keys = got.unknown_issue_keys;
            for (repo_id, errors) in got.failed_devinfo_entities {
                report
                    .failures
                    .extend(errors.messages().into_iter().map(|m| format!("{repo_id}: {m}")));
            }
        }
        Err(e) if e.is_transient() => return Ok(retry(&e)),
        Err(e) => report.failures.push(e.to_string()),
    }
    done(batch, report)
}

fn retry(e: &Error) -> Settled {
    Settled::Retry { error: e.to_string(), retry_after: e.retry_after() }
}

fn keys_of(matcher: &Matcher, text: &str) -> Vec<String> {
    matcher.keys(text).into_iter().take(100).map(|k| k.key.to_string()).collect()
}

fn commit_url(repo_url: &str, c: &Commit) -> String {
    if c.url.is_empty() {
        format!("{}/commit/{}", repo_url.trim_end_matches('/'), c.id)
    } else {
        c.url.clone()
    }
}

fn dev_commit(c: &Commit, keys: Vec<String>, seq: i64, url: &str, link_only: bool) -> DevCommit {
    let display: String = c.id.chars().take(7).collect();
    DevCommit {
        id: c.id.clone(),
        issue_keys: keys,
        update_sequence_id: seq,
        hash: c.id.clone(),
        flags: if c.is_merge_generated { vec!["MERGE_COMMIT".into()] } else { vec![] },
        message: if link_only { format!("Commit {display}") } else { c.message.trim().to_owned() },
        author: DevAuthor {
            name: c.author_name.clone(),
            email: c.author_email.clone().unwrap_or_default(),
            username: c.author_username.clone(),
        },
        file_count: u32::try_from(c.files.count()).unwrap_or(u32::MAX),
        url: url.to_owned(),
        author_timestamp: c.timestamp.epoch_ms.map_or_else(|| c.timestamp.text.clone(), rfc3339),
        display_id: display,
    }
}

/// The pushed branch, when its name holds keys and its head commit is known.
fn branch(
    push: &Push,
    repo_url: &str,
    matcher: &Matcher,
    seq: i64,
    link_only: bool,
) -> Option<DevBranch> {
    let keys = keys_of(matcher, &push.branch);
    let head = push.head_commit.as_ref().or(push.commits.last())?;
    if keys.is_empty() {
        return None;
    }
    let base = repo_url.trim_end_matches('/');
    Some(DevBranch {
        id: branch_id(&push.branch),
        issue_keys: keys.clone(),
        update_sequence_id: seq,
        name: push.branch.clone(),
        last_commit: dev_commit(head, keys, seq, &commit_url(repo_url, head), link_only),
        create_pull_request_url: None,
        url: format!("{base}/tree/{}", push.branch),
    })
}
