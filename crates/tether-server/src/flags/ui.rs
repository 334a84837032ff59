//! The flag pages: the list at `/flags` (search and filters as GET parameters), one
//! flag at `/flags/{project}/{flag}` with a tab per environment, and the forms that
//! edit an environment without JavaScript (on/off, individual targets, rules,
//! default rule, off variation; the targeting forms are read in `targeting.rs`).
//!
//! Every form carries the config version it was based on; the write is refused
//! when the flag changed meanwhile (the store checks it in the same transaction),
//! and the page comes back with the current state and a message. Invalid input
//! comes back inline, as typed, with nothing written.

use std::collections::{BTreeSet, HashMap};

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tether_flags::{EnvConfig, Flag, Rollout, Serve, ValidationError, validate_env_config};
use tether_store::{AuditEntry, EnvConfigState, FlagState, Project, StoreError, now_ms};

use super::targeting::{
    RuleForm, TargetsForm, WeightInput, blank_rule_form, delete_rule, field, move_rule,
    place_rule_errors, place_target_errors, read_weights, rule_from, stored_targets_form,
    targets_of, typed_rule_form, typed_targets_form,
};
use crate::error::ApiError;
use crate::web::csrf::refuse_cross_site;
use crate::web::format::{
    ClauseText, absolute_time, clause_text, iso_time, json_text, percent, relative_time,
};
use crate::web::page::{UiError, html, or_404};
use crate::web::signin::UiUser;
use crate::web::{NavItem, nav};
use crate::{AppState, VERSION};

/// The flag pages.
pub(crate) fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/flags", get(list))
        .route("/flags/{project}/{flag}", get(page))
        .route("/flags/{project}/{flag}/{env}/toggle", post(toggle))
        .route("/flags/{project}/{flag}/{env}/default-rule", post(default_rule))
        .route("/flags/{project}/{flag}/{env}/off-variation", post(off_variation))
        .route("/flags/{project}/{flag}/{env}/targets", post(targets))
        .route("/flags/{project}/{flag}/{env}/rules/add", post(add_rule))
        .route("/flags/{project}/{flag}/{env}/rules/delete", post(delete_rule_form))
        .route("/flags/{project}/{flag}/{env}/rules/move", post(move_rule_form))
}

/// How many audit entries a flag page shows.
const HISTORY: usize = 50;

// ---------------------------------------------------------------- the list

/// The list's search and filters; empty values mean "any".
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    project: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    kind: String,
    /// `on` or `off`, in `env` (or in any environment when `env` is empty).
    #[serde(default)]
    state: String,
    #[serde(default)]
    env: String,
}

impl ListQuery {
    fn is_filtering(&self) -> bool {
        [&self.q, &self.project, &self.tag, &self.kind, &self.state, &self.env]
            .iter()
            .any(|v| !v.trim().is_empty())
    }

    fn accepts(&self, f: &FlagState) -> bool {
        let q = self.q.trim().to_lowercase();
        let flag = &f.flag;
        let text = q.is_empty()
            || [&flag.key, &flag.name, &flag.description]
                .iter()
                .any(|s| s.to_lowercase().contains(&q));
        let tag = self.tag.is_empty() || flag.tags.contains(&self.tag);
        let kind = self.kind.is_empty() || flag.kind.as_str() == self.kind;
        let want_on = match self.state.as_str() {
            "on" => Some(true),
            "off" => Some(false),
            _ => None,
        };
        let state = match want_on {
            None => true,
            Some(on) => f
                .environments
                .iter()
                .any(|e| (self.env.is_empty() || e.env == self.env) && e.config.on == on),
        };
        text && tag && kind && state
    }
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

fn choices(items: impl IntoIterator<Item = (String, String)>, current: &str) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(value, label)| Choice { selected: value == current, value, label })
        .collect()
}

struct EnvState {
    href: String,
    on: bool,
    env_name: String,
}

struct FlagRow {
    href: String,
    name: String,
    key: String,
    kind: &'static str,
    tags: Vec<String>,
    states: Vec<EnvState>,
}

struct ProjectSection {
    key: String,
    name: String,
    environments: String,
    env_names: Vec<String>,
    total: usize,
    flags: Vec<FlagRow>,
}

