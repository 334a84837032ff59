//! Feature-flag model, validation, bucketing and evaluation for tether; pure: no IO, no
//! async, no clock or randomness, and no panics on any input.
//!
//! # Shape
//! - [`Flag`] (definition, the same in all environments) and [`EnvConfig`] (one environment's
//!   targeting) and [`Segment`] are plain data, validated by [`validate_flag`],
//!   [`validate_env_config`] and [`validate_segment`] into [`ValidationError`]s with a field
//!   path (for the admin API's 422 answers).
//! - [`Snapshot::build`] compiles one environment's flags and segments once; evaluation
//!   ([`Snapshot::evaluate`], [`evaluate`], [`Snapshot::evaluate_all`]) borrows it and returns
//!   an [`Evaluation`] borrowing from it.
//! - Compiled clauses share one copy of each attribute path and operator across flags and
//!   snapshots (`intern`), so evaluating a large environment reads them from cache.
//! - [`request_context`] reads an OFREP request body into the [`Context`]'s attributes, or
//!   refuses it with OFREP's error code ([`ContextError`]).
//! - [`Snapshot::write_answer`] and [`Snapshot::write_all_answers`] write OFREP's answers
//!   as JSON bytes, from pieces each flag serialised once when compiled (`wire`).
//! - Bucketing for rollouts is specified in the [`bucket`] module and must never change.
//!
//! # Evaluation order and reasons
//! 1. Flag off: its off variation, [`Reason::Disabled`].
//! 2. The context's `targetingKey` is an individual target: [`Reason::TargetingMatch`].
//! 3. The first rule whose clauses all match: `TargetingMatch` if it serves a variation,
//!    [`Reason::Split`] if it serves a rollout.
//! 4. The default rule: `Split` for a rollout; for a single variation [`Reason::Static`] when
//!    the flag has no individual targets and no rules (every context gets that value), else
//!    [`Reason::Default`].
//!
//! Errors ([`Reason::Error`]): `FLAG_NOT_FOUND`; `TARGETING_KEY_MISSING` when a rollout is
//! reached and the bucketing attribute is missing or `null` (a single-variation serve needs no
//! key); `TYPE_MISMATCH` from [`Snapshot::evaluate_as`]; `GENERAL` for a flag whose stored
//! configuration failed to compile (listed in [`Snapshot::issues`]).
//!
//! # Clause semantics
//! - Attribute paths: a top-level key equal to the whole path wins (`app.version` may be a
//!   plain key); otherwise the path is split at `.` and walked through objects. An array of
//!   objects on the way is walked element by element.
//! - The values a clause tests are the non-null values at the path, with an array at the end
//!   contributing each of its non-null elements. The clause matches when any value matches.
//! - No values (attribute absent, `null`, an empty array or an array of nulls) means the
//!   attribute is missing, and then the clause does not match **whether or not it is
//!   negated**: "country is not FR" says nothing about a context without a country, and
//!   targeting someone because they lack data is the surprise we avoid (LaunchDarkly does
//!   the same). Otherwise a negated clause matches when no value matches.
//! - Operators apply to one type: string operators to strings, number operators to numbers,
//!   semver operators to strings that parse as versions, date operators to RFC 3339 strings
//!   or epoch milliseconds. A value of another type does not match (so a negated clause does).
//! - Segment clauses: the context is in a segment if its `targetingKey` is included, else not
//!   if it is excluded, else if any of the segment's rules matches. Negation applies plainly.

pub mod bucket;
pub use compile::limits;
mod compile;
mod context;
mod eval;
mod intern;
mod model;
mod ops;
mod request;
mod snapshot;
mod validate;
mod wire;

pub use context::Context;
pub use eval::{ErrorCode, Evaluation, Match, Reason, RuleRef};
pub use model::{
    Clause, CustomProperty, DEFAULT_BUCKET_BY, EnvConfig, Flag, FlagKind, JIRA_ISSUES_PROPERTY, Op,
    Rollout, Rule, Segment, SegmentRule, Serve, TOTAL_WEIGHT, Target, Test, Variation,
    WeightedVariation,
};
pub use request::{ContextError, request_context};
pub use snapshot::{BuildIssue, Snapshot, Subject};
pub use validate::{
    Problem, ValidationError, validate_env_config, validate_flag, validate_segment,
};

/// Evaluates `flag_key` in `snapshot` for `ctx`; the same as [`Snapshot::evaluate`].
pub fn evaluate<'s>(snapshot: &'s Snapshot, flag_key: &str, ctx: &Context<'_>) -> Evaluation<'s> {
    snapshot.evaluate(flag_key, ctx)
}

#[cfg(test)]
mod tests;
