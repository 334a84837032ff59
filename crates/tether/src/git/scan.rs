//! Reading a local git repository with gix: what changed on each branch since the heads a
//! previous scan saw, as the pushes a forge would have sent.
//!
//! # Rules
//! - Branches are the local ones (`refs/heads/*`). The default branch is HEAD's, and is
//!   read first.
//! - Incremental: a branch's new commits are those reachable from its head and from no
//!   head seen before (every branch's, as last scanned, and those of branches already read
//!   in this scan), so a branch made from `main` brings only its own commits, and a rescan
//!   with nothing new reads no commit.
//! - A head that is not a descendant of the one seen before is a force-push (also when the
//!   old head is gone from the repository); a branch seen before and gone now is deleted.
//! - Only commits whose message mentions an issue (by the repository's matcher) are kept,
//!   with their changed paths (compared with the first parent's tree, at most
//!   [`MAX_PATHS`]); each branch's head commit is kept too, for the Development panel.
//!   Pushes of many commits are cut into pushes of at most [`COMMITS_PER_EVENT`].

use std::collections::BTreeMap;

use anyhow::{Context, Result, anyhow};
use gix::ObjectId;
use tether_forge::{Commit, FileChanges, Forge, Push, Repo, Timestamp, is_forge_merge_message};
use tether_refs::Matcher;

/// At most this many commits in one stored push.
pub const COMMITS_PER_EVENT: usize = 200;
/// Changed paths read per commit at most (the Development panel shows a count).
pub const MAX_PATHS: usize = 1000;

const ZERO: &str = "0000000000000000000000000000000000000000";

/// What a scan found.
#[derive(Debug, Default)]
pub struct Scanned {
    /// Every branch's head now.
    pub heads: BTreeMap<String, String>,
    /// What changed, as pushes, in branch order.
    pub pushes: Vec<Push>,
    /// Commits read (with or without keys).
    pub commits_read: usize,
}

/// The repository as the pushes describe it.
#[derive(Debug, Clone)]
pub struct RepoInfo {
    pub name: String,
    /// Its web page, or empty (tether's own page is used then).
    pub web_url: String,
}

/// Scans the repository at `path` against the heads `known` of the last scan.
pub fn scan(
    path: &str,
    known: &BTreeMap<String, String>,
    matcher: &Matcher,
    info: &RepoInfo,
) -> Result<Scanned> {
    let mut repo = gix::open(path)
        .with_context(|| format!("{path} is not a git repository tether can open"))?;
    repo.object_cache_size_if_unset(16 * 1024 * 1024);
    let default_branch = repo
        .head_name()
        .map_err(|e| anyhow!("cannot read HEAD: {e}"))?
        .map(|n| n.shorten().to_string());
    let mut heads: BTreeMap<String, ObjectId> = BTreeMap::new();
    let refs = repo.references().map_err(|e| anyhow!("cannot read the branches: {e}"))?;
    for r in refs.local_branches().map_err(|e| anyhow!("cannot read the branches: {e}"))? {
        let mut r = r.map_err(|e| anyhow!("cannot read a branch: {e}"))?;
        let name = r.name().shorten().to_string();
        let id = r.peel_to_id().map_err(|e| anyhow!("cannot resolve branch {name}: {e}"))?;
        heads.insert(name, id.detach());
    }
    let mut out = Scanned {
        heads: heads.iter().map(|(k, v)| (k.clone(), v.to_string())).collect(),
        ..Scanned::default()
    };
    let repo_model = Repo {
        forge: Forge::Local,
        full_name: info.name.clone(),
        web_url: info.web_url.clone(),
        default_branch: default_branch.clone(),
        private: true,
    };
    // What was seen: the old heads still in the repository.
    let mut seen: Vec<ObjectId> = known
        .values()
        .filter_map(|h| ObjectId::from_hex(h.as_bytes()).ok())
        .filter(|id| repo.has_object(id))
        .collect();
    // The default branch first: commits on it are its own (where closing words act), and
    // branches made from it bring only theirs.
    let mut order: Vec<(&String, &ObjectId)> = heads.iter().collect();
    order.sort_by_key(|(b, _)| default_branch.as_deref() != Some(b.as_str()));
    for (branch, head) in order {
        let before = known.get(branch);
        if before.map(String::as_str) == Some(head.to_string().as_str()) {
            continue;
        }
        let forced = match before.and_then(|b| ObjectId::from_hex(b.as_bytes()).ok()) {
            None => false,
            Some(old) if !repo.has_object(old) => true,
            Some(old) => match repo.merge_base(old, *head) {
                Ok(Some(base)) => base.detach() != old,
                _ => true,
            },
        };
        let walk = repo
            .rev_walk([*head])
            .with_hidden(seen.iter().copied())
            .all()
            .map_err(|e| anyhow!("cannot walk branch {branch}: {e}"))?;
        let mut commits = Vec::new();
        for step in walk {
            let step = step.map_err(|e| anyhow!("cannot walk branch {branch}: {e}"))?;
            out.commits_read += 1;
            let commit = repo
                .find_commit(step.id)
                .map_err(|e| anyhow!("cannot read commit {}: {e}", step.id))?;
            let message = commit.message_raw_sloppy().to_string();
            if matcher.find_iter(&message).next().is_none() {
                continue;
            }
            let url = commit_url(&info.web_url, &step.id);
            commits.push(read_commit(&repo, &commit, message, &url)?);
        }
        commits.reverse();
        let head_commit = {
            let c =
                repo.find_commit(*head).map_err(|e| anyhow!("cannot read commit {head}: {e}"))?;
            let message = c.message_raw_sloppy().to_string();
            read_commit(&repo, &c, message, &commit_url(&info.web_url, head))?
        };
        let before = before.cloned().unwrap_or_else(|| ZERO.to_owned());
        out.pushes.extend(pushes(
            &repo_model,
            branch,
            &before,
            head,
            forced,
            commits,
            head_commit,
            &default_branch,
        ));
        seen.push(*head);
    }
    for (branch, old) in known {
        if !heads.contains_key(branch) {
            out.pushes.push(Push {
                repo: repo_model.clone(),
                branch: branch.clone(),
                is_default_branch: default_branch.as_deref() == Some(branch.as_str()),
                before: old.clone(),
                after: ZERO.to_owned(),
                created: false,
                deleted: true,
                forced: Some(false),
                commits: vec![],
                head_commit: None,
                total_commits: 0,
                truncated: false,
            });
        }
    }
    Ok(out)
}

