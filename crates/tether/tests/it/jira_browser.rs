//! The Jira pages in a real browser (Playwright driving Chromium), against
//! `tether demo` reporting to a `tether jira-sandbox`. Runs when `TEST_BROWSER=1` (ignored, with the reason, otherwise).

use serde_json::json;

use crate::{Sandboxed, browser_dir};

/// Runs one script against the demo, its project `demo` reporting to a sandbox
/// holding SAND-1 (In Progress) and SAND-2 (Done).
async fn run_script(script: &str) {
    let dir = browser_dir();
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "TEST_BROWSER is set but {}/node_modules is missing: run `npm ci` there",
        dir.display()
    );
    let t = Sandboxed::new();
    let issues = json!([
        {"key": "SAND-1", "fields": {"summary": "Faster checkout",
            "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}}}},
        {"key": "SAND-2", "fields": {"summary": "Remember the cart",
            "status": {"name": "Done", "statusCategory": {"key": "done"}}}}
    ]);
    std::fs::write(t.path().join("issues.json"), issues.to_string()).unwrap();
    let mut jira =
        t.start(&["jira-sandbox", "--port", "0", "--seed-file", "issues.json"], &[]).await;
    let mut server = t.start(&["demo", "--port", "0", "--no-jira"], &[]).await;
    let token = crate::admin_token(&server.banner().await);
    let api = reqwest::Client::new();
    let site = json!({"name": "sandbox", "url": jira.url, "kind": "api_token",
        "user": "admin@sandbox.test", "secret": "sandbox-token"});
    let r = api.post(format!("{}/api/jira/sites", server.url)).bearer_auth(&token).json(&site);
    assert_eq!(r.send().await.unwrap().status().as_u16(), 201);
    let r = api
        .put(format!("{}/api/projects/demo/jira", server.url))
        .bearer_auth(&token)
        .json(&json!({"site": "sandbox"}));
    assert_eq!(r.send().await.unwrap().status().as_u16(), 200);

    let out = tokio::process::Command::new("node")
        .arg(dir.join(script))
        .args([&server.url, &token, &jira.url])
        .current_dir(&dir)
        .output()
        .await
        .expect("cannot run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script} failed\n{stdout}\n{stderr}");
    assert!(stdout.contains("ok:"), "{script} reported nothing\n{stdout}");
    server.signal("TERM");
    server.child.wait().await.unwrap();
    jira.signal("TERM");
    jira.child.wait().await.unwrap();
}

#[tokio::test]
#[cfg_attr(
    not(tether_browser),
    ignore = "needs TEST_BROWSER=1, Chromium and `npm ci` in crates/tether/tests/browser; .ci/run sets them up"
)]
async fn a_jira_issue_is_connected_on_the_integrations_tab_in_chromium() {
    run_script("jira_connect_issue.mjs").await;
}

#[tokio::test]
#[cfg_attr(
    not(tether_browser),
    ignore = "needs TEST_BROWSER=1, Chromium and `npm ci` in crates/tether/tests/browser; .ci/run sets them up"
)]
async fn a_flag_is_created_from_a_jira_issue_prefilled_in_chromium() {
    run_script("jira_create_flag.mjs").await;
}
