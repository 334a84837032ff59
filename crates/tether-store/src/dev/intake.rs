//! Webhook intake's writes, committed together: deliveries that arrive while one commit is
//! under way wait for it and are then stored by one statement committed by itself (a *group
//! commit*), each with its outbox rows (made by the database's `dev_events_work` trigger), so
//! a crowd of deliveries costs a few commits (and their syncs of the log to disk) instead of
//! one each. Every delivery is answered only after the commit that holds it, so what was
//! answered for is on disk as before.
//!
//! The commits are made by a task of their own, the *committer*, started by the first
//! delivery that finds none running and ending when no delivery is left. It keeps the one
//! writer connection from one commit to the next (up to [`ROUNDS`] commits, then lets the
//! worker's writes in): handing a pooled connection back and getting it again (sqlx's
//! spawned return, its pings, the worker's commits in between) took as long as the commit
//! itself (see the README's intake figures). A request that goes away (a client that hung
//! up) takes nothing with it: its delivery is stored all the same.
//!
//! Also kept here: each repository's forge and sealed secret, which every delivery needs
//! before it is stored ([`Store::repository_webhook`]). Reading them cost a pooled read per
//! delivery (on SQLite a hand-over to a connection's thread and back, on PostgreSQL a ping
//! and a query: two round trips), more than the rest of the intake's own work; see the
//! README's intake figures. What this process changes (a new secret, a deleted repository)
//! clears them at once; what another process sharing the database changes is seen within
//! [`WEBHOOK_TTL_MS`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use sqlx::pool::PoolConnection;
use sqlx::{Postgres, Sqlite};
use tokio::sync::oneshot;

use super::body::{self, Encoding};
use super::events::{NewDevEvent, Recorded};
use crate::{Backend, Result, Store, StoreError, with_pool};

/// The most deliveries one commit stores (a bound on the statement's parameters: 8 per
/// event, far under either database's limit).
pub(crate) const MOST: usize = 64;

/// The most commits the committer makes on the writer connection before handing it back
/// (and taking it again): while deliveries pour in, the worker's writes wait at most that
/// many commits.
pub(crate) const ROUNDS: usize = 8;

/// How long a repository's forge and sealed secret are used without being read again:
/// another process's change (a rotated secret, a deleted repository) reaches this one
/// within it.
pub(crate) const WEBHOOK_TTL_MS: i64 = 1_000;

/// The deliveries waiting to be stored, and whether a committer runs; the repositories'
/// webhook checks read lately.
pub(crate) struct IntakeQueue {
    waiting: Mutex<Vec<Waiting>>,
    /// Set while a committer task runs.
    running: AtomicBool,
    /// When the last delivery arrived, by the store's clock (see
    /// [`Store::last_delivery_at`]); `i64::MIN` before the first.
    last_arrival_ms: AtomicI64,
    webhooks: Mutex<Webhooks>,
}

/// The webhook checks kept, and how many times they were forgotten (a read that began
/// before a change must not keep what it read after it).
#[derive(Default)]
struct Webhooks {
    generation: u64,
    kept: HashMap<i64, Webhook>,
}

/// A repository's forge and its secret still sealed (opened per delivery, so the plain
/// secret lives no longer than before), as read at `read_ms`.
#[derive(Clone)]
pub(crate) struct Webhook {
    pub source: String,
    pub sealed: Option<Vec<u8>>,
    read_ms: i64,
}

struct Waiting {
    row: EventRow,
    answer: oneshot::Sender<Result<Recorded>>,
}

/// A delivery's `dev_events` row as it is inserted: its headers as stored JSON, its body as
/// stored ([`body::encode`]). Made before the row joins a commit (for the intake, on the
/// request's task), so the one writer does no more.
pub(super) struct EventRow {
    pub repository_id: i64,
    pub delivery_id: String,
    pub source: &'static str,
    pub event_name: String,
    pub headers: String,
    pub body: Vec<u8>,
    pub encoding: Encoding,
}

impl EventRow {
    pub(super) fn of(new: &NewDevEvent) -> EventRow {
        let (body, encoding) = body::encode(&new.body);
        EventRow {
            repository_id: new.repository_id,
            delivery_id: new.delivery_id.clone(),
            source: new.source.as_str(),
            event_name: new.event_name.clone(),
            headers: headers_json(new),
            body,
            encoding,
        }
    }
}

impl Default for IntakeQueue {
    fn default() -> IntakeQueue {
        IntakeQueue {
            waiting: Mutex::default(),
            running: AtomicBool::default(),
            last_arrival_ms: AtomicI64::new(i64::MIN),
            webhooks: Mutex::default(),
        }
    }
}

impl IntakeQueue {
    fn push(&self, row: EventRow) -> oneshot::Receiver<Result<Recorded>> {
        let (answer, rx) = oneshot::channel();
        let waiting = Waiting { row, answer };
        self.waiting.lock().unwrap_or_else(|e| e.into_inner()).push(waiting);
        rx
    }

