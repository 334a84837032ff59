//! Compiling flags, environment configs and segments into evaluation-ready form; the same
//! pass is the validator, so what validates is exactly what compiles.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use crate::context::{AttrPath, key_hash};
use crate::eval::Reason;
use crate::model::{
    Clause, EnvConfig, Flag, FlagKind, Op, Rollout, Segment, Serve, TOTAL_WEIGHT, Test,
};
use crate::ops::Matcher;
use crate::validate::{Problem, ValidationError};
use crate::wire::{FlagWire, json_string};

/// A flag ready to evaluate. `body` is `Err(detail)` when its definition or config had
/// problems: such a flag evaluates to an error rather than to a guess.
#[derive(Debug)]
pub(crate) struct CompiledFlag {
    pub(crate) key: String,
    pub(crate) kind: FlagKind,
    pub(crate) variations: Vec<(String, Value)>,
    pub(crate) body: Result<Targeting, String>,
    /// Its OFREP answer pieces, serialised once (see `wire`).
    pub(crate) wire: FlagWire,
}

impl CompiledFlag {
    /// The id of the rule at `index` as a JSON string.
    pub(crate) fn rule_id_json(&self, index: usize) -> Option<&str> {
        self.body.as_ref().ok()?.rules.get(index).map(|r| &*r.names.id_json)
    }
}

#[derive(Debug)]
pub(crate) struct Targeting {
    pub(crate) on: bool,
    pub(crate) off: usize,
    pub(crate) targets: Targets,
    pub(crate) rules: Vec<CompiledRule>,
    pub(crate) default: CompiledServe,
    /// On, no targets, no rules, and the default serves one variation: reason STATIC.
    pub(crate) is_static: bool,
}

/// A flag's individual targets (key → variation) behind a filter of 256 bits kept in the
/// flag itself: a context that is no target, as nearly every one is, is told so from the
/// flag's own cache lines, with no hashing (the context hashed its key once) and no read of
/// the table. Two bits per key; with 50 keys about one context in nine still reads the table.
#[derive(Debug, Default)]
pub(crate) struct Targets {
    filter: [u64; 4],
    keys: HashMap<String, usize>,
}

impl Targets {
    /// Adds a key; false (and nothing changed) if it was there already.
    fn insert(&mut self, key: &str, variation: usize) -> bool {
        let Entry::Vacant(slot) = self.keys.entry(key.to_owned()) else { return false };
        slot.insert(variation);
        for (word, bit) in filter_bits(key_hash(key)) {
            self.filter[word] |= bit;
        }
        true
    }

