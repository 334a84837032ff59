//! Unit tests of the store's pure helpers: key parsing, sealing, URL redaction.

use super::*;

#[test]
fn master_key_reads_hex_and_base64() {
    let hex = "00".repeat(31) + "ff";
    let key = MasterKey::from_encoded(&format!("  {hex}\n")).unwrap();
    let again = MasterKey::from_encoded(&key.to_base64()).unwrap();
    assert_eq!(key.to_base64(), again.to_base64());
    assert_eq!(MasterKey::from_encoded("abc").unwrap_err(), MasterKeyError::Malformed(3));
}

#[test]
fn master_key_debug_is_redacted() {
    let key = MasterKey::generate();
    let shown = format!("{key:?}");
    assert_eq!(shown, "MasterKey(<redacted>)");
    assert!(!shown.contains(&key.to_base64()));
}

#[test]
fn sealed_values_open_only_with_their_key_and_context() {
    let key = MasterKey::generate();
    let sealed = key.seal("jira.token", b"hunter2");
    assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
    assert_eq!(key.open("jira.token", &sealed).as_deref(), Some(&b"hunter2"[..]));
    assert_eq!(key.open("other.setting", &sealed), None);
    assert_eq!(MasterKey::generate().open("jira.token", &sealed), None);
    let mut tampered = sealed.clone();
    *tampered.last_mut().unwrap() ^= 1;
    assert_eq!(key.open("jira.token", &tampered), None);
    // Two seals of one value differ (fresh nonce each time).
    assert_ne!(sealed, key.seal("jira.token", b"hunter2"));
}

#[test]
fn urls_lose_their_passwords_in_messages() {
    let check = |url: &str, expect: &str| assert_eq!(redact_url(url), expect, "{url}");
    check("postgres://tether:s3cret@db:5432/tether", "postgres://tether:***@db:5432/tether");
    check("postgres://tether@db/tether", "postgres://tether@db/tether");
    check(
        "postgres://db/tether?password=s3cret&sslmode=require",
        "postgres://db/tether?password=***&sslmode=require",
    );
    check("sqlite://./tether-data/tether.db", "sqlite://./tether-data/tether.db");
}

#[test]
fn backend_is_chosen_by_scheme() {
    let check = |url: &str, expect: Option<BackendKind>| {
        assert_eq!(BackendKind::from_url(url), expect, "{url}")
    };
    check("sqlite://x.db", Some(BackendKind::Sqlite));
    check("sqlite::memory:", Some(BackendKind::Sqlite));
    check("postgres://h/db", Some(BackendKind::Postgres));
    check("postgresql://h/db", Some(BackendKind::Postgres));
    check("mysql://h/db", None);
    check("tether.db", None);
}

#[test]
fn connect_site_names_are_hosts_without_paths_or_odd_characters() {
    // A forged install named its site "127.0.0.1:18301/a/b", which broke every URL naming it.
    let cases = [
        ("https://acme.atlassian.net", "acme.atlassian.net"),
        ("https://Acme.Atlassian.net./jira/", "acme.atlassian.net"),
        ("http://127.0.0.1:18301/a/b", "127.0.0.1-18301"),
        ("https://user:pw@acme.atlassian.net/x?y#z", "acme.atlassian.net"),
        ("https://ac%2Fme.example", "ac-2fme.example"),
        ("http://", "jira"),
        ("", "jira"),
    ];
    for (url, want) in cases {
        assert_eq!(site_name_for(url), want, "{url}");
    }
    assert_eq!(site_name_for(&format!("https://{}.example", "a".repeat(100))).len(), 64);
}

#[tokio::test]
#[cfg_attr(not(tether_pg), ignore = "needs TEST_PG_URL: a PostgreSQL server; .ci/run sets it")]
async fn postgres_ends_a_pooled_connection_left_inside_a_transaction() {
    let db = testing::TestDatabase::new(testing::TestBackend::Postgres).await;
    let store = Store::connect(db.url(), MasterKey::generate()).await.unwrap();
    let Backend::Postgres(pool) = &store.backend else { panic!("a PostgreSQL store") };
    let shown: String = sqlx::query_scalar("SHOW idle_in_transaction_session_timeout")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(shown, IDLE_IN_TRANSACTION, "every pooled connection carries the timeout");
}

#[tokio::test]
async fn sqlite_commits_checkpoint_the_log_only_past_its_set_size() {
    let db = testing::TestDatabase::new(testing::TestBackend::Sqlite).await;
    let store = Store::connect(db.url(), MasterKey::generate()).await.unwrap();
    let Backend::Sqlite(readers, writer) = &store.backend else { panic!("a SQLite store") };
    for pool in [readers, writer] {
        let pages: i64 =
            sqlx::query_scalar("PRAGMA wal_autocheckpoint").fetch_one(pool).await.unwrap();
        assert_eq!(pages, i64::from(WAL_AUTOCHECKPOINT_PAGES));
    }
    let (_, _, file): (i64, String, String) =
        sqlx::query_as("PRAGMA database_list").fetch_one(writer).await.unwrap();
    let size = || std::fs::metadata(&file).unwrap().len();
    // About 2,000 pages (8 MB) committed: past SQLite's default of 1,000, which would have
    // copied them into the database file on commit; under the set size they stay in the log.
    sqlx::query("CREATE TABLE t (x BLOB)").execute(writer).await.unwrap();
    let before = size();
    sqlx::query("INSERT INTO t VALUES (zeroblob(8000000))").execute(writer).await.unwrap();
    assert!(size() < before + 1_000_000, "{} bytes, {before} before", size());
    // Checkpointed, the file holds them.
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(readers).await.unwrap();
    assert!(size() >= before + 8_000_000, "{} bytes, {before} before", size());
}
