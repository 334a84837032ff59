//! The official OpenFeature OFREP providers (npm `@openfeature/ofrep-provider`
//! with the server SDK, and PyPI `openfeature-provider-ofrep`) evaluate the
//! demo's flags against a running tether, and agree with tether's own
//! evaluation of the same flags. Runs when `TEST_OPENFEATURE=1` (ignored, with the reason, otherwise); `.ci/run`
//! installs both.

use serde_json::{Value, json};
use tether_flags::{Context, FlagKind, Reason, Snapshot};
use tether_store::{MasterKey, Store};

use crate::Sandboxed;

fn openfeature_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openfeature")
}

/// Runs one of the evaluation scripts on the cases; returns its JSON answer.
pub(crate) async fn run_script(
    program: &str,
    script: &str,
    url: &str,
    sdk_key: &str,
    cases: &Value,
) -> Vec<Value> {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(program)
        .arg(openfeature_dir().join(script))
        .args([url, sdk_key])
        .current_dir(openfeature_dir())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    child.stdin.take().unwrap().write_all(cases.to_string().as_bytes()).await.unwrap();
    let out = child.wait_with_output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str::<Vec<Value>>(line)
        .unwrap_or_else(|e| panic!("{script} printed {stdout:?}: {e}"))
}

#[tokio::test]
#[cfg_attr(
    not(tether_openfeature),
    ignore = "needs TEST_OPENFEATURE=1 and the OFREP providers (npm ci in crates/tether/tests/openfeature, pip install -r its requirements.txt); .ci/run installs them"
)]
async fn the_official_ofrep_providers_agree_with_tethers_own_evaluation() {
    assert!(
        openfeature_dir().join("node_modules/@openfeature/ofrep-provider").exists(),
        "TEST_OPENFEATURE is set but {}/node_modules is missing: run `npm ci` there",
        openfeature_dir().display()
    );
    let t = Sandboxed::new();
    let mut demo = t.start(&["demo", "--port", "0"], &[]).await;
    let mut sdk_key = None;
    while let Some(line) = demo.stdout.recv().await {
        if let Some(k) = line.trim().strip_prefix("SDK key (production): ") {
            sdk_key = Some(k.to_owned());
        }
        if line.contains("Ctrl-C") {
            break;
        }
    }
    let sdk_key = sdk_key.expect("the demo prints an SDK key");

    // tether's own evaluation, from the same database.
    let key_file = std::fs::read_to_string(t.path().join("tether-data/master.key")).unwrap();
    let url = format!("sqlite://{}/tether-data/tether.db", t.path().display());
    let store = Store::connect(&url, MasterKey::from_encoded(&key_file).unwrap()).await.unwrap();
    let contents = store.environment_contents("demo", "production").await.unwrap();
    let snapshot =
        Snapshot::build(0, contents.flags.iter().map(|(f, c)| (f, c)), contents.segments.iter());

    let contexts = [
        json!({"targetingKey": "user-1"}),
        json!({"targetingKey": "user-2", "email": "ann@demo.test"}),
        json!({"targetingKey": "user-3", "country": "FR"}),
        json!({"targetingKey": "user-4"}),
        json!({"targetingKey": "user-5"}),
        json!({"targetingKey": "user-6"}),
        json!({}),
    ];
    let mut cases = Vec::new();
    for (flag, _) in &contents.flags {
        let (kind, default) = match flag.kind {
            FlagKind::Boolean => ("boolean", json!(false)),
            FlagKind::String => ("string", json!("fallback")),
            FlagKind::Number => ("number", json!(-1)),
            FlagKind::Json => ("object", json!({"fallback": true})),
        };
        for ctx in &contexts {
            cases.push(json!({"flag": flag.key, "kind": kind, "default": default, "context": ctx}));
        }
    }
    cases.push(json!({"flag": "no-such-flag", "kind": "boolean", "default": true, "context": {"targetingKey": "u"}}));
    let cases = Value::Array(cases);

    let expected: Vec<Value> = cases
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let ctx = c["context"].clone();
            let eval = snapshot.evaluate(c["flag"].as_str().unwrap(), &Context::from_value(&ctx).unwrap());
            match eval.reason {
                Reason::Error { code, .. } => json!({
                    "flag": c["flag"], "value": c["default"], "variant": null,
                    "reason": "ERROR", "errorCode": code.as_str(),
                }),
                reason => json!({
                    "flag": c["flag"], "value": eval.value.unwrap(), "variant": eval.variation.unwrap(),
                    "reason": reason.as_str(), "errorCode": null,
                }),
            }
        })
        .collect();
    let reasons: std::collections::BTreeSet<&str> =
        expected.iter().map(|e| e["reason"].as_str().unwrap()).collect();
    assert!(reasons.len() >= 4, "the cases cover several reasons: {reasons:?}");

    for (program, script) in [("node", "evaluate.mjs"), ("python3", "evaluate.py")] {
        let got = run_script(program, script, &demo.url, &sdk_key, &cases).await;
        assert_eq!(got.len(), expected.len(), "{script}");
        for (g, e) in got.iter().zip(&expected) {
            // JSON numbers: 20 and 20.0 are the same flag value.
            let same_value = g["value"] == e["value"]
                || (g["value"].as_f64().is_some() && g["value"].as_f64() == e["value"].as_f64());
            assert!(same_value, "{script}: {g} vs tether {e}");
            for field in ["flag", "variant", "reason", "errorCode"] {
                assert_eq!(g[field], e[field], "{script}: {g} vs tether {e}");
            }
        }
    }
    demo.signal("TERM");
    demo.child.wait().await.unwrap();
}
