//! The app-side examples in `examples/` (Node and Python, each on OpenFeature's
//! official OFREP provider) run as their README says: against `tether demo`
//! with the key its banner prints, and against `tether serve` with an SDK key
//! issued through the API. Each printed line must be what tether itself
//! evaluates. Number flags keep their form on the way: Python's float getter
//! reads a flag written `20.0`, its integer getter one written `20`. Runs when
//! `TEST_OPENFEATURE=1` (the same packages as the OpenFeature tests; ignored,
//! with the reason, otherwise); `.ci/run` installs them.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tether_flags::{Context, FlagKind, Reason, Snapshot};
use tether_store::{MasterKey, Store};

use crate::{Sandboxed, admin_token};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// The context both examples evaluate for.
const USER: &str = "user-1";

/// One line an example prints: `<flag> <value as JSON>  variant=<v> reason=<r>[ error=<code>]`.
#[derive(Debug)]
struct Printed {
    flag: String,
    value: Value,
    variant: String,
    reason: String,
    error: Option<String>,
}

fn parse_line(line: &str) -> Printed {
    let parsed = (|| {
        let (flag, rest) = line.split_once(' ')?;
        let (value, rest) = rest.trim_start().rsplit_once("  variant=")?;
        let (variant, rest) = rest.split_once(" reason=")?;
        let (reason, error) = match rest.split_once(" error=") {
            Some((reason, error)) => (reason, Some(error.to_owned())),
            None => (rest, None),
        };
        Some(Printed {
            flag: flag.to_owned(),
            value: serde_json::from_str(value).ok()?,
            variant: variant.to_owned(),
            reason: reason.to_owned(),
            error,
        })
    })();
    parsed.unwrap_or_else(|| panic!("an example printed a line not in its format: {line:?}"))
}

/// Runs `program app` in the app's folder, as the README says; returns its lines.
async fn run_example(program: &str, app: &str, url: &str, sdk_key: &str) -> Vec<Printed> {
    let path = examples_dir().join(app);
    let out = tokio::process::Command::new(program)
        .arg(path.file_name().unwrap())
        .current_dir(path.parent().unwrap())
        .env("TETHER_URL", url)
        .env("TETHER_SDK_KEY", sdk_key)
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{app} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout.lines().map(parse_line).collect()
}

/// What tether evaluates for the examples' user in the demo's production environment.
async fn tethers_own(t: &Sandboxed) -> Snapshot {
    let key_file = std::fs::read_to_string(t.path().join("tether-data/master.key")).unwrap();
    let url = format!("sqlite://{}/tether-data/tether.db", t.path().display());
    let store = Store::connect(&url, MasterKey::from_encoded(&key_file).unwrap()).await.unwrap();
    let contents = store.environment_contents("demo", "production").await.unwrap();
    Snapshot::build(0, contents.flags.iter().map(|(f, c)| (f, c)), contents.segments.iter())
}

/// Each example printed one line per kind of flag, each as tether evaluates it.
fn check_example(app: &str, printed: &[Printed], snapshot: &Snapshot) {
    let kinds: Vec<FlagKind> = printed
        .iter()
        .map(|p| {
            snapshot
                .flag_kind(&p.flag)
                .unwrap_or_else(|| panic!("{app} evaluates {:?}, which the demo lacks", p.flag))
        })
        .collect();
    for kind in [FlagKind::Boolean, FlagKind::String, FlagKind::Number, FlagKind::Json] {
        assert!(kinds.contains(&kind), "{app} evaluates no {kind:?} flag: {printed:?}");
    }
    let context = json!({ "targetingKey": USER });
    for p in printed {
        let eval = snapshot.evaluate(&p.flag, &Context::from_value(&context).unwrap());
        assert!(!matches!(eval.reason, Reason::Error { .. }), "{app}: {p:?}");
        let want = eval.value.unwrap();
        // JavaScript has one number type: a flag's 20.0 prints as 20 there.
        let same = if app.ends_with(".mjs") && want.is_number() {
            p.value.as_f64() == want.as_f64()
        } else {
            p.value == *want
        };
        assert!(same, "{app}: {p:?}, tether serves {want}");
        assert_eq!(p.variant, eval.variation.unwrap(), "{app}: {p:?}");
        assert_eq!(p.reason, eval.reason.as_str(), "{app}: {p:?}");
        assert_eq!(p.error, None, "{app}: {p:?}");
    }
}

const APPS: [(&str, &str); 2] = [("node", "node/app.mjs"), ("python3", "python/app.py")];

