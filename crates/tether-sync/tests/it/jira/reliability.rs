//! Reliability: with the sandbox failing 30% of requests (429 and 503) and
//! answering some too slowly or never (the client times out, sometimes after Jira
//! applied the write), 1,000 random changes across 20 flags, made in bursts while the
//! worker runs, end each burst (once the outbox has drained) with the sandbox
//! holding exactly tether's state (Cloud: each flag's document, and the
//! `tether.flags` property of each issue; Data Center: each remote link). The
//! same again with the worker killed at random moments (its task aborted
//! wherever it is, as SIGKILL would stop it) and a new one started, which
//! takes over the dead one's rows when their lease runs out.

use std::time::{Duration, Instant};

use jira_sandbox::Knobs;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tether_store::Store;
use tether_sync::Worker;
use tether_sync::jira::JiraClients;

use super::support::{PUBLIC_URL, World, differences, fast, worlds};

const FLAGS: usize = 20;
const CHANGES: usize = 1_000;
const ISSUES: [&str; 5] = ["SAND-1", "SAND-2", "SAND-3", "SAND-4", "SAND-5"];

fn faulty() -> Knobs {
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

async fn run(w: World, kill: bool) {
    let flags: Vec<String> = (0..FLAGS).map(|n| format!("f{n}")).collect();
    for (n, f) in flags.iter().enumerate() {
        w.flag(f, &format!("Flag {n}")).await;
    }
    w.sandbox.set_knobs(faulty());
    // Short client timeouts, so the slow answers time out after Jira applied them.
    let clients = JiraClients::new(
        w.store.clone(),
        tether_jira::Options { timeout: Duration::from_millis(100), ..fast() },
    );
    let make = {
        let (store, clients) = (w.store.clone(), clients.clone());
        move |n: usize| {
            Worker::new(store.clone(), format!("reliable-{n}"))
                .with_jira(clients.clone(), PUBLIC_URL)
                .with_retry_base(Duration::from_millis(1))
                // Above the client timeout, so a retry after a timeout waits out the late write.
                .with_jira_max_delay(Duration::from_millis(110))
                // What a killed worker held is taken over soon.
                .with_lease(Duration::from_millis(250))
        }
    };
    let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        let mut killer = StdRng::seed_from_u64(7);
        let mut kills = 0;
        loop {
            let current = tokio::spawn(
                make(kills).run(Duration::from_millis(20), std::future::pending::<()>()),
            );
            let life = Duration::from_millis(killer.gen_range(20..300));
            tokio::select! {
                _ = &mut stop_rx => {
                    current.abort();
                    return kills;
                }
                _ = tokio::time::sleep(life), if kill => {
                    // Dies wherever it is: mid-request, between send and record,
                    // inside a transaction; a new one starts.
                    current.abort();
                    let _ = current.await;
                    kills += 1;
                }
            }
        }
    });

    // Bursts of changes while the worker runs; after each burst has drained,
    // Jira must hold exactly what tether has, so every burst's last state of
    // each flag must have got through.
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(20_241_122);
    let (mut done, mut bursts) = (0, 0);
    while done < CHANGES {
        let burst = rng.gen_range(1..=40).min(CHANGES - done);
        for _ in 0..burst {
            change(&w, &mut rng).await;
        }
        done += burst;
        bursts += 1;
        wait_drained(&w.store).await;
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
    let _ = stop_tx.send(());
    let kills = running.await.unwrap();
    let shown =
        if w.cloud { w.sandbox.feature_flags().len() } else { w.sandbox.remote_links(None).len() };
    assert!(shown > 0, "the run ends with something in Jira");
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

async fn wait_drained(store: &Store) {
    let deadline = Instant::now() + Duration::from_secs(180);
    while store.outbox_stats().await.unwrap().pending > 0 {
        assert!(Instant::now() < deadline, "the outbox did not drain");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_under_faults_ends_holding_exactly_tethers_state() {
    for w in worlds(true).await {
        run(w, false).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_with_the_worker_killed_at_random_moments_ends_in_step() {
    for w in worlds(true).await {
        run(w, true).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_center_under_faults_ends_holding_exactly_tethers_state() {
    for w in worlds(false).await {
        run(w, false).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_center_with_the_worker_killed_at_random_moments_ends_in_step() {
    for w in worlds(false).await {
        run(w, true).await;
    }
}
