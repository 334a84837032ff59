//! GitLab's webhooks: `Push Hook`, `Tag Push Hook` and `Merge Request Hook` (also when they
//! come as a `System Hook`) read into tether's model, with fields as GitLab's "Webhook
//! events" page documents them; unknown ones ignored.

use crate::headers::{DeliveryId, DeliverySource, Headers, names, required, value};
use crate::wire::{branch_of, from_json, is_zero_id, non_blank, timestamp};
use crate::{
    Commit, DevEvent, FileChanges, Forge, ForgeError, IgnoreReason, Incoming, PrAction, PrState,
    PullRequest, Push, Repo, is_forge_merge_message,
};

/// What GitLab writes instead of an author's email when the author has no public one.
const REDACTED_EMAIL: &str = "[REDACTED]";

/// GitLab's `visibility_level` for a project anyone can read (0 private, 10 internal).
const VISIBILITY_PUBLIC: i64 = 20;

pub(crate) fn parse(
    headers: &(impl Headers + ?Sized),
    body: &[u8],
) -> Result<Incoming, ForgeError> {
    let event_name = required(headers, names::GITLAB_EVENT)?;
    let delivery = match DeliveryId::from_header(
        headers,
        names::IDEMPOTENCY_KEY,
        DeliverySource::IdempotencyKey,
    )? {
        Some(id) => id,
        None => DeliveryId::from_header(
            headers,
            names::GITLAB_EVENT_UUID,
            DeliverySource::GitLabEventUuid,
        )?
        .unwrap_or_else(|| DeliveryId::body_digest(body)),
    };
    let kind = match event_name {
        "Push Hook" => Kind::Push,
        "Tag Push Hook" => Kind::TagPush,
        "Merge Request Hook" => Kind::MergeRequest,
        // Instance-wide hooks name the event in the body instead.
        "System Hook" => system_hook_kind(body)?,
        _ => Kind::Other,
    };
    let event = match kind {
        Kind::Push => push(from_json("Push Hook", body)?),
        Kind::TagPush => {
            let tag: json::Ref = from_json("Tag Push Hook", body)?;
            let name = tag.r#ref.strip_prefix("refs/tags/").unwrap_or(&tag.r#ref);
            DevEvent::Ignored { reason: IgnoreReason::Tag(name.to_owned()) }
        }
        Kind::MergeRequest => merge_request(from_json("Merge Request Hook", body)?),
        Kind::Other => DevEvent::Ignored { reason: IgnoreReason::EventType(event_name.to_owned()) },
    };
    Ok(Incoming {
        forge: Forge::GitLab,
        event_name: event_name.to_owned(),
        delivery,
        hook_id: value(headers, names::GITLAB_WEBHOOK_UUID).map(str::to_owned),
        event,
    })
}

enum Kind {
    Push,
    TagPush,
    MergeRequest,
    Other,
}

fn system_hook_kind(body: &[u8]) -> Result<Kind, ForgeError> {
    let peek: json::SystemHook = from_json("System Hook", body)?;
    Ok(match peek.object_kind.or(peek.event_name).as_deref() {
        Some("push") => Kind::Push,
        Some("tag_push") => Kind::TagPush,
        Some("merge_request") => Kind::MergeRequest,
        _ => Kind::Other,
    })
}

fn push(p: json::PushHook) -> DevEvent {
    let branch = match branch_of(&p.r#ref) {
        Ok(branch) => branch.to_owned(),
        Err(reason) => return DevEvent::Ignored { reason },
    };
    let repo = repo(p.project);
    let commits: Vec<Commit> = p.commits.into_iter().map(commit).collect();
    let head_id = non_blank(p.checkout_sha).unwrap_or_else(|| p.after.clone());
    let head_commit = commits.iter().find(|c| c.id == head_id).cloned();
    // GitLab lists the newest 20 commits and counts them all.
    let total_commits = p.total_commits_count.unwrap_or(0).max(commits.len());
    DevEvent::Push(Push {
        is_default_branch: repo.default_branch.as_deref() == Some(branch.as_str()),
        repo,
        branch,
        created: is_zero_id(&p.before),
        deleted: is_zero_id(&p.after),
        forced: None,
        before: p.before,
        after: p.after,
        truncated: total_commits > commits.len(),
        commits,
        head_commit,
        total_commits,
    })
}

