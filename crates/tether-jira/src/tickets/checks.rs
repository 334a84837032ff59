//! The checks an ingestion connection passes before anything runs: a supported Jira (7.13 or
//! later), credentials that fit the deployment, and the permissions the service account needs
//! (access to Jira, Browse users and groups; Browse projects and Create issues in each project;
//! issue-level security where a project uses it). Every gap is a sentence saying what to change,
//! in the words of Jira's own settings.

use futures_util::future::join_all;

use super::wire::{IssueTypeInfo, TicketProject};
use crate::auth::Auth;
use crate::client::{Client, Options, Site};
use crate::connection::{ConnectionReport, Problem, test_connection};
use crate::error::Error;

/// Jira's key of the "Browse users and groups" global permission.
pub const BROWSE_USERS: &str = "USER_PICKER";

/// One thing missing, with what to do about it in [`Gap::message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gap {
    /// The site, version or credentials (see [`Problem`]).
    Connection(Problem),
    /// OAuth 1.0a: Jira does not know the consumer, or refused its signature.
    ApplicationLink { problem: String },
    /// The account sees no project at all: no product access, or no Browse projects anywhere.
    NoProjects,
    /// No "Browse users and groups" global permission.
    BrowseUsers,
    /// No project grants Create issues: a global gap, not a per-project one.
    CreateIssuesNowhere,
    /// One project does not grant Create issues (its type assignments cannot be read).
    CreateIssues { project: String, team_managed: bool },
    /// One project does not grant Browse projects.
    BrowseProjects { project: String, team_managed: bool },
}

impl Gap {
    /// A sentence a person can act on.
    pub fn message(&self) -> String {
        match self {
            Gap::Connection(p) => p.message(),
            Gap::ApplicationLink { problem } => format!(
                "Jira refused the application link's signature ({problem}). In Jira, Administration \
                 → Applications → Application links: the link to tether must be a Generic \
                 Application whose fields are all left blank except Application Name, with \"Create \
                 incoming link\" checked; on the incoming link, paste the Consumer Key, Consumer \
                 Name and Public Key exactly as tether shows them, then authorise again."
            ),
            Gap::NoProjects => "The account sees no Jira project. Give it access to Jira (a Jira \
                 Software or Jira Work Management licence, \"Permission to access Jira\") and the \
                 Browse projects permission in the projects to import."
                .to_owned(),
            Gap::BrowseUsers => "The account lacks the \"Browse users and groups\" global \
                 permission, so people's names and emails cannot be read. Grant it in Jira \
                 administration → System → Global permissions."
                .to_owned(),
            Gap::CreateIssuesNowhere => "The account has the \"Create issues\" permission in no \
                 project, so no project's ticket type assignments can be read and tickets may be \
                 categorised wrongly. This is most likely missing globally: add the account to a \
                 group or project role that holds Create issues in your permission schemes."
                .to_owned(),
            Gap::CreateIssues { project, team_managed: true } => format!(
                "Project {project} is team-managed and the account lacks \"Create issues\" there, \
                 so its ticket type assignments cannot be read. Add the account to the project as \
                 a Member or Administrator (Project settings → Access)."
            ),
            Gap::CreateIssues { project, team_managed: false } => format!(
                "The account lacks \"Create issues\" in project {project}, so its ticket type \
                 assignments cannot be read. In Project settings → Permissions, make the account \
                 a member of a group or project role holding Create issues."
            ),
            Gap::BrowseProjects { project, team_managed: true } => format!(
                "Project {project} is team-managed and the account cannot browse it. Add the \
                 account to the project as a Member or Administrator (Project settings → Access)."
            ),
            Gap::BrowseProjects { project, team_managed: false } => format!(
                "The account lacks \"Browse projects\" in project {project}, so none of its \
                 tickets can be read. Grant it in Project settings → Permissions."
            ),
        }
    }

    /// Whether nothing can be ingested until it is fixed.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Gap::Connection(_) | Gap::ApplicationLink { .. } | Gap::NoProjects)
    }
}

