//! Delivery metrics from the store's facts, computed here (pure: the range, the zone offset and
//! now are handed in): cycle time (first move into an in-progress category → done), lead time
//! (created → done), throughput per week and per sprint, cumulative flow and work in progress
//! at each week's end, ageing open work; and what only tether knows: first commit → flag on in
//! production, the share of finished tickets shipped behind flags, and flags still linked to
//! done tickets. Percentiles use the nearest-rank method.

use std::collections::HashMap;

use tether_store::{DeliveryFacts, DeliveryTicket};

pub(crate) const DAY_MS: i64 = 86_400_000;
pub(crate) const WEEK_MS: i64 = 7 * DAY_MS;

/// The weeks looked at: `[from, to)`, both on a week's start (Monday 00:00 in the zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Range {
    pub(crate) from_ms: i64,
    pub(crate) to_ms: i64,
    /// The zone's offset from UTC, seconds.
    pub(crate) offset_s: i32,
}

impl Range {
    /// The `weeks` whole weeks ending with the one holding `end_ms`.
    pub(crate) fn weeks_ending(end_ms: i64, weeks: i64, offset_s: i32) -> Range {
        let to_ms = week_start(end_ms, offset_s) + WEEK_MS;
        Range { from_ms: to_ms - weeks.max(1) * WEEK_MS, to_ms, offset_s }
    }

    pub(crate) fn contains(&self, at: i64) -> bool {
        (self.from_ms..self.to_ms).contains(&at)
    }

    /// Each week's start.
    pub(crate) fn weeks(&self) -> Vec<i64> {
        (0..).map(|n| self.from_ms + n * WEEK_MS).take_while(|w| *w < self.to_ms).collect()
    }
}

/// Monday 00:00 (in the zone) of the week holding `at`.
pub(crate) fn week_start(at: i64, offset_s: i32) -> i64 {
    let offset = i64::from(offset_s) * 1000;
    let local = at + offset;
    // 1970-01-01 was a Thursday: Monday is three days before.
    let monday0 = -3 * DAY_MS;
    monday0 + (local - monday0).div_euclid(WEEK_MS) * WEEK_MS - offset
}

/// Durations of tickets, with their percentiles.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Durations {
    /// (ticket, when it ended, how long in ms), by end.
    pub(crate) items: Vec<(String, i64, i64)>,
    pub(crate) p50: Option<i64>,
    pub(crate) p85: Option<i64>,
    pub(crate) p95: Option<i64>,
}

impl Durations {
    fn new(mut items: Vec<(String, i64, i64)>) -> Durations {
        items.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        let mut values: Vec<i64> = items.iter().map(|i| i.2).collect();
        values.sort_unstable();
        Durations {
            p50: percentile(&values, 50),
            p85: percentile(&values, 85),
            p95: percentile(&values, 95),
            items,
        }
    }
}

/// The nearest-rank percentile of sorted values.
pub(crate) fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (u64::from(p) * sorted.len() as u64).div_ceil(100).max(1) as usize;
    sorted.get(rank - 1).copied()
}

/// Tickets in each status category at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Flow {
    pub(crate) at_ms: i64,
    pub(crate) to_do: i64,
    pub(crate) in_progress: i64,
    pub(crate) done: i64,
}

/// An open ticket and how long it has been open (or in progress).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ageing {
    pub(crate) key: String,
    pub(crate) in_progress: bool,
    pub(crate) age_ms: i64,
}

/// Everything the insight page shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Insight {
    pub(crate) cycle: Durations,
    pub(crate) lead: Durations,
    /// (week start, tickets finished).
    pub(crate) weekly: Vec<(i64, i64)>,
    /// (sprint, tickets of it finished within it), sprints ending in the range.
    pub(crate) sprints: Vec<(String, i64)>,
    /// At each week's end.
    pub(crate) flow: Vec<Flow>,
    /// Oldest first.
    pub(crate) ageing: Vec<Ageing>,
    /// First commit → its flag first on in production, per finished ticket.
    pub(crate) commit_to_flag: Durations,
    /// Finished in the range: with a linked flag, and all.
    pub(crate) behind_flags: (i64, i64),
    /// (flag, done ticket) pairs still linked, whenever the ticket was done.
    pub(crate) cleanup: Vec<(String, String)>,
}

