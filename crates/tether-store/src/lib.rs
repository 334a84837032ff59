//! tether's storage: the only crate that speaks SQL, over SQLite or PostgreSQL.
//!
//! A [`Store`] is opened from a database URL (`sqlite://…` or `postgres://…`); the
//! scheme picks the backend. Each backend has its own migrations
//! (`migrations/sqlite`, `migrations/postgres`) and, wherever the dialects agree,
//! the same SQL text: both accept `$1` placeholders and `RETURNING`.
//! Times are stored as epoch milliseconds (UTC) in 64-bit integers, read from the
//! store's [`Clock`] (the system clock unless [`Store::with_clock`] hands it another).

mod audit;
mod clock;
mod crypto;
pub mod dev;
mod environments;
mod flag_format;
mod flags;
mod jira;
mod outbox;
mod principals;
mod projects;
mod sdk_keys;
mod sessions;
mod settings;
pub mod testing;
mod tickets;
mod tokens;
mod webhooks;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::Connection;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use audit::AuditEntry;
pub use clock::Clock;
pub use crypto::{MasterKey, MasterKeyError};
pub use environments::EnvironmentChange;
pub use flags::{
    EnvConfigState, EnvContents, EnvFlag, EnvironmentVersion, FlagState, SegmentState,
};
pub use jira::{
    CachedIssue, DetailRemap, FlagSync, ForgeInstallEvent, ForgeInstallation, ForgeLifecycle,
    IssueLink, JiraAuthKind, JiraSite, NewJiraSite, ProjectJira, SiteMove, SiteMoved,
    SiteReferences, normalize_issue_keys, site_name_for,
};
pub use outbox::kinds::{
    DELIVERY_KIND, DevEventWork, DevFindingWork, DevInfoWork, DevScanWork, EVENT_KIND, Event,
    JIRA_SYNC_KIND, JiraSyncWork, OutboxKind, OutboxWork, PROPERTY_KIND, PayloadError,
    PropertyWork, WebhookDelivery,
};
pub use outbox::{NewOutboxItem, OutboxItem, OutboxStats};
pub use principals::{MAX_TOKEN_CHAIN, PrincipalError};
pub use projects::{EnvKind, Environment, NewEnvironment, NewProject, Project};
pub use sdk_keys::{SDK_KEY_PREFIX, SdkKeyInfo, SdkKeyScope};
pub use sessions::SessionLimits;
pub use tickets::{
    CategoryMove, DeliveryFacts, DeliverySprint, DeliveryTicket, DiscoveredProject, HistoryRow,
    NewChange, NewComment, NewRemoteLink, NewSprint, NewTicket, NewWorklog, NoteRow,
    PROCESSABLE_TYPES, PassEnd, SearchError, SearchPage, SearchScope, SiteCatalogue,
    TicketAuthKind, TicketBoard, TicketCategory, TicketCheck, TicketConnection, TicketCredentials,
    TicketField, TicketFilter, TicketHookEvent, TicketIssueType, TicketPage, TicketProject,
    TicketRow, TicketSecrets, TicketStats, TicketStatus, TicketUser, TypeAssignment, check_jql,
};
pub use tokens::{API_TOKEN_PREFIX, NewToken, TokenInfo};
pub use webhooks::{DeliveryRecord, NewWebhook, Webhook, WebhookFilter};

/// What a caller of the store can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The change would break a rule of the data as it stands, such as deleting
    /// a project's primary environment.
    #[error("{0}")]
    Refused(String),
    #[error("unsupported database URL scheme in {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot open database {url}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot create the database folder {path}")]
    CreateDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot apply migrations")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "the master key does not match the one this database's secrets were encrypted with \
         (set TETHER_MASTER_KEY or the key file to the original key)"
    )]
    WrongMasterKey,
    #[error("cannot decrypt the secret {0:?}: wrong master key or damaged data")]
    Decrypt(String),
    #[error("version {expected} was expected but the current version is {current}")]
    VersionMismatch { expected: i64, current: i64 },
    #[error("stored data cannot be read back: {0}")]
    Damaged(String),
    #[error("database error")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_owned())
            }
            _ => StoreError::Database(e),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

impl BackendKind {
    /// The backend a database URL selects, if any.
    pub fn from_url(url: &str) -> Option<BackendKind> {
        let scheme = url.split_once(':')?.0;
        match scheme {
            "sqlite" => Some(BackendKind::Sqlite),
            "postgres" | "postgresql" => Some(BackendKind::Postgres),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Sqlite => "SQLite",
            BackendKind::Postgres => "PostgreSQL",
        }
    }
}

/// How far the database schema is from what this build expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    pub applied: usize,
    pub expected: usize,
}

