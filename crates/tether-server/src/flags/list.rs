//! The flag list at `/flags`: search and filters as GET parameters, the flags of
//! every project the signed-in token may view.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tether_flags::{EnvConfig, Flag, FlagKind, Serve};
use tether_store::{FlagState, Project};

use crate::error::ApiError;
use crate::web::format::percent;
use crate::web::page::{UiError, html};
use crate::web::signin::UiUser;
use crate::web::{Nav, nav_for};
use crate::{AppState, VERSION};

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
    /// What it serves when that is not obvious from on/off: a rollout's split,
    /// a variation of a non-boolean flag, how many rules and targets.
    detail: String,
}

struct FlagRow {
    href: String,
    name: String,
    key: String,
    kind: &'static str,
    tags: Vec<String>,
    /// Linked Jira issue keys.
    issues: Vec<String>,
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
    nav: Nav,
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
        nav: nav_for("/flags", &user),
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
        issues: f.flag.jira_issues().to_vec(),
        states: p
            .environments
            .iter()
            .map(|e| {
                let config = f.environments.iter().find(|c| c.env == e.key).map(|c| &c.config);
                EnvState {
                    href: format!("{href}?env={}", e.key),
                    on: config.is_some_and(|c| c.on),
                    env_name: e.name.clone(),
                    detail: config.map(|c| serving(&f.flag, c)).unwrap_or_default(),
                }
            })
            .collect(),
        href,
    }
}

/// What an environment that is on serves, in a few words; empty when a boolean
/// flag simply serves `on` (the pill says it) or when it is off.
fn serving(flag: &Flag, config: &EnvConfig) -> String {
    if !config.on {
        return String::new();
    }
    let mut parts = Vec::new();
    match &config.default_rule {
        Serve::Variation(v) if flag.kind == FlagKind::Boolean && v == "on" => {}
        Serve::Variation(v) => parts.push(v.clone()),
        Serve::Rollout(r) => parts.push(
            r.variations
                .iter()
                .filter(|w| w.weight > 0)
                .map(|w| format!("{}% {}", percent(w.weight), w.variation))
                .collect::<Vec<_>>()
                .join(" · "),
        ),
    }
    let count = |n: usize, one: &str| match n {
        0 => None,
        1 => Some(format!("1 {one}")),
        n => Some(format!("{n} {one}s")),
    };
    parts.extend(count(config.rules.len(), "rule"));
    parts.extend(count(config.targets.iter().map(|t| t.keys.len()).sum(), "target"));
    parts.join(", ")
}
