//! The API's JSON of code ↔ Jira settings: what a request sets or resets at one level, and
//! each field in force with where it comes from. Converted to and from the store's
//! `CodeSettings` here and nowhere else.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tether_store::dev::{
    CodeSettings, CommentDetail, EffectiveSettings, Level, Resolved, SettingField, Transitions,
    Triggers,
};

use crate::error::ApiError;

/// A change to one level's settings: the fields given are set there, the fields named in
/// `reset` are inherited again.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsBody {
    #[serde(default)]
    pub site: Option<String>,
    /// `commits`, `merge_requests` or `both`.
    #[serde(default)]
    pub triggers: Option<String>,
    #[serde(default)]
    pub comments: Option<bool>,
    /// `standard`, `all_details` or `link_only`.
    #[serde(default)]
    pub comment_detail: Option<String>,
    /// `"off"`, `"automatic"`, or a list of transition ids.
    #[serde(default)]
    pub transitions: Option<Value>,
    #[serde(default)]
    pub key_regex: Option<String>,
    #[serde(default)]
    pub key_prefix: Option<String>,
    #[serde(default)]
    pub project_keys: Option<Vec<String>>,
    #[serde(default)]
    pub smart_commits: Option<bool>,
    #[serde(default)]
    pub development_panel: Option<bool>,
    /// Fields to inherit again.
    #[serde(default)]
    pub reset: Vec<String>,
}

/// One field in force.
#[derive(Debug, Serialize)]
pub(crate) struct FieldView {
    pub value: Value,
    /// `default`, `instance`, `group <name>` or `repository`.
    pub source: String,
    /// Whether the level asked about sets it.
    pub set_here: bool,
}

/// The settings of one level: every field in force, where it comes from.
#[derive(Debug, Serialize)]
pub(crate) struct SettingsView {
    pub level: String,
    pub fields: BTreeMap<&'static str, FieldView>,
}

impl SettingsBody {
    /// The level's settings with this change applied.
    pub(crate) fn apply(self, mut level: CodeSettings) -> Result<CodeSettings, ApiError> {
        for name in &self.reset {
            let field = SettingField::parse(name).ok_or_else(|| {
                ApiError::invalid(
                    "reset",
                    format!("{name:?} is not a setting; use one of {}", names()),
                )
            })?;
            level.reset(field);
        }
        let set = CodeSettings {
            site: self.site.map(|s| s.trim().to_owned()),
            triggers: self.triggers.as_deref().map(triggers).transpose()?,
            comments: self.comments,
            comment_detail: self.comment_detail.as_deref().map(comment_detail).transpose()?,
            transitions: self.transitions.as_ref().map(transitions).transpose()?,
            key_regex: self.key_regex,
            key_prefix: self.key_prefix,
            project_keys: self.project_keys,
            smart_commits: self.smart_commits,
            development_panel: self.development_panel,
        };
        level.merge(&set);
        Ok(level)
    }
}

fn names() -> String {
    SettingField::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
}

fn triggers(s: &str) -> Result<Triggers, ApiError> {
    match s {
        "commits" => Ok(Triggers::Commits),
        "merge_requests" => Ok(Triggers::MergeRequests),
        "both" => Ok(Triggers::Both),
        other => Err(ApiError::invalid(
            "triggers",
            format!("{other:?} is not a trigger; use commits, merge_requests or both"),
        )),
    }
}

fn comment_detail(s: &str) -> Result<CommentDetail, ApiError> {
    match s {
        "standard" => Ok(CommentDetail::Standard),
        "all_details" => Ok(CommentDetail::AllDetails),
        "link_only" => Ok(CommentDetail::LinkOnly),
        other => Err(ApiError::invalid(
            "comment_detail",
            format!("{other:?} is not a comment detail; use standard, all_details or link_only"),
        )),
    }
}

fn transitions(v: &Value) -> Result<Transitions, ApiError> {
    let bad = || {
        ApiError::invalid(
            "transitions",
            "expected \"off\", \"automatic\" or a list of transition ids such as [\"21\", \"31\"]",
        )
    };
    match v {
        Value::String(s) if s == "off" => Ok(Transitions::Off),
        Value::String(s) if s == "automatic" => Ok(Transitions::Automatic),
        Value::Array(ids) => {
            let ids: Vec<String> = ids
                .iter()
                .map(|id| match id {
                    Value::String(s) => Some(s.trim().to_owned()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect::<Option<_>>()
                .ok_or_else(bad)?;
            if ids.is_empty()
                || ids.iter().any(|id| id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(ApiError::invalid(
                    "transitions",
                    "custom transitions are a non-empty list of transition ids (numbers such as \"31\", \
                     listed by Jira under the issue's transitions)",
                ));
            }
            Ok(Transitions::Custom(ids))
        }
        _ => Err(bad()),
    }
}

/// The JSON of one field's value in force.
fn value_of(s: &EffectiveSettings, field: SettingField) -> Value {
    match field {
        SettingField::Site => json!(s.site),
        SettingField::Triggers => json!(match s.triggers {
            Triggers::Commits => "commits",
            Triggers::MergeRequests => "merge_requests",
            Triggers::Both => "both",
        }),
        SettingField::Comments => json!(s.comments),
        SettingField::CommentDetail => json!(match s.comment_detail {
            CommentDetail::Standard => "standard",
            CommentDetail::AllDetails => "all_details",
            CommentDetail::LinkOnly => "link_only",
        }),
        SettingField::Transitions => match &s.transitions {
            Transitions::Off => json!("off"),
            Transitions::Automatic => json!("automatic"),
            Transitions::Custom(ids) => json!(ids),
        },
        SettingField::KeyRegex => json!(s.key_regex),
        SettingField::KeyPrefix => json!(s.key_prefix),
        SettingField::ProjectKeys => json!(s.project_keys),
        SettingField::SmartCommits => json!(s.smart_commits),
        SettingField::DevelopmentPanel => json!(s.development_panel),
    }
}

/// The view of a level: `resolved` is what is in force there, `own` what it sets.
pub(crate) fn settings_view(level: &str, resolved: &Resolved, own: &CodeSettings) -> SettingsView {
    let fields = SettingField::ALL
        .into_iter()
        .map(|f| {
            let source = match resolved.source(f) {
                Level::Group(name) => format!("group {name}"),
                other => other.to_string(),
            };
            (
                f.name(),
                FieldView { value: value_of(&resolved.settings, f), source, set_here: own.sets(f) },
            )
        })
        .collect();
    SettingsView { level: level.to_owned(), fields }
}
