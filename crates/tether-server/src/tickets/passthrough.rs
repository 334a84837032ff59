//! JQL for Jira projects tether does not ingest: a query whose projects are all on one site,
//! discovered there and not imported, is passed to that Jira's own search (as the site's
//! ingestion account) and answered in the same shape, each issue marked as Jira's. tether's
//! own fields (`flag`, `commit` …) exist only over ingested tickets, so such a query using
//! them is refused with the reason; so is one mixing ingested and other projects.

use serde_json::{Value, json};
use tether_jql::{Clause, Condition, Operand, OperandKind, Query, ValueOperator};
use tether_store::{JiraSite, TicketProject};

use super::search::Searcher;
use crate::AppState;
use crate::error::ApiError;

/// Fields tether answers from its own data, which Jira's search does not have.
const TETHER_FIELDS: &[&str] = &[
    "flag",
    "flagEnabled",
    "flagState",
    "commit",
    "repository",
    "pullRequest",
    "development",
    "ticketCategory",
];

/// Page tokens of answers Jira gave start with this (tether's own start with `o`).
pub(crate) const TOKEN_PREFIX: &str = "j";

/// Who answers a query.
#[derive(Debug)]
pub(crate) enum Route {
    /// tether, over the ingested tickets (also for projects it does not know: it then refuses
    /// them with Jira's message).
    Tether,
    /// The site's Jira: every project the query names is there and not imported.
    Jira(JiraSite),
    /// Neither can: why, in sentences.
    Refused(Vec<String>),
}

/// Who answers `jql` for the searcher's sites. A query that does not parse is tether's to
/// refuse (with Jira's message).
pub(crate) async fn route(
    state: &AppState,
    searcher: &Searcher,
    jql: &str,
) -> Result<Route, ApiError> {
    let Ok(query) = tether_jql::parse(jql) else { return Ok(Route::Tether) };
    let mut named = Vec::new();
    if let Some(clause) = &query.clause {
        project_values(clause, &mut named);
    }
    if named.is_empty() {
        return Ok(Route::Tether);
    }
    let mut known: Vec<(String, JiraSite, TicketProject)> = Vec::new();
    for site in searcher.sites() {
        let projects = state.store.ticket_projects(site.id).await?;
        for value in &named {
            if known.iter().any(|(v, ..)| v == value) {
                continue;
            }
            if let Some(p) = projects.iter().find(|p| names(p, value)) {
                known.push((value.clone(), site.clone(), p.clone()));
            }
        }
    }
    // A project no site lists: tether refuses it as Jira would.
    if known.len() < named.len() {
        return Ok(Route::Tether);
    }
    let (ingested, other): (Vec<_>, Vec<_>) = known.iter().partition(|(_, _, p)| p.imported);
    if other.is_empty() {
        return Ok(Route::Tether);
    }
    let keys = |list: &[&(String, JiraSite, TicketProject)]| {
        list.iter().map(|(_, _, p)| p.key.clone()).collect::<Vec<_>>().join(", ")
    };
    if !ingested.is_empty() {
        return Ok(Route::Refused(vec![format!(
            "The query names projects tether ingests ({}) and projects it does not ({}): search \
             them apart (Jira answers for the others), or turn the others' import on.",
            keys(&ingested),
            keys(&other)
        )]));
    }
    let site = other[0].1.clone();
    if other.iter().any(|(_, s, _)| s.id != site.id) {
        return Ok(Route::Refused(vec![format!(
            "The projects {} are on different Jira sites and not ingested: search each site's \
             projects apart.",
            keys(&other)
        )]));
    }
    let own: Vec<String> = tether_fields(&query);
    if !own.is_empty() {
        let processable = other.iter().all(|(_, _, p)| p.processable());
        let advice = if processable {
            format!(
                "Turn the import of {} on (/tickets/sites/{}) to search it with tether's fields.",
                keys(&other),
                site.name
            )
        } else {
            "Service Management projects are not ingested, so tether's fields cannot search them."
                .to_owned()
        };
        return Ok(Route::Refused(vec![format!(
            "The field{} {} {} tether's own and answered over ingested tickets only; {} {} not \
             ingested, so Jira would search {}, and Jira has no such field. {advice}",
            if own.len() == 1 { "" } else { "s" },
            own.iter().map(|f| format!("'{f}'")).collect::<Vec<_>>().join(", "),
            if own.len() == 1 { "is" } else { "are" },
            keys(&other),
            if other.len() == 1 { "is" } else { "are" },
            if other.len() == 1 { "it" } else { "them" },
        )]));
    }
    Ok(Route::Jira(site))
}