#[derive(Template)]
#[template(path = "flags.html")]
struct ListPage {
    nav: Vec<NavItem>,
    version: &'static str,
    q: String,
    filtering: bool,
    projects_filter: Vec<Choice>,
    tags: Vec<Choice>,
    kinds: Vec<Choice>,
    states: Vec<Choice>,
    envs: Vec<Choice>,
    shown: usize,
    total: usize,
    projects: Vec<ProjectSection>,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, UiError> {
    let projects: Vec<_> = state
        .store
        .list_projects()
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .filter(|p| {
            tether_policy::can_view_project(
                &user.principal,
                &tether_policy::Named::new(p.key.clone()),
            )
        })
        .collect();
    let mut all_tags = BTreeSet::new();
    let mut env_keys: Vec<(String, String)> = Vec::new();
    let mut sections = Vec::new();
    let (mut shown, mut total) = (0, 0);
    for p in &projects {
        for e in &p.environments {
            if !env_keys.iter().any(|(k, _)| *k == e.key) {
                env_keys.push((e.key.clone(), e.name.clone()));
            }
        }
        let flags = state.store.list_flags(&p.key).await.map_err(ApiError::from)?;
        all_tags.extend(flags.iter().flat_map(|f| f.flag.tags.iter().cloned()));
        if !query.project.is_empty() && query.project != p.key {
            continue;
        }
        total += flags.len();
        let rows: Vec<FlagRow> =
            flags.iter().filter(|f| query.accepts(f)).map(|f| flag_row(p, f)).collect();
        shown += rows.len();
        sections.push(ProjectSection {
            key: p.key.clone(),
            name: p.name.clone(),
            environments: p
                .environments
                .iter()
                .map(|e| if e.primary { format!("{} (primary)", e.name) } else { e.name.clone() })
                .collect::<Vec<_>>()
                .join(", "),
            env_names: p.environments.iter().map(|e| e.name.clone()).collect(),
            total: flags.len(),
            flags: rows,
        });
    }
    let kinds = ["boolean", "string", "number", "json"].map(|k| (k.to_owned(), k.to_owned()));
    let page = ListPage {
        nav: nav("/flags"),
        version: VERSION,
        q: query.q.clone(),
        filtering: query.is_filtering(),
        projects_filter: choices(
            projects.iter().map(|p| (p.key.clone(), p.name.clone())),
            &query.project,
        ),
        tags: choices(all_tags.into_iter().map(|t| (t.clone(), t)), &query.tag),
        kinds: choices(kinds, &query.kind),
        states: choices(
            [("on", "On"), ("off", "Off")].map(|(v, l)| (v.to_owned(), l.to_owned())),
            &query.state,
        ),
        envs: choices(env_keys, &query.env),
        shown,
        total,
        projects: sections,
    };
    html(StatusCode::OK, &page)
}

fn flag_row(p: &Project, f: &FlagState) -> FlagRow {
    let href = format!("/flags/{}/{}", p.key, f.flag.key);
    FlagRow {
        name: f.flag.name.clone(),
        key: f.flag.key.clone(),
        kind: f.flag.kind.as_str(),
        tags: f.flag.tags.clone(),
        states: p
            .environments
            .iter()
            .map(|e| EnvState {
                href: format!("{href}?env={}", e.key),
                on: f.environments.iter().any(|c| c.env == e.key && c.config.on),
                env_name: e.name.clone(),
            })
            .collect(),
        href,
    }
}

// ---------------------------------------------------------------- one flag

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PageQuery {
    #[serde(default)]
    env: String,
    #[serde(default)]
    tab: String,
    #[serde(default)]
    saved: String,
}

struct Tab {
    href: String,
    label: String,
    current: bool,
}

struct VariationRow {
    key: String,
    name: String,
    value: String,
}

struct Saved {
    by: String,
    relative: String,
    absolute: String,
    iso: String,
}

fn saved(at: i64, by: &str, now: i64) -> Saved {
    Saved {
        by: by.to_owned(),
        relative: relative_time(at, now),
        absolute: absolute_time(at),
        iso: iso_time(at),
    }
}

struct Slice {
    variation: String,
    percent: String,
}

/// What a rule or the default rule serves, for reading.
struct ServeView {
    /// Set when it serves one variation.
    variation: Option<String>,
    slices: Vec<Slice>,
    bucket_by: String,
}

fn serve_view(serve: &Serve) -> ServeView {
    match serve {
        Serve::Variation(v) => {
            ServeView { variation: Some(v.clone()), slices: vec![], bucket_by: String::new() }
        }
        Serve::Rollout(r) => ServeView {
            variation: None,
            slices: r
                .variations
                .iter()
                .map(|w| Slice { variation: w.variation.clone(), percent: percent(w.weight) })
                .collect(),
            bucket_by: r
                .bucket_by
                .clone()
                .unwrap_or_else(|| tether_flags::DEFAULT_BUCKET_BY.into()),
        },
    }
}

struct TargetView {
    variation: String,
    keys: Vec<String>,
}

struct RuleView {
    id: String,
    description: String,
    clauses: Vec<ClauseText>,
    serve: ServeView,
}

/// The default rule's form, as stored or as the user typed it.
struct DefaultForm {
    rollout: bool,
    variation: String,
    weights: Vec<WeightInput>,
    error: Option<String>,
}

struct HistoryRow {
    when: Saved,
    action: String,
}

struct EnvView {
    key: String,
    name: String,
    on: bool,
    version: i64,
    changed: Saved,
    toggle_error: Option<String>,
    targets: Vec<TargetView>,
    targets_form: TargetsForm,
    rules: Vec<RuleView>,
    /// Why deleting or moving a rule was refused.
    rules_error: Option<String>,
    rule_form: RuleForm,
    default_rule: ServeView,
    default_form: DefaultForm,
    off_variation: String,
    off_selected: String,
    off_error: Option<String>,
    history: Vec<HistoryRow>,
}

/// A message at the top of the page.
struct Notice {
    ok: bool,
    text: String,
}

#[derive(Template)]
#[template(path = "flag.html")]
struct FlagPage {
    nav: Vec<NavItem>,
    version: &'static str,
    project_key: String,
    project_name: String,
    key: String,
    name: String,
    kind: &'static str,
    description: String,
    tags: Vec<String>,
    variations: Vec<VariationRow>,
    last_saved: Saved,
    base: String,
    tabs: Vec<Tab>,
    notice: Option<Notice>,
    env: Option<EnvView>,
    /// The Integrations tab's Jira panel, rendered by `ui/jira.rs`.
    jira_panel: String,
}

/// What a failed POST puts back on the page: a message, the user's input and
/// what is wrong with it.
#[derive(Default)]
struct Edit {
    notice: Option<Notice>,
    inputs: Inputs,
    /// The Jira panel as a failed Integrations form left it.
    jira: Option<String>,
}

/// The environment's forms as typed, with their errors; `None` shows the stored state.
#[derive(Default)]
struct Inputs {
    toggle_error: Option<String>,
    default_form: Option<DefaultForm>,
    /// The chosen off variation and what is wrong with it.
    off: Option<(String, Option<String>)>,
    targets_form: Option<TargetsForm>,
    rules_error: Option<String>,
    rule_form: Option<RuleForm>,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((project, key)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
) -> Result<Response, UiError> {
    let project_resource =
        tether_policy::Resource::Project(tether_policy::Named::new(project.clone()));
    user.require(tether_policy::Action::ViewProject, &project_resource)
        .map_err(|e| UiError::Forbidden(e.to_string()))?;
    let path = format!("/flags/{project}/{key}");
    let p = state.store.project(&project).await.map_err(or_404(&path))?;
    let f = state.store.flag(&project, &key).await.map_err(or_404(&path))?;
    if query.tab == "integrations" {
        return render_page(&state, &p, &f, None, Edit::default(), StatusCode::OK).await;
    }
    let env = if query.env.is_empty() {
        p.environments.iter().find(|e| e.primary).or(p.environments.first()).map(|e| e.key.clone())
    } else {
        Some(query.env.clone())
    };
    let Some(env) = env else {
        return render_page(&state, &p, &f, None, Edit::default(), StatusCode::OK).await;
    };
    let Some(env_name) = p.environments.iter().find(|e| e.key == env).map(|e| e.name.clone())
    else {
        return Err(UiError::NotFound(format!("{path}?env={env}")));
    };
    let notice = saved_notice(&query.saved, &f, &env, &env_name);
    let edit = Edit { notice, ..Edit::default() };
    render_page(&state, &p, &f, Some(&env), edit, StatusCode::OK).await
}

/// The flag page on its Integrations tab, with the Jira panel as `ui/jira.rs`
/// rendered it (e.g. with a refused issue key and its error).
pub(crate) async fn integrations_page(
    state: &AppState,
    p: &Project,
    f: &FlagState,
    jira_panel: String,
    status: StatusCode,
) -> Result<Response, UiError> {
    let edit = Edit { jira: Some(jira_panel), ..Edit::default() };
    render_page(state, p, f, None, edit, status).await
}

fn saved_notice(what: &str, f: &FlagState, env: &str, env_name: &str) -> Option<Notice> {
    let text = match what {
        "" => return None,
        "toggle" => {
            let on = f.environments.iter().any(|c| c.env == env && c.config.on);
            format!(
                "Saved: {} is now {} in {env_name}.",
                f.flag.name,
                if on { "on" } else { "off" }
            )
        }
        "default-rule" => format!("Saved the default rule in {env_name}."),
        "targets" => format!("Saved the individual targets in {env_name}."),
        "rule-added" => format!("Added a rule in {env_name}."),
        "rule-deleted" => format!("Deleted a rule in {env_name}."),
        "rule-moved" => format!("Moved a rule in {env_name}."),
        "off-variation" => format!("Saved the off variation in {env_name}."),
        _ => "Saved.".to_owned(),
    };
    Some(Notice { ok: true, text })
}

async fn render_page(
    state: &AppState,
    p: &Project,
    f: &FlagState,
    env: Option<&str>,
    edit: Edit,
    status: StatusCode,
) -> Result<Response, UiError> {
    let now = now_ms();
    let base = format!("/flags/{}/{}", p.key, f.flag.key);
    let mut tabs: Vec<Tab> = p
        .environments
        .iter()
        .map(|e| Tab {
            href: format!("{base}?env={}", e.key),
            label: e.name.clone(),
            current: env == Some(e.key.as_str()),
        })
        .collect();
    tabs.push(Tab {
        href: format!("{base}?tab=integrations"),
        label: "Integrations".to_owned(),
        current: env.is_none(),
    });
    let latest = f
        .environments
        .iter()
        .map(|c| (c.updated_at, c.updated_by.as_str()))
        .chain([(f.updated_at, f.updated_by.as_str())])
        .max_by_key(|(at, _)| *at)
        .unwrap_or((f.updated_at, f.updated_by.as_str()));
    let env_view = match env.and_then(|e| f.environments.iter().find(|c| c.env == e)) {
        Some(c) => {
            let name = p
                .environments
                .iter()
                .find(|e| e.key == c.env)
                .map_or_else(|| c.env.clone(), |e| e.name.clone());
            let history = history(state, &p.key, &f.flag.key, &c.env, now).await?;
            Some(env_view(&f.flag, c, name, history, edit.inputs, now))
        }
        None => None,
    };
    let jira_panel = match (edit.jira, &env_view) {
        (Some(panel), _) => panel,
        (None, None) => crate::jira::ui::flag_panel(state, p, f, None).await?,
        (None, Some(_)) => String::new(),
    };
    let flag = &f.flag;
    let page = FlagPage {
        nav: nav("/flags"),
        version: VERSION,
        project_key: p.key.clone(),
        project_name: p.name.clone(),
        key: flag.key.clone(),
        name: flag.name.clone(),
        kind: flag.kind.as_str(),
        description: flag.description.clone(),
        tags: flag.tags.clone(),
        variations: flag
            .variations
            .iter()
            .map(|v| VariationRow {
                key: v.key.clone(),
                name: v.name.clone(),
                value: json_text(&v.value),
            })
            .collect(),
        last_saved: saved(latest.0, latest.1, now),
        base,
        tabs,
        notice: edit.notice,
        env: env_view,
        jira_panel,
    };
    html(status, &page)
}

fn env_view(
    flag: &Flag,
    c: &EnvConfigState,
    name: String,
    history: Vec<HistoryRow>,
    inputs: Inputs,
    now: i64,
) -> EnvView {
    let config = &c.config;
    let Inputs { toggle_error, default_form, off, targets_form, rules_error, rule_form } = inputs;
    let (off_selected, off_error) = off.unwrap_or_else(|| (config.off_variation.clone(), None));
    EnvView {
        key: c.env.clone(),
        name,
        on: config.on,
        version: c.version,
        changed: saved(c.updated_at, &c.updated_by, now),
        toggle_error,
        targets: config
            .targets
            .iter()
            .map(|t| TargetView { variation: t.variation.clone(), keys: t.keys.clone() })
            .collect(),
        targets_form: targets_form.unwrap_or_else(|| stored_targets_form(flag, config)),
        rules_error,
        rule_form: rule_form.unwrap_or_else(|| blank_rule_form(flag)),
        rules: config
            .rules
            .iter()
            .map(|r| RuleView {
                id: r.id.clone(),
                description: r.description.clone(),
                clauses: r.clauses.iter().map(clause_text).collect(),
                serve: serve_view(&r.serve),
            })
            .collect(),
        default_rule: serve_view(&config.default_rule),
        default_form: default_form.unwrap_or_else(|| stored_default_form(flag, config)),
        off_variation: config.off_variation.clone(),
        off_selected,
        off_error,
        history,
    }
}

/// The rollout's variations in the order they take buckets: the stored rollout's
/// order first (changing it would reshuffle who gets what), then the others.
fn rollout_order(flag: &Flag, config: &EnvConfig) -> Vec<String> {
    let mut order: Vec<String> = match &config.default_rule {
        Serve::Rollout(r) => r.variations.iter().map(|w| w.variation.clone()).collect(),
        Serve::Variation(_) => vec![],
    };
    for v in &flag.variations {
        if !order.contains(&v.key) {
            order.push(v.key.clone());
        }
    }
    order
}

fn stored_default_form(flag: &Flag, config: &EnvConfig) -> DefaultForm {
    let weight_of = |key: &str| match &config.default_rule {
        Serve::Rollout(r) => r.variations.iter().find(|w| w.variation == key).map(|w| w.weight),
        Serve::Variation(v) => Some(if v == key { tether_flags::TOTAL_WEIGHT } else { 0 }),
    };
    DefaultForm {
        rollout: matches!(config.default_rule, Serve::Rollout(_)),
        variation: match &config.default_rule {
            Serve::Variation(v) => v.clone(),
            Serve::Rollout(_) => flag.variations.first().map(|v| v.key.clone()).unwrap_or_default(),
        },
        weights: rollout_order(flag, config)
            .into_iter()
            .map(|key| WeightInput {
                value: percent(weight_of(&key).unwrap_or(0)),
                key,
                error: None,
            })
            .collect(),
        error: None,
    }
}

/// The flag's audit entries and this environment's, newest first.
async fn history(
    state: &AppState,
    project: &str,
    key: &str,
    env: &str,
    now: i64,
) -> Result<Vec<HistoryRow>, UiError> {
    let flag_resource = format!("proj/{project}:flag/{key}");
    let env_resource = format!("proj/{project}:env/{env}:flag/{key}");
    let mut entries: Vec<AuditEntry> = Vec::new();
    for resource in [&flag_resource, &env_resource] {
        let found =
            state.store.audit_log(Some(resource), HISTORY as i64).await.map_err(ApiError::from)?;
        entries.extend(found);
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.id));
    entries.truncate(HISTORY);
    Ok(entries
        .iter()
        .map(|e| HistoryRow { when: saved(e.at, &e.actor, now), action: describe(e) })
        .collect())
}

/// An audit entry in words: what changed, read from the before and after documents.
fn describe(e: &AuditEntry) -> String {
    let doc = |s: &Option<String>| {
        s.as_deref().and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
    };
    match e.action.as_str() {
        "flag.create" => "created the flag".to_owned(),
        "flag.update" => "changed the flag's definition".to_owned(),
        "flag.delete" => "deleted the flag".to_owned(),
        "flag.config.update" => {
            let (before, after) = (doc(&e.before), doc(&e.after));
            let at =
                |d: &Option<serde_json::Value>, k: &str| d.as_ref().and_then(|d| d.get(k)).cloned();
            let mut parts = Vec::new();
            let on = at(&after, "on").and_then(|v| v.as_bool());
            if at(&before, "on") != at(&after, "on") {
                parts.push(match on {
                    Some(true) => "turned the flag on",
                    Some(false) => "turned the flag off",
                    None => "changed on/off",
                });
            }
            for (k, what) in [
                ("default_rule", "changed the default rule"),
                ("off_variation", "changed the off variation"),
                ("targets", "changed the individual targets"),
                ("rules", "changed the rules"),
            ] {
                if at(&before, k) != at(&after, k) {
                    parts.push(what);
                }
            }
            if parts.is_empty() {
                "saved the configuration unchanged".to_owned()
            } else {
                parts.join(", ")
            }
        }
        other => other.to_owned(),
    }
}

// ---------------------------------------------------------------- the forms

/// Which form was posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edited {
    Toggle,
    DefaultRule,
    OffVariation,
    Targets,
    AddRule,
    DeleteRule,
    MoveRule,
}

