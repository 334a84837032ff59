//! Statements and roles, their text form, and the built-in roles (Reader, Writer, Admin, Jira).

use std::fmt;
use std::str::FromStr;

use crate::action::{Action, ActionPattern};
use crate::error::{ParseError, ParseErrorKind, StatementError};
use crate::resource::{OwnerPattern, Pattern, Reach, Resource, ResourceSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    pub const fn name(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
        }
    }

    pub fn from_name(name: &str) -> Option<Effect> {
        match name {
            "allow" => Some(Effect::Allow),
            "deny" => Some(Effect::Deny),
            _ => None,
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `actions` or `notActions`: one of the two, never both, by construction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ActionSet {
    /// The statement is about the actions any pattern matches.
    Actions(Vec<ActionPattern>),
    /// The statement is about every action no pattern matches.
    NotActions(Vec<ActionPattern>),
}

/// `resources` or `notResources`: one of the two, never both, by construction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResourceSet {
    /// The statement is about the resources any specifier names.
    Resources(Vec<ResourceSpec>),
    /// The statement is about every resource (of any kind) no specifier names.
    NotResources(Vec<ResourceSpec>),
}

/// One policy statement: `{effect, actions | notActions, resources | notResources}`.
///
/// Its text form, used in messages, tests and config files, is
/// `<allow|deny> [not] <action>… on [not] <resource>…` with items separated by spaces, e.g.
/// `deny updateOn on proj/*:env/production:flag/*`. Lists are never empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Statement {
    effect: Effect,
    actions: ActionSet,
    resources: ResourceSet,
}

impl Statement {
    /// Fails only on an empty list: an empty `actions` would be a statement about nothing and
    /// an empty `notActions` one about everything, and neither reads as meant.
    pub fn new(
        effect: Effect,
        actions: ActionSet,
        resources: ResourceSet,
    ) -> Result<Statement, StatementError> {
        let empty_field = match (&actions, &resources) {
            (ActionSet::Actions(a), _) if a.is_empty() => Some("actions"),
            (ActionSet::NotActions(a), _) if a.is_empty() => Some("notActions"),
            (_, ResourceSet::Resources(r)) if r.is_empty() => Some("resources"),
            (_, ResourceSet::NotResources(r)) if r.is_empty() => Some("notResources"),
            _ => None,
        };
        match empty_field {
            Some(field) => Err(StatementError::EmptyList { field }),
            None => Ok(Statement { effect, actions, resources }),
        }
    }

    /// Builds a statement from the fields of a wire or row format, which a boundary crate
    /// has already deserialized: exactly one of each pair must be `Some`. Errors name the
    /// field and index.
    pub fn from_parts<S: AsRef<str>>(
        effect: &str,
        actions: Option<&[S]>,
        not_actions: Option<&[S]>,
        resources: Option<&[S]>,
        not_resources: Option<&[S]>,
    ) -> Result<Statement, StatementError> {
        let effect =
            Effect::from_name(effect).ok_or_else(|| StatementError::Effect(effect.to_owned()))?;
        let actions = match (actions, not_actions) {
            (Some(items), None) => {
                ActionSet::Actions(parse_items("actions", items, ActionPattern::new)?)
            }
            (None, Some(items)) => {
                ActionSet::NotActions(parse_items("notActions", items, ActionPattern::new)?)
            }
            _ => return Err(StatementError::Actions),
        };
        let resources = match (resources, not_resources) {
            (Some(items), None) => {
                ResourceSet::Resources(parse_items("resources", items, ResourceSpec::parse)?)
            }
            (None, Some(items)) => {
                ResourceSet::NotResources(parse_items("notResources", items, ResourceSpec::parse)?)
            }
            _ => return Err(StatementError::Resources),
        };
        Statement::new(effect, actions, resources)
    }

