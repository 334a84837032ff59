//! tether installed into the sandbox as an Atlassian Connect app, end to end
//! with the real binaries: the install handshake, links made through the API,
//! the background worker delivering over Connect JWTs, and the uninstall.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::Sandboxed;

/// Waits (at most 30 s) for the sandbox's feature flags to satisfy `done`.
async fn flags_until(jira: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let flags: Value = reqwest::get(format!("{jira}/_sandbox/feature-flags"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if done(&flags) {
            return flags;
        }
        assert!(Instant::now() < deadline, "Jira never showed the change: {flags}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (at most 30 s) for the sandbox's JQL search to find issues `done` accepts.
async fn jql_until(jira: &str, jql: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let body: Value = reqwest::Client::new()
            .get(format!("{jira}/rest/api/3/search/jql"))
            .basic_auth(jira_sandbox::DEFAULT_EMAIL, Some(jira_sandbox::DEFAULT_API_TOKEN))
            .query(&[("jql", jql), ("fields", "key")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let keys: Vec<String> = body["issues"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["key"].as_str().map(str::to_owned))
            .collect();
        if done(&keys) {
            return keys;
        }
        assert!(Instant::now() < deadline, "Jira's search never found it: {jql}: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn tether_installed_as_a_connect_app_shows_its_flags_on_issues() {
    let t = Sandboxed::new();
    let issues = json!([{"key": "SAND-1", "fields": {"summary": "Faster checkout"}}]);
    std::fs::write(t.path().join("issues.json"), issues.to_string()).unwrap();
    let mut jira =
        t.start(&["jira-sandbox", "--port", "0", "--seed-file", "issues.json"], &[]).await;
    // tether trusts the sandbox's install keys and loopback installs, as the demo does.
    let keys = format!("{}{}", jira.url, jira_sandbox::INSTALL_KEYS_PATH);
    let env = [
        ("TETHER_JIRA_CONNECT_INSTALL_KEYS_URL", keys.as_str()),
        ("TETHER_JIRA_CONNECT_ALLOWED_HOSTS", "[\"127.0.0.1\"]"),
    ];
    let mut server = t.start(&["demo", "--port", "0", "--no-jira"], &env).await;
    let token = crate::admin_token(&server.banner().await);
    let http = reqwest::Client::new();
    let api = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut req = http.request(method, format!("{}{path}", server.url)).bearer_auth(&token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let sandbox = |path: &str, body: Value| {
        let req = http.post(format!("{}{path}", jira.url)).json(&body);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };

    // Jira fetches the descriptor and posts `installed`; tether checks the JWT.
    let descriptor = json!({"descriptorUrl": format!("{}/atlassian-connect.json", server.url)});
    let (status, installed) = sandbox("/_sandbox/connect/install", descriptor).await;
    assert_eq!(status, 200, "{installed}");
    let (_, sites) = api(reqwest::Method::GET, "/api/jira/sites", None).await;
    assert_eq!(sites[0]["kind"], "connect", "{sites}");
    assert_eq!(sites[0]["user"], installed["clientKey"]);
    let site = sites[0]["name"].as_str().unwrap().to_owned();

    let (status, body) =
        api(reqwest::Method::PUT, "/api/projects/demo/jira", Some(json!({"site": site}))).await;
    assert_eq!(status, 200, "{body}");
    let link = json!({"issue": "SAND-1"});
    let (status, body) =
        api(reqwest::Method::POST, "/api/projects/demo/flags/new-checkout/issues", Some(link))
            .await;
    assert_eq!(status, 201, "{body}");

    // The worker signs its Feature Flags API calls as the app.
    let flags = flags_until(&jira.url, |f| {
        f.as_array().is_some_and(|a| a.iter().any(|f| f["issue_keys"] == json!(["SAND-1"])))
    })
    .await;
    let flag = &flags[0];
    assert_eq!(flag["data"]["displayName"], "New checkout", "{flag}");
    assert_eq!(flag["data"]["summary"]["status"]["enabled"], true, "{flag}");

    // The descriptor's jiraEntityProperties make the tether.flags property searchable in
    // Jira's own JQL (issue 12 §4).
    for jql in [
        "tetherFlag = \"new-checkout\"",
        "issue.property[tether.flags].keys = \"new-checkout\"",
        "tetherFlagOn = \"new-checkout\"",
    ] {
        let found = jql_until(&jira.url, jql, |keys| keys == ["SAND-1"]).await;
        assert_eq!(found, ["SAND-1"], "{jql}");
    }

    // A toggle reaches the issue.
    let path = "/api/projects/demo/flags/new-checkout/environments/production/toggle";
    let (status, body) = api(reqwest::Method::POST, path, Some(json!({"on": false}))).await;
    assert_eq!(status, 200, "{body}");
    flags_until(&jira.url, |f| f[0]["data"]["summary"]["status"]["enabled"] == false).await;

    // Uninstalling: Jira drops what the app sent and tells tether, which disables the site.
    let (status, report) = sandbox("/_sandbox/connect/uninstall", json!({"key": "tether"})).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["notified"], true, "{report}");
    assert_eq!(report["featureFlagsDeleted"], 1, "{report}");
    let (_, sites) = api(reqwest::Method::GET, "/api/jira/sites", None).await;
    assert_eq!(sites[0]["enabled"], false, "{sites}");

    server.signal("TERM");
    server.child.wait().await.unwrap();
    jira.signal("TERM");
    jira.child.wait().await.unwrap();
}
