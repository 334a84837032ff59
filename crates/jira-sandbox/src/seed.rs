//! Deterministic seeding: projects, users and issues with histories, comments and labels;
//! agile boards and two-week sprints; an issue security level.
//!
//! The same `(n, seed)` on the same starting config gives the same issues, keys and
//! timestamps, so benchmarks and tests can name what they expect. Times are laid out from a
//! fixed epoch (2024-01-01T00:00Z), never from the clock.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::config::{ProjectSpec, ProjectType, SecurityLevelSpec, StatusCategory, UserSpec};
use crate::state::{
    Board, BoardKind, ChangeItem, Estimate, IssueEdit, NewIssue, Sprint, SprintState, State,
    WorklogInput,
};
use crate::text::Body;

/// What a seeding run added, and how long it took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeedReport {
    pub issues: usize,
    pub comments: usize,
    /// Changelog entries, and the items in them (a transition, say, is one entry with a
    /// status item and perhaps a resolution item).
    pub histories: usize,
    pub history_items: usize,
    pub worklogs: usize,
    pub projects_added: usize,
    pub users_added: usize,
    pub boards_added: usize,
    pub sprints: usize,
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

/// Where seeded issues fall in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The first issue's creation (before jitter).
    pub base_ms: i64,
    /// Creations spread over this long.
    pub span_ms: i64,
    /// Each workflow step takes 10 minutes to 10 hours times this.
    pub stretch: i64,
}

impl Layout {
    /// A year from the fixed epoch, steps of minutes to hours: what benchmarks and tests name.
    pub fn fixed(existing: usize) -> Layout {
        Layout {
            base_ms: SEED_EPOCH_MS + existing as i64 * 60_000,
            span_ms: 365 * 86_400_000,
            stretch: 1,
        }
    }

    /// Issues created over the twelve weeks that end two weeks before `end_ms`, each step of
    /// their workflow taking hours to days, so their history reads as weeks of work that is
    /// over by `end_ms` (the demo's tickets, for its delivery insight).
    pub fn recent(end_ms: i64) -> Layout {
        let week = 7 * 86_400_000;
        Layout { base_ms: end_ms - 14 * week, span_ms: 12 * week, stretch: 8 }
    }
}

pub(crate) fn seed_issues(state: &mut State, n: usize, seed: u64) -> SeedReport {
    let layout = Layout::fixed(state.issues.len());
    seed_issues_laid_out(state, n, seed, layout)
}

