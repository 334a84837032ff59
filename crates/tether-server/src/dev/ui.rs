//! The code pages, every form working without JavaScript: `/code` (the repositories, adding
//! a GitHub or GitLab webhook, whose address and secret are shown once, or a local path;
//! groups), `/code/settings` and `/code/groups/{group}` (the instance's and a group's
//! settings), and what the other code pages share:
//! the settings table (each field's value, where it comes from, a form to set it and one to
//! reset it) and reading one field from a form. The repository page is `ui_repo.rs`, the
//! findings pages `ui_findings.rs`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde_json::Value;
use tether_policy::Action;
use tether_store::dev::SettingField;

use super::api::{RepoView, repo_view};
use super::check::TestReport;
use super::wire::{SettingsBody, SettingsView};
use super::{
    NewRepoInput, SettingsLevel, change_settings, create_repo, repo_resource, settings_of,
    shared_resource,
};
use crate::error::ApiError;
use crate::web::page::{UiError, field, html};
use crate::web::signin::UiUser;
use crate::web::{Nav, nav_for};
use crate::{AppState, VERSION};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/code", get(page))
        .route("/code/repositories", post(add))
        .route("/code/groups", post(add_group))
        .route("/code/settings", get(instance_page).post(set_instance))
        .route("/code/settings/test", post(test_instance))
        .route("/code/groups/{group}", get(group_page).post(set_group))
        .route("/code/groups/{group}/test", post(test_group))
        .merge(super::ui_repo::router())
        .merge(super::ui_findings::router())
}

/// One settings field as a row of the table.
pub(crate) struct SettingRow {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
    pub source: String,
    pub set_here: bool,
    /// What the form shows: the value set here, or nothing.
    pub input: String,
    pub hint: &'static str,
    pub error: Option<String>,
}

fn label(f: SettingField) -> (&'static str, &'static str) {
    match f {
        SettingField::Site => ("Jira site", "the name of a site under Jira issues"),
        SettingField::Triggers => ("Triggers", "commits, merge_requests or both"),
        SettingField::Comments => ("Comments", "on or off"),
        SettingField::CommentDetail => {
            ("Comment detail", "standard, all_details or link_only (no message text reaches Jira)")
        }
        SettingField::Transitions => {
            ("Transitions", "off, automatic, or transition ids in order (21, 31)")
        }
        SettingField::KeyRegex => {
            ("Key pattern", "a regular expression; empty for the default pattern")
        }
        SettingField::KeyPrefix => ("Key prefix", "such as JIRA#; empty for none"),
        SettingField::ProjectKeys => {
            ("Jira projects", "keys separated by commas; empty for every project")
        }
        SettingField::SmartCommits => ("Smart Commits", "on or off"),
        SettingField::DevelopmentPanel => ("Development panel", "on or off (Jira Cloud)"),
    }
}

