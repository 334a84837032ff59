//! The store's test suite. Each test runs once per backend
//! ([`tether_store::on_each_backend!`]): on SQLite, and on PostgreSQL where
//! `TEST_PG_URL` names a server (each test then gets a database of its own;
//! without it the PostgreSQL variants are reported as ignored). Stores run on a
//! manual clock that tests move instead of sleeping.

mod delivery;
mod dev;
mod environments;
mod flags;
mod forge;
mod jira;
mod outbox;
mod projects;
mod search;
mod search_custom;
mod sessions;
mod settings;
mod tickets;
mod tokens;

use tether_store::testing::{TestBackend, TestDatabase};
use tether_store::{Clock, MasterKey, Store};

/// Where the manual clocks of tests start: 2026-01-01T00:00:00Z.
pub const START_MS: i64 = 1_767_225_600_000;

/// A store under test and what keeps it alive.
#[allow(missing_debug_implementations)]
pub struct TestStore {
    pub label: &'static str,
    pub store: Store,
    pub url: String,
    /// The store's clock, standing at [`START_MS`] until moved.
    pub clock: Clock,
    _db: TestDatabase,
}

impl TestStore {
    /// A migrated store on `backend`.
    pub async fn new(backend: TestBackend) -> TestStore {
        TestStore::with_key(backend, MasterKey::generate()).await
    }

    pub async fn with_key(backend: TestBackend, key: MasterKey) -> TestStore {
        let db = TestDatabase::new(backend).await;
        let clock = Clock::manual(START_MS);
        let store = Store::connect(db.url(), key).await.unwrap().with_clock(clock.clone());
        store.migrate().await.unwrap();
        TestStore { label: backend.label(), store, url: db.url().to_owned(), clock, _db: db }
    }
}