pub(crate) fn seed_issues_laid_out(
    state: &mut State,
    n: usize,
    seed: u64,
    layout: Layout,
) -> SeedReport {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    // Field edits, extra comments and worklog changelogs draw from their own generator, so the
    // issues, keys, statuses and first comments are those the main generator always gave.
    let mut extra = StdRng::seed_from_u64(seed ^ 0x6564_6974_735f_7632);
    let mut report = SeedReport {
        issues: 0,
        comments: 0,
        histories: 0,
        history_items: 0,
        worklogs: 0,
        projects_added: 0,
        users_added: 0,
        boards_added: 0,
        sprints: 0,
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
    report.boards_added = ensure_boards(state);
    if state.security_level_by_name(SECURITY_LEVEL).is_none() {
        let members: Vec<String> = ["admin", "alice", "bob", "carol"]
            .iter()
            .filter(|m| state.user_by_name(m).is_some())
            .map(|m| (*m).to_owned())
            .collect();
        let spec = SecurityLevelSpec {
            name: SECURITY_LEVEL.to_owned(),
            description: "Only the security team sees these.".to_owned(),
            members,
        };
        state.add_security_level(&spec).expect("members checked");
    }
    let security = state.security_level_by_name(SECURITY_LEVEL);
    let people: Vec<usize> = (0..state.users.len()).collect();
    let projects = state.projects.len();
    // Spread issues over the layout's span (a year by default), at least a minute apart.
    let step = (layout.span_ms / n.max(1) as i64).max(60_000);
    let base = layout.base_ms;
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
                priority: None,
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
            let before = at;
            at += rng.gen_range(10..600) * 60_000 * layout.stretch.max(1);
            let by = people[rng.gen_range(0..people.len())];
            state.apply_status(idx, to, resolution, Some(by), at);
            // Whoever moved it logged the time since the last move (at most a day's work),
            // which Jira's changelog records too (timespent, WorklogId).
            let minutes = ((at - before) / 60_000).clamp(15, 8 * 60) as u64;
            let input = WorklogInput { time_spent: minutes * 60, started: before, comment: None };
            state.add_worklog(idx, input, Estimate::Auto, by, at);
            report.worklogs += 1;
        }
        // Then people edit it: reassign, reprioritise, label, rank.
        for _ in 0..extra.gen_range(2..=5) {
            at += extra.gen_range(5..180) * 60_000;
            let by = people[extra.gen_range(0..people.len())];
            edit(state, idx, &mut extra, &people, by, at);
        }
        for _ in 0..rng.gen_range(0..=3) {
            at += rng.gen_range(5..240) * 60_000;
            let author = people[rng.gen_range(0..people.len())];
            let body = Body::Wiki(pick(&mut rng, COMMENTS).to_owned());
            state.add_comment(idx, author, body, at);
            report.comments += 1;
        }
        for _ in 0..extra.gen_range(1..=2) {
            at += extra.gen_range(5..240) * 60_000;
            let author = people[extra.gen_range(0..people.len())];
            let body = Body::Wiki(COMMENTS[extra.gen_range(0..COMMENTS.len())].to_owned());
            state.add_comment(idx, author, body, at);
            report.comments += 1;
        }
        // Agile: the sprint of the creation date on the project's scrum board, carried over
        // into the next one when unfinished. Epics stay out of sprints. No RNG draws here, so
        // the rest of the world is what it was before sprints existed.
        if state.issue_types[issue_type].hierarchy_level == 0
            && let Some(board) = scrum_board(state, project)
        {
            let number = ((created - SEED_EPOCH_MS).max(0) / SPRINT_MS) as u64 + 1;
            let home = sprint(state, board, number);
            state.issues[idx].sprints.push(home);
            if state.statuses[state.issues[idx].status].category != StatusCategory::Done {
                let next = sprint(state, board, number + 1);
                state.issues[idx].sprints.push(next);
            }
        }
        if state.issues[idx].labels.iter().any(|l| l == "security") {
            state.issues[idx].security = security;
        }
        report.issues += 1;
    }
    for issue in &state.issues[state.issues.len() - report.issues..] {
        report.histories += issue.histories.len();
        report.history_items += issue.histories.iter().map(|h| h.items.len()).sum::<usize>();
    }
    report.sprints = settle_sprints(state);
    report.elapsed = started.elapsed();
    report
}

/// One edit of a seeded issue, as people make them: a new assignee, a new priority, an added
/// label, or a rank change (Jira Cloud's `Rank` custom field item).
fn edit(state: &mut State, idx: usize, rng: &mut StdRng, people: &[usize], by: usize, at: i64) {
    let mut e = IssueEdit::default();
    match rng.gen_range(0..4) {
        0 => e.assignee = Some(Some(people[rng.gen_range(0..people.len())])),
        1 => e.priority = Some(rng.gen_range(0..state.priorities.len().max(1))),
        2 => {
            let mut labels = state.issues[idx].labels.clone();
            let l = LABELS[rng.gen_range(0..LABELS.len())];
            if !labels.iter().any(|x| x == l) {
                labels.push(l.to_owned());
            }
            e.labels = Some(labels);
        }
        _ => {
            let higher = rng.gen_bool(0.5);
            let rank = ChangeItem {
                field: "Rank".into(),
                field_type: Some("custom".into()),
                field_id: Some("customfield_10019".into()),
                from: None,
                from_string: Some(String::new()),
                to: None,
                to_string: Some(if higher { "Ranked higher" } else { "Ranked lower" }.into()),
            };
            state.push_history(idx, Some(by), at, vec![rank]);
            return;
        }
    }
    if state.priorities.is_empty() {
        e.priority = None;
    }
    state.edit_issue(idx, e, by, at);
}

