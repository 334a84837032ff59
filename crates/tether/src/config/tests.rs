//! Configuration loading: defaults, file, environment, and the messages bad input gets.

// figment's Jail API returns its own large error type; not ours to shrink.
#![allow(clippy::result_large_err)]

use std::path::Path;

use figment::Jail;
use secrecy::ExposeSecret;

use super::{Config, LogFormat};

/// Loads in a jail (its own working folder and environment) and returns the
/// config or the error text.
fn load(file: Option<&str>, env: &[(&str, &str)]) -> Result<Config, String> {
    let mut out = None;
    Jail::expect_with(|jail| {
        if let Some(text) = file {
            jail.create_file("tether.toml", text)?;
        }
        for (k, v) in env {
            jail.set_env(k, v);
        }
        out = Some(Config::load(None).map_err(|e| e.0));
        Ok(())
    });
    out.unwrap()
}

#[test]
fn defaults_need_no_file() {
    let c = load(None, &[]).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.database_url.expose_secret(), "sqlite://./tether-data/tether.db");
    assert_eq!(c.data_dir, Path::new("./tether-data"));
    assert_eq!(c.master_key_path(), Path::new("./tether-data/master.key"));
    assert_eq!(c.log_format, LogFormat::Human);
    assert_eq!(c.body_limit, 1024 * 1024);
    assert_eq!(c.public_url(), "http://127.0.0.1:8080");
    assert_eq!(c.jira.connect_app_key, "tether");
}

#[test]
fn the_jira_table_comes_from_the_file_and_the_environment() {
    let c = load(Some("[jira]\nconnect_app_key = \"tether-staging\""), &[]).unwrap();
    assert_eq!(c.jira.connect_app_key, "tether-staging");
    let c = load(
        Some("[jira]\nconnect_app_key = \"from-file\""),
        &[("TETHER_JIRA_CONNECT_APP_KEY", "from-env")],
    )
    .unwrap();
    assert_eq!(c.jira.connect_app_key, "from-env");
    let err = load(None, &[("TETHER_JIRA_CONNECT_APP_KEY", "has space")]).unwrap_err();
    assert!(err.contains("jira.connect_app_key"), "{err}");
    let err = load(None, &[("TETHER_JIRA_NOPE", "x")]).unwrap_err();
    assert!(err.contains("TETHER_JIRA_NOPE") && err.contains("nope"), "{err}");
}

#[test]
fn the_environment_overrides_the_file() {
    let c = load(
        Some("listen = \"0.0.0.0:9000\"\nlog_format = \"json\"\nbody_limit = 10"),
        &[("TETHER_LISTEN", "127.0.0.1:9001"), ("TETHER_DATABASE_URL", "postgres://u:pw@h/db")],
    )
    .unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:9001");
    assert_eq!(c.log_format, LogFormat::Json);
    assert_eq!(c.body_limit, 10);
    assert_eq!(c.database_url.expose_secret(), "postgres://u:pw@h/db");
}

#[test]
fn bad_input_names_its_source_key_and_expectation() {
    let check = |file: Option<&str>, env: &[(&str, &str)], expect: &[&str]| {
        let err = load(file, env).unwrap_err();
        for part in expect {
            assert!(err.contains(part), "{err:?} lacks {part:?}");
        }
    };
    check(
        None,
        &[("TETHER_BODY_LIMIT", "lots")],
        &["environment variable TETHER_BODY_LIMIT", "body_limit", "expected"],
    );
    check(Some("body_limit = \"lots\""), &[], &["tether.toml", "body_limit", "expected"]);
    check(Some("listen = \"nowhere\""), &[], &["tether.toml", "listen", "socket address"]);
    check(Some("log_format = \"xml\""), &[], &["log_format", "human", "json"]);
    check(Some("lisen = \"127.0.0.1:1\""), &[], &["tether.toml", "lisen"]);
    check(Some("listen = [unclosed"), &[], &["tether.toml"]);
    check(
        None,
        &[("TETHER_DATABASE_URL", "mysql://x:pw@h/db")],
        &["database_url", "sqlite://", "mysql://x:***@h/db"],
    );
    check(None, &[("TETHER_PUBLIC_URL", "example.com")], &["public_url", "http://"]);
}

/// Each line names the key once, with no nested or doubled backticks
/// (`found `bogus`, expected `one of `listen`, …``).
#[test]
fn config_errors_name_the_key_once_without_doubled_backticks() {
    let check = |file: &str, expect: &str| {
        let err = load(Some(file), &[]).unwrap_err();
        assert_eq!(err.matches('`').count(), 2, "{err}");
        assert_eq!(err.matches("bogus").count(), 1, "{err}");
        assert!(err.contains(expect), "{err:?} lacks {expect:?}");
    };
    check("bogus = 1", "unknown key; the keys are listen, public_url");
    check("[jira]\nbogus = 1", "key `jira.bogus`: unknown key; the keys are connect_app_key");
}

#[test]
fn a_missing_explicit_file_is_an_error() {
    Jail::expect_with(|_| {
        let err = Config::load(Some(Path::new("nope.toml"))).unwrap_err();
        assert!(err.0.contains("cannot read config file nope.toml"), "{}", err.0);
        Ok(())
    });
}

#[test]
fn secrets_never_show_in_debug_or_the_printed_config() {
    let c = load(
        None,
        &[
            ("TETHER_MASTER_KEY", "c2VjcmV0LWtleS1tYXRlcmlhbC0zMi1ieXRlcy1sb25n"),
            ("TETHER_DATABASE_URL", "postgres://u:hunter2@h/db"),
        ],
    )
    .unwrap();
    let debug = format!("{c:?}");
    let printed = c.to_redacted_toml();
    for shown in [&debug, &printed] {
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
    }
    assert!(printed.contains("master_key = \"<redacted>\""), "{printed}");
    assert!(printed.contains("postgres://u:***@h/db"), "{printed}");
}
