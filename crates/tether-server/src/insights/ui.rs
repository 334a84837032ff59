//! The Insights page (`/insights`): the filters, the headline figures, and each chart with its
//! data as a table and a CSV download (`/insights/data/{chart}.csv`, same filters).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tether_store::TicketCategory;

use super::charts::{bars, hbars, scatter, stacked};
use super::metrics::{Durations, WEEK_MS};
use super::{Filters, Report, day_label, days, report, weeks_in};
use crate::tickets::search::Failure;
use crate::web::page::{UiError, html};
use crate::web::signin::UiUser;
use crate::web::{Nav, nav_for};
use crate::{AppState, VERSION};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/insights", get(page)).route("/insights/data/{chart}", get(csv))
}

/// One chart: its drawing, a line saying what it shows, and its figures.
pub(crate) struct ChartView {
    pub(crate) id: &'static str,
    pub(crate) title: &'static str,
    pub(crate) svg: String,
    pub(crate) summary: String,
    pub(crate) header: Vec<&'static str>,
    pub(crate) rows: Vec<Vec<String>>,
}

fn fmt_days(ms: Option<i64>) -> String {
    ms.map(|m| format!("{} d", days(m))).unwrap_or_else(|| "–".to_owned())
}

fn percentiles(d: &Durations) -> String {
    if d.items.is_empty() {
        return "no finished tickets in these weeks".to_owned();
    }
    format!(
        "{} tickets · median {} · 85% within {} · 95% within {}",
        d.items.len(),
        fmt_days(d.p50),
        fmt_days(d.p85),
        fmt_days(d.p95)
    )
}

fn duration_chart(
    id: &'static str,
    title: &'static str,
    d: &Durations,
    r: &Report,
    what: &'static str,
) -> ChartView {
    let points: Vec<(i64, f64, String)> =
        d.items.iter().map(|(k, at, ms)| (*at, days(*ms), k.clone())).collect();
    let lines: Vec<(String, f64)> = [("median", d.p50), ("85%", d.p85)]
        .into_iter()
        .filter_map(|(l, v)| Some((l.to_owned(), days(v?))))
        .collect();
    let ticks: Vec<(i64, String)> = (0..=weeks_in(&r.range))
        .step_by(usize::try_from((weeks_in(&r.range) / 6).max(1)).unwrap_or(1))
        .map(|w| {
            let at = r.range.from_ms + w * WEEK_MS;
            (at, day_label(at, &r.zone, false))
        })
        .collect();
    ChartView {
        id,
        title,
        svg: scatter(id, title, &points, (r.range.from_ms, r.range.to_ms), &ticks, &lines, "days"),
        summary: percentiles(d),
        header: vec!["ticket", what, "days"],
        rows: d
            .items
            .iter()
            .map(|(k, at, ms)| {
                vec![k.clone(), day_label(*at, &r.zone, true), days(*ms).to_string()]
            })
            .collect(),
    }
}

/// Every chart of a report, in page order.
pub(crate) fn charts(r: &Report) -> Vec<ChartView> {
    let i = &r.insight;
    let mut out = Vec::new();
    out.push(duration_chart(
        "cycle-time",
        "Cycle time (first in progress → done)",
        &i.cycle,
        r,
        "done",
    ));
    out.push(duration_chart("lead-time", "Lead time (created → done)", &i.lead, r, "done"));
    let week_labels: Vec<String> =
        i.weekly.iter().map(|(w, _)| day_label(*w, &r.zone, false)).collect();
    let counts: Vec<i64> = i.weekly.iter().map(|(_, c)| *c).collect();
    out.push(ChartView {
        id: "throughput",
        title: "Throughput per week",
        svg: bars("throughput", "Throughput per week", &week_labels, &counts, "tickets done"),
        summary: format!(
            "{} tickets done in {} weeks, {:.1} a week",
            counts.iter().sum::<i64>(),
            counts.len(),
            counts.iter().sum::<i64>() as f64 / counts.len().max(1) as f64
        ),
        header: vec!["week of", "tickets done"],
        rows: i
            .weekly
            .iter()
            .map(|(w, c)| vec![day_label(*w, &r.zone, true), c.to_string()])
            .collect(),
    });
    let sprint_labels: Vec<String> = i.sprints.iter().map(|(s, _)| s.clone()).collect();
    let sprint_counts: Vec<i64> = i.sprints.iter().map(|(_, c)| *c).collect();
    out.push(ChartView {
        id: "sprints",
        title: "Throughput per sprint",
        svg: bars(
            "sprints",
            "Throughput per sprint",
            &sprint_labels,
            &sprint_counts,
            "tickets done",
        ),
        summary: if i.sprints.is_empty() {
            "no sprint ended in these weeks".to_owned()
        } else {
            format!("{} sprints ended in these weeks", i.sprints.len())
        },
        header: vec!["sprint", "its tickets done within it"],
        rows: i.sprints.iter().map(|(s, c)| vec![s.clone(), c.to_string()]).collect(),
    });
    let flow_labels: Vec<String> =
        i.flow.iter().map(|f| day_label(f.at_ms, &r.zone, false)).collect();
    let pick = |g: fn(&super::metrics::Flow) -> i64| i.flow.iter().map(g).collect::<Vec<i64>>();
    out.push(ChartView {
        id: "flow",
        title: "Cumulative flow (tickets in each state at each week's end)",
        svg: stacked(
            "flow",
            "Cumulative flow",
            &flow_labels,
            &[
                ("Done", "hatch", pick(|f| f.done)),
                ("In progress", "dots", pick(|f| f.in_progress)),
                ("To do", "plain", pick(|f| f.to_do)),
            ],
        ),
        summary: match i.flow.last() {
            Some(f) => format!(
                "at the end: {} to do, {} in progress (work in progress), {} done",
                f.to_do, f.in_progress, f.done
            ),
            None => "no weeks".to_owned(),
        },
        header: vec!["week ending", "to do", "in progress", "done"],
        rows: i
            .flow
            .iter()
            .map(|f| {
                vec![
                    day_label(f.at_ms - 1, &r.zone, true),
                    f.to_do.to_string(),
                    f.in_progress.to_string(),
                    f.done.to_string(),
                ]
            })
            .collect(),
    });
    let oldest: Vec<(String, f64, bool)> =
        i.ageing.iter().take(15).map(|a| (a.key.clone(), days(a.age_ms), a.in_progress)).collect();
    out.push(ChartView {
        id: "ageing",
        title: "Ageing open work (the oldest 15)",
        svg: hbars("ageing", "Ageing open work", &oldest, "d"),
        summary: format!(
            "{} open tickets, {} in progress",
            i.ageing.len(),
            i.ageing.iter().filter(|a| a.in_progress).count()
        ),
        header: vec!["ticket", "state", "days open (in progress: since it started)"],
        rows: i
            .ageing
            .iter()
            .map(|a| {
                let state = if a.in_progress { "in progress" } else { "to do" };
                vec![a.key.clone(), state.to_owned(), days(a.age_ms).to_string()]
            })
            .collect(),
    });
    out.push(duration_chart(
        "commit-to-flag",
        "First commit → its flag on in production",
        &i.commit_to_flag,
        r,
        "flag on",
    ));
    out
}