/// Seeded issues labelled `security` are at this level: `admin`, `alice`, `bob`, `carol` see
/// them, the other seeded users do not.
pub const SECURITY_LEVEL: &str = "Security team";

const SPRINT_MS: i64 = 14 * 86_400_000;

/// A scrum board for every software project without one, and a Kanban board for WEB.
fn ensure_boards(state: &mut State) -> usize {
    let mut added = 0;
    for p in 0..state.projects.len() {
        if state.projects[p].project_type != ProjectType::Software
            || state.boards.iter().any(|b| b.project == p)
        {
            continue;
        }
        let key = state.projects[p].key.clone();
        let mut kinds = vec![(BoardKind::Scrum, format!("{key} board"))];
        if key == "WEB" {
            kinds.push((BoardKind::Kanban, format!("{key} kanban")));
        }
        for (kind, name) in kinds {
            let id = state.boards.len() as u64 + 1;
            state.boards.push(Board { id, name, kind, project: p });
            added += 1;
        }
    }
    added
}

fn scrum_board(state: &State, project: usize) -> Option<usize> {
    state.boards.iter().position(|b| b.project == project && b.kind == BoardKind::Scrum)
}

/// The board's sprint number `number`, created on first use.
fn sprint(state: &mut State, board: usize, number: u64) -> usize {
    if let Some(s) = state.sprints.iter().position(|s| s.board == board && s.number == number) {
        return s;
    }
    let key = state.projects[state.boards[board].project].key.clone();
    let start = SEED_EPOCH_MS + (number as i64 - 1) * SPRINT_MS + 9 * 3_600_000;
    state.sprints.push(Sprint {
        id: state.sprints.len() as u64 + 1,
        board,
        number,
        name: format!("{key} Sprint {number}"),
        state: SprintState::Future,
        start: Some(start),
        end: Some(start + SPRINT_MS),
        complete: None,
        goal: if number.is_multiple_of(3) { "Ship the flag rollout".into() } else { String::new() },
    });
    state.sprints.len() - 1
}

/// Per scrum board: the newest sprint that issues were created in is active, the one after it
/// (holding the carried-over work) future without dates, every earlier one closed.
fn settle_sprints(state: &mut State) -> usize {
    for board in 0..state.boards.len() {
        if state.boards[board].kind != BoardKind::Scrum {
            continue;
        }
        let home = state
            .issues
            .iter()
            .filter_map(|i| i.sprints.first())
            .filter(|&&s| state.sprints[s].board == board)
            .map(|&s| state.sprints[s].number)
            .max();
        let Some(active) = home else { continue };
        sprint(state, board, active + 1);
        for s in state.sprints.iter_mut().filter(|s| s.board == board) {
            let start = SEED_EPOCH_MS + (s.number as i64 - 1) * SPRINT_MS + 9 * 3_600_000;
            let (state_, dates) = match s.number.cmp(&active) {
                std::cmp::Ordering::Less => (
                    SprintState::Closed,
                    (Some(start), Some(start + SPRINT_MS), Some(start + SPRINT_MS)),
                ),
                std::cmp::Ordering::Equal => {
                    (SprintState::Active, (Some(start), Some(start + SPRINT_MS), None))
                }
                std::cmp::Ordering::Greater => (SprintState::Future, (None, None, None)),
            };
            s.state = state_;
            (s.start, s.end, s.complete) = dates;
        }
    }
    // An issue is in at most one open sprint: work carries over only out of a closed one.
    let open: Vec<bool> = state.sprints.iter().map(|s| s.state != SprintState::Closed).collect();
    for issue in &mut state.issues {
        if let [home, _] = issue.sprints[..]
            && open[home]
        {
            issue.sprints.truncate(1);
        }
    }
    state.bump();
    state.sprints.len()
}
