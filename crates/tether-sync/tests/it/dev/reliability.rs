//! Reliability of code ↔ Jira: 200 dev events (`TEST_CODE_RELIABILITY_EVENTS=1000` for the
//! full run, 8–13 minutes per variant in a debug build) — pushes to the default branch and to
//! feature branches, pull requests opened and merged, the same deliveries replayed and the
//! same commits pushed again under new deliveries — processed with the sandbox failing 30%
//! of requests (429, 503, answers too slow or never sent) and the worker killed at random
//! moments (its tick dropped wherever it is, as SIGKILL would stop it) and replaced. At the
//! end: exactly one remote link per (issue, commit or request) mentioned, at most one
//! mention comment per (issue, commit or request), and no issue transitioned twice.
//!
//! It caught (this seed, both flavours): a 429 or 503 while looking for what an interrupted
//! comment wrote released the claim, and the next try posted a second comment.
//!
//! Time is the world's manual clock: when nothing is due, the test lets time pass once the
//! sandbox has settled every request it holds.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use tether_store::dev::{CodeSettings, Recorded, Transitions};
use tether_store::on_each_backend;
use tether_store::testing::TestBackend;
use tether_sync::Worker;
use tether_sync::dev_to_jira::DevContext;
use tether_sync::jira::JiraClients;

use super::support::{DevWorld, ZERO, commit, pull_request, push};
use crate::jira::reliability::{Cut, faulty};
use crate::jira::support::{PUBLIC_URL, fast};

