//! The flag page's targeting forms, read without IO: individual targets (a list
//! of context keys per variation, replacing the environment's targets), and
//! rules (add one with one clause, delete one, move one up or down). Each reads
//! the posted fields into a new configuration, or gives the form back as typed
//! with what is wrong next to the field it concerns.

use serde_json::Value;
use tether_flags::{
    Clause, EnvConfig, Flag, Op, Rollout, Rule, Serve, Target, ValidationError, WeightedVariation,
};

use crate::web::format::{parse_percent, percent};

/// The operators the rule form offers, as (form value, words).
pub(crate) const OPERATORS: [(&str, &str); 16] = [
    ("in", "is one of"),
    ("equals", "is"),
    ("starts_with", "starts with"),
    ("ends_with", "ends with"),
    ("contains", "contains"),
    ("matches", "matches the regular expression"),
    ("semver_equal", "is version"),
    ("semver_less", "is a version before"),
    ("semver_greater", "is a version after"),
    ("number_equal", "equals the number"),
    ("number_less", "is less than"),
    ("number_less_or_equal", "is at most"),
    ("number_greater", "is greater than"),
    ("number_greater_or_equal", "is at least"),
    ("before", "is before the date"),
    ("after", "is after the date"),
];

/// One percentage input of a rollout, as stored or as typed.
pub(crate) struct WeightInput {
    pub key: String,
    pub value: String,
    pub error: Option<String>,
}

/// Reads a rollout's percentages. On failure the inputs carry their own errors
/// and the message says what is wrong with the whole.
pub(crate) fn read_weights(inputs: &mut [WeightInput]) -> Result<Vec<WeightedVariation>, String> {
    let mut weights = Vec::new();
    for w in inputs.iter_mut() {
        match parse_percent(&w.value) {
            Ok(weight) => weights.push(WeightedVariation { variation: w.key.clone(), weight }),
            Err(e) => w.error = Some(e),
        }
    }
    if inputs.iter().any(|w| w.error.is_some()) {
        return Err("some percentages cannot be read; see below".to_owned());
    }
    let sum: u32 = weights.iter().map(|w| w.weight).sum();
    if sum != tether_flags::TOTAL_WEIGHT {
        return Err(format!("percentages must add up to 100, they add up to {}", percent(sum)));
    }
    Ok(weights)
}

// ---------------------------------------------------------------- targets

/// The context keys one variation is served to, as one text.
pub(crate) struct TargetInput {
    pub variation: String,
    pub value: String,
    pub error: Option<String>,
}

pub(crate) struct TargetsForm {
    pub fields: Vec<TargetInput>,
}

/// A text area per variation, holding the stored keys one per line.
pub(crate) fn stored_targets_form(flag: &Flag, config: &EnvConfig) -> TargetsForm {
    let fields = flag
        .variations
        .iter()
        .map(|v| {
            let keys: Vec<&str> = config
                .targets
                .iter()
                .filter(|t| t.variation == v.key)
                .flat_map(|t| t.keys.iter().map(String::as_str))
                .collect();
            TargetInput { variation: v.key.clone(), value: keys.join("\n"), error: None }
        })
        .collect();
    TargetsForm { fields }
}

/// The targets form as posted (`targets.<variation>`).
pub(crate) fn typed_targets_form(flag: &Flag, fields: &[(String, String)]) -> TargetsForm {
    let fields = flag
        .variations
        .iter()
        .map(|v| TargetInput {
            value: field(fields, &format!("targets.{}", v.key)).unwrap_or_default().to_owned(),
            variation: v.key.clone(),
            error: None,
        })
        .collect();
    TargetsForm { fields }
}

/// Context keys from one text: one per line or separated by commas, trimmed;
/// a key given twice counts once.
pub(crate) fn split_keys(text: &str) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for key in text.split(['\n', ',']).map(str::trim).filter(|k| !k.is_empty()) {
        if !keys.iter().any(|k| k == key) {
            keys.push(key.to_owned());
        }
    }
    keys
}

/// The targets the form asks for, in the flag's variation order.
pub(crate) fn targets_of(form: &TargetsForm) -> Vec<Target> {
    form.fields
        .iter()
        .map(|f| Target { variation: f.variation.clone(), keys: split_keys(&f.value) })
        .filter(|t| !t.keys.is_empty())
        .collect()
}

