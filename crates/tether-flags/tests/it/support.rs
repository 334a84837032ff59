//! Small builders for flags, configs and segments, and a one-line rendering of evaluations.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tether_flags::{
    Clause, Context, EnvConfig, Evaluation, Flag, FlagKind, Match, Reason, Rollout, Rule, Segment,
    Serve, Snapshot, Variation, WeightedVariation,
};

/// A boolean flag with variations `on` (true) and `off` (false).
pub fn bool_flag(key: &str) -> Flag {
    flag(key, FlagKind::Boolean, &[("on", json!(true)), ("off", json!(false))])
}

pub fn flag(key: &str, kind: FlagKind, variations: &[(&str, Value)]) -> Flag {
    Flag {
        key: key.to_owned(),
        name: format!("The {key} flag"),
        description: String::new(),
        kind,
        variations: variations
            .iter()
            .map(|(k, v)| Variation { key: (*k).to_owned(), name: String::new(), value: v.clone() })
            .collect(),
        tags: Vec::new(),
        custom_properties: BTreeMap::new(),
    }
}

/// On, off variation `off`, no targets or rules, default serves `on`.
pub fn config() -> EnvConfig {
    EnvConfig {
        on: true,
        off_variation: "off".to_owned(),
        targets: Vec::new(),
        rules: Vec::new(),
        default_rule: Serve::variation("on"),
    }
}

pub fn rule(id: &str, clauses: Vec<Clause>, serve: Serve) -> Rule {
    Rule { id: id.to_owned(), description: String::new(), clauses, serve }
}

pub fn rollout(weights: &[(&str, u32)], salt: &str) -> Serve {
    Serve::Rollout(Rollout {
        variations: weights
            .iter()
            .map(|(v, w)| WeightedVariation { variation: (*v).to_owned(), weight: *w })
            .collect(),
        bucket_by: None,
        salt: salt.to_owned(),
    })
}

pub fn segment(
    key: &str,
    included: &[&str],
    excluded: &[&str],
    rules: Vec<Vec<Clause>>,
) -> Segment {
    Segment {
        key: key.to_owned(),
        name: key.to_owned(),
        description: String::new(),
        included: included.iter().map(|s| (*s).to_owned()).collect(),
        excluded: excluded.iter().map(|s| (*s).to_owned()).collect(),
        rules: rules
            .into_iter()
            .enumerate()
            .map(|(i, clauses)| tether_flags::SegmentRule { id: format!("s{i}"), clauses })
            .collect(),
    }
}

/// Builds a one-flag snapshot and evaluates it for the JSON object `ctx`.
pub fn eval_one(flag: &Flag, config: &EnvConfig, segments: &[Segment], ctx: &Value) -> String {
    let snapshot = Snapshot::build(1, [(flag, config)], segments);
    let ctx = Context::from_value(ctx).unwrap_or_default();
    render(&snapshot.evaluate(&flag.key, &ctx))
}

/// `REASON [detail] variation=value`, e.g. `TARGETING_MATCH rule r1 on=true`.
pub fn render(e: &Evaluation<'_>) -> String {
    let detail = match e.reason {
        Reason::TargetingMatch(Match::Target) => " target".to_owned(),
        Reason::TargetingMatch(Match::Rule(r)) => format!(" rule {}#{}", r.id, r.index),
        Reason::Split { rule: Some(r) } => format!(" rule {}#{}", r.id, r.index),
        Reason::Split { rule: None } => " default".to_owned(),
        Reason::Error { code, .. } => format!(" {}", code.as_str()),
        Reason::Static | Reason::Disabled | Reason::Default => String::new(),
    };
    let served = match (e.variation, e.value) {
        (Some(k), Some(v)) => format!(" {k}={v}"),
        (None, None) => String::new(),
        other => format!(" inconsistent {other:?}"),
    };
    format!("{}{detail}{served}", e.reason.as_str())
}
