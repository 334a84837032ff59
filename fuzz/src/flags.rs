//! The `flag_config` target's input: flags with one environment's configuration, segments and
//! contexts, read either as JSON in the admin API's snake_case shapes (so realistic bodies can
//! seed the corpus) or, for any other bytes, built by `arbitrary` with names drawn mostly from
//! a small pool, so that variations, segments and attributes refer to each other often.

use std::collections::BTreeMap;

use arbitrary::{Arbitrary, Unstructured};
use serde::Deserialize;
use serde_json::{Map, Number, Value};
use tether_flags as f;

/// Everything one run builds a snapshot from and evaluates.
#[derive(Debug, Default, Deserialize, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct Input {
    #[serde(default)]
    pub flags: Vec<FlagIn>,
    #[serde(default)]
    pub segments: Vec<SegmentIn>,
    /// OFREP request contexts: any JSON; only objects are contexts.
    #[serde(default)]
    pub contexts: Vec<Json>,
}

impl Input {
    /// JSON when the bytes are a JSON object of this shape, else whatever `arbitrary` makes.
    pub fn read(data: &[u8]) -> Input {
        if data.first() == Some(&b'{')
            && let Ok(input) = serde_json::from_slice(data)
        {
            return input;
        }
        Input::arbitrary_take_rest(Unstructured::new(data)).unwrap_or_default()
    }
}

#[derive(Debug, Deserialize, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct FlagIn {
    pub key: Name,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub kind: KindIn,
    pub variations: Vec<VariationIn>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub custom_properties: BTreeMap<String, PropertyIn>,
    /// The flag's configuration in the snapshot's environment.
    pub config: ConfigIn,
}

#[derive(Debug, Clone, Copy, Deserialize, Arbitrary)]
#[serde(rename_all = "lowercase")]
pub enum KindIn {
    Boolean,
    String,
    Number,
    Json,
}

#[derive(Debug, Deserialize, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct VariationIn {
    pub key: Name,
    #[serde(default)]
    pub name: String,
    pub value: Json,
}

#[derive(Debug, Deserialize, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct PropertyIn {
    pub name: String,
    pub values: Vec<String>,
}

#[derive(Debug, Deserialize, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct ConfigIn {
    pub on: bool,
    pub off_variation: Name,
    #[serde(default)]
    pub targets: Vec<TargetIn>,
    #[serde(default)]
    pub rules: Vec<RuleIn>,
    pub default_rule: ServeIn,
}

#[derive(Debug, Deserialize, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct TargetIn {
    pub variation: Name,
    pub keys: Vec<Name>,
}

#[derive(Debug, Deserialize, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct RuleIn {
    pub id: Name,
    #[serde(default)]
    pub description: String,
    pub clauses: Vec<ClauseIn>,
    pub serve: ServeIn,
}

#[derive(Debug, Deserialize, Arbitrary)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ServeIn {
    Variation(Name),
    Rollout(RolloutIn),
}

#[derive(Debug, Deserialize, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct RolloutIn {
    pub variations: Vec<WeightIn>,
    #[serde(default)]
    pub bucket_by: Option<Name>,
    #[serde(default)]
    pub salt: String,
}

#[derive(Debug, Deserialize, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct WeightIn {
    pub variation: Name,
    pub weight: Weight,
}

/// `{attribute, op, value, negate?}` or `{segments, negate?}`, as the API takes clauses.
#[derive(Debug, Deserialize, Arbitrary)]
#[serde(untagged)]
pub enum ClauseIn {
    Attribute {
        attribute: Name,
        op: OpName,
        value: Json,
        #[serde(default)]
        negate: bool,
    },
    Segments {
        segments: Vec<Name>,
        #[serde(default)]
        negate: bool,
    },
}

#[derive(Debug, Clone, Copy, Deserialize, Arbitrary)]
#[serde(rename_all = "snake_case")]
pub enum OpName {
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

#[derive(Debug, Deserialize, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct SegmentIn {
    pub key: Name,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub included: Vec<Name>,
    #[serde(default)]
    pub excluded: Vec<Name>,
    #[serde(default)]
    pub rules: Vec<SegmentRuleIn>,
}

