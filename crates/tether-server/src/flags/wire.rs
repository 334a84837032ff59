//! The admin API's JSON for flags, configurations and segments (snake_case,
//! like the rest of the API), and conversions to and from `tether-flags`.
//! Field names match the paths `tether-flags` validation reports, so a 422
//! names the field the client sent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tether_flags as f;
use tether_store::{EnvConfigState, FlagState, SegmentState};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Kind {
    Boolean,
    String,
    Number,
    Json,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FlagBody {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub kind: Kind,
    pub variations: Vec<VariationWire>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub custom_properties: BTreeMap<String, PropertyWire>,
    /// The version this change is based on (or send `If-Match`).
    #[serde(default, skip_serializing)]
    pub version: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VariationWire {
    pub key: String,
    #[serde(default)]
    pub name: String,
    pub value: Value,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PropertyWire {
    pub name: String,
    pub values: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigBody {
    pub on: bool,
    pub off_variation: String,
    #[serde(default)]
    pub targets: Vec<TargetWire>,
    #[serde(default)]
    pub rules: Vec<RuleWire>,
    pub default_rule: ServeWire,
    /// The version this change is based on (or send `If-Match`).
    #[serde(default, skip_serializing)]
    pub version: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TargetWire {
    pub variation: String,
    pub keys: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleWire {
    pub id: String,
    #[serde(default)]
    pub description: String,
    pub clauses: Vec<ClauseWire>,
    pub serve: ServeWire,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum ServeWire {
    Variation(String),
    Rollout(RolloutWire),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RolloutWire {
    /// Weights in thousandths of a percent: they add up to 100000.
    pub variations: Vec<WeightWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_by: Option<String>,
    #[serde(default)]
    pub salt: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WeightWire {
    pub variation: String,
    pub weight: u32,
}

/// A clause: `{attribute, op, value, negate?}` or `{segments, negate?}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum ClauseWire {
    Attribute {
        attribute: String,
        op: OpName,
        value: Value,
        #[serde(default)]
        negate: bool,
    },
    Segments {
        segments: Vec<String>,
        #[serde(default)]
        negate: bool,
    },
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OpName {
    Equals,
    In,
    StartsWith,
    EndsWith,
    Contains,
    Matches,
    SemverEqual,
    SemverLess,
    SemverGreater,
    NumberEqual,
    NumberLess,
    NumberLessOrEqual,
    NumberGreater,
    NumberGreaterOrEqual,
    Before,
    After,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SegmentBody {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub included: Vec<String>,
    #[serde(default)]
    pub excluded: Vec<String>,
    #[serde(default)]
    pub rules: Vec<SegmentRuleWire>,
    #[serde(default, skip_serializing)]
    pub version: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SegmentRuleWire {
    pub id: String,
    pub clauses: Vec<ClauseWire>,
}

#[derive(Debug, Serialize)]
pub(crate) struct FlagView {
    #[serde(flatten)]
    pub flag: FlagBody,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub updated_by: String,
    pub environments: Vec<ConfigView>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ConfigView {
    pub env: String,
    #[serde(flatten)]
    pub config: ConfigBody,
    pub version: i64,
    pub updated_at: i64,
    pub updated_by: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct SegmentView {
    #[serde(flatten)]
    pub segment: SegmentBody,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub updated_by: String,
}

/// A value an operator reads that is not of the type it needs.
#[derive(Debug)]
pub(crate) struct BadOperand {
    pub op: OpName,
    pub expected: &'static str,
}

impl From<Kind> for f::FlagKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Boolean => f::FlagKind::Boolean,
            Kind::String => f::FlagKind::String,
            Kind::Number => f::FlagKind::Number,
            Kind::Json => f::FlagKind::Json,
        }
    }
}

fn kind_wire(k: f::FlagKind) -> Kind {
    match k {
        f::FlagKind::Boolean => Kind::Boolean,
        f::FlagKind::String => Kind::String,
        f::FlagKind::Number => Kind::Number,
        f::FlagKind::Json => Kind::Json,
    }
}

impl FlagBody {
    pub fn to_domain(&self) -> f::Flag {
        f::Flag {
            key: self.key.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            kind: self.kind.into(),
            variations: self
                .variations
                .iter()
                .map(|v| f::Variation {
                    key: v.key.clone(),
                    name: v.name.clone(),
                    value: v.value.clone(),
                })
                .collect(),
            tags: self.tags.clone(),
            custom_properties: self
                .custom_properties
                .iter()
                .map(|(k, p)| {
                    (
                        k.clone(),
                        f::CustomProperty { name: p.name.clone(), values: p.values.clone() },
                    )
                })
                .collect(),
        }
    }

    pub fn from_domain(flag: &f::Flag) -> FlagBody {
        FlagBody {
            key: flag.key.clone(),
            name: flag.name.clone(),
            description: flag.description.clone(),
            kind: kind_wire(flag.kind),
            variations: flag
                .variations
                .iter()
                .map(|v| VariationWire {
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
                    (k.clone(), PropertyWire { name: p.name.clone(), values: p.values.clone() })
                })
                .collect(),
            version: None,
        }
    }
}

impl ConfigBody {
    pub fn to_domain(&self) -> Result<f::EnvConfig, (String, BadOperand)> {
        let rules = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                Ok(f::Rule {
                    id: r.id.clone(),
                    description: r.description.clone(),
                    clauses: clauses_to_domain(&r.clauses, &format!("rules[{i}]"))?,
                    serve: r.serve.to_domain(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(f::EnvConfig {
            on: self.on,
            off_variation: self.off_variation.clone(),
            targets: self
                .targets
                .iter()
                .map(|t| f::Target { variation: t.variation.clone(), keys: t.keys.clone() })
                .collect(),
            rules,
            default_rule: self.default_rule.to_domain(),
        })
    }

    pub fn from_domain(c: &f::EnvConfig) -> ConfigBody {
        ConfigBody {
            on: c.on,
            off_variation: c.off_variation.clone(),
            targets: c
                .targets
                .iter()
                .map(|t| TargetWire { variation: t.variation.clone(), keys: t.keys.clone() })
                .collect(),
            rules: c
                .rules
                .iter()
                .map(|r| RuleWire {
                    id: r.id.clone(),
                    description: r.description.clone(),
                    clauses: r.clauses.iter().map(clause_wire).collect(),
                    serve: ServeWire::from_domain(&r.serve),
                })
                .collect(),
            default_rule: ServeWire::from_domain(&c.default_rule),
            version: None,
        }
    }
}

impl ServeWire {
    fn to_domain(&self) -> f::Serve {
        match self {
            ServeWire::Variation(v) => f::Serve::Variation(v.clone()),
            ServeWire::Rollout(r) => f::Serve::Rollout(f::Rollout {
                variations: r
                    .variations
                    .iter()
                    .map(|w| f::WeightedVariation {
                        variation: w.variation.clone(),
                        weight: w.weight,
                    })
                    .collect(),
                bucket_by: r.bucket_by.clone(),
                salt: r.salt.clone(),
            }),
        }
    }

    fn from_domain(s: &f::Serve) -> ServeWire {
        match s {
            f::Serve::Variation(v) => ServeWire::Variation(v.clone()),
            f::Serve::Rollout(r) => ServeWire::Rollout(RolloutWire {
                variations: r
                    .variations
                    .iter()
                    .map(|w| WeightWire { variation: w.variation.clone(), weight: w.weight })
                    .collect(),
                bucket_by: r.bucket_by.clone(),
                salt: r.salt.clone(),
            }),
        }
    }
}

impl SegmentBody {
    pub fn to_domain(&self) -> Result<f::Segment, (String, BadOperand)> {
        Ok(f::Segment {
            key: self.key.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            included: self.included.clone(),
            excluded: self.excluded.clone(),
            rules: self
                .rules
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    Ok(f::SegmentRule {
                        id: r.id.clone(),
                        clauses: clauses_to_domain(&r.clauses, &format!("rules[{i}]"))?,
                    })
                })
                .collect::<Result<_, _>>()?,
        })
    }

    pub fn from_domain(s: &f::Segment) -> SegmentBody {
        SegmentBody {
            key: s.key.clone(),
            name: s.name.clone(),
            description: s.description.clone(),
            included: s.included.clone(),
            excluded: s.excluded.clone(),
            rules: s
                .rules
                .iter()
                .map(|r| SegmentRuleWire {
                    id: r.id.clone(),
                    clauses: r.clauses.iter().map(clause_wire).collect(),
                })
                .collect(),
            version: None,
        }
    }
}

fn clauses_to_domain(
    clauses: &[ClauseWire],
    at: &str,
) -> Result<Vec<f::Clause>, (String, BadOperand)> {
    clauses
        .iter()
        .enumerate()
        .map(|(j, c)| match c {
            ClauseWire::Segments { segments, negate } => {
                Ok(f::Clause { test: f::Test::InSegment(segments.clone()), negate: *negate })
            }
            ClauseWire::Attribute { attribute, op, value, negate } => {
                let op = op_to_domain(*op, value)
                    .map_err(|bad| (format!("{at}.clauses[{j}].value"), bad))?;
                Ok(f::Clause {
                    test: f::Test::Attribute { attribute: attribute.clone(), op },
                    negate: *negate,
                })
            }
        })
        .collect()
}

fn op_to_domain(op: OpName, value: &Value) -> Result<f::Op, BadOperand> {
    let text = |expected| value.as_str().map(str::to_owned).ok_or(BadOperand { op, expected });
    let number = || value.as_f64().ok_or(BadOperand { op, expected: "a number" });
    Ok(match op {
        OpName::Equals => f::Op::Equals(value.clone()),
        OpName::In => match value {
            Value::Array(values) => f::Op::In(values.clone()),
            _ => return Err(BadOperand { op, expected: "an array of values" }),
        },
        OpName::StartsWith => f::Op::StartsWith(text("a string")?),
        OpName::EndsWith => f::Op::EndsWith(text("a string")?),
        OpName::Contains => f::Op::Contains(text("a string")?),
        OpName::Matches => f::Op::Matches(text("a regular expression")?),
        OpName::SemverEqual => f::Op::SemverEqual(text("a version")?),
        OpName::SemverLess => f::Op::SemverLess(text("a version")?),
        OpName::SemverGreater => f::Op::SemverGreater(text("a version")?),
        OpName::NumberEqual => f::Op::NumberEqual(number()?),
        OpName::NumberLess => f::Op::NumberLess(number()?),
        OpName::NumberLessOrEqual => f::Op::NumberLessOrEqual(number()?),
        OpName::NumberGreater => f::Op::NumberGreater(number()?),
        OpName::NumberGreaterOrEqual => f::Op::NumberGreaterOrEqual(number()?),
        OpName::Before => f::Op::Before(value.clone()),
        OpName::After => f::Op::After(value.clone()),
    })
}

fn clause_wire(c: &f::Clause) -> ClauseWire {
    match &c.test {
        f::Test::InSegment(segments) => {
            ClauseWire::Segments { segments: segments.clone(), negate: c.negate }
        }
        f::Test::Attribute { attribute, op } => {
            let (name, value) = match op {
                f::Op::Equals(v) => (OpName::Equals, v.clone()),
                f::Op::In(vs) => (OpName::In, Value::Array(vs.clone())),
                f::Op::StartsWith(s) => (OpName::StartsWith, s.as_str().into()),
                f::Op::EndsWith(s) => (OpName::EndsWith, s.as_str().into()),
                f::Op::Contains(s) => (OpName::Contains, s.as_str().into()),
                f::Op::Matches(s) => (OpName::Matches, s.as_str().into()),
                f::Op::SemverEqual(s) => (OpName::SemverEqual, s.as_str().into()),
                f::Op::SemverLess(s) => (OpName::SemverLess, s.as_str().into()),
                f::Op::SemverGreater(s) => (OpName::SemverGreater, s.as_str().into()),
                f::Op::NumberEqual(n) => (OpName::NumberEqual, (*n).into()),
                f::Op::NumberLess(n) => (OpName::NumberLess, (*n).into()),
                f::Op::NumberLessOrEqual(n) => (OpName::NumberLessOrEqual, (*n).into()),
                f::Op::NumberGreater(n) => (OpName::NumberGreater, (*n).into()),
                f::Op::NumberGreaterOrEqual(n) => (OpName::NumberGreaterOrEqual, (*n).into()),
                f::Op::Before(v) => (OpName::Before, v.clone()),
                f::Op::After(v) => (OpName::After, v.clone()),
            };
            ClauseWire::Attribute {
                attribute: attribute.clone(),
                op: name,
                value,
                negate: c.negate,
            }
        }
    }
}

pub(crate) fn flag_view(state: FlagState) -> FlagView {
    FlagView {
        flag: FlagBody::from_domain(&state.flag),
        version: state.version,
        created_at: state.created_at,
        updated_at: state.updated_at,
        updated_by: state.updated_by,
        environments: state.environments.into_iter().map(config_view).collect(),
    }
}

pub(crate) fn config_view(c: EnvConfigState) -> ConfigView {
    ConfigView {
        config: ConfigBody::from_domain(&c.config),
        env: c.env,
        version: c.version,
        updated_at: c.updated_at,
        updated_by: c.updated_by,
    }
}

pub(crate) fn segment_view(s: SegmentState) -> SegmentView {
    SegmentView {
        segment: SegmentBody::from_domain(&s.segment),
        version: s.version,
        created_at: s.created_at,
        updated_at: s.updated_at,
        updated_by: s.updated_by,
    }
}
