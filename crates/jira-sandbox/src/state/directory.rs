//! Users, projects (with their workflows' statuses), permissions, security levels and OAuth 1.0a
//! consumers, and the built-in issue types, resolutions and permission keys.

use sha2::{Digest, Sha256};

use super::{
    IssueType, Priority, Project, Resolution, SecurityLevel, State, Status, User, UserIdx,
};
use crate::ConfigError;
use crate::config::{PermissionDenial, ProjectSpec, ProjectType, StatusCategory, UserSpec};

fn derived_account_id(name: &str) -> String {
    // Shaped like a real accountId (24 hex digits) and stable across runs.
    let digest = Sha256::digest(format!("jira-sandbox-account:{name}").as_bytes());
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

fn well_known_status_id(name: &str) -> Option<u64> {
    match name {
        "To Do" => Some(10000),
        "In Progress" => Some(3),
        "Done" => Some(10001),
        _ => None,
    }
}

impl State {
    pub fn add_user(&mut self, spec: UserSpec) -> Result<UserIdx, ConfigError> {
        if self.user_by_name(&spec.name).is_some() {
            return Err(ConfigError::DuplicateUser(spec.name));
        }
        let account_id = spec.account_id.clone().unwrap_or_else(|| derived_account_id(&spec.name));
        // Jira 8 gives new users keys like JIRAUSER10000; before, the key was the lower-cased
        // name.
        let key = if self.dc_older_than((8, 0)) {
            spec.name.to_lowercase()
        } else {
            format!("JIRAUSER{}", 10000 + self.users.len())
        };
        self.users.push(User { spec, account_id, key, raw: None });
        Ok(self.users.len() - 1)
    }

    pub fn add_project(&mut self, spec: &ProjectSpec) -> Result<usize, ConfigError> {
        let key_ok = spec.key.len() >= 2
            && spec.key.starts_with(|c: char| c.is_ascii_uppercase())
            && spec.key.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            return Err(ConfigError::BadProjectKey(spec.key.clone()));
        }
        if self.project_by_key(&spec.key).is_some() {
            return Err(ConfigError::DuplicateProject(spec.key.clone()));
        }
        let lead = match &spec.lead {
            None => 0,
            Some(name) => {
                self.user_by_name(name).ok_or_else(|| ConfigError::UnknownUser(name.clone()))?
            }
        };
        let wf = &spec.workflow;
        if wf.statuses.is_empty() {
            return Err(ConfigError::EmptyWorkflow(spec.key.clone()));
        }
        for t in &wf.transitions {
            let names = t.from.iter().chain(std::iter::once(&t.to));
            for name in names {
                if !wf.statuses.iter().any(|s| &s.name == name) {
                    return Err(ConfigError::UnknownStatus {
                        project: spec.key.clone(),
                        status: name.clone(),
                    });
                }
            }
            for f in t.screen.iter().flatten() {
                if !crate::config::SCREEN_FIELDS.contains(&f.field.as_str()) {
                    return Err(ConfigError::UnknownScreenField {
                        transition: t.id.clone(),
                        field: f.field.clone(),
                    });
                }
            }
        }
        let mut status_ids = Vec::new();
        for s in &wf.statuses {
            status_ids.push(self.intern_status(&s.name, s.category));
        }
        let issue_types = match spec.project_type {
            ProjectType::Software => vec![0, 1, 2, 3, 4],
            ProjectType::Business => vec![1, 4],
            ProjectType::ServiceDesk => vec![5, 6, 4],
        };
        self.projects.push(Project {
            id: 10000 + self.projects.len() as u64,
            key: spec.key.clone(),
            name: spec.name.clone(),
            project_type: spec.project_type,
            lead,
            workflow: spec.workflow.clone(),
            status_ids,
            issue_types,
            next_number: 1,
        });
        Ok(self.projects.len() - 1)
    }

    /// Statuses are global in Jira: the same name is the same status in every workflow.
    pub(super) fn intern_status(&mut self, name: &str, category: StatusCategory) -> usize {
        if let Some(i) = self.statuses.iter().position(|s| s.name == name && s.category == category)
        {
            return i;
        }
        let used: Vec<u64> = self.statuses.iter().map(|s| s.id).collect();
        let id = well_known_status_id(name)
            .unwrap_or_else(|| (10002..).find(|id| !used.contains(id)).unwrap_or(u64::MAX));
        self.statuses.push(Status { id, name: name.to_owned(), category, raw: None });
        self.statuses.len() - 1
    }

    pub fn user_by_name(&self, name: &str) -> Option<UserIdx> {
        self.users.iter().position(|u| u.spec.name == name)
    }

    /// A user as a caller may name one: accountId, login name, user key or email.
    pub fn find_user(&self, s: &str) -> Option<UserIdx> {
        self.users.iter().position(|u| {
            u.account_id == s
                || u.spec.name == s
                || u.key == s
                || u.spec.email.eq_ignore_ascii_case(s)
        })
    }

    pub fn project_by_key(&self, key: &str) -> Option<usize> {
        self.projects.iter().position(|p| p.key.eq_ignore_ascii_case(key))
    }

    /// A project named by key or numeric id.
    pub fn find_project(&self, s: &str) -> Option<usize> {
        self.project_by_key(s).or_else(|| self.projects.iter().position(|p| p.id.to_string() == s))
    }

    pub fn deny(&mut self, d: &PermissionDenial) -> Result<(), ConfigError> {
        let user =
            self.user_by_name(&d.user).ok_or_else(|| ConfigError::UnknownUser(d.user.clone()))?;
        let project = match &d.project {
            None => None,
            Some(k) => {
                Some(self.project_by_key(k).ok_or_else(|| ConfigError::UnknownProject(k.clone()))?)
            }
        };
        if !PERMISSIONS.iter().any(|p| p.key == d.permission) {
            return Err(ConfigError::UnknownPermission(d.permission.clone()));
        }
        self.denials.push((user, project, d.permission.clone()));
        self.bump();
        Ok(())
    }

    /// Whether `user` holds `permission` in `project` (or globally when `None`).
    pub fn allowed(&self, user: UserIdx, project: Option<usize>, permission: &str) -> bool {
        !self
            .denials
            .iter()
            .any(|(u, p, perm)| *u == user && perm == permission && (p.is_none() || *p == project))
    }

    pub fn can_browse(&self, user: UserIdx, project: usize) -> bool {
        self.allowed(user, Some(project), "BROWSE_PROJECTS")
    }

    /// Whether `user` may see issue `idx`: browse its project and belong to its security
    /// level, if it has one.
    pub fn can_see(&self, user: UserIdx, idx: usize) -> bool {
        let issue = &self.issues[idx];
        self.can_browse(user, issue.project)
            && issue.security.is_none_or(|l| self.security_levels[l].members.contains(&user))
    }

    pub fn add_security_level(
        &mut self,
        spec: &crate::config::SecurityLevelSpec,
    ) -> Result<usize, ConfigError> {
        if self.security_levels.iter().any(|l| l.name.eq_ignore_ascii_case(&spec.name)) {
            return Err(ConfigError::DuplicateSecurityLevel(spec.name.clone()));
        }
        let members = spec
            .members
            .iter()
            .map(|m| self.user_by_name(m).ok_or_else(|| ConfigError::UnknownUser(m.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        self.security_levels.push(SecurityLevel {
            id: 10000 + self.security_levels.len() as u64,
            name: spec.name.clone(),
            description: spec.description.clone(),
            members,
        });
        self.bump();
        Ok(self.security_levels.len() - 1)
    }

    pub fn security_level_by_name(&self, name: &str) -> Option<usize> {
        self.security_levels
            .iter()
            .position(|l| l.name.eq_ignore_ascii_case(name) || l.id.to_string() == name)
    }

    pub fn add_oauth1_consumer(
        &mut self,
        spec: &crate::config::OAuth1ConsumerSpec,
    ) -> Result<(), ConfigError> {
        let consumer = crate::oauth1::Consumer::new(self, spec)?;
        self.oauth1_consumers.retain(|c| c.key != spec.consumer_key);
        self.oauth1_consumers.push(consumer);
        Ok(())
    }
}

pub(super) fn builtin_issue_types() -> Vec<IssueType> {
    let t = |id, name: &str, description: &str, subtask, hierarchy_level| IssueType {
        id,
        name: name.to_owned(),
        description: description.to_owned(),
        subtask,
        hierarchy_level,
        raw: None,
    };
    vec![
        t(10000, "Epic", "A big user story that needs to be broken down.", false, 1),
        t(10001, "Task", "A small, distinct piece of work.", false, 0),
        t(10002, "Story", "Functionality or a feature expressed as a user goal.", false, 0),
        t(10003, "Bug", "A problem or error.", false, 0),
        t(10004, "Sub-task", "A small piece of work that's part of a larger task.", true, -1),
        t(10005, "Service Request", "Requests for help or information.", false, 0),
        t(10006, "Incident", "A system outage or incident.", false, 0),
    ]
}

pub(super) fn builtin_resolutions() -> Vec<Resolution> {
    let r = |id, name: &str, description: &str| Resolution {
        id,
        name: name.to_owned(),
        description: description.to_owned(),
        raw: None,
    };
    vec![
        r(10000, "Done", "Work has been completed on this issue."),
        r(10001, "Won't Do", "This issue won't be actioned."),
        r(10002, "Duplicate", "The problem is a duplicate of an existing issue."),
        r(10003, "Cannot Reproduce", "All attempts at reproducing this issue failed."),
    ]
}

/// Jira's five default priorities; new issues get `Medium`.
pub(super) fn builtin_priorities() -> Vec<Priority> {
    let p = |id, name: &str, description: &str, color: &str| Priority {
        id,
        name: name.to_owned(),
        description: description.to_owned(),
        color: color.to_owned(),
        icon: format!("{}.svg", name.to_lowercase()),
        raw: None,
    };
    vec![
        p(1, "Highest", "This problem will block progress.", "#d04437"),
        p(2, "High", "Serious problem that could block progress.", "#f15c75"),
        p(3, "Medium", "Has the potential to affect progress.", "#f79232"),
        p(4, "Low", "Minor problem or easily worked around.", "#707070"),
        p(5, "Lowest", "Trivial problem with little or no impact on progress.", "#999999"),
    ]
}

impl State {
    /// The priority new issues get when none is given.
    pub fn default_priority(&self) -> Option<usize> {
        let medium = self.priorities.iter().position(|p| p.name == "Medium");
        medium.or_else(|| (!self.priorities.is_empty()).then_some(0))
    }

    pub fn priority_by_name_or_id(&self, s: &str) -> Option<usize> {
        self.priorities.iter().position(|p| p.name.eq_ignore_ascii_case(s) || p.id.to_string() == s)
    }
}

/// One of Jira's built-in permissions.
#[derive(Debug)]
pub(crate) struct Permission {
    pub id: u32,
    pub key: &'static str,
    pub name: &'static str,
    pub global: bool,
}

const fn perm(id: u32, key: &'static str, name: &'static str, global: bool) -> Permission {
    Permission { id, key, name, global }
}

pub(crate) const PERMISSIONS: &[Permission] = &[
    perm(0, "ADMINISTER", "Administer Jira", true),
    perm(44, "SYSTEM_ADMIN", "Jira System Administrator", true),
    perm(1, "USE", "Browse users and groups", true),
    perm(10, "BROWSE_PROJECTS", "Browse Projects", false),
    perm(11, "CREATE_ISSUES", "Create Issues", false),
    perm(12, "EDIT_ISSUES", "Edit Issues", false),
    perm(13, "ASSIGN_ISSUES", "Assign Issues", false),
    perm(14, "RESOLVE_ISSUES", "Resolve Issues", false),
    perm(15, "ADD_COMMENTS", "Add Comments", false),
    perm(16, "DELETE_ISSUES", "Delete Issues", false),
    perm(17, "ASSIGNABLE_USER", "Assignable User", false),
    perm(18, "CLOSE_ISSUES", "Close Issues", false),
    perm(21, "LINK_ISSUES", "Link Issues", false),
    perm(23, "ADMINISTER_PROJECTS", "Administer Projects", false),
    perm(28, "SCHEDULE_ISSUES", "Schedule Issues", false),
    perm(29, "VIEW_DEV_TOOLS", "View Development Tools", false),
    perm(34, "EDIT_ALL_COMMENTS", "Edit All Comments", false),
    perm(35, "EDIT_OWN_COMMENTS", "Edit Own Comments", false),
    perm(36, "DELETE_ALL_COMMENTS", "Delete All Comments", false),
    perm(37, "DELETE_OWN_COMMENTS", "Delete Own Comments", false),
    perm(40, "EDIT_OWN_WORKLOGS", "Edit Own Worklogs", false),
    perm(41, "EDIT_ALL_WORKLOGS", "Edit All Worklogs", false),
    perm(42, "DELETE_OWN_WORKLOGS", "Delete Own Worklogs", false),
    perm(43, "DELETE_ALL_WORKLOGS", "Delete All Worklogs", false),
    perm(31, "VIEW_VOTERS_AND_WATCHERS", "View Voters and Watchers", false),
    perm(46, "TRANSITION_ISSUES", "Transition Issues", false),
    perm(32, "MANAGE_WATCHERS", "Manage Watchers", false),
    perm(20, "WORK_ON_ISSUES", "Work On Issues", false),
];