impl Edited {
    fn saved(self) -> &'static str {
        match self {
            Edited::Toggle => "toggle",
            Edited::DefaultRule => "default-rule",
            Edited::OffVariation => "off-variation",
            Edited::Targets => "targets",
            Edited::AddRule => "rule-added",
            Edited::DeleteRule => "rule-deleted",
            Edited::MoveRule => "rule-moved",
        }
    }

    fn action(self) -> tether_policy::Action {
        use tether_policy::Action;
        match self {
            Edited::Toggle => Action::UpdateOn,
            Edited::DefaultRule => Action::UpdateFallthrough,
            Edited::OffVariation => Action::UpdateOffVariation,
            Edited::Targets => Action::UpdateTargets,
            Edited::AddRule | Edited::DeleteRule | Edited::MoveRule => Action::UpdateRules,
        }
    }
}

/// One form handler per kind of edit, each a thin door to [`submit`].
macro_rules! edit_handlers {
    ($($name:ident => $edited:ident),* $(,)?) => {$(
        pub(crate) async fn $name(
            state: State<AppState>,
            user: UiUser,
            path: Path<(String, String, String)>,
            headers: HeaderMap,
            form: Form<Vec<(String, String)>>,
        ) -> Result<Response, UiError> {
            submit(state, user, path, &headers, form, Edited::$edited).await
        }
    )*};
}

