//! What one dev event asks of Jira, before anything is called: the commits and merge
//! requests it carries (entities), what each says about issues ([`tether_refs::extract`]
//! with the repository's matcher), and which of them may close issues. No IO.
//!
//! # Rules
//! - Commits count when the repository's triggers include commits; merge/pull requests
//!   when they include merge requests.
//! - A commit's keys, closing words and Smart Commits come from its message. A request's
//!   keys and closing words come from its title, description and source branch name; Smart
//!   Commits are for commit messages only.
//! - A commit may close issues when it reaches the default branch by a push to it, unless
//!   the forge wrote it when merging a request (its message repeats the request's, which
//!   closes on its own). A request may close issues when it is merged into the default
//!   branch.
//! - A push that deletes a branch mentions nothing (the Development panel job removes the
//!   branch).

use tether_forge::{Commit, DevEvent, PrState, PullRequest, Push};
use tether_refs::{Matcher, Refs, extract};
use tether_store::dev::{EffectiveSettings, Repository};

/// A commit or a merge request, as tether shows it on issues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    pub kind: EntityKind,
    /// The ledger's name for it: `<repository id>:commit:<sha>` or `<repository id>:pr:<n>`;
    /// stable across URL changes, renames, force-pushes and branch deletion.
    pub ledger_id: String,
    /// `abc1234` or `!7` (GitLab) / `#7`.
    pub display: String,
    /// A commit's first line, a request's title.
    pub title: String,
    /// A commit's whole message, a request's title and description.
    pub text: String,
    pub url: String,
    pub author_name: String,
    pub author_email: Option<String>,
    /// The branch pushed to, or the request's source branch.
    pub branch: String,
    /// A request's target branch.
    pub target_branch: Option<String>,
    pub at_ms: Option<i64>,
    /// Closing words in it may close issues (see the module rules).
    pub may_close: bool,
    /// A request that is merged or declined: its links are struck through.
    pub finished: bool,
    pub pr_state: Option<PrState>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    Commit,
    PullRequest,
}

/// One entity and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mentioning {
    pub entity: Entity,
    pub refs: Refs,
}

/// What an event asks for, and what of it was left aside.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventPlan {
    /// The repository's name as the forge gives it (`owner/name`), for titles and comments.
    pub repo_name: String,
    pub repo_url: String,
    pub forge: String,
    pub private: bool,
    pub mentions: Vec<Mentioning>,
    /// What was not looked at and why (a trigger off, a truncated push…), for the log.
    pub notes: Vec<String>,
    /// A push listed fewer commits than it brought.
    pub truncated: Option<TruncatedPush>,
}

/// A push whose commits the forge did not all list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruncatedPush {
    pub listed: usize,
    pub total: usize,
    pub branch: String,
    pub before: String,
    pub after: String,
}

/// The plan of `event` for `repo` under `settings` with `matcher` (built from them);
/// `fallback_url` is the repository's page when neither the forge nor its settings give
/// one (a local clone without a web URL: tether's own page of it).
pub fn plan(
    repo: &Repository,
    settings: &EffectiveSettings,
    matcher: &Matcher,
    event: &DevEvent,
    fallback_url: &str,
) -> EventPlan {
    match event {
        DevEvent::Push(push) => plan_push(repo, settings, matcher, push, fallback_url),
        DevEvent::PullRequest(pr) => plan_pull_request(repo, settings, matcher, pr, fallback_url),
        DevEvent::Ignored { reason } => {
            EventPlan { notes: vec![format!("ignored: {reason}")], ..EventPlan::default() }
        }
    }
}

fn base(repo: &Repository, r: &tether_forge::Repo, fallback_url: &str) -> EventPlan {
    let name = if r.full_name.is_empty() { repo.name.clone() } else { r.full_name.clone() };
    let url = if r.web_url.is_empty() {
        repo.web_url.clone().unwrap_or_else(|| fallback_url.to_owned())
    } else {
        r.web_url.clone()
    };
    EventPlan {
        repo_name: name,
        repo_url: url,
        forge: r.forge.to_string(),
        private: r.private,
        ..EventPlan::default()
    }
}

