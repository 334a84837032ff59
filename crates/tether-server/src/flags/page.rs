//! One flag at `/flags/{project}/{flag}`: a tab per environment (its switch,
//! targets, rules, default rule, off variation and history) and the tabs other
//! features add ([`FlagTab`]).

use std::future::Future;
use std::pin::Pin;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tether_flags::{EnvConfig, Flag, Serve};
use tether_store::{AuditEntry, EnvConfigState, FlagState, Project};

use super::targeting::{RuleForm, TargetsForm, WeightInput, blank_rule_form, stored_targets_form};
use crate::error::ApiError;
use crate::web::format::{
    ClauseText, absolute_time, clause_text, iso_time, json_text, percent, relative_time,
};
use crate::web::page::{UiError, html, or_404, require_visible};
use crate::web::signin::UiUser;
use crate::web::{Nav, nav_for};
use crate::{AppState, VERSION};

/// How many audit entries a flag page shows.
const HISTORY: usize = 50;

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
pub(super) struct DefaultForm {
    pub(super) rollout: bool,
    pub(super) variation: String,
    pub(super) weights: Vec<WeightInput>,
    pub(super) error: Option<String>,
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
    /// A production-type environment: its switch asks for confirmation first.
    production: bool,
    /// The switch was pressed here: turn on (`true`) or off, based on this version,
    /// once confirmed.
    confirm: Option<(bool, i64)>,
    /// Which edit forms are open: those that came back with the user's input.
    open_targets: bool,
    open_rule: bool,
    open_default: bool,
    open_off: bool,
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
pub(super) struct Notice {
    pub(super) ok: bool,
    pub(super) text: String,
}

#[derive(Template)]
#[template(path = "flag.html")]
struct FlagPage {
    nav: Nav,
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
    /// A feature tab's panel, when one is shown.
    panel: String,
}

/// What a failed POST puts back on the page: a message, the user's input and
/// what is wrong with it.
#[derive(Default)]
pub(super) struct Edit {
    pub(super) notice: Option<Notice>,
    pub(super) inputs: Inputs,
    /// A feature tab's panel as a failed form left it.
    pub(super) panel: Option<String>,
}

/// The environment's forms as typed, with their errors; `None` shows the stored state.
#[derive(Default)]
pub(super) struct Inputs {
    pub(super) toggle_error: Option<String>,
    /// A production toggle waiting for confirmation: the state asked for and the
    /// version the switch was based on.
    pub(super) confirm: Option<(bool, i64)>,
    pub(super) default_form: Option<DefaultForm>,
    /// The chosen off variation and what is wrong with it.
    pub(super) off: Option<(String, Option<String>)>,
    pub(super) targets_form: Option<TargetsForm>,
    pub(super) rules_error: Option<String>,
    pub(super) rule_form: Option<RuleForm>,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    Path((project, key)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
) -> Result<Response, UiError> {
    let path = format!("/flags/{project}/{key}");
    require_visible(&user, &project, &path)?;
    let p = state.store.project(&project).await.map_err(or_404(&path))?;
    let f = state.store.flag(&project, &key).await.map_err(or_404(&path))?;
    if !query.tab.is_empty() {
        let Some(tab) = state.flag_tabs.iter().find(|t| t.key == query.tab) else {
            return Err(UiError::NotFound(format!("{path}?tab={}", query.tab)));
        };
        return render_page(
            &state,
            &user,
            &p,
            &f,
            Showing::Tab(tab),
            Edit::default(),
            StatusCode::OK,
        )
        .await;
    }
    let env = if query.env.is_empty() {
        p.environments.iter().find(|e| e.primary).or(p.environments.first()).map(|e| e.key.clone())
    } else {
        Some(query.env.clone())
    };
    let Some(env) = env else {
        let showing = state.flag_tabs.first().map_or(Showing::Nothing, Showing::Tab);
        return render_page(&state, &user, &p, &f, showing, Edit::default(), StatusCode::OK).await;
    };
    let Some(env_name) = p.environments.iter().find(|e| e.key == env).map(|e| e.name.clone())
    else {
        return Err(UiError::NotFound(format!("{path}?env={env}")));
    };
    let notice = saved_notice(&query.saved, &f, &env, &env_name);
    let edit = Edit { notice, ..Edit::default() };
    render_page(&state, &user, &p, &f, Showing::Env(&env), edit, StatusCode::OK).await
}

/// A tab another feature adds to the flag page (`?tab=<key>`), after the
/// environments: its label and how its panel renders. The features' tabs are
/// data (`AppState::flag_tabs`), so adding one edits no other feature.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FlagTab {
    pub(crate) key: &'static str,
    pub(crate) label: &'static str,
    pub(crate) render: RenderPanel,
}

/// Renders a [`FlagTab`]'s panel for a flag.
pub(crate) type RenderPanel =
    for<'a> fn(
        &'a AppState,
        &'a Project,
        &'a FlagState,
    ) -> Pin<Box<dyn Future<Output = Result<String, UiError>> + Send + 'a>>;

