//! `cargo xtask bench search`: JQL search and delivery insight over ingested tickets.
//!
//! Seeds N tickets (default 100,000) with their histories, comments, labels, people and
//! sprints into a fresh SQLite database (and PostgreSQL with `--pg URL`) through
//! `tether-store`, the way ingestion writes them (pages of 500 under a project's claim);
//! then, per backend, times each query kind (typical filters, text search, `WAS`, `CHANGED`)
//! and the delivery insight's facts for one project, in-process, into HDR histograms; and on
//! SQLite also `GET /api/insights` (facts, metrics and JSON) through a release `tether serve`.
//! Query parsing speed is `cargo bench -p tether-jql`'s. Prints a Markdown table.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow};
use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tether_jql::dates::{Clock, WeekStart};
use tether_store::{
    JiraAuthKind, MasterKey, NewChange, NewComment, NewJiraSite, NewSprint, NewTicket, NewToken,
    PassEnd, SearchScope, Store, TicketCredentials, TicketIssueType, TicketPage, TicketStatus,
    TicketUser,
};

use super::server::Server;

#[derive(Debug, Clone, clap::Args)]
pub struct SearchArgs {
    /// Tickets to seed.
    #[arg(long, default_value_t = 100_000)]
    tickets: usize,
    /// Timed runs of each query kind.
    #[arg(long, default_value_t = 200)]
    rounds: usize,
    /// Also on this PostgreSQL server (a scratch database is created on it).
    #[arg(long, value_name = "URL")]
    pg: Option<String>,
}

const PROJECTS: [&str; 10] =
    ["ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO", "FOXTROT", "GOLF", "HOTEL", "INDIA", "JULIET"];
const USERS: usize = 50;
const WORDS: [&str; 24] = [
    "checkout", "search", "banner", "login", "payment", "invoice", "export", "report", "cache",
    "latency", "mobile", "tablet", "refund", "coupon", "profile", "avatar", "upload", "import",
    "webhook", "timeout", "locale", "currency", "shipping", "basket",
];
/// (status id, name, category, next step in the workflow).
const STATUSES: [(&str, &str, &str); 4] = [
    ("1", "To Do", "new"),
    ("3", "In Progress", "indeterminate"),
    ("4", "In Review", "indeterminate"),
    ("5", "Done", "done"),
];
const DAY: i64 = 86_400_000;
const PAGE: usize = 500;

/// One timed kind of work.
struct Timing {
    backend: &'static str,
    what: String,
    histogram: Histogram<u64>,
    rows: u64,
}

pub async fn run(args: SearchArgs, tether: PathBuf, dir: &Path) -> Result<bool> {
    let key = MasterKey::generate();
    let key_base64 = key.to_base64();
    let sqlite = format!("sqlite://{}", dir.join("tether.db").display());
    let mut timings = Vec::new();
    let (store, seeded) = seed(&sqlite, key.clone(), args.tickets).await?;
    timings.extend(measure(&store, "SQLite", args.rounds).await?);
    let served = serve_insights(store, &tether, &sqlite, &key_base64, dir, "SQLite", &args).await?;
    timings.push(served.0);
    let mut ok = served.1;
    if let Some(pg) = &args.pg {
        let db = super::scratch_database(pg).await?;
        let url = db.url();
        let (store, _) = seed(url, key, args.tickets).await?;
        timings.extend(measure(&store, "PostgreSQL", args.rounds).await?);
        let served =
            serve_insights(store, &tether, url, &key_base64, dir, "PostgreSQL", &args).await?;
        timings.push(served.0);
        ok &= served.1;
    }
    println!("{}", markdown(&args, seeded, &timings));
    Ok(ok)
}