/// The insight of the facts over the range; `category` keeps only tickets of that ticket
/// category; `now` dates ageing.
pub(crate) fn insight(
    facts: &DeliveryFacts,
    range: Range,
    category: Option<&str>,
    now: i64,
) -> Insight {
    let tickets: Vec<&DeliveryTicket> = facts
        .tickets
        .iter()
        .filter(|t| category.is_none_or(|c| t.category.as_deref() == Some(c)))
        .collect();
    let done_in_range: Vec<(&DeliveryTicket, i64)> = tickets
        .iter()
        .filter_map(|t| t.done_at.filter(|d| range.contains(*d)).map(|d| (*t, d)))
        .collect();
    let span = |from: Option<i64>, to: i64| from.map(|f| (to - f).max(0));
    let cycle = Durations::new(
        done_in_range
            .iter()
            .filter_map(|(t, d)| Some((t.key.clone(), *d, span(t.first_progress_at, *d)?)))
            .collect(),
    );
    let lead = Durations::new(
        done_in_range
            .iter()
            .filter_map(|(t, d)| Some((t.key.clone(), *d, span(t.created_at, *d)?)))
            .collect(),
    );
    let weekly = range
        .weeks()
        .into_iter()
        .map(|w| {
            (w, done_in_range.iter().filter(|(_, d)| (w..w + WEEK_MS).contains(d)).count() as i64)
        })
        .collect();

    let selected: HashMap<(i64, &str), &DeliveryTicket> =
        tickets.iter().map(|t| ((t.site_id, t.id.as_str()), *t)).collect();
    let mut sprints = Vec::new();
    for s in &facts.sprints {
        let Some(end) = s.complete_at.or(s.end_at) else { continue };
        if !range.contains(end) {
            continue;
        }
        let start = s.start_at.unwrap_or(i64::MIN);
        let finished = facts
            .sprint_members
            .iter()
            .filter(|(site, _, sprint)| *site == s.site_id && *sprint == s.id)
            .filter_map(|(site, issue, _)| selected.get(&(*site, issue.as_str())))
            .filter(|t| t.done_at.is_some_and(|d| d >= start && d <= end))
            .count() as i64;
        sprints.push((s.name.clone(), finished));
    }

    let flow = cumulative_flow(facts, &tickets, range);

    let mut ageing: Vec<Ageing> = tickets
        .iter()
        .filter(|t| t.done_at.is_none())
        .filter_map(|t| {
            let in_progress = t.status_category.as_deref() == Some("indeterminate");
            let since =
                if in_progress { t.first_progress_at.or(t.created_at) } else { t.created_at };
            Some(Ageing { key: t.key.clone(), in_progress, age_ms: (now - since?).max(0) })
        })
        .collect();
    ageing.sort_by(|a, b| b.age_ms.cmp(&a.age_ms).then(a.key.cmp(&b.key)));

    let commit_to_flag = Durations::new(
        done_in_range
            .iter()
            .filter_map(|(t, _)| {
                let commit = t.first_commit_at?;
                let on = t.flags.iter().filter_map(|f| facts.flag_first_on.get(f)).min()?;
                // A flag already on when the code came ships it with the code.
                Some((t.key.clone(), (*on).max(commit), (*on - commit).max(0)))
            })
            .collect(),
    );
    let behind = done_in_range.iter().filter(|(t, _)| !t.flags.is_empty()).count() as i64;
    let mut cleanup: Vec<(String, String)> = tickets
        .iter()
        .filter(|t| t.done_at.is_some())
        .flat_map(|t| t.flags.iter().map(|f| (f.clone(), t.key.clone())))
        .collect();
    cleanup.sort();
    Insight {
        cycle,
        lead,
        weekly,
        sprints,
        flow,
        ageing,
        commit_to_flag,
        behind_flags: (behind, done_in_range.len() as i64),
        cleanup,
    }
}

