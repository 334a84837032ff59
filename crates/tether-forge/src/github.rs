//! GitHub's webhooks: the `push` and `pull_request` payloads read into tether's model
//! (fields as GitHub's "Webhook events and payloads" documents them; unknown ones ignored).

use std::borrow::Cow;

use crate::headers::{DeliveryId, DeliverySource, Headers, names, required, value};
use crate::wire::{branch_of, from_json, is_zero_id, non_blank, timestamp};
use crate::{
    Commit, DevEvent, FileChanges, Forge, ForgeError, IgnoreReason, Incoming, PrAction, PrState,
    PullRequest, Push, Repo, is_forge_merge_message,
};

/// GitHub lists at most this many commits in a push webhook; a push that reaches it may
/// have had more.
pub const GITHUB_MAX_PUSH_COMMITS: usize = 2048;

pub(crate) fn parse(
    headers: &(impl Headers + ?Sized),
    body: &[u8],
) -> Result<Incoming, ForgeError> {
    let event_name = required(headers, names::GITHUB_EVENT)?;
    let delivery =
        DeliveryId::from_header(headers, names::GITHUB_DELIVERY, DeliverySource::GitHubDelivery)?
            .ok_or(ForgeError::MissingHeader(names::GITHUB_DELIVERY))?;
    let event = match event_name {
        "push" => push(from_json("push", &json_body(headers, body)?)?),
        "pull_request" => pull_request(from_json("pull_request", &json_body(headers, body)?)?),
        other => DevEvent::Ignored { reason: IgnoreReason::EventType(other.to_owned()) },
    };
    Ok(Incoming {
        forge: Forge::GitHub,
        event_name: event_name.to_owned(),
        delivery,
        hook_id: value(headers, names::GITHUB_HOOK_ID).map(str::to_owned),
        event,
    })
}

/// The JSON of a delivery: the body itself, or its `payload` field when the webhook is set
/// to `application/x-www-form-urlencoded` (GitHub's other content type).
fn json_body<'b>(
    headers: &(impl Headers + ?Sized),
    body: &'b [u8],
) -> Result<Cow<'b, [u8]>, ForgeError> {
    let form = value(headers, names::CONTENT_TYPE).is_some_and(|ct| {
        let essence = ct.split(';').next().unwrap_or_default().trim();
        essence.eq_ignore_ascii_case("application/x-www-form-urlencoded")
    });
    if !form {
        return Ok(Cow::Borrowed(body));
    }
    form_urlencoded::parse(body)
        .find(|(key, _)| key == "payload")
        .map(|(_, json)| Cow::Owned(json.into_owned().into_bytes()))
        .ok_or_else(|| ForgeError::Malformed {
            detail: "a form-encoded delivery without a `payload` field".to_owned(),
        })
}

fn push(p: json::PushEvent) -> DevEvent {
    let branch = match branch_of(&p.r#ref) {
        Ok(branch) => branch.to_owned(),
        Err(reason) => return DevEvent::Ignored { reason },
    };
    let repo = repo(p.repository);
    let commits: Vec<Commit> = p.commits.into_iter().map(commit).collect();
    let total_commits = commits.len();
    DevEvent::Push(Push {
        is_default_branch: repo.default_branch.as_deref() == Some(branch.as_str()),
        repo,
        branch,
        created: p.created.unwrap_or_else(|| is_zero_id(&p.before)),
        deleted: p.deleted.unwrap_or_else(|| is_zero_id(&p.after)),
        forced: p.forced,
        before: p.before,
        after: p.after,
        commits,
        head_commit: p.head_commit.map(commit),
        total_commits,
        truncated: total_commits >= GITHUB_MAX_PUSH_COMMITS,
    })
}

