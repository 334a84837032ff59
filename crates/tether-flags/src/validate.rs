//! Validation of flags, environment configs and segments into errors with a field path.

use thiserror::Error;

use crate::compile::{self, SegmentRef};
use crate::model::{EnvConfig, Flag, FlagKind, Segment};

/// One thing wrong with the input, at `path` (model field names, `rules[2].clauses[0].op`),
/// relative to the flag, config or segment being validated.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{path}: {problem}")]
pub struct ValidationError {
    pub path: String,
    pub problem: Problem,
}

/// What is wrong. [`Problem::code`] gives a stable machine-readable name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Problem {
    #[error("must not be empty")]
    Empty,
    #[error("may contain only ASCII letters, digits, '.', '_' and '-'")]
    InvalidKey,
    #[error("duplicate {0:?}")]
    Duplicate(String),
    #[error("unknown variation {0:?}")]
    UnknownVariation(String),
    #[error("unknown segment {0:?}")]
    UnknownSegment(String),
    #[error("segment {0:?} is itself invalid")]
    InvalidSegment(String),
    #[error("weights sum to {0}, not 100000")]
    WeightSum(u64),
    #[error("invalid regular expression: {0}")]
    InvalidRegex(String),
    #[error("invalid semantic version {0:?}")]
    InvalidSemver(String),
    #[error("invalid date {0}: expected an RFC 3339 string or epoch milliseconds")]
    InvalidDate(String),
    #[error("must be a finite number")]
    NotFinite,
    #[error("must be a string, number or boolean")]
    NotScalar,
    #[error("value is not of the flag's kind, {0}")]
    WrongKind(FlagKind),
    #[error("invalid attribute path {0:?}: no empty parts, at most 32 of them")]
    InvalidAttribute(String),
    #[error("segment rules cannot test segment membership")]
    NestedSegment,
    #[error("key {0:?} is already targeted")]
    DuplicateTarget(String),
    #[error("invalid Jira issue key {0:?}")]
    InvalidIssueKey(String),
    #[error("is too long: at most {max} characters")]
    TooLong { max: usize },
    #[error("has too many items: at most {max}")]
    TooMany { max: usize },
}

impl Problem {
    /// A stable snake_case name for the kind of problem, for API clients to act on.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Empty => "empty",
            Problem::InvalidKey => "invalid_key",
            Problem::Duplicate(_) => "duplicate",
            Problem::UnknownVariation(_) => "unknown_variation",
            Problem::UnknownSegment(_) => "unknown_segment",
            Problem::InvalidSegment(_) => "invalid_segment",
            Problem::WeightSum(_) => "weight_sum",
            Problem::InvalidRegex(_) => "invalid_regex",
            Problem::InvalidSemver(_) => "invalid_semver",
            Problem::InvalidDate(_) => "invalid_date",
            Problem::NotFinite => "not_finite",
            Problem::NotScalar => "not_scalar",
            Problem::WrongKind(_) => "wrong_kind",
            Problem::InvalidAttribute(_) => "invalid_attribute",
            Problem::NestedSegment => "nested_segment",
            Problem::DuplicateTarget(_) => "duplicate_target",
            Problem::InvalidIssueKey(_) => "invalid_issue_key",
            Problem::TooLong { .. } => "too_long",
            Problem::TooMany { .. } => "too_many",
        }
    }
}

/// Checks a flag's definition: key, name, variations (at least one, unique keys, values of the
/// flag's kind), tags, custom properties and the Jira issue keys among them.
pub fn validate_flag(flag: &Flag) -> Result<(), Vec<ValidationError>> {
    let mut errors = Vec::new();
    compile::check_definition(flag, &mut errors);
    into_result(errors)
}

/// Checks one environment's config of `flag`: every variation and rule reference resolves,
/// rollouts sum to 100000, operands parse, and `segment_exists` says yes to each segment key.
/// The flag's own definition is not checked here (see [`validate_flag`]).
pub fn validate_env_config(
    flag: &Flag,
    config: &EnvConfig,
    segment_exists: impl Fn(&str) -> bool,
) -> Result<(), Vec<ValidationError>> {
    let mut errors = Vec::new();
    let lookup = |key: &str| {
        if segment_exists(key) { SegmentRef::Valid(0) } else { SegmentRef::Unknown }
    };
    compile::compile_config(flag, config, &lookup, &mut errors);
    into_result(errors)
}

/// Checks a segment: key, rule ids, and its clauses (which may not test segment membership).
pub fn validate_segment(segment: &Segment) -> Result<(), Vec<ValidationError>> {
    let mut errors = Vec::new();
    compile::compile_segment(segment, &mut errors);
    into_result(errors)
}

fn into_result(errors: Vec<ValidationError>) -> Result<(), Vec<ValidationError>> {
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}
