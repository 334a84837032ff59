//! `tether ingest run` killed with SIGKILL at random moments and started again ends with the
//! database an uninterrupted run leaves (row checksums of every ticket table): a restarted run
//! takes over what the killed one held at once (on SQLite no other process can hold it) and
//! resumes from the checkpoint. `cargo xtask bench ingest --kill` does the same at 100,000
//! issues and under faults.

use std::process::Stdio;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tether_store::Store;

use crate::Sandboxed;
use crate::ingest_cli::{prepare, sandbox};

/// A database prepared as `ingest_cli`'s, with every processable project imported.
async fn prepared(base: &str) -> (Sandboxed, Store, i64) {
    let t = Sandboxed::new();
    let (store, site) = prepare(&t, base).await;
    store.set_ticket_switches(site, None, Some(true), "t").await.unwrap();
    (t, store, site)
}

async fn settled(store: &Store, site: i64) -> bool {
    let projects = store.ticket_projects(site).await.unwrap();
    projects
        .iter()
        .filter(|p| p.imported)
        .all(|p| !p.in_pass() && p.last_pass_finished_at.is_some())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_run_killed_at_random_and_restarted_ends_identical() {
    let (_sandbox, base, _stop) = sandbox(300).await;
    let (straight, reference_store, reference_site) = prepared(&base).await;
    let started = Instant::now();
    let (code, out, err) = straight.run(&["ingest", "run"], &[]).await;
    let took = started.elapsed();
    assert_eq!(code, 0, "{out}{err}");
    let reference = reference_store.ticket_checksums(reference_site).await.unwrap();
    assert!(reference.iter().any(|(t, rows, _)| t == "tickets" && *rows > 200), "{reference:?}");

    let (t, store, site) = prepared(&base).await;
    let mut rng = StdRng::seed_from_u64(5);
    let (mut kills, mut runs) = (0, 0);
    while !settled(&store, site).await {
        runs += 1;
        assert!(runs < 200, "not settled after {runs} runs ({kills} kills)");
        let mut child = t
            .command(&["ingest", "run"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Anywhere in what an uninterrupted run takes, but the first runs die early.
        let life = took.mul_f64(rng.gen_range(0.05..1.0)).min(Duration::from_millis(50 * runs));
        match tokio::time::timeout(life, child.wait()).await {
            Ok(status) => assert!(status.unwrap().success()),
            Err(_) => {
                child.start_kill().unwrap();
                child.wait().await.unwrap();
                kills += 1;
            }
        }
    }
    assert!(kills >= 3, "only {kills} kills in {runs} runs");
    assert_eq!(
        store.ticket_checksums(site).await.unwrap(),
        reference,
        "after {kills} SIGKILLs in {runs} runs"
    );
    eprintln!("ingest run: {kills} SIGKILLs in {runs} runs, ends identical");
    store.close().await;
    reference_store.close().await;
}
