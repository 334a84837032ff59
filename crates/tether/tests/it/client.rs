//! `tether flags …` and `tether projects …` against a running `tether serve`.

use crate::Sandboxed;

#[tokio::test]
async fn the_command_line_client_manages_flags_through_the_api() {
    let t = Sandboxed::new();
    let (code, token, err) =
        t.run(&["tokens", "create", "--name", "cli", "--role", "writer"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let token = token.trim().to_owned();
    let mut server = t.start(&["serve"], &[]).await;
    let url = server.url.clone();
    let run = |args: Vec<&'static str>| {
        let (t, url, token) = (&t, url.clone(), token.clone());
        async move {
            let mut full = args.clone();
            full.extend(["--url", url.as_str()]);
            t.run(&full, &[("TETHER_API_TOKEN", token.as_str())]).await
        }
    };
    let ok = |r: (i32, String, String)| {
        assert_eq!(r.0, 0, "stdout {}\nstderr {}", r.1, r.2);
        r.1
    };
    ok(run(vec!["projects", "create", "--key", "shop", "--name", "Shop"]).await);
    let out = ok(run(vec![
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
    assert!(out.contains("checkout") && out.contains("production=off"), "{out}");
    let out = ok(run(vec![
        "flags",
        "toggle",
        "--project",
        "shop",
        "--env",
        "production",
        "--on",
        "checkout",
    ])
    .await);
    assert!(out.contains("checkout is on in production"), "{out}");
    assert!(out.contains("(production's configuration is now version 2)"), "{out}");
    let out = ok(run(vec!["flags", "list", "--project", "shop"]).await);
    assert!(out.starts_with("KEY "), "a header row: {out}");
    assert!(out.contains("production=on") && out.contains("staging=off"), "{out}");
    // One version per thing saved, each named: the definition's and each environment's.
    let out = ok(run(vec!["flags", "get", "--project", "shop", "checkout"]).await);
    assert!(
        out.starts_with("Checkout (checkout), boolean\ndefinition: version 1, saved "),
        "{out}"
    );
    let production = out.lines().find(|l| l.starts_with("production")).unwrap();
    let cells: Vec<&str> = production.split_whitespace().collect();
    assert_eq!(cells[..4], ["production", "on", "on", "2"], "{out}");
    let (code, _, err) = run(vec!["flags", "list", "--project", "nope"]).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.ends_with("404 Not Found: no project \"nope\"\n"), "{err}");

    std::fs::write(
        t.path().join("rollout.json"),
        r#"{"on": true, "off_variation": "off", "default_rule": {"rollout": {"variations": [{"variation": "on", "weight": 10000}, {"variation": "off", "weight": 90000}]}}}"#,
    )
    .unwrap();
    ok(run(vec![
        "flags",
        "update",
        "--project",
        "shop",
        "--env",
        "production",
        "--file",
        "rollout.json",
        "checkout",
    ])
    .await);
    let out = ok(run(vec!["flags", "get", "--project", "shop", "--json", "checkout"]).await);
    let flag: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        flag["environments"][2]["default_rule"]["rollout"]["variations"][0]["weight"], 10000,
        "{flag}"
    );
    assert_eq!(flag["environments"][2]["updated_by"], "admin/cli");

    // The API's refusals come back as errors naming the field.
    std::fs::write(
        t.path().join("bad.json"),
        r#"{"on": true, "off_variation": "nope", "default_rule": {"variation": "on"}}"#,
    )
    .unwrap();
    let (code, _, err) = run(vec![
        "flags",
        "update",
        "--project",
        "shop",
        "--env",
        "production",
        "--file",
        "bad.json",
        "checkout",
    ])
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("422") && err.contains("off_variation"), "{err}");
    // Without a token the client stops before calling (exit 2).
    let (code, _, err) = t.run(&["flags", "list", "--project", "shop", "--url", &url], &[]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("TETHER_API_TOKEN"), "{err}");

    ok(run(vec!["flags", "delete", "--project", "shop", "checkout"]).await);
    let out = ok(run(vec!["flags", "list", "--project", "shop"]).await);
    assert!(!out.contains("checkout"), "{out}");
    server.signal("TERM");
    server.child.wait().await.unwrap();
}

#[tokio::test]
async fn the_command_line_client_manages_environments_through_the_api() {
    let t = Sandboxed::new();
    let (code, token, err) =
        t.run(&["tokens", "create", "--name", "cli", "--role", "writer"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let token = token.trim().to_owned();
    let mut server = t.start(&["serve"], &[]).await;
    let url = server.url.clone();
    let run = |args: Vec<&'static str>| {
        let (t, url, token) = (&t, url.clone(), token.clone());
        async move {
            let mut full = args.clone();
            full.extend(["--url", url.as_str()]);
            t.run(&full, &[("TETHER_API_TOKEN", token.as_str())]).await
        }
    };
    let ok = |r: (i32, String, String)| {
        assert_eq!(r.0, 0, "stdout {}\nstderr {}", r.1, r.2);
        r.1
    };
    let failed = |r: (i32, String, String), want: &[&str]| {
        assert_eq!(r.0, 1, "stdout {}\nstderr {}", r.1, r.2);
        assert!(want.iter().all(|w| r.2.contains(w)), "{want:?} in {}", r.2);
    };
    ok(run(vec!["projects", "create", "--key", "shop", "--name", "Shop"]).await);
    let out = ok(run(vec!["environments", "list", "--project", "shop"]).await);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "a header and three environments: {out}");
    assert!(lines[0].starts_with("KEY ") && lines[0].ends_with("PRIMARY"), "{out}");
    assert!(lines[3].starts_with("production") && lines[3].ends_with("yes"), "{out}");

    let out = ok(run(vec![
        "environments",
        "create",
        "--project",
        "shop",
        "--key",
        "qa",
        "--name",
        "QA",
        "--kind",
        "testing",
        "--copy-from",
        "production",
    ])
    .await);
    assert_eq!(out.trim(), "created environment qa (QA, testing) in shop");
    let out = ok(run(vec!["environments", "update", "--project", "shop", "--primary", "qa"]).await);
    assert_eq!(out.trim(), "saved environment qa (QA, testing, primary)");
    let out = ok(run(vec!["environments", "list", "--project", "shop", "--json"]).await);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let primaries: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["primary"] == true)
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert_eq!(primaries, ["qa"], "{list}");
    assert_eq!(list[0]["version"], 3, "{list}");

    // The API's refusals, as errors naming the status and the field.
    failed(
        run(vec![
            "environments",
            "update",
            "--project",
            "shop",
            "--if-match",
            "1",
            "--name",
            "X",
            "qa",
        ])
        .await,
        &["412"],
    );
    failed(
        run(vec![
            "environments",
            "create",
            "--project",
            "shop",
            "--key",
            "x",
            "--name",
            "X",
            "--kind",
            "prod",
        ])
        .await,
        &["422", "kind"],
    );
    failed(
        run(vec!["environments", "delete", "--project", "shop", "qa"]).await,
        &["409", "primary"],
    );
    failed(
        run(vec!["environments", "delete", "--project", "shop", "--if-match", "1", "production"])
            .await,
        &["412"],
    );
    // SDK keys: printed once on stdout (the message on stderr), then listed by hint.
    let (code, key, err) =
        run(vec!["sdk-keys", "create", "--project", "shop", "--env", "staging"]).await;
    assert_eq!(code, 0, "{err}");
    let key = key.trim().to_owned();
    assert!(key.starts_with("tether-sdk-"), "{key}");
    assert!(err.contains("shown this once"), "{err}");
    let out = ok(run(vec!["sdk-keys", "list", "--project", "shop", "--env", "staging"]).await);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("ID ") && lines[0].contains("ENDS WITH"), "{out}");
    assert!(lines[1].contains(&format!("…{}", &key[key.len() - 4..])), "{out}");
    assert!(lines[1].trim_end().ends_with("live") && !out.contains(&key), "{out}");
    let id = lines[1].split_whitespace().next().unwrap().to_owned();
    let revoke = vec!["sdk-keys", "revoke", "--project", "shop", "--env", "staging"];
    let out = ok(run([revoke.clone(), vec![id.clone().leak()]].concat()).await);
    assert_eq!(out.trim(), format!("revoked SDK key {id} of shop/staging"));
    failed(run([revoke, vec![id.leak()]].concat()).await, &["404", "no live SDK key"]);
    let out = ok(run(vec!["sdk-keys", "list", "--project", "shop", "--env", "staging"]).await);
    assert!(out.lines().nth(1).unwrap_or_default().contains("revoked"), "{out}");

    let out = ok(run(vec!["environments", "delete", "--project", "shop", "production"]).await);
    assert_eq!(out.trim(), "deleted production");
    let out = ok(run(vec!["environments", "list", "--project", "shop"]).await);
    let keys: Vec<&str> = out.lines().skip(1).filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(keys, ["development", "staging", "qa"], "{out}");
    server.signal("TERM");
    server.child.wait().await.unwrap();
}

