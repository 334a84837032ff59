//! Ingestion that is interrupted ends where an uninterrupted one does: the same sandbox is
//! ingested once straight through, then its data is removed and it is ingested again with the
//! ingester killed at random moments (its tick dropped after a random number of polls,
//! wherever it is: mid-request, mid-page, inside a transaction, as SIGKILL would stop it, and
//! a new ingester with another name taking over after the lease), and again under 30%
//! injected faults (500s and 503s). Each time the database ends identical, row checksums of
//! every ticket table, to the uninterrupted run: nothing lost, nothing doubled.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use jira_sandbox::Knobs;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tether_store::on_each_backend;
use tether_store::testing::TestBackend;
use tether_sync::ingest::Ingester;

use super::support::World;

/// How a run is interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trouble {
    /// Ticks dropped at random moments (three in five, each after 1 to 40 polls).
    Kills,
    /// 30% of Jira's answers are 500 or 503.
    Faults,
}

/// Removes every project's tickets (their next pass is a full one) and has the site checked
/// again, so the run after it starts from nothing but the catalogues.
async fn start_over(w: &World) {
    for p in w.store.ticket_projects(w.site_id).await.unwrap().iter().filter(|p| p.imported) {
        w.store.remove_ticket_project_data(w.site_id, &p.id, "t").await.unwrap();
    }
    w.store.request_ticket_refresh(w.site_id).await.unwrap();
    assert_eq!(w.store.ticket_stats(w.site_id).await.unwrap().tickets, 0);
}

/// Whether every imported project has finished a pass since `since` and none is claimed.
async fn settled(w: &World, since: i64) -> bool {
    let projects = w.store.ticket_projects(w.site_id).await.unwrap();
    projects.iter().filter(|p| p.imported).all(|p| {
        !p.in_pass()
            && p.last_pass_started_at.is_some_and(|t| t >= since)
            && p.last_pass_finished_at.is_some()
    })
}

/// Ingests until settled, interrupted by `trouble`; time passes (a lease, a backoff) only
/// when a whole tick found nothing to do. Answers how many ingesters were killed and how many
/// passes failed.
async fn run_with(w: &World, trouble: Trouble, seed: u64) -> (usize, usize) {
    let since = w.store.clock().now_ms();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut kills = 0;
    let mut failed = 0;
    let mut ing = w.ingester("reliable-0");
    for _ in 0..5_000 {
        if trouble == Trouble::Kills && rng.gen_bool(0.6) {
            let polls = rng.gen_range(1..40);
            if (Cut { tick: Box::pin(ing.tick()), polls }).await.is_none() {
                kills += 1;
                ing = w.ingester(&format!("reliable-{kills}"));
            }
            continue;
        }
        let report = match ing.tick().await {
            Ok(r) => r,
            // SQLite: a killed tick's connection is closed, its transaction rolled back,
            // when it returns to the pool; a write racing that may find the database locked
            // once. The ingester's loop tries again after its idle wait, so does this.
            Err(e)
                if trouble == Trouble::Kills && format!("{e:?}").contains("database is locked") =>
            {
                w.pass(Duration::from_secs(1)).await;
                continue;
            }
            Err(e) => panic!("{} {}: {e:?}", w.label, w.flavour()),
        };
        failed += report.failed;
        if !report.busy() {
            if settled(w, since).await {
                return (kills, failed);
            }
            // A killed ingester's claim runs out; a failed pass comes due again.
            w.pass(Duration::from_secs(61)).await;
        }
    }
    panic!("{} {}: ingestion did not settle under {trouble:?}", w.label, w.flavour());
}

async fn ends_identical(w: World) {
    // Many small pages, so a kill lands mid-pass often.
    let reference_ing: Ingester = w.ingester("straight");
    w.drain(&reference_ing).await;
    w.assert_in_step().await;
    let reference = w.store.ticket_checksums(w.site_id).await.unwrap();
    assert!(reference.iter().any(|(t, rows, _)| t == "tickets" && *rows > 80), "{reference:?}");

    start_over(&w).await;
    let (kills, _) = run_with(&w, Trouble::Kills, 7).await;
    assert!(kills >= 5, "{} {}: only {kills} kills", w.label, w.flavour());
    assert_eq!(
        w.store.ticket_checksums(w.site_id).await.unwrap(),
        reference,
        "{} {}: after {kills} kills",
        w.label,
        w.flavour()
    );

    start_over(&w).await;
    w.sandbox.set_knobs(Knobs {
        fault_rate: 0.3,
        fault_statuses: vec![500, 503],
        embedded_changelog_cap: 2,
        ..Knobs::default()
    });
    let (_, failed) = run_with(&w, Trouble::Faults, 11).await;
    w.sandbox.set_knobs(Knobs { embedded_changelog_cap: 2, ..Knobs::default() });
    assert!(failed > 0, "{} {}: the faults failed no pass", w.label, w.flavour());
    assert_eq!(
        w.store.ticket_checksums(w.site_id).await.unwrap(),
        reference,
        "{} {}: after {failed} failed passes",
        w.label,
        w.flavour()
    );
    w.assert_in_step().await;
}

on_each_backend!(
    cloud_ingestion_killed_or_faulted_ends_identical,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn cloud_ingestion_killed_or_faulted_ends_identical(backend: TestBackend) {
    ends_identical(World::new(backend, true, 150).await).await;
}

on_each_backend!(
    data_center_ingestion_killed_or_faulted_ends_identical,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn data_center_ingestion_killed_or_faulted_ends_identical(backend: TestBackend) {
    ends_identical(World::new(backend, false, 100).await).await;
}

/// A tick dropped after `polls` polls if it has not finished by then.
struct Cut<F> {
    tick: Pin<Box<F>>,
    polls: usize,
}

impl<F: Future> Future for Cut<F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match this.tick.as_mut().poll(cx) {
            Poll::Ready(out) => Poll::Ready(Some(out)),
            Poll::Pending if this.polls <= 1 => Poll::Ready(None),
            Poll::Pending => {
                this.polls -= 1;
                Poll::Pending
            }
        }
    }
}
