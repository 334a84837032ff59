//! What the API answers and the pages show of a site's ingestion: the connection (never its
//! secrets; the application link's public key, which is not one), the last check, the
//! switches, and each project with its import switch, permissions, last pass, progress, counts
//! and error.

use serde::Serialize;
use serde_json::Value;
use tether_store::{JiraSite, TicketConnection, TicketProject};

use crate::AppState;
use crate::error::ApiError;

#[derive(Debug, Serialize)]
pub(crate) struct SiteStatus {
    pub site: String,
    pub url: String,
    /// `cloud` or `dc`, once detected.
    pub deployment: Option<String>,
    pub connection: Option<ConnectionView>,
    pub projects: Vec<ProjectView>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ConnectionView {
    pub kind: &'static str,
    /// The email, username or consumer key.
    pub user: String,
    pub authorised: bool,
    /// OAuth 1.0a: what to paste into Jira's application link.
    pub public_key: Option<String>,
    pub paused: bool,
    pub auto_import: bool,
    /// The last check's report (`ok`, `messages`, `notes`, ...), if any ran.
    pub check: Option<Value>,
    pub checked_at: Option<i64>,
    pub account: Option<String>,
    /// What times are shown in: the account's time zone, else UTC.
    pub time_zone: String,
    pub webhook_registered: bool,
    pub last_error: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ProjectView {
    pub id: String,
    pub key: String,
    pub name: String,
    /// `software`, `business` or `service_desk`.
    pub type_key: Option<String>,
    pub category: Option<String>,
    pub team_managed: bool,
    /// Software and Work Management projects; Service Management ones are only listed.
    pub processable: bool,
    /// Whether Jira still shows it.
    pub present: bool,
    pub import: bool,
    pub can_browse: bool,
    /// Without Create issues its type assignments cannot be read.
    pub can_create: bool,
    pub tickets: i64,
    pub pass: PassView,
}

#[derive(Debug, Serialize)]
pub(crate) struct PassView {
    /// `idle`, `running`, `waiting` (due later) or `failing`.
    pub state: &'static str,
    pub full: bool,
    pub done: i64,
    pub total: Option<i64>,
    pub last_started_at: Option<i64>,
    pub last_finished_at: Option<i64>,
    pub last_issues: Option<i64>,
    pub next_due_at: i64,
    pub reconciled_at: Option<i64>,
    pub error: Option<String>,
    pub error_at: Option<i64>,
}

pub(crate) fn connection_view(c: &TicketConnection) -> ConnectionView {
    ConnectionView {
        kind: c.auth_kind.as_str(),
        user: c.auth_user.clone(),
        authorised: c.authorised,
        public_key: c.oauth1_public_key.clone(),
        paused: c.paused,
        auto_import: c.auto_import,
        check: c.check.as_ref().map(|c| c.report.clone()),
        checked_at: c.check.as_ref().map(|c| c.at),
        account: c.account.clone(),
        time_zone: c.time_zone.clone().unwrap_or_else(|| "UTC".to_owned()),
        webhook_registered: c.webhook_id.is_some(),
        last_error: c.last_error.clone(),
    }
}

pub(crate) fn project_view(p: &TicketProject, tickets: i64, now: i64) -> ProjectView {
    let running = p.claimed_until.is_some_and(|u| u > now);
    let state = if running {
        "running"
    } else if p.last_error.is_some() {
        "failing"
    } else if p.imported && p.next_due_at > now {
        "waiting"
    } else {
        "idle"
    };
    ProjectView {
        processable: p.processable(),
        id: p.id.clone(),
        key: p.key.clone(),
        name: p.name.clone(),
        type_key: p.type_key.clone(),
        category: p.category.clone(),
        team_managed: p.team_managed,
        present: p.present,
        import: p.imported,
        can_browse: p.can_browse,
        can_create: p.can_create,
        tickets,
        pass: PassView {
            state,
            full: p.cursor_ms.is_none(),
            done: p.pass_done,
            total: p.pass_total,
            last_started_at: p.last_pass_started_at,
            last_finished_at: p.last_pass_finished_at,
            last_issues: p.last_pass_issues,
            next_due_at: p.next_due_at,
            reconciled_at: p.reconciled_at,
            error: p.last_error.clone(),
            error_at: p.last_error_at,
        },
    }
}

/// The status of a site's ingestion.
pub(crate) async fn site_status(state: &AppState, site: &JiraSite) -> Result<SiteStatus, ApiError> {
    let connection = state.store.ticket_connection(site.id).await?;
    let now = state.clock.now_ms();
    let mut projects = Vec::new();
    if connection.is_some() {
        let counts = state.store.ticket_counts(site.id).await?;
        for p in state.store.ticket_projects(site.id).await? {
            let n = counts.get(&p.id).copied().unwrap_or(0);
            projects.push(project_view(&p, n, now));
        }
    }
    Ok(SiteStatus {
        site: site.name.clone(),
        url: site.url.clone(),
        deployment: site.deployment.clone(),
        connection: connection.as_ref().map(connection_view),
        projects,
    })
}
