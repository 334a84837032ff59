//! Code ↔ Jira, the service: repositories (a GitHub or GitLab webhook whose secret tether
//! makes and shows once, or a local path), settings at instance, group and repository level
//! with what each sets checked (a bad regex or prefix is a 422 naming the field), "test
//! settings" (`check.rs`), and the adapters: the REST API (`api.rs`, `findings_api.rs`),
//! the forges' webhook intake (`intake.rs`), findings from SARIF (`sarif.rs`,
//! `findings.rs`), the pages (`ui.rs`, `ui_repo.rs`, `ui_findings.rs`), the section of the
//! issue page (`issue.rs`) and of the Integrations page (`integration.rs`).
//!
//! Policy: a repository is the resource `integration/<repository>` (`viewRepository`,
//! `createRepository`, `updateRepository`, `deleteRepository`); instance and group settings,
//! which every repository below inherits, need `updateIntegration` on `integration/code`.
//! Nothing here writes to Jira: intake stores events for the worker, and the calls a person
//! waits on (test settings, create metadata, creating an issue from a finding) only read,
//! except the last, which is what the person asked for.

pub(crate) mod api;
pub(crate) mod check;
pub(crate) mod findings;
pub(crate) mod findings_api;
pub(crate) mod intake;
pub(crate) mod integration;
pub(crate) mod issue;
pub(crate) mod sarif;
pub(crate) mod ui;
pub(crate) mod ui_findings;
pub(crate) mod ui_repo;
pub(crate) mod wire;

use rand::RngCore;
use secrecy::SecretString;
use tether_policy::{Action, Named, Resource};
use tether_store::StoreError;
use tether_store::dev::{CodeSettings, NewRepository, RepoSource, Repository, resolve};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use wire::{SettingsBody, SettingsView, settings_view};

/// The policy resource of a repository.
pub(crate) fn repo_resource(name: &str) -> Resource {
    Resource::Integration(Named::new(name))
}

/// The policy resource of the settings every repository inherits.
pub(crate) fn shared_resource() -> Resource {
    Resource::Integration(Named::new("code"))
}

pub(crate) async fn find_repo(state: &AppState, name: &str) -> Result<Repository, ApiError> {
    match state.store.repository_by_name(name).await {
        Ok(r) => Ok(r),
        Err(StoreError::NotFound) => {
            Err(ApiError::NotFound(format!("no repository named {name:?}")))
        }
        Err(e) => Err(e.into()),
    }
}

/// A repository to add, as the API and the page take it.
#[derive(Debug, Default)]
pub(crate) struct NewRepoInput {
    pub name: String,
    /// `github`, `gitlab` or `local`.
    pub source: String,
    pub group: Option<String>,
    pub path: Option<String>,
    pub web_url: Option<String>,
}

/// A fresh webhook secret: 32 random bytes as hex.
pub(crate) fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the forge delivers a repository's webhooks (its id is in the path).
pub(crate) fn hook_url(state: &AppState, repo: &Repository) -> Option<String> {
    let base = state.config.public_url.trim_end_matches('/');
    match repo.source {
        RepoSource::GitHub => Some(format!("{base}/hooks/github/{}", repo.id)),
        RepoSource::GitLab => Some(format!("{base}/hooks/gitlab/{}", repo.id)),
        RepoSource::Local => None,
    }
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name != "code";
    if ok {
        Ok(name.to_owned())
    } else {
        Err(ApiError::invalid(
            "name",
            "a repository name is 1 to 64 lower-case letters, digits, '.', '_' or '-', starting \
             with a letter or digit (such as acme-shop); `code` is taken",
        ))
    }
}

fn check_url(field: &str, url: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(url) = url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && !url.contains(char::is_whitespace)
        && url.len() <= 2000;
    if ok {
        Ok(Some(url.trim_end_matches('/').to_owned()))
    } else {
        Err(ApiError::invalid(field, format!("expected an http:// or https:// URL, got {url:?}")))
    }
}

fn check_path(path: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(path) = path.map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    if !path.starts_with('/') || path.contains('\0') || path.len() > 4096 {
        return Err(ApiError::invalid(
            "path",
            "expected the absolute path of a git repository on tether's machine",
        ));
    }
    Ok(Some(path))
}

