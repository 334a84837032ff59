//! The catalogue of actions (as data, for docs) and action patterns such as `update*`.

use std::fmt;

use crate::error::{ParseError, ParseErrorKind};
use crate::glob::Glob;

/// The kind of resource an action is performed on. Each action applies to exactly one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    Project,
    Environment,
    Flag,
    Segment,
    Webhook,
    Integration,
    Token,
    Role,
}

impl ResourceKind {
    /// Every kind, in catalogue order.
    pub const ALL: [ResourceKind; 8] = [
        ResourceKind::Project,
        ResourceKind::Environment,
        ResourceKind::Flag,
        ResourceKind::Segment,
        ResourceKind::Webhook,
        ResourceKind::Integration,
        ResourceKind::Token,
        ResourceKind::Role,
    ];

    /// Lower-case name, for messages and docs.
    pub const fn name(self) -> &'static str {
        match self {
            ResourceKind::Project => "project",
            ResourceKind::Environment => "environment",
            ResourceKind::Flag => "flag",
            ResourceKind::Segment => "segment",
            ResourceKind::Webhook => "webhook",
            ResourceKind::Integration => "integration",
            ResourceKind::Token => "token",
            ResourceKind::Role => "role",
        }
    }

    /// The shape of a resource specifier of this kind, for docs.
    pub const fn syntax(self) -> &'static str {
        match self {
            ResourceKind::Project => "proj/<glob>[;tags]",
            ResourceKind::Environment => "proj/<glob>[;tags]:env/<glob>[;tags]",
            ResourceKind::Flag => "proj/<glob>[;tags]:env/<glob>[;tags]:flag/<glob>[;tags]",
            ResourceKind::Segment => "proj/<glob>[;tags]:segment/<glob>[;tags]",
            ResourceKind::Webhook => "webhook/<glob>[;tags]",
            ResourceKind::Integration => "integration/<glob>[;tags]",
            ResourceKind::Token => "token/<glob>[;tags] | member/<glob>:token/<glob>[;tags]",
            ResourceKind::Role => "role/<glob>[;tags]",
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One catalogue entry: an action, its name in policies, its resource kind, what it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionInfo {
    pub action: Action,
    pub name: &'static str,
    pub kind: ResourceKind,
    pub description: &'static str,
}

/// Defines [`Action`] and [`CATALOGUE`] from one table, so the two cannot drift apart.
macro_rules! catalogue {
    ($( $kind:ident { $( $variant:ident = $name:literal : $desc:literal, )* } )*) => {
        /// Something a request does. The name used in policies is [`Action::name`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $($( #[doc = $desc] $variant, )*)*
        }

        /// Every action, grouped by resource kind, with a one-line description. Docs are
        /// generated from this (see [`actions_markdown`]).
        pub const CATALOGUE: &[ActionInfo] = &[
            $($( ActionInfo {
                action: Action::$variant,
                name: $name,
                kind: ResourceKind::$kind,
                description: $desc,
            }, )*)*
        ];

        impl Action {
            /// The action's name in policies, e.g. `updateOn`.
            pub const fn name(self) -> &'static str {
                match self { $($( Action::$variant => $name, )*)* }
            }

            /// The kind of resource the action is performed on.
            pub const fn kind(self) -> ResourceKind {
                match self { $($( Action::$variant => ResourceKind::$kind, )*)* }
            }

            /// One line saying what the action allows.
            pub const fn description(self) -> &'static str {
                match self { $($( Action::$variant => $desc, )*)* }
            }
        }
    };
}