/// Puts validation errors about `targets` next to their variation's text
/// area; returns whether any was placed.
pub(crate) fn place_target_errors(
    form: &mut TargetsForm,
    targets: &[Target],
    errors: &[ValidationError],
) -> bool {
    let mut placed = false;
    for e in errors {
        let Some(index) = e
            .path
            .strip_prefix("targets[")
            .and_then(|rest| rest.split_once(']'))
            .and_then(|(i, _)| i.parse::<usize>().ok())
        else {
            continue;
        };
        let Some(target) = targets.get(index) else { continue };
        if let Some(input) = form.fields.iter_mut().find(|f| f.variation == target.variation) {
            let problem = e.problem.to_string();
            input.error = Some(match input.error.take() {
                Some(before) => format!("{before}; {problem}"),
                None => problem,
            });
            placed = true;
        }
    }
    placed
}

// ---------------------------------------------------------------- rules

pub(crate) struct OpChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// The add-a-rule form, blank or as typed, with its errors.
pub(crate) struct RuleForm {
    pub description: String,
    pub attribute: String,
    pub attribute_error: Option<String>,
    pub ops: Vec<OpChoice>,
    pub values: String,
    pub values_error: Option<String>,
    pub negate: bool,
    pub rollout: bool,
    pub variation: String,
    pub weights: Vec<WeightInput>,
    pub serve_error: Option<String>,
    /// A problem of the rule as a whole.
    pub error: Option<String>,
}

fn op_choices(selected: &str) -> Vec<OpChoice> {
    OPERATORS
        .iter()
        .map(|&(value, label)| OpChoice { value, label, selected: value == selected })
        .collect()
}

pub(crate) fn blank_rule_form(flag: &Flag) -> RuleForm {
    RuleForm {
        description: String::new(),
        attribute: String::new(),
        attribute_error: None,
        ops: op_choices("in"),
        values: String::new(),
        values_error: None,
        negate: false,
        rollout: false,
        variation: flag.variations.first().map(|v| v.key.clone()).unwrap_or_default(),
        weights: flag
            .variations
            .iter()
            .map(|v| WeightInput { key: v.key.clone(), value: String::new(), error: None })
            .collect(),
        serve_error: None,
        error: None,
    }
}

/// The add-a-rule form as posted.
pub(crate) fn typed_rule_form(flag: &Flag, fields: &[(String, String)]) -> RuleForm {
    let text = |name: &str| field(fields, name).unwrap_or_default().to_owned();
    RuleForm {
        description: text("description"),
        attribute: text("attribute"),
        attribute_error: None,
        ops: op_choices(&text("op")),
        values: text("values"),
        values_error: None,
        negate: field(fields, "negate").is_some_and(|v| v == "true" || v == "on"),
        rollout: field(fields, "mode") == Some("rollout"),
        variation: text("variation"),
        weights: flag
            .variations
            .iter()
            .map(|v| WeightInput {
                value: text(&format!("weight.{}", v.key)),
                key: v.key.clone(),
                error: None,
            })
            .collect(),
        serve_error: None,
        error: None,
    }
}

/// The rule the form describes, appended after the existing rules, or `None`
/// with the form's errors set. Operands are checked by the flag's validation
/// afterwards (regular expressions, versions, dates).
pub(crate) fn rule_from(flag: &Flag, config: &EnvConfig, form: &mut RuleForm) -> Option<Rule> {
    let attribute = form.attribute.trim().to_owned();
    if attribute.is_empty() {
        form.attribute_error =
            Some("name the context attribute to test, such as email or country".to_owned());
    }
    let op = form.ops.iter().find(|o| o.selected).map(|o| o.value);
    let values: Vec<&str> = form.values.lines().map(str::trim).filter(|v| !v.is_empty()).collect();
    let op = match op {
        None => {
            form.values_error = Some("choose an operator".to_owned());
            None
        }
        Some(op) => match operand(op, &values) {
            Ok(op) => Some(op),
            Err(e) => {
                form.values_error = Some(e);
                None
            }
        },
    };
    let serve = if form.rollout {
        match read_weights(&mut form.weights) {
            Ok(variations) => Some(Serve::Rollout(Rollout {
                variations,
                bucket_by: None,
                salt: flag.key.clone(),
            })),
            Err(e) => {
                form.serve_error = Some(e);
                None
            }
        }
    } else if flag.variations.iter().any(|v| v.key == form.variation) {
        Some(Serve::Variation(form.variation.clone()))
    } else {
        form.serve_error = Some("choose one of the flag's variations".to_owned());
        None
    };
    let (Some(op), Some(serve)) = (op, serve) else { return None };
    if form.attribute_error.is_some() {
        return None;
    }
    let mut clause = Clause::attribute(attribute, op);
    clause.negate = form.negate;
    Some(Rule {
        id: new_rule_id(config),
        description: form.description.trim().to_owned(),
        clauses: vec![clause],
        serve,
    })
}

