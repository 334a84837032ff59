//! Reliability: with the sandbox failing 30% of requests (429 and 503) and
//! answering some too slowly or never (the client times out, sometimes after Jira
//! applied the write), 1,000 random changes across 20 flags, made in bursts while the
//! worker ticks, end each burst (once the outbox has drained) with the sandbox
//! holding exactly tether's state (Cloud: each flag's document, and the
//! `tether.flags` property of each issue; Data Center: each remote link). The
//! same again with the worker killed at random moments (its tick dropped after a
//! random number of polls, wherever it is, as SIGKILL would stop it) and a new one
//! started, which takes over the dead one's rows when their lease runs out.
//!
//! Time is the world's manual clock: when nothing is due, the test lets time pass
//! once the sandbox has settled every request it holds (so a write that arrives
//! late lands before the clock says a retry may go).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use jira_sandbox::Knobs;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tether_store::on_each_backend;
use tether_store::testing::TestBackend;
use tether_sync::jira::JiraClients;
use tether_sync::{TickReport, Worker};

use super::support::{PUBLIC_URL, World, differences, fast};

const FLAGS: usize = 20;
const CHANGES: usize = 1_000;
const ISSUES: [&str; 5] = ["SAND-1", "SAND-2", "SAND-3", "SAND-4", "SAND-5"];

pub(crate) fn faulty() -> Knobs {
    Knobs {
        fault_rate: 0.3,
        fault_statuses: vec![429, 503],
        latency_rate: 0.03,
        latency_ms: 110,
        // And requests Jira never answers: held past the client's timeout, then dropped.
        timeout_rate: 0.03,
        timeout_ms: 150,
        ..Knobs::default()
    }
}

/// One random change to one random flag.
async fn change(w: &World, rng: &mut StdRng) {
    let flag = format!("f{}", rng.gen_range(0..FLAGS));
    let env = if rng.gen_bool(0.7) { "production" } else { "staging" };
    match rng.gen_range(0..10) {
        0..=2 => w.toggle(&flag, env, rng.gen_bool(0.5)).await,
        3..=4 => w.rollout(&flag, env, rng.gen_range(0..=100)).await,
        5 => w.rules(&flag, env, rng.gen_range(0..3)).await,
        6..=7 => w.link(&flag, ISSUES[rng.gen_range(0..ISSUES.len())]).await,
        _ => {
            let linked = w.store.flag("shop", &flag).await.unwrap().flag.jira_issues().to_vec();
            if !linked.is_empty() {
                let issue = &linked[rng.gen_range(0..linked.len())];
                w.unlink(&flag, issue).await;
            }
        }
    }
}

/// Above the client timeout, so a retry after a timeout waits out the late write.
const MAX_DELAY: Duration = Duration::from_millis(110);
/// What a killed worker held is taken over after this.
const LEASE: Duration = Duration::from_millis(250);
/// Idle rounds (the clock moved on each) a drain may take before the test fails.
const DRAIN_ROUNDS: usize = 100_000;

/// Workers in turn: each ticks until it is killed (in a kill run), then the next starts.
struct Workers {
    clients: JiraClients,
    store: tether_store::Store,
    current: Worker,
    kill: bool,
    kills: usize,
    killer: StdRng,
}

impl Workers {
    fn new(w: &World, kill: bool) -> Workers {
        // Short client timeouts, so the slow answers time out after Jira applied them.
        let clients = JiraClients::new(
            w.store.clone(),
            tether_jira::Options { timeout: Duration::from_millis(100), ..fast() },
        );
        let current = worker(&w.store, &clients, 0);
        Workers {
            clients,
            store: w.store.clone(),
            current,
            kill,
            kills: 0,
            killer: StdRng::seed_from_u64(7),
        }
    }

    /// One tick, or (now and then in a kill run) part of one: the worker dies
    /// wherever it is (mid-request, between send and record, inside a
    /// transaction) and a new one takes its place.
    async fn step(&mut self) -> Option<TickReport> {
        if self.kill && self.killer.gen_bool(0.2) {
            let polls = self.killer.gen_range(1..40);
            if let Some(r) = (Cut { tick: Box::pin(self.current.tick()), polls }).await {
                return Some(r.unwrap());
            }
            self.kills += 1;
            self.current = worker(&self.store, &self.clients, self.kills);
            return None;
        }
        Some(self.current.tick().await.unwrap())
    }
}

