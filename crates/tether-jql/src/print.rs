//! Renders a syntax tree as canonical JQL that Jira (and [`parse`](crate::parse)) reads back
//! to the same tree: keywords in capitals, single spaces, parentheses only where the tree
//! needs them, and strings quoted exactly when they must be.
//!
//! A string is written bare when it lexes back as one plain unquoted string: no characters
//! that end a word, not a keyword, not a number (a value `"123"` must stay a string), not a
//! reserved word. Otherwise it is put in double quotes with `\"`, `\\`, `\t`, `\n`, `\r` and
//! `\uXXXX` (control characters) escaped.

use std::fmt::Write;

use crate::ast::{
    Clause, Condition, Field, FieldName, Operand, OperandKind, Predicate, Property, Query,
    SortOrder, TerminalClause,
};
use crate::chars::{is_control, is_reserved_word, is_string_char, keyword};

/// The query as canonical JQL.
pub fn to_jql(query: &Query) -> String {
    let mut out = String::with_capacity(64);
    if let Some(clause) = &query.clause {
        write_clause(&mut out, clause);
    }
    if !query.order_by.is_empty() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str("ORDER BY ");
        for (i, key) in query.order_by.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write_field(&mut out, &key.field);
            match key.order {
                Some(SortOrder::Asc) => out.push_str(" ASC"),
                Some(SortOrder::Desc) => out.push_str(" DESC"),
                None => {}
            }
        }
    }
    out
}

/// One clause as canonical JQL.
pub fn clause_to_jql(clause: &Clause) -> String {
    let mut out = String::new();
    write_clause(&mut out, clause);
    out
}

/// A string value as JQL: bare when it reads back as the same string, quoted otherwise.
pub fn encode_value(value: &str) -> String {
    if is_plain_word(value) && !looks_like_number(value) { value.to_owned() } else { quote(value) }
}

/// A field name, function name, function argument or property key as JQL: bare when it
/// reads back as the same text (numbers may stay bare here), quoted otherwise.
pub fn encode_name(name: &str) -> String {
    if is_plain_word(name) || looks_like_number(name) { name.to_owned() } else { quote(name) }
}

/// Always in double quotes, with the escapes Jira reads.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if is_control(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_plain_word(text: &str) -> bool {
    !text.is_empty()
        && text.chars().all(is_string_char)
        && keyword(text).is_none()
        && !is_reserved_word(text)
        && !looks_like_number(text)
}

/// Digits, or a minus and digits: what the lexer reads as a number.
fn looks_like_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn write_clause(out: &mut String, clause: &Clause) {
    match clause {
        Clause::And(junction) => {
            for (i, child) in junction.clauses().iter().enumerate() {
                if i > 0 {
                    out.push_str(" AND ");
                }
                write_grouped(out, child, matches!(child, Clause::And(_) | Clause::Or(_)));
            }
        }
        Clause::Or(junction) => {
            for (i, child) in junction.clauses().iter().enumerate() {
                if i > 0 {
                    out.push_str(" OR ");
                }
                write_grouped(out, child, matches!(child, Clause::Or(_)));
            }
        }
        Clause::Not(inner) => {
            out.push_str("NOT ");
            write_grouped(out, inner, matches!(**inner, Clause::And(_) | Clause::Or(_)));
        }
        Clause::Terminal(terminal) => write_terminal(out, terminal),
    }
}

fn write_grouped(out: &mut String, clause: &Clause, parens: bool) {
    if parens {
        out.push('(');
        write_clause(out, clause);
        out.push(')');
    } else {
        write_clause(out, clause);
    }
}

fn write_terminal(out: &mut String, clause: &TerminalClause) {
    write_field(out, &clause.field);
    out.push(' ');
    out.push_str(clause.operator().jql());
    match &clause.condition {
        Condition::Value { operand, .. } => {
            out.push(' ');
            write_operand(out, operand);
        }
        Condition::History { operand, predicates, .. } => {
            out.push(' ');
            write_operand(out, operand);
            write_predicates(out, predicates);
        }
        Condition::Changed { predicates } => write_predicates(out, predicates),
    }
}

fn write_predicates(out: &mut String, predicates: &[Predicate]) {
    for predicate in predicates {
        out.push(' ');
        out.push_str(&predicate.operator.display().to_ascii_uppercase());
        out.push(' ');
        write_operand(out, &predicate.operand);
    }
}

/// A field as JQL.
pub fn field_to_jql(field: &Field) -> String {
    let mut out = String::new();
    write_field(&mut out, field);
    out
}

fn write_field(out: &mut String, field: &Field) {
    match &field.name {
        // A number followed by brackets would not read back as a field with properties.
        FieldName::Named(name)
            if !field.properties.is_empty() && looks_like_number(name.as_str()) =>
        {
            out.push_str(&quote(name.as_str()))
        }
        FieldName::Named(name) => out.push_str(&encode_name(name.as_str())),
        FieldName::Custom(id) => {
            let _ = write!(out, "cf[{}]", id.get());
        }
    }
    for Property { key, path } in &field.properties {
        out.push('[');
        out.push_str(&encode_name(key));
        out.push(']');
        if let Some(path) = path {
            let dotted = format!(".{}", path.as_str());
            if dotted.chars().all(is_string_char) {
                out.push_str(&dotted)
            } else {
                out.push_str(&quote(&dotted))
            }
        }
    }
}

fn write_operand(out: &mut String, operand: &Operand) {
    match &operand.kind {
        OperandKind::Empty => out.push_str("EMPTY"),
        OperandKind::String(s) => out.push_str(&encode_value(s)),
        OperandKind::Number(n) => {
            let _ = write!(out, "{n}");
        }
        OperandKind::List(items) => {
            out.push('(');
            for (i, item) in items.items().iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_operand(out, item);
            }
            out.push(')');
        }
        OperandKind::Function { name, args } => {
            out.push_str(&encode_name(name.as_str()));
            out.push('(');
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&encode_name(arg));
            }
            out.push(')');
        }
    }
}

impl std::fmt::Display for Query {
    /// Canonical JQL, as [`to_jql`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&to_jql(self))
    }
}