/// Each ticket's category at each week's end: what it was created in (the first move's
/// "from", or today's when it never moved), then each move's "to".
fn cumulative_flow(facts: &DeliveryFacts, tickets: &[&DeliveryTicket], range: Range) -> Vec<Flow> {
    /// A ticket of a site, by Jira id.
    type Ticket<'a> = (i64, &'a str);
    /// When it moved, and into which category.
    type Move<'a> = (i64, Option<&'a str>);
    let mut moves: HashMap<Ticket, Vec<Move>> = HashMap::new();
    let mut first_from: HashMap<Ticket, Option<&str>> = HashMap::new();
    for m in &facts.moves {
        let key = (m.site_id, m.issue_id.as_str());
        first_from.entry(key).or_insert(m.from_category.as_deref());
        moves.entry(key).or_default().push((m.at, m.to_category.as_deref()));
    }
    range
        .weeks()
        .into_iter()
        .map(|w| {
            let at = w + WEEK_MS - 1;
            let mut flow = Flow { at_ms: w + WEEK_MS, ..Flow::default() };
            for t in tickets {
                if t.created_at.is_none_or(|c| c > at) {
                    continue;
                }
                let key = (t.site_id, t.id.as_str());
                let initial = match first_from.get(&key) {
                    Some(from) => *from,
                    None => t.status_category.as_deref(),
                };
                let category = moves
                    .get(&key)
                    .and_then(|m| m.iter().rev().find(|(when, _)| *when <= at))
                    .map(|(_, to)| *to)
                    .unwrap_or(initial);
                match category {
                    Some("done") => flow.done += 1,
                    Some("indeterminate") => flow.in_progress += 1,
                    _ => flow.to_do += 1,
                }
            }
            flow
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use tether_store::{CategoryMove, DeliverySprint};

    use super::*;

    const MON: i64 = 1_764_547_200_000; // Monday 2025-12-01T00:00Z

    fn ticket(key: &str, created: i64, progress: Option<i64>, done: Option<i64>) -> DeliveryTicket {
        DeliveryTicket {
            site_id: 1,
            id: key.to_owned(),
            key: key.to_owned(),
            project_key: Some("WEB".into()),
            category: Some("story".into()),
            status_category: Some(match (progress, done) {
                (_, Some(_)) => "done".into(),
                (Some(_), None) => "indeterminate".into(),
                _ => "new".into(),
            }),
            assignee: None,
            created_at: Some(created),
            done_at: done,
            first_progress_at: progress,
            first_commit_at: None,
            flags: vec![],
        }
    }

    fn moved(key: &str, at: i64, from: &str, to: &str) -> CategoryMove {
        CategoryMove {
            site_id: 1,
            issue_id: key.into(),
            at,
            from_category: Some(from.into()),
            to_category: Some(to.into()),
        }
    }

    #[test]
    fn weeks_start_on_monday_in_the_zone() {
        assert_eq!(week_start(MON, 0), MON);
        assert_eq!(week_start(MON + 6 * DAY_MS + 1, 0), MON);
        assert_eq!(week_start(MON - 1, 0), MON - WEEK_MS);
        // Sunday 23:30 UTC is Monday 00:30 in Berlin (+1h): that Monday's week.
        assert_eq!(week_start(MON - 1_800_000, 3600), MON - 3_600_000);
        let r = Range::weeks_ending(MON + 3 * DAY_MS, 2, 0);
        assert_eq!((r.from_ms, r.to_ms), (MON - WEEK_MS, MON + WEEK_MS));
        assert_eq!(r.weeks(), [MON - WEEK_MS, MON]);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<i64> = (1..=20).collect();
        assert_eq!(
            (percentile(&v, 50), percentile(&v, 85), percentile(&v, 95)),
            (Some(10), Some(17), Some(19))
        );
        assert_eq!(percentile(&[7], 95), Some(7));
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn cycle_lead_throughput_flow_and_flags() {
        let d = |n: i64| MON + n * DAY_MS;
        let mut a = ticket("A", d(0), Some(d(1)), Some(d(3)));
        a.flags = vec!["shop/checkout".into()];
        a.first_commit_at = Some(d(2));
        let b = ticket("B", d(-10), Some(d(2)), Some(d(9)));
        let c = ticket("C", d(5), Some(d(6)), None);
        let e = ticket("E", d(8), None, None);
        let old = ticket("OLD", d(-30), Some(d(-29)), Some(d(-20)));
        let facts = DeliveryFacts {
            tickets: vec![a, b, c, e, old],
            moves: vec![
                moved("OLD", d(-29), "new", "indeterminate"),
                moved("OLD", d(-20), "indeterminate", "done"),
                moved("A", d(1), "new", "indeterminate"),
                moved("B", d(2), "new", "indeterminate"),
                moved("A", d(3), "indeterminate", "done"),
                moved("C", d(6), "new", "indeterminate"),
                moved("B", d(9), "indeterminate", "done"),
            ],
            sprints: vec![DeliverySprint {
                site_id: 1,
                id: 7,
                name: "S7".into(),
                start_at: Some(d(0)),
                end_at: Some(d(6)),
                complete_at: Some(d(7)),
            }],
            sprint_members: vec![(1, "A".into(), 7), (1, "B".into(), 7), (1, "C".into(), 7)],
            flag_first_on: [("shop/checkout".to_owned(), d(4))].into(),
        };
        let range = Range { from_ms: MON, to_ms: MON + 2 * WEEK_MS, offset_s: 0 };
        let i = insight(&facts, range, None, d(12));
        assert_eq!(i.cycle.items, [("A".into(), d(3), 2 * DAY_MS), ("B".into(), d(9), 7 * DAY_MS)]);
        assert_eq!((i.cycle.p50, i.cycle.p85), (Some(2 * DAY_MS), Some(7 * DAY_MS)));
        assert_eq!(i.lead.items, [("A".into(), d(3), 3 * DAY_MS), ("B".into(), d(9), 19 * DAY_MS)]);
        assert_eq!(i.weekly, [(MON, 1), (MON + WEEK_MS, 1)]);
        // A finished within S7; B after it ended.
        assert_eq!(i.sprints, [("S7".to_owned(), 1)]);
        assert_eq!(
            i.flow,
            [
                Flow { at_ms: MON + WEEK_MS, to_do: 0, in_progress: 2, done: 2 },
                Flow { at_ms: MON + 2 * WEEK_MS, to_do: 1, in_progress: 1, done: 3 },
            ]
        );
        assert_eq!(
            i.ageing,
            [
                Ageing { key: "C".into(), in_progress: true, age_ms: 6 * DAY_MS },
                Ageing { key: "E".into(), in_progress: false, age_ms: 4 * DAY_MS },
            ]
        );
        assert_eq!(i.commit_to_flag.items, [("A".into(), d(4), 2 * DAY_MS)]);
        assert_eq!(i.behind_flags, (1, 2));
        assert_eq!(i.cleanup, [("shop/checkout".to_owned(), "A".to_owned())]);
        // A category keeps only its tickets.
        let bugs = insight(&facts, range, Some("bug"), d(12));
        assert_eq!((bugs.cycle.items.len(), bugs.flow[0].done), (0, 0));
    }
}
