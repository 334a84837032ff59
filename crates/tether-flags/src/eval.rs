//! Evaluation of a compiled flag for a context: off, then individual targets, then rules in
//! order, then the default rule.

use std::sync::Arc;

use serde_json::Value;

use crate::bucket;
use crate::compile::{CompiledClause, CompiledFlag, CompiledServe, CompiledTest};
use crate::context::{Context, Lookup};
use crate::snapshot::Snapshot;

/// The result of evaluating a flag, borrowed from the snapshot (no allocation).
/// `value` and `variation` are `None` exactly when `reason` is [`Reason::Error`]: the caller
/// (an OpenFeature SDK, through OFREP) then uses its own default value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation<'s> {
    pub value: Option<&'s Value>,
    /// The served variation's key (OFREP's `variant`).
    pub variation: Option<&'s str>,
    pub reason: Reason<'s>,
    /// The served variation's position among the flag's variations, beside `variation`
    /// (OFREP answers are written from each variation's pre-serialised piece: `wire`).
    pub(crate) served: Option<usize>,
}

/// Why a value was served; [`Reason::as_str`] gives the OFREP/OpenFeature reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason<'s> {
    /// On, with no individual targets, no rules, and a default rule serving one variation:
    /// every context gets the same value.
    Static,
    /// An individual target or a rule serving one variation matched.
    TargetingMatch(Match<'s>),
    /// A rollout assigned the variation; `rule` is `None` for the default rule's rollout.
    Split {
        rule: Option<RuleRef<'s>>,
    },
    /// The flag is off and served its off variation.
    Disabled,
    /// Nothing matched and the default rule serves one variation (the flag has targets or
    /// rules, otherwise the reason is [`Reason::Static`]).
    Default,
    Error {
        code: ErrorCode,
        detail: &'s str,
    },
}

/// What matched, for [`Reason::TargetingMatch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match<'s> {
    /// The context's `targetingKey` is an individual target.
    Target,
    Rule(RuleRef<'s>),
}

/// A rule of the flag's config, by position and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleRef<'s> {
    pub index: usize,
    pub id: &'s str,
}

/// Why a flag could not be evaluated; [`ErrorCode::as_str`] gives the OFREP error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    FlagNotFound,
    /// A rollout was reached and the context lacks its bucketing attribute.
    TargetingKeyMissing,
    /// From [`Snapshot::evaluate_as`]: the flag is of another kind.
    TypeMismatch,
    /// The flag's stored configuration is invalid (see [`Snapshot::issues`]).
    General,
}

impl Reason<'_> {
    pub fn as_str(&self) -> &'static str {
        match self {
            Reason::Static => "STATIC",
            Reason::TargetingMatch(_) => "TARGETING_MATCH",
            Reason::Split { .. } => "SPLIT",
            Reason::Disabled => "DISABLED",
            Reason::Default => "DEFAULT",
            Reason::Error { .. } => "ERROR",
        }
    }
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::FlagNotFound => "FLAG_NOT_FOUND",
            ErrorCode::TargetingKeyMissing => "TARGETING_KEY_MISSING",
            ErrorCode::TypeMismatch => "TYPE_MISMATCH",
            ErrorCode::General => "GENERAL",
        }
    }
}

/// The detail of `FLAG_NOT_FOUND`.
pub(crate) const NOT_FOUND: &str = "flag not found";

impl<'s> Evaluation<'s> {
    pub(crate) fn error(code: ErrorCode, detail: &'s str) -> Evaluation<'s> {
        Evaluation {
            value: None,
            variation: None,
            reason: Reason::Error { code, detail },
            served: None,
        }
    }
}

pub(crate) fn evaluate_flag<'s>(
    snapshot: &'s Snapshot,
    flag: &'s CompiledFlag,
    ctx: &Context<'_>,
) -> Evaluation<'s> {
    let t = match &flag.body {
        Ok(t) => t,
        Err(detail) => return Evaluation::error(ErrorCode::General, detail),
    };
    if !t.on {
        return served(flag, t.off, Reason::Disabled);
    }
    if !t.targets.is_empty()
        && let Some(v) = ctx.target().and_then(|(key, hash)| t.targets.get(key, hash))
    {
        return served(flag, v, Reason::TargetingMatch(Match::Target));
    }
    for (index, rule) in t.rules.iter().enumerate() {
        if rule.clauses.iter().all(|c| clause_matches(snapshot, c, ctx)) {
            let rule_ref = RuleRef { index, id: rule.names.id.as_str() };
            return serve(flag, &rule.serve, ctx, Some(rule_ref));
        }
    }
    match &t.default {
        CompiledServe::Fixed(v) if t.is_static => served(flag, *v, Reason::Static),
        CompiledServe::Fixed(v) => served(flag, *v, Reason::Default),
        split @ CompiledServe::Split(_) => serve(flag, split, ctx, None),
    }
}