/// One page of `jql` from the site's Jira, as the ingestion account sees it, in Jira's
/// search shape with each issue marked as answered by Jira.
pub(crate) async fn search(
    state: &AppState,
    site: &JiraSite,
    jql: &str,
    fields: &[String],
    limit: i64,
    token: Option<&str>,
) -> Result<Result<Value, Vec<String>>, ApiError> {
    let options = tether_jira::Options {
        outbound: state.config.outbound,
        ..tether_sync::jira::clients::options_for_site(site, &crate::jira::interactive_options())
    };
    let unreachable = |e: &dyn std::fmt::Display| {
        ApiError::Unavailable(format!("Jira site {:?} did not answer the search: {e}", site.name))
    };
    let target = tether_sync::ingest::ingestion_site(&state.store, site.id)
        .await
        .map_err(|e| ApiError::Conflict(e.to_string()))?;
    let client =
        tether_jira::Client::connect(target, options).await.map_err(|e| unreachable(&e))?;
    let max = u32::try_from(limit).unwrap_or(1);
    let mut page = match client.search_passthrough(jql, fields, max, token).await {
        Ok(page) => page,
        Err(tether_jira::Error::BadRequest { messages, .. }) if !messages.is_empty() => {
            return Ok(Err(messages));
        }
        Err(e) => return Err(unreachable(&e)),
    };
    let base = site.url.trim_end_matches('/');
    if let Some(issues) = page["issues"].as_array_mut() {
        for issue in issues {
            let key = issue["key"].as_str().unwrap_or_default().to_owned();
            issue["tether"] = json!({
                "site": site.name,
                "source": "jira",
                "url": format!("{base}/browse/{key}"),
            });
        }
    }
    if let Some(next) = page["nextPageToken"].as_str() {
        page["nextPageToken"] = json!(format!("{TOKEN_PREFIX}{next}"));
    }
    Ok(Ok(page))
}

/// Whether a project value names the project (key, id or name, as tether's search reads it).
fn names(p: &TicketProject, value: &str) -> bool {
    p.key.eq_ignore_ascii_case(value) || p.id == value || p.name.eq_ignore_ascii_case(value)
}

/// The projects `project = X` and `project IN (…)` name, outside `NOT`.
fn project_values(clause: &Clause, out: &mut Vec<String>) {
    match clause {
        Clause::And(j) | Clause::Or(j) => j.clauses().iter().for_each(|c| project_values(c, out)),
        Clause::Not(_) => {}
        Clause::Terminal(t) => {
            if !t.field.display_name().eq_ignore_ascii_case("project") {
                return;
            }
            if let Condition::Value {
                operator: ValueOperator::Equals | ValueOperator::In,
                operand,
            } = &t.condition
            {
                values(operand, out);
            }
        }
    }
}

fn values(operand: &Operand, out: &mut Vec<String>) {
    match &operand.kind {
        OperandKind::String(s) => out.push(s.clone()),
        OperandKind::Number(n) => out.push(n.to_string()),
        OperandKind::List(list) => list.items().iter().for_each(|o| values(o, out)),
        OperandKind::Empty | OperandKind::Function { .. } => {}
    }
}

/// tether's own fields the query uses (in clauses or its order).
fn tether_fields(query: &Query) -> Vec<String> {
    fn walk(clause: &Clause, out: &mut Vec<String>) {
        match clause {
            Clause::And(j) | Clause::Or(j) => j.clauses().iter().for_each(|c| walk(c, out)),
            Clause::Not(inner) => walk(inner, out),
            Clause::Terminal(t) => own(&t.field, out),
        }
    }
    fn own(field: &tether_jql::Field, out: &mut Vec<String>) {
        let name = field.display_name();
        let bare = name.split('[').next().unwrap_or(&name).to_owned();
        if TETHER_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(&bare)) && !out.contains(&bare) {
            out.push(bare);
        }
    }
    let mut out = Vec::new();
    if let Some(clause) = &query.clause {
        walk(clause, &mut out);
    }
    query.order_by.iter().for_each(|k| own(&k.field, &mut out));
    out
}