/// Adds a repository; for a webhook, the secret to paste into the forge (shown once).
pub(crate) async fn create_repo(
    state: &AppState,
    caller: &Caller,
    input: NewRepoInput,
) -> Result<(Repository, Option<String>), ApiError> {
    let name = check_name(&input.name)?;
    caller.require(Action::CreateRepository, &repo_resource(&name))?;
    let source = RepoSource::parse(input.source.trim()).ok_or_else(|| {
        ApiError::invalid("source", "a repository's source is github, gitlab or local")
    })?;
    let path = check_path(input.path)?;
    if source == RepoSource::Local && path.is_none() {
        return Err(ApiError::invalid("path", "a local repository needs the path of its clone"));
    }
    let secret = (source != RepoSource::Local).then(new_secret);
    let new = NewRepository {
        name,
        source,
        group: input.group.map(|g| g.trim().to_owned()).filter(|g| !g.is_empty()),
        secret: secret.clone().map(SecretString::from),
        path,
        web_url: check_url("web_url", input.web_url)?,
        settings: CodeSettings::default(),
    };
    let repo = state.store.create_repository(&new, &caller.actor()).await.map_err(|e| match e {
        StoreError::Invalid(m) => ApiError::invalid("group", m),
        other => other.into(),
    })?;
    Ok((repo, secret))
}

/// A new webhook secret for a repository, shown once; the old one stops working.
pub(crate) async fn rotate_secret(
    state: &AppState,
    caller: &Caller,
    repo: &Repository,
) -> Result<String, ApiError> {
    caller.require(Action::UpdateRepository, &repo_resource(&repo.name))?;
    if repo.source == RepoSource::Local {
        return Err(ApiError::invalid("source", "a local repository has no webhook secret"));
    }
    let secret = new_secret();
    state
        .store
        .set_repository_secret(repo.id, &SecretString::from(secret.clone()), &caller.actor())
        .await?;
    Ok(secret)
}

/// Changes a repository's group, local path and web URL.
pub(crate) async fn update_repo(
    state: &AppState,
    caller: &Caller,
    repo: &Repository,
    group: Option<String>,
    path: Option<String>,
    web_url: Option<String>,
) -> Result<Repository, ApiError> {
    caller.require(Action::UpdateRepository, &repo_resource(&repo.name))?;
    let path = check_path(path)?;
    if repo.source == RepoSource::Local && path.is_none() {
        return Err(ApiError::invalid("path", "a local repository needs the path of its clone"));
    }
    let web_url = check_url("web_url", web_url)?;
    let group = group.map(|g| g.trim().to_owned()).filter(|g| !g.is_empty());
    state
        .store
        .update_repository(
            repo.id,
            group.as_deref(),
            path.as_deref(),
            web_url.as_deref(),
            &caller.actor(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Invalid(m) => ApiError::invalid("group", m),
            other => other.into(),
        })
}

pub(crate) async fn delete_repo(
    state: &AppState,
    caller: &Caller,
    repo: &Repository,
) -> Result<(), ApiError> {
    caller.require(Action::DeleteRepository, &repo_resource(&repo.name))?;
    state.store.delete_repository(repo.id, &caller.actor()).await?;
    Ok(())
}

/// Which level's settings.
#[derive(Debug, Clone)]
pub(crate) enum SettingsLevel {
    Instance,
    Group(String),
    Repository(Box<Repository>),
}

impl SettingsLevel {
    fn name(&self) -> String {
        match self {
            SettingsLevel::Instance => "instance".into(),
            SettingsLevel::Group(g) => format!("group {g}"),
            SettingsLevel::Repository(r) => format!("repository {}", r.name),
        }
    }
}

/// What the level sets, and what is in force there.
async fn level_settings(
    state: &AppState,
    level: &SettingsLevel,
) -> Result<(CodeSettings, tether_store::dev::Resolved), ApiError> {
    let instance = state.store.instance_code_settings().await?;
    let default = CodeSettings::default();
    Ok(match level {
        SettingsLevel::Instance => (instance.clone(), resolve(&instance, None, &default)),
        SettingsLevel::Group(name) => {
            let g = find_group(state, name).await?;
            let r = resolve(&instance, Some((&g.name, &g.settings)), &default);
            (g.settings, r)
        }
        SettingsLevel::Repository(repo) => {
            let r = state.store.resolved_code_settings(repo).await?;
            (repo.settings.clone(), r)
        }
    })
}

async fn find_group(
    state: &AppState,
    name: &str,
) -> Result<tether_store::dev::RepoGroup, ApiError> {
    match state.store.repo_group(name).await {
        Ok(g) => Ok(g),
        Err(StoreError::NotFound) => {
            Err(ApiError::NotFound(format!("no repository group named {name:?}")))
        }
        Err(e) => Err(e.into()),
    }
}

fn require_view(caller: &Caller, level: &SettingsLevel) -> Result<(), ApiError> {
    match level {
        SettingsLevel::Repository(r) => {
            caller.require(Action::ViewRepository, &repo_resource(&r.name))
        }
        _ => caller.require(Action::ViewIntegration, &shared_resource()),
    }
}

