//! End to end, as a person connects a GitHub repository: `tether serve` and `tether
//! jira-sandbox` running, the repository added with `tether repos add` (which prints the
//! webhook URL and secret), a push signed with that secret delivered to that URL over
//! loopback HTTP, and the sandbox's issues then carrying a remote link, a comment, the
//! Development panel's commit and, for "Closes", a transition. A replay of the delivery
//! and a forged one change nothing.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::Sandboxed;

const SHA1: &str = "1111111111111111111111111111111111111111";
const SHA2: &str = "2222222222222222222222222222222222222222";

/// Reads `path` of the sandbox's inspection API until `done` holds (at most 30 s: the
/// worker runs beside the server and takes the event when it next looks).
async fn sandbox_until(jira: &str, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got: Value =
            reqwest::get(format!("{jira}/_sandbox{path}")).await.unwrap().json().await.unwrap();
        if done(&got) {
            return got;
        }
        assert!(Instant::now() < deadline, "{path} never showed the change: {got}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The value after `label` on a line of `out` (`webhook URL:    http://…`).
fn printed(out: &str, label: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(label))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no {label:?} in {out}"))
}

fn push_body() -> String {
    let commit = |id: &str, message: &str| {
        json!({"id": id, "message": message, "timestamp": "2026-12-05T10:00:00Z",
            "url": format!("https://github.com/acme/shop/commit/{id}"),
            "author": {"name": "Ada Lovelace", "email": "ada@example.com"},
            "added": ["src/cart.rs"], "modified": [], "removed": []})
    };
    json!({"ref": "refs/heads/main",
        "before": "0000000000000000000000000000000000000000", "after": SHA2,
        "created": false, "deleted": false, "forced": false,
        "commits": [commit(SHA1, "SAND-1 faster cart"), commit(SHA2, "Closes SAND-2: tax rounding")],
        "head_commit": commit(SHA2, "Closes SAND-2: tax rounding"),
        "repository": {"id": 42, "name": "shop", "full_name": "acme/shop",
            "html_url": "https://github.com/acme/shop", "default_branch": "main"},
        "pusher": {"name": "ada", "email": "ada@example.com"},
        "sender": {"login": "ada"}})
    .to_string()
}

#[tokio::test]
async fn a_signed_github_push_reaches_its_jira_issues() {
    let t = Sandboxed::new();
    let issue = |key: &str| {
        json!({"key": key, "fields": {"summary": format!("Work {key}"),
            "status": {"name": "To Do", "statusCategory": {"key": "new"}}}})
    };
    let issues = json!([issue("SAND-1"), issue("SAND-2")]);
    std::fs::write(t.path().join("issues.json"), issues.to_string()).unwrap();
    let jira = t.start(&["jira-sandbox", "--port", "0", "--seed-file", "issues.json"], &[]).await;
    let (code, token, err) =
        t.run(&["tokens", "create", "--name", "cli", "--role", "admin"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let token = token.trim().to_owned();
    let server = t.start(&["serve"], &[]).await;
    let run = |args: &[&str]| {
        let mut full: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        full.extend(["--url".to_owned(), server.url.clone()]);
        let (t, token) = (&t, token.clone());
        async move {
            let full: Vec<&str> = full.iter().map(String::as_str).collect();
            let env = [("TETHER_API_TOKEN", token.as_str()), ("JIRA_SECRET", "sandbox-token")];
            let (code, out, err) = t.run(&full, &env).await;
            assert_eq!(code, 0, "{full:?}\nstdout {out}\nstderr {err}");
            out
        }
    };
    run(&[
        "jira",
        "sites",
        "add",
        "acme",
        "--jira-url",
        &jira.url,
        "--kind",
        "api_token",
        "--user",
        "admin@sandbox.test",
        "--secret-env",
        "JIRA_SECRET",
    ])
    .await;
    // The Development panel's OAuth 2.0 credentials for the site (Jira Cloud).
    let devinfo = json!({"client_id": jira_sandbox::DEFAULT_OAUTH_CLIENT_ID,
        "secret": jira_sandbox::DEFAULT_OAUTH_CLIENT_SECRET,
        "token_url": format!("{}/oauth/token", jira.url), "gateway_url": jira.url});
    let r = reqwest::Client::new()
        .put(format!("{}/api/code/sites/acme/devinfo", server.url))
        .bearer_auth(&token)
        .json(&devinfo)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204, "{}", r.text().await.unwrap());
    let out = run(&["repos", "add", "shop", "--source", "github", "--site", "acme"]).await;
    let hook_url = printed(&out, "webhook URL:");
    let secret = printed(&out, "webhook secret:");
    assert!(hook_url.starts_with(&format!("{}/hooks/github/", server.url)), "{out}");
    // Transitions are off unless asked for (as in GitLab's integration).
    let r = reqwest::Client::new()
        .patch(format!("{}/api/code/repositories/shop/settings", server.url))
        .bearer_auth(&token)
        .json(&json!({"transitions": "automatic"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());

    let body = push_body();
    let deliver = |delivery: &str, signature: String| {
        reqwest::Client::new()
            .post(&hook_url)
            .header("Content-Type", "application/json")
            .header("X-GitHub-Event", "push")
            .header("X-GitHub-Delivery", delivery)
            .header("X-Hub-Signature-256", signature)
            .body(body.clone())
            .send()
    };
    let signature =
        tether_forge::github_signature(&secret.clone().into(), body.as_bytes()).unwrap();
    assert_eq!(deliver("delivery-1", signature.clone()).await.unwrap().status().as_u16(), 202);

    let links = sandbox_until(&jira.url, "/remote-links?issue=SAND-1", |v| v[0].is_object()).await;
    let link = &links[0]["object"];
    assert_eq!(link["url"], format!("https://github.com/acme/shop/commit/{SHA1}"), "{links}");
    assert!(link["title"].as_str().unwrap().contains("1111111"), "{links}");
    let comments = sandbox_until(&jira.url, "/comments?issue=SAND-1", |v| v[0].is_object()).await;
    let text = comments[0]["body_text"].as_str().unwrap();
    assert!(text.contains("acme/shop") || text.contains("shop"), "{text}");
    assert!(text.contains("1111111"), "{text}");
    let moved = sandbox_until(&jira.url, "/transitions?issue=SAND-2", |v| v[0].is_object()).await;
    assert_eq!(moved[0]["to_status"], "Done", "{moved}");
    let panel =
        sandbox_until(&jira.url, "/issues/SAND-1/development", |v| v["code"]["commits"] == 1).await;
    assert_eq!(panel["code"]["repositories"][0]["commits"][0]["display_id"], "1111111", "{panel}");

    // The same delivery again, and one with a forged signature: nothing more in Jira.
    // A replay is answered 200 ("duplicate") so the forge stops retrying it.
    let replay = deliver("delivery-1", signature).await.unwrap();
    assert_eq!(replay.status().as_u16(), 200);
    assert_eq!(replay.json::<Value>().await.unwrap()["duplicate"], true);
    let forged =
        tether_forge::github_signature(&"not-the-secret".to_owned().into(), body.as_bytes())
            .unwrap();
    assert_eq!(deliver("delivery-2", forged).await.unwrap().status().as_u16(), 401);
    let events = run(&["repos", "events", "shop", "--json"]).await;
    let events: Value = serde_json::from_str(&events).unwrap();
    assert_eq!(events.as_array().unwrap().len(), 1, "stored once: {events}");
    assert_eq!(events[0]["state"], "done", "{events}");
    let count = |v: Value| v.as_array().unwrap().len();
    let get = |path: &str| {
        let url = format!("{}/_sandbox{path}", jira.url);
        async move { reqwest::get(url).await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(count(get("/remote-links?issue=SAND-1").await), 1);
    assert_eq!(count(get("/comments?issue=SAND-1").await), 1);
    assert_eq!(count(get("/transitions?issue=SAND-2").await), 1);

    // The rest of the command line: the list, findings from a SARIF file, removal.
    let out = run(&["repos", "list"]).await;
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("NAME") && lines[0].contains("WEBHOOK URL OR PATH"), "{out}");
    assert!(lines[1].starts_with("shop") && lines[1].contains(&hook_url), "{out}");
    let sarif = json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "clippy"}},
        "results": [{"ruleId": "clippy::unwrap_used", "level": "warning",
            "message": {"text": "used unwrap"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/cart.rs"},
                "region": {"startLine": 7}}}]}]}]});
    std::fs::write(t.path().join("clippy.sarif"), sarif.to_string()).unwrap();
    let file = t.path().join("clippy.sarif").display().to_string();
    let out = run(&["findings", "import", "--repo", "shop", &file]).await;
    assert_eq!(out.trim(), "imported into shop: 1 new, 0 updated, 0 unchanged");
    let out = run(&["findings", "import", "--repo", "shop", &file]).await;
    assert_eq!(out.trim(), "imported into shop: 0 new, 0 updated, 1 unchanged", "by fingerprint");
    let out = run(&["findings", "list", "--repo", "shop"]).await;
    let row = out.lines().nth(1).unwrap_or_default();
    assert!(row.contains("clippy::unwrap_used") && row.contains("src/cart.rs:7"), "{out}");
    assert_eq!(run(&["repos", "remove", "shop"]).await.trim(), "removed repository shop");
    assert_eq!(
        run(&["repos", "list"]).await.trim(),
        "no repositories yet (add one with `tether repos add`)"
    );
}
