//! The stored form of what a scan of a local repository found on one branch: tether's own
//! JSON (no forge sends it), written by [`write`] and read back by [`read`] into the same
//! `tether_forge::Push` a webhook gives, so the worker treats both alike.

use serde::{Deserialize, Serialize};
use tether_forge::{Commit, FileChanges, Forge, Push, Repo, Timestamp};

#[derive(Serialize, Deserialize)]
struct ScanPush {
    repository: String,
    web_url: String,
    default_branch: Option<String>,
    branch: String,
    before: String,
    after: String,
    created: bool,
    deleted: bool,
    forced: bool,
    commits: Vec<ScanCommit>,
    head: Option<ScanCommit>,
}

#[derive(Serialize, Deserialize)]
struct ScanCommit {
    id: String,
    message: String,
    url: String,
    author_name: String,
    author_email: Option<String>,
    timestamp_ms: Option<i64>,
    timestamp: String,
    #[serde(default)]
    added: Vec<String>,
    #[serde(default)]
    modified: Vec<String>,
    #[serde(default)]
    removed: Vec<String>,
    merge_generated: bool,
}

/// The stored JSON of a scanned push.
pub fn write(push: &Push) -> Vec<u8> {
    let scan = ScanPush {
        repository: push.repo.full_name.clone(),
        web_url: push.repo.web_url.clone(),
        default_branch: push.repo.default_branch.clone(),
        branch: push.branch.clone(),
        before: push.before.clone(),
        after: push.after.clone(),
        created: push.created,
        deleted: push.deleted,
        forced: push.forced.unwrap_or(false),
        commits: push.commits.iter().map(commit_row).collect(),
        head: push.head_commit.as_ref().map(commit_row),
    };
    serde_json::to_vec(&scan).expect("a scan serialises")
}

/// A scanned push read back.
pub fn read(body: &[u8]) -> Result<Push, String> {
    let scan: ScanPush =
        serde_json::from_slice(body).map_err(|e| format!("a stored scan does not read: {e}"))?;
    let is_default_branch = scan.default_branch.as_deref() == Some(scan.branch.as_str());
    let total = scan.commits.len();
    Ok(Push {
        repo: Repo {
            forge: Forge::Local,
            full_name: scan.repository,
            web_url: scan.web_url,
            default_branch: scan.default_branch,
            // A local clone says nothing of who may read it: link-only mode errs on the side
            // of private.
            private: true,
        },
        branch: scan.branch,
        is_default_branch,
        before: scan.before,
        after: scan.after,
        created: scan.created,
        deleted: scan.deleted,
        forced: Some(scan.forced),
        commits: scan.commits.into_iter().map(commit).collect(),
        head_commit: scan.head.map(commit),
        total_commits: total,
        truncated: false,
    })
}

fn commit_row(c: &Commit) -> ScanCommit {
    ScanCommit {
        id: c.id.clone(),
        message: c.message.clone(),
        url: c.url.clone(),
        author_name: c.author_name.clone(),
        author_email: c.author_email.clone(),
        timestamp_ms: c.timestamp.epoch_ms,
        timestamp: c.timestamp.text.clone(),
        added: c.files.added.clone(),
        modified: c.files.modified.clone(),
        removed: c.files.removed.clone(),
        merge_generated: c.is_merge_generated,
    }
}

fn commit(c: ScanCommit) -> Commit {
    Commit {
        id: c.id,
        message: c.message,
        url: c.url,
        author_name: c.author_name,
        author_email: c.author_email,
        author_username: None,
        timestamp: Timestamp { text: c.timestamp, epoch_ms: c.timestamp_ms },
        files: FileChanges { added: c.added, modified: c.modified, removed: c.removed },
        is_merge_generated: c.merge_generated,
    }
}