impl SchemaStatus {
    pub fn is_current(&self) -> bool {
        self.applied >= self.expected
    }
}

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// A handle on tether's database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    key: MasterKey,
    /// Where every time the store writes or compares comes from.
    clock: Clock,
    /// Counts committed write transactions of this process: background workers
    /// wait on it (see [`Store::subscribe_changes`]) instead of polling alone.
    changes: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
    /// Counts the writes this process began: lone statements and transactions (see
    /// [`Store::writes_begun`]).
    writes: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Forge deliveries waiting to be stored together (see `dev::intake`).
    intake: std::sync::Arc<dev::intake::IntakeQueue>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend_kind())
            .field("key", &self.key)
            .field("clock", &self.clock)
            .finish()
    }
}

/// SQLite's `wal_autocheckpoint` on every connection (see [`Store::connect`]).
pub(crate) const WAL_AUTOCHECKPOINT_PAGES: u32 = 16_384;

#[derive(Clone)]
enum Backend {
    /// Readers, and the one connection that writes (see [`with_writer!`]).
    Sqlite(SqlitePool, SqlitePool),
    Postgres(PgPool),
}

/// The PostgreSQL channel flag configuration changes are announced on (see
/// `migrations/postgres/20261205400002_config_notify.sql`).
const CONFIG_CHANNEL: &str = "tether_config";

/// Awaits flag configuration changes any process commits (see [`Store::config_listener`]).
pub struct ConfigListener(sqlx::postgres::PgListener);

impl std::fmt::Debug for ConfigListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConfigListener")
    }
}

impl ConfigListener {
    /// Waits for the next change. A lost connection is made again here; what was announced
    /// while it was down is not seen, so whoever waits should poll now and then too.
    pub async fn changed(&mut self) -> Result<()> {
        self.0.recv().await?;
        Ok(())
    }
}

/// Runs one body against whichever pool the store has. Queries written inside it
/// are checked at run time by each driver, so the SQL must suit both dialects.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite($pool, _) => $body,
            $crate::Backend::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// [`with_pool!`] for a statement that writes outside [`with_write_tx!`]. SQLite has one
