//! The immutable, compiled set of one environment's flags and segments that evaluation reads.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::compile::{self, CompiledFlag, CompiledSegment, SegmentRef};
use crate::context::Context;
use crate::eval::{self, Evaluation};
use crate::model::{EnvConfig, Flag, FlagKind, Segment};
use crate::validate::{Problem, ValidationError};

/// One environment's flags and segments, compiled once (regexes, versions, dates, targets
/// indexed) for many evaluations. Immutable and `Send + Sync`: the server holds it in an
/// `Arc` and swaps in a new one when anything changes; [`Snapshot::version`] is what the
/// server hands out as its ETag.
///
/// A change to one flag need not recompile the others: [`Snapshot::with_flag`] and
/// [`Snapshot::without_flag`] make the next snapshot sharing every other compiled flag, and
/// the segments, with this one.
#[derive(Debug)]
pub struct Snapshot {
    version: u64,
    /// Sorted by key, so bulk evaluation has a stable order. Each flag is shared with the
    /// snapshots made from this one that did not change it.
    pub(crate) flags: Vec<Arc<CompiledFlag>>,
    index: Arc<HashMap<String, usize>>,
    pub(crate) segments: Arc<Vec<CompiledSegment>>,
    /// What each segment key referred to when the segments were compiled, for flags compiled
    /// later against them.
    segment_refs: Arc<HashMap<String, SegmentRef>>,
    issues: Vec<BuildIssue>,
}

/// A problem met while building a snapshot, with what it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildIssue {
    pub subject: Subject,
    pub error: ValidationError,
}

/// The flag or segment a [`BuildIssue`] is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Flag(String),
    Segment(String),
}

