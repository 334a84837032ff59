//! `cargo xtask bench ofrep --peer unleash-edge`: the same flags, contexts and load against
//! Unleash Edge (an `unleash-edge` binary, offline mode) in the same run, through its
//! frontend API: `POST /api/frontend/features/{name}` for the single phase and
//! `POST /api/frontend/all` for bulk.
//!
//! The benchmark's flag set is written as Unleash client features (the bootstrap file Edge
//! reads), as close as Unleash can say it: each tether variation is an Unleash variant of
//! the same name and payload; the individual targets, each rule and each segment are a
//! `flexibleRollout` strategy at 100% with the constraints (or the segment) and the
//! variants it serves, in tether's order (Unleash takes the first strategy that matches);
//! the default rule is a last strategy with no constraints. A tether segment's included keys
//! are a strategy of their own (Unleash segments only AND their constraints), its excluded
//! keys a `userId NOT_IN` constraint. Edge 20.1 has no regex operator, so the one regex
//! rule (`^beta-[0-9]+$`) is a starts-with of its literal prefix. Contexts keep their attributes as Unleash properties
//! (`app.version` is `appVersion`). Before the load every (flag, context) pair is asked
//! of Edge through bulk evaluation, and every answer whose tether reason involves no
//! percentage (Unleash hashes differently) must name tether's variation.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use serde_json::{Value, json};
use tether_flags::{
    Clause, Context, EnvConfig, Flag, FlagKind, Op, Reason, Serve, Snapshot, Target, Test,
};

use super::load::{ClientKind, Conn, Req};
use super::seed::FlagSet;
use super::server::Server;

/// The frontend token Edge is started with and requests carry.
pub const TOKEN: &str = "*:production.tether-bench";
pub const BULK_PATH: &str = "/api/frontend/all";

pub fn single_path(name: &str) -> String {
    format!("/api/frontend/features/{name}")
}

/// A request to Edge: its token is the whole `Authorization` header.
pub fn request(addr: SocketAddr, path: &str, body: Vec<u8>) -> Req {
    Req::post_with(addr, path, &[("authorization", TOKEN)], body)
}

/// The `unleash-edge` binary: `UNLEASH_EDGE_BIN`, else the first on the `PATH`.
pub fn find_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("UNLEASH_EDGE_BIN") {
        return std::path::absolute(&path).context("cannot resolve UNLEASH_EDGE_BIN");
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("unleash-edge"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            anyhow!(
                "--peer unleash-edge needs an `unleash-edge` binary on the PATH (or in \
                 UNLEASH_EDGE_BIN): `cargo install --locked unleash-edge`"
            )
        })
}

/// Writes the bootstrap file and starts Edge in offline mode on a free loopback port.
pub fn start(bin: &Path, set: &FlagSet, dir: &Path) -> Result<Server> {
    let file = dir.join("unleash-features.json");
    std::fs::write(&file, serde_json::to_vec(&features(set)?)?)?;
    // A free port: Edge takes a port number, not `:0`.
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port();
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut cmd = Command::new(bin);
    cmd.args(["--port", &port.to_string(), "--interface", "127.0.0.1", "offline"])
        .arg("--bootstrap-file")
        .arg(&file)
        .args(["--client-tokens", TOKEN, "--frontend-tokens", TOKEN])
        .env("RUST_LOG", "warn")
        .current_dir(dir);
    Server::spawn_polling(cmd, "unleash-edge", addr, || {
        TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
    })
}

/// A tether context as Unleash's: the targeting key is the user id, the rest properties
/// (strings; nested objects flattened to camel case: `app.version` is `appVersion`).
pub fn context(ctx: &Value) -> Value {
    let mut properties = serde_json::Map::new();
    let mut user_id = Value::Null;
    for (key, value) in ctx.as_object().into_iter().flatten() {
        match value {
            _ if key == "targetingKey" => user_id = value.clone(),
            Value::Object(inner) => {
                for (k, v) in inner {
                    properties.insert(context_name(&format!("{key}.{k}")), Value::String(text(v)));
                }
            }
            _ => {
                properties.insert(key.clone(), Value::String(text(value)));
            }
        }
    }
    json!({"userId": user_id, "properties": properties})
}

