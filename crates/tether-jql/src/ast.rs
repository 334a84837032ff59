//! The syntax tree of a JQL query, shaped like Jira's own (`com.atlassian.query`): clauses
//! joined by AND/OR/NOT, terminal clauses `field operator operand [predicates]`, and an
//! ORDER BY list. Parentheses leave no node of their own; `a AND (b AND c)` keeps its nesting.
//!
//! Positions are kept in [`Span`]s for error reporting; [`Query::without_spans`] clears them so
//! two trees can be compared for meaning only.

use std::fmt;

use crate::chars::is_blank;
use crate::error::Position;

/// A whole query: an optional condition and an optional ORDER BY. The empty query is valid.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    /// The condition; `None` for a query that is empty or only sorts.
    pub clause: Option<Clause>,
    /// The sort keys, in order; empty when there is no ORDER BY.
    pub order_by: Vec<SortKey>,
}

/// A condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clause {
    /// All of two or more clauses.
    And(Junction),
    /// Any of two or more clauses.
    Or(Junction),
    /// The negation of a clause (`NOT` or `!`).
    Not(Box<Clause>),
    /// `field operator operand` (boxed: it is large, and clauses nest).
    Terminal(Box<TerminalClause>),
}

/// Two or more clauses joined by one logical operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Junction(Vec<Clause>);

impl Junction {
    /// Joins clauses; `None` for fewer than two (one clause needs no junction).
    pub fn new(clauses: Vec<Clause>) -> Option<Junction> {
        (clauses.len() >= 2).then_some(Junction(clauses))
    }

    /// The joined clauses, at least two.
    pub fn clauses(&self) -> &[Clause] {
        &self.0
    }

    /// For the parser, which only joins two or more.
    pub(crate) fn joined(clauses: Vec<Clause>) -> Junction {
        Junction(clauses)
    }

    pub(crate) fn clauses_mut(&mut self) -> &mut [Clause] {
        &mut self.0
    }

    /// Takes the clauses out.
    pub fn into_clauses(self) -> Vec<Clause> {
        self.0
    }
}

/// `field operator operand`, with history predicates for `WAS` and `CHANGED`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalClause {
    pub field: Field,
    pub condition: Condition,
    /// From the field to the end of the clause.
    pub span: Span,
}

/// What a terminal clause asks of its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The current value: `=`, `!=`, `~`, `!~`, `<`, `>`, `<=`, `>=`, `IN`, `NOT IN`, `IS`,
    /// `IS NOT`.
    Value { operator: ValueOperator, operand: Operand },
    /// A past value: `WAS`, `WAS NOT`, `WAS IN`, `WAS NOT IN`, optionally narrowed.
    History { operator: HistoryOperator, operand: Operand, predicates: Vec<Predicate> },
    /// `CHANGED`, optionally narrowed.
    Changed { predicates: Vec<Predicate> },
}

/// The operators that test a field's current value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueOperator {
    Equals,
    NotEquals,
    Like,
    NotLike,
    GreaterThan,
    GreaterThanEquals,
    LessThan,
    LessThanEquals,
    In,
    NotIn,
    Is,
    IsNot,
}

/// The operators that test a field's history by value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HistoryOperator {
    Was,
    WasNot,
    WasIn,
    WasNotIn,
}

/// Every JQL operator, for catalogues and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    Value(ValueOperator),
    History(HistoryOperator),
    Changed,
}

/// A history predicate: `FROM`, `TO`, `BY`, `BEFORE`, `AFTER`, `ON`, `DURING`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Predicate {
    pub operator: PredicateOperator,
    pub operand: Operand,
}

/// The history predicate keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PredicateOperator {
    From,
    To,
    By,
    Before,
    After,
    On,
    During,
}

/// A field reference: a name or `cf[id]`, with entity-property brackets such as
/// `issue.property[key].path`, `development[commits].all` or `flagState[production]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: FieldName,
    pub properties: Vec<Property>,
    pub span: Span,
}

/// How a field is named.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldName {
    /// By name, as written (Jira compares names without regard to case).
    Named(Name),
    /// `cf[10010]`.
    Custom(CustomFieldId),
}

/// A bracketed property key with an optional `.path` after it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Property {
    pub key: String,
    pub path: Option<PropertyPath>,
}

/// The right-hand side of a clause or predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operand {
    pub kind: OperandKind,
    pub span: Span,
}

/// The kinds of operand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperandKind {
    /// `EMPTY` or `NULL`.
    Empty,
    /// A string, quoted or not (`"In Progress"`, `ABC-1`, `-4w`).
    String(String),
    /// An unquoted whole number.
    Number(i64),
    /// `(a, b, …)`, nested lists allowed.
    List(OperandList),
    /// `name(arg, …)`; arguments are kept as text, numbers included.
    Function { name: Name, args: Vec<String> },
}

/// The items of a list operand: at least one (Jira has no empty list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperandList(Vec<Operand>);

impl OperandList {
    /// `None` for no items.
    pub fn new(items: Vec<Operand>) -> Option<OperandList> {
        (!items.is_empty()).then_some(OperandList(items))
    }

