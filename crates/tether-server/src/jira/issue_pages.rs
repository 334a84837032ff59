//! The pages of one issue: `/issues/{KEY}` and `/jira/issue-flags?issueKey=`
//! (what Jira shows of an issue's flags), and the pages Jira's "Create feature
//! flag" and "Connect feature flag" open: `/jira/create-flag?issueKey=&issueSummary=`
//! and `/jira/link-flag?issueKey=`.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use tether_flags::{CustomProperty, EnvConfig, Flag, FlagKind, Serve, Variation};
use tether_sync::jira::FlagView;

use super::connect::FromJira;
use super::{issue_flag_views, read_key};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::web::page::{UiError, field, html};
use crate::web::signin::UiUser;
use crate::web::{Nav, nav_for, not_found_page};
use crate::{AppState, VERSION};

use super::ui::{IssueQuery, Saved, can_view, load_flag, saved, store};

/// A section another feature adds to an issue's page, after its flags: the features'
/// sections are data (`AppState::issue_sections`), so adding one edits no other feature.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IssueSection {
    pub(crate) key: &'static str,
    pub(crate) render: RenderSection,
}

/// Renders an [`IssueSection`] for an issue key, as the caller may see it.
pub(crate) type RenderSection =
    for<'a> fn(
        &'a AppState,
        &'a Caller,
        &'a str,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<String, UiError>> + Send + 'a>>;

struct EnvRow {
    name: String,
    kind: String,
    on: bool,
    rollout: String,
    off_value: String,
    href: String,
}

struct FlagCard {
    project: String,
    key: String,
    name: String,
    href: String,
    primary_name: String,
    on: bool,
    rollout: String,
    envs: Vec<EnvRow>,
    last_saved: Saved,
    fully_rolled_out: bool,
    archived: bool,
}