/// A value as Unleash's context and constraints carry it: text.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The attribute a tether clause reads, as Unleash's context names it.
fn context_name(attribute: &str) -> String {
    match attribute {
        "targetingKey" => "userId".to_owned(),
        path => {
            let mut parts = path.split('.');
            let mut name = parts.next().unwrap_or_default().to_owned();
            for part in parts {
                name.extend(part.chars().take(1).flat_map(char::to_uppercase));
                name.push_str(&part[part.chars().next().map_or(0, char::len_utf8)..]);
            }
            name
        }
    }
}

/// One Unleash constraint for a tether attribute clause.
fn constraint(attribute: &str, op: &Op, negated: bool) -> Result<Value> {
    let name = context_name(attribute);
    let values = |vs: &[Value]| vs.iter().map(text).collect::<Vec<_>>();
    let (operator, key, value) = match op {
        Op::In(vs) => ("IN", "values", json!(values(vs))),
        Op::Equals(v) => ("IN", "values", json!([text(v)])),
        Op::EndsWith(s) => ("STR_ENDS_WITH", "values", json!([s])),
        Op::StartsWith(s) => ("STR_STARTS_WITH", "values", json!([s])),
        Op::Contains(s) => ("STR_CONTAINS", "values", json!([s])),
        // Edge 20.1's engine (yggdrasil 0.18) has no regex operator: an anchored pattern is
        // written as its literal prefix, which `verify` shows decides alike for the
        // benchmark's contexts (and costs Edge less than a regex).
        Op::Matches(re) => match literal_prefix(re) {
            Some(prefix) => ("STR_STARTS_WITH", "values", json!([prefix])),
            None => bail!("the Edge benchmark cannot write the regex {re:?} for Unleash"),
        },
        Op::SemverGreater(v) => ("SEMVER_GT", "value", json!(v)),
        Op::SemverLess(v) => ("SEMVER_LT", "value", json!(v)),
        other => bail!("the Edge benchmark has no Unleash form of {other:?}"),
    };
    Ok(json!({"contextName": name, "operator": operator, key: value, "inverted": negated}))
}