    fn is_empty(&self) -> bool {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner()).is_empty()
    }

    fn take(&self) -> Vec<Waiting> {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        let n = waiting.len().min(MOST);
        waiting.drain(..n).collect()
    }

    /// The repository's webhook check read at most [`WEBHOOK_TTL_MS`] before `now_ms`;
    /// without one, the generation to hand [`IntakeQueue::keep_webhook`] after reading it.
    pub(crate) fn webhook(&self, id: i64, now_ms: i64) -> std::result::Result<Webhook, u64> {
        let webhooks = self.webhooks.lock().unwrap_or_else(|e| e.into_inner());
        match webhooks.kept.get(&id) {
            Some(w) if now_ms >= w.read_ms && now_ms - w.read_ms < WEBHOOK_TTL_MS => Ok(w.clone()),
            _ => Err(webhooks.generation),
        }
    }

    /// Keeps what was just read from the database, unless this process changed a
    /// repository since the read began (`generation`). Only repositories that exist are
    /// kept, so refused guesses at addresses cannot grow this.
    pub(crate) fn keep_webhook(
        &self,
        id: i64,
        w: (String, Option<Vec<u8>>),
        now_ms: i64,
        generation: u64,
    ) {
        let mut webhooks = self.webhooks.lock().unwrap_or_else(|e| e.into_inner());
        if webhooks.generation == generation {
            webhooks.kept.insert(id, Webhook { source: w.0, sealed: w.1, read_ms: now_ms });
        }
    }

    /// Forgets every repository's webhook check (called after this process changed one).
    pub(crate) fn forget_webhooks(&self) {
        let mut webhooks = self.webhooks.lock().unwrap_or_else(|e| e.into_inner());
        webhooks.generation += 1;
        webhooks.kept.clear();
    }
}

/// The writer connection the committer holds between its commits.
enum Held {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Store {
    /// Stores a delivery once, with the outbox rows that process it, in one commit (shared
    /// with the deliveries that arrived meanwhile). A delivery id seen before for
    /// the repository writes nothing.
    pub async fn record_dev_event(&self, new: &NewDevEvent) -> Result<Recorded> {
        self.intake.last_arrival_ms.store(self.now(), Ordering::Relaxed);
        let rx = self.intake.push(EventRow::of(new));
        self.start_committer();
        rx.await.unwrap_or_else(|_| Err(database_error("the intake's committer stopped")))
    }

    /// When this process last took a forge delivery to store (epoch ms by the store's
    /// clock), if it has: background work gives way while deliveries arrive.
    pub fn last_delivery_at(&self) -> Option<i64> {
        let at = self.intake.last_arrival_ms.load(Ordering::Relaxed);
        (at != i64::MIN).then_some(at)
    }

    /// Starts the committer unless one runs.
    fn start_committer(&self) {
        if self.intake.running.swap(true, Ordering::SeqCst) {
            return;
        }
        let store = self.clone();
        tokio::spawn(async move { store.commit_all().await });
    }