impl Snapshot {
    /// Compiles flags (each with its config in this environment) and segments. It never fails:
    /// a flag with any problem (its own, or a reference to a missing or invalid segment) is
    /// kept and evaluates to `ERROR`/`GENERAL` with the first problem as detail, and every
    /// problem is listed in [`Snapshot::issues`], so one bad flag cannot take the others down.
    /// Of two flags or segments with the same key, the first is kept and the second reported.
    pub fn build<'a>(
        version: u64,
        flags: impl IntoIterator<Item = (&'a Flag, &'a EnvConfig)>,
        segments: impl IntoIterator<Item = &'a Segment>,
    ) -> Snapshot {
        let mut issues = Vec::new();

        let mut compiled_segments = Vec::new();
        let mut segment_refs: HashMap<String, SegmentRef> = HashMap::new();
        for segment in segments {
            let subject = Subject::Segment(segment.key.clone());
            if segment_refs.contains_key(&segment.key) {
                issues.push(duplicate(subject, &segment.key));
                continue;
            }
            let mut errors = Vec::new();
            let reference = match compile::compile_segment(segment, &mut errors) {
                Some(s) => {
                    compiled_segments.push(s);
                    SegmentRef::Valid(compiled_segments.len() - 1)
                }
                None => SegmentRef::Invalid,
            };
            segment_refs.insert(segment.key.clone(), reference);
            issues.extend(
                errors.into_iter().map(|error| BuildIssue { subject: subject.clone(), error }),
            );
        }
        let lookup = |key: &str| segment_refs.get(key).copied().unwrap_or(SegmentRef::Unknown);

        // Compiled in key order, the order evaluating them all walks them: each flag's parts
        // are then allocated after the previous flag's, so a bulk evaluation reads memory
        // forwards (the stable sort keeps the first of two flags with one key first).
        let mut flags: Vec<(&Flag, &EnvConfig)> = flags.into_iter().collect();
        flags.sort_by(|a, b| a.0.key.cmp(&b.0.key));
        let mut compiled: Vec<Arc<CompiledFlag>> = Vec::with_capacity(flags.len());
        let mut seen = std::collections::HashSet::new();
        for (flag, config) in flags {
            let subject = Subject::Flag(flag.key.clone());
            if !seen.insert(flag.key.as_str()) {
                issues.push(duplicate(subject, &flag.key));
                continue;
            }
            let mut errors = Vec::new();
            compiled.push(Arc::new(compile::compile_flag(flag, config, &lookup, &mut errors)));
            issues.extend(
                errors.into_iter().map(|error| BuildIssue { subject: subject.clone(), error }),
            );
        }
        // Already in key order: the flags were sorted before compiling.
        let index = Arc::new(index_of(&compiled));

        Snapshot {
            version,
            flags: compiled,
            index,
            segments: Arc::new(compiled_segments),
            segment_refs: Arc::new(segment_refs),
            issues,
        }
    }

    /// This snapshot at `version` with `flag` compiled again with `config` (added when its key
    /// is new), against the same segments; every other flag is shared, not recompiled. The
    /// result equals [`Snapshot::build`] over the same flags and segments.
    pub fn with_flag(&self, version: u64, flag: &Flag, config: &EnvConfig) -> Snapshot {
        let lookup = |key: &str| self.segment_refs.get(key).copied().unwrap_or(SegmentRef::Unknown);
        let mut errors = Vec::new();
        let compiled = Arc::new(compile::compile_flag(flag, config, &lookup, &mut errors));
        let subject = Subject::Flag(flag.key.clone());
        let mut next = self.without_issues_of(version, &subject);
        next.issues
            .extend(errors.into_iter().map(|error| BuildIssue { subject: subject.clone(), error }));
        match next.flags.binary_search_by(|f| f.key.as_str().cmp(&flag.key)) {
            Ok(i) => next.flags[i] = compiled,
            Err(i) => {
                next.flags.insert(i, compiled);
                next.index = Arc::new(index_of(&next.flags));
            }
        }
        next
    }

    /// This snapshot at `version` without the flag `key` (the same snapshot, newer, when it
    /// has no such flag); every other flag is shared.
    pub fn without_flag(&self, version: u64, key: &str) -> Snapshot {
        let mut next = self.without_issues_of(version, &Subject::Flag(key.to_owned()));
        if let Ok(i) = next.flags.binary_search_by(|f| f.key.as_str().cmp(key)) {
            next.flags.remove(i);
            next.index = Arc::new(index_of(&next.flags));
        }
        next
    }

    /// A copy at `version` sharing every compiled part, without `subject`'s issues.
    fn without_issues_of(&self, version: u64, subject: &Subject) -> Snapshot {
        Snapshot {
            version,
            flags: self.flags.clone(),
            index: Arc::clone(&self.index),
            segments: Arc::clone(&self.segments),
            segment_refs: Arc::clone(&self.segment_refs),
            issues: self.issues.iter().filter(|i| &i.subject != subject).cloned().collect(),
        }
    }

    /// A snapshot with no flags, e.g. before the first load.
    pub fn empty(version: u64) -> Snapshot {
        Snapshot::build(version, [], [])
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    /// Every problem found while building; empty when all flags and segments were valid.
    pub fn issues(&self) -> &[BuildIssue] {
        &self.issues
    }

    pub fn len(&self) -> usize {
        self.flags.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flags.is_empty()
    }

    /// Flag keys in ascending order.
    pub fn flag_keys(&self) -> impl ExactSizeIterator<Item = &str> {
        self.flags.iter().map(|f| f.key.as_str())
    }

    pub fn flag_kind(&self, flag_key: &str) -> Option<FlagKind> {
        self.flag(flag_key).map(|f| f.kind)
    }

    /// Evaluates one flag for a context. Never panics; unknown keys give `FLAG_NOT_FOUND`.
    pub fn evaluate<'s>(&'s self, flag_key: &str, ctx: &Context<'_>) -> Evaluation<'s> {
        match self.flag(flag_key) {
            Some(flag) => eval::evaluate_flag(self, flag, ctx),
            None => Evaluation::error(crate::ErrorCode::FlagNotFound, eval::NOT_FOUND),
        }
    }

    /// Like [`Snapshot::evaluate`], but answers `TYPE_MISMATCH` when the flag is not of the
    /// kind the caller expects (an SDK asking for a boolean from a string flag).
    pub fn evaluate_as<'s>(
        &'s self,
        flag_key: &str,
        ctx: &Context<'_>,
        expected: FlagKind,
    ) -> Evaluation<'s> {
        match self.flag(flag_key) {
            Some(flag) if flag.kind != expected => Evaluation::error(
                crate::ErrorCode::TypeMismatch,
                "flag is not of the requested kind",
            ),
            _ => self.evaluate(flag_key, ctx),
        }
    }

    /// Evaluates every flag for a context, in ascending key order, lazily and without
    /// allocating per flag.
    pub fn evaluate_all<'s>(
        &'s self,
        ctx: &Context<'_>,
    ) -> impl ExactSizeIterator<Item = (&'s str, Evaluation<'s>)> {
        let ctx = *ctx;
        self.flags.iter().map(move |f| (f.key.as_str(), eval::evaluate_flag(self, f, &ctx)))
    }

    pub(crate) fn flag(&self, key: &str) -> Option<&CompiledFlag> {
        self.index.get(key).and_then(|&i| self.flags.get(i)).map(|f| &**f)
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Flag(key) => write!(f, "flag {key:?}"),
            Subject::Segment(key) => write!(f, "segment {key:?}"),
        }
    }
}

impl fmt::Display for BuildIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.error)
    }
}

fn index_of(flags: &[Arc<CompiledFlag>]) -> HashMap<String, usize> {
    flags.iter().enumerate().map(|(i, f)| (f.key.clone(), i)).collect()
}

fn duplicate(subject: Subject, key: &str) -> BuildIssue {
    let error =
        ValidationError { path: "key".to_owned(), problem: Problem::Duplicate(key.to_owned()) };
    BuildIssue { subject, error }
}
