//! The field catalogue a query is validated against: each field's JQL name and aliases, custom
//! field id, value type, the operators it takes, whether it sorts, and what may follow it in
//! brackets. The caller hands one in (tether knows its custom fields); [`FieldCatalogue::jira`]
//! holds Jira's system fields and [`FieldCatalogue::tether`] adds tether's own.

mod defaults;

use std::collections::HashMap;

use crate::ast::{CustomFieldId, Field, FieldName, HistoryOperator, Operator, ValueOperator};

/// What a field's values (or a function's results) are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    Text,
    Number,
    Date,
    Duration,
    User,
    Group,
    Project,
    ProjectCategory,
    ProjectType,
    Version,
    Component,
    IssueType,
    Issue,
    IssueLinkType,
    Status,
    StatusCategory,
    Priority,
    Resolution,
    Label,
    Sprint,
    SecurityLevel,
    Attachment,
    Filter,
    Team,
    Option,
    Approval,
    Sla,
    /// Entity property values (`issue.property[...]`): any type.
    Property,
    /// Development information counts (`development[...]`).
    Development,
    /// `true` or `false`.
    Boolean,
    /// A tether feature-flag key.
    Flag,
    /// A flag's state in one environment.
    FlagState,
    /// A commit SHA.
    Commit,
    /// A repository (`group/project`).
    Repository,
    /// A pull or merge request.
    PullRequest,
    /// What a ticket counts as in tether (`story`, `bug`, `task`, `subtask`, `epic`, `other`),
    /// from its project's ticket type assignments.
    TicketCategory,
}

/// A set of operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct OperatorSet(u32);

impl OperatorSet {
    pub const EMPTY: OperatorSet = OperatorSet(0);

    /// The set of these operators.
    pub const fn of(operators: &[Operator]) -> OperatorSet {
        let mut bits = 0;
        let mut i = 0;
        while i < operators.len() {
            bits |= 1 << index(operators[i]);
            i += 1;
        }
        OperatorSet(bits)
    }

    pub const fn union(self, other: OperatorSet) -> OperatorSet {
        OperatorSet(self.0 | other.0)
    }

    pub fn contains(self, operator: Operator) -> bool {
        self.0 & (1 << index(operator)) != 0
    }

    /// The members, in documentation order.
    pub fn iter(self) -> impl Iterator<Item = Operator> {
        Operator::ALL.into_iter().filter(move |op| self.contains(*op))
    }
}

const fn index(operator: Operator) -> u32 {
    use HistoryOperator as H;
    use ValueOperator as V;
    match operator {
        Operator::Value(v) => match v {
            V::Equals => 0,
            V::NotEquals => 1,
            V::GreaterThan => 2,
            V::GreaterThanEquals => 3,
            V::LessThan => 4,
            V::LessThanEquals => 5,
            V::Like => 6,
            V::NotLike => 7,
            V::In => 8,
            V::NotIn => 9,
            V::Is => 10,
            V::IsNot => 11,
        },
        Operator::History(h) => match h {
            H::Was => 12,
            H::WasIn => 13,
            H::WasNot => 14,
            H::WasNotIn => 15,
        },
        Operator::Changed => 16,
    }
}

/// What may follow a field in brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Properties {
    /// Nothing: `status[x]` is not a field.
    None,
    /// An entity property: any key, with or without a path (`issue.property[key].path`).
    Any,
    /// One key of the caller's choosing and no path (`flagState[production]`).
    Key,
    /// Fixed keys, each with the paths it takes (`development[commits].all`).
    Keys(Vec<(String, Vec<String>)>),
}

/// One searchable field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    /// The JQL name, as Jira shows it.
    pub name: String,
    /// Other names for it (`type` for `issuetype`, the custom field's display name …).
    pub aliases: Vec<String>,
    pub custom_id: Option<CustomFieldId>,
    pub value_type: ValueType,
    pub operators: OperatorSet,
    pub orderable: bool,
    pub properties: Properties,
}

/// The fields a query may use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldCatalogue {
    fields: Vec<FieldDef>,
    by_name: HashMap<String, usize>,
    by_custom_id: HashMap<CustomFieldId, usize>,
}

impl FieldCatalogue {
    /// A catalogue of these fields. A later field with a name already taken does not replace
    /// the earlier one for that name.
    pub fn new(fields: impl IntoIterator<Item = FieldDef>) -> Self {
        let mut catalogue = FieldCatalogue::default();
        for field in fields {
            catalogue.add(field);
        }
        catalogue
    }

    /// Jira's system fields, as its JQL field reference documents them.
    pub fn jira() -> Self {
        FieldCatalogue::new(defaults::jira_fields())
    }

    /// Jira's system fields and tether's own (`flag`, `flagEnabled`, `flagState[env]`,
    /// `commit`, `repository`, `pullRequest`).
    pub fn tether() -> Self {
        FieldCatalogue::new(defaults::jira_fields().into_iter().chain(defaults::tether_fields()))
    }

    /// Adds a field (custom fields too: give `custom_id` and their name as an alias).
    pub fn add(&mut self, field: FieldDef) {
        let i = self.fields.len();
        for name in std::iter::once(&field.name).chain(&field.aliases) {
            self.by_name.entry(name.to_lowercase()).or_insert(i);
        }
        if let Some(id) = field.custom_id {
            self.by_custom_id.entry(id).or_insert(i);
            self.by_name.entry(format!("cf[{}]", id.get())).or_insert(i);
        }
        self.fields.push(field);
    }

    /// The field a name refers to, without regard to case as in Jira.
    pub fn by_name(&self, name: &str) -> Option<&FieldDef> {
        let i = match self.by_name.get(name) {
            Some(i) => *i,
            None => *self.by_name.get(&name.to_lowercase())?,
        };
        self.fields.get(i)
    }

    /// The field a clause refers to.
    pub fn get(&self, field: &Field) -> Option<&FieldDef> {
        match &field.name {
            FieldName::Named(name) => self.by_name(name.as_str()),
            FieldName::Custom(id) => self.fields.get(*self.by_custom_id.get(id)?),
        }
    }

    /// Every field, in the order added.
    pub fn iter(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.iter()
    }
}

impl FieldDef {
    /// A field with no aliases, no custom id and no properties.
    pub fn new(name: &str, value_type: ValueType, operators: OperatorSet, orderable: bool) -> Self {
        FieldDef {
            name: name.to_owned(),
            aliases: Vec::new(),
            custom_id: None,
            value_type,
            operators,
            orderable,
            properties: Properties::None,
        }
    }

    /// Also known as these names.
    pub fn aliases(mut self, aliases: &[&str]) -> Self {
        self.aliases.extend(aliases.iter().map(|a| (*a).to_owned()));
        self
    }

    /// Takes this in brackets.
    pub fn properties(mut self, properties: Properties) -> Self {
        self.properties = properties;
        self
    }

    /// A custom field: found as `cf[id]` and by its name.
    pub fn custom(
        id: CustomFieldId,
        name: &str,
        value_type: ValueType,
        operators: OperatorSet,
        orderable: bool,
    ) -> Self {
        let mut def = FieldDef::new(name, value_type, operators, orderable);
        def.custom_id = Some(id);
        def
    }

    /// Whether `EMPTY` may be searched for (the field takes `IS`).
    pub fn searches_empty(&self) -> bool {
        self.operators.contains(Operator::Value(ValueOperator::Is))
    }
}

pub use defaults::operator_sets;