fn commit_url(web: &str, id: &ObjectId) -> String {
    if web.is_empty() {
        String::new()
    } else {
        format!("{}/commit/{id}", web.trim_end_matches('/'))
    }
}

/// The pushes of one branch's change: its commits cut into pushes of at most
/// [`COMMITS_PER_EVENT`], each going from the previous one's last commit.
#[allow(clippy::too_many_arguments)]
fn pushes(
    repo: &Repo,
    branch: &str,
    before: &str,
    head: &ObjectId,
    forced: bool,
    commits: Vec<Commit>,
    head_commit: Commit,
    default_branch: &Option<String>,
) -> Vec<Push> {
    let is_default_branch = default_branch.as_deref() == Some(branch);
    let chunks: Vec<Vec<Commit>> = if commits.is_empty() {
        vec![vec![]]
    } else {
        commits.chunks(COMMITS_PER_EVENT).map(<[Commit]>::to_vec).collect()
    };
    let last = chunks.len() - 1;
    let mut from = before.to_owned();
    let mut out = Vec::new();
    for (i, chunk) in chunks.into_iter().enumerate() {
        let to = if i == last {
            head.to_string()
        } else {
            chunk.last().map(|c| c.id.clone()).unwrap_or_default()
        };
        out.push(Push {
            repo: repo.clone(),
            branch: branch.to_owned(),
            is_default_branch,
            before: from.clone(),
            after: to.clone(),
            created: before == ZERO && i == 0,
            deleted: false,
            forced: Some(forced && i == 0),
            total_commits: chunk.len(),
            commits: chunk,
            head_commit: (i == last).then(|| head_commit.clone()),
            truncated: false,
        });
        from = to;
    }
    out
}

fn read_commit(
    repo: &gix::Repository,
    commit: &gix::Commit<'_>,
    message: String,
    url: &str,
) -> Result<Commit> {
    let author =
        commit.author().map_err(|e| anyhow!("cannot read the author of {}: {e}", commit.id))?;
    let seconds = author.time().map(|t| t.seconds).unwrap_or(0);
    let email = author.email.to_string();
    let mut files = FileChanges::default();
    let tree = commit
        .tree_id()
        .map_err(|e| anyhow!("cannot read the tree of {}: {e}", commit.id))?
        .detach();
    let parent_tree = match commit.parent_ids().next() {
        Some(p) => Some(
            repo.find_commit(p.detach())
                .and_then(|p| p.tree_id().map(|t| t.detach()))
                .map_err(|e| anyhow!("cannot read the parent of {}: {e}", commit.id))?,
        ),
        None => None,
    };
    let mut budget = MAX_PATHS;
    diff_trees(repo, parent_tree, Some(tree), "", &mut files, &mut budget)?;
    Ok(Commit {
        id: commit.id.to_string(),
        is_merge_generated: is_forge_merge_message(&message),
        message,
        url: url.to_owned(),
        author_name: author.name.to_string().trim().to_owned(),
        author_email: Some(email.trim().to_owned()).filter(|e| !e.is_empty()),
        author_username: None,
        timestamp: Timestamp {
            text: seconds.to_string(),
            epoch_ms: Some(seconds.saturating_mul(1000)),
        },
        files,
    })
}

