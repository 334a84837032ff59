//! `tether jira …` and `tether issues` against a running `tether serve` and a
//! `tether jira-sandbox`, as a user runs them.

use serde_json::json;

use crate::Sandboxed;

#[tokio::test]
async fn sites_tracking_and_links_are_managed_from_the_command_line() {
    let t = Sandboxed::new();
    let issues = json!([
        {"key": "SAND-1", "fields": {"summary": "Faster checkout",
            "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}}}}
    ]);
    std::fs::write(t.path().join("issues.json"), issues.to_string()).unwrap();
    let mut jira =
        t.start(&["jira-sandbox", "--port", "0", "--seed-file", "issues.json"], &[]).await;
    let (code, token, err) =
        t.run(&["tokens", "create", "--name", "cli", "--role", "admin"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let token = token.trim().to_owned();
    let mut server = t.start(&["serve"], &[]).await;
    let url = server.url.clone();
    let run = |args: Vec<&str>| {
        let (t, url, token) = (&t, url.clone(), token.clone());
        let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        async move {
            let mut full: Vec<&str> = args.iter().map(String::as_str).collect();
            full.extend(["--url", url.as_str()]);
            t.run(
                &full,
                &[
                    ("TETHER_API_TOKEN", token.as_str()),
                    ("JIRA_SECRET", "sandbox-secret"),
                    ("JIRA_API_TOKEN", "sandbox-token"),
                ],
            )
            .await
        }
    };
    let ok = |r: (i32, String, String)| {
        assert_eq!(r.0, 0, "stdout {}\nstderr {}", r.1, r.2);
        r.1
    };
    ok(run(vec!["projects", "create", "--key", "shop", "--name", "Shop"]).await);
    ok(run(vec![
        "flags",
        "create",
        "--project",
        "shop",
        "--key",
        "checkout",
        "--name",
        "Checkout",
    ])
    .await);

    // Jira Cloud's OAuth credentials, the sandbox playing Atlassian's token endpoint and
    // gateway, with an account's API token beside them for the issue calls they may not make.
    let token_url = format!("{}/oauth/token", jira.url);
    let out = ok(run(vec![
        "jira",
        "sites",
        "add",
        "acme",
        "--jira-url",
        &jira.url,
        "--kind",
        "oauth2",
        "--user",
        "sandbox-client",
        "--secret-env",
        "JIRA_SECRET",
        "--token-url",
        &token_url,
        "--gateway-url",
        &jira.url,
        "--email",
        "admin@sandbox.test",
        "--api-token-env",
        "JIRA_API_TOKEN",
    ])
    .await);
    assert!(out.starts_with("added acme (oauth2, ") && out.contains(&jira.url), "{out}");
    let out = ok(run(vec!["jira", "sites", "list"]).await);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("NAME ") && lines[0].contains("JIRA URL"), "{out}");
    assert!(lines[1].starts_with("acme ") && lines[1].contains(&jira.url), "{out}");
    let out = ok(run(vec!["jira", "sites", "list", "--json"]).await);
    assert!(!out.contains("sandbox-secret"), "secrets never come back: {out}");
    assert!(!out.contains("sandbox-token"), "secrets never come back: {out}");
    let out = ok(run(vec!["jira", "sites", "test", "acme"]).await);
    assert!(out.starts_with("acme: ok: Jira Cloud"), "{out}");
    assert!(out.contains("admin@sandbox.test"), "{out}");

    let (code, manifest, err) = t
        .run(&["jira", "forge-manifest", "--public-url", tether_server::FORGE_PLACEHOLDER_URL], &[])
        .await;
    assert_eq!(code, 0, "{err}");
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../forge/manifest.yml"))
            .unwrap();
    assert_eq!(manifest, committed, "the repository's manifest is the command's");

    let out = ok(run(vec![
        "jira",
        "track",
        "--project",
        "shop",
        "--site",
        "acme",
        "--env",
        "production",
    ])
    .await);
    assert_eq!(out.trim(), "shop reports to acme; Jira shows production (primary)");

    let out = ok(run(vec!["jira", "link", "--project", "shop", "checkout", "sand-1"]).await);
    assert_eq!(out.trim(), "linked SAND-1 (Faster checkout, In Progress) to checkout");
    let (code, _, err) =
        run(vec!["jira", "link", "--project", "shop", "checkout", "SAND-99"]).await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("422") && err.contains("issue: ") && err.contains("has no issue SAND-99"),
        "{err}"
    );

    let out = ok(run(vec!["jira", "links", "--project", "shop", "checkout"]).await);
    assert!(out.starts_with("checkout on acme:"), "{out}");
    assert!(
        out.contains("SAND-1") && out.contains("In Progress") && out.contains("Faster checkout"),
        "{out}"
    );
    assert!(out.contains("delivery: "), "{out}");

    let out = ok(run(vec!["issues", "--flag", "checkout", "--enabled", "false"]).await);
    let row = out.lines().nth(1).unwrap_or_default();
    assert!(out.starts_with("ISSUE ") && row.starts_with("SAND-1"), "{out}");
    assert!(row.contains("shop/checkout=off"), "{out}");
    let out = ok(run(vec!["issues", "--enabled", "true"]).await);
    assert!(out.starts_with("no issues are linked"), "checkout is off: {out}");
    let out = ok(run(vec!["issues", "--json"]).await);
    let found: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(found[0]["issue"], "SAND-1", "{found}");

    let out = ok(run(vec!["jira", "unlink", "--project", "shop", "checkout", "SAND-1"]).await);
    assert_eq!(out.trim(), "unlinked SAND-1 from checkout");
    let (code, _, err) = run(vec!["jira", "sites", "remove", "acme"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("409") && err.contains("shop"), "{err}");
    ok(run(vec!["jira", "untrack", "--project", "shop"]).await);
    assert_eq!(ok(run(vec!["jira", "sites", "remove", "acme"]).await).trim(), "removed acme");

    // A wrong token: the test says what to fix and exits 1.
    ok(run(vec![
        "jira",
        "sites",
        "add",
        "wrong",
        "--jira-url",
        &jira.url,
        "--kind",
        "pat",
        "--secret-env",
        "JIRA_SECRET",
    ])
    .await);
    let (code, out, err) = run(vec!["jira", "sites", "test", "wrong"]).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("personal access token"), "{out}");
    assert!(err.contains("found problems"), "{err}");
    let (code, _, err) = run(vec![
        "jira",
        "sites",
        "add",
        "x",
        "--jira-url",
        &jira.url,
        "--kind",
        "pat",
        "--secret-env",
        "NOPE_UNSET",
    ])
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("NOPE_UNSET"), "{err}");

    server.signal("TERM");
    server.child.wait().await.unwrap();
    jira.signal("TERM");
    jira.child.wait().await.unwrap();
}
