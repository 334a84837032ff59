//! Validation of a parsed query against a field catalogue and a function catalogue, with
//! Jira's messages, in Jira's order: the field must exist; the operand must suit the
//! operator (a list for `IN`, `EMPTY` only where it makes sense, nothing but `EMPTY` after
//! `IS`); the field must take the operator; functions must exist, get the right number of
//! arguments and return the field's kind of value; dates must be dates; history predicates
//! must suit their operator and carry dates where dates are due. ORDER BY fields must exist
//! and sort.
//!
//! Whether a value exists (a project key, a user) is for the query engine, which has the data.

use std::fmt;

use crate::ast::{
    Clause, Condition, Field, HistoryOperator, Operand, OperandKind, Operator, Predicate,
    PredicateOperator, Query, Span, TerminalClause, ValueOperator,
};
use crate::catalogue::{FieldCatalogue, FieldDef, Properties, ValueType};
use crate::dates::{VALID_FORMATS, parse_date};
use crate::functions::{FunctionCatalogue, FunctionError};
use crate::print::field_to_jql;

/// One problem, and where the clause or sort key that has it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct ValidationError {
    pub kind: ValidationErrorKind,
    pub span: Span,
}

/// The problems validation finds, each with Jira's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidationErrorKind {
    UnknownField(String),
    UnsupportedOperator { operator: Operator, field: String },
    ListValue { operator: Operator, value: String, field: String },
    NonListValue { operator: Operator, value: String, field: String },
    EmptyValue { operator: Operator, field: String },
    NonEmptyValue { operator: Operator, field: String },
    EmptyNotSearchable(String),
    Function(FunctionError),
    FunctionNotForField { function: String, field: String },
    InvalidDate { value: String, field: String },
    UnknownValue { value: String, field: String },
    UnsupportedPredicate { operator: Operator, predicate: String },
    PredicateValueCount(PredicateOperator),
    InvalidPredicateDate { value: String, predicate: PredicateOperator },
    PredicateFunctionNotDate { predicate: PredicateOperator, function: String },
    NotOrderable(String),
}

impl fmt::Display for ValidationErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ValidationErrorKind::*;
        match self {
            UnknownField(field) => {
                write!(
                    f,
                    "Field '{field}' does not exist or you do not have permission to view it."
                )
            }
            UnsupportedOperator { operator, field } => {
                write!(
                    f,
                    "The operator '{}' is not supported by the '{field}' field.",
                    operator.display()
                )
            }
            ListValue { operator, value, field } => write!(
                f,
                "Operator '{}' does not support the list value '{value}' for field '{field}'.",
                operator.display()
            ),
            NonListValue { operator, value, field } => write!(
                f,
                "Operator '{}' does not support the non-list value '{value}' for field '{field}'.",
                operator.display()
            ),
            EmptyValue { operator, field } => write!(
                f,
                "Operator '{}' does not support the empty value representation 'EMPTY' for field '{field}'.",
                operator.display()
            ),
            NonEmptyValue { operator, field } => write!(
                f,
                "Operator '{}' does not support searching for non-empty values for field '{field}'.",
                operator.display()
            ),
            EmptyNotSearchable(field) => {
                write!(f, "The field '{field}' does not support searching for EMPTY values.")
            }
            Function(err) => write!(f, "{err}"),
            FunctionNotForField { function, field } => {
                write!(
                    f,
                    "A value provided by the function '{function}' is invalid for the field '{field}'."
                )
            }
            InvalidDate { value, field } => {
                write!(f, "Date value '{value}' for field '{field}' is invalid. {VALID_FORMATS}")
            }
            UnknownValue { value, field } => {
                write!(f, "The value '{value}' does not exist for the field '{field}'.")
            }
            UnsupportedPredicate { operator, predicate } => write!(
                f,
                "The {} operator does not support the use of the {predicate} predicate.",
                operator.enum_name()
            ),
            PredicateValueCount(PredicateOperator::During) => {
                f.write_str("The DURING predicate must be supplied with exactly 2 date values.")
            }
            PredicateValueCount(predicate) => write!(
                f,
                "The {} predicate must be supplied with only 1 date value.",
                predicate.display().to_ascii_uppercase()
            ),
            InvalidPredicateDate { value, predicate } => write!(
                f,
                "Date value '{value}' for predicate '{}' is invalid. {VALID_FORMATS}",
                predicate.display()
            ),
            PredicateFunctionNotDate { predicate, function } => write!(
                f,
                "A date for the predicate '{}' provided by the function '{function}' is not valid.",
                predicate.display()
            ),
            NotOrderable(field) => write!(f, "Not able to sort using field '{field}'."),
        }
    }
}

