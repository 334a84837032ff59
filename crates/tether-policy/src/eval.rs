//! Evaluation: principals (members and tokens bounded by their creator) and explained decisions.

use std::fmt;

use crate::action::{Action, ResourceKind};
use crate::policy::{Role, RoleVerdict, Statement};
use crate::resource::{Named, Resource};

/// Who makes a request: a member, or a token bounded by the principal that created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    name: String,
    roles: Vec<Role>,
    creator: Option<Box<Principal>>,
}

impl Principal {
    /// A member (a person): access is what its roles allow.
    pub fn member(name: impl Into<String>, roles: Vec<Role>) -> Principal {
        Principal { name: name.into(), roles, creator: None }
    }

    /// A token: access is what its roles allow *and* its creator may do, so a token never
    /// exceeds its creator (and a token created by a token never exceeds either). This is
    /// why creating a token needs no check of the roles given to it.
    pub fn token(name: impl Into<String>, roles: Vec<Role>, creator: Principal) -> Principal {
        Principal { name: name.into(), roles, creator: Some(Box::new(creator)) }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    pub fn creator(&self) -> Option<&Principal> {
        self.creator.as_deref()
    }

    /// The member at the root of the creator chain: the owner of any token this principal
    /// creates, and who `member/$self` stands for.
    pub fn owner(&self) -> &str {
        self.chain().last().map_or(self.name.as_str(), |p| p.name.as_str())
    }

    /// Decides whether this principal may perform `action` on `resource`.
    pub fn evaluate(&self, action: Action, resource: &Resource) -> Decision {
        let deny = |reason| Decision::Deny { action, resource: resource.clone(), reason };
        if action.kind() != resource.kind() {
            return deny(DenyReason::WrongResourceKind {
                expected: action.kind(),
                found: resource.kind(),
            });
        }
        let me = self.owner();
        // Iterative, not recursive: a long chain of tokens cannot exhaust the stack.
        for (depth, principal) in self.chain().enumerate() {
            if let Some(reason) = principal.refusal(action, resource, me, depth > 0) {
                return deny(reason);
            }
        }
        Decision::Allow
    }

    /// Shorthand for `evaluate(..).is_allowed()`.
    pub fn can(&self, action: Action, resource: &Resource) -> bool {
        self.evaluate(action, resource).is_allowed()
    }

    /// This principal, then its creator, then that one's creator, …
    fn chain(&self) -> impl Iterator<Item = &Principal> {
        std::iter::successors(Some(self), |p| p.creator.as_deref())
    }

    /// Union over roles: `None` when some role allows; otherwise the first explicit deny,
    /// or "nothing matched".
    fn refusal(
        &self,
        action: Action,
        resource: &Resource,
        me: &str,
        is_creator: bool,
    ) -> Option<DenyReason> {
        let mut first_deny = None;
        for role in &self.roles {
            match role.verdict(action, resource, me) {
                RoleVerdict::Allow => return None,
                RoleVerdict::Deny(index) => {
                    first_deny.get_or_insert((role, index));
                }
                RoleVerdict::NoMatch => {}
            }
        }
        let principal = self.name.clone();
        Some(
            match first_deny
                .and_then(|(role, index)| Some((role, index, role.statements.get(index)?)))
            {
                Some((role, index, statement)) => DenyReason::ExplicitDeny {
                    principal,
                    is_creator,
                    role: role.name.clone(),
                    statement_index: index,
                    statement: statement.clone(),
                },
                None => DenyReason::NoStatementMatched { principal, is_creator },
            },
        )
    }
}

/// The answer to "may this principal do this?", with the why when it may not.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one decision per request, never stored in bulk; a Box would only make matching clumsier"
)]
pub enum Decision {
    Allow,
    /// Carries what was asked, so a 403 can say which action on which resource was denied.
    Deny {
        action: Action,
        resource: Resource,
        reason: DenyReason,
    },
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Allow => f.write_str("allowed"),
            Decision::Deny { action, resource, reason } => {
                write!(f, "`{action}` on `{resource}` denied: {reason}")
            }
        }
    }
}

/// Why a request was denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DenyReason {
    /// The caller passed a resource of another kind than the action works on: a bug in
    /// the caller, reported rather than guessed around.
    WrongResourceKind { expected: ResourceKind, found: ResourceKind },
    /// No role of `principal` allows it and one of them explicitly denies it: the first
    /// such statement (`statement_index` is 0-based). `is_creator` is true when `principal`
    /// is the creator of the requesting token (or further up), not the requester itself.
    ExplicitDeny {
        principal: String,
        is_creator: bool,
        role: String,
        statement_index: usize,
        statement: Statement,
    },
    /// No statement of any role of `principal` allows it.
    NoStatementMatched { principal: String, is_creator: bool },
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whose = |f: &mut fmt::Formatter<'_>, principal: &str, is_creator: bool| {
            if is_creator {
                write!(f, "`{principal}` (which created the token)")
            } else {
                write!(f, "`{principal}`")
            }
        };
        match self {
            DenyReason::WrongResourceKind { expected, found } => {
                write!(f, "the action applies to a {expected}, not a {found}")
            }
            DenyReason::ExplicitDeny {
                principal,
                is_creator,
                role,
                statement_index,
                statement,
            } => {
                write!(
                    f,
                    "explicitly denied by statement {} of role `{role}` of ",
                    statement_index + 1
                )?;
                whose(f, principal, *is_creator)?;
                write!(f, ": `{statement}`")
            }
            DenyReason::NoStatementMatched { principal, is_creator } => {
                f.write_str("no statement in the roles of ")?;
                whose(f, principal, *is_creator)?;
                f.write_str(" allows it")
            }
        }
    }
}

/// The project view permission: may `principal` see `project` (and so its environments,
/// flags and segments)? Other permissions on a project do not imply seeing it.
pub fn can_view_project(principal: &Principal, project: &Named) -> bool {
    principal.can(Action::ViewProject, &Resource::Project(project.clone()))
}

/// Keeps the projects `principal` may see, in order: the filter for project listings.
pub fn visible_projects<'a, I>(principal: &Principal, projects: I) -> Vec<&'a Named>
where
    I: IntoIterator<Item = &'a Named>,
{
    projects.into_iter().filter(|project| can_view_project(principal, project)).collect()
}

/// Every action `principal` may perform on `resource`, in catalogue order: for a UI to
/// show only the buttons that will work.
pub fn allowed_actions(principal: &Principal, resource: &Resource) -> Vec<Action> {
    Action::all()
        .filter(|&action| action.kind() == resource.kind() && principal.can(action, resource))
        .collect()
}