fn serve<'s>(
    flag: &'s CompiledFlag,
    serve: &'s CompiledServe,
    ctx: &Context<'_>,
    rule: Option<RuleRef<'s>>,
) -> Evaluation<'s> {
    let rollout = match serve {
        CompiledServe::Fixed(v) => {
            // Only rules reach here with a fixed variation; the default rule is handled above.
            let reason = match rule {
                Some(r) => Reason::TargetingMatch(Match::Rule(r)),
                None => Reason::Default,
            };
            return served(flag, *v, reason);
        }
        CompiledServe::Split(r) => r,
    };
    let Some(value) = rollout.bucket_by.get(*ctx) else {
        return Evaluation::error(
            ErrorCode::TargetingKeyMissing,
            "the context lacks the rollout's bucketing attribute",
        );
    };
    // Values that cannot be bucketed go to bucket 0, as in LaunchDarkly (see `bucket`).
    let b = bucket::bucket_value(&flag.key, &rollout.salt, value).unwrap_or(0);
    match bucket::slice_of(b, &rollout.ends).and_then(|i| rollout.variations.get(i)) {
        Some(&v) => served(flag, v, Reason::Split { rule }),
        // Unreachable for a compiled rollout (weights sum to the bucket count); kept total.
        None => Evaluation::error(ErrorCode::General, "rollout does not cover every bucket"),
    }
}

fn served<'s>(flag: &'s CompiledFlag, variation: usize, reason: Reason<'s>) -> Evaluation<'s> {
    match flag.variations.get(variation) {
        Some((key, value)) => Evaluation {
            value: Some(value),
            variation: Some(key.as_str()),
            reason,
            served: Some(variation),
        },
        None => Evaluation::error(ErrorCode::General, "variation index out of range"),
    }
}

/// A clause on a missing attribute never matches, negated or not; otherwise it matches when
/// any value at the path does, inverted by `negate`.
pub(crate) fn clause_matches(
    snapshot: &Snapshot,
    clause: &CompiledClause,
    ctx: &Context<'_>,
) -> bool {
    match &clause.test {
        CompiledTest::Attribute(path, matcher) => {
            let decide = || path.visit(*ctx, &mut |v| matcher.matches(v));
            let lookup = match ctx.memo() {
                Some(memo) => memo.test(path, Arc::as_ptr(matcher) as usize, decide),
                None => decide(),
            };
            match lookup {
                Lookup::Missing => false,
                Lookup::Match => !clause.negate,
                Lookup::NoMatch => clause.negate,
            }
        }
        CompiledTest::Segment(index) => in_segment(snapshot, *index, ctx) != clause.negate,
        CompiledTest::Segments(indices) => {
            let member = indices.iter().any(|&i| in_segment(snapshot, i, ctx));
            member != clause.negate
        }
    }
}

/// Included keys first, then excluded keys, then rules. Segment rules hold no segment tests,
/// so this does not recurse further.
fn in_segment(snapshot: &Snapshot, index: usize, ctx: &Context<'_>) -> bool {
    match ctx.memo() {
        Some(memo) => memo.in_segment(index, || decide_segment(snapshot, index, ctx)),
        None => decide_segment(snapshot, index, ctx),
    }
}

fn decide_segment(snapshot: &Snapshot, index: usize, ctx: &Context<'_>) -> bool {
    let Some(segment) = snapshot.segments.get(index) else {
        return false;
    };
    if let Some(key) = ctx.targeting_key() {
        if segment.included.contains(key) {
            return true;
        }
        if segment.excluded.contains(key) {
            return false;
        }
    }
    segment.rules.iter().any(|clauses| clauses.iter().all(|c| clause_matches(snapshot, c, ctx)))
}