/// How a value reads in the table and in its form.
fn show(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(true) => "on".into(),
        Value::Bool(false) => "off".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

pub(crate) fn setting_rows(view: &SettingsView, error: Option<(&str, String)>) -> Vec<SettingRow> {
    SettingField::ALL
        .into_iter()
        .map(|f| {
            let v = &view.fields[f.name()];
            let (label, hint) = label(f);
            let value = show(&v.value);
            SettingRow {
                name: f.name(),
                label,
                input: if v.set_here { value.clone() } else { String::new() },
                value: if value.is_empty() { "—".into() } else { value },
                source: v.source.clone(),
                set_here: v.set_here,
                hint,
                error: error.as_ref().filter(|(n, _)| *n == f.name()).map(|(_, e)| e.clone()),
            }
        })
        .collect()
}

/// The change a settings form asks for: set `field` to `value`, or reset it.
pub(crate) fn form_change(fields: &[(String, String)]) -> Result<SettingsBody, ApiError> {
    let name = field(fields, "field");
    let f = SettingField::parse(name)
        .ok_or_else(|| ApiError::BadRequest(format!("no setting {name:?}")))?;
    if field(fields, "reset") == "1" {
        return Ok(SettingsBody { reset: vec![name.to_owned()], ..SettingsBody::default() });
    }
    let value = field(fields, "value").trim().to_owned();
    let on = |v: &str| match v {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        _ => Err(ApiError::invalid(name, "expected on or off")),
    };
    let list = |v: &str| -> Vec<String> {
        v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
    };
    let mut body = SettingsBody::default();
    match f {
        SettingField::Site => body.site = Some(value),
        SettingField::Triggers => body.triggers = Some(value),
        SettingField::Comments => body.comments = Some(on(&value)?),
        SettingField::CommentDetail => body.comment_detail = Some(value),
        SettingField::Transitions => {
            body.transitions = Some(match value.as_str() {
                "off" | "automatic" => Value::String(value.clone()),
                ids => Value::Array(list(ids).into_iter().map(Value::String).collect()),
            })
        }
        SettingField::KeyRegex => body.key_regex = Some(value),
        SettingField::KeyPrefix => body.key_prefix = Some(value),
        SettingField::ProjectKeys => body.project_keys = Some(list(&value)),
        SettingField::SmartCommits => body.smart_commits = Some(on(&value)?),
        SettingField::DevelopmentPanel => body.development_panel = Some(on(&value)?),
    }
    Ok(body)
}

#[derive(Template)]
#[template(path = "code.html")]
struct CodePage {
    nav: Nav,
    version: &'static str,
    repos: Vec<RepoView>,
    groups: Vec<String>,
    can_add: bool,
    /// A repository just added: its name, webhook address and secret (shown this once).
    added: Option<(String, Option<String>, Option<String>)>,
    error: Option<String>,
    form: Vec<(String, String)>,
}

impl CodePage {
    fn value(&self, name: &str) -> &str {
        field(&self.form, name)
    }
}

async fn render_list(
    state: &AppState,
    user: &crate::auth::Caller,
    added: Option<(String, Option<String>, Option<String>)>,
    error: Option<String>,
    form: Vec<(String, String)>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let repos = state.store.repositories().await?;
    let page = CodePage {
        nav: nav_for("/code", user),
        version: VERSION,
        repos: repos
            .iter()
            .filter(|r| user.can(Action::ViewRepository, &repo_resource(&r.name)))
            .map(|r| repo_view(state, r))
            .collect(),
        groups: state.store.repo_groups().await?.into_iter().map(|g| g.name).collect(),
        can_add: user.can(Action::CreateRepository, &repo_resource("*")),
        added,
        error,
        form,
    };
    html(status, &page)
}

async fn page(State(state): State<AppState>, UiUser(user): UiUser) -> Result<Response, UiError> {
    render_list(&state, &user, None, None, vec![], StatusCode::OK).await
}

/// `POST /code/repositories`: the page again, with the secret to paste shown once.
async fn add(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let opt = |n: &str| Some(field(&fields, n).to_owned()).filter(|v| !v.trim().is_empty());
    let input = NewRepoInput {
        name: field(&fields, "name").to_owned(),
        source: field(&fields, "source").to_owned(),
        group: opt("group"),
        path: opt("path"),
        web_url: opt("web_url"),
    };
    match create_repo(&state, &user, input).await {
        Ok((repo, secret)) => {
            let url = super::hook_url(&state, &repo);
            render_list(
                &state,
                &user,
                Some((repo.name, url, secret)),
                None,
                vec![],
                StatusCode::CREATED,
            )
            .await
        }
        Err(ApiError::Invalid { field: f, message }) => {
            let error = Some(format!("{f}: {message}"));
            render_list(&state, &user, None, error, fields, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn add_group(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    match super::create_group(&state, &user, field(&fields, "group_name")).await {
        Ok(()) => Ok(Redirect::to("/code").into_response()),
        Err(ApiError::Invalid { message, .. }) | Err(ApiError::Conflict(message)) => {
            render_list(
                &state,
                &user,
                None,
                Some(message),
                fields,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "code_settings.html")]
struct SettingsPage {
    nav: Nav,
    version: &'static str,
    title: String,
    /// The group's name, on a group's page.
    group: Option<String>,
    action: String,
    test_action: String,
    rows: Vec<SettingRow>,
    can_change: bool,
    report: Option<TestReport>,
}

/// The settings page of the instance or of a group.
async fn render_level(
    state: &AppState,
    user: &crate::auth::Caller,
    level: &SettingsLevel,
    error: Option<(&str, String)>,
    report: Option<TestReport>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let view = settings_of(state, user, level).await?;
    let (title, group, base) = match level {
        SettingsLevel::Group(g) => {
            (format!("Group {g}"), Some(g.clone()), format!("/code/groups/{g}"))
        }
        _ => ("Code settings".to_owned(), None, "/code/settings".to_owned()),
    };
    let page = SettingsPage {
        nav: nav_for("/code", user),
        version: VERSION,
        title,
        group,
        test_action: format!("{base}/test"),
        action: base,
        rows: setting_rows(&view, error),
        can_change: user.can(Action::UpdateIntegration, &shared_resource()),
        report,
    };
    html(status, &page)
}

/// A group named in a path: 404 when there is none.
async fn group_level(state: &AppState, name: &str) -> Result<SettingsLevel, UiError> {
    match state.store.repo_group(name).await {
        Ok(g) => Ok(SettingsLevel::Group(g.name)),
        Err(tether_store::StoreError::NotFound) => {
            Err(UiError::NotFound(format!("/code/groups/{name}")))
        }
        Err(e) => Err(e.into()),
    }
}

async fn instance_page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
) -> Result<Response, UiError> {
    render_level(&state, &user, &SettingsLevel::Instance, None, None, StatusCode::OK).await
}

async fn group_page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(name): Path<String>,
) -> Result<Response, UiError> {
    let level = group_level(&state, &name).await?;
    render_level(&state, &user, &level, None, None, StatusCode::OK).await
}

async fn set_instance(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    set_level(&state, &user, SettingsLevel::Instance, "/code/settings".into(), fields).await
}

async fn set_group(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(name): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let level = group_level(&state, &name).await?;
    set_level(&state, &user, level, format!("/code/groups/{name}"), fields).await
}

async fn set_level(
    state: &AppState,
    user: &crate::auth::Caller,
    level: SettingsLevel,
    back: String,
    fields: Vec<(String, String)>,
) -> Result<Response, UiError> {
    let result = match form_change(&fields) {
        Ok(body) => change_settings(state, user, &level, body).await.map(drop),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&back).into_response()),
        Err(ApiError::Invalid { field: f, message }) => {
            let name = field(&fields, "field").to_owned();
            let at = if SettingField::parse(&f).is_some() { f } else { name };
            let error = Some((at.as_str(), message));
            render_level(state, user, &level, error, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn test_instance(
    State(state): State<AppState>,
    UiUser(user): UiUser,
) -> Result<Response, UiError> {
    user.require(Action::ViewIntegration, &shared_resource())?;
    let instance = state.store.instance_code_settings().await?;
    let resolved = tether_store::dev::resolve(&instance, None, &Default::default());
    let report = super::check::test_settings(&state, &resolved.settings, None).await?;
    let level = SettingsLevel::Instance;
    render_level(&state, &user, &level, None, Some(report), StatusCode::OK).await
}

/// "Test settings" on a group's page: what its repositories would use, before their own.
async fn test_group(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path(name): Path<String>,
) -> Result<Response, UiError> {
    user.require(Action::ViewIntegration, &shared_resource())?;
    let level = group_level(&state, &name).await?;
    let group = state.store.repo_group(&name).await?;
    let instance = state.store.instance_code_settings().await?;
    let resolved = tether_store::dev::resolve(
        &instance,
        Some((group.name.as_str(), &group.settings)),
        &Default::default(),
    );
    let report = super::check::test_settings(&state, &resolved.settings, None).await?;
    render_level(&state, &user, &level, None, Some(report), StatusCode::OK).await
}