fn pull_request(e: json::PullRequestEvent) -> DevEvent {
    let pr = e.pull_request;
    let merged = pr.merged.unwrap_or(pr.merged_at.is_some());
    let state = if merged {
        PrState::Merged
    } else if pr.state == "closed" {
        PrState::Declined
    } else {
        PrState::Open
    };
    let action = match e.action.as_str() {
        "opened" => PrAction::Opened,
        "edited" => PrAction::Edited,
        "synchronize" => PrAction::Synchronized,
        "reopened" => PrAction::Reopened,
        "closed" if merged => PrAction::Merged,
        "closed" => PrAction::Closed,
        other => PrAction::Other(other.to_owned()),
    };
    let repo = repo(e.repository);
    let merged_into_default =
        state == PrState::Merged && repo.default_branch.as_deref() == Some(pr.base.r#ref.as_str());
    DevEvent::PullRequest(PullRequest {
        repo,
        number: pr.number,
        title: pr.title,
        body: non_blank(pr.body),
        state,
        action,
        draft: pr.draft.unwrap_or(false),
        source_branch: pr.head.r#ref,
        target_branch: pr.base.r#ref,
        url: pr.html_url,
        author: pr.user.map(|u| u.login),
        actor: e.sender.map(|u| u.login),
        head_sha: non_blank(pr.head.sha),
        merge_commit_sha: if merged { non_blank(pr.merge_commit_sha) } else { None },
        merged_into_default,
        updated: non_blank(pr.updated_at).map(timestamp),
    })
}

fn commit(c: json::Commit) -> Commit {
    let author = c.author.unwrap_or_default();
    Commit {
        is_merge_generated: is_forge_merge_message(&c.message),
        id: c.id,
        message: c.message,
        url: c.url,
        author_name: author.name,
        author_email: non_blank(author.email),
        author_username: non_blank(author.username),
        timestamp: timestamp(c.timestamp),
        files: FileChanges { added: c.added, modified: c.modified, removed: c.removed },
    }
}

fn repo(r: json::Repository) -> Repo {
    // `private: false` with `visibility: "internal"` is an enterprise-internal repository.
    let public = match (r.private, r.visibility.as_deref()) {
        (Some(true), _) => false,
        (_, Some(visibility)) => visibility == "public",
        (Some(false), None) => true,
        (None, None) => false,
    };
    Repo {
        forge: Forge::GitHub,
        full_name: r.full_name,
        web_url: r.html_url,
        default_branch: non_blank(r.default_branch),
        private: !public,
    }
}

/// The payloads as the forge sends them; named as its documentation names them, since
/// serde's errors name them too.
mod json {
    use serde::Deserialize;

    use crate::wire::null_as_default;

    #[derive(Deserialize)]
    pub(super) struct PushEvent {
        pub(super) r#ref: String,
        pub(super) before: String,
        pub(super) after: String,
        pub(super) created: Option<bool>,
        pub(super) deleted: Option<bool>,
        pub(super) forced: Option<bool>,
        #[serde(default, deserialize_with = "null_as_default")]
        pub(super) commits: Vec<Commit>,
        pub(super) head_commit: Option<Commit>,
        pub(super) repository: Repository,
    }

    #[derive(Deserialize)]
    pub(super) struct Commit {
        pub(super) id: String,
        #[serde(default, deserialize_with = "null_as_default")]
        pub(super) message: String,
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
        pub(super) username: Option<String>,
    }

    #[derive(Deserialize)]
    pub(super) struct Repository {
        pub(super) full_name: String,
        pub(super) html_url: String,
        pub(super) default_branch: Option<String>,
        pub(super) private: Option<bool>,
        pub(super) visibility: Option<String>,
    }

    #[derive(Deserialize)]
    pub(super) struct PullRequestEvent {
        pub(super) action: String,
        pub(super) pull_request: PullRequest,
        pub(super) repository: Repository,
        pub(super) sender: Option<User>,
    }

    #[derive(Deserialize)]
    pub(super) struct PullRequest {
        pub(super) number: u64,
        #[serde(default, deserialize_with = "null_as_default")]
        pub(super) title: String,
        pub(super) body: Option<String>,
        pub(super) state: String,
        pub(super) merged: Option<bool>,
        pub(super) merged_at: Option<String>,
        pub(super) merge_commit_sha: Option<String>,
        pub(super) html_url: String,
        pub(super) head: Branch,
        pub(super) base: Branch,
        pub(super) user: Option<User>,
        pub(super) draft: Option<bool>,
        pub(super) updated_at: Option<String>,
    }

    #[derive(Deserialize)]
    pub(super) struct Branch {
        pub(super) r#ref: String,
        pub(super) sha: Option<String>,
    }

    #[derive(Deserialize)]
    pub(super) struct User {
        pub(super) login: String,
    }
}
