//! Reading request bodies as Jira reads them: rich text per API version, user references per
//! flavour, labels and issue types, with field errors collected and reported together.

use serde_json::Value;

use super::{ApiError, Ctx};
use crate::state::{State as World, UserIdx};
use crate::text::{Body, is_adf_doc};

/// Reads a rich-text value as this API version expects it: ADF on v3, a string on v2.
pub(crate) fn read_body(ctx: &Ctx, field: &str, v: &Value) -> Result<Option<Body>, ApiError> {
    match v {
        Value::Null => Ok(None),
        Value::Object(_) if ctx.v3 && is_adf_doc(v) => Ok(Some(Body::Adf(v.clone()))),
        Value::String(s) if !ctx.v3 => Ok(Some(Body::Wiki(s.clone()))),
        _ if ctx.v3 => Err(ApiError::field(
            field,
            "Operation value must be an Atlassian Document (see the Atlassian Document Format)",
        )),
        _ => Err(ApiError::field(field, "Operation value must be a string")),
    }
}

/// A user reference as each flavour sends one: `{"accountId"}` on Cloud, `{"name"}` or
/// `{"key"}` on Data Center. `Ok(None)` is an explicit null (unassign).
pub(crate) fn read_user(
    ctx: &Ctx,
    state: &World,
    field: &str,
    v: &Value,
) -> Result<Option<UserIdx>, ApiError> {
    if v.is_null() {
        return Ok(None);
    }
    let found = if ctx.cloud() {
        v.get("accountId")
            .and_then(Value::as_str)
            .and_then(|id| state.users.iter().position(|u| u.account_id == id))
    } else {
        let by_name = v.get("name").and_then(Value::as_str).and_then(|n| state.user_by_name(n));
        by_name.or_else(|| {
            v.get("key")
                .and_then(Value::as_str)
                .and_then(|k| state.users.iter().position(|u| u.key == k))
        })
    };
    found
        .map(Some)
        .ok_or_else(|| ApiError::field(field, format!("Specify a valid value for {field}")))
}

pub(crate) fn read_labels(v: &Value) -> Result<Vec<String>, ApiError> {
    let arr = v.as_array().ok_or_else(|| ApiError::field("labels", "Labels must be a list."))?;
    let mut out = Vec::new();
    for l in arr {
        let s = l.as_str().ok_or_else(|| ApiError::field("labels", "Labels must be strings."))?;
        if s.contains(char::is_whitespace) {
            return Err(ApiError::field(
                "labels",
                format!("The label '{s}' contains spaces which is invalid."),
            ));
        }
        if !out.iter().any(|x: &String| x == s) {
            out.push(s.to_owned());
        }
    }
    Ok(out)
}

pub(crate) fn read_issue_type(state: &World, project: usize, v: &Value) -> Result<usize, ApiError> {
    let wanted = |t: &crate::state::IssueType| {
        v.get("id").and_then(Value::as_str) == Some(&t.id.to_string())
            || v.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(&t.name))
    };
    state.projects[project]
        .issue_types
        .iter()
        .copied()
        .find(|&t| wanted(&state.issue_types[t]))
        .ok_or_else(|| ApiError::field("issuetype", "Specify a valid issue type"))
}

/// Keeps a value, or adds its field errors to the ones reported together.
pub(crate) fn collect<T>(errors: &mut Vec<(String, String)>, r: Result<T, ApiError>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(ApiError::FieldErrors(e)) => {
            errors.extend(e);
            None
        }
        Err(_) => None,
    }
}

/// A priority as `{"name"}` or `{"id"}`.
pub(crate) fn read_priority(state: &World, v: &Value) -> Result<usize, ApiError> {
    v.get("id")
        .or_else(|| v.get("name"))
        .and_then(Value::as_str)
        .and_then(|p| state.priority_by_name_or_id(p))
        .ok_or_else(|| ApiError::field("priority", "The priority selected is invalid."))
}