/// `GET /api/insights` through a release `tether serve` on the seeded database (closed here
/// first), as an admin token; and whether the server stopped cleanly.
async fn serve_insights(
    store: Store,
    tether: &Path,
    url: &str,
    key_base64: &str,
    dir: &Path,
    backend: &'static str,
    args: &SearchArgs,
) -> Result<(Timing, bool)> {
    store.put_member("bench", &["admin".to_owned()], "bench").await?;
    let token = store
        .create_token(
            &NewToken {
                name: "bench".into(),
                kind: "service".into(),
                member: "bench".into(),
                created_by: None,
                roles: vec!["admin".into()],
            },
            "bench",
        )
        .await?
        .1;
    store.close().await;
    let mut server = Server::start(tether, url, key_base64, dir)?;
    eprintln!("bench: tether (pid {}) is listening on {} ({backend})", server.pid, server.addr);
    let mut timing = http_insights(server.addr, &token, args.rounds.min(50)).await?;
    timing.backend = backend;
    let status = server.stop()?;
    Ok((timing, status.success()))
}

/// What was seeded: tickets, history items, comments, and how long it took.
#[derive(Debug, Clone, Copy)]
struct Seeded {
    tickets: usize,
    changes: usize,
    comments: usize,
    elapsed: Duration,
}

fn words(rng: &mut StdRng, n: usize) -> String {
    (0..n).map(|_| WORDS[rng.gen_range(0..WORDS.len())]).collect::<Vec<_>>().join(" ")
}