#[derive(Template)]
#[template(path = "insights.html")]
struct InsightsPage {
    nav: Nav,
    version: &'static str,
    f: Filters,
    categories: Vec<(&'static str, &'static str)>,
    errors: Vec<String>,
    report: Option<ReportView>,
}

struct ReportView {
    from: String,
    to: String,
    zone: String,
    query: String,
    tickets: usize,
    note: Option<String>,
    finished: i64,
    behind_flags: String,
    cycle: String,
    lead: String,
    charts: Vec<ChartView>,
    cleanup: Vec<(String, String)>,
    csv_query: String,
}

/// The filters as a query string, for the CSV links.
fn filter_query(f: &Filters) -> String {
    let weeks = f.weeks.map(|w| w.to_string()).unwrap_or_default();
    [
        ("project", f.project.as_str()),
        ("category", f.category.as_str()),
        ("team", f.team.as_str()),
        ("to", f.to.as_str()),
        ("weeks", weeks.as_str()),
        ("jql", f.jql.as_str()),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}={}", tether_jira::percent_encode(v)))
    .collect::<Vec<_>>()
    .join("&")
}

async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Query(f): Query<Filters>,
) -> Result<Response, UiError> {
    let (errors, report) = match report(&state, &user, &f).await {
        Ok(r) => {
            let (behind, finished) = r.insight.behind_flags;
            let view = ReportView {
                from: day_label(r.range.from_ms, &r.zone, true),
                to: day_label(r.range.to_ms - 1, &r.zone, true),
                zone: r.zone.clone(),
                query: r.query.clone(),
                tickets: r.tickets,
                note: r.note.clone(),
                finished,
                behind_flags: if finished == 0 {
                    "–".to_owned()
                } else {
                    format!("{}% ({behind} of {finished})", behind * 100 / finished)
                },
                cycle: fmt_days(r.insight.cycle.p50),
                lead: fmt_days(r.insight.lead.p50),
                charts: charts(&r),
                cleanup: r.insight.cleanup.clone(),
                csv_query: filter_query(&f),
            };
            (Vec::new(), Some(view))
        }
        Err(Failure::Invalid(messages)) => (messages, None),
        Err(Failure::Other(e)) => return Err(UiError::Other(e)),
    };
    let page = InsightsPage {
        nav: nav_for("/insights", &user),
        version: VERSION,
        categories: TicketCategory::ALL.iter().map(|c| (c.as_str(), c.label())).collect(),
        f,
        errors,
        report,
    };
    html(StatusCode::OK, &page)
}

async fn csv(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(file): Path<String>,
    Query(f): Query<Filters>,
) -> Result<Response, UiError> {
    let id = file.strip_suffix(".csv").unwrap_or(&file).to_owned();
    let r = match report(&state, &user, &f).await {
        Ok(r) => r,
        Err(Failure::Invalid(messages)) => {
            return Ok((StatusCode::BAD_REQUEST, messages.join("\n")).into_response());
        }
        Err(Failure::Other(e)) => return Err(UiError::Other(e)),
    };
    let Some(chart) = charts(&r).into_iter().find(|c| c.id == id) else {
        return Err(UiError::NotFound(format!("/insights/data/{file}")));
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let written = w
        .write_record(&chart.header)
        .and_then(|()| chart.rows.iter().try_for_each(|row| w.write_record(row)));
    let body = match written
        .map_err(|e| e.to_string())
        .and_then(|()| w.into_inner().map_err(|e| e.to_string()))
    {
        Ok(body) => body,
        Err(e) => {
            return Err(UiError::Other(crate::error::ApiError::internal(std::io::Error::other(e))));
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"tether-{id}.csv\"")),
        ],
        body,
    )
        .into_response())
}