/// Every problem with the query, in query order; empty when Jira would run it.
pub fn validate(
    query: &Query,
    fields: &FieldCatalogue,
    functions: &FunctionCatalogue,
) -> Vec<ValidationError> {
    let mut v = Validator { fields, functions, errors: Vec::new() };
    if let Some(clause) = &query.clause {
        v.clause(clause);
    }
    for key in &query.order_by {
        match v.field(&key.field) {
            Some(def) if !def.orderable => {
                v.push(ValidationErrorKind::NotOrderable(key.field.display_name()), key.field.span)
            }
            Some(_) => {}
            None => {
                v.push(ValidationErrorKind::UnknownField(field_to_jql(&key.field)), key.field.span)
            }
        }
    }
    v.errors
}

struct Validator<'c> {
    fields: &'c FieldCatalogue,
    functions: &'c FunctionCatalogue,
    errors: Vec<ValidationError>,
}

impl<'c> Validator<'c> {
    fn push(&mut self, kind: ValidationErrorKind, span: Span) {
        self.errors.push(ValidationError { kind, span });
    }

    fn clause(&mut self, clause: &Clause) {
        match clause {
            Clause::And(j) | Clause::Or(j) => j.clauses().iter().for_each(|c| self.clause(c)),
            Clause::Not(inner) => self.clause(inner),
            Clause::Terminal(t) => self.terminal(t),
        }
    }

