//! The store's test suite. Every test runs on SQLite, and on PostgreSQL too when
//! `TEST_PG_URL` names a server (each test then gets a database of its own).

mod environments;
mod flags;
mod jira;
mod outbox;
mod projects;
mod settings;
mod tokens;

use tether_store::{MasterKey, Store};

/// A store under test and what keeps it alive.
#[allow(missing_debug_implementations)]
pub struct TestStore {
    pub label: &'static str,
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// A migrated store on every backend this run can reach.
pub async fn stores() -> Vec<TestStore> {
    stores_with_key(MasterKey::generate()).await
}

pub async fn stores_with_key(key: MasterKey) -> Vec<TestStore> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/tether.db", dir.path().display());
    let store = Store::connect(&url, key.clone()).await.unwrap();
    store.migrate().await.unwrap();
    out.push(TestStore { label: "sqlite", store, url, _dir: Some(dir) });
    if let Some(url) = fresh_pg_database().await {
        let store = Store::connect(&url, key).await.unwrap();
        store.migrate().await.unwrap();
        out.push(TestStore { label: "postgres", store, url, _dir: None });
    }
    out
}

/// Creates an empty database on the `TEST_PG_URL` server and returns its URL.
pub async fn fresh_pg_database() -> Option<String> {
    let admin_url = std::env::var("TEST_PG_URL").ok().filter(|u| !u.is_empty())?;
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("TEST_PG_URL is set but the server cannot be reached");
    let name = format!("tether_test_{}", rand_suffix());
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b.to_owned(), format!("?{q}")),
        None => (admin_url.clone(), String::new()),
    };
    let server = base.rsplit_once('/').map(|(s, _)| s).unwrap_or(&base);
    Some(format!("{server}/{name}{query}"))
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{nanos:x}_{:x}_{n}", std::process::id())
}
