//! The persisted format (v1) of flags, environment configurations and segments:
//! JSON documents in the `body` columns. The store owns this format; the domain
//! types in `tether-flags` derive nothing, so this mirror converts both ways.
//! Changing it needs a migration of the stored documents.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tether_flags as f;

#[derive(Serialize, Deserialize)]
pub(crate) struct FlagDoc {
    name: String,
    #[serde(default)]
    description: String,
    kind: String,
    variations: Vec<VariationDoc>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    custom_properties: BTreeMap<String, PropertyDoc>,
}

#[derive(Serialize, Deserialize)]
struct VariationDoc {
    key: String,
    #[serde(default)]
    name: String,
    value: Value,
}

#[derive(Serialize, Deserialize)]
struct PropertyDoc {
    name: String,
    values: Vec<String>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct ConfigDoc {
    on: bool,
    off_variation: String,
    #[serde(default)]
    targets: Vec<TargetDoc>,
    #[serde(default)]
    rules: Vec<RuleDoc>,
    default_rule: ServeDoc,
}

#[derive(Serialize, Deserialize)]
struct TargetDoc {
    variation: String,
    keys: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct RuleDoc {
    id: String,
    #[serde(default)]
    description: String,
    clauses: Vec<ClauseDoc>,
    serve: ServeDoc,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ServeDoc {
    Variation(String),
    Rollout { variations: Vec<WeightDoc>, bucket_by: Option<String>, salt: String },
}

#[derive(Serialize, Deserialize)]
struct WeightDoc {
    variation: String,
    weight: u32,
}

#[derive(Serialize, Deserialize)]
struct ClauseDoc {
    #[serde(flatten)]
    test: TestDoc,
    #[serde(default)]
    negate: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum TestDoc {
    Attribute { attribute: String, op: String, value: Value },
    Segments { segments: Vec<String> },
}

#[derive(Serialize, Deserialize)]
pub(crate) struct SegmentDoc {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    included: Vec<String>,
    #[serde(default)]
    excluded: Vec<String>,
    #[serde(default)]
    rules: Vec<SegmentRuleDoc>,
}

#[derive(Serialize, Deserialize)]
struct SegmentRuleDoc {
    id: String,
    clauses: Vec<ClauseDoc>,
}

/// A stored document that does not read back: only a bug or a hand edit does that.
#[derive(Debug)]
pub(crate) struct Damaged(pub String);

pub(crate) fn flag_to_json(flag: &f::Flag) -> String {
    let doc = FlagDoc {
        name: flag.name.clone(),
        description: flag.description.clone(),
        kind: flag.kind.as_str().to_owned(),
        variations: flag
            .variations
            .iter()
            .map(|v| VariationDoc {
                key: v.key.clone(),
                name: v.name.clone(),
                value: v.value.clone(),
            })
            .collect(),
        tags: flag.tags.clone(),
        custom_properties: flag
            .custom_properties
            .iter()
            .map(|(k, p)| {
                (k.clone(), PropertyDoc { name: p.name.clone(), values: p.values.clone() })
            })
            .collect(),
    };
    serde_json::to_string(&doc).expect("a flag document always serialises")
}

pub(crate) fn flag_from_json(key: &str, text: &str) -> Result<f::Flag, Damaged> {
    let doc: FlagDoc = serde_json::from_str(text).map_err(|e| Damaged(e.to_string()))?;
    let kind =
        kind_from_str(&doc.kind).ok_or_else(|| Damaged(format!("unknown kind {:?}", doc.kind)))?;
    Ok(f::Flag {
        key: key.to_owned(),
        name: doc.name,
        description: doc.description,
        kind,
        variations: doc
            .variations
            .into_iter()
            .map(|v| f::Variation { key: v.key, name: v.name, value: v.value })
            .collect(),
        tags: doc.tags,
        custom_properties: doc
            .custom_properties
            .into_iter()
            .map(|(k, p)| (k, f::CustomProperty { name: p.name, values: p.values }))
            .collect(),
    })
}

pub(crate) fn kind_from_str(s: &str) -> Option<f::FlagKind> {
    [f::FlagKind::Boolean, f::FlagKind::String, f::FlagKind::Number, f::FlagKind::Json]
        .into_iter()
        .find(|k| k.as_str() == s)
}

pub(crate) fn config_to_json(c: &f::EnvConfig) -> String {
    let doc = ConfigDoc {
        on: c.on,
        off_variation: c.off_variation.clone(),
        targets: c
            .targets
            .iter()
            .map(|t| TargetDoc { variation: t.variation.clone(), keys: t.keys.clone() })
            .collect(),
        rules: c
            .rules
            .iter()
            .map(|r| RuleDoc {
                id: r.id.clone(),
                description: r.description.clone(),
                clauses: r.clauses.iter().map(clause_doc).collect(),
                serve: serve_doc(&r.serve),
            })
            .collect(),
        default_rule: serve_doc(&c.default_rule),
    };
    serde_json::to_string(&doc).expect("a configuration document always serialises")
}

pub(crate) fn config_from_json(text: &str) -> Result<f::EnvConfig, Damaged> {
    let doc: ConfigDoc = serde_json::from_str(text).map_err(|e| Damaged(e.to_string()))?;
    Ok(f::EnvConfig {
        on: doc.on,
        off_variation: doc.off_variation,
        targets: doc
            .targets
            .into_iter()
            .map(|t| f::Target { variation: t.variation, keys: t.keys })
            .collect(),
        rules: doc
            .rules
            .into_iter()
            .map(|r| {
                Ok(f::Rule {
                    id: r.id,
                    description: r.description,
                    clauses: r.clauses.into_iter().map(clause).collect::<Result<_, _>>()?,
                    serve: serve(r.serve),
                })
            })
            .collect::<Result<_, Damaged>>()?,
        default_rule: serve(doc.default_rule),
    })
}

pub(crate) fn segment_to_json(s: &f::Segment) -> String {
    let doc = SegmentDoc {
        name: s.name.clone(),
        description: s.description.clone(),
        included: s.included.clone(),
        excluded: s.excluded.clone(),
        rules: s
            .rules
            .iter()
            .map(|r| SegmentRuleDoc {
                id: r.id.clone(),
                clauses: r.clauses.iter().map(clause_doc).collect(),
            })
            .collect(),
    };
    serde_json::to_string(&doc).expect("a segment document always serialises")
}

pub(crate) fn segment_from_json(key: &str, text: &str) -> Result<f::Segment, Damaged> {
    let doc: SegmentDoc = serde_json::from_str(text).map_err(|e| Damaged(e.to_string()))?;
    Ok(f::Segment {
        key: key.to_owned(),
        name: doc.name,
        description: doc.description,
        included: doc.included,
        excluded: doc.excluded,
        rules: doc
            .rules
            .into_iter()
            .map(|r| {
                Ok(f::SegmentRule {
                    id: r.id,
                    clauses: r.clauses.into_iter().map(clause).collect::<Result<_, _>>()?,
                })
            })
            .collect::<Result<_, Damaged>>()?,
    })
}

fn serve_doc(s: &f::Serve) -> ServeDoc {
    match s {
        f::Serve::Variation(v) => ServeDoc::Variation(v.clone()),
        f::Serve::Rollout(r) => ServeDoc::Rollout {
            variations: r
                .variations
                .iter()
                .map(|w| WeightDoc { variation: w.variation.clone(), weight: w.weight })
                .collect(),
            bucket_by: r.bucket_by.clone(),
            salt: r.salt.clone(),
        },
    }
}

fn serve(s: ServeDoc) -> f::Serve {
    match s {
        ServeDoc::Variation(v) => f::Serve::Variation(v),
        ServeDoc::Rollout { variations, bucket_by, salt } => f::Serve::Rollout(f::Rollout {
            variations: variations
                .into_iter()
                .map(|w| f::WeightedVariation { variation: w.variation, weight: w.weight })
                .collect(),
            bucket_by,
            salt,
        }),
    }
}

/// Operator names, shared by both directions so they cannot drift apart.
const OPS: [&str; 16] = [
    "equals",
    "in",
    "starts_with",
    "ends_with",
    "contains",
    "matches",
    "semver_equal",
    "semver_less",
    "semver_greater",
    "number_equal",
    "number_less",
    "number_less_or_equal",
    "number_greater",
    "number_greater_or_equal",
    "before",
    "after",
];

fn clause_doc(c: &f::Clause) -> ClauseDoc {
    let test = match &c.test {
        f::Test::InSegment(segments) => TestDoc::Segments { segments: segments.clone() },
        f::Test::Attribute { attribute, op } => {
            let (i, value) = match op {
                f::Op::Equals(v) => (0, v.clone()),
                f::Op::In(vs) => (1, Value::Array(vs.clone())),
                f::Op::StartsWith(s) => (2, Value::from(s.as_str())),
                f::Op::EndsWith(s) => (3, Value::from(s.as_str())),
                f::Op::Contains(s) => (4, Value::from(s.as_str())),
                f::Op::Matches(s) => (5, Value::from(s.as_str())),
                f::Op::SemverEqual(s) => (6, Value::from(s.as_str())),
                f::Op::SemverLess(s) => (7, Value::from(s.as_str())),
                f::Op::SemverGreater(s) => (8, Value::from(s.as_str())),
                f::Op::NumberEqual(n) => (9, Value::from(*n)),
                f::Op::NumberLess(n) => (10, Value::from(*n)),
                f::Op::NumberLessOrEqual(n) => (11, Value::from(*n)),
                f::Op::NumberGreater(n) => (12, Value::from(*n)),
                f::Op::NumberGreaterOrEqual(n) => (13, Value::from(*n)),
                f::Op::Before(v) => (14, v.clone()),
                f::Op::After(v) => (15, v.clone()),
            };
            TestDoc::Attribute { attribute: attribute.clone(), op: OPS[i].to_owned(), value }
        }
    };
    ClauseDoc { test, negate: c.negate }
}

fn clause(doc: ClauseDoc) -> Result<f::Clause, Damaged> {
    let test = match doc.test {
        TestDoc::Segments { segments } => f::Test::InSegment(segments),
        TestDoc::Attribute { attribute, op, value } => {
            f::Test::Attribute { op: op_from(&op, value)?, attribute }
        }
    };
    Ok(f::Clause { test, negate: doc.negate })
}

/// Builds an operator from its persisted name and operand.
fn op_from(name: &str, value: Value) -> Result<f::Op, Damaged> {
    let damaged = || Damaged(format!("operator {name:?} with operand {value}"));
    let text = || value.as_str().map(str::to_owned).ok_or_else(damaged);
    let number = || value.as_f64().ok_or_else(damaged);
    Ok(match name {
        "equals" => f::Op::Equals(value),
        "in" => match value {
            Value::Array(vs) => f::Op::In(vs),
            _ => return Err(damaged()),
        },
        "starts_with" => f::Op::StartsWith(text()?),
        "ends_with" => f::Op::EndsWith(text()?),
        "contains" => f::Op::Contains(text()?),
        "matches" => f::Op::Matches(text()?),
        "semver_equal" => f::Op::SemverEqual(text()?),
        "semver_less" => f::Op::SemverLess(text()?),
        "semver_greater" => f::Op::SemverGreater(text()?),
        "number_equal" => f::Op::NumberEqual(number()?),
        "number_less" => f::Op::NumberLess(number()?),
        "number_less_or_equal" => f::Op::NumberLessOrEqual(number()?),
        "number_greater" => f::Op::NumberGreater(number()?),
        "number_greater_or_equal" => f::Op::NumberGreaterOrEqual(number()?),
        "before" => f::Op::Before(value),
        "after" => f::Op::After(value),
        _ => return Err(damaged()),
    })
}

#[cfg(test)]
mod tests;