    /// Parses the text form; errors carry the byte position in `text`.
    pub fn parse(text: &str) -> Result<Statement, ParseError> {
        let words = words(text);
        let mut words = words.into_iter().peekable();
        let (effect_word, effect_pos) =
            words.next().ok_or(ParseError::new(0, ParseErrorKind::Empty))?;
        let effect = Effect::from_name(effect_word).ok_or_else(|| {
            ParseError::new(effect_pos, ParseErrorKind::UnknownEffect(effect_word.to_owned()))
        })?;

        let not_actions = words.next_if(|(word, _)| *word == "not").is_some();
        let mut patterns = Vec::new();
        while let Some((word, pos)) = words.next_if(|(word, _)| *word != "on") {
            patterns.push(ActionPattern::new(word).map_err(|e| e.shifted(pos))?);
        }
        if patterns.is_empty() {
            let pos = words.peek().map_or(text.len(), |(_, pos)| *pos);
            return Err(ParseError::new(pos, ParseErrorKind::MissingActions));
        }
        if words.next().is_none() {
            return Err(ParseError::new(text.len(), ParseErrorKind::MissingResources));
        }

        let not_resources = words.next_if(|(word, _)| *word == "not").is_some();
        let mut specs = Vec::new();
        for (word, pos) in words {
            specs.push(ResourceSpec::parse(word).map_err(|e| e.shifted(pos))?);
        }
        if specs.is_empty() {
            return Err(ParseError::new(text.len(), ParseErrorKind::MissingResources));
        }

        let actions = if not_actions {
            ActionSet::NotActions(patterns)
        } else {
            ActionSet::Actions(patterns)
        };
        let resources = if not_resources {
            ResourceSet::NotResources(specs)
        } else {
            ResourceSet::Resources(specs)
        };
        Ok(Statement { effect, actions, resources })
    }

    pub fn effect(&self) -> Effect {
        self.effect
    }

    pub fn actions(&self) -> &ActionSet {
        &self.actions
    }

    pub fn resources(&self) -> &ResourceSet {
        &self.resources
    }

    /// Does the statement speak about `action` on `resource`? `me` is the owner that
    /// `member/$self` stands for. Allows must cover what the action touches, denies apply
    /// to anything it touches (see [`Reach`]); `notResources` flips that, since "not named"
    /// means "not touched" for an allow and "not covered" for a deny.
    pub(crate) fn applies(&self, action: Action, resource: &Resource, me: &str) -> bool {
        let action_hit = match &self.actions {
            ActionSet::Actions(patterns) => patterns.iter().any(|p| p.matches(action)),
            ActionSet::NotActions(patterns) => !patterns.iter().any(|p| p.matches(action)),
        };
        if !action_hit {
            return false;
        }
        let reach = match self.effect {
            Effect::Allow => Reach::Covers,
            Effect::Deny => Reach::Touches,
        };
        match &self.resources {
            ResourceSet::Resources(specs) => specs.iter().any(|s| s.reaches(resource, reach, me)),
            ResourceSet::NotResources(specs) => {
                !specs.iter().any(|s| s.reaches(resource, reach.opposite(), me))
            }
        }
    }

    /// For statements the crate writes itself, from names and specifiers valid by construction.
    fn trusted(effect: Effect, actions: &[&str], resources: Vec<ResourceSpec>) -> Statement {
        let actions =
            ActionSet::Actions(actions.iter().map(|a| ActionPattern::trusted(a)).collect());
        Statement { effect, actions, resources: ResourceSet::Resources(resources) }
    }
}

impl FromStr for Statement {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Statement, ParseError> {
        Statement::parse(text)
    }
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.effect)?;
        match &self.actions {
            ActionSet::Actions(patterns) => write_list(f, "", patterns)?,
            ActionSet::NotActions(patterns) => write_list(f, " not", patterns)?,
        }
        f.write_str(" on")?;
        match &self.resources {
            ResourceSet::Resources(specs) => write_list(f, "", specs),
            ResourceSet::NotResources(specs) => write_list(f, " not", specs),
        }
    }
}

/// A named list of statements. Within a role an explicit deny beats any allow, and an
/// action nothing speaks about is denied.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Role {
    pub name: String,
    pub statements: Vec<Statement>,
}

/// What one role says about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RoleVerdict {
    Allow,
    /// Index of the first deny statement that applies.
    Deny(usize),
    NoMatch,
}

impl Role {
    pub fn new(name: impl Into<String>, statements: Vec<Statement>) -> Role {
        Role { name: name.into(), statements }
    }

    /// Parses one statement per line; blank lines and lines starting with `#` are skipped.
    /// Error positions are byte offsets into the whole `text`.
    pub fn parse(name: impl Into<String>, text: &str) -> Result<Role, ParseError> {
        let mut statements = Vec::new();
        let mut line_start = 0;
        for line in text.split('\n') {
            let trimmed = line.trim_start();
            let offset = line_start + (line.len() - trimmed.len());
            let trimmed = trimmed.trim_end();
            if !trimmed.is_empty() && !trimmed.starts_with('#') {
                statements.push(Statement::parse(trimmed).map_err(|e| e.shifted(offset))?);
            }
            line_start += line.len() + 1;
        }
        Ok(Role::new(name, statements))
    }