/// What the page shows under its tabs.
#[derive(Clone, Copy)]
pub(super) enum Showing<'a> {
    Env(&'a str),
    Tab(&'a FlagTab),
    /// A project without environments and no feature tabs.
    Nothing,
}

/// The flag page on the tab `tab_key` with its panel as the feature rendered it
/// (e.g. a form that came back with a refused input and its error).
pub(crate) async fn tab_page(
    state: &AppState,
    user: &crate::auth::Caller,
    p: &Project,
    f: &FlagState,
    tab_key: &str,
    panel: String,
    status: StatusCode,
) -> Result<Response, UiError> {
    let Some(tab) = state.flag_tabs.iter().find(|t| t.key == tab_key) else {
        return Err(UiError::Other(ApiError::internal(std::io::Error::other(format!(
            "no flag page tab {tab_key:?}"
        )))));
    };
    let edit = Edit { panel: Some(panel), ..Edit::default() };
    render_page(state, user, p, f, Showing::Tab(tab), edit, status).await
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

pub(super) async fn render_page(
    state: &AppState,
    user: &crate::auth::Caller,
    p: &Project,
    f: &FlagState,
    showing: Showing<'_>,
    edit: Edit,
    status: StatusCode,
) -> Result<Response, UiError> {
    let now = state.clock.now_ms();
    let base = format!("/flags/{}/{}", p.key, f.flag.key);
    let env = match showing {
        Showing::Env(env) => Some(env),
        _ => None,
    };
    let mut tabs: Vec<Tab> = p
        .environments
        .iter()
        .map(|e| Tab {
            href: format!("{base}?env={}", e.key),
            label: e.name.clone(),
            current: env == Some(e.key.as_str()),
        })
        .collect();
    tabs.extend(state.flag_tabs.iter().map(|t| Tab {
        href: format!("{base}?tab={}", t.key),
        label: t.label.to_owned(),
        current: matches!(showing, Showing::Tab(s) if s.key == t.key),
    }));
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
            let production = p
                .environments
                .iter()
                .any(|e| e.key == c.env && e.kind == tether_store::EnvKind::Production);
            Some(env_view(&f.flag, c, (name, production), history, edit.inputs, now))
        }
        None => None,
    };
    let panel = match (edit.panel, showing) {
        (Some(panel), _) => panel,
        (None, Showing::Tab(tab)) => (tab.render)(state, p, f).await?,
        (None, _) => String::new(),
    };
    let flag = &f.flag;
    let page = FlagPage {
        nav: nav_for("/flags", user),
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
        panel,
    };
    html(status, &page)
}

fn env_view(
    flag: &Flag,
    c: &EnvConfigState,
    (name, production): (String, bool),
    history: Vec<HistoryRow>,
    inputs: Inputs,
    now: i64,
) -> EnvView {
    let config = &c.config;
    let Inputs { toggle_error, confirm, default_form, off, targets_form, rules_error, rule_form } =
        inputs;
    let (open_targets, open_rule, open_default, open_off) =
        (targets_form.is_some(), rule_form.is_some(), default_form.is_some(), off.is_some());
    let (off_selected, off_error) = off.unwrap_or_else(|| (config.off_variation.clone(), None));
    EnvView {
        key: c.env.clone(),
        name,
        on: config.on,
        version: c.version,
        production,
        confirm,
        open_targets,
        open_rule,
        open_default,
        open_off,
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
pub(super) fn rollout_order(flag: &Flag, config: &EnvConfig) -> Vec<String> {
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
    let entries = super::history(state, project, key, &[env], HISTORY).await?;
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