#[derive(Template)]
#[template(path = "jira_issue.html")]
struct IssuePage {
    nav: Nav,
    version: &'static str,
    key: String,
    summary: String,
    status: String,
    url: Option<String>,
    headline: String,
    flags: Vec<FlagCard>,
    notice: Option<String>,
    create_href: String,
    link_href: String,
    /// What other features show of the issue: (section key, its HTML).
    sections: Vec<(&'static str, String)>,
    /// The level of each flag's heading (`jira_flag_card.html`).
    heading: u8,
}

/// An issue's flags as another page shows them (one ticket's page): the same cards as
/// `/issues/{KEY}`, without their forms.
#[derive(Template)]
#[template(path = "jira_issue_flags.html")]
struct FlagCards {
    key: String,
    flags: Vec<FlagCard>,
    heading: u8,
}

/// The flags linked to `key` on `site_id`: those of projects the caller may view that report
/// to that site, or to none (their links name only the key), as cards with each tracked
/// environment's state.
pub(crate) async fn issue_flags_on_site(
    state: &AppState,
    user: &Caller,
    site_id: i64,
    key: &str,
) -> Result<String, UiError> {
    let mut here = Vec::new();
    for p in state.store.list_projects().await.map_err(store)? {
        let tracking = state.store.project_jira(&p.key).await.map_err(store)?;
        if tracking.is_none_or(|t| t.site_id == site_id) {
            here.push(p.key);
        }
    }
    let visible = |p: &str| can_view(user, p) && here.iter().any(|h| h == p);
    let views = issue_flag_views(state, key, visible).await.map_err(store)?;
    let now = state.clock.now_ms();
    let cards = FlagCards {
        key: key.to_owned(),
        flags: views.into_iter().map(|v| flag_card(v, now)).collect(),
        heading: 3,
    };
    cards.render().map_err(|e| UiError::Other(ApiError::internal(e)))
}

fn flag_card(v: FlagView, now: i64) -> FlagCard {
    FlagCard {
        href: v.url.clone(),
        primary_name: v.primary.name.clone(),
        on: v.primary.enabled,
        rollout: v.primary.rollout.describe(),
        envs: v
            .environments
            .iter()
            .map(|e| EnvRow {
                name: e.name.clone(),
                kind: e.kind.clone(),
                on: e.enabled,
                rollout: e.rollout.describe(),
                off_value: e.default_value.clone(),
                href: e.url.clone(),
            })
            .collect(),
        last_saved: saved(v.last_saved, now),
        fully_rolled_out: v.fully_rolled_out,
        archived: v.archived,
        project: v.project,
        key: v.key,
        name: v.name,
    }
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    tether_jira::percent_encode(s)
}

async fn render_issue(
    state: &AppState,
    user: &Caller,
    issue: &str,
    notice: Option<String>,
) -> Result<Response, UiError> {
    let Ok(key) = read_key(issue) else {
        return Ok(not_found_page(format!("/issues/{issue}")));
    };
    let now = state.clock.now_ms();
    let views = issue_flag_views(state, &key, |p| can_view(user, p)).await.map_err(store)?;
    let cached = super::cached_issue_anywhere(state, &key).await.map_err(store)?;
    let headline = match views.as_slice() {
        [] => "No flags".to_owned(),
        [one] => one.name.clone(),
        many => format!("{} flags", many.len()),
    };
    let summary = cached.as_ref().map(|(c, _)| c.summary.clone()).unwrap_or_default();
    let mut sections = Vec::new();
    for s in state.issue_sections {
        sections.push((s.key, (s.render)(state, user, &key).await?));
    }
    let page = IssuePage {
        sections,
        nav: nav_for("/jira", user),
        version: VERSION,
        create_href: format!(
            "/jira/create-flag?issueKey={}&issueSummary={}",
            encode(&key),
            encode(&summary)
        ),
        link_href: format!("/jira/link-flag?issueKey={}", encode(&key)),
        status: cached.as_ref().map(|(c, _)| c.status.clone()).unwrap_or_default(),
        url: cached.map(|(_, u)| u),
        summary,
        headline,
        flags: views.into_iter().map(|v| flag_card(v, now)).collect(),
        notice,
        key,
        heading: 2,
    };
    html(StatusCode::OK, &page)
}

/// `GET /issues/{key}`.
pub(crate) async fn issue_page(
    State(state): State<AppState>,
    _jira: FromJira,
    UiUser(user): UiUser,
    Path(key): Path<String>,
    Query(q): Query<IssueQuery>,
) -> Result<Response, UiError> {
    render_issue(&state, &user, &key, linked_notice(&q.linked)).await
}

fn linked_notice(linked: &str) -> Option<String> {
    (!linked.is_empty()).then(|| format!("Connected {linked} to this issue."))
}

/// `GET /jira/issue-flags?issueKey=`: Jira's "list flags" action.
pub(crate) async fn issue_flags_page(
    State(state): State<AppState>,
    _jira: FromJira,
    UiUser(user): UiUser,
    Query(q): Query<IssueQuery>,
) -> Result<Response, UiError> {
    render_issue(&state, &user, &q.issue_key, linked_notice(&q.linked)).await
}

/// `POST /issues/{key}/unlink`: disconnect one flag from the issue's side.
pub(crate) async fn unlink_from_issue(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(key): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let (project, flag) = (field(&fields, "project"), field(&fields, "flag"));
    let path = format!("/issues/{key}");
    let (_, f) = load_flag(&state, &user, project, flag, &path).await?;
    super::unlink(&state, &user, project, &f, &key).await?;
    let key = read_key(&key).unwrap_or_else(|typed| typed);
    Ok(Redirect::to(&format!("/issues/{key}")).into_response())
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "jira_create_flag.html")]
struct CreateFlagPage {
    nav: Nav,
    version: &'static str,
    issue_key: String,
    issue_summary: String,
    projects: Vec<Choice>,
    name: String,
    key: String,
    description: String,
    kinds: Vec<Choice>,
    errors: BTreeMap<&'static str, String>,
}

/// The kind choices, `chosen` selected (boolean when none is).
fn kind_choices(chosen: &str) -> Vec<Choice> {
    KINDS
        .iter()
        .map(|k| Choice {
            value: k.key.to_owned(),
            label: k.label.to_owned(),
            selected: k.key == chosen || (chosen.is_empty() && k.key == "boolean"),
        })
        .collect()
}

impl CreateFlagPage {
    fn err(&self, name: &str) -> Option<&str> {
        self.errors.get(name).map(String::as_str)
    }
}