    /// Base role: sees every project (and so its environments, flags and segments),
    /// webhook, integration (and the tickets ingested from it), token and role; changes nothing. It cannot reveal SDK keys,
    /// which are credentials rather than configuration.
    /// The names of the built-in roles, in order of increasing rights (and the integration's).
    pub const BUILT_IN: [&'static str; 4] = ["reader", "writer", "admin", "jira-integration"];

    /// A built-in role by name: `reader`, `writer`, `admin` or `jira-integration`.
    pub fn built_in(name: &str) -> Option<Role> {
        match name {
            "reader" => Some(Role::reader()),
            "writer" => Some(Role::writer()),
            "admin" => Some(Role::admin()),
            "jira-integration" => Some(Role::jira_integration()),
            _ => None,
        }
    }

    pub fn reader() -> Role {
        Role::new("reader", vec![reader_statement()])
    }

    /// Base role: everything Reader has, plus every action on projects, environments
    /// (including `viewSdkKey`), flags (including Jira links), segments and webhooks, plus
    /// creating and revoking its own tokens. Not: changing integrations (they hold Jira
    /// credentials), changing roles, or revoking other members' tokens.
    pub fn writer() -> Role {
        let any = Pattern::any;
        Role::new(
            "writer",
            vec![
                reader_statement(),
                Statement::trusted(
                    Effect::Allow,
                    &["*"],
                    vec![
                        ResourceSpec::Project(any()),
                        ResourceSpec::Environment { project: any(), env: any() },
                        ResourceSpec::Flag { project: any(), env: any(), flag: any() },
                        ResourceSpec::Segment { project: any(), segment: any() },
                        ResourceSpec::Webhook(any()),
                    ],
                ),
                Statement::trusted(
                    Effect::Allow,
                    &["createToken", "revokeToken"],
                    vec![ResourceSpec::Token { owner: OwnerPattern::Myself, token: any() }],
                ),
            ],
        )
    }

    /// Base role: every action on every resource.
    pub fn admin() -> Role {
        Role::new(
            "admin",
            vec![Statement::trusted(Effect::Allow, &["*"], ResourceSpec::everything())],
        )
    }

    /// Built-in role for the Jira integration's token: manage flag links and webhooks, see
    /// projects, nothing else. In particular it cannot toggle flags (`updateOn`) or change
    /// targeting.
    pub fn jira_integration() -> Role {
        let any = Pattern::any;
        Role::new(
            "jira-integration",
            vec![
                Statement::trusted(
                    Effect::Allow,
                    &["createFlagLink", "updateFlagLink", "deleteFlagLink"],
                    vec![ResourceSpec::Flag { project: any(), env: any(), flag: any() }],
                ),
                Statement::trusted(
                    Effect::Allow,
                    &["createWebhook", "updateWebhook", "deleteWebhook"],
                    vec![ResourceSpec::Webhook(any())],
                ),
                Statement::trusted(
                    Effect::Allow,
                    &["viewProject"],
                    vec![ResourceSpec::Project(any())],
                ),
            ],
        )
    }

    pub(crate) fn verdict(&self, action: Action, resource: &Resource, me: &str) -> RoleVerdict {
        let mut allowed = false;
        for (index, statement) in self.statements.iter().enumerate() {
            if statement.applies(action, resource, me) {
                match statement.effect {
                    Effect::Deny => return RoleVerdict::Deny(index),
                    Effect::Allow => allowed = true,
                }
            }
        }
        if allowed { RoleVerdict::Allow } else { RoleVerdict::NoMatch }
    }
}

fn reader_statement() -> Statement {
    Statement::trusted(
        Effect::Allow,
        &[
            "viewProject",
            "viewWebhook",
            "viewIntegration",
            "viewRepository",
            "viewTickets",
            "viewToken",
            "viewRole",
        ],
        ResourceSpec::everything(),
    )
}

fn parse_items<S: AsRef<str>, T>(
    field: &'static str,
    items: &[S],
    parse: impl Fn(&str) -> Result<T, ParseError>,
) -> Result<Vec<T>, StatementError> {
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            parse(item.as_ref()).map_err(|source| StatementError::Item { field, index, source })
        })
        .collect()
}

fn write_list<T: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    prefix: &str,
    items: &[T],
) -> fmt::Result {
    f.write_str(prefix)?;
    for item in items {
        write!(f, " {item}")?;
    }
    Ok(())
}

/// Whitespace-separated words with their byte offsets.
fn words(text: &str) -> Vec<(&str, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((&text[s..i], s));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((&text[s..], s));
    }
    out
}