edit_handlers! {
    toggle => Toggle,
    default_rule => DefaultRule,
    off_variation => OffVariation,
    targets => Targets,
    add_rule => AddRule,
    delete_rule_form => DeleteRule,
    move_rule_form => MoveRule,
}

async fn submit(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((project, key, env)): Path<(String, String, String)>,
    headers: &HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
    which: Edited,
) -> Result<Response, UiError> {
    refuse_cross_site(headers)?;
    let path = format!("/flags/{project}/{key}/{env}");
    let p = state.store.project(&project).await.map_err(or_404(&path))?;
    let f = state.store.flag(&project, &key).await.map_err(or_404(&path))?;
    let Some(current) = f.environments.iter().find(|c| c.env == env) else {
        return Err(UiError::NotFound(path));
    };
    let action = which.action();
    let resource = tether_policy::Resource::Flag {
        project: tether_policy::Named::new(project.clone()),
        env: Some(tether_policy::Named::new(env.clone())),
        flag: tether_policy::Named::with_tags(key.clone(), f.flag.tags.iter().cloned()),
    };
    user.require(action, &resource).map_err(|e| UiError::Forbidden(e.to_string()))?;
    let based_on: i64 = field(&fields, "version")
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| ApiError::BadRequest("the form has no config version".to_owned()))?;
    if based_on != current.version {
        return stale(&state, &p, &f, &env, based_on, current.version).await;
    }
    let new = match build(which, &f.flag, &current.config, &fields) {
        Ok(config) => config,
        Err(inputs) => {
            let edit = Edit { notice: None, inputs: *inputs, jira: None };
            return render_page(&state, &p, &f, Some(&env), edit, StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    };
    let segments: Vec<String> = state
        .store
        .list_segments(&project)
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .map(|s| s.segment.key)
        .collect();
    if let Err(errors) = validate_env_config(&f.flag, &new, |k| segments.iter().any(|s| s == k)) {
        let edit = invalid(which, &f.flag, &current.config, &new, &fields, &errors);
        return render_page(&state, &p, &f, Some(&env), edit, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    match state
        .store
        .update_flag_config(&project, &key, &env, &new, Some(based_on), &user.actor())
        .await
    {
        Ok(_) => {}
        Err(StoreError::VersionMismatch { current, .. }) => {
            let f = state.store.flag(&project, &key).await.map_err(or_404(&path))?;
            return stale(&state, &p, &f, &env, based_on, current).await;
        }
        Err(e) => return Err(or_404(&path)(e)),
    }
    if let Err(e) = state.snapshots.refresh_project(&state.store, &project).await {
        // The write stands; the next tick rebuilds the snapshot.
        tracing::warn!(project, error = %e, "cannot refresh snapshots after a UI change");
    }
    let to = format!("/flags/{project}/{key}?env={env}&saved={}", which.saved());
    Ok(Redirect::to(&to).into_response())
}

async fn stale(
    state: &AppState,
    p: &Project,
    f: &FlagState,
    env: &str,
    based_on: i64,
    current: i64,
) -> Result<Response, UiError> {
    let text = format!(
        "Not saved: this flag's configuration in this environment changed while you were \
         editing (your form was based on version {based_on}; it is now at version {current}). \
         The current state is shown below; make your change again if it is still wanted."
    );
    let edit = Edit { notice: Some(Notice { ok: false, text }), ..Edit::default() };
    render_page(state, p, f, Some(env), edit, StatusCode::CONFLICT).await
}

/// The new config a form asks for, or the form as typed with what is wrong.
fn build(
    which: Edited,
    flag: &Flag,
    config: &EnvConfig,
    fields: &[(String, String)],
) -> Result<EnvConfig, Box<Inputs>> {
    let mut new = config.clone();
    match which {
        Edited::Toggle => match field(fields, "on") {
            Some("true") => new.on = true,
            Some("false") => new.on = false,
            _ => {
                return Err(Box::new(Inputs {
                    toggle_error: Some("choose on or off".to_owned()),
                    ..Inputs::default()
                }));
            }
        },
        Edited::OffVariation => {
            let chosen = field(fields, "off_variation").unwrap_or_default().to_owned();
            if !flag.variations.iter().any(|v| v.key == chosen) {
                let error = Some("choose one of the flag's variations".to_owned());
                return Err(Box::new(Inputs { off: Some((chosen, error)), ..Inputs::default() }));
            }
            new.off_variation = chosen;
        }
        Edited::DefaultRule => {
            let mut form = typed_default_form(flag, config, fields);
            if !form.rollout {
                if !flag.variations.iter().any(|v| v.key == form.variation) {
                    form.error = Some("choose one of the flag's variations".to_owned());
                    return Err(Box::new(Inputs { default_form: Some(form), ..Inputs::default() }));
                }
                new.default_rule = Serve::Variation(form.variation);
                return Ok(new);
            }
            let weights = match read_weights(&mut form.weights) {
                Ok(weights) => weights,
                Err(e) => {
                    form.error = Some(e);
                    return Err(Box::new(Inputs { default_form: Some(form), ..Inputs::default() }));
                }
            };
            let (bucket_by, salt) = match &config.default_rule {
                Serve::Rollout(r) => (r.bucket_by.clone(), r.salt.clone()),
                Serve::Variation(_) => (None, flag.key.clone()),
            };
            new.default_rule = Serve::Rollout(Rollout { variations: weights, bucket_by, salt });
        }
        Edited::Targets => new.targets = targets_of(&typed_targets_form(flag, fields)),
        Edited::AddRule => {
            let mut form = typed_rule_form(flag, fields);
            match rule_from(flag, config, &mut form) {
                Some(rule) => new.rules.push(rule),
                None => {
                    return Err(Box::new(Inputs { rule_form: Some(form), ..Inputs::default() }));
                }
            }
        }
        Edited::DeleteRule | Edited::MoveRule => {
            let id = field(fields, "rule").unwrap_or_default();
            let done = match which {
                Edited::DeleteRule => delete_rule(&mut new, id),
                _ => move_rule(&mut new, id, field(fields, "direction").unwrap_or_default()),
            };
            if let Err(e) = done {
                return Err(Box::new(Inputs { rules_error: Some(e), ..Inputs::default() }));
            }
        }
    }
    Ok(new)
}

/// The default rule's form as the user sent it, in the stored rollout order.
fn typed_default_form(flag: &Flag, config: &EnvConfig, fields: &[(String, String)]) -> DefaultForm {
    let typed: HashMap<&str, &str> = fields
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("weight.").map(|k| (k, v.as_str())))
        .collect();
    DefaultForm {
        rollout: field(fields, "mode") != Some("variation"),
        variation: field(fields, "variation").unwrap_or_default().to_owned(),
        weights: rollout_order(flag, config)
            .into_iter()
            .map(|key| WeightInput {
                value: typed.get(key.as_str()).copied().unwrap_or_default().to_owned(),
                key,
                error: None,
            })
            .collect(),
        error: None,
    }
}

/// Places `validate_env_config`'s errors next to the form's fields, keeping the input.
fn invalid(
    which: Edited,
    flag: &Flag,
    config: &EnvConfig,
    new: &EnvConfig,
    fields: &[(String, String)],
    errors: &[ValidationError],
) -> Edit {
    let text = |prefix: &str| {
        let found: Vec<String> = errors
            .iter()
            .filter(|e| e.path.starts_with(prefix))
            .map(|e| e.problem.to_string())
            .collect();
        (!found.is_empty()).then(|| found.join("; "))
    };
    // The rule the add-a-rule form appended is the last one.
    let new_rule = new.rules.len().saturating_sub(1);
    let in_new_rule = |path: &str| {
        path.strip_prefix(&format!("rules[{new_rule}]"))
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    };
    // The errors this form's fields can show; the others go in a notice.
    let owned = |path: &str| match which {
        Edited::Toggle | Edited::DefaultRule | Edited::OffVariation => {
            path.starts_with("default_rule") || path.starts_with("off_variation")
        }
        Edited::Targets => path.starts_with("targets"),
        Edited::AddRule => in_new_rule(path),
        Edited::DeleteRule | Edited::MoveRule => false,
    };
    let others: Vec<String> =
        errors.iter().filter(|e| !owned(&e.path)).map(|e| e.to_string()).collect();
    let mut edit = Edit::default();
    if !others.is_empty() {
        let text = format!(
            "Not saved: this environment's configuration has problems this form cannot fix: {}",
            others.join("; ")
        );
        edit.notice = Some(Notice { ok: false, text });
    }
    match which {
        Edited::Toggle => edit.inputs.toggle_error = text("default_rule").or(text("off_variation")),
        Edited::OffVariation => {
            edit.inputs.off = Some((new.off_variation.clone(), text("off_variation")));
        }
        Edited::DefaultRule => {
            let form = typed_default_form(flag, config, fields);
            edit.inputs.default_form = Some(DefaultForm { error: text("default_rule"), ..form });
        }
        Edited::Targets => {
            let mut form = typed_targets_form(flag, fields);
            place_target_errors(&mut form, &new.targets, errors);
            edit.inputs.targets_form = Some(form);
        }
        Edited::AddRule => {
            let mut form = typed_rule_form(flag, fields);
            place_rule_errors(&mut form, new_rule, errors);
            edit.inputs.rule_form = Some(form);
        }
        Edited::DeleteRule | Edited::MoveRule => {}
    }
    if edit.notice.is_none() && edit.inputs.toggle_error.is_none() && which == Edited::Toggle {
        edit.notice = Some(Notice {
            ok: false,
            text: "Not saved: the configuration is not valid.".to_owned(),
        });
    }
    edit
}
