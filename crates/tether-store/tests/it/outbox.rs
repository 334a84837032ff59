//! The outbox: claiming, completing, retrying, leases, and concurrent workers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tether_store::{NewOutboxItem, Store};

use tether_store::on_each_backend;
use tether_store::testing::{TestBackend, TestDatabase};

use crate::TestStore;

fn item(n: usize) -> NewOutboxItem {
    NewOutboxItem { kind: "test.deliver".to_owned(), payload: format!("{{\"n\":{n}}}") }
}

const LEASE: Duration = Duration::from_secs(60);

on_each_backend!(claimed_work_is_not_claimed_again_until_done_or_failed);
async fn claimed_work_is_not_claimed_again_until_done_or_failed(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    let a = s.enqueue(&item(1)).await.unwrap();
    let b = s.enqueue(&item(2)).await.unwrap();
    let stats = s.outbox_stats().await.unwrap();
    assert_eq!(stats.pending, 2, "{}", t.label);
    assert!(stats.oldest_created_at.is_some());

    let claimed = s.claim_outbox("w1", 10, LEASE).await.unwrap();
    assert_eq!(claimed.iter().map(|i| i.id).collect::<Vec<_>>(), [a, b], "{}", t.label);
    assert_eq!(claimed[0].attempts, 1);
    assert_eq!(claimed[0].payload, "{\"n\":1}");
    assert!(s.claim_outbox("w2", 10, LEASE).await.unwrap().is_empty(), "{}", t.label);

    // Another worker cannot complete what it does not hold.
    assert!(!s.complete_outbox(a, "w2").await.unwrap());
    assert!(s.complete_outbox(a, "w1").await.unwrap());
    assert!(!s.complete_outbox(a, "w1").await.unwrap(), "done twice");

    // A failure with no delay makes the row due again, with its attempt counted.
    assert!(s.fail_outbox(b, "w1", "jira said 503", Duration::ZERO).await.unwrap());
    let again = s.claim_outbox("w2", 10, LEASE).await.unwrap();
    assert_eq!(again.len(), 1, "{}", t.label);
    assert_eq!((again[0].id, again[0].attempts), (b, 2));

    // A failure with a delay keeps it back.
    assert!(s.fail_outbox(b, "w2", "429", Duration::from_secs(3600)).await.unwrap());
    assert!(s.claim_outbox("w3", 10, LEASE).await.unwrap().is_empty(), "{}", t.label);
    assert_eq!(s.outbox_stats().await.unwrap().pending, 1);
    // Until the delay has passed.
    t.clock.advance(Duration::from_secs(3600));
    assert_eq!(s.claim_outbox("w3", 10, LEASE).await.unwrap().len(), 1, "{}", t.label);
}

on_each_backend!(an_expired_lease_lets_another_worker_take_over);
async fn an_expired_lease_lets_another_worker_take_over(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    let id = s.enqueue(&item(1)).await.unwrap();
    assert_eq!(s.claim_outbox("crashed", 1, LEASE).await.unwrap().len(), 1);
    t.clock.advance(LEASE);
    assert!(s.claim_outbox("rescuer", 1, LEASE).await.unwrap().is_empty(), "{}", t.label);
    // One millisecond past the lease.
    t.clock.advance(Duration::from_millis(1));
    let taken = s.claim_outbox("rescuer", 1, LEASE).await.unwrap();
    assert_eq!(taken.iter().map(|i| i.id).collect::<Vec<_>>(), [id], "{}", t.label);
    // The crashed worker's late acknowledgement does not count.
    assert!(!s.complete_outbox(id, "crashed").await.unwrap());
    assert!(s.complete_outbox(id, "rescuer").await.unwrap());
    assert_eq!(s.outbox_stats().await.unwrap().pending, 0, "{}", t.label);
}