    /// The committer: stores what is waiting until nothing is, then ends. A delivery put in
    /// the queue as it ends either is seen here or starts the next committer.
    async fn commit_all(self) {
        /// Clears `running` however the committer ends (a panic included), so the next
        /// delivery starts another.
        struct Running<'a>(&'a AtomicBool);
        impl Drop for Running<'_> {
            fn drop(&mut self) {
                self.0.store(false, Ordering::SeqCst);
            }
        }
        let queue = &self.intake;
        loop {
            {
                let _running = Running(&queue.running);
                while !queue.is_empty() {
                    self.commit_rounds().await;
                }
            }
            if queue.is_empty() || queue.running.swap(true, Ordering::SeqCst) {
                return;
            }
        }
    }

    /// Up to [`ROUNDS`] commits of what is waiting, on one writer connection held between
    /// them. Without a connection every waiting delivery is answered with the error.
    async fn commit_rounds(&self) {
        let mut held = match self.hold_writer().await {
            Ok(held) => held,
            Err(e) => {
                // The first waiting delivery gets the error itself; the others (an error
                // cannot be copied) a database error that says the same.
                let message = crate::error_chain(&e);
                let mut first = Some(e);
                for w in self.intake.take() {
                    let e = first.take().unwrap_or_else(|| database_error(&message));
                    let _ = w.answer.send(Err(e));
                }
                return;
            }
        };
        for _ in 0..ROUNDS {
            let batch = self.intake.take();
            if batch.is_empty() {
                break;
            }
            self.commit_waiting(&mut held, batch).await;
        }
    }

    async fn hold_writer(&self) -> Result<Held> {
        Ok(match &self.backend {
            Backend::Sqlite(_, writer) => Held::Sqlite(writer.acquire().await?),
            Backend::Postgres(pool) => Held::Postgres(pool.acquire().await?),
        })
    }

    /// Stores `batch` in one commit and answers each. Should that fail (a repository
    /// deleted meanwhile, say), each delivery is tried alone, so one cannot fail the rest.
    async fn commit_waiting(&self, held: &mut Held, batch: Vec<Waiting>) {
        let rows: Vec<&EventRow> = batch.iter().map(|w| &w.row).collect();
        let stored = match self.insert_events(held, &rows).await {
            Ok(ids) => ids,
            Err(_) if batch.len() > 1 => {
                for w in batch {
                    let recorded = self.insert_events(held, &[&w.row]).await;
                    let recorded = match recorded {
                        Ok(ids) => self.recorded(&w.row, ids[0]).await,
                        Err(e) => Err(e),
                    };
                    let _ = w.answer.send(recorded);
                }
                return;
            }
            Err(e) => {
                let w = batch.into_iter().next().expect("one delivery");
                let _ = w.answer.send(Err(e));
                return;
            }
        };
        for (w, id) in batch.into_iter().zip(stored) {
            let recorded = self.recorded(&w.row, id).await;
            // Its request may be gone (the client hung up): stored all the same.
            let _ = w.answer.send(recorded);
        }
    }

    /// What storing `row` did: `stored` is its new id, or `None` for a duplicate, whose
    /// first id is read.
    async fn recorded(&self, row: &EventRow, stored: Option<i64>) -> Result<Recorded> {
        if let Some(id) = stored {
            return Ok(Recorded::Stored(id));
        }
        let id: i64 = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT id FROM dev_events WHERE repository_id = $1 AND delivery_id = $2"
        )
        .bind(row.repository_id)
        .bind(&row.delivery_id)
        .fetch_one(pool)
        .await?);
        Ok(Recorded::Duplicate(id))
    }

    /// Inserts the events with one statement, committed by itself: the database adds each
    /// new event's outbox rows (the `dev_events_work` trigger), so the commit is one trip to
    /// the connection, and on SQLite it keeps no statement journal (see the README's intake
    /// figures). Per event (in order) its new id, or `None` when its delivery was stored
    /// before (or earlier in `rows`).
    async fn insert_events(&self, held: &mut Held, rows: &[&EventRow]) -> Result<Vec<Option<i64>>> {
        let now = self.now();
        // Not in a transaction: the statement is one, and commits (or fails) whole.
        let ids = match held {
            Held::Sqlite(conn) => insert_rows!(&mut **conn, rows, now),
            Held::Postgres(conn) => insert_rows!(&mut **conn, rows, now),
        };
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
        Ok(ids)
    }
}

/// Inserts `rows` (at most [`MOST`]: 8 parameters each) with one statement on `$conn` (a
/// connection or a transaction of either database), received at `$now`, each new event
/// with its outbox rows (the database's `dev_events_work` trigger makes them). Evaluates to
/// each row's new id in order, or `None` for a delivery stored before (or earlier in `rows`).
/// The webhook intake's commits and the scans of local repositories both store with it.
macro_rules! insert_rows {
    ($conn:expr, $rows:expr, $now:expr) => {{
        let rows: &[&$crate::dev::intake::EventRow] = $rows;
        debug_assert!(rows.len() <= $crate::dev::intake::MOST);
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO dev_events (repository_id, delivery_id, source, event_name, headers, body, body_encoding, received_at, state) ",
        );
        q.push_values(rows, |mut q, row| {
            q.push_bind(row.repository_id)
                .push_bind(&row.delivery_id)
                .push_bind(row.source)
                .push_bind(&row.event_name)
                .push_bind(&row.headers)
                .push_bind(&row.body)
                .push_bind(row.encoding.as_str())
                .push_bind($now)
                .push("'pending'");
        });
        q.push(
            " ON CONFLICT (repository_id, delivery_id) DO NOTHING \
             RETURNING id, repository_id, delivery_id",
        );
        let returned: Vec<(i64, i64, String)> = q.build_query_as().fetch_all($conn).await?;
        $crate::dev::intake::ids_in_order(rows, &returned)
    }};
}
pub(super) use insert_rows;

/// Each row's id among those `RETURNING` gave (in no promised order), `None` for a row
/// not inserted. The first of a delivery's copies is the one inserted; its later copies in
/// `rows` are duplicates.
pub(super) fn ids_in_order(
    rows: &[&EventRow],
    returned: &[(i64, i64, String)],
) -> Vec<Option<i64>> {
    let mut inserted: HashMap<(i64, &str), i64> =
        returned.iter().map(|(id, repo, delivery)| ((*repo, delivery.as_str()), *id)).collect();
    rows.iter().map(|r| inserted.remove(&(r.repository_id, r.delivery_id.as_str()))).collect()
}

/// A database error saying `message` (one failure told to several deliveries: an error
/// cannot be copied).
fn database_error(message: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Io(std::io::Error::other(message.to_owned())))
}

/// The kept headers as stored: a JSON object, names in order.
fn headers_json(new: &NewDevEvent) -> String {
    let headers: std::collections::BTreeMap<&str, &str> =
        new.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    serde_json::to_string(&headers).expect("headers serialise")
}
