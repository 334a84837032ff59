//! Writing small git repositories with gix, without a `git` program: what `tether demo`
//! makes its sample repository with, and what the scan tests build their histories with.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Result, anyhow};
use gix::ObjectId;
use gix::objs::tree::{Entry, EntryKind};

/// A repository being written.
#[allow(missing_debug_implementations)]
pub struct Writer {
    repo: gix::Repository,
}

/// Who wrote a commit, and when (epoch seconds, UTC).
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub seconds: i64,
}

impl Writer {
    /// A new repository at `path` (with a work tree); HEAD names the default branch.
    pub fn init(path: &Path) -> Result<Writer> {
        let repo = gix::init(path)
            .map_err(|e| anyhow!("cannot make a git repository at {}: {e}", path.display()))?;
        Ok(Writer { repo })
    }

    /// The default branch's name (HEAD's).
    pub fn default_branch(&self) -> Result<String> {
        let head = self.repo.head_name().map_err(|e| anyhow!("cannot read HEAD: {e}"))?;
        Ok(head.map_or_else(|| "main".to_owned(), |n| n.shorten().to_string()))
    }

    /// A commit on `branch` (made, or moved from `parent`) whose tree holds `files` (names
    /// at the top level, with their contents). Returns its id.
    pub fn commit(
        &self,
        branch: &str,
        parents: &[ObjectId],
        files: &BTreeMap<String, String>,
        message: &str,
        who: Who<'_>,
    ) -> Result<ObjectId> {
        let mut entries = Vec::new();
        for (name, content) in files {
            let oid = self
                .repo
                .write_blob(content.as_bytes())
                .map_err(|e| anyhow!("cannot write a blob: {e}"))?;
            entries.push(Entry {
                mode: EntryKind::Blob.into(),
                filename: name.as_str().into(),
                oid: oid.detach(),
            });
        }
        entries.sort();
        let tree = self
            .repo
            .write_object(gix::objs::Tree { entries })
            .map_err(|e| anyhow!("cannot write a tree: {e}"))?
            .detach();
        let time = format!("{} +0000", who.seconds);
        let sig = gix::actor::SignatureRef {
            name: who.name.into(),
            email: who.email.into(),
            time: &time,
        };
        let id = self
            .repo
            .commit_as(
                sig,
                sig,
                format!("refs/heads/{branch}").as_str(),
                message,
                tree,
                parents.iter().copied(),
            )
            .map_err(|e| anyhow!("cannot commit on {branch}: {e}"))?;
        Ok(id.detach())
    }

    /// Moves `branch` to `to` whatever it pointed at (a force-push).
    #[cfg(test)]
    pub fn force_branch(&self, branch: &str, to: ObjectId) -> Result<()> {
        use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit};
        self.repo
            .edit_reference(RefEdit {
                change: Change::Update {
                    log: LogChange::default(),
                    expected: PreviousValue::Any,
                    new: gix::refs::Target::Object(to),
                },
                name: format!("refs/heads/{branch}")
                    .as_str()
                    .try_into()
                    .map_err(|e| anyhow!("bad branch name: {e}"))?,
                deref: false,
            })
            .map_err(|e| anyhow!("cannot move {branch}: {e}"))?;
        Ok(())
    }

    /// Deletes `branch`.
    #[cfg(test)]
    pub fn delete_branch(&self, branch: &str) -> Result<()> {
        let r = self
            .repo
            .find_reference(format!("refs/heads/{branch}").as_str())
            .map_err(|e| anyhow!("no branch {branch}: {e}"))?;
        r.delete().map_err(|e| anyhow!("cannot delete {branch}: {e}"))?;
        Ok(())
    }
}