fn require_change(caller: &Caller, level: &SettingsLevel) -> Result<(), ApiError> {
    match level {
        SettingsLevel::Repository(r) => {
            caller.require(Action::UpdateRepository, &repo_resource(&r.name))
        }
        _ => caller.require(Action::UpdateIntegration, &shared_resource()),
    }
}

/// A level's settings, every field with where it comes from.
pub(crate) async fn settings_of(
    state: &AppState,
    caller: &Caller,
    level: &SettingsLevel,
) -> Result<SettingsView, ApiError> {
    require_view(caller, level)?;
    let (own, resolved) = level_settings(state, level).await?;
    Ok(settings_view(&level.name(), &resolved, &own))
}

/// Sets and resets fields of a level, after checking what it would set.
pub(crate) async fn change_settings(
    state: &AppState,
    caller: &Caller,
    level: &SettingsLevel,
    body: SettingsBody,
) -> Result<SettingsView, ApiError> {
    require_change(caller, level)?;
    let (own, _) = level_settings(state, level).await?;
    let changed = body.apply(own)?;
    check_settings(state, &changed).await?;
    let actor = caller.actor();
    match level {
        SettingsLevel::Instance => state.store.set_instance_code_settings(&changed, &actor).await?,
        SettingsLevel::Group(g) => state.store.set_repo_group_settings(g, &changed, &actor).await?,
        SettingsLevel::Repository(r) => {
            state.store.set_repository_settings(r.id, &changed, &actor).await?
        }
    }
    let level = match level {
        SettingsLevel::Repository(r) => {
            SettingsLevel::Repository(Box::new(state.store.repository(r.id).await?))
        }
        other => other.clone(),
    };
    settings_of(state, caller, &level).await
}

/// What a level sets must make sense on its own: the matcher builds from its regex, prefix
/// and project keys (the error names the field), and the site exists.
pub(crate) async fn check_settings(state: &AppState, s: &CodeSettings) -> Result<(), ApiError> {
    let blank = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let settings = tether_refs::MatchSettings {
        key_regex: blank(&s.key_regex),
        key_prefix: blank(&s.key_prefix),
        project_keys: s.project_keys.clone().unwrap_or_default(),
    };
    if let Err(e) = tether_refs::Matcher::new(&settings) {
        return Err(ApiError::invalid(e.field().name(), e.to_string()));
    }
    if let Some(site) = s.site.as_deref().filter(|s| !s.is_empty()) {
        match state.store.jira_site_by_name(site).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                return Err(ApiError::invalid("site", format!("no Jira site named {site:?}")));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Adds a group of repositories.
pub(crate) async fn create_group(
    state: &AppState,
    caller: &Caller,
    name: &str,
) -> Result<(), ApiError> {
    caller.require(Action::UpdateIntegration, &shared_resource())?;
    let name = check_name(name).map_err(|_| {
        ApiError::invalid(
            "name",
            "a group name is 1 to 64 lower-case letters, digits, '.', '_' or '-'",
        )
    })?;
    state.store.create_repo_group(&name, &caller.actor()).await?;
    Ok(())
}

/// Removes a group; its repositories keep their own settings.
pub(crate) async fn delete_group(
    state: &AppState,
    caller: &Caller,
    name: &str,
) -> Result<(), ApiError> {
    caller.require(Action::UpdateIntegration, &shared_resource())?;
    if !state.store.delete_repo_group(name, &caller.actor()).await? {
        return Err(ApiError::NotFound(format!("no repository group named {name:?}")));
    }
    Ok(())
}

/// Stores the OAuth 2.0 credentials a site's Development panel is written with.
pub(crate) async fn set_devinfo_credentials(
    state: &AppState,
    caller: &Caller,
    site: &str,
    client_id: &str,
    secret: &str,
    token_url: Option<String>,
    gateway_url: Option<String>,
) -> Result<(), ApiError> {
    caller.require(Action::UpdateIntegration, &crate::jira::sites::integration(site))?;
    let site = crate::jira::sites::find_site(state, site).await?;
    if client_id.trim().is_empty() {
        return Err(ApiError::invalid("client_id", "the OAuth 2.0 client id is required"));
    }
    if secret.trim().is_empty() {
        return Err(ApiError::invalid("secret", "the OAuth 2.0 client secret is required"));
    }
    let mut options = serde_json::Map::new();
    if let Some(u) = check_url("token_url", token_url)? {
        options.insert("token_url".into(), u.into());
    }
    if let Some(u) = check_url("gateway_url", gateway_url)? {
        options.insert("gateway_url".into(), u.into());
    }
    let secret = SecretString::from(secret.trim().to_owned());
    state
        .store
        .set_devinfo_credentials(site.id, client_id.trim(), &secret, &options, &caller.actor())
        .await?;
    Ok(())
}
