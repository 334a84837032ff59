//! The Python `jira` library (PyPI, pinned in `tests/python/requirements.txt`) runs a scripted
//! session against `tether jira-sandbox` in both flavours: connect, list projects, issue types
//! and priorities, search, create, comment (edit, delete), assign, watch, log work (change,
//! delete), transition (with and without a screen), remote link
//! (`tests/python/jira_session.py`). The sandbox's
//! `/_sandbox` inspection endpoints then show that what the library wrote was stored. Runs
//! when `TEST_PYTHON_JIRA=1` (ignored, with the reason, otherwise); `.ci/run` installs the library.

use serde_json::Value;

use crate::Sandboxed;

const INSTALL: &str = "python3 -m pip install -r crates/tether/tests/python/requirements.txt";

fn python_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python")
}

/// Starts a sandbox of the flavour, runs the session with `auth` and checks what it wrote.
async fn session(flavour_args: &[&str], flavour: &str, auth: &str) {
    let import = tokio::process::Command::new("python3")
        .args(["-c", "import jira; print(jira.__version__)"])
        .output()
        .await
        .unwrap_or_else(|e| panic!("TEST_PYTHON_JIRA=1 but python3 cannot run ({e}): install Python 3, then `{INSTALL}`"));
    assert!(
        import.status.success(),
        "TEST_PYTHON_JIRA=1 but `import jira` fails: run `{INSTALL}`\n{}",
        String::from_utf8_lossy(&import.stderr)
    );

    let t = Sandboxed::new();
    let mut args = vec!["jira-sandbox", "--port", "0"];
    args.extend_from_slice(flavour_args);
    let mut jira = t.start(&args, &[]).await;

    let out = tokio::process::Command::new("python3")
        .arg(python_dir().join("jira_session.py"))
        .args([jira.url.as_str(), flavour, auth])
        .current_dir(python_dir())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "jira_session.py ({flavour}, {}) failed:\n{stdout}\n{}",
        auth.split(':').next().unwrap_or_default(),
        String::from_utf8_lossy(&out.stderr)
    );
    let wrote: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("jira_session.py printed {stdout:?}: {e}"));
    let key = wrote["issue"].as_str().expect("the session names its issue");

    // What the sandbox stored, read through its inspection endpoints.
    let client = reqwest::Client::new();
    let inspect = |what: &str| {
        let url = format!("{}/_sandbox/{what}", jira.url);
        let client = client.clone();
        async move {
            let r = client.get(&url).send().await.unwrap();
            assert_eq!(r.status(), 200, "{url}");
            r.json::<Value>().await.unwrap()
        }
    };
    let snap = inspect(&format!("issues/{key}")).await;
    assert_eq!(snap["summary"], "Created by the Python jira library", "{snap}");
    assert_eq!(snap["labels"], serde_json::json!(["python-jira"]), "{snap}");
    assert_eq!(
        (snap["status"].as_str(), snap["resolution"].as_str()),
        (Some("Done"), Some("Done"))
    );
    assert_eq!(snap["assignee"], Value::Null, "assigned, then unassigned: {snap}");
    assert_eq!(snap["watchers"], serde_json::json!(["admin"]), "{snap}");
    assert_eq!(
        (snap["worklogs"].as_u64(), snap["time_spent_seconds"].as_u64()),
        (Some(1), Some(7200))
    );

    let comments = inspect(&format!("comments?issue={key}")).await;
    let comments = comments.as_array().unwrap();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0]["id"], wrote["comment_id"]);
    assert_eq!(comments[0]["author"], "admin");
    assert_eq!(comments[0]["body_text"], "Commented by the Python jira library (edited)");
    // The library speaks REST v2, so the body is stored as the string it sent.
    assert_eq!(comments[0]["body"], "Commented by the Python jira library (edited)");

    let worklogs = inspect(&format!("worklogs?issue={key}")).await;
    let worklogs = worklogs.as_array().unwrap();
    assert_eq!(worklogs.len(), 1, "one of the two was deleted: {worklogs:?}");
    let w = &worklogs[0];
    assert_eq!(w["id"], wrote["worklog_id"]);
    assert_eq!(
        (w["author"].as_str(), w["time_spent_seconds"].as_u64()),
        (Some("admin"), Some(7200))
    );
    assert_eq!(w["comment"], "Paired on it");
    // 2024-03-01T09:00Z, as the library sent it.
    assert_eq!(w["started_ms"], 1_709_283_600_000_i64);

    let transitions = inspect(&format!("transitions?issue={key}")).await;
    let done: Vec<(&str, &str, Option<&str>)> = transitions
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["transition_id"].as_str().unwrap(),
                t["to_status"].as_str().unwrap(),
                t["resolution"].as_str(),
            )
        })
        .collect();
    let ids = &wrote["transitions"];
    let id = |i: usize| ids[i].as_str().unwrap();
    assert_eq!(
        done,
        [
            (id(0), "In Progress", None),
            // Close has no screen: Jira's post function set the resolution.
            (id(1), "Done", Some("Done")),
            (id(2), "To Do", None),
            // Done's screen required the resolution; the attempt without it left no record.
            (id(3), "Done", Some("Done")),
        ],
        "{transitions}"
    );
    assert!(transitions.as_array().unwrap().iter().all(|t| t["by"] == "admin"));

    let links = inspect(&format!("remote-links?issue={key}")).await;
    let links = links.as_array().unwrap();
    assert_eq!(links.len(), 1, "the second add replaced the first by globalId: {links:?}");
    let link = &links[0];
    assert_eq!(link["id"], wrote["remote_link_id"]);
    assert_eq!(link["global_id"], "tether:flag:python");
    assert_eq!(link["relationship"], "controlled by");
    assert_eq!(link["application"]["name"], "tether");
    assert_eq!(link["object"]["title"], "python flag (updated)");
    assert_eq!(link["object"]["url"], "https://tether.test/flags/python");

    jira.signal("TERM");
    assert_eq!(jira.child.wait().await.unwrap().code(), Some(0));
}

#[tokio::test]
#[cfg_attr(
    not(tether_python_jira),
    ignore = "needs TEST_PYTHON_JIRA=1 and the Python jira library (pip install -r crates/tether/tests/python/requirements.txt); .ci/run installs it"
)]
async fn the_python_jira_library_runs_a_session_against_the_cloud_sandbox() {
    session(&[], "cloud", "basic:admin@sandbox.test:sandbox-token").await;
}

#[tokio::test]
#[cfg_attr(
    not(tether_python_jira),
    ignore = "needs TEST_PYTHON_JIRA=1 and the Python jira library (pip install -r crates/tether/tests/python/requirements.txt); .ci/run installs it"
)]
async fn the_python_jira_library_runs_a_session_against_the_dc_sandbox_with_a_password() {
    session(&["--flavour", "dc"], "dc", "basic:admin:admin").await;
}

#[tokio::test]
#[cfg_attr(
    not(tether_python_jira),
    ignore = "needs TEST_PYTHON_JIRA=1 and the Python jira library (pip install -r crates/tether/tests/python/requirements.txt); .ci/run installs it"
)]
async fn the_python_jira_library_runs_a_session_against_the_dc_sandbox_with_a_pat() {
    session(&["--flavour", "dc", "--dc-version", "8.14.0"], "dc", "pat:sandbox-pat").await;
}
