//! The Jira side of the web UI, every form working without JavaScript:
//!
//! - `/jira`: issues linked to flags, the Jira sites (an add form per kind, a
//!   connection test, removal) and, per project, its site and tracked environments;
//! - the flag page's Integrations tab (its panel is rendered here): connect an
//!   issue by key (checked against Jira; a refusal comes back inline), the
//!   connected issues with summary and status, disconnect, the delivery state;
//! - `/issues/{KEY}` and `/jira/issue-flags?issueKey=`: what Jira shows of an
//!   issue's flags;
//! - the pages Jira's "Create feature flag" and "Connect feature flag" open:
//!   `/jira/create-flag?issueKey=&issueSummary=` and `/jira/link-flag?issueKey=`.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tether_flags::{CustomProperty, EnvConfig, Flag, FlagKind, Serve, Variation};
use tether_policy::{Action, Named, Resource, can_view_project};
use tether_store::{FlagState, Project, StoreError, now_ms};
use tether_sync::jira::FlagView;

use super::api::{ReportView, SiteBody, build_site, link_issue, run_test, store_invalid};
use super::connect::FromJira;
use super::{
    FlagLinks, SyncState, check_issues, default_tracking, find_issues, flag_links, is_issue_key,
    issue_flag_views, normalize_key,
};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::flags::ui::integrations_page;
use crate::web::csrf::refuse_cross_site;
use crate::web::format::{absolute_time, iso_time, relative_time};
use crate::web::page::{UiError, field, html};
use crate::web::signin::UiUser;
use crate::web::{NavItem, nav, not_found_page};
use crate::{AppState, VERSION};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/jira", get(page))
        .route("/jira/sites", post(add_site))
        .route("/jira/sites/{name}/test", post(test_site))
        .route("/jira/sites/{name}/delete", post(delete_site))
        .route("/jira/projects/{project}", post(set_project))
        .route("/jira/create-flag", get(create_flag_form).post(create_flag))
        .route("/jira/link-flag", get(link_flag_form).post(link_flag))
        .route("/jira/issue-flags", get(issue_flags_page))
        .route("/issues/{key}", get(issue_page))
        .route("/issues/{key}/unlink", post(unlink_from_issue))
        .route("/flags/{project}/{flag}/jira/link", post(link_from_flag))
        .route("/flags/{project}/{flag}/jira/unlink", post(unlink_from_flag))
}

fn forbidden(e: ApiError) -> UiError {
    match e {
        ApiError::Forbidden(why) => UiError::Forbidden(why),
        other => UiError::Other(other),
    }
}

fn store(e: StoreError) -> UiError {
    UiError::Other(e.into())
}

fn can_view(user: &Caller, project: &str) -> bool {
    can_view_project(&user.principal, &Named::new(project.to_owned()))
}

/// `?issueKey=…` as Jira sends it (other context parameters are ignored).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct IssueQuery {
    #[serde(default, rename = "issueKey")]
    issue_key: String,
    #[serde(default, rename = "issueSummary")]
    issue_summary: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    linked: String,
}

struct Saved {
    relative: String,
    absolute: String,
    iso: String,
}

fn saved(at: i64, now: i64) -> Saved {
    Saved { relative: relative_time(at, now), absolute: absolute_time(at), iso: iso_time(at) }
}

// ---------------------------------------------------------------- the flag's Integrations tab

struct IssueRow {
    key: String,
    summary: String,
    status: String,
    /// `new`, `indeterminate`, `done` or empty when unknown.
    category: String,
    url: Option<String>,
    unknown: bool,
    fetched: Option<Saved>,
}

struct SyncRow {
    /// `pending`, `synced` or `failing`.
    state: &'static str,
    text: String,
    pushed: Option<Saved>,
    pushed_keys: String,
    pushed_envs: String,
    unknown: Vec<String>,
    failures: Vec<String>,
}

#[derive(Template)]
#[template(path = "jira_flag_panel.html")]
struct FlagPanel {
    base: String,
    site_name: Option<String>,
    site_url: String,
    tracked: String,
    issues: Vec<IssueRow>,
    typed: String,
    error: Option<String>,
    sync: Option<SyncRow>,
}