    /// The field's definition if it exists and takes the brackets written after it.
    fn field(&self, field: &Field) -> Option<&'c FieldDef> {
        let def = self.fields.get(field)?;
        let fits = match (&def.properties, field.properties.as_slice()) {
            (Properties::None, props) => props.is_empty(),
            (Properties::Any, [_]) => true,
            (Properties::Key, [prop]) => prop.path.is_none(),
            (Properties::Keys(keys), [prop]) => keys.iter().any(|(key, paths)| {
                key.eq_ignore_ascii_case(&prop.key)
                    && prop
                        .path
                        .as_ref()
                        .is_some_and(|p| paths.iter().any(|a| a.eq_ignore_ascii_case(p.as_str())))
            }),
            _ => false,
        };
        fits.then_some(def)
    }

    fn terminal(&mut self, clause: &TerminalClause) {
        let span = clause.span;
        let Some(def) = self.field(&clause.field) else {
            let name = if clause.field.properties.is_empty() {
                clause.field.display_name()
            } else {
                field_to_jql(&clause.field)
            };
            return self.push(ValidationErrorKind::UnknownField(name), span);
        };
        let name = clause.field.display_name();
        let operator = clause.operator();
        if let Some(operand) = clause.operand()
            && let Some(kind) = self.usage(operator, operand, &name)
        {
            return self.push(kind, span);
        }
        if !def.operators.contains(operator) {
            return self
                .push(ValidationErrorKind::UnsupportedOperator { operator, field: name }, span);
        }
        if let Some(operand) = clause.operand() {
            if matches!(operator, Operator::Value(_))
                && contains_empty(operand)
                && !def.searches_empty()
            {
                self.push(ValidationErrorKind::EmptyNotSearchable(name.clone()), span);
            }
            let checks_values =
                !matches!(operator, Operator::Value(ValueOperator::Like | ValueOperator::NotLike));
            self.operand(operand, def, &name, checks_values, span);
        }
        let allowed: &[PredicateOperator] = match clause.condition {
            Condition::History { .. } => &[
                PredicateOperator::After,
                PredicateOperator::Before,
                PredicateOperator::By,
                PredicateOperator::During,
                PredicateOperator::On,
            ],
            _ => &[],
        };
        for predicate in clause.predicates() {
            if matches!(clause.condition, Condition::History { .. })
                && !allowed.contains(&predicate.operator)
            {
                let text = format!("{} {}", predicate.operator.display(), predicate.operand);
                self.push(
                    ValidationErrorKind::UnsupportedPredicate { operator, predicate: text },
                    span,
                );
                continue;
            }
            self.predicate(predicate, def, &name, span);
        }
    }

    /// Jira's operator-usage check: the shape of the operand against the operator.
    fn usage(
        &self,
        operator: Operator,
        operand: &Operand,
        field: &str,
    ) -> Option<ValidationErrorKind> {
        let field = field.to_owned();
        let is_op = matches!(operator, Operator::Value(ValueOperator::Is | ValueOperator::IsNot));
        match &operand.kind {
            OperandKind::Empty if !empty_allowed(operator) => {
                return Some(ValidationErrorKind::EmptyValue { operator, field });
            }
            OperandKind::Empty => return None,
            _ if is_op => return Some(ValidationErrorKind::NonEmptyValue { operator, field }),
            _ => {}
        }
        let list = match &operand.kind {
            OperandKind::List(_) => true,
            OperandKind::Function { name, .. } => self.functions.get(name.as_str())?.list,
            _ => false,
        };
        let value = operand.to_string();
        match (list, operator.takes_list()) {
            (true, false) => Some(ValidationErrorKind::ListValue { operator, value, field }),
            (false, true) => Some(ValidationErrorKind::NonListValue { operator, value, field }),
            _ => None,
        }
    }

    fn operand(
        &mut self,
        operand: &Operand,
        def: &FieldDef,
        field: &str,
        check_values: bool,
        span: Span,
    ) {
        match &operand.kind {
            OperandKind::List(items) => items
                .items()
                .iter()
                .for_each(|item| self.operand(item, def, field, check_values, span)),
            OperandKind::Function { name, args } => match self.functions.check(name.as_str(), args)
            {
                Err(err) => self.push(ValidationErrorKind::Function(err), span),
                Ok(function) if !compatible(function.returns, def.value_type) => {
                    let kind = ValidationErrorKind::FunctionNotForField {
                        function: function.name.clone(),
                        field: field.to_owned(),
                    };
                    self.push(kind, span)
                }
                Ok(_) => {}
            },
            OperandKind::String(value) if check_values => match def.value_type {
                ValueType::Date if parse_date(value).is_none() => {
                    let kind = ValidationErrorKind::InvalidDate {
                        value: value.clone(),
                        field: field.to_owned(),
                    };
                    self.push(kind, span)
                }
                ValueType::Boolean
                    if !(value.eq_ignore_ascii_case("true")
                        || value.eq_ignore_ascii_case("false")) =>
                {
                    let kind = ValidationErrorKind::UnknownValue {
                        value: value.clone(),
                        field: field.to_owned(),
                    };
                    self.push(kind, span)
                }
                _ => {}
            },
            OperandKind::Number(n) if check_values && def.value_type == ValueType::Boolean => {
                let kind = ValidationErrorKind::UnknownValue {
                    value: n.to_string(),
                    field: field.to_owned(),
                };
                self.push(kind, span)
            }
            _ => {}
        }
    }

    fn predicate(&mut self, predicate: &Predicate, def: &FieldDef, field: &str, span: Span) {
        let operand = &predicate.operand;
        if operand.kind == OperandKind::Empty {
            return;
        }
        let dated = matches!(
            predicate.operator,
            PredicateOperator::Before
                | PredicateOperator::After
                | PredicateOperator::On
                | PredicateOperator::During
        );
        let mut values = Vec::new();
        flatten(operand, &mut values);
        for value in &values {
            if let OperandKind::Function { name, args } = &value.kind {
                match self.functions.check(name.as_str(), args) {
                    Err(err) => return self.push(ValidationErrorKind::Function(err), span),
                    Ok(function) if dated && function.returns != ValueType::Date => {
                        let kind = ValidationErrorKind::PredicateFunctionNotDate {
                            predicate: predicate.operator,
                            function: function.name.clone(),
                        };
                        return self.push(kind, span);
                    }
                    Ok(_) => {}
                }
            }
        }
        if !dated {
            if matches!(predicate.operator, PredicateOperator::From | PredicateOperator::To) {
                values.iter().for_each(|v| self.operand(v, def, field, true, span));
            }
            return;
        }
        let count_ok = match predicate.operator {
            PredicateOperator::During => values.len() == 2,
            PredicateOperator::Before | PredicateOperator::After => values.len() == 1,
            _ => true,
        };
        if !count_ok {
            self.push(ValidationErrorKind::PredicateValueCount(predicate.operator), span);
        }
        for value in values {
            if let OperandKind::String(text) = &value.kind
                && parse_date(text).is_none()
            {
                let kind = ValidationErrorKind::InvalidPredicateDate {
                    value: text.clone(),
                    predicate: predicate.operator,
                };
                self.push(kind, span);
            }
        }
    }
}

/// Whether `EMPTY` may follow the operator (not after `IN`-style or ordering operators).
fn empty_allowed(operator: Operator) -> bool {
    use ValueOperator as V;
    !matches!(
        operator,
        Operator::Value(
            V::In
                | V::NotIn
                | V::GreaterThan
                | V::GreaterThanEquals
                | V::LessThan
                | V::LessThanEquals
        )
    ) && operator != Operator::History(HistoryOperator::WasIn)
        && operator != Operator::History(HistoryOperator::WasNotIn)
}

fn contains_empty(operand: &Operand) -> bool {
    match &operand.kind {
        OperandKind::Empty => true,
        OperandKind::List(items) => items.items().iter().any(contains_empty),
        _ => false,
    }
}

fn flatten<'a>(operand: &'a Operand, out: &mut Vec<&'a Operand>) {
    match &operand.kind {
        OperandKind::List(items) => items.items().iter().for_each(|item| flatten(item, out)),
        _ => out.push(operand),
    }
}

/// Whether a function's values may stand for a field's (entity properties take anything).
fn compatible(function: ValueType, field: ValueType) -> bool {
    function == field || field == ValueType::Property
}