/// writer at a time: every write of the process goes through one connection, so writers
/// queue in the pool's fair (first come, first served) wait instead of in SQLite's busy
/// handler, which polls the lock with sleeps growing to 100 ms: under load a writer could
/// lose the race to one newer than itself again and again (an intake answered after a
/// second with most answered in 10 ms; see the README's intake figures). PostgreSQL writes
/// concurrently: its one pool.
macro_rules! with_writer {
    ($store:expr, $pool:ident => $body:expr) => {
        match ($store.note_write(), &$store.backend).1 {
            $crate::Backend::Sqlite(_, $pool) => $body,
            $crate::Backend::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_writer;

/// Runs a body inside a write transaction and commits it, then tells
/// [`Store::subscribe_changes`] listeners; an early return (`?`) rolls back. SQLite takes the write lock up front (`BEGIN IMMEDIATE`) so a
/// read-then-write never fails on lock upgrade; PostgreSQL reads that precede a
/// write use [`Store::for_update`].
macro_rules! with_write_tx {
    ($store:expr, $tx:ident => $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite(_, pool) => {
                $crate::in_tx!($store, pool.begin_with($crate::SQLITE_BEGIN), $tx => $body)
            }
            $crate::Backend::Postgres(pool) => $crate::in_tx!($store, pool.begin(), $tx => $body),
        }
    };
}

/// How SQLite's write transactions begin: taking the write lock up front.
pub(crate) const SQLITE_BEGIN: &str = "BEGIN IMMEDIATE";

/// The body of [`with_write_tx!`] on a transaction `begin` opens (on a pool or on a
/// connection already held, as the intake's committer does): commits it, then tells
/// [`Store::subscribe_changes`] listeners; an early return (`?`) rolls back.
macro_rules! in_tx {
    ($store:expr, $begin:expr, $tx:ident => $body:expr) => {{
        $store.note_write();
        let mut $tx = $begin.await?;
        let out = $body;
        $tx.commit().await?;
        $store.changes.send_modify(|n| *n = n.wrapping_add(1));
        out
    }};
}
pub(crate) use in_tx;
pub(crate) use with_write_tx;

impl Store {
    /// Opens the database at `url`, on the system clock. A SQLite file (and its
    /// folder) is created if missing and runs in WAL mode. Migrations are not
    /// applied here: see [`Store::migrate`].
    pub async fn connect(url: &str, key: MasterKey) -> Result<Store> {
        let connect_err = |source| StoreError::Connect { url: redact_url(url), source };
        let backend = match BackendKind::from_url(url) {
            Some(BackendKind::Sqlite) => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(connect_err)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL, said here rather than left to the build's default: in WAL mode
                    // every commit syncs the log before it returns, so what tether has
                    // answered for (a delivery's 202, a flag change) survives a power cut
                    // or an OS crash, not only a crash of tether. NORMAL would sync only at
                    // checkpoints and may lose the last commits to a power cut
                    // (https://www.sqlite.org/pragma.html#pragma_synchronous); the cost
                    // of FULL is spread by committing many writes at once where writes come
                    // in crowds (webhook intake: `Store::record_dev_event`).
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    // A commit that fills the log past this many pages also checkpoints it
                    // (copies it into the database file and syncs that), while whoever waits
                    // for the commit waits. SQLite's default of 1,000 pages (4 MB) made that
                    // every few dozen commits under a crowd of webhook deliveries, and put
                    // checkpoints in the intake's p99; at 16,384 (64 MB of log at most) they
                    // are 16 times rarer, each copying what many commits changed once (see the
                    // README's intake figures).
                    .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string());
                let file = options.get_filename();
                let dir = file.parent().filter(|d| !d.as_os_str().is_empty());
                if let Some(dir) = dir.filter(|_| file != Path::new(":memory:")) {
                    std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                        path: dir.display().to_string(),
                        source,
                    })?;
                }
                // A write whose future is dropped at the wrong moment (a client hanging
                // up mid-request, a task cancelled) can hand its connection back with the
                // transaction still open, `BEGIN IMMEDIATE` run but no `Transaction` left
                // to roll it back; the next user of that connection then nests in it and
                // nothing ever commits, so every other writer waits out the busy timeout.
                // Such a connection is closed instead (SQLite rolls back on close). Without
                // this, tether-sync's `ingest::reliability` test (ticks dropped at random
                // moments) hung on SQLite for as long as anyone waited.
                let pool = |size: u32| {
                    SqlitePoolOptions::new()
                        .max_connections(size)
                        .acquire_timeout(Duration::from_secs(10))
                        .after_release(|conn, _| {
                            Box::pin(async move { Ok(!conn.is_in_transaction()) })
                        })
                        .connect_with(options.clone())
                };
                let readers = pool(8).await.map_err(connect_err)?;
                // Every write of this process, one at a time (see `with_writer!`).
                let writer = pool(1).await.map_err(connect_err)?;
                Backend::Sqlite(readers, writer)
            }
            Some(BackendKind::Postgres) => {
                let options = PgConnectOptions::from_str(url)
                    .map_err(connect_err)?
                    .options([("idle_in_transaction_session_timeout", IDLE_IN_TRANSACTION)]);
                // One direct connection first: a pool would retry until its
                // timeout and hide the cause (refused, bad password, no database).
                let probe = tokio::time::timeout(
                    Duration::from_secs(10),
                    sqlx::PgConnection::connect_with(&options),
                )
                .await
                .map_err(|_| connect_err(sqlx::Error::PoolTimedOut))?
                .map_err(connect_err)?;
                probe.close().await.map_err(connect_err)?;
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
                    .map_err(connect_err)?;
                Backend::Postgres(pool)
            }
            None => return Err(StoreError::UnsupportedUrl(redact_url(url))),
        };
        let (changes, _) = tokio::sync::watch::channel(0);
        Ok(Store {
            backend,
            key,
            clock: Clock::system(),
            changes: std::sync::Arc::new(changes),
            writes: Default::default(),
            intake: Default::default(),
        })
    }

    /// The same store reading the time from `clock`: created and updated stamps,
    /// audit times, outbox due times, leases and retries, sequence numbers. Tests
    /// hand it a [`Clock::manual`] and move it instead of sleeping. Clones made
    /// before keep their clock.
    pub fn with_clock(mut self, clock: Clock) -> Store {
        self.clock = clock;
        self
    }

    /// The clock this store reads; workers sharing the store read it too.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Now, by the store's clock, in epoch milliseconds.
    pub(crate) fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// A receiver that sees a new value after every write transaction this
    /// process commits through this store (or a clone of it): flag changes and
    /// the outbox rows they enqueue. Writes of other processes are not seen;
    /// whoever waits on it should also poll now and then.
    pub fn subscribe_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// How many writes this process has begun on the database: lone write statements and
    /// write transactions, each counted once, whether it committed or not. Each committed
    /// one is a commit, a sync of the log on SQLite; tests hold work to a number of them.
    pub fn writes_begun(&self) -> u64 {
        self.writes.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn note_write(&self) {
        self.writes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Where other processes' flag configuration changes can be awaited: PostgreSQL's
    /// `tether_config` notifications (sent by a trigger when environments' configurations
    /// change); `None` on SQLite, which has no such thing (poll instead).
    pub async fn config_listener(&self) -> Result<Option<ConfigListener>> {
        let Backend::Postgres(pool) = &self.backend else { return Ok(None) };
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(CONFIG_CHANNEL).await?;
        Ok(Some(ConfigListener(listener)))
    }

    pub fn backend_kind(&self) -> BackendKind {
        match self.backend {
            Backend::Sqlite(..) => BackendKind::Sqlite,
            Backend::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// Applies every pending migration, then checks that the master key matches
    /// the one the database's secrets were written with (recording it on first use).
    /// Returns how many migrations were newly applied.
    pub async fn migrate(&self) -> Result<usize> {
        let before = self.schema_status().await?.applied;
        match &self.backend {
            Backend::Sqlite(_, writer) => SQLITE_MIGRATIONS.run(writer).await?,
            Backend::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        self.check_master_key().await?;
        // Data moves no SQL migration can parse: once, and a no-op after.
        self.import_legacy_forge_installations().await?;
        Ok(self.schema_status().await?.applied.saturating_sub(before))
    }

    /// How many of this build's migrations the database has applied.
    pub async fn schema_status(&self) -> Result<SchemaStatus> {
        let (migrator, table_sql) = match &self.backend {
            Backend::Sqlite(..) => (
                &SQLITE_MIGRATIONS,
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            ),
            Backend::Postgres(_) => (
                &POSTGRES_MIGRATIONS,
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
            ),
        };
        let expected = migrator.iter().filter(|m| m.migration_type.is_up_migration()).count();
        let has_table: i64 =
            with_pool!(self, pool => sqlx::query_scalar(table_sql).fetch_one(pool).await?);
        if has_table == 0 {
            return Ok(SchemaStatus { applied: 0, expected });
        }
        let versions: Vec<i64> = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success = TRUE"
        )
        .fetch_all(pool)
        .await?);
        let applied = migrator
            .iter()
            .filter(|m| m.migration_type.is_up_migration() && versions.contains(&m.version))
            .count();
        Ok(SchemaStatus { applied, expected })
    }

    /// The clause that locks rows read before a write: PostgreSQL needs it,
    /// SQLite's `BEGIN IMMEDIATE` already holds the only write lock.
    pub(crate) fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(..) => "",
            Backend::Postgres(_) => " FOR UPDATE",
        }
    }

    /// The clause that holds a row read before a write against changes (but
    /// not against other holders): PostgreSQL needs it, SQLite does not.
    /// `FOR NO KEY UPDATE` on PostgreSQL (what an `UPDATE` of non-key columns takes: it
    /// does not wait for the key-share locks foreign keys hold), nothing on SQLite.
    pub(crate) fn for_no_key_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(..) => "",
            Backend::Postgres(_) => " FOR NO KEY UPDATE",
        }
    }

    pub(crate) fn for_share(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(..) => "",
            Backend::Postgres(_) => " FOR SHARE",
        }
    }

    /// A cheap round trip to the database.
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(drop)?);
        Ok(())
    }

    /// Refreshes the query planner's statistics (`ANALYZE`), as after a bulk load: JQL
    /// searches choose their indexes by them.
    pub async fn refresh_statistics(&self) -> Result<()> {
        with_writer!(self, pool => { sqlx::query("ANALYZE").execute(pool).await?; });
        Ok(())
    }

    /// Closes every pooled connection; used at shutdown.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(readers, writer) => {
                readers.close().await;
                writer.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }
}