fn merge_request(hook: json::MergeRequestHook) -> DevEvent {
    let a = hook.object_attributes;
    let state = match a.state.as_str() {
        "merged" => PrState::Merged,
        "closed" => PrState::Declined,
        // `opened`, and `locked` while a merge is under way.
        _ => PrState::Open,
    };
    let action = match a.action.as_deref().unwrap_or_default() {
        "open" => PrAction::Opened,
        "reopen" => PrAction::Reopened,
        "close" => PrAction::Closed,
        "merge" => PrAction::Merged,
        // GitLab sends `oldrev` only when the update brought new commits.
        "update" if non_blank(a.oldrev).is_some() => PrAction::Synchronized,
        "update" => PrAction::Edited,
        other => PrAction::Other(other.to_owned()),
    };
    let actor = hook.user.and_then(|u| non_blank(u.username));
    let repo = repo(hook.project);
    let merged = state == PrState::Merged;
    let merged_into_default =
        merged && repo.default_branch.as_deref() == Some(a.target_branch.as_str());
    DevEvent::PullRequest(PullRequest {
        repo,
        number: a.iid,
        title: a.title,
        body: non_blank(a.description),
        state,
        author: if action == PrAction::Opened { actor.clone() } else { None },
        action,
        draft: a.draft.or(a.work_in_progress).unwrap_or(false),
        source_branch: a.source_branch,
        target_branch: a.target_branch,
        url: a.url,
        actor,
        head_sha: a.last_commit.and_then(|c| non_blank(Some(c.id))),
        merge_commit_sha: if merged { non_blank(a.merge_commit_sha) } else { None },
        merged_into_default,
        updated: non_blank(a.updated_at).map(timestamp),
    })
}

fn commit(c: json::Commit) -> Commit {
    let author = c.author.unwrap_or_default();
    // `title` is only the first line; older GitLab sends `message` alone.
    let message = c.message.or(c.title).unwrap_or_default();
    Commit {
        is_merge_generated: is_forge_merge_message(&message),
        id: c.id,
        message,
        url: c.url,
        author_name: author.name,
        author_email: non_blank(author.email).filter(|e| e != REDACTED_EMAIL),
        author_username: None,
        timestamp: timestamp(c.timestamp),
        files: FileChanges { added: c.added, modified: c.modified, removed: c.removed },
    }
}

fn repo(r: json::Project) -> Repo {
    Repo {
        forge: Forge::GitLab,
        full_name: r.path_with_namespace,
        web_url: r.web_url,
        default_branch: non_blank(r.default_branch),
        private: r.visibility_level != Some(VISIBILITY_PUBLIC),
    }
}

/// The payloads as the forge sends them; named as its documentation names them, since
/// serde's errors name them too.
mod json {
    use serde::Deserialize;

    use crate::wire::null_as_default;

    #[derive(Deserialize)]
    pub(super) struct SystemHook {
        pub(super) object_kind: Option<String>,
        pub(super) event_name: Option<String>,
    }

    #[derive(Deserialize)]
    pub(super) struct Ref {
        pub(super) r#ref: String,
    }

    #[derive(Deserialize)]
    pub(super) struct PushHook {
        pub(super) r#ref: String,
        pub(super) before: String,
        pub(super) after: String,
        pub(super) checkout_sha: Option<String>,
        pub(super) project: Project,
        #[serde(default, deserialize_with = "null_as_default")]
        pub(super) commits: Vec<Commit>,
        pub(super) total_commits_count: Option<usize>,
    }

    #[derive(Deserialize)]
    pub(super) struct Project {
        pub(super) path_with_namespace: String,
        pub(super) web_url: String,
        pub(super) default_branch: Option<String>,
        pub(super) visibility_level: Option<i64>,
    }

    #[derive(Deserialize)]
    pub(super) struct Commit {
        pub(super) id: String,
        pub(super) message: Option<String>,
        pub(super) title: Option<String>,
        #[serde(default, deserialize_with = "null_as_default")]
        pub(super) timestamp: String,
        pub(super) url: String,
        pub(super) author: Option<Author>,
        #[serde(default, deserialize_with = "null_as_default")]
        pub(super) added: Vec<String>,
        #[serde(default, deserialize_with = "null_as_default")]
        pub(super) modified: Vec<String>,
        #[serde(default, deserialize_with = "null_as_default")]
        pub(super) removed: Vec<String>,
    }

    #[derive(Deserialize, Default)]
    pub(super) struct Author {
        #[serde(default, deserialize_with = "null_as_default")]
        pub(super) name: String,
        pub(super) email: Option<String>,
    }

    #[derive(Deserialize)]
    pub(super) struct MergeRequestHook {
        pub(super) user: Option<User>,
        pub(super) project: Project,
        pub(super) object_attributes: MergeRequest,
    }

    #[derive(Deserialize)]
    pub(super) struct User {
        pub(super) username: Option<String>,
    }

    #[derive(Deserialize)]
    pub(super) struct MergeRequest {
        pub(super) iid: u64,
        #[serde(default, deserialize_with = "null_as_default")]
        pub(super) title: String,
        pub(super) description: Option<String>,
        pub(super) state: String,
        pub(super) action: Option<String>,
        pub(super) url: String,
        pub(super) source_branch: String,
        pub(super) target_branch: String,
        pub(super) merge_commit_sha: Option<String>,
        pub(super) last_commit: Option<LastCommit>,
        pub(super) oldrev: Option<String>,
        pub(super) draft: Option<bool>,
        pub(super) work_in_progress: Option<bool>,
        pub(super) updated_at: Option<String>,
    }

    #[derive(Deserialize)]
    pub(super) struct LastCommit {
        pub(super) id: String,
    }
}
