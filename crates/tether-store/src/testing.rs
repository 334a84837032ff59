//! Support for tether's own test suites (this crate's, `tether-sync`'s and the
//! binary's), so that no other crate needs SQL or a database driver to set up a
//! database: throwaway PostgreSQL databases, and [`on_each_backend!`], which makes
//! one test per backend out of a test body.
//!
//! The PostgreSQL variants are ignored, with the reason, unless the test crate's
//! build script sets `cfg(tether_pg)` (it does when `TEST_PG_URL` is set), so
//! `cargo test` says what it did not run instead of passing it silently.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use crate::{Result, StoreError, redact_url};

/// Which database a generated test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

impl TestBackend {
    /// `sqlite` or `postgres`, for assertion messages.
    pub fn label(self) -> &'static str {
        match self {
            TestBackend::Sqlite => "sqlite",
            TestBackend::Postgres => "postgres",
        }
    }
}

/// Why the PostgreSQL variant of a test is ignored where no server was named.
pub const NEEDS_PG: &str = "needs TEST_PG_URL: a PostgreSQL server; .ci/run sets it";

/// A test's database, dropped with this value: a SQLite file in a folder of its own, or a
/// scratch database on the `TEST_PG_URL` server.
#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    _folder: Option<tempfile::TempDir>,
    _scratch: Option<ScratchDatabase>,
}

impl TestDatabase {
    /// An empty database on `backend`. The SQLite file is in a folder that does not exist
    /// yet, which the store creates. Panics, naming what is missing, where PostgreSQL is asked
    /// for and `TEST_PG_URL` is not set.
    pub async fn new(backend: TestBackend) -> TestDatabase {
        match backend {
            TestBackend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary folder");
                let url = format!("sqlite://{}/nested/tether.db", dir.path().display());
                TestDatabase { url, _folder: Some(dir), _scratch: None }
            }
            TestBackend::Postgres => {
                let admin = std::env::var("TEST_PG_URL").ok().filter(|u| !u.trim().is_empty());
                let admin = admin.unwrap_or_else(|| panic!("this test {NEEDS_PG}"));
                let db = ScratchDatabase::create(&admin)
                    .await
                    .expect("TEST_PG_URL is set but the server cannot be used");
                TestDatabase { url: db.url().to_owned(), _folder: None, _scratch: Some(db) }
            }
        }
    }

    /// The database's URL, for `Store::connect`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// A database of its own on a PostgreSQL server, dropped (with any connection still on it)
/// when this value is, so test runs and benchmarks do not fill the server's disk.
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl std::fmt::Debug for ScratchDatabase {
    // The URLs may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScratchDatabase").field("name", &self.name).finish_non_exhaustive()
    }
}

impl ScratchDatabase {
    /// Creates an empty database with a name of its own on the PostgreSQL server that
    /// `admin_url` points at (through a database there whose user may create databases);
    /// its URL has `admin_url`'s options.
    pub async fn create(admin_url: &str) -> Result<ScratchDatabase> {
        let url = create_scratch_database(admin_url).await?;
        let name = url.split('?').next().and_then(|u| u.rsplit('/').next()).unwrap_or_default();
        Ok(ScratchDatabase { admin_url: admin_url.to_owned(), name: name.to_owned(), url })
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop may run inside a runtime (which cannot block on another future) or outside
        // one: a thread of its own with a runtime of its own works in both.
        let dropped = std::thread::spawn(move || -> std::result::Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let options = PgConnectOptions::from_str(&admin_url).map_err(|e| e.to_string())?;
                let mut admin =
                    PgConnection::connect_with(&options).await.map_err(|e| e.to_string())?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(())
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            // Not the test's failure; a later run drops it as stale.
            eprintln!("cannot drop the scratch database {}: {e}", self.name);
        }
    }
}

/// See [`ScratchDatabase::create`]; answers the new database's URL.
async fn create_scratch_database(admin_url: &str) -> Result<String> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let connect_err = |source| StoreError::Connect { url: redact_url(admin_url), source };
    let options = PgConnectOptions::from_str(admin_url).map_err(connect_err)?;
    let mut admin = PgConnection::connect_with(&options).await.map_err(connect_err)?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = crate::Clock::system().now_ms();
    if n == 0 {
        drop_stale_scratch_databases(&mut admin, nanos).await?;
    }
    let name = format!("tether_test_{nanos:x}_{:x}_{n}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
    admin.close().await?;
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin_url, String::new()),
    };
    let server = base.rsplit_once('/').map_or(base, |(s, _)| s);
    Ok(format!("{server}/{name}{query}"))
}

/// How long a scratch database that was not dropped (its test or benchmark was killed) is
/// kept: longer than any test run.
const SCRATCH_KEPT_MS: i64 = 2 * 3_600_000;

/// Drops the scratch databases earlier runs left (their names carry their creation time), so
/// repeated runs do not fill the server; ones younger than [`SCRATCH_KEPT_MS`] may belong to
/// a run still going.
async fn drop_stale_scratch_databases(admin: &mut PgConnection, now_ms: i64) -> Result<()> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'tether\\_test\\_%'",
    )
    .fetch_all(&mut *admin)
    .await?;
    for name in names {
        let made = name
            .strip_prefix("tether_test_")
            .and_then(|rest| rest.split('_').next())
            .and_then(|hex| i64::from_str_radix(hex, 16).ok());
        if made.is_some_and(|ms| now_ms - ms > SCRATCH_KEPT_MS)
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            // Another run may be dropping it too: a failure here is not the test's.
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut *admin)
                .await;
        }
    }
    Ok(())
}

/// Makes `mod <name> { fn sqlite(); fn postgres(); }` of tests that each call
/// `async fn <name>(backend: TestBackend)`, written beside it as a plain function
/// (so rustfmt formats it). Extra arguments go to `#[tokio::test(...)]`:
///
/// ```text
/// tether_store::on_each_backend!(claims_expire, flavor = "multi_thread", worker_threads = 4);
/// async fn claims_expire(backend: TestBackend) { /* … */ }
/// ```
///
/// The `postgres` test is ignored with [`NEEDS_PG`] unless the calling crate is
/// built with `cfg(tether_pg)`.
#[macro_export]
macro_rules! on_each_backend {
    ($name:ident $(, $($tokio:tt)+)?) => {
        mod $name {
            #[tokio::test$(($($tokio)+))?]
            async fn sqlite() {
                super::$name($crate::testing::TestBackend::Sqlite).await
            }

            #[tokio::test$(($($tokio)+))?]
            #[cfg_attr(
                not(tether_pg),
                ignore = "needs TEST_PG_URL: a PostgreSQL server; .ci/run sets it"
            )]
            async fn postgres() {
                super::$name($crate::testing::TestBackend::Postgres).await
            }
        }
    };
}
