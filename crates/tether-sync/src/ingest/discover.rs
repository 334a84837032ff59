//! Checking a connection and discovering its projects: the client's ingestion checks, recorded
//! with the account's time zone; every project Jira shows with its type and what the account
//! may do there; the site's issue types and each project's default type assignments.

use serde_json::{Value, json};
use tether_jira::Options;
use tether_jira::tickets::{IngestionCheck, ProjectAccess, check_ingestion};
use tether_store::{DiscoveredProject, Store, TicketIssueType, TicketProject};

use super::connection::{ConnectionError, ingestion_site};

/// What a check found, as recorded.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    pub check: IngestionCheck,
    /// The report as stored with the connection (see [`report_json`]).
    pub report: Value,
    /// The projects as recorded after this discovery (empty when the check could not list
    /// them).
    pub projects: Vec<TicketProject>,
}

/// Runs the ingestion checks on a site's connection, records them, and records the projects,
/// issue types and default type assignments they found.
pub async fn check_and_discover(
    store: &Store,
    site_id: i64,
    options: &Options,
) -> Result<CheckOutcome, ConnectionError> {
    let site = ingestion_site(store, site_id).await?;
    let check = check_ingestion(&site, options).await;
    let report = report_json(&check);
    let account = check.connection.account.as_ref().map(|u| {
        let name = u.display_name.clone().or_else(|| u.name.clone()).unwrap_or_default();
        match u.email_address.as_deref().filter(|e| !e.is_empty()) {
            Some(e) => format!("{name} <{e}>"),
            None => name,
        }
    });
    store
        .record_ticket_check(
            site_id,
            check.can_run(),
            &report,
            account.as_deref(),
            check.time_zone(),
        )
        .await?;
    if let Some(d) = &check.connection.deployment {
        let detected = if d.is_cloud() { "cloud" } else { "dc" };
        if store.jira_site(site_id).await?.deployment.as_deref() != Some(detected) {
            store.set_jira_site_deployment(site_id, detected).await?;
        }
    }
    if check.projects.is_empty() {
        return Ok(CheckOutcome { check, report, projects: vec![] });
    }
    let found: Vec<DiscoveredProject> = check.projects.iter().map(discovered).collect();
    let projects = store.record_ticket_projects(site_id, &found).await?;
    let mut types: Vec<TicketIssueType> = Vec::new();
    for p in &check.projects {
        for t in p.creatable_types.iter().flatten().chain(&p.project.issue_types) {
            if !types.iter().any(|x| x.id == t.id) {
                types.push(issue_type(t));
            }
        }
    }
    store.put_ticket_issue_types(site_id, &types).await?;
    for p in &check.projects {
        // The types the account may create are the project's types as Jira scopes them; the
        // project's own list stands in where Create issues is missing.
        let list = p.creatable_types.as_ref().unwrap_or(&p.project.issue_types);
        let list: Vec<TicketIssueType> = list.iter().map(issue_type).collect();
        store.default_type_assignments(site_id, &p.project.id, &list).await?;
    }
    Ok(CheckOutcome { check, report, projects })
}

fn discovered(p: &ProjectAccess) -> DiscoveredProject {
    DiscoveredProject {
        id: p.project.id.clone(),
        key: p.project.key.clone(),
        name: p.project.name.clone(),
        type_key: p.project.project_type_key.clone(),
        category: p.project.project_category.as_ref().map(|c| c.name.clone()),
        team_managed: p.project.team_managed(),
        can_browse: p.browse,
        can_create: p.create,
    }
}

fn issue_type(t: &tether_jira::tickets::IssueTypeInfo) -> TicketIssueType {
    TicketIssueType {
        id: t.id.clone(),
        name: t.name.clone(),
        subtask: t.subtask,
        hierarchy_level: t.hierarchy_level,
    }
}

/// The report kept with a connection and shown with it: whether ingestion may run, what Jira
/// it is, the account, every gap as a sentence, notes, and whether webhooks can be registered.
pub fn report_json(check: &IngestionCheck) -> Value {
    let c = &check.connection;
    json!({
        "ok": check.can_run(),
        "deployment": c.deployment.as_ref().map(|d| if d.is_cloud() { "cloud" } else { "dc" }),
        "version": c.deployment.as_ref().and_then(|d| d.version.map(|v| v.to_string()))
            .or_else(|| c.server.as_ref().and_then(|s| s.version.clone())),
        "server_title": c.server.as_ref().and_then(|s| s.server_title.clone()),
        "account": c.account.as_ref().and_then(|u| u.display_name.clone().or_else(|| u.name.clone())),
        "time_zone": check.time_zone(),
        "browse_users": check.browse_users,
        "webhooks": check.administer,
        "projects": check.projects.len(),
        "messages": check.messages(),
        "notes": check.notes,
    })
}