/// Seeds a deterministic set of tickets spread over the year before now.
async fn seed(url: &str, key: MasterKey, n: usize) -> Result<(Store, Seeded)> {
    let started = Instant::now();
    let store = Store::connect(url, key).await.with_context(|| format!("cannot open {url}"))?;
    store.migrate().await?;
    let site = NewJiraSite {
        name: "bench".into(),
        url: "https://bench.atlassian.net".into(),
        api_url: None,
        deployment: None,
        auth_kind: JiraAuthKind::ApiToken,
        auth_user: "bench@bench.test".into(),
        secret: "t".to_owned().into(),
        options: Default::default(),
    };
    let site = store.create_jira_site(&site, "bench").await?.id;
    store
        .put_ticket_connection(
            site,
            &TicketCredentials::Pat { token: "p".to_owned().into() },
            "bench",
        )
        .await?;
    store.record_ticket_check(site, true, &serde_json::json!({}), None, None).await?;
    let projects: Vec<tether_store::DiscoveredProject> = PROJECTS
        .iter()
        .enumerate()
        .map(|(i, key)| tether_store::DiscoveredProject {
            id: (100 + i).to_string(),
            key: (*key).into(),
            name: format!("Project {key}"),
            type_key: Some("software".into()),
            category: None,
            team_managed: false,
            can_browse: true,
            can_create: true,
        })
        .collect();
    store.record_ticket_projects(site, &projects).await?;
    store.set_ticket_switches(site, None, Some(true), "bench").await?;
    anyhow::ensure!(store.claim_ticket_site("bench", 600_000, 0, 0).await? == Some(site));
    store.release_ticket_site(site, "bench", true, None).await?;

    let now = tether_store::now_ms();
    let year_ago = now - 365 * DAY;
    let mut rng = StdRng::seed_from_u64(15);
    let users: Vec<TicketUser> = (0..USERS)
        .map(|u| TicketUser {
            id: format!("acc-{u}"),
            name: None,
            display_name: Some(format!("User {u}")),
            email: Some(format!("u{u}@bench.test")),
            ..Default::default()
        })
        .collect();
    let mut seeded = Seeded { tickets: 0, changes: 0, comments: 0, elapsed: Duration::ZERO };
    let per_project = n.div_ceil(PROJECTS.len());
    for _ in 0..PROJECTS.len() {
        let claimed = store
            .claim_ticket_project("bench", 600_000)
            .await?
            .ok_or_else(|| anyhow!("no project to claim"))?;
        let p: usize = claimed.id.parse::<usize>()? - 100;
        store.start_ticket_pass(site, &claimed.id, "bench", now, None, None).await?;
        let sprints: Vec<NewSprint> = (0..26)
            .map(|s| NewSprint {
                id: (p * 100 + s) as i64,
                name: format!("{} Sprint {}", PROJECTS[p], s + 1),
                state: Some(if s < 25 { "closed" } else { "active" }.into()),
                start_at: Some(year_ago + s as i64 * 14 * DAY),
                end_at: Some(year_ago + (s as i64 + 1) * 14 * DAY),
                complete_at: (s < 25).then(|| year_ago + (s as i64 + 1) * 14 * DAY),
                ..Default::default()
            })
            .collect();
        let count = per_project.min(n.saturating_sub(p * per_project));
        for chunk in (0..count).collect::<Vec<_>>().chunks(PAGE) {
            let mut tickets = Vec::with_capacity(chunk.len());
            for &i in chunk {
                let number = i + 1;
                let created = year_ago + (i as i64 * 365 * DAY) / per_project as i64;
                let steps = rng.gen_range(0..=3usize);
                let mut at = created;
                let mut changes = Vec::new();
                for s in 0..steps {
                    at += rng.gen_range(1..=5) * DAY + rng.gen_range(0..DAY);
                    if at >= now {
                        break;
                    }
                    let (from, to) = (STATUSES[s], STATUSES[s + 1]);
                    changes.push(NewChange {
                        history_id: format!("{p}-{number}-{s}"),
                        item: 0,
                        author_id: Some(format!("acc-{}", rng.gen_range(0..USERS))),
                        at: Some(at),
                        field: "status".into(),
                        from_value: Some(from.0.into()),
                        from_string: Some(from.1.into()),
                        to_value: Some(to.0.into()),
                        to_string: Some(to.1.into()),
                        ..Default::default()
                    });
                }
                let status = STATUSES[changes.len()];
                let comments = (0..rng.gen_range(0..=2))
                    .map(|c| {
                        let body = words(&mut rng, 8);
                        NewComment {
                            id: format!("{p}-{number}-c{c}"),
                            author_id: Some(format!("acc-{}", rng.gen_range(0..USERS))),
                            body,
                            created_at: Some(created + DAY),
                            ..Default::default()
                        }
                    })
                    .collect::<Vec<_>>();
                seeded.changes += changes.len();
                seeded.comments += comments.len();
                let labels = (0..rng.gen_range(0..=2))
                    .map(|_| WORDS[rng.gen_range(0..WORDS.len())].to_owned())
                    .collect();
                let summary_words = rng.gen_range(3..=6);
                let described = rng.gen_bool(0.6);
                let description_words = rng.gen_range(10..=30);
                tickets.push(NewTicket {
                    id: format!("{}", p * 1_000_000 + number),
                    key: format!("{}-{number}", PROJECTS[p]),
                    project_id: claimed.id.clone(),
                    summary: words(&mut rng, summary_words),
                    description: described.then(|| words(&mut rng, description_words)),
                    issue_type_id: Some(["10", "11", "12", "13"][rng.gen_range(0..4)].into()),
                    status_id: Some(status.0.into()),
                    priority_id: Some(["1", "2", "3"][rng.gen_range(0..3)].into()),
                    resolution_id: (status.2 == "done").then(|| "10000".into()),
                    resolved_at: (status.2 == "done").then_some(at),
                    created_at: Some(created),
                    updated_at: Some(at),
                    assignee_id: rng
                        .gen_bool(0.8)
                        .then(|| format!("acc-{}", rng.gen_range(0..USERS))),
                    reporter_id: Some(format!("acc-{}", rng.gen_range(0..USERS))),
                    labels,
                    fields: "{}".into(),
                    custom: "{}".into(),
                    changes,
                    comments: Some(comments),
                    sprint_ids: vec![
                        (p * 100) as i64 + ((created - year_ago) / (14 * DAY)).min(25),
                    ],
                    ..Default::default()
                });
            }
            seeded.tickets += tickets.len();
            let page = TicketPage {
                site_id: site,
                project_id: claimed.id.clone(),
                tickets,
                users: users.clone(),
                sprints: sprints.clone(),
                statuses: STATUSES
                    .iter()
                    .map(|(id, name, cat)| TicketStatus {
                        id: (*id).into(),
                        name: (*name).into(),
                        category_key: Some((*cat).into()),
                        category_name: None,
                    })
                    .collect(),
                issue_types: [
                    ("10", "Bug", false),
                    ("11", "Story", false),
                    ("12", "Task", false),
                    ("13", "Sub-task", true),
                ]
                .iter()
                .map(|(id, name, subtask)| TicketIssueType {
                    id: (*id).into(),
                    name: (*name).into(),
                    subtask: *subtask,
                    hierarchy_level: None,
                })
                .collect(),
                priorities: vec![
                    ("1".into(), "High".into()),
                    ("2".into(), "Medium".into()),
                    ("3".into(), "Low".into()),
                ],
                resolutions: vec![("10000".into(), "Done".into())],
                checkpoint: None,
            };
            anyhow::ensure!(
                store.write_ticket_page(&page, "bench", 600_000).await?,
                "lost the claim"
            );
        }
        let end = PassEnd { cursor_ms: now, next_due_at: now + 365 * DAY, reconciled: true };
        store.finish_ticket_pass(site, &claimed.id, "bench", end).await?;
        eprintln!("bench: seeded {} tickets so far", seeded.tickets);
    }
    // What a running PostgreSQL knows (its autovacuum analyses tables on its own). SQLite is
    // left as tether leaves it: nothing runs ANALYZE there.
    if url.starts_with("postgres") {
        store.refresh_statistics().await?;
    }
    seeded.elapsed = started.elapsed();
    Ok((store, seeded))
}