/// `rule-<n>`, the first one not taken.
fn new_rule_id(config: &EnvConfig) -> String {
    (1..)
        .map(|n| format!("rule-{n}"))
        .find(|id| !config.rules.iter().any(|r| r.id == *id))
        .expect("some number is free")
}

/// The operator with its operand(s), read from the values as typed (one per line).
pub(crate) fn operand(op: &str, values: &[&str]) -> Result<Op, String> {
    if values.is_empty() {
        return Err("enter a value".to_owned());
    }
    if op == "in" {
        return Ok(Op::In(values.iter().map(|v| scalar(v)).collect()));
    }
    let [value] = values else {
        return Err(format!(
            "this operator takes one value, not {}; \"is one of\" takes several",
            values.len()
        ));
    };
    let value = *value;
    let number = || {
        value
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| format!("{value:?} is not a number"))
    };
    let date = || match value.parse::<i64>() {
        Ok(ms) => Value::from(ms),
        Err(_) => Value::String(value.to_owned()),
    };
    Ok(match op {
        "equals" => Op::Equals(scalar(value)),
        "starts_with" => Op::StartsWith(value.to_owned()),
        "ends_with" => Op::EndsWith(value.to_owned()),
        "contains" => Op::Contains(value.to_owned()),
        "matches" => Op::Matches(value.to_owned()),
        "semver_equal" => Op::SemverEqual(value.to_owned()),
        "semver_less" => Op::SemverLess(value.to_owned()),
        "semver_greater" => Op::SemverGreater(value.to_owned()),
        "number_equal" => Op::NumberEqual(number()?),
        "number_less" => Op::NumberLess(number()?),
        "number_less_or_equal" => Op::NumberLessOrEqual(number()?),
        "number_greater" => Op::NumberGreater(number()?),
        "number_greater_or_equal" => Op::NumberGreaterOrEqual(number()?),
        "before" => Op::Before(date()),
        "after" => Op::After(date()),
        other => return Err(format!("unknown operator {other:?}")),
    })
}

/// A value to compare with: `true`, `false` and numbers as such, text in double
/// quotes as that text, anything else as it was typed.
fn scalar(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ (Value::Bool(_) | Value::Number(_) | Value::String(_))) => v,
        _ => Value::String(text.to_owned()),
    }
}

/// Puts validation errors about the new rule (at `index`) next to the form's
/// fields; returns whether any was placed.
pub(crate) fn place_rule_errors(
    form: &mut RuleForm,
    index: usize,
    errors: &[ValidationError],
) -> bool {
    let prefix = format!("rules[{index}]");
    let mut placed = false;
    for e in errors {
        let Some(rest) = e.path.strip_prefix(&prefix) else { continue };
        if !(rest.is_empty() || rest.starts_with('.')) {
            continue;
        }
        let slot = if rest.starts_with(".clauses[0].attribute") {
            &mut form.attribute_error
        } else if rest.starts_with(".clauses") {
            &mut form.values_error
        } else if rest.starts_with(".serve") {
            &mut form.serve_error
        } else {
            &mut form.error
        };
        let problem = e.problem.to_string();
        *slot = Some(match slot.take() {
            Some(before) => format!("{before}; {problem}"),
            None => problem,
        });
        placed = true;
    }
    placed
}

/// Removes the rule `id`.
pub(crate) fn delete_rule(config: &mut EnvConfig, id: &str) -> Result<(), String> {
    let index = rule_index(config, id)?;
    config.rules.remove(index);
    Ok(())
}

/// Moves the rule `id` one place `up` (earlier) or down.
pub(crate) fn move_rule(config: &mut EnvConfig, id: &str, direction: &str) -> Result<(), String> {
    let index = rule_index(config, id)?;
    let to = match direction {
        "up" if index == 0 => return Err(format!("rule {id:?} is already the first")),
        "up" => index - 1,
        "down" if index + 1 == config.rules.len() => {
            return Err(format!("rule {id:?} is already the last"));
        }
        "down" => index + 1,
        other => return Err(format!("cannot move a rule {other:?}: up or down")),
    };
    config.rules.swap(index, to);
    Ok(())
}

fn rule_index(config: &EnvConfig, id: &str) -> Result<usize, String> {
    config
        .rules
        .iter()
        .position(|r| r.id == id)
        .ok_or_else(|| format!("there is no rule {id:?} in this environment"))
}

/// A form field's value.
pub(crate) fn field<'f>(fields: &'f [(String, String)], name: &str) -> Option<&'f str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests;