    pub fn items(&self) -> &[Operand] {
        &self.0
    }

    /// For the parser, which always has a first item.
    pub(crate) fn joined(items: Vec<Operand>) -> OperandList {
        OperandList(items)
    }

    pub(crate) fn items_mut(&mut self) -> &mut [Operand] {
        &mut self.0
    }

    /// Takes the items out.
    pub fn into_items(self) -> Vec<Operand> {
        self.0
    }
}

/// One ORDER BY key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub field: Field,
    /// `None` when neither ASC nor DESC was written (Jira then uses the field's default).
    pub order: Option<SortOrder>,
}

/// A sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortOrder {
    Asc,
    Desc,
}

/// A piece of the query text: byte range and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: Position,
    /// Byte offset just past the end.
    pub end: usize,
}

/// A field or function name: never blank (Jira refuses blank names).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(String);

impl Name {
    /// `None` for an empty or whitespace-only name.
    pub fn new(name: impl Into<String>) -> Option<Name> {
        let name = name.into();
        (!is_blank(&name)).then_some(Name(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A custom field id, within Java's `long` as Jira requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomFieldId(u64);

impl CustomFieldId {
    /// `None` above `i64::MAX`.
    pub fn new(id: u64) -> Option<CustomFieldId> {
        (id <= i64::MAX as u64).then_some(CustomFieldId(id))
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

/// The path after a property key (`.author.name` is kept as `author.name`): not empty and
/// not starting with a dot, as Jira requires.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PropertyPath(String);

impl PropertyPath {
    /// `None` for an empty path or one starting with `.`.
    pub fn new(path: impl Into<String>) -> Option<PropertyPath> {
        let path = path.into();
        (!path.is_empty() && !path.starts_with('.')).then_some(PropertyPath(path))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The dot-separated parts, empty ones skipped as Jira skips them.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('.').filter(|s| !s.is_empty())
    }
}

impl TerminalClause {
    /// The clause's operator.
    pub fn operator(&self) -> Operator {
        match &self.condition {
            Condition::Value { operator, .. } => Operator::Value(*operator),
            Condition::History { operator, .. } => Operator::History(*operator),
            Condition::Changed { .. } => Operator::Changed,
        }
    }

    /// The operand, absent only for `CHANGED`.
    pub fn operand(&self) -> Option<&Operand> {
        match &self.condition {
            Condition::Value { operand, .. } | Condition::History { operand, .. } => Some(operand),
            Condition::Changed { .. } => None,
        }
    }

    /// The history predicates (none for value operators).
    pub fn predicates(&self) -> &[Predicate] {
        match &self.condition {
            Condition::Value { .. } => &[],
            Condition::History { predicates, .. } | Condition::Changed { predicates } => predicates,
        }
    }
}

impl Operator {
    /// Every operator, in Jira's documentation order.
    pub const ALL: [Operator; 17] = [
        Operator::Value(ValueOperator::Equals),
        Operator::Value(ValueOperator::NotEquals),
        Operator::Value(ValueOperator::GreaterThan),
        Operator::Value(ValueOperator::GreaterThanEquals),
        Operator::Value(ValueOperator::LessThan),
        Operator::Value(ValueOperator::LessThanEquals),
        Operator::Value(ValueOperator::Like),
        Operator::Value(ValueOperator::NotLike),
        Operator::Value(ValueOperator::In),
        Operator::Value(ValueOperator::NotIn),
        Operator::Value(ValueOperator::Is),
        Operator::Value(ValueOperator::IsNot),
        Operator::History(HistoryOperator::Was),
        Operator::History(HistoryOperator::WasIn),
        Operator::History(HistoryOperator::WasNot),
        Operator::History(HistoryOperator::WasNotIn),
        Operator::Changed,
    ];

    /// How Jira writes the operator in validation messages: `=`, `not in`, `was not in` …
    pub fn display(self) -> &'static str {
        match self {
            Operator::Value(op) => match op {
                ValueOperator::Equals => "=",
                ValueOperator::NotEquals => "!=",
                ValueOperator::Like => "~",
                ValueOperator::NotLike => "!~",
                ValueOperator::GreaterThan => ">",
                ValueOperator::GreaterThanEquals => ">=",
                ValueOperator::LessThan => "<",
                ValueOperator::LessThanEquals => "<=",
                ValueOperator::In => "in",
                ValueOperator::NotIn => "not in",
                ValueOperator::Is => "is",
                ValueOperator::IsNot => "is not",
            },
            Operator::History(op) => match op {
                HistoryOperator::Was => "was",
                HistoryOperator::WasNot => "was not",
                HistoryOperator::WasIn => "was in",
                HistoryOperator::WasNotIn => "was not in",
            },
            Operator::Changed => "changed",
        }
    }

    /// How the operator is written in canonical JQL: `=`, `NOT IN`, `WAS NOT IN` …
    pub fn jql(self) -> &'static str {
        match self {
            Operator::Value(ValueOperator::In) => "IN",
            Operator::Value(ValueOperator::NotIn) => "NOT IN",
            Operator::Value(ValueOperator::Is) => "IS",
            Operator::Value(ValueOperator::IsNot) => "IS NOT",
            Operator::History(HistoryOperator::Was) => "WAS",
            Operator::History(HistoryOperator::WasNot) => "WAS NOT",
            Operator::History(HistoryOperator::WasIn) => "WAS IN",
            Operator::History(HistoryOperator::WasNotIn) => "WAS NOT IN",
            Operator::Changed => "CHANGED",
            other => other.display(),
        }
    }

    /// Jira's enum name for the operator, used in its predicate messages (`EQUALS`, `NOT_IN`).
    pub fn enum_name(self) -> &'static str {
        match self {
            Operator::Value(op) => match op {
                ValueOperator::Equals => "EQUALS",
                ValueOperator::NotEquals => "NOT_EQUALS",
                ValueOperator::Like => "LIKE",
                ValueOperator::NotLike => "NOT_LIKE",
                ValueOperator::GreaterThan => "GREATER_THAN",
                ValueOperator::GreaterThanEquals => "GREATER_THAN_EQUALS",
                ValueOperator::LessThan => "LESS_THAN",
                ValueOperator::LessThanEquals => "LESS_THAN_EQUALS",
                ValueOperator::In => "IN",
                ValueOperator::NotIn => "NOT_IN",
                ValueOperator::Is => "IS",
                ValueOperator::IsNot => "IS_NOT",
            },
            Operator::History(op) => match op {
                HistoryOperator::Was => "WAS",
                HistoryOperator::WasNot => "WAS_NOT",
                HistoryOperator::WasIn => "WAS_IN",
                HistoryOperator::WasNotIn => "WAS_NOT_IN",
            },
            Operator::Changed => "CHANGED",
        }
    }

    /// Whether the operator takes a list (`IN`, `NOT IN`, `WAS IN`, `WAS NOT IN`).
    pub fn takes_list(self) -> bool {
        matches!(
            self,
            Operator::Value(ValueOperator::In | ValueOperator::NotIn)
                | Operator::History(HistoryOperator::WasIn | HistoryOperator::WasNotIn)
        )
    }
}

impl PredicateOperator {
    /// The keyword in lower case, as Jira writes it in messages.
    pub fn display(self) -> &'static str {
        match self {
            PredicateOperator::From => "from",
            PredicateOperator::To => "to",
            PredicateOperator::By => "by",
            PredicateOperator::Before => "before",
            PredicateOperator::After => "after",
            PredicateOperator::On => "on",
            PredicateOperator::During => "during",
        }
    }
}

impl Field {
    /// A field named `name` with no properties and no position.
    pub fn named(name: Name) -> Field {
        Field { name: FieldName::Named(name), properties: Vec::new(), span: Span::default() }
    }

    /// The name as Jira shows it in messages: the written name or `cf[id]`.
    pub fn display_name(&self) -> String {
        match &self.name {
            FieldName::Named(n) => n.as_str().to_owned(),
            FieldName::Custom(id) => format!("cf[{}]", id.get()),
        }
    }
}

impl fmt::Display for Operand {
    /// Jira's display string: strings in double quotes, numbers bare, `EMPTY`, lists in
    /// parentheses, functions with their arguments.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            OperandKind::Empty => f.write_str("EMPTY"),
            OperandKind::String(s) => write!(f, "\"{s}\""),
            OperandKind::Number(n) => write!(f, "{n}"),
            OperandKind::List(items) => {
                f.write_str("(")?;
                for (i, item) in items.items().iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str(")")
            }
            OperandKind::Function { name, args } => {
                write!(f, "{}({})", name.as_str(), args.join(", "))
            }
        }
    }
}