#[tokio::test]
#[cfg_attr(
    not(tether_openfeature),
    ignore = "needs TEST_OPENFEATURE=1, and the examples' packages (npm ci in examples/node, pip install -r examples/python/requirements.txt); .ci/run installs them"
)]
async fn the_examples_print_what_tether_evaluates_for_the_demo_flags() {
    let node_modules = examples_dir().join("node/node_modules/@openfeature/ofrep-provider");
    assert!(
        node_modules.exists(),
        "TEST_OPENFEATURE is set but {} is missing: run `npm ci` in examples/node",
        node_modules.display()
    );
    let t = Sandboxed::new();

    // As the README has it: run the demo, then the examples with the key it prints.
    let mut demo = t.start(&["demo", "--no-jira", "--port", "0"], &[]).await;
    let banner = demo.banner().await;
    let token = admin_token(&banner);
    let demo_key = banner
        .lines()
        .find_map(|l| l.trim().strip_prefix("SDK key (production):"))
        .map(|k| k.trim().to_owned())
        .expect("the demo prints an SDK key");
    let mut from_demo = Vec::new();
    for (program, app) in APPS {
        from_demo.push((app, run_example(program, app, &demo.url, &demo_key).await));
    }
    demo.signal("TERM");
    demo.child.wait().await.unwrap();

    // The same data under `tether serve`, with an SDK key issued through the API.
    let mut server = t.start(&["serve"], &[]).await;
    let http = reqwest::Client::new();
    let api = |path: &str| format!("{}/api/projects/demo{path}", server.url);
    let resp = http
        .post(api("/environments/production/sdk-keys"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let sdk_key = resp.json::<Value>().await.unwrap()["key"].as_str().unwrap().to_owned();
    let mut from_serve = Vec::new();
    for (program, app) in APPS {
        from_serve.push((app, run_example(program, app, &server.url, &sdk_key).await));
    }

    // Number flags written as a float (through the CLI) and as an integer (through the
    // API), each turned on in production, serving its first variation.
    let create = ["flags", "create", "--key", "discount", "--name", "Discount", "--kind", "number"];
    let variations = ["--variation", "first=20.0", "--variation", "second=0.5"];
    let toggle = ["flags", "toggle", "--env", "production", "--on", "discount"];
    for mut args in [[&create[..], &variations[..]].concat(), toggle.to_vec()] {
        args.extend(["--project", "demo", "--url", server.url.as_str()]);
        let (code, out, err) = t.run(&args, &[("TETHER_API_TOKEN", token.as_str())]).await;
        assert_eq!(code, 0, "tether {args:?}: {out}{err}");
    }
    let flag = json!({"key": "page-limit", "name": "Page limit", "kind": "number", "variations": [
        {"key": "first", "value": 20}, {"key": "second", "value": 50}]});
    let resp = http.post(api("/flags")).bearer_auth(&token).json(&flag).send().await.unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let toggle = api("/flags/page-limit/environments/production/toggle");
    let resp =
        http.post(toggle).bearer_auth(&token).json(&json!({"on": true})).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    // evaluate.py picks Python's integer getter for an integer default, its float getter
    // for a float default.
    let user = json!({ "targetingKey": USER });
    let getters = json!([
        {"flag": "discount", "kind": "number", "default": -1.0, "context": user},
        {"flag": "page-limit", "kind": "number", "default": -1, "context": user},
        {"flag": "discount", "kind": "number", "default": -1, "context": user},
        {"flag": "page-limit", "kind": "number", "default": -1.0, "context": user},
    ]);
    let python =
        crate::openfeature::run_script("python3", "evaluate.py", &server.url, &sdk_key, &getters)
            .await;
    server.signal("TERM");
    server.child.wait().await.unwrap();

    let snapshot = tethers_own(&t).await;
    for (app, printed) in from_demo.iter().chain(&from_serve) {
        check_example(app, printed, &snapshot);
    }
    let context = Context::from_value(&user).unwrap();
    let served = |flag: &str| snapshot.evaluate(flag, &context).value.unwrap().clone();
    let (float, integer) = (served("discount"), served("page-limit"));
    assert!(float.is_f64() && integer.is_i64(), "tether serves {float} and {integer}");
    // The float getter reads the flag written 20.0, the integer getter the one written 20.
    assert_eq!(
        (&python[0]["value"], &python[0]["errorCode"]),
        (&float, &Value::Null),
        "{python:?}"
    );
    assert!(python[0]["value"].is_f64(), "{python:?}");
    assert_eq!(
        (&python[1]["value"], &python[1]["errorCode"]),
        (&integer, &Value::Null),
        "{python:?}"
    );
    assert!(python[1]["value"].is_i64(), "{python:?}");
    // Crossed over, each getter refuses the other kind: the default, with TYPE_MISMATCH.
    for (i, default) in [(2, json!(-1)), (3, json!(-1.0))] {
        assert_eq!(python[i]["value"], default, "{python:?}");
        assert_eq!(python[i]["errorCode"], "TYPE_MISMATCH", "{python:?}");
    }
}