/// What one project grants the account.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProjectAccess {
    pub project: TicketProject,
    pub browse: bool,
    pub create: bool,
    /// The issue types the account may create there (what type assignments are read from);
    /// `None` without Create issues.
    pub creatable_types: Option<Vec<IssueTypeInfo>>,
    /// Issue security levels the project uses that the account may set, when Jira shows them.
    pub security_levels: Option<Vec<String>>,
}

/// The findings: the connection test, global permissions, and each project.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IngestionCheck {
    pub connection: ConnectionReport,
    /// `None` when it could not be asked.
    pub browse_users: Option<bool>,
    /// Whether the account may register webhooks (Administer Jira).
    pub administer: bool,
    pub projects: Vec<ProjectAccess>,
    pub gaps: Vec<Gap>,
    /// Things worth knowing that stop nothing (issue security in use, what was not checked).
    pub notes: Vec<String>,
}

impl IngestionCheck {
    /// Whether ingestion may run (per-project gaps only limit those projects).
    pub fn can_run(&self) -> bool {
        self.connection.account.is_some() && !self.gaps.iter().any(Gap::is_fatal)
    }

    pub fn messages(&self) -> Vec<String> {
        self.gaps.iter().map(Gap::message).collect()
    }

    /// The account's time zone (from `myself`), when Jira shows it.
    pub fn time_zone(&self) -> Option<&str> {
        self.connection.account.as_ref()?.time_zone.as_deref().filter(|z| !z.is_empty())
    }
}

/// Checks an ingestion connection. Never fails: everything wrong is a [`Gap`].
pub async fn check_ingestion(site: &Site, options: &Options) -> IngestionCheck {
    let mut out = IngestionCheck {
        connection: test_connection(site, options, &[], &[]).await,
        ..IngestionCheck::default()
    };
    let oauth1 = matches!(site.auth, Auth::OAuth1 { .. });
    for p in &out.connection.problems {
        let gap = match p {
            Problem::CredentialsRejected { .. } if oauth1 => {
                Gap::ApplicationLink { problem: "signature or token refused".into() }
            }
            other => Gap::Connection(other.clone()),
        };
        out.gaps.push(gap);
    }
    let (Some(deployment), Some(_)) = (out.connection.deployment.clone(), &out.connection.account)
    else {
        return out;
    };
    let site = Site { auth: site.auth.trimmed(), ..site.clone() };
    let client = match Client::with_deployment(site, options.clone(), deployment, None) {
        Ok(c) => c,
        Err(e) => {
            out.gaps.push(Gap::Connection(Problem::Other { detail: e.to_string() }));
            return out;
        }
    };
    // Asked one at a time: a Jira that does not know one key refuses the whole request.
    let global = |key: &'static str| {
        let client = client.clone();
        async move {
            client
                .my_permissions(None, &[key])
                .await
                .map(|grants| grants.iter().any(|g| g.key == key && g.have_permission))
        }
    };
    match global(BROWSE_USERS).await {
        Ok(has) => out.browse_users = Some(has),
        Err(Error::BadRequest { messages, .. }) => out.notes.push(format!(
            "Could not check \"Browse users and groups\": Jira did not take the permission key \
             {BROWSE_USERS} ({}).",
            messages.join("; ")
        )),
        Err(e) if e.is_transient() => return incomplete(out, &e),
        Err(e) => out.notes.push(format!("Could not read the global permissions: {e}.")),
    }
    out.administer = match global("ADMINISTER").await {
        Ok(has) => has,
        Err(e) if e.is_transient() => return incomplete(out, &e),
        Err(_) => false,
    };
    if out.browse_users == Some(false) {
        out.gaps.push(Gap::BrowseUsers);
    }
    let projects = match client.ticket_projects().await {
        Ok(p) => p,
        Err(e) if e.is_transient() => return incomplete(out, &e),
        Err(e) => {
            out.gaps.push(Gap::Connection(Problem::Other {
                detail: format!("Could not list the projects: {e}"),
            }));
            return out;
        }
    };
    if projects.is_empty() {
        out.gaps.push(Gap::NoProjects);
        return out;
    }
    let access = join_all(projects.into_iter().map(|p| project_access(&client, p))).await;
    match access.into_iter().collect::<Result<Vec<_>, Error>>() {
        Ok(projects) => out.projects = projects,
        Err(e) => return incomplete(out, &e),
    }
    let creatable = out.projects.iter().filter(|p| p.browse).collect::<Vec<_>>();
    if !creatable.is_empty() && creatable.iter().all(|p| !p.create) {
        out.gaps.push(Gap::CreateIssuesNowhere);
    }
    for p in &out.projects {
        let project = p.project.key.clone();
        let team_managed = p.project.team_managed();
        if !p.browse {
            out.gaps.push(Gap::BrowseProjects { project, team_managed });
        } else if !p.create && !out.gaps.contains(&Gap::CreateIssuesNowhere) {
            out.gaps.push(Gap::CreateIssues { project, team_managed });
        }
        if let Some(levels) = p.security_levels.as_ref().filter(|l| !l.is_empty()) {
            out.notes.push(format!(
                "Project {} uses issue-level security ({}): tether sees only the issues whose \
                 level includes the account. Add it to every level whose tickets you want.",
                p.project.key,
                levels.join(", ")
            ));
        }
    }
    out
}