catalogue! {
    Project {
        ViewProject = "viewProject": "See a project and everything in it: environments, flags, segments (the project view permission).",
        CreateProject = "createProject": "Create a project.",
        UpdateProject = "updateProject": "Change a project's name, tags, primary environment and tracked environments.",
        DeleteProject = "deleteProject": "Delete a project with all its environments, flags and segments.",
    }
    Environment {
        CreateEnvironment = "createEnvironment": "Create an environment in a project.",
        UpdateEnvironment = "updateEnvironment": "Change an environment's name, tags or settings.",
        DeleteEnvironment = "deleteEnvironment": "Delete an environment.",
        ViewSdkKey = "viewSdkKey": "Reveal an environment's SDK key (a credential, so not part of plain viewing).",
    }
    Flag {
        CreateFlag = "createFlag": "Create a flag (in every environment of its project).",
        UpdateFlag = "updateFlag": "Change a flag's environment-independent settings: name, description, variations, custom properties.",
        DeleteFlag = "deleteFlag": "Delete a flag (from every environment).",
        UpdateOn = "updateOn": "Turn a flag on or off in an environment.",
        UpdateRules = "updateRules": "Change a flag's targeting rules in an environment.",
        UpdateFallthrough = "updateFallthrough": "Change a flag's default rule (variation or rollout) in an environment.",
        UpdateTargets = "updateTargets": "Change a flag's individual targets in an environment.",
        UpdateOffVariation = "updateOffVariation": "Change the variation a flag serves when off in an environment.",
        CopyFlagConfig = "copyFlagConfig": "Copy a flag's configuration into an environment (checked on the target environment).",
        CreateFlagLink = "createFlagLink": "Link a flag to a Jira issue.",
        UpdateFlagLink = "updateFlagLink": "Change a flag's link to a Jira issue.",
        DeleteFlagLink = "deleteFlagLink": "Remove a flag's link to a Jira issue.",
    }
    Segment {
        CreateSegment = "createSegment": "Create a segment in a project.",
        UpdateSegment = "updateSegment": "Change a segment's rules or members.",
        DeleteSegment = "deleteSegment": "Delete a segment.",
    }
    Webhook {
        CreateWebhook = "createWebhook": "Create an outgoing webhook.",
        UpdateWebhook = "updateWebhook": "Change an outgoing webhook (URL, secret, events, enabled).",
        DeleteWebhook = "deleteWebhook": "Delete an outgoing webhook.",
        ViewWebhook = "viewWebhook": "See an outgoing webhook's settings.",
    }
    Integration {
        CreateIntegration = "createIntegration": "Set up an integration (e.g. a Jira site and its credentials).",
        UpdateIntegration = "updateIntegration": "Change an integration's settings or credentials.",
        DeleteIntegration = "deleteIntegration": "Remove an integration.",
        ViewIntegration = "viewIntegration": "See an integration's settings (never its secrets).",
        ViewRepository = "viewRepository": "See a code repository (integration/<repository>): its settings, dev event log, findings and webhook address (never its secret).",
        CreateRepository = "createRepository": "Add a code repository (a GitHub or GitLab webhook, or a local path).",
        UpdateRepository = "updateRepository": "Change a code repository: its settings, its webhook secret, scans, findings and the Jira issues made from them.",
        DeleteRepository = "deleteRepository": "Remove a code repository with its dev events and findings.",
        ViewTickets = "viewTickets": "See the tickets ingested from a Jira site: issues, their history, comments, worklogs, people and sprints.",
        UpdateIngestion = "updateIngestion": "Change a Jira site's ticket ingestion: its connection, which projects are imported, type assignments, pause, resume and run now.",
        DeleteIngestedData = "deleteIngestedData": "Remove tickets ingested from a Jira site: one project's, or all of them by turning the integration off.",
    }
    Token {
        CreateToken = "createToken": "Create an API access token (the resource names its owner).",
        RevokeToken = "revokeToken": "Revoke an API access token.",
        ViewToken = "viewToken": "See an API access token's metadata (never its secret).",
    }
    Role {
        CreateRole = "createRole": "Create a custom role.",
        UpdateRole = "updateRole": "Change a custom role's statements.",
        DeleteRole = "deleteRole": "Delete a custom role.",
        ViewRole = "viewRole": "See a role's statements.",
    }
}

impl Action {
    /// Looks an action up by its policy name (case-sensitive, as in policies).
    pub fn from_name(name: &str) -> Option<Action> {
        CATALOGUE.iter().find(|info| info.name == name).map(|info| info.action)
    }

    /// Every action, in catalogue order.
    pub fn all() -> impl Iterator<Item = Action> {
        CATALOGUE.iter().map(|info| info.action)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The catalogue as a Markdown section per resource kind, for the README and API docs.
pub fn actions_markdown() -> String {
    let mut out = String::new();
    for kind in ResourceKind::ALL {
        out.push_str(&format!("### {} — `{}`\n\n", kind.name(), kind.syntax()));
        out.push_str("| action | allows |\n|---|---|\n");
        for info in CATALOGUE.iter().filter(|info| info.kind == kind) {
            out.push_str(&format!("| `{}` | {} |\n", info.name, info.description));
        }
        out.push('\n');
    }
    out
}

/// An action name or glob in a statement, such as `updateOn`, `update*` or `*`.
///
/// A pattern must match at least one action in the [`CATALOGUE`]: a typo such as
/// `updateon` is a parse error rather than a statement that silently grants nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionPattern {
    glob: Glob,
}

impl ActionPattern {
    /// Parses an action pattern; errors point into `text`.
    pub fn new(text: &str) -> Result<ActionPattern, ParseError> {
        let glob = Glob::new(text)?;
        let pattern = ActionPattern { glob };
        if !Action::all().any(|action| pattern.matches(action)) {
            return Err(ParseError::new(0, ParseErrorKind::UnknownAction(text.to_owned())));
        }
        Ok(pattern)
    }

    /// The pattern matching exactly `action`.
    pub fn exact(action: Action) -> ActionPattern {
        ActionPattern { glob: Glob::trusted(action.name()) }
    }

    /// For names and globs the crate writes itself, valid by construction.
    pub(crate) fn trusted(text: &str) -> ActionPattern {
        ActionPattern { glob: Glob::trusted(text) }
    }

    /// `*`: every action.
    pub fn any() -> ActionPattern {
        ActionPattern { glob: Glob::any() }
    }

    pub fn matches(&self, action: Action) -> bool {
        self.glob.matches(action.name())
    }

    /// The actions the pattern stands for, in catalogue order.
    pub fn expand(&self) -> Vec<Action> {
        Action::all().filter(|&action| self.matches(action)).collect()
    }

    pub fn as_str(&self) -> &str {
        self.glob.as_str()
    }
}

impl fmt::Display for ActionPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.glob.fmt(f)
    }
}