impl Operand {
    /// An operand with no position.
    pub fn new(kind: OperandKind) -> Operand {
        Operand { kind, span: Span::default() }
    }
}

impl Query {
    /// The same query with every span cleared, to compare meaning only.
    pub fn without_spans(mut self) -> Query {
        if let Some(clause) = self.clause.as_mut() {
            clear_clause(clause);
        }
        for key in &mut self.order_by {
            key.field.span = Span::default();
        }
        self
    }
}

fn clear_clause(clause: &mut Clause) {
    match clause {
        Clause::And(j) | Clause::Or(j) => j.clauses_mut().iter_mut().for_each(clear_clause),
        Clause::Not(inner) => clear_clause(inner),
        Clause::Terminal(t) => {
            t.span = Span::default();
            t.field.span = Span::default();
            match &mut t.condition {
                Condition::Value { operand, .. } => clear_operand(operand),
                Condition::History { operand, predicates, .. } => {
                    clear_operand(operand);
                    predicates.iter_mut().for_each(|p| clear_operand(&mut p.operand));
                }
                Condition::Changed { predicates } => {
                    predicates.iter_mut().for_each(|p| clear_operand(&mut p.operand))
                }
            }
        }
    }
}

fn clear_operand(operand: &mut Operand) {
    operand.span = Span::default();
    if let OperandKind::List(items) = &mut operand.kind {
        items.items_mut().iter_mut().for_each(clear_operand);
    }
}
