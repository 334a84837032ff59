//! Deterministic seeding: projects, users and issues with histories, comments and labels.
//!
//! The same `(n, seed)` on the same starting config gives the same issues, keys and
//! timestamps, so benchmarks and tests can name what they expect. Times are laid out from a
//! fixed epoch (2024-01-01T00:00Z), never from the clock.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::config::{ProjectSpec, ProjectType, StatusCategory, UserSpec};
use crate::state::{NewIssue, State};
use crate::text::Body;

/// What a seeding run added, and how long it took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeedReport {
    pub issues: usize,
    pub comments: usize,
    pub histories: usize,
    pub projects_added: usize,
    pub users_added: usize,
    #[serde(serialize_with = "millis")]
    pub elapsed: Duration,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

/// 2024-01-01T00:00:00Z.
pub const SEED_EPOCH_MS: i64 = 1_704_067_200_000;

const PROJECTS: &[(&str, &str, ProjectType)] = &[
    ("DEMO", "Demo Platform", ProjectType::Software),
    ("WEB", "Web Storefront", ProjectType::Software),
    ("OPS", "Operations", ProjectType::Business),
    ("HELP", "Help Desk", ProjectType::ServiceDesk),
];

const PEOPLE: &[(&str, &str)] = &[
    ("alice", "Alice Andersen"),
    ("bob", "Bob Brown"),
    ("carol", "Carol Chen"),
    ("dave", "Dave Dubois"),
    ("erin", "Erin Evans"),
    ("frank", "Frank Fischer"),
    ("grace", "Grace Garcia"),
    ("heidi", "Heidi Hansen"),
    ("ivan", "Ivan Ivanov"),
    ("judy", "Judy Jones"),
    ("mallory", "Mallory Moore"),
    ("oscar", "Oscar Olsen"),
];

const VERBS: &[&str] = &[
    "Add", "Fix", "Remove", "Refactor", "Document", "Speed up", "Migrate", "Test", "Localise",
    "Secure", "Simplify", "Monitor",
];
const THINGS: &[&str] = &[
    "checkout flow",
    "login page",
    "search index",
    "payment retries",
    "feature flag evaluation",
    "audit log",
    "billing export",
    "mobile layout",
    "webhook delivery",
    "cache invalidation",
    "user settings",
    "rate limiter",
    "email templates",
    "release pipeline",
    "dark mode",
];
const QUALIFIERS: &[&str] = &[
    "for enterprise customers",
    "behind a flag",
    "on Safari",
    "in the EU region",
    "for admins",
    "after the upgrade",
    "under load",
    "for new users",
    "",
    "",
    "",
];
const LABELS: &[&str] = &[
    "backend",
    "frontend",
    "perf",
    "security",
    "tech-debt",
    "customer",
    "flagged",
    "ux",
    "infra",
    "regression",
    "quick-win",
    "docs",
];
const COMMENTS: &[&str] = &[
    "Looking into this now.",
    "Reproduced on staging.",
    "PR is up for review.",
    "Can we ship this behind a flag first?",
    "Deployed to production.",
    "Blocked on the API change.",
    "Added tests for the edge case.",
    "Verified the fix, closing soon.",
];

pub(crate) fn seed_issues(state: &mut State, n: usize, seed: u64) -> SeedReport {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut report = SeedReport {
        issues: 0,
        comments: 0,
        histories: 0,
        projects_added: 0,
        users_added: 0,
        elapsed: Duration::ZERO,
    };
    for (name, display) in PEOPLE {
        if state.user_by_name(name).is_none() {
            let mut u = UserSpec::named(name, display);
            // A spread of zones, so date literals in JQL differ per user.
            u.utc_offset_minutes = [0, 60, -300, 330][state.users.len() % 4];
            u.time_zone = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]
                [state.users.len() % 4]
                .into();
            state.add_user(u).expect("name checked");
            report.users_added += 1;
        }
    }
    for (key, name, ptype) in PROJECTS {
        if state.project_by_key(key).is_none() {
            state
                .add_project(&ProjectSpec::new(key, name, *ptype))
                .expect("valid built-in project");
            report.projects_added += 1;
        }
    }
    let people: Vec<usize> = (0..state.users.len()).collect();
    let projects = state.projects.len();
    // Spread issues over about a year, at least a minute apart.
    let step = (365 * 86_400_000 / n.max(1) as i64).max(60_000);
    let base = SEED_EPOCH_MS + state.issues.len() as i64 * 60_000;
    for i in 0..n {
        let project = rng.gen_range(0..projects);
        let types = &state.projects[project].issue_types;
        let issue_type = types[rng.gen_range(0..types.len().clamp(1, 4))];
        let pick = |rng: &mut StdRng, list: &[&'static str]| list[rng.gen_range(0..list.len())];
        let qualifier = pick(&mut rng, QUALIFIERS);
        let summary = if qualifier.is_empty() {
            format!("{} {}", pick(&mut rng, VERBS), pick(&mut rng, THINGS))
        } else {
            format!("{} {} {qualifier}", pick(&mut rng, VERBS), pick(&mut rng, THINGS))
        };
        let description = rng.gen_bool(0.6).then(|| {
            Body::Wiki(format!(
                "h3. Context\n{summary} was requested by support.\n* impact: medium"
            ))
        });
        let mut labels: Vec<String> = Vec::new();
        for _ in 0..rng.gen_range(0..=3) {
            let l = pick(&mut rng, LABELS);
            if !labels.iter().any(|x| x == l) {
                labels.push(l.to_owned());
            }
        }
        let reporter = people[rng.gen_range(0..people.len())];
        let assignee = rng.gen_bool(0.75).then(|| people[rng.gen_range(0..people.len())]);
        let created = base + i as i64 * step + rng.gen_range(0..step.max(1));
        let idx = state.create_issue(
            NewIssue {
                project,
                issue_type,
                summary,
                description,
                labels,
                reporter: Some(reporter),
                assignee,
            },
            reporter,
            created,
        );
        // A walk through the workflow, one transition every few hours.
        let mut at = created;
        let steps = rng.gen_range(0..=4);
        for _ in 0..steps {
            let options = state.available_transitions(idx);
            if options.is_empty() {
                break;
            }
            let t = options[rng.gen_range(0..options.len())];
            let spec = &state.projects[project].workflow.transitions[t];
            let to = state.status_in_project(project, &spec.to);
            let done = state.statuses[to].category == StatusCategory::Done;
            let resolution = done.then(|| if rng.gen_bool(0.85) { 0 } else { rng.gen_range(1..4) });
            at += rng.gen_range(10..600) * 60_000;
            let by = people[rng.gen_range(0..people.len())];
            state.apply_status(idx, to, resolution, Some(by), at);
            report.histories += 1;
        }
        for _ in 0..rng.gen_range(0..=3) {
            at += rng.gen_range(5..240) * 60_000;
            let author = people[rng.gen_range(0..people.len())];
            let body = Body::Wiki(pick(&mut rng, COMMENTS).to_owned());
            state.add_comment(idx, author, body, at);
            report.comments += 1;
        }
        report.issues += 1;
    }
    report.elapsed = started.elapsed();
    report
}