fn plan_push(
    repo: &Repository,
    settings: &EffectiveSettings,
    matcher: &Matcher,
    push: &Push,
    fallback_url: &str,
) -> EventPlan {
    let mut out = base(repo, &push.repo, fallback_url);
    if push.deleted {
        out.notes.push(format!("branch {} deleted", push.branch));
        return out;
    }
    if !settings.triggers.commits() {
        out.notes.push("commits are not a trigger of this repository".into());
        return out;
    }
    if push.truncated {
        out.truncated = Some(TruncatedPush {
            listed: push.commits.len(),
            total: push.total_commits,
            branch: push.branch.clone(),
            before: push.before.clone(),
            after: push.after.clone(),
        });
    }
    for c in &push.commits {
        let refs = extract(&c.message, matcher);
        if refs.keys.is_empty() {
            continue;
        }
        let entity = commit_entity(repo, &out.repo_url, push, c);
        out.mentions.push(Mentioning { entity, refs });
    }
    out
}

/// A commit's URL: the forge's, else one under the repository's web URL (local clones).
fn commit_url(repo_url: &str, c: &Commit) -> String {
    if !c.url.is_empty() {
        return c.url.clone();
    }
    format!("{}/commit/{}", repo_url.trim_end_matches('/'), c.id)
}

fn commit_entity(repo: &Repository, repo_url: &str, push: &Push, c: &Commit) -> Entity {
    Entity {
        kind: EntityKind::Commit,
        ledger_id: format!("{}:commit:{}", repo.id, c.id),
        display: c.id.chars().take(7).collect(),
        title: c.message.lines().next().unwrap_or_default().trim().to_owned(),
        text: c.message.clone(),
        url: commit_url(repo_url, c),
        author_name: c.author_name.clone(),
        author_email: c.author_email.clone(),
        branch: push.branch.clone(),
        target_branch: None,
        at_ms: c.timestamp.epoch_ms,
        may_close: push.is_default_branch && !c.is_merge_generated,
        finished: false,
        pr_state: None,
    }
}

fn plan_pull_request(
    repo: &Repository,
    settings: &EffectiveSettings,
    matcher: &Matcher,
    pr: &PullRequest,
    fallback_url: &str,
) -> EventPlan {
    let mut out = base(repo, &pr.repo, fallback_url);
    if !settings.triggers.merge_requests() {
        out.notes.push("merge requests are not a trigger of this repository".into());
        return out;
    }
    let description = pr.body.as_deref().unwrap_or_default();
    let text = if description.is_empty() {
        pr.title.clone()
    } else {
        format!("{}\n\n{description}", pr.title)
    };
    // The branch name counts for keys, on a line of its own so it joins no closing list.
    let mut refs = extract(&format!("{text}\n{}", pr.source_branch), matcher);
    // Smart Commits are for commit messages.
    refs.commands.clear();
    refs.ignored.clear();
    if refs.keys.is_empty() {
        return out;
    }
    let sign = if pr.repo.forge == tether_forge::Forge::GitLab { "!" } else { "#" };
    let entity = Entity {
        kind: EntityKind::PullRequest,
        ledger_id: format!("{}:pr:{}", repo.id, pr.number),
        display: format!("{sign}{}", pr.number),
        title: pr.title.clone(),
        text,
        url: pr.url.clone(),
        author_name: pr.author.clone().or_else(|| pr.actor.clone()).unwrap_or_default(),
        author_email: None,
        branch: pr.source_branch.clone(),
        target_branch: Some(pr.target_branch.clone()),
        at_ms: pr.updated.as_ref().and_then(|t| t.epoch_ms),
        may_close: pr.merged_into_default,
        finished: matches!(pr.state, PrState::Merged | PrState::Declined),
        pr_state: Some(pr.state),
    };
    out.mentions.push(Mentioning { entity, refs });
    out
}