/// An error with its chain of causes, `outer: inner: innermost`, for logs and
/// for messages recorded where a person reads them.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(next) = cur {
        out.push_str(": ");
        out.push_str(&next.to_string());
        cur = next.source();
    }
    out
}

/// Milliseconds since the Unix epoch, now, by the system clock. The store itself
/// reads [`Store::clock`]; code that has a store should too.
pub fn now_ms() -> i64 {
    Clock::system().now_ms()
}

/// A database URL fit for messages: any password, in the user part or in the
/// query, is replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = match base.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
                None => base.to_owned(),
            },
            None => base.to_owned(),
        },
        None => base.to_owned(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// How long PostgreSQL lets one of tether's connections sit inside a transaction without a
/// statement before it ends that session (rolling the transaction back). tether's
/// transactions hold only database work and last milliseconds, so this only ever ends a
/// connection that went back to the pool still inside a transaction: with sqlx 0.8.6 a
/// task cancelled while its `BEGIN` was in flight can leave one so
/// (launchbadge/sqlx#4393), and every statement its next user ran then stayed uncommitted,
/// holding its row locks, until the process ended. CI's ingestion reliability test (which
/// drops the ingester's work at random moments) hung on such a lock for 15 minutes. The
/// pool tests each connection before handing it out, so the ended session is replaced
/// rather than seen.
const IDLE_IN_TRANSACTION: &str = "30s";

#[cfg(test)]
mod tests;
