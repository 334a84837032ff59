//! The flag model as plain data: flags, variations, segments and one environment's targeting.
//!
//! Nothing here derives a wire format: the server and store crates own their JSON and row
//! types and convert. Values that need checking (regexes, versions, dates, references between
//! parts) are kept as written and checked by [`crate::validate_flag`],
//! [`crate::validate_env_config`], [`crate::validate_segment`] and [`crate::Snapshot::build`].

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// The attribute rollouts bucket by unless they name another one (OpenFeature's targeting key).
pub const DEFAULT_BUCKET_BY: &str = "targetingKey";

/// The custom property that holds a flag's linked Jira issue keys.
pub const JIRA_ISSUES_PROPERTY: &str = "jira.issues";

/// Rollout weights are parts of this total (1/100,000 resolution); a rollout's weights sum to it.
pub const TOTAL_WEIGHT: u32 = 100_000;

/// What type of value a flag serves; every variation's value must be of this kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlagKind {
    Boolean,
    String,
    Number,
    /// Any JSON value (OpenFeature's "object" flags); objects and arrays are the usual case.
    Json,
}

/// A flag's definition, the same in every environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    /// `[A-Za-z0-9._-]+`; part of OFREP URLs and of the bucketing hash, so never changed.
    pub key: String,
    pub name: String,
    pub description: String,
    pub kind: FlagKind,
    /// At least one; keys unique within the flag.
    pub variations: Vec<Variation>,
    pub tags: Vec<String>,
    /// Keyed by property key; [`JIRA_ISSUES_PROPERTY`] holds the linked Jira issues.
    pub custom_properties: BTreeMap<String, CustomProperty>,
}

/// One value a flag can serve (Split calls these treatments).
#[derive(Debug, Clone, PartialEq)]
pub struct Variation {
    /// `[A-Za-z0-9._-]+`, unique within the flag; reported as OFREP's `variant`.
    pub key: String,
    pub name: String,
    pub value: Value,
}

/// A named list of strings attached to a flag, LaunchDarkly style.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomProperty {
    pub name: String,
    pub values: Vec<String>,
}

/// A flag's targeting in one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvConfig {
    pub on: bool,
    /// Served when the flag is off.
    pub off_variation: String,
    /// Individual targets, matched against the context's `targetingKey`; checked before rules.
    pub targets: Vec<Target>,
    /// Checked in order; the first whose clauses all match serves.
    pub rules: Vec<Rule>,
    /// The fallthrough: served when the flag is on and nothing above matched.
    pub default_rule: Serve,
}

/// Context keys that get one variation regardless of rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub variation: String,
    pub keys: Vec<String>,
}

/// A targeting rule: when all its clauses match (an empty list matches everyone), it serves.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Non-empty, unique within the environment config; reported in the evaluation reason.
    pub id: String,
    pub description: String,
    pub clauses: Vec<Clause>,
    pub serve: Serve,
}

/// What a rule or the default rule serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Serve {
    /// One variation, by key.
    Variation(String),
    /// A percentage rollout.
    Rollout(Rollout),
}

/// A percentage rollout; see the [`crate::bucket`] module for how contexts are assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollout {
    /// Weights in 1/100,000ths summing to [`TOTAL_WEIGHT`]; order matters (it places buckets).
    pub variations: Vec<WeightedVariation>,
    /// Attribute path to bucket by; `None` means [`DEFAULT_BUCKET_BY`].
    pub bucket_by: Option<String>,
    /// Mixed into the hash; changing it reshuffles who gets what.
    pub salt: String,
}

/// One slice of a rollout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightedVariation {
    pub variation: String,
    pub weight: u32,
}

/// One condition of a rule. See the crate docs for missing attributes and negation.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub test: Test,
    /// Inverts the result, except that a clause on a missing attribute never matches.
    pub negate: bool,
}

/// What a clause tests.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// An operator applied to a context attribute, by path (`address.city`).
    Attribute { attribute: String, op: Op },
    /// The context is in at least one of these segments (by key).
    InSegment(Vec<String>),
}

/// Clause operators. String operators are case-sensitive and apply to string values only;
/// number operators to JSON numbers only (no coercion from strings).
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Equal to a string, number or boolean (numbers compare numerically: `1` equals `1.0`).
    Equals(Value),
    /// Equal to any of these strings, numbers or booleans.
    In(Vec<Value>),
    StartsWith(String),
    EndsWith(String),
    Contains(String),
    /// Unanchored regex search, `regex` crate syntax.
    Matches(String),
    /// Semantic versions; `1` and `1.2` are read as `1.0.0` and `1.2.0`; build metadata ignored.
    SemverEqual(String),
    SemverLess(String),
    SemverGreater(String),
    NumberEqual(f64),
    NumberLess(f64),
    NumberLessOrEqual(f64),
    NumberGreater(f64),
    NumberGreaterOrEqual(f64),
    /// Strictly before; the operand and the attribute are RFC 3339 strings or epoch milliseconds.
    Before(Value),
    /// Strictly after; same forms as [`Op::Before`].
    After(Value),
}

/// A reusable set of contexts: explicit keys, and rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// `[A-Za-z0-9._-]+`, unique within the environment.
    pub key: String,
    pub name: String,
    pub description: String,
    /// Targeting keys always in the segment (wins over `excluded`).
    pub included: Vec<String>,
    /// Targeting keys never in the segment, even if a rule matches.
    pub excluded: Vec<String>,
    /// A context matching any rule is in the segment.
    pub rules: Vec<SegmentRule>,
}

/// A segment rule: all clauses must match; clauses may not test segment membership.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRule {
    pub id: String,
    pub clauses: Vec<Clause>,
}

impl FlagKind {
    /// Whether `value` may be served by a flag of this kind.
    pub fn accepts(self, value: &Value) -> bool {
        match self {
            FlagKind::Boolean => value.is_boolean(),
            FlagKind::String => value.is_string(),
            FlagKind::Number => value.is_number(),
            FlagKind::Json => true,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FlagKind::Boolean => "boolean",
            FlagKind::String => "string",
            FlagKind::Number => "number",
            FlagKind::Json => "json",
        }
    }
}

impl fmt::Display for FlagKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Flag {
    /// The Jira issue keys in the [`JIRA_ISSUES_PROPERTY`] custom property.
    pub fn jira_issues(&self) -> &[String] {
        self.custom_properties.get(JIRA_ISSUES_PROPERTY).map_or(&[], |p| p.values.as_slice())
    }
}

impl Clause {
    pub fn attribute(attribute: impl Into<String>, op: Op) -> Clause {
        Clause { test: Test::Attribute { attribute: attribute.into(), op }, negate: false }
    }

    pub fn in_segment<S: Into<String>>(segments: impl IntoIterator<Item = S>) -> Clause {
        let segments = segments.into_iter().map(Into::into).collect();
        Clause { test: Test::InSegment(segments), negate: false }
    }

    pub fn negated(self) -> Clause {
        Clause { negate: !self.negate, ..self }
    }
}

impl Serve {
    pub fn variation(key: impl Into<String>) -> Serve {
        Serve::Variation(key.into())
    }
}
