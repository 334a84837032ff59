//! Delivery insight: the service the page (`ui.rs`: `/insights`, charts with their tables and
//! CSV downloads) and the API (`api.rs`: `GET /api/insights`) share. The tickets looked at are
//! chosen as the Tickets page chooses them (a JQL query, built from the filters project and
//! team of assignees plus any JQL given), over the sites whose tickets the caller may view;
//! the ticket category filter and the weeks are applied to the facts (`metrics.rs`), and the
//! charts drawn on the server (`charts.rs`).

pub(crate) mod api;
pub(crate) mod charts;
pub(crate) mod metrics;
pub(crate) mod ui;

use serde::Deserialize;
use tether_jql::print::{encode_value, to_jql};
use tether_store::SearchError;

use self::metrics::{DAY_MS, Insight, Range, WEEK_MS, insight};
use crate::AppState;
use crate::auth::Caller;
use crate::tickets::search::{Failure, Searcher};

/// Weeks looked at when the filters do not say.
pub(crate) const DEFAULT_WEEKS: i64 = 12;

/// What to look at, as typed (the page's form and the API's query string).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Filters {
    /// A Jira project key.
    #[serde(default)]
    pub(crate) project: String,
    /// A ticket category (`story`, `bug`, `task`, `subtask`, `epic`, `other`).
    #[serde(default)]
    pub(crate) category: String,
    /// The team: assignees' names, emails or account ids, separated by commas.
    #[serde(default)]
    pub(crate) team: String,
    /// The last day looked at (`YYYY-MM-DD`), default today.
    #[serde(default)]
    pub(crate) to: String,
    /// How many weeks up to it, default 12.
    #[serde(default)]
    pub(crate) weeks: Option<i64>,
    /// More JQL, ANDed with the rest.
    #[serde(default)]
    pub(crate) jql: String,
}

impl Filters {
    /// The query choosing the tickets.
    pub(crate) fn query(&self) -> Result<String, Vec<String>> {
        let mut parts = Vec::new();
        if !self.project.trim().is_empty() {
            parts.push(format!("project = {}", encode_value(self.project.trim())));
        }
        let team: Vec<String> = self
            .team
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(encode_value)
            .collect();
        if !team.is_empty() {
            parts.push(format!("assignee in ({})", team.join(", ")));
        }
        if !self.jql.trim().is_empty() {
            let query = tether_jql::parse(&self.jql).map_err(|e| vec![e.to_string()])?;
            if let Some(clause) = query.clause {
                let only = tether_jql::Query { clause: Some(clause), order_by: Vec::new() };
                parts.push(format!("({})", to_jql(&only)));
            }
        }
        Ok(parts.join(" AND "))
    }

    fn category(&self) -> Option<&str> {
        Some(self.category.trim()).filter(|c| !c.is_empty())
    }
}

/// The insight with how it was chosen.
pub(crate) struct Report {
    pub(crate) insight: Insight,
    pub(crate) range: Range,
    pub(crate) zone: String,
    pub(crate) query: String,
    /// Tickets the query chose (before the category).
    pub(crate) tickets: usize,
    /// Why the weeks are not the ones asked for, when they are not.
    pub(crate) note: Option<String>,
}

/// Computes the insight the filters ask for.
pub(crate) async fn report(
    state: &AppState,
    caller: &Caller,
    f: &Filters,
) -> Result<Report, Failure> {
    let query = f.query().map_err(Failure::Invalid)?;
    let s = Searcher::new(state, caller, None).await.map_err(Failure::Other)?;
    let facts = match state.store.delivery_facts(&query, &s.scope).await {
        Ok(facts) => facts,
        Err(SearchError::Invalid(messages)) => return Err(Failure::Invalid(messages)),
        Err(SearchError::Store(e)) => return Err(e.into()),
    };
    let now = s.scope.clock.now_ms;
    let offset = s.scope.clock.utc_offset_seconds;
    let weeks = f.weeks.unwrap_or(DEFAULT_WEEKS).clamp(1, 104);
    let mut note = None;
    let range = match f.to.trim() {
        "" => {
            let range = Range::weeks_ending(now, weeks, offset);
            let active = |t: &tether_store::DeliveryTicket| {
                t.done_at.or(t.created_at).is_some_and(|at| range.contains(at))
            };
            let latest = facts.tickets.iter().filter_map(|t| t.done_at.or(t.created_at)).max();
            match latest {
                Some(latest) if !facts.tickets.iter().any(active) => {
                    note = Some(format!(
                        "Nothing happened in the last {weeks} weeks: these are the {weeks} weeks up to the last activity, {}.",
                        day_label(latest, &s.zone, true)
                    ));
                    Range::weeks_ending(latest, weeks, offset)
                }
                _ => range,
            }
        }
        day => {
            let Some(end) = parse_day(day, offset) else {
                return Err(Failure::Invalid(vec![format!(
                    "'{day}' is not a day: give it as YYYY-MM-DD."
                )]));
            };
            Range::weeks_ending(end, weeks, offset)
        }
    };
    let insight = insight(&facts, range, f.category(), now);
    Ok(Report { insight, range, zone: s.zone, query, tickets: facts.tickets.len(), note })
}

/// Midday of a `YYYY-MM-DD` day at the offset.
fn parse_day(day: &str, offset_s: i32) -> Option<i64> {
    let date: jiff::civil::Date = day.parse().ok()?;
    let ts = date
        .at(12, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::Offset::from_seconds(offset_s).ok()?));
    Some(ts.ok()?.timestamp().as_millisecond())
}

/// `1 Dec` (or `1 Dec 2025`) in the zone.
pub(crate) fn day_label(ms: i64, zone: &str, year: bool) -> String {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t.to_zoned(tz).strftime(if year { "%-d %b %Y" } else { "%-d %b" }).to_string(),
        Err(_) => ms.to_string(),
    }
}

/// Milliseconds as days with one decimal.
pub(crate) fn days(ms: i64) -> f64 {
    (ms as f64 / DAY_MS as f64 * 10.0).round() / 10.0
}

/// How many weeks a range spans.
pub(crate) fn weeks_in(range: &Range) -> i64 {
    (range.to_ms - range.from_ms) / WEEK_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_one_query() {
        let f = Filters {
            project: "WEB".into(),
            team: "Ann Lee, bob@acme.test,".into(),
            jql: "labels = ux ORDER BY created".into(),
            ..Filters::default()
        };
        assert_eq!(
            f.query().unwrap(),
            "project = WEB AND assignee in (\"Ann Lee\", \"bob@acme.test\") AND (labels = ux)"
        );
        assert_eq!(Filters::default().query().unwrap(), "");
        let bad = Filters { jql: "labels = ".into(), ..Filters::default() };
        assert!(bad.query().unwrap_err()[0].starts_with("Error in JQL Query"));
        assert_eq!(parse_day("2025-12-01", 0), Some(1_764_590_400_000));
        assert_eq!(parse_day("1 Dec", 0), None);
        assert_eq!(days(DAY_MS * 3 / 2), 1.5);
    }
}
