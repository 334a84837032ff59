//! The command line: versions, completions, exit codes and messages on bad input.

use crate::Sandboxed;

#[tokio::test]
async fn version_and_completions() {
    let t = Sandboxed::new();
    let (code, out, _) = t.run(&["--version"], &[]).await;
    assert_eq!((code, out.trim()), (0, concat!("tether ", env!("CARGO_PKG_VERSION"))));
    for shell in ["bash", "zsh", "fish"] {
        let (code, out, err) = t.run(&["completions", shell], &[]).await;
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("serve") && out.contains("migrate"), "{shell}: {out}");
    }
}

#[tokio::test]
async fn usage_and_config_errors_exit_2_naming_the_problem() {
    let t = Sandboxed::new();
    let check = |args: &'static [&'static str],
                 env: &'static [(&'static str, &'static str)],
                 expect: &'static str| {
        let t = &t;
        async move {
            let (code, _, err) = t.run(args, env).await;
            assert_eq!(code, 2, "{args:?} {env:?}: {err}");
            assert!(err.contains(expect), "{args:?} {env:?}: {err:?} lacks {expect:?}");
        }
    };
    check(&["frobnicate"], &[], "unrecognized subcommand").await;
    check(
        &["serve"],
        &[("TETHER_LISTEN", "here")],
        "environment variable TETHER_LISTEN: key `listen`",
    )
    .await;
    check(&["serve"], &[("TETHER_BODY_LIMIT", "lots")], "expected usize").await;
    check(
        &["config", "check"],
        &[("TETHER_MASTER_KEY", "short")],
        "master_key (TETHER_MASTER_KEY): expected 32 bytes",
    )
    .await;
    check(&["--config", "missing.toml", "serve"], &[], "cannot read config file missing.toml")
        .await;
    std::fs::write(t.path().join("tether.toml"), "listen = [").unwrap();
    check(&["migrate"], &[], "config file tether.toml").await;
}

#[tokio::test]
async fn a_database_that_cannot_be_opened_exits_1_with_the_cause() {
    let t = Sandboxed::new();
    let (code, _, err) = t
        .run(&["migrate"], &[("TETHER_DATABASE_URL", "postgres://tether:pw@127.0.0.1:1/tether")])
        .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("cannot open database postgres://tether:***@127.0.0.1:1/tether"), "{err}");
    assert!(err.contains("Connection refused"), "{err}");
    assert!(!err.contains(":pw@"), "the password is not shown: {err}");
}

#[tokio::test]
async fn config_check_prints_the_effective_config_with_secrets_redacted() {
    let t = Sandboxed::new();
    let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    let (code, out, err) = t
        .run(
            &["config", "check"],
            &[("TETHER_MASTER_KEY", key), ("TETHER_DATABASE_URL", "postgres://u:hunter2@db/t")],
        )
        .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("database_url = \"postgres://u:***@db/t\""), "{out}");
    assert!(out.contains("master_key = \"<redacted>\""), "{out}");
    assert!(!out.contains("hunter2") && !out.contains(key) && !err.contains(key), "{out}{err}");
}

#[tokio::test]
async fn migrate_creates_the_database_and_a_private_key_file_once() {
    let t = Sandboxed::new();
    let (code, out, err) = t.run(&["migrate"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let (applied, of) = out
        .trim()
        .strip_prefix("database is current: ")
        .and_then(|r| r.strip_suffix(" migrations applied (SQLite)"))
        .and_then(|r| r.split_once(" of "))
        .unwrap_or_else(|| panic!("unexpected output {out:?}"));
    assert_eq!(applied, of, "{out}");
    let key_file = t.path().join("tether-data/master.key");
    let key = std::fs::read_to_string(&key_file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(t.path().join("tether-data/tether.db").exists());
    // A second run keeps the key; another key is refused.
    assert_eq!(t.run(&["migrate"], &[]).await.0, 0);
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), key);
    let other = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    let (code, _, err) = t.run(&["migrate"], &[("TETHER_MASTER_KEY", other)]).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("master key does not match"), "{err}");
}

#[tokio::test]
async fn tokens_are_created_listed_and_revoked_from_the_command_line() {
    let t = Sandboxed::new();
    let (code, out, err) =
        t.run(&["tokens", "create", "--name", "ci", "--role", "reader", "--json"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let created: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let secret = created["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("tether-api-"), "{created}");
    let (code, out, _) = t.run(&["tokens", "list"], &[]).await;
    assert_eq!(code, 0);
    assert!(out.contains("ci") && out.contains("reader") && out.contains("live"), "{out}");
    assert!(!out.contains(&secret), "a listing never shows the secret: {out}");
    let (code, _, err) =
        t.run(&["tokens", "create", "--name", "x", "--role", "overlord"], &[]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no role named \"overlord\""), "{err}");
    let id = created["id"].to_string();
    assert_eq!(t.run(&["tokens", "revoke", &id], &[]).await.0, 0);
    let (code, _, err) = t.run(&["tokens", "revoke", &id], &[]).await;
    assert_eq!(code, 1, "{err}");
    // Times are ISO 8601 with the local offset (here TZ makes it +05:30).
    let (_, out, _) = t.run(&["tokens", "list", "--json"], &[("TZ", "Asia/Kolkata")]).await;
    let listed: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let revoked = listed[0]["revoked_at"].as_str().unwrap_or_default();
    assert!(revoked.contains('T') && revoked.ends_with("+05:30"), "{listed}");
}

/// `tether completions bash | head -1` once panicked (BrokenPipe, exit 101).
#[tokio::test]
async fn a_closed_pipe_ends_quietly() {
    let t = Sandboxed::new();
    for args in [&["completions", "bash"][..], &["--help"], &["config", "check"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        // Not `output()`: tokio's pipes standard output whatever it was set to.
        let child = t
            .command(args)
            .stdout(std::process::Stdio::from(writer))
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.wait_with_output().await.unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?} printed {err:?}");
    }
}

/// `tether tokens list` in the wrong folder once created ./tether-data with a new
/// master key.
#[tokio::test]
async fn read_only_commands_create_nothing_and_say_where_they_looked() {
    let t = Sandboxed::new();
    for args in [
        &["tokens", "list"][..],
        &["tokens", "revoke", "1"],
        &["jira", "backfill", "--site", "x"],
        &["jira", "reconcile", "--site", "x"],
    ] {
        let (code, _, err) = t.run(args, &[]).await;
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("no tether database at ./tether-data/tether.db"), "{args:?}: {err}");
        assert!(err.contains("creates nothing"), "{err}");
    }
    assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), 0, "nothing was created");
    // With the database there but its key elsewhere, the key is named.
    assert_eq!(t.run(&["migrate"], &[]).await.0, 0);
    std::fs::remove_file(t.path().join("tether-data/master.key")).unwrap();
    let (code, _, err) = t.run(&["tokens", "list"], &[]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no master key at ./tether-data/master.key"), "{err}");
    assert!(!t.path().join("tether-data/master.key").exists());
}
