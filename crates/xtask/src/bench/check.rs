//! Before any load: the server's answers are checked against the same flags evaluated
//! locally with `tether-flags` (single evaluations of every flag, bulk for every context),
//! so the benchmark measures correct answers and not, say, a wall of `FLAG_NOT_FOUND`.

use std::net::SocketAddr;

use anyhow::{Context as _, Result, bail, ensure};
use serde_json::{Map, Value, json};
use tether_flags::{Context, Evaluation, Match, Reason, Snapshot};

use super::load::{ClientKind, Conn, Req};

/// What OFREP should answer for one successful evaluation (as tether renders it).
pub fn expected(key: &str, eval: &Evaluation<'_>) -> Value {
    let mut metadata = Map::new();
    match eval.reason {
        Reason::TargetingMatch(Match::Rule(rule)) | Reason::Split { rule: Some(rule) } => {
            metadata.insert("ruleId".into(), rule.id.into());
        }
        Reason::TargetingMatch(Match::Target) => {
            metadata.insert("individualTarget".into(), true.into());
        }
        _ => {}
    }
    json!({
        "key": key,
        "value": eval.value.cloned().unwrap_or(Value::Null),
        "variant": eval.variation,
        "reason": eval.reason.as_str(),
        "metadata": metadata,
    })
}

/// The path of a single evaluation.
pub fn single_path(key: &str) -> String {
    format!("/ofrep/v1/evaluate/flags/{key}")
}

pub const BULK_PATH: &str = "/ofrep/v1/evaluate/flags";

/// A request body with this context.
pub fn body(ctx: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({ "context": ctx })).expect("JSON serialises")
}

/// Checks every flag once in two contexts, and bulk evaluation in every context; returns
/// how many evaluations were compared.
pub async fn verify(
    addr: SocketAddr,
    sdk_key: &str,
    snapshot: &Snapshot,
    contexts: &[Value],
) -> Result<usize> {
    let mut conn = Conn::connect(ClientKind::Raw, addr).await.context("cannot connect")?;
    let mut compared = 0;
    let keys: Vec<&str> = snapshot.flag_keys().collect();
    for (i, key) in keys.iter().enumerate() {
        for ctx in [&contexts[i % contexts.len()], &contexts[(i * 7 + 3) % contexts.len()]] {
            let req = Req::post(addr, &single_path(key), sdk_key, body(ctx));
            let answer = conn.send(&req, true).await?;
            let got: Value = serde_json::from_slice(&answer.body.unwrap_or_default())
                .context("a single evaluation's body is not JSON")?;
            ensure!(answer.status == 200, "flag {key}: status {}: {got}", answer.status);
            let local = Context::from_value(ctx).expect("contexts are objects");
            let want = expected(key, &snapshot.evaluate(key, &local));
            if got != want {
                bail!("flag {key} in context {ctx}: the server answered {got}, expected {want}");
            }
            compared += 1;
        }
    }
    for ctx in contexts {
        let req = Req::post(addr, BULK_PATH, sdk_key, body(ctx));
        let answer = conn.send(&req, true).await?;
        ensure!(answer.status == 200, "bulk evaluation: status {}", answer.status);
        let got: Value = serde_json::from_slice(&answer.body.unwrap_or_default())
            .context("a bulk evaluation's body is not JSON")?;
        let local = Context::from_value(ctx).expect("contexts are objects");
        let want: Vec<Value> =
            snapshot.evaluate_all(&local).map(|(key, eval)| expected(key, &eval)).collect();
        ensure!(
            got["flags"].as_array().map(Vec::len) == Some(want.len()),
            "bulk evaluation in context {ctx}: {} flags, expected {}",
            got["flags"].as_array().map_or(0, Vec::len),
            want.len()
        );
        if got["flags"] != Value::Array(want.clone()) {
            let first = got["flags"]
                .as_array()
                .into_iter()
                .flatten()
                .zip(&want)
                .find(|(g, w)| g != w)
                .map(|(g, w)| format!("answered {g}, expected {w}"))
                .unwrap_or_default();
            bail!("bulk evaluation in context {ctx}: {first}");
        }
        compared += want.len();
    }
    Ok(compared)
}