/// What a failed "Connect Jira issue" puts back: the key as typed and why.
pub(crate) struct PanelInput {
    typed: String,
    error: String,
}

fn sync_row(s: SyncState, now: i64) -> SyncRow {
    let (state, text) = if let Some(e) = &s.last_error {
        ("failing", format!("The last delivery to Jira failed: {e}. tether keeps retrying."))
    } else if !s.failures.is_empty() {
        ("failing", "Jira refused this flag's last delivery.".to_owned())
    } else if s.pending() {
        ("pending", "A change is waiting to be delivered to Jira.".to_owned())
    } else {
        ("synced", "Jira shows this flag's current state.".to_owned())
    };
    SyncRow {
        state,
        text,
        pushed: s.pushed_at.map(|t| saved(t, now)),
        pushed_keys: s.pushed_issue_keys.join(", "),
        pushed_envs: s.pushed_environments.join(", "),
        failures: s
            .failures
            .iter()
            .map(|(id, messages)| format!("{id}: {}", messages.join("; ")))
            .collect(),
        unknown: s.unknown_issue_keys,
    }
}

/// The Integrations tab's Jira panel for a flag.
pub(crate) async fn flag_panel(
    state: &AppState,
    p: &Project,
    f: &FlagState,
    input: Option<PanelInput>,
) -> Result<String, UiError> {
    let now = now_ms();
    let FlagLinks { site, tracking, issues, sync } =
        flag_links(state, &p.key, f).await.map_err(store)?;
    let env_name = |k: &str| {
        p.environments.iter().find(|e| e.key == k).map_or_else(|| k.to_owned(), |e| e.name.clone())
    };
    let tracked = tracking
        .map(|t| {
            t.tracked
                .iter()
                .map(|k| {
                    if *k == t.primary_env {
                        format!("{} (primary)", env_name(k))
                    } else {
                        env_name(k)
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let (typed, error) = input.map_or((String::new(), None), |i| (i.typed, Some(i.error)));
    let panel = FlagPanel {
        base: format!("/flags/{}/{}", p.key, f.flag.key),
        site_url: site.as_ref().map(|s| s.url.clone()).unwrap_or_default(),
        site_name: site.map(|s| s.name),
        tracked,
        issues: issues
            .into_iter()
            .map(|i| IssueRow {
                summary: i.cached.as_ref().map(|c| c.summary.clone()).unwrap_or_default(),
                status: i.cached.as_ref().map(|c| c.status.clone()).unwrap_or_default(),
                category: i.cached.as_ref().map(|c| c.status_category.clone()).unwrap_or_default(),
                fetched: i.cached.as_ref().map(|c| saved(c.fetched_at, now)),
                key: i.key,
                url: i.url,
                unknown: i.unknown,
            })
            .collect(),
        typed,
        error,
        sync: sync.map(|s| sync_row(s, now)),
    };
    panel.render().map_err(|e| UiError::Other(ApiError::internal(e)))
}

async fn load_flag(
    state: &AppState,
    user: &Caller,
    project: &str,
    key: &str,
    path: &str,
) -> Result<(Project, FlagState), UiError> {
    user.require(Action::ViewProject, &Resource::Project(Named::new(project)))
        .map_err(forbidden)?;
    let missing = |e: StoreError| match e {
        StoreError::NotFound => UiError::NotFound(path.to_owned()),
        other => store(other),
    };
    let p = state.store.project(project).await.map_err(missing)?;
    let f = state.store.flag(project, key).await.map_err(missing)?;
    Ok((p, f))
}

/// `POST /flags/{project}/{flag}/jira/link`: connect an issue by key.
pub(crate) async fn link_from_flag(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((project, key)): Path<(String, String)>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    refuse_cross_site(&headers)?;
    let path = format!("/flags/{project}/{key}");
    let (p, f) = load_flag(&state, &user, &project, &key, &path).await?;
    let typed = field(&fields, "issue").trim().to_owned();
    let error = if typed.is_empty() {
        Some((
            StatusCode::UNPROCESSABLE_ENTITY,
            "Type the key of a Jira issue, like SHOP-123.".into(),
        ))
    } else {
        match link_issue(&state, &user, &project, &f, &typed).await {
            Ok(_) => None,
            Err(ApiError::Forbidden(why)) => return Err(UiError::Forbidden(why)),
            Err(
                e @ (ApiError::Invalid { .. } | ApiError::Conflict(_) | ApiError::Unavailable(_)),
            ) => Some((e.status_and_code().0, e.to_string())),
            Err(e) => return Err(UiError::Other(e)),
        }
    };
    match error {
        None => Ok(Redirect::to(&format!("{path}?tab=integrations")).into_response()),
        Some((status, error)) => {
            let panel = flag_panel(&state, &p, &f, Some(PanelInput { typed, error })).await?;
            integrations_page(&state, &p, &f, panel, status).await
        }
    }
}

/// `POST /flags/{project}/{flag}/jira/unlink`: disconnect an issue.
pub(crate) async fn unlink_from_flag(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((project, key)): Path<(String, String)>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    refuse_cross_site(&headers)?;
    let path = format!("/flags/{project}/{key}");
    let (_, f) = load_flag(&state, &user, &project, &key, &path).await?;
    unlink(&state, &user, &project, &f, field(&fields, "issue")).await?;
    Ok(Redirect::to(&format!("{path}?tab=integrations")).into_response())
}

async fn unlink(
    state: &AppState,
    user: &Caller,
    project: &str,
    f: &FlagState,
    issue: &str,
) -> Result<(), UiError> {
    let resource = Resource::Flag {
        project: Named::new(project),
        env: None,
        flag: Named::with_tags(f.flag.key.clone(), f.flag.tags.iter().cloned()),
    };
    user.require(Action::DeleteFlagLink, &resource).map_err(forbidden)?;
    state
        .store
        .unlink_flag_issue(project, &f.flag.key, &normalize_key(issue), &user.actor())
        .await
        .map_err(store)?;
    super::api::refresh(state, project).await;
    Ok(())
}

// ---------------------------------------------------------------- the /jira page

struct FlagChip {
    name: String,
    href: String,
    on: bool,
    environment: String,
}

struct FoundRow {
    key: String,
    href: String,
    summary: String,
    status: String,
    flags: Vec<FlagChip>,
}

struct SiteRow {
    name: String,
    url: String,
    kind: &'static str,
    user: String,
    deployment: String,
    enabled: bool,
    report: Option<ReportView>,
}

/// The add form of one kind of site, as typed, with the field that was refused.
struct KindForm {
    kind: &'static str,
    title: &'static str,
    help: &'static str,
    user_label: &'static str,
    secret_label: &'static str,
    values: BTreeMap<String, String>,
    error: Option<(String, String)>,
}

impl KindForm {
    fn value(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    /// The refusal, when it is about `name`.
    fn err(&self, name: &str) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| f == name).map(|(_, m)| m.as_str())
    }

    /// A refusal about no field of the form.
    fn general_error(&self) -> Option<&str> {
        const FIELDS: [&str; 8] = [
            "name",
            "url",
            "api_url",
            "user",
            "secret",
            "access_token",
            "options.token_url",
            "options.gateway_url",
        ];
        self.error.as_ref().filter(|(f, _)| !FIELDS.contains(&f.as_str())).map(|(_, m)| m.as_str())
    }

    fn is_oauth1(&self) -> bool {
        self.kind == "oauth1"
    }

    fn is_oauth2(&self) -> bool {
        self.kind == "oauth2"
    }

    fn has_user(&self) -> bool {
        !self.user_label.is_empty()
    }
}

fn kind_forms() -> Vec<KindForm> {
    let form = |kind, title, help, user_label, secret_label| KindForm {
        kind,
        title,
        help,
        user_label,
        secret_label,
        values: BTreeMap::new(),
        error: None,
    };
    vec![
        form(
            "api_token",
            "Jira Cloud: email and API token",
            "An Atlassian account's email with an API token (id.atlassian.com → Security → API tokens).",
            "Email",
            "API token",
        ),
        form(
            "oauth2",
            "Jira Cloud: OAuth 2.0 client credentials",
            "Credentials a site admin creates for self-hosted tools; calls go through Atlassian's gateway.",
            "Client id",
            "Client secret",
        ),
        form(
            "pat",
            "Jira Data Center: personal access token",
            "A token from your Jira profile → Personal Access Tokens (Jira 8.14 and later).",
            "",
            "Personal access token",
        ),
        form(
            "password",
            "Jira Data Center: username and password",
            "A Jira account's login. Repeated failures make Jira demand a CAPTCHA.",
            "Username",
            "Password",
        ),
        form(
            "oauth1",
            "Jira Data Center: OAuth 1.0a application link",
            "The consumer key and RSA private key of an application link, and an access token from its three-legged flow.",
            "Consumer key",
            "RSA private key (PEM)",
        ),
    ]
}

struct EnvCheck {
    key: String,
    name: String,
    checked: bool,
}

struct ProjectRow {
    key: String,
    name: String,
    site: String,
    tracked_text: String,
    envs: Vec<EnvCheck>,
    primary: String,
    primary_options: Vec<(String, String)>,
    version: i64,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "jira.html")]
struct JiraPage {
    nav: Vec<NavItem>,
    version: &'static str,
    notice: Option<String>,
    issues: Vec<FoundRow>,
    sites: Vec<SiteRow>,
    site_names: Vec<String>,
    forms: Vec<KindForm>,
    open_form: String,
    projects: Vec<ProjectRow>,
    connect_url: String,
}

/// What a POST puts back on the `/jira` page.
#[derive(Default)]
struct JiraEdit {
    notice: Option<String>,
    report: Option<ReportView>,
    form: Option<KindForm>,
    project_error: Option<(String, String)>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct JiraQuery {
    #[serde(default)]
    saved: String,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Query(q): Query<JiraQuery>,
) -> Result<Response, UiError> {
    let notice = match q.saved.as_str() {
        "" => None,
        "site" => Some("Saved the Jira site.".to_owned()),
        "removed" => Some("Removed the Jira site.".to_owned()),
        "project" => Some("Saved the project's Jira settings.".to_owned()),
        _ => Some("Saved.".to_owned()),
    };
    render_jira(&state, &user, JiraEdit { notice, ..JiraEdit::default() }, StatusCode::OK).await
}

async fn render_jira(
    state: &AppState,
    user: &Caller,
    edit: JiraEdit,
    status: StatusCode,
) -> Result<Response, UiError> {
    let visible = |p: &str| can_view(user, p);
    let found = find_issues(state, None, None, None, visible).await.map_err(store)?;
    let issues = found
        .into_iter()
        .map(|i| FoundRow {
            href: format!("/issues/{}", i.issue),
            summary: i.cached.as_ref().map(|(c, _)| c.summary.clone()).unwrap_or_default(),
            status: i.cached.as_ref().map(|(c, _)| c.status.clone()).unwrap_or_default(),
            key: i.issue,
            flags: i
                .flags
                .into_iter()
                .map(|f| FlagChip {
                    href: format!("/flags/{}/{}", f.project, f.flag),
                    name: f.name,
                    on: f.enabled,
                    environment: f.environment,
                })
                .collect(),
        })
        .collect();
    let all_sites = state.store.list_jira_sites().await.map_err(store)?;
    let mut report = edit.report;
    let sites: Vec<SiteRow> = all_sites
        .iter()
        .filter(|s| user.can(Action::ViewIntegration, &Resource::Integration(Named::new(&s.name))))
        .map(|s| SiteRow {
            name: s.name.clone(),
            url: s.url.clone(),
            kind: s.auth_kind.as_str(),
            user: s.auth_user.clone(),
            deployment: match s.deployment.as_deref() {
                Some("cloud") => "Cloud".to_owned(),
                Some("dc") => "Data Center".to_owned(),
                _ => "not yet detected".to_owned(),
            },
            enabled: s.enabled,
            report: report.take_if(|r| r.site == s.name),
        })
        .collect();
    let mut forms = kind_forms();
    let mut open_form = String::new();
    if let Some(posted) = edit.form {
        open_form = posted.kind.to_owned();
        if let Some(slot) = forms.iter_mut().find(|f| f.kind == posted.kind) {
            *slot = posted;
        }
    }
    let mut projects = Vec::new();
    for p in state.store.list_projects().await.map_err(store)? {
        if !can_view(user, &p.key) {
            continue;
        }
        let tracking = state.store.project_jira(&p.key).await.map_err(store)?;
        let site = match &tracking {
            Some(t) => all_sites.iter().find(|s| s.id == t.site_id).map(|s| s.name.clone()),
            None => None,
        };
        let (tracked, primary_env) = match &tracking {
            Some(t) => (t.tracked.clone(), t.primary_env.clone()),
            None => default_tracking(&p),
        };
        let name_of = |k: &str| {
            p.environments
                .iter()
                .find(|e| e.key == k)
                .map_or_else(|| k.to_owned(), |e| e.name.clone())
        };
        let tracked_text = match &site {
            Some(s) => format!(
                "Reports to {s}; Jira shows {}.",
                tracked
                    .iter()
                    .map(|k| if *k == primary_env {
                        format!("{} (primary)", name_of(k))
                    } else {
                        name_of(k)
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => "Reports to no Jira site: its flags cannot be connected to issues yet.".into(),
        };
        let error =
            edit.project_error.as_ref().filter(|(key, _)| *key == p.key).map(|(_, m)| m.clone());
        projects.push(ProjectRow {
            site: site.unwrap_or_default(),
            tracked_text,
            envs: p
                .environments
                .iter()
                .map(|e| EnvCheck {
                    key: e.key.clone(),
                    name: e.name.clone(),
                    checked: tracked.contains(&e.key),
                })
                .collect(),
            primary: tracking.as_ref().and_then(|t| t.primary.clone()).unwrap_or_default(),
            primary_options: p
                .environments
                .iter()
                .map(|e| (e.key.clone(), e.name.clone()))
                .collect(),
            version: tracking.as_ref().map_or(0, |t| t.version),
            key: p.key.clone(),
            name: p.name.clone(),
            error,
        });
    }
    let page = JiraPage {
        nav: nav("/jira"),
        version: VERSION,
        notice: edit.notice,
        issues,
        site_names: sites.iter().map(|s| s.name.clone()).collect(),
        sites,
        forms,
        open_form,
        projects,
        connect_url: format!("{}/atlassian-connect.json", state.config.public_url),
    };
    html(status, &page)
}

/// `POST /jira/sites`: one of the add forms.
pub(crate) async fn add_site(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    refuse_cross_site(&headers)?;
    let kind = field(&fields, "kind");
    let Some(mut form) = kind_forms().into_iter().find(|f| f.kind == kind) else {
        return Err(UiError::Other(ApiError::BadRequest(format!("unknown site kind {kind:?}"))));
    };
    // Typed values come back; secrets never do.
    for name in ["name", "url", "api_url", "user", "token_url", "gateway_url"] {
        form.values.insert(name.to_owned(), field(&fields, name).trim().to_owned());
    }
    let name = form.value("name").to_owned();
    let refuse = |mut form: KindForm, field: &str, message: String| {
        form.error = Some((field.to_owned(), message));
        form
    };
    if let Err(ApiError::Invalid { field, message }) = crate::admin::check_key("name", &name) {
        let edit = JiraEdit { form: Some(refuse(form, &field, message)), ..JiraEdit::default() };
        return render_jira(&state, &user, edit, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    user.require(Action::CreateIntegration, &Resource::Integration(Named::new(&name)))
        .map_err(forbidden)?;
    let optional = |k: &str| Some(field(&fields, k).trim()).filter(|v| !v.is_empty());
    let mut options = serde_json::Map::new();
    for k in ["token_url", "gateway_url"] {
        if let Some(v) = optional(k) {
            options.insert(k.into(), v.into());
        }
    }
    let body = json!({
        "name": name,
        "url": form.value("url"),
        "api_url": optional("api_url"),
        "kind": kind,
        "user": form.value("user"),
        "secret": optional("secret"),
        "access_token": optional("access_token"),
        "options": Value::Object(options),
    });
    let body: SiteBody = serde_json::from_value(body).map_err(ApiError::internal)?;
    let new = match build_site(name.clone(), body, None) {
        Ok(new) => new,
        Err(ApiError::Invalid { field, message }) => {
            let edit =
                JiraEdit { form: Some(refuse(form, &field, message)), ..JiraEdit::default() };
            return render_jira(&state, &user, edit, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        Err(e) => return Err(UiError::Other(e)),
    };
    match state.store.create_jira_site(&new, &user.actor()).await {
        Ok(_) => Ok(Redirect::to("/jira?saved=site").into_response()),
        Err(StoreError::Conflict(m)) => {
            let edit = JiraEdit { form: Some(refuse(form, "name", m)), ..JiraEdit::default() };
            render_jira(&state, &user, edit, StatusCode::CONFLICT).await
        }
        Err(e) => Err(store(e)),
    }
}

async fn site_named(state: &AppState, name: &str) -> Result<tether_store::JiraSite, UiError> {
    match state.store.jira_site_by_name(name).await {
        Ok(s) => Ok(s),
        Err(StoreError::NotFound) => Err(UiError::NotFound(format!("/jira/sites/{name}"))),
        Err(e) => Err(store(e)),
    }
}

/// `POST /jira/sites/{name}/test`: the page again, with the connection report.
pub(crate) async fn test_site(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    refuse_cross_site(&headers)?;
    user.require(Action::ViewIntegration, &Resource::Integration(Named::new(&name)))
        .map_err(forbidden)?;
    let site = site_named(&state, &name).await?;
    let report = run_test(&state, &site, None).await?;
    render_jira(
        &state,
        &user,
        JiraEdit { report: Some(report), ..JiraEdit::default() },
        StatusCode::OK,
    )
    .await
}

/// `POST /jira/sites/{name}/delete`.
pub(crate) async fn delete_site(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    refuse_cross_site(&headers)?;
    user.require(Action::DeleteIntegration, &Resource::Integration(Named::new(&name)))
        .map_err(forbidden)?;
    let site = site_named(&state, &name).await?;
    match state.store.delete_jira_site(site.id, &user.actor()).await {
        Ok(_) => {
            state.jira.forget(site.id).await;
            Ok(Redirect::to("/jira?saved=removed").into_response())
        }
        Err(StoreError::Conflict(m)) => {
            let edit =
                JiraEdit { notice: Some(format!("Not removed: {m}.")), ..JiraEdit::default() };
            render_jira(&state, &user, edit, StatusCode::CONFLICT).await
        }
        Err(e) => Err(store(e)),
    }
}

/// `POST /jira/projects/{project}`: the project's site and tracked environments.
pub(crate) async fn set_project(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(project): Path<String>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    refuse_cross_site(&headers)?;
    user.require(Action::UpdateProject, &Resource::Project(Named::new(project.clone())))
        .map_err(forbidden)?;
    let p = match state.store.project(&project).await {
        Ok(p) => p,
        Err(StoreError::NotFound) => {
            return Err(UiError::NotFound(format!("/jira/projects/{project}")));
        }
        Err(e) => return Err(store(e)),
    };
    let refuse = |message: String| JiraEdit {
        project_error: Some((project.clone(), message)),
        ..JiraEdit::default()
    };
    let site_name = field(&fields, "site").trim();
    if site_name.is_empty() {
        state.store.clear_project_jira(&project, &user.actor()).await.map_err(store)?;
        return Ok(Redirect::to("/jira?saved=project").into_response());
    }
    let site = match state.store.jira_site_by_name(site_name).await {
        Ok(s) => s,
        Err(StoreError::NotFound) => {
            let edit = refuse(format!("There is no Jira site named {site_name:?}."));
            return render_jira(&state, &user, edit, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        Err(e) => return Err(store(e)),
    };
    let checked: Vec<String> =
        fields.iter().filter(|(k, _)| k == "env").map(|(_, v)| v.clone()).collect();
    // The default set stays "the default", so new production environments join it.
    let environments = if checked == default_tracking(&p).0 { None } else { Some(checked) };
    let primary = Some(field(&fields, "primary").trim()).filter(|v| !v.is_empty());
    let version = field(&fields, "version").trim().parse::<i64>().ok().filter(|v| *v > 0);
    match state
        .store
        .set_project_jira(
            &project,
            site.id,
            environments.as_deref(),
            primary,
            version,
            &user.actor(),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/jira?saved=project").into_response()),
        Err(StoreError::VersionMismatch { .. }) => {
            let edit = refuse(
                "Not saved: someone changed this project's Jira settings meanwhile; they are \
                 shown below, make your change again if it is still wanted."
                    .into(),
            );
            render_jira(&state, &user, edit, StatusCode::CONFLICT).await
        }
        Err(e @ StoreError::Invalid(_)) => {
            let message = match store_invalid(e) {
                ApiError::Invalid { field, message } if field.starts_with("environments") => {
                    format!("Tracked environments: {message}")
                }
                ApiError::Invalid { field, message } if field == "primary_environment" => {
                    format!("Primary environment: {message}")
                }
                other => other.to_string(),
            };
            render_jira(&state, &user, refuse(message), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(store(e)),
    }
}

// ---------------------------------------------------------------- one issue, as Jira shows it

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
    nav: Vec<NavItem>,
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
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn render_issue(
    state: &AppState,
    user: &Caller,
    issue: &str,
    notice: Option<String>,
) -> Result<Response, UiError> {
    let key = normalize_key(issue);
    if !is_issue_key(&key) {
        return Ok(not_found_page(format!("/issues/{issue}")));
    }
    let now = now_ms();
    let views = issue_flag_views(state, &key, |p| can_view(user, p)).await.map_err(store)?;
    let cached = super::cached_issue_anywhere(state, &key).await.map_err(store)?;
    let headline = match views.as_slice() {
        [] => "No flags".to_owned(),
        [one] => one.name.clone(),
        many => format!("{} flags", many.len()),
    };
    let summary = cached.as_ref().map(|(c, _)| c.summary.clone()).unwrap_or_default();
    let page = IssuePage {
        nav: nav("/jira"),
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
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    refuse_cross_site(&headers)?;
    let (project, flag) = (field(&fields, "project"), field(&fields, "flag"));
    let path = format!("/issues/{key}");
    let (_, f) = load_flag(&state, &user, project, flag, &path).await?;
    unlink(&state, &user, project, &f, &key).await?;
    Ok(Redirect::to(&format!("/issues/{}", normalize_key(&key))).into_response())
}

// ---------------------------------------------------------------- create a flag from an issue

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "jira_create_flag.html")]
struct CreateFlagPage {
    nav: Vec<NavItem>,
    version: &'static str,
    issue_key: String,
    issue_summary: String,
    projects: Vec<Choice>,
    name: String,
    key: String,
    description: String,
    errors: BTreeMap<&'static str, String>,
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
    let issue_key = normalize_key(&q.issue_key);
    let mut errors = BTreeMap::new();
    if !is_issue_key(&issue_key) {
        errors.insert(
            "issue",
            "Open this page from a Jira issue: it needs the issue's key (issueKey=SHOP-123)."
                .into(),
        );
    }
    let page = CreateFlagPage {
        nav: nav("/flags"),
        version: VERSION,
        projects: project_choices(&state, &user, "", jira.map(|(site, _)| site.id)).await?,
        name: q.issue_summary.trim().to_owned(),
        key: slug(&q.issue_summary),
        description: String::new(),
        issue_summary: q.issue_summary.trim().to_owned(),
        issue_key,
        errors,
    };
    let status =
        if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    html(status, &page)
}

/// `POST /jira/create-flag`: creates a boolean flag linked to the issue.
pub(crate) async fn create_flag(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    refuse_cross_site(&headers)?;
    let issue_key = normalize_key(field(&fields, "issue_key"));
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
    let flag = boolean_flag(&key, &name, &description, &issue_key);
    if errors.is_empty() {
        let resource = Resource::Flag {
            project: Named::new(project.clone()),
            env: None,
            flag: Named::new(key.clone()),
        };
        user.require(Action::CreateFlag, &resource).map_err(forbidden)?;
        match check_issues(&state, &project, std::slice::from_ref(&issue_key)).await {
            Ok(_) => {}
            Err(e) => {
                errors.insert("issue", e.into_api("issue").to_string());
            }
        }
    }
    if errors.is_empty() {
        match state.store.create_flag(&project, &flag, &boolean_config(), &user.actor()).await {
            Ok(_) => {
                super::api::refresh(&state, &project).await;
                let to = format!("/flags/{project}/{key}?tab=integrations");
                return Ok(Redirect::to(&to).into_response());
            }
            Err(StoreError::Conflict(_)) => {
                errors.insert("key", format!("Project {project:?} already has a flag {key:?}."));
            }
            Err(StoreError::NotFound) => {
                errors.insert("project", format!("There is no project {project:?}."));
            }
            Err(e) => return Err(store(e)),
        }
    }
    let page = CreateFlagPage {
        nav: nav("/flags"),
        version: VERSION,
        projects: project_choices(&state, &user, &project, None).await?,
        issue_summary: field(&fields, "issue_summary").to_owned(),
        issue_key,
        name,
        key,
        description,
        errors,
    };
    html(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

fn boolean_flag(key: &str, name: &str, description: &str, issue: &str) -> Flag {
    let variation = |key: &str, name: &str, value: bool| Variation {
        key: key.to_owned(),
        name: name.to_owned(),
        value: Value::Bool(value),
    };
    let mut custom_properties = BTreeMap::new();
    custom_properties.insert(
        tether_flags::JIRA_ISSUES_PROPERTY.to_owned(),
        CustomProperty { name: "Jira issues".to_owned(), values: vec![issue.to_owned()] },
    );
    Flag {
        key: key.to_owned(),
        name: name.to_owned(),
        description: description.to_owned(),
        kind: FlagKind::Boolean,
        variations: vec![variation("on", "On", true), variation("off", "Off", false)],
        tags: vec![],
        custom_properties,
    }
}

/// Off everywhere, serving `on` once turned on: what every new flag starts as.
fn boolean_config() -> EnvConfig {
    EnvConfig {
        on: false,
        off_variation: "off".to_owned(),
        targets: vec![],
        rules: vec![],
        default_rule: Serve::Variation("on".to_owned()),
    }
}

// ---------------------------------------------------------------- connect an existing flag

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
    nav: Vec<NavItem>,
    version: &'static str,
    issue_key: String,
    q: String,
    flags: Vec<FlagOption>,
    total: usize,
    error: Option<String>,
}

/// How many flags the chooser lists at most.
const CHOICES: usize = 50;

async fn render_link(
    state: &AppState,
    user: &Caller,
    issue_key: String,
    q: String,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let needle = q.trim().to_lowercase();
    let mut flags = Vec::new();
    let mut total = 0;
    for p in state.store.list_projects().await.map_err(store)? {
        if !can_view(user, &p.key) {
            continue;
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
        (!is_issue_key(&issue_key)).then(|| {
            "Open this page from a Jira issue: it needs the issue's key (issueKey=SHOP-123)."
                .to_owned()
        })
    });
    let page =
        LinkFlagPage { nav: nav("/flags"), version: VERSION, issue_key, q, flags, total, error };
    html(status, &page)
}

/// `GET /jira/link-flag?issueKey=&q=`: Jira's "Connect feature flag".
pub(crate) async fn link_flag_form(
    State(state): State<AppState>,
    _jira: FromJira,
    UiUser(user): UiUser,
    Query(q): Query<IssueQuery>,
) -> Result<Response, UiError> {
    render_link(&state, &user, normalize_key(&q.issue_key), q.q, None, StatusCode::OK).await
}

/// `POST /jira/link-flag`: links the chosen flag, then shows the issue's flags.
pub(crate) async fn link_flag(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    refuse_cross_site(&headers)?;
    let issue_key = normalize_key(field(&fields, "issue_key"));
    let (project, flag) = (field(&fields, "project"), field(&fields, "flag"));
    let q = field(&fields, "q").to_owned();
    let path = "/jira/link-flag".to_owned();
    let (_, f) = load_flag(&state, &user, project, flag, &path).await?;
    match link_issue(&state, &user, project, &f, &issue_key).await {
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
            render_link(&state, &user, issue_key, q, Some(e.to_string()), status).await
        }
        Err(e) => Err(UiError::Other(e)),
    }
}

#[cfg(test)]
mod tests;