fn worker(store: &tether_store::Store, clients: &JiraClients, n: usize) -> Worker {
    Worker::new(store.clone(), format!("reliable-{n}"))
        .with_jira(clients.clone(), PUBLIC_URL)
        .with_retry_base(Duration::from_millis(1))
        .with_jira_max_delay(MAX_DELAY)
        .with_lease(LEASE)
}

/// A tick dropped after `polls` polls if it has not finished by then (the code ↔ Jira
/// reliability run kills its workers with it too).
pub(crate) struct Cut<F> {
    pub(crate) tick: Pin<Box<F>>,
    pub(crate) polls: usize,
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

/// Ticks until the outbox is empty, letting time pass whenever nothing is due.
async fn drain(w: &World, workers: &mut Workers) {
    let mut idle = 0;
    loop {
        if workers.step().await.is_none_or(|r| r.claimed > 0) {
            continue;
        }
        if w.store.outbox_stats().await.unwrap().pending == 0 {
            return;
        }
        idle += 1;
        assert!(idle < DRAIN_ROUNDS, "the outbox did not drain");
        w.pass(MAX_DELAY).await;
    }
}

async fn run(w: World, kill: bool) {
    let flags: Vec<String> = (0..FLAGS).map(|n| format!("f{n}")).collect();
    for (n, f) in flags.iter().enumerate() {
        w.flag(f, &format!("Flag {n}")).await;
    }
    w.sandbox.set_knobs(faulty());
    let mut workers = Workers::new(&w, kill);

    // Bursts of changes while the worker ticks; after each burst has drained,
    // Jira must hold exactly what tether has, so every burst's last state of
    // each flag must have got through.
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(20_241_122);
    let (mut done, mut bursts) = (0, 0);
    while done < CHANGES {
        let burst = rng.gen_range(1..=40).min(CHANGES - done);
        let changes = async {
            for _ in 0..burst {
                change(&w, &mut rng).await;
            }
        };
        let ticking = async {
            loop {
                workers.step().await;
                tokio::task::yield_now().await;
            }
        };
        tokio::select! {
            () = changes => {}
            () = ticking => unreachable!("ticks until the changes are made"),
        }
        done += burst;
        bursts += 1;
        drain(&w, &mut workers).await;
        w.traffic.quiet().await;
        let diff = differences(&w, &flags, &ISSUES).await;
        assert!(
            diff.is_empty(),
            "{} {} after {done} changes: {} differences:\n{}",
            w.label,
            flavour(&w),
            diff.len(),
            diff.join("\n")
        );
    }
    let drained = started.elapsed();
    let kills = workers.kills;
    let shown =
        if w.cloud { w.sandbox.feature_flags().len() } else { w.sandbox.remote_links(None).len() };
    assert!(shown > 0, "the run ends with something in Jira");
    assert!(!kill || kills > 0, "a kill run kills the worker");
    eprintln!(
        "reliability {} {}{}: {CHANGES} changes in {bursts} bursts, all delivered and checked in {:.2?}; {shown} {} in Jira at the end",
        w.label,
        flavour(&w),
        if kill { format!(", worker killed {kills} times") } else { String::new() },
        drained,
        if w.cloud { "flags" } else { "remote links" }
    );
}

fn flavour(w: &World) -> &'static str {
    if w.cloud { "cloud" } else { "dc" }
}

on_each_backend!(
    cloud_under_faults_ends_holding_exactly_tethers_state,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn cloud_under_faults_ends_holding_exactly_tethers_state(backend: TestBackend) {
    run(World::new(backend, true).await, false).await;
}

on_each_backend!(
    cloud_with_the_worker_killed_at_random_moments_ends_in_step,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn cloud_with_the_worker_killed_at_random_moments_ends_in_step(backend: TestBackend) {
    run(World::new(backend, true).await, true).await;
}

on_each_backend!(
    data_center_under_faults_ends_holding_exactly_tethers_state,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn data_center_under_faults_ends_holding_exactly_tethers_state(backend: TestBackend) {
    run(World::new(backend, false).await, false).await;
}

on_each_backend!(
    data_center_with_the_worker_killed_at_random_moments_ends_in_step,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn data_center_with_the_worker_killed_at_random_moments_ends_in_step(backend: TestBackend) {
    run(World::new(backend, false).await, true).await;
}
