//! The `/jira` page, every form working without JavaScript: issues linked to
//! flags, the Jira sites (an add form per kind, a connection test, removal) and,
//! per project, its site and tracked environments; and what the Jira pages share.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tether_policy::{Action, Named, Resource, can_view_project};
use tether_store::{FlagState, Project, StoreError};

use super::sites::{ReportView, SiteBody, build_site, run_test};
use super::tracking::TrackingChange;
use super::{default_tracking, find_issues};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::web::format::{absolute_time, iso_time, relative_time};
use crate::web::page::{UiError, field, html};
use crate::web::signin::UiUser;
use crate::web::{Nav, nav_for};
use crate::{AppState, VERSION};

use super::{issue_pages, panel};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/jira", get(page))
        .route("/jira/sites", post(add_site))
        .route("/jira/sites/{name}/test", post(test_site))
        .route("/jira/sites/{name}/delete", post(delete_site))
        .route("/jira/projects/{project}", post(set_project))
        .route(
            "/jira/create-flag",
            get(issue_pages::create_flag_form).post(issue_pages::create_flag),
        )
        .route("/jira/link-flag", get(issue_pages::link_flag_form).post(issue_pages::link_flag))
        .route("/jira/issue-flags", get(issue_pages::issue_flags_page))
        .route("/issues/{key}", get(issue_pages::issue_page))
        .route("/issues/{key}/unlink", post(issue_pages::unlink_from_issue))
        .route("/flags/{project}/{flag}/jira/link", post(panel::link_from_flag))
        .route("/flags/{project}/{flag}/jira/unlink", post(panel::unlink_from_flag))
}

pub(super) fn forbidden(e: ApiError) -> UiError {
    match e {
        ApiError::Forbidden(why) => UiError::Forbidden(why),
        other => UiError::Other(other),
    }
}

pub(super) fn store(e: StoreError) -> UiError {
    UiError::Other(e.into())
}

pub(super) fn can_view(user: &Caller, project: &str) -> bool {
    can_view_project(&user.principal, &Named::new(project.to_owned()))
}

/// `?issueKey=…` as Jira sends it (other context parameters are ignored).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct IssueQuery {
    #[serde(default, rename = "issueKey")]
    pub(super) issue_key: String,
    #[serde(default, rename = "issueSummary")]
    pub(super) issue_summary: String,
    #[serde(default)]
    pub(super) q: String,
    #[serde(default)]
    pub(super) linked: String,
}

pub(super) struct Saved {
    pub(super) relative: String,
    pub(super) absolute: String,
    pub(super) iso: String,
}

pub(super) fn saved(at: i64, now: i64) -> Saved {
    Saved { relative: relative_time(at, now), absolute: absolute_time(at), iso: iso_time(at) }
}

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
        const FIELDS: [&str; 10] = [
            "name",
            "url",
            "api_url",
            "user",
            "secret",
            "access_token",
            "email",
            "api_token",
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
            "oauth2",
            "Jira Cloud: OAuth credentials (recommended)",
            "In Jira, a site admin opens Settings → Apps → OAuth credentials → Create credentials: \
             App name tether, Server base URL this tether's address, Permissions Feature flags \
             (flags on issues) and Development information (commits and pull requests). Paste \
             the client id and secret here. No app install needed; Test connection checks both \
             permissions. OAuth credentials reach only those APIs: for checking issue keys, the \
             tether.flags issue property behind Jira's JQL, and comments and transitions from \
             code, add an Atlassian account's email and API token beside them (optional).",
            "Client id",
            "Client secret",
        ),
        form(
            "api_token",
            "Jira Cloud: email and API token (issues only)",
            "An Atlassian account's email with an API token (id.atlassian.com → Security → API \
             tokens). Enough to read issues and link them, not to show flags on issues: Jira \
             Cloud's Feature Flags API takes OAuth credentials or an installed app only.",
            "Email",
            "API token",
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
    nav: Nav,
    version: &'static str,
    notice: Option<String>,
    issues: Vec<FoundRow>,
    sites: Vec<SiteRow>,
    site_names: Vec<String>,
    forms: Vec<KindForm>,
    open_form: String,
    projects: Vec<ProjectRow>,
    connect_url: String,
    /// The Forge app this tether accepts (`jira.forge_app_id`), and where it is installed.
    forge: Option<ForgeSummary>,
}