/// A permanent refusal as `None`; a failure to answer kept as the error.
fn transient<T>(r: Result<T, Error>) -> Result<Option<T>, Error> {
    match r {
        Err(e) if e.is_transient() => Err(e),
        other => Ok(other.ok()),
    }
}

/// A check Jira failed to answer (a 5xx, a 429, no answer): nothing it found is kept, since
/// a permission that could not be read would be recorded as missing; the checks run again.
fn incomplete(mut out: IngestionCheck, e: &Error) -> IngestionCheck {
    out.projects.clear();
    out.gaps.push(Gap::Connection(Problem::Other {
        detail: format!(
            "Jira failed while the checks ran ({e}), so they are incomplete and nothing they              found was recorded; they run again shortly."
        ),
    }));
    out
}

/// What one project grants; an error only when Jira failed to answer (see [`incomplete`]): a
/// permanent refusal is an answer (the permission or the endpoint is missing).
async fn project_access(client: &Client, project: TicketProject) -> Result<ProjectAccess, Error> {
    let grants = transient(
        client.my_permissions(Some(&project.key), &["BROWSE_PROJECTS", "CREATE_ISSUES"]).await,
    )?
    .unwrap_or_default();
    let has = |k: &str| grants.iter().any(|g| g.key == k && g.have_permission);
    let (browse, create) = (has("BROWSE_PROJECTS"), has("CREATE_ISSUES"));
    let creatable_types = if create {
        transient(client.creatable_issue_types(&project.id).await)?.flatten()
    } else {
        None
    };
    let security_levels = transient(client.project_security_levels(&project.id).await)?
        .flatten()
        .map(|l| l.into_iter().map(|x| x.name).collect());
    Ok(ProjectAccess { project, browse, create, creatable_types, security_levels })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_gap_says_what_to_change() {
        let cases: Vec<(Gap, &str, bool)> = vec![
            (Gap::NoProjects, "Permission to access Jira", true),
            (Gap::BrowseUsers, "Browse users and groups", false),
            (Gap::CreateIssuesNowhere, "missing globally", false),
            (
                Gap::CreateIssues { project: "WEB".into(), team_managed: true },
                "Member or Administrator",
                false,
            ),
            (
                Gap::CreateIssues { project: "WEB".into(), team_managed: false },
                "project role",
                false,
            ),
            (
                Gap::BrowseProjects { project: "OPS".into(), team_managed: false },
                "Browse projects",
                false,
            ),
            (
                Gap::ApplicationLink { problem: "oauth_problem=consumer_key_unknown".into() },
                "left blank except Application Name",
                true,
            ),
            (
                Gap::Connection(Problem::SurroundingWhitespace { what: "API token" }),
                "spaces or line breaks",
                true,
            ),
        ];
        for (gap, says, fatal) in cases {
            assert!(gap.message().contains(says), "{gap:?}: {}", gap.message());
            assert_eq!(gap.is_fatal(), fatal, "{gap:?}");
        }
    }
}