fn scope(store_site: i64) -> SearchScope {
    SearchScope {
        site_ids: vec![store_site],
        clock: Clock {
            now_ms: tether_store::now_ms(),
            utc_offset_seconds: 0,
            week_start: WeekStart::Monday,
        },
        current_user: vec![],
    }
}

/// Times every query kind on one backend.
async fn measure(store: &Store, backend: &'static str, rounds: usize) -> Result<Vec<Timing>> {
    let site = store.jira_site_by_name("bench").await?.id;
    let scope = scope(site);
    let mut rng = StdRng::seed_from_u64(7);
    type Make = fn(&mut StdRng) -> String;
    let kinds: [(&str, Make); 6] = [
        ("typical: project + status category + assignee, by created, 50 rows", |r| {
            format!(
                "project = {} AND statusCategory = \"In Progress\" AND assignee = \"u{}@bench.test\" ORDER BY created DESC",
                PROJECTS[r.gen_range(0..PROJECTS.len())],
                r.gen_range(0..USERS)
            )
        }),
        ("typical: project + open, by created, 50 rows", |r| {
            format!(
                "project = {} AND statusCategory != Done ORDER BY created DESC",
                PROJECTS[r.gen_range(0..PROJECTS.len())]
            )
        }),
        ("text: `text ~ word`, 50 rows", |r| {
            format!("text ~ \"{}\"", WORDS[r.gen_range(0..WORDS.len())])
        }),
        ("text: `summary ~ \"two words\"` in a project", |r| {
            format!(
                "project = {} AND summary ~ \"{} {}\"",
                PROJECTS[r.gen_range(0..PROJECTS.len())],
                WORDS[r.gen_range(0..WORDS.len())],
                WORDS[r.gen_range(0..WORDS.len())]
            )
        }),
        ("history: `status WAS \"In Review\" BY user`", |r| {
            format!("status WAS \"In Review\" BY \"u{}@bench.test\"", r.gen_range(0..USERS))
        }),
        ("history: `status CHANGED FROM .. TO .. AFTER -12w` in a project", |r| {
            format!(
                "project = {} AND status CHANGED FROM \"In Progress\" TO \"In Review\" AFTER -12w",
                PROJECTS[r.gen_range(0..PROJECTS.len())]
            )
        }),
    ];
    let mut out = Vec::new();
    for (what, make) in kinds {
        let mut histogram = Histogram::<u64>::new(3)?;
        let mut rows = 0;
        // One unmeasured run warms the caches, as a running server's would be.
        store.search_tickets(&make(&mut rng), &scope, 50, 0).await.map_err(|e| anyhow!("{e}"))?;
        for _ in 0..rounds {
            let jql = make(&mut rng);
            let started = Instant::now();
            let page = store
                .search_tickets(&jql, &scope, 50, 0)
                .await
                .map_err(|e| anyhow!("{jql}: {e}"))?;
            histogram.record(started.elapsed().as_micros() as u64)?;
            rows += page.tickets.len() as u64;
        }
        eprintln!(
            "bench: {backend}: {what}: p99 {:.1} ms",
            histogram.value_at_quantile(0.99) as f64 / 1000.0
        );
        out.push(Timing { backend, what: what.to_owned(), histogram, rows });
    }
    let mut histogram = Histogram::<u64>::new(3)?;
    let mut rows = 0;
    for _ in 0..rounds.min(50) {
        let jql = format!("project = {}", PROJECTS[rng.gen_range(0..PROJECTS.len())]);
        let started = Instant::now();
        let facts = store.delivery_facts(&jql, &scope).await.map_err(|e| anyhow!("{e}"))?;
        histogram.record(started.elapsed().as_micros() as u64)?;
        rows += facts.tickets.len() as u64;
    }
    out.push(Timing {
        backend,
        what: "insight facts of one project (store)".into(),
        histogram,
        rows,
    });
    Ok(out)
}