/// A flag key from an issue summary: lower case, words joined by `-`, at most 64.
pub(crate) fn slug(summary: &str) -> String {
    let mut out = String::new();
    for c in summary.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out: String = out.trim_end_matches('-').chars().take(64).collect();
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The projects a person may create flags in, the one chosen selected, else the
/// first reporting to `site` (the Jira the page was opened from), else the
/// first reporting to any site.
async fn project_choices(
    state: &AppState,
    user: &Caller,
    chosen: &str,
    site: Option<i64>,
) -> Result<Vec<Choice>, UiError> {
    let mut choices = Vec::new();
    for p in state.store.list_projects().await.map_err(store)? {
        if !can_view(user, &p.key) {
            continue;
        }
        let reports_to = state.store.project_jira(&p.key).await.map_err(store)?.map(|t| t.site_id);
        let label = match reports_to {
            Some(_) => p.name.clone(),
            None => format!("{} (no Jira site)", p.name),
        };
        choices.push((p.key, label, reports_to));
    }
    let pick = if choices.iter().any(|(k, _, _)| k == chosen) {
        chosen.to_owned()
    } else {
        choices
            .iter()
            .find(|(_, _, s)| site.is_some() && *s == site)
            .or_else(|| choices.iter().find(|(_, _, s)| s.is_some()))
            .or(choices.first())
            .map(|c| c.0.clone())
            .unwrap_or_default()
    };
    Ok(choices
        .into_iter()
        .map(|(value, label, _)| Choice { selected: value == pick, value, label })
        .collect())
}

/// `GET /jira/create-flag?issueKey=&issueSummary=`: Jira's "Create feature flag".
pub(crate) async fn create_flag_form(
    State(state): State<AppState>,
    FromJira(jira): FromJira,
    UiUser(user): UiUser,
    Query(q): Query<IssueQuery>,
) -> Result<Response, UiError> {
    let read = read_key(&q.issue_key);
    let issue_key = read.clone().unwrap_or_else(|typed| typed);
    let mut errors = BTreeMap::new();
    if read.is_err() {
        errors.insert(
            "issue",
            "Open this page from a Jira issue: it needs the issue's key (issueKey=SHOP-123)."
                .into(),
        );
    }
    let page = CreateFlagPage {
        nav: nav_for("/flags", &user),
        version: VERSION,
        projects: project_choices(&state, &user, "", jira.map(|(site, _)| site.id)).await?,
        name: q.issue_summary.trim().to_owned(),
        key: slug(&q.issue_summary),
        description: String::new(),
        kinds: kind_choices(""),
        issue_summary: q.issue_summary.trim().to_owned(),
        issue_key,
        errors,
    };
    let status =
        if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    html(status, &page)
}

/// `POST /jira/create-flag`: creates a flag of the chosen kind linked to the issue.
pub(crate) async fn create_flag(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let issue_key = read_key(field(&fields, "issue_key")).unwrap_or_else(|typed| typed);
    let project = field(&fields, "project").trim().to_owned();
    let name = field(&fields, "name").trim().to_owned();
    let key = field(&fields, "key").trim().to_owned();
    let description = field(&fields, "description").trim().to_owned();
    let mut errors: BTreeMap<&'static str, String> = BTreeMap::new();
    if project.is_empty() {
        errors.insert("project", "Choose a project.".into());
    }
    if let Err(ApiError::Invalid { message, .. }) = crate::admin::check_key("key", &key) {
        errors.insert("key", message);
    }
    let chars = name.chars().count();
    if !(1..=200).contains(&chars) {
        errors.insert("name", "A name must have 1 to 200 characters.".into());
    }
    let kind = field(&fields, "kind").trim().to_owned();
    let Some((flag, config)) = new_flag(&kind, &key, &name, &description, &issue_key) else {
        return Err(UiError::Other(ApiError::invalid(
            "kind",
            "expected boolean, string, number or json",
        )));
    };
    if errors.is_empty() {
        match crate::flags::create(&state, &user, &project, &flag, Some(config)).await {
            Ok(_) => {
                let to = format!("/flags/{project}/{key}?tab={}", super::panel::TAB.key);
                return Ok(Redirect::to(&to).into_response());
            }
            Err(ApiError::Forbidden(why)) => return Err(UiError::Forbidden(why)),
            Err(ApiError::Invalid { field, message }) if field.starts_with("custom_properties") => {
                errors.insert("issue", message);
            }
            Err(ApiError::Conflict(_)) => {
                errors.insert("key", format!("Project {project:?} already has a flag {key:?}."));
            }
            Err(ApiError::NotFound(_)) => {
                errors.insert("project", format!("There is no project {project:?}."));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let page = CreateFlagPage {
        nav: nav_for("/flags", &user),
        version: VERSION,
        projects: project_choices(&state, &user, &project, None).await?,
        issue_summary: field(&fields, "issue_summary").to_owned(),
        issue_key,
        name,
        key,
        description,
        kinds: kind_choices(&kind),
        errors,
    };
    html(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// A kind a flag created from an issue may be, with the variations it starts with (edited on
/// the flag's page afterwards): the first is the off variation, the second what the default
/// rule serves.
struct NewKind {
    key: &'static str,
    kind: FlagKind,
    label: &'static str,
    /// (key, name, value as JSON text)
    variations: [(&'static str, &'static str, &'static str); 2],
}

const KINDS: [NewKind; 4] = [
    NewKind {
        key: "boolean",
        kind: FlagKind::Boolean,
        label: "Boolean (on/off)",
        variations: [("off", "Off", "false"), ("on", "On", "true")],
    },
    NewKind {
        key: "string",
        kind: FlagKind::String,
        label: "String",
        variations: [
            ("control", "Control", "\"control\""),
            ("treatment", "Treatment", "\"treatment\""),
        ],
    },
    NewKind {
        key: "number",
        kind: FlagKind::Number,
        label: "Number",
        variations: [("zero", "Zero", "0"), ("one", "One", "1")],
    },
    NewKind {
        key: "json",
        kind: FlagKind::Json,
        label: "JSON",
        variations: [("off", "Off", "{}"), ("on", "On", "{\"enabled\": true}")],
    },
];

/// A new flag of `kind` linked to `issue`, and its configuration: off everywhere, serving its
/// second variation once turned on. `None` for a kind there is not.
fn new_flag(
    kind: &str,
    key: &str,
    name: &str,
    description: &str,
    issue: &str,
) -> Option<(Flag, EnvConfig)> {
    let kind = if kind.is_empty() { "boolean" } else { kind };
    let NewKind { kind: flag_kind, variations, .. } = KINDS.iter().find(|k| k.key == kind)?;
    let mut custom_properties = BTreeMap::new();
    custom_properties.insert(
        tether_flags::JIRA_ISSUES_PROPERTY.to_owned(),
        CustomProperty { name: "Jira issues".to_owned(), values: vec![issue.to_owned()] },
    );
    let flag = Flag {
        key: key.to_owned(),
        name: name.to_owned(),
        description: description.to_owned(),
        kind: *flag_kind,
        variations: variations
            .iter()
            .map(|(k, n, v)| Variation {
                key: (*k).to_owned(),
                name: (*n).to_owned(),
                value: serde_json::from_str(v).expect("the table's values are JSON"),
            })
            .collect(),
        tags: vec![],
        custom_properties,
    };
    let config = EnvConfig {
        on: false,
        off_variation: variations[0].0.to_owned(),
        targets: vec![],
        rules: vec![],
        default_rule: Serve::Variation(variations[1].0.to_owned()),
    };
    Some((flag, config))
}

struct FlagOption {
    project: String,
    project_name: String,
    key: String,
    name: String,
    linked: bool,
}

#[derive(Template)]
#[template(path = "jira_link_flag.html")]
struct LinkFlagPage {
    nav: Nav,
    version: &'static str,
    issue_key: String,
    q: String,
    flags: Vec<FlagOption>,
    total: usize,
    error: Option<String>,
}

/// How many flags the chooser lists at most.
const CHOICES: usize = 50;

/// The Jira sites the issue belongs to: the one whose Connect JWT opened the page, else the
/// sites tether has seen the issue on; `None` when neither says.
async fn issue_sites(
    state: &AppState,
    opened_from: Option<i64>,
    issue_key: &str,
) -> Result<Option<Vec<i64>>, UiError> {
    if let Some(site) = opened_from {
        return Ok(Some(vec![site]));
    }
    let mut seen = Vec::new();
    for site in state.store.list_jira_sites().await.map_err(store)? {
        if state.store.cached_issue(site.id, issue_key).await.map_err(store)?.is_some() {
            seen.push(site.id);
        }
    }
    Ok((!seen.is_empty()).then_some(seen))
}

/// The chooser: flags of the projects reporting to the issue's site (all the caller may view
/// when the site is not known), matching `q`.
async fn render_link(
    state: &AppState,
    user: &Caller,
    issue_key: String,
    q: String,
    error: Option<String>,
    status: StatusCode,
    opened_from: Option<i64>,
) -> Result<Response, UiError> {
    let needle = q.trim().to_lowercase();
    let sites = issue_sites(state, opened_from, &issue_key).await?;
    let mut flags = Vec::new();
    let mut total = 0;
    for p in state.store.list_projects().await.map_err(store)? {
        if !can_view(user, &p.key) {
            continue;
        }
        if let Some(sites) = &sites {
            let reports_to = state.store.project_jira(&p.key).await.map_err(store)?;
            if !reports_to.is_some_and(|t| sites.contains(&t.site_id)) {
                continue;
            }
        }
        for f in state.store.list_flags(&p.key).await.map_err(store)? {
            let matches = needle.is_empty()
                || f.flag.key.to_lowercase().contains(&needle)
                || f.flag.name.to_lowercase().contains(&needle);
            if !matches {
                continue;
            }
            total += 1;
            if flags.len() < CHOICES {
                flags.push(FlagOption {
                    project: p.key.clone(),
                    project_name: p.name.clone(),
                    linked: f.flag.jira_issues().contains(&issue_key),
                    key: f.flag.key,
                    name: f.flag.name,
                });
            }
        }
    }
    let error = error.or_else(|| {
        read_key(&issue_key).is_err().then(|| {
            "Open this page from a Jira issue: it needs the issue's key (issueKey=SHOP-123)."
                .to_owned()
        })
    });
    let page = LinkFlagPage {
        nav: nav_for("/flags", user),
        version: VERSION,
        issue_key,
        q,
        flags,
        total,
        error,
    };
    html(status, &page)
}

/// `GET /jira/link-flag?issueKey=&q=`: Jira's "Connect feature flag".
pub(crate) async fn link_flag_form(
    State(state): State<AppState>,
    FromJira(jira): FromJira,
    UiUser(user): UiUser,
    Query(q): Query<IssueQuery>,
) -> Result<Response, UiError> {
    let issue_key = read_key(&q.issue_key).unwrap_or_else(|typed| typed);
    let site = jira.map(|(site, _)| site.id);
    render_link(&state, &user, issue_key, q.q, None, StatusCode::OK, site).await
}

/// `POST /jira/link-flag`: links the chosen flag, then shows the issue's flags.
pub(crate) async fn link_flag(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let issue_key = read_key(field(&fields, "issue_key")).unwrap_or_else(|typed| typed);
    let (project, flag) = (field(&fields, "project"), field(&fields, "flag"));
    let q = field(&fields, "q").to_owned();
    let path = "/jira/link-flag".to_owned();
    let (_, f) = load_flag(&state, &user, project, flag, &path).await?;
    match super::link(&state, &user, project, &f, &issue_key).await {
        Ok((issue, _)) => {
            let to = format!(
                "/jira/issue-flags?issueKey={}&linked={}",
                encode(&issue.issue_key),
                encode(&f.flag.name)
            );
            Ok(Redirect::to(&to).into_response())
        }
        Err(ApiError::Forbidden(why)) => Err(UiError::Forbidden(why)),
        Err(e @ (ApiError::Invalid { .. } | ApiError::Conflict(_) | ApiError::Unavailable(_))) => {
            let status = e.status_and_code().0;
            render_link(&state, &user, issue_key, q, Some(e.to_string()), status, None).await
        }
        Err(e) => Err(UiError::Other(e)),
    }
}

#[cfg(test)]
mod tests;