    /// The variation for this key (with its `key_hash`).
    pub(crate) fn get(&self, key: &str, hash: u64) -> Option<usize> {
        let maybe = filter_bits(hash).iter().all(|&(word, bit)| self.filter[word] & bit != 0);
        if maybe { self.keys.get(key).copied() } else { None }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// A key's two bits in the filter: (word, mask), from two bytes of its hash.
fn filter_bits(hash: u64) -> [(usize, u64); 2] {
    let bit = |b: u64| ((b >> 6) as usize & 3, 1u64 << (b & 63));
    [bit(hash & 0xff), bit((hash >> 8) & 0xff)]
}

/// Laid out for the rules that do not match, as most do not: 40 bytes, what testing a rule
/// reads first; its names and a rollout's details are boxed, read only when it matches.
#[derive(Debug)]
pub(crate) struct CompiledRule {
    pub(crate) clauses: Box<[CompiledClause]>,
    pub(crate) serve: CompiledServe,
    pub(crate) names: Box<RuleNames>,
}

#[derive(Debug)]
pub(crate) struct RuleNames {
    pub(crate) id: String,
    /// `id` as a JSON string (OFREP's `ruleId`).
    pub(crate) id_json: Box<str>,
}

#[derive(Debug)]
pub(crate) enum CompiledServe {
    Fixed(usize),
    Split(Box<CompiledRollout>),
}

#[derive(Debug)]
pub(crate) struct CompiledRollout {
    pub(crate) salt: String,
    pub(crate) bucket_by: AttrPath,
    /// Cumulative weights: slice `i` is `[ends[i-1], ends[i])`.
    pub(crate) ends: Vec<u32>,
    pub(crate) variations: Vec<usize>,
}

#[derive(Debug)]
pub(crate) struct CompiledClause {
    pub(crate) test: CompiledTest,
    pub(crate) negate: bool,
}

#[derive(Debug)]
pub(crate) enum CompiledTest {
    /// The matcher is shared with identical clauses (see `Matcher::shared`).
    Attribute(AttrPath, Arc<Matcher>),
    /// An index into the snapshot's segments (the usual clause: one segment, kept inline).
    Segment(usize),
    /// Indices into the snapshot's segments.
    Segments(Box<[usize]>),
}

#[derive(Debug)]
pub(crate) struct CompiledSegment {
    pub(crate) included: HashSet<String>,
    pub(crate) excluded: HashSet<String>,
    pub(crate) rules: Vec<Vec<CompiledClause>>,
}

/// What a segment key refers to, as seen by a flag being compiled.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SegmentRef {
    Valid(usize),
    Invalid,
    Unknown,
}

/// Compiles a flag with one environment's config; problems go to `errors` and make the
/// flag's body an error.
pub(crate) fn compile_flag(
    flag: &Flag,
    config: &EnvConfig,
    segments: &dyn Fn(&str) -> SegmentRef,
    errors: &mut Vec<ValidationError>,
) -> CompiledFlag {
    let before = errors.len();
    check_definition(flag, errors);
    let targeting = compile_config(flag, config, segments, errors);
    let body = match (targeting, errors.get(before)) {
        (Some(t), None) => Ok(t),
        (_, first) => Err(match first {
            Some(e) => format!("flag configuration is invalid: {e}"),
            None => "flag configuration is invalid".to_owned(),
        }),
    };
    let variations: Vec<(String, Value)> =
        flag.variations.iter().map(|v| (v.key.clone(), v.value.clone())).collect();
    // What `eval::evaluate_flag` serves every context of an off or a static flag.
    let fixed = match &body {
        Ok(t) if !t.on => Some((t.off, Reason::Disabled)),
        Ok(Targeting { is_static: true, default: CompiledServe::Fixed(v), .. }) => {
            Some((*v, Reason::Static))
        }
        _ => None,
    };
    CompiledFlag {
        key: flag.key.clone(),
        kind: flag.kind,
        wire: FlagWire::new(&flag.key, &variations, fixed),
        variations,
        body,
    }
}

/// Upper bounds on what a flag definition may hold, so that one flag cannot fill
/// the database or every snapshot (a 900 KB description and 20,000 tags were once
/// accepted).
pub mod limits {
    pub const NAME: usize = 200;
    pub const DESCRIPTION: usize = 10_000;
    pub const TAGS: usize = 50;
    pub const TAG: usize = 64;
    pub const VARIATIONS: usize = 100;
    pub const VARIATION_NAME: usize = 200;
    pub const PROPERTIES: usize = 50;
    pub const PROPERTY_VALUES: usize = 500;
    pub const PROPERTY_VALUE: usize = 1_000;
}

fn check_len(s: &str, max: usize, path: impl Into<String>, errors: &mut Vec<ValidationError>) {
    if s.chars().count() > max {
        push(errors, path, Problem::TooLong { max });
    }
}

fn check_count(n: usize, max: usize, path: &str, errors: &mut Vec<ValidationError>) {
    if n > max {
        push(errors, path, Problem::TooMany { max });
    }
}

pub(crate) fn check_definition(flag: &Flag, errors: &mut Vec<ValidationError>) {
    check_key(&flag.key, "key", errors);
    if flag.name.trim().is_empty() {
        push(errors, "name", Problem::Empty);
    }
    check_len(&flag.name, limits::NAME, "name", errors);
    check_len(&flag.description, limits::DESCRIPTION, "description", errors);
    check_count(flag.tags.len(), limits::TAGS, "tags", errors);
    check_count(flag.variations.len(), limits::VARIATIONS, "variations", errors);
    check_count(flag.custom_properties.len(), limits::PROPERTIES, "custom_properties", errors);
    if flag.variations.is_empty() {
        push(errors, "variations", Problem::Empty);
    }
    let mut seen = HashSet::new();
    for (i, v) in flag.variations.iter().enumerate() {
        check_key(&v.key, &format!("variations[{i}].key"), errors);
        if !v.key.is_empty() && !seen.insert(v.key.as_str()) {
            push(errors, format!("variations[{i}].key"), Problem::Duplicate(v.key.clone()));
        }
        if !flag.kind.accepts(&v.value) {
            push(errors, format!("variations[{i}].value"), Problem::WrongKind(flag.kind));
        }
        check_len(&v.name, limits::VARIATION_NAME, format!("variations[{i}].name"), errors);
    }
    for (i, tag) in flag.tags.iter().enumerate() {
        if tag.trim().is_empty() {
            push(errors, format!("tags[{i}]"), Problem::Empty);
        }
        check_len(tag, limits::TAG, format!("tags[{i}]"), errors);
    }
    for (key, property) in &flag.custom_properties {
        if key.trim().is_empty() {
            push(errors, "custom_properties", Problem::Empty);
        }
        let path = format!("custom_properties[{key:?}].values");
        check_count(property.values.len(), limits::PROPERTY_VALUES, &path, errors);
        for (i, value) in property.values.iter().enumerate() {
            check_len(value, limits::PROPERTY_VALUE, format!("{path}[{i}]"), errors);
        }
        if key == crate::JIRA_ISSUES_PROPERTY {
            for (i, issue) in property.values.iter().enumerate() {
                if tether_refs::IssueKey::parse(issue).is_err() {
                    let path = format!("custom_properties[{key:?}].values[{i}]");
                    push(errors, path, Problem::InvalidIssueKey(issue.clone()));
                }
            }
        }
    }
}

/// Compiles one environment's config; `None` if it had problems (all pushed to `errors`).
pub(crate) fn compile_config(
    flag: &Flag,
    config: &EnvConfig,
    segments: &dyn Fn(&str) -> SegmentRef,
    errors: &mut Vec<ValidationError>,
) -> Option<Targeting> {
    let before = errors.len();
    let variation = |key: &str, path: &str, errors: &mut Vec<ValidationError>| {
        let found = flag.variations.iter().position(|v| v.key == key);
        if found.is_none() {
            push(errors, path, Problem::UnknownVariation(key.to_owned()));
        }
        found
    };

    let off = variation(&config.off_variation, "off_variation", errors);

    let mut targets = Targets::default();
    for (i, target) in config.targets.iter().enumerate() {
        let v = variation(&target.variation, &format!("targets[{i}].variation"), errors);
        for (j, key) in target.keys.iter().enumerate() {
            let path = format!("targets[{i}].keys[{j}]");
            if key.is_empty() {
                push(errors, path, Problem::Empty);
            } else if !targets.insert(key, v.unwrap_or(0)) {
                push(errors, path, Problem::DuplicateTarget(key.clone()));
            }
        }
    }

    let mut rule_ids = HashSet::new();
    let mut rules = Vec::with_capacity(config.rules.len());
    for (i, rule) in config.rules.iter().enumerate() {
        if rule.id.is_empty() {
            push(errors, format!("rules[{i}].id"), Problem::Empty);
        } else if !rule_ids.insert(rule.id.as_str()) {
            push(errors, format!("rules[{i}].id"), Problem::Duplicate(rule.id.clone()));
        }
        let clauses = compile_clauses(&rule.clauses, &format!("rules[{i}]"), segments, errors);
        let serve = compile_serve(flag, &rule.serve, &format!("rules[{i}].serve"), errors);
        if let (Some(clauses), Some(serve)) = (clauses, serve) {
            let id_json = json_string(&rule.id).into_boxed_str();
            let names = Box::new(RuleNames { id: rule.id.clone(), id_json });
            rules.push(CompiledRule { clauses: clauses.into_boxed_slice(), serve, names });
        }
    }

    let default = compile_serve(flag, &config.default_rule, "default_rule", errors);
    if errors.len() > before {
        return None;
    }
    let default = default?;
    let is_static = config.targets.iter().all(|t| t.keys.is_empty())
        && rules.is_empty()
        && matches!(default, CompiledServe::Fixed(_));
    Some(Targeting { on: config.on, off: off?, targets, rules, default, is_static })
}

/// Compiles a segment; `None` if it had problems (all pushed to `errors`).
pub(crate) fn compile_segment(
    segment: &Segment,
    errors: &mut Vec<ValidationError>,
) -> Option<CompiledSegment> {
    let before = errors.len();
    check_key(&segment.key, "key", errors);
    let no_segments = |_: &str| SegmentRef::Unknown;
    let mut ids = HashSet::new();
    let mut rules = Vec::with_capacity(segment.rules.len());
    for (i, rule) in segment.rules.iter().enumerate() {
        if rule.id.is_empty() {
            push(errors, format!("rules[{i}].id"), Problem::Empty);
        } else if !ids.insert(rule.id.as_str()) {
            push(errors, format!("rules[{i}].id"), Problem::Duplicate(rule.id.clone()));
        }
        // Segments may not refer to segments: membership then never needs cycle checks.
        for (j, clause) in rule.clauses.iter().enumerate() {
            if matches!(clause.test, Test::InSegment(_)) {
                push(errors, format!("rules[{i}].clauses[{j}]"), Problem::NestedSegment);
            }
        }
        let plain = rule.clauses.iter().all(|c| matches!(c.test, Test::Attribute { .. }));
        if plain {
            let path = format!("rules[{i}]");
            if let Some(clauses) = compile_clauses(&rule.clauses, &path, &no_segments, errors) {
                rules.push(clauses);
            }
        }
    }
    if errors.len() > before {
        return None;
    }
    Some(CompiledSegment {
        included: segment.included.iter().cloned().collect(),
        excluded: segment.excluded.iter().cloned().collect(),
        rules,
    })
}

fn compile_clauses(
    clauses: &[Clause],
    rule_path: &str,
    segments: &dyn Fn(&str) -> SegmentRef,
    errors: &mut Vec<ValidationError>,
) -> Option<Vec<CompiledClause>> {
    let before = errors.len();
    let mut out = Vec::with_capacity(clauses.len());
    for (j, clause) in clauses.iter().enumerate() {
        let path = format!("{rule_path}.clauses[{j}]");
        let test = match &clause.test {
            Test::Attribute { attribute, op } => compile_attribute(attribute, op, &path, errors),
            Test::InSegment(keys) => compile_segment_test(keys, &path, segments, errors),
        };
        if let Some(test) = test {
            out.push(CompiledClause { test, negate: clause.negate });
        }
    }
    (errors.len() == before).then_some(out)
}

fn compile_attribute(
    attribute: &str,
    op: &Op,
    path: &str,
    errors: &mut Vec<ValidationError>,
) -> Option<CompiledTest> {
    let attr = AttrPath::shared(attribute);
    if attr.is_err() {
        push(errors, format!("{path}.attribute"), Problem::InvalidAttribute(attribute.to_owned()));
    }
    let matcher = Matcher::shared(op).map_err(|p| push(errors, format!("{path}.op"), p));
    Some(CompiledTest::Attribute(attr.ok()?, matcher.ok()?))
}

fn compile_segment_test(
    keys: &[String],
    path: &str,
    segments: &dyn Fn(&str) -> SegmentRef,
    errors: &mut Vec<ValidationError>,
) -> Option<CompiledTest> {
    if keys.is_empty() {
        push(errors, format!("{path}.segments"), Problem::Empty);
        return None;
    }
    let mut indices = Vec::with_capacity(keys.len());
    for (k, key) in keys.iter().enumerate() {
        let path = format!("{path}.segments[{k}]");
        match segments(key) {
            SegmentRef::Valid(i) => indices.push(i),
            SegmentRef::Invalid => push(errors, path, Problem::InvalidSegment(key.clone())),
            SegmentRef::Unknown => push(errors, path, Problem::UnknownSegment(key.clone())),
        }
    }
    (indices.len() == keys.len()).then(|| match indices[..] {
        [one] => CompiledTest::Segment(one),
        _ => CompiledTest::Segments(indices.into_boxed_slice()),
    })
}

fn compile_serve(
    flag: &Flag,
    serve: &Serve,
    path: &str,
    errors: &mut Vec<ValidationError>,
) -> Option<CompiledServe> {
    let index = |key: &str| flag.variations.iter().position(|v| v.key == key);
    match serve {
        Serve::Variation(key) => {
            let i = index(key);
            if i.is_none() {
                push(errors, format!("{path}.variation"), Problem::UnknownVariation(key.clone()));
            }
            Some(CompiledServe::Fixed(i?))
        }
        Serve::Rollout(rollout) => {
            compile_rollout(flag, rollout, &format!("{path}.rollout"), errors)
        }
    }
}

fn compile_rollout(
    flag: &Flag,
    rollout: &Rollout,
    path: &str,
    errors: &mut Vec<ValidationError>,
) -> Option<CompiledServe> {
    let before = errors.len();
    let bucket_by = rollout.bucket_by.as_deref().unwrap_or(crate::DEFAULT_BUCKET_BY);
    let attr = AttrPath::shared(bucket_by);
    if attr.is_err() {
        push(errors, format!("{path}.bucket_by"), Problem::InvalidAttribute(bucket_by.to_owned()));
    }
    if rollout.variations.is_empty() {
        push(errors, format!("{path}.variations"), Problem::Empty);
    }
    let mut seen = HashSet::new();
    let mut ends = Vec::with_capacity(rollout.variations.len());
    let mut variations = Vec::with_capacity(rollout.variations.len());
    let mut sum: u64 = 0;
    for (i, wv) in rollout.variations.iter().enumerate() {
        let vpath = format!("{path}.variations[{i}].variation");
        match flag.variations.iter().position(|v| v.key == wv.variation) {
            Some(v) => variations.push(v),
            None => push(errors, vpath.clone(), Problem::UnknownVariation(wv.variation.clone())),
        }
        if !seen.insert(wv.variation.as_str()) {
            push(errors, vpath, Problem::Duplicate(wv.variation.clone()));
        }
        sum += u64::from(wv.weight);
        // Clamped only for the unsigned conversion; a sum over the total is reported below.
        ends.push(u32::try_from(sum).unwrap_or(u32::MAX));
    }
    if !rollout.variations.is_empty() && sum != u64::from(TOTAL_WEIGHT) {
        push(errors, format!("{path}.variations"), Problem::WeightSum(sum));
    }
    if errors.len() > before {
        return None;
    }
    Some(CompiledServe::Split(Box::new(CompiledRollout {
        salt: rollout.salt.clone(),
        bucket_by: attr.ok()?,
        ends,
        variations,
    })))
}

fn push(errors: &mut Vec<ValidationError>, path: impl Into<String>, problem: Problem) {
    errors.push(ValidationError { path: path.into(), problem });
}

fn check_key(key: &str, path: &str, errors: &mut Vec<ValidationError>) {
    if key.is_empty() {
        push(errors, path, Problem::Empty);
    } else if !key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
        push(errors, path, Problem::InvalidKey);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What testing a rule reads stays small (the layout the comment on `CompiledRule`
    /// promises).
    #[test]
    fn a_rule_is_forty_bytes() {
        assert_eq!(size_of::<CompiledRule>(), 40);
        assert_eq!(size_of::<CompiledServe>(), 16);
        assert!(size_of::<CompiledClause>() <= 32, "{}", size_of::<CompiledClause>());
    }

    /// Every key is found with its variation, past the filter; keys that are not targets are
    /// not, whether the filter or the table turns them away; a duplicate is refused.
    #[test]
    fn targets_answer_exactly_their_keys() {
        let mut targets = Targets::default();
        assert!(targets.is_empty());
        for i in 0..300 {
            assert!(targets.insert(&format!("user-{i}"), i % 3));
        }
        assert!(!targets.insert("user-7", 2), "a duplicate");
        for i in 0..300 {
            let key = format!("user-{i}");
            assert_eq!(targets.get(&key, key_hash(&key)), Some(i % 3), "{key}");
        }
        let mut turned_away_by_the_filter = 0;
        let mut few = Targets::default();
        few.insert("alice", 1);
        for i in 0..1000 {
            let key = format!("someone-{i}");
            assert_eq!(targets.get(&key, key_hash(&key)), None);
            assert_eq!(few.get(&key, key_hash(&key)), None);
            let bits = filter_bits(key_hash(&key));
            if !bits.iter().all(|&(w, b)| few.filter[w] & b != 0) {
                turned_away_by_the_filter += 1;
            }
        }
        // With one key (two bits of 256 set) nearly every other key stops at the filter.
        assert!(turned_away_by_the_filter > 990, "{turned_away_by_the_filter}");
    }
}