/// How many deliveries a run makes: 200 by default, so the suite stays quick; the issue's
/// 1,000 with `TEST_CODE_RELIABILITY_EVENTS=1000`.
fn events() -> usize {
    std::env::var("TEST_CODE_RELIABILITY_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
}
const ISSUES: [&str; 5] = ["SAND-1", "SAND-2", "SAND-3", "SAND-4", "SAND-5"];
/// Above the client timeout, so a retry after a timeout waits out the late write.
const MAX_DELAY: Duration = Duration::from_millis(110);
/// How long a claim counts as in flight: above the client timeout.
const HOLD: Duration = Duration::from_millis(200);
/// What a killed worker held is taken over after this.
const LEASE: Duration = Duration::from_millis(250);

/// What the run mentioned: per issue, the URLs of the commits and requests naming it.
#[derive(Default)]
struct Mentioned(BTreeMap<&'static str, BTreeSet<String>>);

/// The deliveries made so far, for replays and re-pushes.
struct Sent {
    event: &'static str,
    delivery: String,
    body: Value,
}

struct Run {
    rng: StdRng,
    shas: usize,
    mentioned: Mentioned,
    sent: Vec<Sent>,
}

impl Run {
    fn sha(&mut self) -> String {
        self.shas += 1;
        format!("{:040x}", self.shas)
    }

    /// A message naming one or two issues, sometimes closing the first.
    fn message(&mut self, url: &str) -> String {
        let a = ISSUES[self.rng.gen_range(0..ISSUES.len())];
        let b = ISSUES[self.rng.gen_range(0..ISSUES.len())];
        self.mentioned.0.entry(a).or_default().insert(url.to_owned());
        self.mentioned.0.entry(b).or_default().insert(url.to_owned());
        if self.rng.gen_bool(0.1) {
            format!("Fixes {a}, see {b}")
        } else {
            format!("{a} and {b} work")
        }
    }

    /// The next event: new, replayed, or the same commits pushed again.
    fn next(&mut self, n: usize) -> Sent {
        let roll = self.rng.gen_range(0..100);
        if roll < 15 && !self.sent.is_empty() {
            let old = &self.sent[self.rng.gen_range(0..self.sent.len())];
            return Sent {
                event: old.event,
                delivery: old.delivery.clone(),
                body: old.body.clone(),
            };
        }
        if roll < 25 && !self.sent.is_empty() {
            let old = &self.sent[self.rng.gen_range(0..self.sent.len())];
            return Sent {
                event: old.event,
                delivery: format!("again-{n}"),
                body: old.body.clone(),
            };
        }
        let sent = if roll < 85 {
            let branch =
                if self.rng.gen_bool(0.5) { "main".to_owned() } else { format!("topic-{}", n % 7) };
            let commits: Vec<Value> = (0..self.rng.gen_range(1..=3))
                .map(|_| {
                    let sha = self.sha();
                    let message =
                        self.message(&format!("https://github.com/acme/shop/commit/{sha}"));
                    commit(&sha, &message)
                })
                .collect();
            Sent {
                event: "push",
                delivery: format!("d-{n}"),
                body: push(&branch, ZERO, &commits, false),
            }
        } else {
            let number = self.rng.gen_range(100..120);
            let title = self.message(&format!("https://github.com/acme/shop/pull/{number}"));
            let (action, merged) =
                if self.rng.gen_bool(0.5) { ("opened", false) } else { ("closed", true) };
            let body = pull_request(number, action, merged, &title, "", &format!("topic-{number}"));
            Sent { event: "pull_request", delivery: format!("d-{n}"), body }
        };
        self.sent.push(Sent {
            event: sent.event,
            delivery: sent.delivery.clone(),
            body: sent.body.clone(),
        });
        sent
    }
}

fn worker(d: &DevWorld, n: usize) -> Worker {
    // Short client timeouts, so the slow answers time out after Jira applied them.
    let options = tether_jira::Options { timeout: Duration::from_millis(100), ..fast() };
    let clients = JiraClients::new(d.w.store.clone(), options.clone());
    let mut ctx = DevContext::new(clients, options, PUBLIC_URL);
    ctx.hold = HOLD;
    Worker::new(d.w.store.clone(), format!("dev-reliable-{n}"))
        .with_code(ctx)
        .with_retry_base(Duration::from_millis(1))
        .with_jira_max_delay(MAX_DELAY)
        .with_lease(LEASE)
}

/// Ticks until the outbox is empty, killing the worker now and then and letting time pass
/// whenever nothing is due. Returns how many workers were killed.
async fn drain(d: &DevWorld, current: &mut Worker, killer: &mut StdRng, kills: &mut usize) {
    for _ in 0..100_000 {
        if killer.gen_bool(0.2) {
            let polls = killer.gen_range(1..40);
            if (Cut { tick: Box::pin(current.tick()), polls }).await.is_none() {
                *kills += 1;
                *current = worker(d, *kills);
            }
            continue;
        }
        if current.tick().await.unwrap().claimed > 0 {
            continue;
        }
        if d.w.store.outbox_stats().await.unwrap().pending == 0 {
            return;
        }
        d.w.pass(MAX_DELAY.max(HOLD)).await;
    }
    panic!("the outbox did not drain");
}

/// The mention comments on `issue` that link to `url` (each comment links only its own).
fn comments_linking(d: &DevWorld, issue: &str, url: &str) -> usize {
    let ends = [format!("{url}\""), format!("{url}]"), format!("{url}|")];
    d.w.sandbox
        .comments(Some(issue))
        .iter()
        .filter(|c| {
            let body = c.body.to_string();
            ends.iter().any(|e| body.contains(e.as_str()))
        })
        .count()
}

async fn run(cloud: bool, backend: TestBackend) {
    let settings = CodeSettings {
        transitions: Some(Transitions::Automatic),
        smart_commits: Some(false),
        development_panel: Some(false),
        ..CodeSettings::default()
    };
    let d = DevWorld::new(backend, cloud, settings).await;
    d.w.sandbox.set_knobs(faulty());
    let mut run = Run {
        rng: StdRng::seed_from_u64(20_261_205),
        shas: 0,
        mentioned: Mentioned::default(),
        sent: Vec::new(),
    };
    let (mut current, mut killer, mut kills) = (worker(&d, 0), StdRng::seed_from_u64(13), 0);
    let mut stored = 0;
    let mut n = 0;
    let events = events();
    while n < events {
        let burst = run.rng.gen_range(1..=40).min(events - n);
        for _ in 0..burst {
            let e = run.next(n);
            if matches!(d.deliver_as(&e.delivery, e.event, &e.body).await, Recorded::Stored(_)) {
                stored += 1;
            }
            n += 1;
        }
        drain(&d, &mut current, &mut killer, &mut kills).await;
    }
    d.w.traffic.quiet().await;
    assert!(kills > 0, "the worker was killed");

    let mut links = 0;
    for (issue, urls) in &run.mentioned.0 {
        let found = d.code_links(issue);
        let mut per_url: BTreeMap<String, usize> = BTreeMap::new();
        for (_, object) in &found {
            *per_url.entry(object["url"].as_str().unwrap().to_owned()).or_default() += 1;
        }
        for url in urls {
            assert_eq!(per_url.get(url), Some(&1), "{issue}: one remote link to {url}");
            let comments = comments_linking(&d, issue, url);
            if comments > 1 {
                let all: Vec<String> =
                    d.w.sandbox
                        .comments(Some(issue))
                        .into_iter()
                        .filter(|c| c.body.to_string().contains(url.as_str()))
                        .map(|c| format!("{} at {}: {}", c.id, c.created_ms, c.body))
                        .collect();
                let sha = url.rsplit('/').next().unwrap();
                let ledger =
                    d.w.store
                        .mentions_of_entity(d.repo_id, &format!("{}:commit:{sha}", d.repo_id))
                        .await
                        .unwrap();
                panic!(
                    "{issue}: {comments} comments for {url}:\n{}\nmentions: {ledger:?}",
                    all.join("\n")
                );
            }
        }
        assert_eq!(found.len(), urls.len(), "{issue}: no other code links");
        links += found.len();
        let moved = d.w.sandbox.transitions_done(Some(issue)).len();
        assert!(moved <= 1, "{issue} transitioned {moved} times");
    }
    let moved: usize = ISSUES.iter().map(|i| d.w.sandbox.transitions_done(Some(i)).len()).sum();
    assert!(moved > 0, "closing words reached the default branch");
    eprintln!(
        "code reliability {} {}: {events} deliveries ({stored} stored, the rest replays), worker \
         killed {kills} times; {links} remote links, {moved} transitions, each once",
        d.w.label,
        if cloud { "cloud" } else { "dc" },
    );
}

on_each_backend!(
    cloud_code_events_under_faults_and_kills_act_once,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn cloud_code_events_under_faults_and_kills_act_once(backend: TestBackend) {
    run(true, backend).await;
}

on_each_backend!(
    data_center_code_events_under_faults_and_kills_act_once,
    flavor = "multi_thread",
    worker_threads = 2
);
async fn data_center_code_events_under_faults_and_kills_act_once(backend: TestBackend) {
    run(false, backend).await;
}