#[derive(Debug, Deserialize, Arbitrary)]
#[serde(deny_unknown_fields)]
pub struct SegmentRuleIn {
    pub id: Name,
    pub clauses: Vec<ClauseIn>,
}

/// A key, id or attribute path: mostly one of [`NAMES`], so references resolve.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct Name(pub String);

/// Variation keys, segment keys, rule ids, targeting keys and attribute paths, mixed on
/// purpose: a name in the wrong place is a case worth trying too.
const NAMES: &[&str] = &[
    "on",
    "off",
    "a",
    "b",
    "c",
    "beta",
    "staff",
    "r1",
    "r2",
    "targetingKey",
    "country",
    "version",
    "app.version",
    "user.email",
    "user",
    "email",
    "when",
    "xs",
    "xs.id",
    "flag-a",
    "flag-b",
    "FR",
    "alice",
    "bob",
    "",
    ".",
    "a..b",
    "über",
];

impl<'a> Arbitrary<'a> for Name {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Name> {
        let pick = u8::arbitrary(u)?;
        if usize::from(pick) < NAMES.len() * 8 {
            Ok(Name(NAMES[usize::from(pick) % NAMES.len()].to_owned()))
        } else {
            Ok(Name(String::arbitrary(u)?))
        }
    }
}

/// A rollout weight: mostly the shares people use, so that some rollouts sum to 100000.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(transparent)]
pub struct Weight(pub u32);

const WEIGHTS: &[u32] = &[0, 1, 10_000, 25_000, 33_333, 33_334, 50_000, 75_000, 99_999, 100_000];

impl<'a> Arbitrary<'a> for Weight {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Weight> {
        let pick = u8::arbitrary(u)?;
        if usize::from(pick) < WEIGHTS.len() * 24 {
            Ok(Weight(WEIGHTS[usize::from(pick) % WEIGHTS.len()]))
        } else {
            Ok(Weight(u32::arbitrary(u)?))
        }
    }
}

/// Any JSON value; `arbitrary` makes them at most a few levels deep, with the strings the
/// operators parse (dates, versions) among the usual ones.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct Json(pub Value);

const STRINGS: &[&str] = &[
    "2024-06-01T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "2024-06-01T00:00:00.123+02:00",
    "1.2.3",
    "1.2",
    "2",
    "1.0.0-rc.1",
    "1.2.3+build",
    "^a",
    "[",
    "(?i)x$",
    "a{1000}{1000}",
    "NaN",
    "inf",
    "-0",
    "1e308",
];

impl<'a> Arbitrary<'a> for Json {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Json> {
        json(u, 3).map(Json)
    }
}

