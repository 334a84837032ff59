//! JQL on indexed issue properties: `issue.property[<key>].<path> <op> <value>` and the alias
//! an app declared for it, compared as the extraction's type says (numbers and dates by
//! range, strings exactly, text by words, users by who they are). Only what an installed app
//! declared is searchable; anything else is Jira's "does not exist" error.

use std::cmp::Ordering;

use serde_json::Value;

use super::eval::{
    Caller, Matcher, TextQuery, comparison, date_value, no_such_field, operand_text, operands,
    unsupported,
};
use super::{Clause, JqlError, Op, Operand};
use crate::state::{Extraction, IndexType, State, values_at};
use crate::time::{parse_jira_timestamp, parse_jql_date};

/// A matcher for `c` when its field is an indexed property (by path or alias); `None` when it
/// names no property, so the caller goes on with the built-in fields.
pub(super) fn clause(
    c: &Clause,
    state: &State,
    caller: Caller,
) -> Option<Result<Matcher, JqlError>> {
    let name = c.field.as_str();
    let extractions = state.property_extractions();
    let found = match parse_path(name) {
        Some((key, path)) => {
            let e = extractions.into_iter().find(|e| e.property_key == key && e.path == path);
            Some(e.ok_or_else(|| no_such_field(name)))
        }
        None => extractions
            .into_iter()
            .find(|e| e.alias.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(name)))
            .map(Ok),
    }?;
    Some(found.and_then(|e| matcher(&e, c, state, caller)))
}

/// `issue.property[tether.flags].flags` → (`tether.flags`, `flags`).
fn parse_path(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("issue.property[")?;
    let (key, path) = rest.split_once("].")?;
    (!key.is_empty() && !path.is_empty()).then_some((key, path))
}

fn matcher(e: &Extraction, c: &Clause, state: &State, caller: Caller) -> Result<Matcher, JqlError> {
    let name = c.field.clone();
    let op = match (c.op, &c.operand) {
        (Op::Eq, Operand::Empty) => Op::Is,
        (Op::Ne, Operand::Empty) => Op::IsNot,
        (op, _) => op,
    };
    let key = e.property_key.clone();
    let path: Vec<String> = e.path.split('.').map(str::to_owned).collect();
    let extract = move |i: &crate::state::Issue| -> Vec<Value> {
        let Some(v) = i.properties.get(&key) else { return Vec::new() };
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        let mut out = Vec::new();
        values_at(v, &path, &mut out);
        out.into_iter().cloned().collect()
    };
    if matches!(op, Op::Is | Op::IsNot) {
        if !matches!(c.operand, Operand::Empty) {
            return Err(JqlError(format!(
                "The operator '{}' only supports searching for EMPTY values.",
                op.symbol()
            )));
        }
        let want_empty = op == Op::Is;
        return Ok(Box::new(move |_s, i| extract(i).is_empty() == want_empty));
    }
    let negate = matches!(op, Op::Ne | Op::NotIn | Op::NotLike);
    match e.kind {
        IndexType::Text => {
            if !matches!(op, Op::Like | Op::NotLike) {
                return Err(unsupported(op, &name));
            }
            let q = match &c.operand {
                Operand::Word(s) | Operand::Quoted(s) => s.clone(),
                _ => return Err(unsupported(op, &name)),
            };
            let needle = TextQuery::new(&q).ok_or_else(|| {
                JqlError(format!(
                    "The field '{name}' does not support searching for an empty string."
                ))
            })?;
            Ok(Box::new(move |_s, i| {
                // Negative operators never match an issue without a value, as in Jira.
                let values = extract(i);
                !values.is_empty() && values.iter().any(|v| needle.matches(&as_text(v))) != negate
            }))
        }
        IndexType::String | IndexType::User => {
            if !matches!(op, Op::Eq | Op::Ne | Op::In | Op::NotIn) {
                return Err(unsupported(op, &name));
            }
            let mut wanted: Vec<String> = Vec::new();
            for o in operands(&c.operand) {
                wanted.extend(match (e.kind, o) {
                    (IndexType::User, Operand::Function(f, _))
                        if f.eq_ignore_ascii_case("currentUser") =>
                    {
                        user_names(state, caller.user)
                    }
                    (IndexType::User, o) => {
                        let text = operand_text(o, &name)?;
                        match state.find_user(&text) {
                            Some(u) => user_names(state, u),
                            None => vec![text],
                        }
                    }
                    (_, o) => vec![operand_text(o, &name)?],
                });
            }
            Ok(Box::new(move |_s, i| {
                let values = extract(i);
                if values.is_empty() {
                    return false;
                }
                values.iter().any(|v| wanted.contains(&as_text(v))) != negate
            }))
        }
        IndexType::Number => {
            let targets = operands(&c.operand)
                .iter()
                .map(|o| {
                    let text = operand_text(o, &name)?;
                    text.parse::<f64>().map_err(|_| {
                        JqlError(format!("The value '{text}' for field '{name}' is not a number."))
                    })
                })
                .collect::<Result<Vec<f64>, _>>()?;
            ranged(op, &name, targets, move |i| extract(i).iter().filter_map(as_number).collect())
        }
        IndexType::Date => {
            let targets: Vec<f64> = operands(&c.operand)
                .iter()
                .map(|o| date_value(o, &name, caller).map(|ms| ms as f64))
                .collect::<Result<_, _>>()?;
            ranged(op, &name, targets, move |i| extract(i).iter().filter_map(as_date).collect())
        }
    }
}

/// Equality, membership and ranges over numbers (dates as epoch milliseconds).
fn ranged(
    op: Op,
    name: &str,
    targets: Vec<f64>,
    values: impl Fn(&crate::state::Issue) -> Vec<f64> + Send + Sync + 'static,
) -> Result<Matcher, JqlError> {
    let cmp = comparison(op, name)?;
    if let Some(cmp) = cmp {
        let [t] = targets[..] else { return Err(unsupported(op, name)) };
        return Ok(Box::new(move |_s, i| {
            values(i).iter().any(|v| v.partial_cmp(&t).is_some_and(cmp))
        }));
    }
    let negate = matches!(op, Op::Ne | Op::NotIn);
    Ok(Box::new(move |_s, i| {
        let vs = values(i);
        if vs.is_empty() {
            return false;
        }
        vs.iter().any(|v| targets.iter().any(|t| v.partial_cmp(t) == Some(Ordering::Equal)))
            != negate
    }))
}

/// How a string index sees a JSON value.
fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn as_number(v: &Value) -> Option<f64> {
    v.as_f64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// A date as properties hold them: Jira timestamps, RFC 3339, `yyyy-MM-dd[THH:mm:ss]` (UTC),
/// or epoch milliseconds.
fn as_date(v: &Value) -> Option<f64> {
    if let Some(n) = v.as_i64() {
        return Some(n as f64);
    }
    let s = v.as_str()?;
    parse_jira_timestamp(s)
        .or_else(|| parse_jira_timestamp(&format!("{s}Z")))
        .or_else(|| parse_jql_date(s.get(..10)?, 0, 0))
        .map(|ms| ms as f64)
}

/// The ways a user can appear in a property: accountId, name, key, email.
fn user_names(state: &State, u: usize) -> Vec<String> {
    let user = &state.users[u];
    vec![user.account_id.clone(), user.spec.name.clone(), user.key.clone(), user.spec.email.clone()]
}