/// Where tether's Forge app is installed now.
struct ForgeSummary {
    /// The app's id, as its tokens carry it.
    app: String,
    /// Installations enabled now.
    installed: usize,
    /// Of those, the ones on sites tether has no settings for (or whose cloudId it has not
    /// learned yet).
    unmatched: usize,
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
    let forge = match &state.config.forge_app_id {
        Some(app) => {
            let installations = super::forge::installations(state).await.map_err(UiError::Other)?;
            let on: Vec<_> = installations.iter().filter(|i| i.enabled).collect();
            Some(ForgeSummary {
                app: tether_jira::forge_app_ari(app),
                installed: on.len(),
                unmatched: on.iter().filter(|i| i.site_id.is_none()).count(),
            })
        }
        None => None,
    };
    let page = JiraPage {
        forge,
        nav: nav_for("/jira", user),
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
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let kind = field(&fields, "kind");
    let Some(mut form) = kind_forms().into_iter().find(|f| f.kind == kind) else {
        return Err(UiError::Other(ApiError::BadRequest(format!("unknown site kind {kind:?}"))));
    };
    // Typed values come back; secrets never do.
    for name in ["name", "url", "api_url", "user", "email", "token_url", "gateway_url"] {
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
        "email": optional("email"),
        "api_token": optional("api_token"),
        "options": Value::Object(options),
    });
    let body: SiteBody = serde_json::from_value(body).map_err(ApiError::internal)?;
    let built = build_site(name.clone(), body, None)
        .and_then(|new| super::sites::check_reachable(state.config.outbound, &new).map(|()| new));
    let new = match built {
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
) -> Result<Response, UiError> {
    // The test sends the stored credentials: only those who may change the site.
    user.require(Action::UpdateIntegration, &Resource::Integration(Named::new(&name)))
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
) -> Result<Response, UiError> {
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
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let refuse = |message: String| JiraEdit {
        project_error: Some((project.clone(), message)),
        ..JiraEdit::default()
    };
    let site = field(&fields, "site").trim();
    if site.is_empty() {
        return match super::tracking::clear(&state, &user, &project).await {
            Ok(_) => Ok(Redirect::to("/jira?saved=project").into_response()),
            Err(ApiError::NotFound(_)) => {
                Err(UiError::NotFound(format!("/jira/projects/{project}")))
            }
            Err(e) => Err(e.into()),
        };
    }
    let p = match state.store.project(&project).await {
        Ok(p) => p,
        Err(StoreError::NotFound) => {
            return Err(UiError::NotFound(format!("/jira/projects/{project}")));
        }
        Err(e) => return Err(store(e)),
    };
    let checked: Vec<String> =
        fields.iter().filter(|(k, _)| k == "env").map(|(_, v)| v.clone()).collect();
    // The default set stays "the default", so new production environments join it.
    let environments = if checked == default_tracking(&p).0 { None } else { Some(checked) };
    let change = TrackingChange {
        site,
        environments: environments.as_deref(),
        primary: Some(field(&fields, "primary").trim()).filter(|v| !v.is_empty()),
        based_on: field(&fields, "version").trim().parse::<i64>().ok().filter(|v| *v > 0),
    };
    let message = match super::tracking::set(&state, &user, &project, change).await {
        Ok(_) => return Ok(Redirect::to("/jira?saved=project").into_response()),
        Err(ApiError::PreconditionFailed(_)) => {
            let edit = refuse(
                "Not saved: someone changed this project's Jira settings meanwhile; they are \
                 shown below, make your change again if it is still wanted."
                    .into(),
            );
            return render_jira(&state, &user, edit, StatusCode::CONFLICT).await;
        }
        Err(ApiError::Invalid { field, .. }) if field == "site" => {
            format!("There is no Jira site named {site:?}.")
        }
        Err(ApiError::Invalid { field, message }) if field.starts_with("environments") => {
            format!("Tracked environments: {message}")
        }
        Err(ApiError::Invalid { field, message }) if field == "primary_environment" => {
            format!("Primary environment: {message}")
        }
        Err(e @ ApiError::Invalid { .. }) => e.to_string(),
        Err(e) => return Err(e.into()),
    };
    render_jira(&state, &user, refuse(message), StatusCode::UNPROCESSABLE_ENTITY).await
}

pub(super) async fn load_flag(
    state: &AppState,
    user: &Caller,
    project: &str,
    key: &str,
    path: &str,
) -> Result<(Project, FlagState), UiError> {
    crate::web::page::require_visible(user, project, path)?;
    let missing = |e: StoreError| match e {
        StoreError::NotFound => UiError::NotFound(path.to_owned()),
        other => store(other),
    };
    let p = state.store.project(project).await.map_err(missing)?;
    let f = state.store.flag(project, key).await.map_err(missing)?;
    Ok((p, f))
}