/// Several workers drain one outbox; every row is delivered exactly once.
async fn drain_with_workers(store: &Store, label: &str, rows: usize, workers: usize) {
    for n in 0..rows {
        store.enqueue(&item(n)).await.unwrap();
    }
    let delivered: Arc<Mutex<HashMap<i64, Vec<String>>>> = Arc::default();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let store = store.clone();
        let delivered = delivered.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("worker-{w}");
            loop {
                let batch = store.claim_outbox(&name, 7, LEASE).await.unwrap();
                if batch.is_empty() {
                    break;
                }
                for it in batch {
                    delivered.lock().unwrap().entry(it.id).or_default().push(name.clone());
                    assert!(store.complete_outbox(it.id, &name).await.unwrap());
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let delivered = std::mem::take(&mut *delivered.lock().unwrap());
    assert_eq!(delivered.len(), rows, "{label}: rows lost");
    let twice: Vec<_> = delivered.iter().filter(|(_, by)| by.len() != 1).collect();
    assert!(twice.is_empty(), "{label}: delivered more than once: {twice:?}");
    assert_eq!(store.outbox_stats().await.unwrap().pending, 0, "{label}");
}

on_each_backend!(
    concurrent_workers_on_one_database_deliver_each_row_exactly_once,
    flavor = "multi_thread",
    worker_threads = 4
);
async fn concurrent_workers_on_one_database_deliver_each_row_exactly_once(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    drain_with_workers(&t.store, t.label, 500, 4).await;
}

/// Two separate connection pools (as two `tether serve` processes have) on one
/// PostgreSQL database, claiming at the same time.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(not(tether_pg), ignore = "needs TEST_PG_URL: a PostgreSQL server; .ci/run sets it")]
async fn two_processes_sharing_postgres_never_deliver_a_row_twice() {
    let db = TestDatabase::new(TestBackend::Postgres).await;
    let url = db.url();
    let key = tether_store::MasterKey::generate();
    let a = Store::connect(url, key.clone()).await.unwrap();
    a.migrate().await.unwrap();
    let b = Store::connect(url, key).await.unwrap();
    for n in 0..1000 {
        a.enqueue(&item(n)).await.unwrap();
    }
    let run = |store: Store, name: &'static str| {
        tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = store.claim_outbox(name, 10, LEASE).await.unwrap();
                if batch.is_empty() {
                    break got;
                }
                for it in batch {
                    assert!(store.complete_outbox(it.id, name).await.unwrap());
                    got.push(it.id);
                }
            }
        })
    };
    let (x, y) = (run(a.clone(), "a"), run(b, "b"));
    let (x, y) = (x.await.unwrap(), y.await.unwrap());
    assert!(!x.is_empty() && !y.is_empty(), "both processes took part: {} / {}", x.len(), y.len());
    let mut all: Vec<i64> = x.iter().chain(&y).copied().collect();
    all.sort();
    let n = all.len();
    all.dedup();
    assert_eq!(all.len(), n, "a row was delivered twice");
    assert_eq!(n, 1000, "rows were lost");
}

on_each_backend!(work_already_waiting_is_not_enqueued_twice);
async fn work_already_waiting_is_not_enqueued_twice(backend: TestBackend) {
    let t = TestStore::new(backend).await;
    let s = &t.store;
    assert!(s.enqueue_unless_waiting(&item(1)).await.unwrap(), "{}", t.label);
    assert!(!s.enqueue_unless_waiting(&item(1)).await.unwrap(), "{}: waiting", t.label);
    assert!(s.enqueue_unless_waiting(&item(2)).await.unwrap(), "another payload");
    // Once claimed it may be computing already: a new request needs a new row.
    let claimed = s.claim_outbox("w1", 10, LEASE).await.unwrap();
    assert!(s.enqueue_unless_waiting(&item(1)).await.unwrap(), "{}", t.label);
    // A failed row waits again and covers later requests.
    assert!(s.fail_outbox(claimed[1].id, "w1", "503", Duration::from_secs(60)).await.unwrap());
    assert!(!s.enqueue_unless_waiting(&item(2)).await.unwrap(), "{}", t.label);
    assert_eq!(s.outbox_stats().await.unwrap().pending, 3);
}
