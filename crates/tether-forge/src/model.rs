//! tether's own, forge-neutral dev events: what a push or a pull/merge request means to
//! tether, whichever forge sent it. Nothing here knows a forge's JSON.

use std::fmt;

/// Where tether's dev events come from: the forges whose webhooks it reads, and local
/// clones it scans (which send no webhooks: [`crate::parse`] and [`crate::verify`] refuse
/// them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Forge {
    GitHub,
    GitLab,
    Local,
}

impl fmt::Display for Forge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Forge::GitHub => "GitHub",
            Forge::GitLab => "GitLab",
            Forge::Local => "git",
        })
    }
}

/// What one webhook delivery means to tether.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevEvent {
    /// Commits pushed to a branch, or a branch created or deleted.
    Push(Push),
    /// A pull request (GitHub) or merge request (GitLab) opened, changed, merged or closed.
    PullRequest(PullRequest),
    /// A delivery tether does not use; the server answers 202 and stores nothing.
    Ignored { reason: IgnoreReason },
}

/// Why a delivery was [`DevEvent::Ignored`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IgnoreReason {
    /// An event type tether does not use (`ping`, `issues`, `Pipeline Hook`, …), as named
    /// by the forge's event header.
    EventType(String),
    /// A tag was pushed or deleted: tags are not branches, and their commits arrive with the
    /// branch pushes that carried them.
    Tag(String),
    /// A ref that is neither a branch nor a tag (`refs/notes/…`, `refs/pull/…`).
    NotABranch(String),
}

impl fmt::Display for IgnoreReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IgnoreReason::EventType(name) => write!(f, "tether does not use `{name}` events"),
            IgnoreReason::Tag(name) => write!(f, "`{name}` is a tag, not a branch"),
            IgnoreReason::NotABranch(name) => write!(f, "`{name}` is not a branch"),
        }
    }
}

/// The repository an event happened in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    pub forge: Forge,
    /// `owner/name` on GitHub, `group/subgroup/project` on GitLab.
    pub full_name: String,
    /// The repository's page, for links people click.
    pub web_url: String,
    /// `None` when the forge did not say (GitLab leaves it out for an empty project).
    pub default_branch: Option<String>,
    /// Not readable by everyone: GitHub's private and internal repositories, GitLab's
    /// private and internal projects. Unknown counts as private, so link-only mode errs on
    /// the side of never copying text into Jira.
    pub private: bool,
}

/// A push to one branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    pub repo: Repo,
    /// The branch name without `refs/heads/`.
    pub branch: String,
    /// The push went to the repository's default branch (where closing words close issues).
    pub is_default_branch: bool,
    /// The branch's commit before the push; all zeros when the push created it.
    pub before: String,
    /// The branch's commit after the push; all zeros when the push deleted it.
    pub after: String,
    pub created: bool,
    pub deleted: bool,
    /// Whether the push rewrote history. `None` when the forge does not say: GitLab's push
    /// events carry no such flag.
    pub forced: Option<bool>,
    /// The pushed commits as the forge listed them, oldest first; possibly fewer than
    /// [`Push::total_commits`].
    pub commits: Vec<Commit>,
    /// The commit the branch points at after the push, when the forge described it (GitHub's
    /// `head_commit`; on GitLab the listed commit whose id is the new head, if listed). A
    /// branch created without new commits has it while `commits` is empty.
    pub head_commit: Option<Commit>,
    /// How many commits the push brought. GitLab counts them all (`total_commits_count`);
    /// GitHub gives no count, so it is the number listed.
    pub total_commits: usize,
    /// `commits` may not hold every pushed commit: GitLab lists at most 20 and says how
    /// many there were; GitHub lists at most 2,048 and a push that reaches the cap may have
    /// had more. The rest come from a local clone, or the event says they are missing.
    pub truncated: bool,
}

/// One commit as a forge described it in a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub id: String,
    /// The whole message (subject and body).
    pub message: String,
    /// The commit's page on the forge.
    pub url: String,
    pub author_name: String,
    /// `None` when the forge withholds it (GitHub's `null`, GitLab's `[REDACTED]` for an
    /// author without a public email) or sends an empty one.
    pub author_email: Option<String>,
    /// The author's forge login, when the forge matched one (GitHub only).
    pub author_username: Option<String>,
    pub timestamp: Timestamp,
    pub files: FileChanges,
    /// A merge commit the forge itself wrote when a pull/merge request was merged ("Merge
    /// pull request #N from …", or GitLab's "Merge branch 'x' into 'y'" ending "See merge
    /// request …"). Its message repeats the request's title and description, so its closing
    /// words must not act a second time.
    pub is_merge_generated: bool,
}

/// The paths a commit added, modified and removed, as the forge listed them. Forges may
/// leave these empty for very large commits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileChanges {
    pub added: Vec<String>,
    pub modified: Vec<String>,
    pub removed: Vec<String>,
}

impl FileChanges {
    /// Every path listed, for the file count the Development panel shows.
    pub fn count(&self) -> usize {
        self.added.len() + self.modified.len() + self.removed.len()
    }
}

/// A moment as the forge wrote it, with its reading in epoch milliseconds when it is one
/// of the forges' formats (RFC 3339, or GitLab's `2017-09-15 16:52:00 UTC`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    pub text: String,
    pub epoch_ms: Option<i64>,
}

/// A pull request (GitHub) or merge request (GitLab).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub repo: Repo,
    /// GitHub's PR number or GitLab's MR iid: the number people see.
    pub number: u64,
    pub title: String,
    /// The description; `None` when there is none (GitHub's `null`, GitLab's `""`).
    pub body: Option<String>,
    pub state: PrState,
    pub action: PrAction,
    pub draft: bool,
    pub source_branch: String,
    pub target_branch: String,
    /// The request's page on the forge.
    pub url: String,
    /// Who opened the request. GitLab only names the user who acted, so there it is known
    /// when the action is [`PrAction::Opened`] and `None` otherwise.
    pub author: Option<String>,
    /// Who did what this event reports (GitHub's `sender`, GitLab's `user`).
    pub actor: Option<String>,
    /// The newest commit of the source branch.
    pub head_sha: Option<String>,
    /// The commit that brought the request into its target branch; only for merged
    /// requests (GitHub fills the field with a test merge while a PR is open).
    pub merge_commit_sha: Option<String>,
    /// The request is merged (in this event or before it) into the repository's default
    /// branch, where its closing words apply.
    pub merged_into_default: bool,
    /// When the request last changed, if the forge said.
    pub updated: Option<Timestamp>,
}

/// Where a request stands, in the Development Information API's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrState {
    Open,
    Merged,
    /// Closed without being merged.
    Declined,
}

/// What happened to a request in this event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrAction {
    Opened,
    /// Title, description or target changed (GitHub `edited`; GitLab `update` without new
    /// commits).
    Edited,
    /// New commits on the source branch (GitHub `synchronize`; GitLab `update` with
    /// `oldrev`).
    Synchronized,
    /// Closed without merging.
    Closed,
    Merged,
    Reopened,
    /// Anything else, as the forge named it (`labeled`, `assigned`, `approved`, …).
    Other(String),
}