fn json(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<Value> {
    let leaves = 8;
    let choices = if depth == 0 { leaves } else { leaves + 2 };
    Ok(match u.choose_index(choices)? {
        0 => Value::Null,
        1 => Value::Bool(bool::arbitrary(u)?),
        2 => Value::from(i64::arbitrary(u)?),
        3 => Value::from(u64::arbitrary(u)?),
        4 => Number::from_f64(f64::arbitrary(u)?).map_or(Value::Null, Value::Number),
        5 => Value::from(*u.choose(STRINGS)?),
        6 => Value::from(Name::arbitrary(u)?.0),
        7 => Value::from(String::arbitrary(u)?),
        8 => {
            let n = u.int_in_range(0..=4)?;
            Value::Array((0..n).map(|_| json(u, depth - 1)).collect::<Result<_, _>>()?)
        }
        _ => {
            let n = u.int_in_range(0..=4)?;
            let mut map = Map::new();
            for _ in 0..n {
                map.insert(Name::arbitrary(u)?.0, json(u, depth - 1)?);
            }
            Value::Object(map)
        }
    })
}

impl FlagIn {
    /// The flag and its config as `tether-flags` holds them.
    pub fn to_model(&self) -> (f::Flag, f::EnvConfig) {
        let flag = f::Flag {
            key: self.key.0.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            kind: match self.kind {
                KindIn::Boolean => f::FlagKind::Boolean,
                KindIn::String => f::FlagKind::String,
                KindIn::Number => f::FlagKind::Number,
                KindIn::Json => f::FlagKind::Json,
            },
            variations: self
                .variations
                .iter()
                .map(|v| f::Variation {
                    key: v.key.0.clone(),
                    name: v.name.clone(),
                    value: v.value.0.clone(),
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
        };
        let c = &self.config;
        let config = f::EnvConfig {
            on: c.on,
            off_variation: c.off_variation.0.clone(),
            targets: c
                .targets
                .iter()
                .map(|t| f::Target {
                    variation: t.variation.0.clone(),
                    keys: t.keys.iter().map(|k| k.0.clone()).collect(),
                })
                .collect(),
            rules: c
                .rules
                .iter()
                .map(|r| f::Rule {
                    id: r.id.0.clone(),
                    description: r.description.clone(),
                    clauses: r.clauses.iter().map(ClauseIn::to_model).collect(),
                    serve: r.serve.to_model(),
                })
                .collect(),
            default_rule: c.default_rule.to_model(),
        };
        (flag, config)
    }
}

impl SegmentIn {
    pub fn to_model(&self) -> f::Segment {
        f::Segment {
            key: self.key.0.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            included: self.included.iter().map(|k| k.0.clone()).collect(),
            excluded: self.excluded.iter().map(|k| k.0.clone()).collect(),
            rules: self
                .rules
                .iter()
                .map(|r| f::SegmentRule {
                    id: r.id.0.clone(),
                    clauses: r.clauses.iter().map(ClauseIn::to_model).collect(),
                })
                .collect(),
        }
    }
}

impl ServeIn {
    fn to_model(&self) -> f::Serve {
        match self {
            ServeIn::Variation(key) => f::Serve::Variation(key.0.clone()),
            ServeIn::Rollout(r) => f::Serve::Rollout(f::Rollout {
                variations: r
                    .variations
                    .iter()
                    .map(|w| f::WeightedVariation {
                        variation: w.variation.0.clone(),
                        weight: w.weight.0,
                    })
                    .collect(),
                bucket_by: r.bucket_by.as_ref().map(|b| b.0.clone()),
                salt: r.salt.clone(),
            }),
        }
    }
}

impl ClauseIn {
    fn to_model(&self) -> f::Clause {
        match self {
            ClauseIn::Attribute { attribute, op, value, negate } => f::Clause {
                test: f::Test::Attribute {
                    attribute: attribute.0.clone(),
                    op: op.to_model(&value.0),
                },
                negate: *negate,
            },
            ClauseIn::Segments { segments, negate } => f::Clause {
                test: f::Test::InSegment(segments.iter().map(|s| s.0.clone()).collect()),
                negate: *negate,
            },
        }
    }
}

impl OpName {
    /// The operator with its operand read from `value` the way a boundary crate would: text
    /// operators take a string (another value as its JSON text), number operators a number
    /// (or a string Rust reads as one, so `NaN` and `inf` reach validation).
    fn to_model(self, value: &Value) -> f::Op {
        let text = || value.as_str().map_or_else(|| value.to_string(), str::to_owned);
        let number = || {
            value.as_f64().or_else(|| value.as_str().and_then(|s| s.parse().ok())).unwrap_or(0.0)
        };
        match self {
            OpName::Equals => f::Op::Equals(value.clone()),
            OpName::In => f::Op::In(match value {
                Value::Array(items) => items.clone(),
                other => vec![other.clone()],
            }),
            OpName::StartsWith => f::Op::StartsWith(text()),
            OpName::EndsWith => f::Op::EndsWith(text()),
            OpName::Contains => f::Op::Contains(text()),
            OpName::Matches => f::Op::Matches(text()),
            OpName::SemverEqual => f::Op::SemverEqual(text()),
            OpName::SemverLess => f::Op::SemverLess(text()),
            OpName::SemverGreater => f::Op::SemverGreater(text()),
            OpName::NumberEqual => f::Op::NumberEqual(number()),
            OpName::NumberLess => f::Op::NumberLess(number()),
            OpName::NumberLessOrEqual => f::Op::NumberLessOrEqual(number()),
            OpName::NumberGreater => f::Op::NumberGreater(number()),
            OpName::NumberGreaterOrEqual => f::Op::NumberGreaterOrEqual(number()),
            OpName::Before => f::Op::Before(value.clone()),
            OpName::After => f::Op::After(value.clone()),
        }
    }
}