/// The paths that differ between two trees (either may be absent), under `prefix`.
///
/// Both entry lists are walked side by side in name order (a merge, not a map: this runs
/// for every commit a scan keeps, and most entries are equal), and a path is only spelt
/// out for entries that differ.
pub(super) fn diff_trees(
    repo: &gix::Repository,
    old: Option<ObjectId>,
    new: Option<ObjectId>,
    prefix: &str,
    out: &mut FileChanges,
    budget: &mut usize,
) -> Result<()> {
    if old == new || *budget == 0 {
        return Ok(());
    }
    let read = |id: Option<ObjectId>| -> Result<Option<gix::Tree<'_>>> {
        id.map(|id| repo.find_tree(id).map_err(|e| anyhow!("cannot read tree {id}: {e}")))
            .transpose()
    };
    let (old_tree, new_tree) = (read(old)?, read(new)?);
    let before = tree_entries(old_tree.as_ref())?;
    let after = tree_entries(new_tree.as_ref())?;
    let (mut i, mut j) = (0, 0);
    while i < before.len() || j < after.len() {
        if *budget == 0 {
            return Ok(());
        }
        let order = match (before.get(i), after.get(j)) {
            (Some(a), Some(b)) => a.0.cmp(b.0),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        let (b, a) = match order {
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
                (Some(&before[i - 1]), Some(&after[j - 1]))
            }
            std::cmp::Ordering::Less => {
                i += 1;
                (Some(&before[i - 1]), None)
            }
            std::cmp::Ordering::Greater => {
                j += 1;
                (None, Some(&after[j - 1]))
            }
        };
        if let (Some(x), Some(y)) = (b, a)
            && x.1 == y.1
            && x.2 == y.2
        {
            continue;
        }
        let name = b.or(a).map(|e| String::from_utf8_lossy(e.0)).unwrap_or_default();
        let path = format!("{prefix}{name}");
        match (b.map(|e| (e.1, e.2)), a.map(|e| (e.1, e.2))) {
            (Some((true, x)), Some((true, y))) => {
                diff_trees(repo, Some(x), Some(y), &format!("{path}/"), out, budget)?
            }
            (Some((true, x)), other) => {
                diff_trees(repo, Some(x), None, &format!("{path}/"), out, budget)?;
                if let Some((false, _)) = other {
                    out.added.push(path);
                    *budget -= 1;
                }
            }
            (other, Some((true, y))) => {
                if let Some((false, _)) = other {
                    out.removed.push(path.clone());
                    *budget -= 1;
                }
                diff_trees(repo, None, Some(y), &format!("{path}/"), out, budget)?;
            }
            (Some((false, x)), Some((false, y))) if x != y => {
                out.modified.push(path);
                *budget -= 1;
            }
            (Some(_), Some(_)) => {}
            (Some(_), None) => {
                out.removed.push(path);
                *budget -= 1;
            }
            (None, Some(_)) => {
                out.added.push(path);
                *budget -= 1;
            }
            (None, None) => {}
        }
    }
    Ok(())
}

/// A tree's entries as (name, is a tree, id), in byte order of their names.
fn tree_entries<'t>(tree: Option<&'t gix::Tree<'_>>) -> Result<Vec<(&'t [u8], bool, ObjectId)>> {
    let Some(tree) = tree else { return Ok(Vec::new()) };
    let decoded = tree.decode().map_err(|e| anyhow!("cannot read tree {}: {e}", tree.id))?;
    let mut v: Vec<(&'t [u8], bool, ObjectId)> = decoded
        .entries
        .iter()
        .map(|e| (e.filename.as_ref(), e.mode.is_tree(), e.oid.to_owned()))
        .collect();
    // Git orders a tree's entries with directories as if their name ended in `/`; the
    // walk pairs names in plain byte order (nearly sorted already).
    v.sort_unstable_by(|a, b| a.0.cmp(b.0));
    Ok(v)
}