#[tokio::test]
async fn custom_roles_are_made_and_given_from_the_command_line() {
    let t = Sandboxed::new();
    let (code, token, err) =
        t.run(&["tokens", "create", "--name", "cli", "--role", "admin"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let token = token.trim().to_owned();
    let (code, other, err) =
        t.run(&["tokens", "create", "--name", "app", "--role", "reader"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let _ = other;
    let mut server = t.start(&["serve"], &[]).await;
    let url = server.url.clone();
    let run = |args: Vec<&'static str>| {
        let (t, url, token) = (&t, url.clone(), token.clone());
        async move {
            let mut full = args.clone();
            full.extend(["--url", url.as_str()]);
            t.run(&full, &[("TETHER_API_TOKEN", token.as_str())]).await
        }
    };
    std::fs::write(
        t.path().join("linker.policy"),
        "# links in shop only\nallow viewProject on proj/shop\nallow createFlagLink deleteFlagLink on proj/shop:env/*:flag/*\n",
    )
    .unwrap();
    let (code, out, err) = run(vec!["roles", "put", "linker", "--file", "linker.policy"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("linker") && out.contains("allow viewProject on proj/shop"), "{out}");
    std::fs::write(t.path().join("bad.policy"), "allow viewProject on proj/shop\nallow oops\n")
        .unwrap();
    let (code, _, err) = run(vec!["roles", "put", "bad", "--file", "bad.policy"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("line 2"), "{err}");
    let (code, out, err) = run(vec!["roles", "list"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("admin (built-in)") && out.contains("linker"), "{out}");
    let (code, out, err) = run(vec!["roles", "assign", "2", "--role", "linker"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("now has: linker"), "{out}");
    let (code, _, err) = run(vec!["roles", "delete", "linker"]).await;
    assert_ne!(code, 0, "held roles stay");
    assert!(err.contains("held by token app"), "{err}");
    server.signal("TERM");
    let _ = server.child.wait().await;
}