/// The literal text an anchored regex starts with (`^beta-[0-9]+$` → `beta-`), if any.
fn literal_prefix(re: &str) -> Option<&str> {
    let rest = re.strip_prefix('^')?;
    let end = rest.find(|c: char| "\\.[](){}*+?|$^".contains(c)).unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// An Unleash variant for a tether variation, weighted (out of 1,000).
fn variant(flag: &Flag, key: &str, weight: u32) -> Result<Value> {
    let v = flag
        .variations
        .iter()
        .find(|v| v.key == key)
        .ok_or_else(|| anyhow!("{}: no variation {key}", flag.key))?;
    let payload = match (flag.kind, &v.value) {
        (FlagKind::Boolean, _) => None,
        (_, Value::String(s)) => Some(json!({"type": "string", "value": s})),
        (FlagKind::Number, n) => Some(json!({"type": "number", "value": n.to_string()})),
        (_, other) => Some(json!({"type": "json", "value": other.to_string()})),
    };
    let mut out = json!({"name": key, "weight": weight, "stickiness": "default"});
    if let Some(payload) = payload {
        out["payload"] = payload;
    }
    Ok(out)
}

/// The variants a tether serve gives out (a rollout's weights are out of 100,000).
fn variants(flag: &Flag, serve: &Serve) -> Result<Vec<Value>> {
    match serve {
        Serve::Variation(key) => Ok(vec![variant(flag, key, 1000)?]),
        Serve::Rollout(r) => {
            r.variations.iter().map(|w| variant(flag, &w.variation, w.weight / 100)).collect()
        }
    }
}

/// A `flexibleRollout` at 100% with these constraints and segments, serving `serve`.
fn strategy(
    flag: &Flag,
    constraints: Vec<Value>,
    segments: Vec<i32>,
    serve: &Serve,
) -> Result<Value> {
    Ok(json!({
        "name": "flexibleRollout",
        "parameters": {"rollout": "100", "stickiness": "default", "groupId": flag.key},
        "constraints": constraints,
        "segments": segments,
        "variants": variants(flag, serve)?,
    }))
}

/// Ways of matching, each the `(constraints, segments)` of one strategy: any one matching
/// is enough.
type Alternatives = Vec<(Vec<Value>, Vec<i32>)>;

/// Per tether segment (by key), the ways of being in it.
type SegmentWays = Vec<(String, Alternatives)>;

/// Tether's segments as Unleash segments (ids from 1, in order) and the ways of being in
/// each.
fn segments(set: &FlagSet) -> Result<(Vec<Value>, SegmentWays)> {
    let mut unleash = Vec::new();
    let mut by_key = Vec::new();
    for segment in &set.segments {
        let excluded: Vec<Value> = if segment.excluded.is_empty() {
            Vec::new()
        } else {
            vec![json!({"contextName": "userId", "operator": "NOT_IN",
                "values": segment.excluded, "inverted": false})]
        };
        let mut alternatives = Vec::new();
        if !segment.included.is_empty() {
            alternatives.push((
                vec![json!({"contextName": "userId", "operator": "IN",
                    "values": segment.included, "inverted": false})],
                Vec::new(),
            ));
        }
        for rule in &segment.rules {
            let mut constraints = excluded.clone();
            for clause in &rule.clauses {
                constraints.push(attribute_constraint(clause)?);
            }
            let id = i32::try_from(unleash.len() + 1)?;
            unleash.push(json!({"id": id, "name": rule.id, "constraints": constraints}));
            alternatives.push((Vec::new(), vec![id]));
        }
        by_key.push((segment.key.clone(), alternatives));
    }
    Ok((unleash, by_key))
}

fn attribute_constraint(clause: &Clause) -> Result<Value> {
    match &clause.test {
        Test::Attribute { attribute, op } => constraint(attribute, op, clause.negate),
        Test::InSegment(_) => bail!("a segment inside a segment rule"),
    }
}

/// One Unleash feature for a tether flag as configured in the environment.
fn feature(flag: &Flag, config: &EnvConfig, segments: &[(String, Alternatives)]) -> Result<Value> {
    let mut strategies = Vec::new();
    for Target { variation, keys } in &config.targets {
        let users = json!({"contextName": "userId", "operator": "IN", "values": keys,
            "inverted": false});
        strategies.push(strategy(
            flag,
            vec![users],
            Vec::new(),
            &Serve::Variation(variation.clone()),
        )?);
    }
    for rule in &config.rules {
        // A rule's clauses are ANDed; a segment clause (one segment here) multiplies the
        // rule into one strategy per way of being in the segment.
        let mut ways: Alternatives = vec![(Vec::new(), Vec::new())];
        for clause in &rule.clauses {
            match &clause.test {
                Test::Attribute { .. } => {
                    let c = attribute_constraint(clause)?;
                    ways.iter_mut().for_each(|(cs, _)| cs.push(c.clone()));
                }
                Test::InSegment(keys) => {
                    ensure!(
                        keys.len() == 1 && !clause.negate,
                        "{}: one segment per clause",
                        flag.key
                    );
                    let (_, alternatives) = segments
                        .iter()
                        .find(|(k, _)| *k == keys[0])
                        .ok_or_else(|| anyhow!("no segment {}", keys[0]))?;
                    ways = ways
                        .iter()
                        .flat_map(|(cs, ss)| {
                            alternatives.iter().map(move |(acs, ass)| {
                                (
                                    cs.iter().chain(acs).cloned().collect(),
                                    ss.iter().chain(ass).copied().collect(),
                                )
                            })
                        })
                        .collect();
                }
            }
        }
        for (constraints, segs) in ways {
            strategies.push(strategy(flag, constraints, segs, &rule.serve)?);
        }
    }
    strategies.push(strategy(flag, Vec::new(), Vec::new(), &config.default_rule)?);
    Ok(json!({
        "name": flag.key,
        "type": "release",
        "project": "default",
        "enabled": config.on,
        "stale": false,
        "impressionData": false,
        "strategies": strategies,
    }))
}

/// The flag set as Unleash client features (API version 2), segments included.
pub fn features(set: &FlagSet) -> Result<Value> {
    let (unleash_segments, by_key) = segments(set)?;
    let features = set
        .flags
        .iter()
        .map(|(flag, config)| feature(flag, config, &by_key))
        .collect::<Result<Vec<_>>>()?;
    Ok(json!({"version": 2, "features": features, "segments": unleash_segments}))
}

/// Asks Edge for every flag in every context (bulk) and compares its variants with tether's
/// wherever tether's answer involves no percentage; returns (compared, skipped as
/// percentages).
pub async fn verify(
    addr: SocketAddr,
    snapshot: &Snapshot,
    contexts: &[Value],
) -> Result<(usize, usize)> {
    let mut conn = Conn::connect(ClientKind::Raw, addr).await.context("cannot connect to Edge")?;
    let (mut compared, mut skipped) = (0, 0);
    for ctx in contexts {
        let body = serde_json::to_vec(&context(ctx))?;
        let answer = conn.send(&request(addr, BULK_PATH, body), true).await?;
        ensure!(answer.status == 200, "Edge answered {} to bulk evaluation", answer.status);
        let answer: Value = serde_json::from_slice(&answer.body.unwrap_or_default())
            .context("Edge's bulk answer is not JSON")?;
        let toggles = answer["toggles"].as_array().context("Edge's answer has no toggles")?;
        ensure!(
            toggles.len() == snapshot.len(),
            "Edge answered {} of {} flags",
            toggles.len(),
            snapshot.len()
        );
        let tether_ctx = Context::from_value(ctx).context("a context is not an object")?;
        for toggle in toggles {
            let name = toggle["name"].as_str().context("a toggle without a name")?;
            let eval = snapshot.evaluate(name, &tether_ctx);
            let edge =
                if toggle["enabled"] == true { toggle["variant"]["name"].as_str() } else { None };
            let expected = match eval.reason {
                Reason::Split { .. } => {
                    skipped += 1;
                    continue;
                }
                Reason::Disabled => None,
                _ => eval.variation,
            };
            ensure!(
                edge == expected,
                "Edge serves {name} {edge:?} where tether serves {expected:?} ({}) to {ctx}",
                eval.reason.as_str()
            );
            compared += 1;
        }
    }
    Ok((compared, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::seed;

    #[test]
    fn contexts_and_attributes_use_unleash_names() {
        let ctx =
            json!({"targetingKey": "u1", "country": "FR", "app": {"version": "1.2.3"}, "n": 3});
        assert_eq!(
            context(&ctx),
            json!({"userId": "u1", "properties": {"country": "FR", "appVersion": "1.2.3", "n": "3"}})
        );
        assert_eq!(context_name("app.version"), "appVersion");
        assert_eq!(context_name("targetingKey"), "userId");
        assert_eq!(literal_prefix("^beta-[0-9]+$"), Some("beta-"));
        assert_eq!(literal_prefix("beta"), None);
        assert_eq!(literal_prefix("^[a-z]"), None);
    }

    /// Every flag becomes one feature; a targeted flag has its targets, one strategy per rule
    /// (two for each segment rule with included keys and one rule), and the default last.
    #[test]
    fn the_flag_set_becomes_unleash_features() {
        let set = seed::flag_set();
        let out = features(&set).unwrap();
        let features = out["features"].as_array().unwrap();
        assert_eq!(features.len(), set.flags.len());
        assert_eq!(out["segments"].as_array().unwrap().len(), 2);
        let (flag, config) = set.flags.iter().find(|(_, c)| !c.rules.is_empty()).unwrap();
        let f = features.iter().find(|f| f["name"] == flag.key.as_str()).unwrap();
        let strategies = f["strategies"].as_array().unwrap();
        // targets, internal (segment rule), eu-south, new-app, enterprise, beta (included
        // keys, segment rule), beta-names, default.
        assert_eq!(strategies.len(), 1 + 1 + 1 + 1 + 1 + 2 + 1 + 1, "{f:#}");
        assert_eq!(strategies.last().unwrap()["constraints"], json!([]));
        assert_eq!(f["enabled"], json!(config.on));
        let weights: i64 = strategies
            .iter()
            .flat_map(|s| s["variants"].as_array().unwrap())
            .map(|v| v["weight"].as_i64().unwrap())
            .sum();
        assert_eq!(weights % 1000, 0, "every strategy's weights make 1,000");
    }
}