/// `GET /api/insights?project=…` (12 weeks) through `tether serve`, one request at a time.
async fn http_insights(addr: std::net::SocketAddr, token: &str, rounds: usize) -> Result<Timing> {
    use http_body_util::{BodyExt, Empty};
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut histogram = Histogram::<u64>::new(3)?;
    let mut rows = 0;
    for n in 0..=rounds {
        let req =
            hyper::Request::get(format!("/api/insights?project={}", PROJECTS[n % PROJECTS.len()]))
                .header("host", addr.to_string())
                .header("authorization", format!("Bearer {token}"))
                .body(Empty::<bytes::Bytes>::new())?;
        sender.ready().await?;
        let started = Instant::now();
        let resp = sender.send_request(req).await?;
        let status = resp.status();
        let body = resp.into_body().collect().await?.to_bytes();
        let elapsed = started.elapsed();
        anyhow::ensure!(
            status == 200,
            "GET /api/insights answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
        if n > 0 {
            histogram.record(elapsed.as_micros() as u64)?;
            let v: serde_json::Value = serde_json::from_slice(&body)?;
            rows += v["tickets"].as_u64().unwrap_or(0);
        }
    }
    Ok(Timing {
        backend: "SQLite",
        what: "`GET /api/insights` of one project, 12 weeks (HTTP)".into(),
        histogram,
        rows,
    })
}

fn markdown(args: &SearchArgs, seeded: Seeded, timings: &[Timing]) -> String {
    let mut out = format!(
        "### JQL search and delivery insight over {} tickets\n\n{} tickets, {} history items, {} comments seeded in {:.1} s (SQLite); {} timed runs of each query (50 rows a page), one at a time.\n\n| backend | what | runs | rows/run | p50 ms | p99 ms | max ms |\n|---|---|---:|---:|---:|---:|---:|\n",
        args.tickets,
        seeded.tickets,
        seeded.changes,
        seeded.comments,
        seeded.elapsed.as_secs_f64(),
        args.rounds
    );
    for t in timings {
        let ms = |q: f64| t.histogram.value_at_quantile(q) as f64 / 1000.0;
        let runs = t.histogram.len();
        out.push_str(&format!(
            "| {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} |\n",
            t.backend,
            t.what,
            runs,
            t.rows as f64 / runs.max(1) as f64,
            ms(0.5),
            ms(0.99),
            t.histogram.max() as f64 / 1000.0
        ));
    }
    out
}
