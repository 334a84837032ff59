//! Code ↔ Jira settings at three levels, instance → group → repository, each level setting
//! only the fields it overrides; [`resolve`] reads every field from the nearest level that
//! sets it and says which one that was. (GitLab inherits a whole integration or none of it;
//! here a repository may override its key regex alone.)
//!
//! The JSON of [`CodeSettings`] is the store's own row format (the `settings` columns and
//! the instance setting `dev.settings`): absent fields are inherited.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The settings one level sets; `None` inherits from the level above.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeSettings {
    /// The tether Jira site (by name) mentions go to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggers: Option<Triggers>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_detail: Option<CommentDetail>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transitions: Option<Transitions>,
    /// A custom key pattern; `""` sets the default pattern (overriding one set above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_regex: Option<String>,
    /// A prefix keys must carry; `""` sets none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_prefix: Option<String>,
    /// Only keys of these Jira projects count; empty sets every project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_keys: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smart_commits: Option<bool>,
    /// Jira Cloud's Development panel through the Development Information API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub development_panel: Option<bool>,
}

/// Which events mention issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Triggers {
    Commits,
    MergeRequests,
    Both,
}

impl Triggers {
    pub fn commits(self) -> bool {
        matches!(self, Triggers::Commits | Triggers::Both)
    }

    pub fn merge_requests(self) -> bool {
        matches!(self, Triggers::MergeRequests | Triggers::Both)
    }
}

/// How much a mention comment says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommentDetail {
    /// Who, which commit or merge request, where, and its first line.
    Standard,
    /// The same with the whole message quoted.
    AllDetails,
    /// Who, what and where as links only: no message text ever reaches Jira (for private
    /// repositories).
    LinkOnly,
}

/// Whether and how closing words move issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode", content = "ids")]
pub enum Transitions {
    Off,
    /// The first transition whose target status is in the done category.
    Automatic,
    /// These transition ids in order, stopping at the first that fails.
    Custom(Vec<String>),
}

/// The fields of [`CodeSettings`], named as the API names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SettingField {
    Site,
    Triggers,
    Comments,
    CommentDetail,
    Transitions,
    KeyRegex,
    KeyPrefix,
    ProjectKeys,
    SmartCommits,
    DevelopmentPanel,
}

impl SettingField {
    pub const ALL: [SettingField; 10] = [
        SettingField::Site,
        SettingField::Triggers,
        SettingField::Comments,
        SettingField::CommentDetail,
        SettingField::Transitions,
        SettingField::KeyRegex,
        SettingField::KeyPrefix,
        SettingField::ProjectKeys,
        SettingField::SmartCommits,
        SettingField::DevelopmentPanel,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SettingField::Site => "site",
            SettingField::Triggers => "triggers",
            SettingField::Comments => "comments",
            SettingField::CommentDetail => "comment_detail",
            SettingField::Transitions => "transitions",
            SettingField::KeyRegex => "key_regex",
            SettingField::KeyPrefix => "key_prefix",
            SettingField::ProjectKeys => "project_keys",
            SettingField::SmartCommits => "smart_commits",
            SettingField::DevelopmentPanel => "development_panel",
        }
    }

    pub fn parse(name: &str) -> Option<SettingField> {
        SettingField::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl fmt::Display for SettingField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a field's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Level {
    /// Nobody set it: tether's default.
    Default,
    Instance,
    Group(String),
    Repository,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Level::Default => f.write_str("default"),
            Level::Instance => f.write_str("instance"),
            Level::Group(name) => write!(f, "group {name}"),
            Level::Repository => f.write_str("repository"),
        }
    }
}

/// Every field with a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveSettings {
    pub site: Option<String>,
    pub triggers: Triggers,
    pub comments: bool,
    pub comment_detail: CommentDetail,
    pub transitions: Transitions,
    /// `None`: the default pattern.
    pub key_regex: Option<String>,
    pub key_prefix: Option<String>,
    pub project_keys: Vec<String>,
    pub smart_commits: bool,
    pub development_panel: bool,
}

impl Default for EffectiveSettings {
    /// tether's defaults: both triggers, comments on with the standard detail, no
    /// transitions (as GitLab), the default key pattern for every project, Smart Commits and
    /// the Development panel on.
    fn default() -> EffectiveSettings {
        EffectiveSettings {
            site: None,
            triggers: Triggers::Both,
            comments: true,
            comment_detail: CommentDetail::Standard,
            transitions: Transitions::Off,
            key_regex: None,
            key_prefix: None,
            project_keys: Vec::new(),
            smart_commits: true,
            development_panel: true,
        }
    }
}

/// The settings in force and where each field comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub settings: EffectiveSettings,
    pub sources: BTreeMap<SettingField, Level>,
}

impl Resolved {
    pub fn source(&self, field: SettingField) -> &Level {
        self.sources.get(&field).unwrap_or(&Level::Default)
    }
}

impl CodeSettings {
    /// Whether this level sets `field`.
    pub fn sets(&self, field: SettingField) -> bool {
        match field {
            SettingField::Site => self.site.is_some(),
            SettingField::Triggers => self.triggers.is_some(),
            SettingField::Comments => self.comments.is_some(),
            SettingField::CommentDetail => self.comment_detail.is_some(),
            SettingField::Transitions => self.transitions.is_some(),
            SettingField::KeyRegex => self.key_regex.is_some(),
            SettingField::KeyPrefix => self.key_prefix.is_some(),
            SettingField::ProjectKeys => self.project_keys.is_some(),
            SettingField::SmartCommits => self.smart_commits.is_some(),
            SettingField::DevelopmentPanel => self.development_panel.is_some(),
        }
    }

    /// Stops setting `field` at this level: it is inherited again.
    pub fn reset(&mut self, field: SettingField) {
        match field {
            SettingField::Site => self.site = None,
            SettingField::Triggers => self.triggers = None,
            SettingField::Comments => self.comments = None,
            SettingField::CommentDetail => self.comment_detail = None,
            SettingField::Transitions => self.transitions = None,
            SettingField::KeyRegex => self.key_regex = None,
            SettingField::KeyPrefix => self.key_prefix = None,
            SettingField::ProjectKeys => self.project_keys = None,
            SettingField::SmartCommits => self.smart_commits = None,
            SettingField::DevelopmentPanel => self.development_panel = None,
        }
    }

    /// The fields `other` sets, set here too (a partial update).
    pub fn merge(&mut self, other: &CodeSettings) {
        macro_rules! take {
            ($($f:ident),*) => { $( if other.$f.is_some() { self.$f = other.$f.clone(); } )* };
        }
        take!(
            site,
            triggers,
            comments,
            comment_detail,
            transitions,
            key_regex,
            key_prefix,
            project_keys,
            smart_commits,
            development_panel
        );
    }

    pub(crate) fn from_row(json: &str) -> crate::Result<CodeSettings> {
        serde_json::from_str(json)
            .map_err(|e| crate::StoreError::Damaged(format!("code settings: {e}")))
    }

    pub(crate) fn to_row(&self) -> String {
        serde_json::to_string(self).expect("settings serialise")
    }
}

/// The settings in force for a repository: each field from the repository if it sets it,
/// else its group's, else the instance's, else tether's default.
pub fn resolve(
    instance: &CodeSettings,
    group: Option<(&str, &CodeSettings)>,
    repository: &CodeSettings,
) -> Resolved {
    let mut levels: Vec<(Level, &CodeSettings)> = vec![(Level::Repository, repository)];
    if let Some((name, g)) = group {
        levels.push((Level::Group(name.to_owned()), g));
    }
    levels.push((Level::Instance, instance));
    let mut out = EffectiveSettings::default();
    let mut sources = BTreeMap::new();
    for field in SettingField::ALL {
        let Some((level, s)) = levels.iter().find(|(_, s)| s.sets(field)) else {
            sources.insert(field, Level::Default);
            continue;
        };
        sources.insert(field, level.clone());
        let blank = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        match field {
            SettingField::Site => out.site = s.site.clone(),
            SettingField::Triggers => out.triggers = s.triggers.unwrap_or(out.triggers),
            SettingField::Comments => out.comments = s.comments.unwrap_or(out.comments),
            SettingField::CommentDetail => {
                out.comment_detail = s.comment_detail.unwrap_or(out.comment_detail)
            }
            SettingField::Transitions => {
                out.transitions = s.transitions.clone().unwrap_or(Transitions::Off)
            }
            SettingField::KeyRegex => out.key_regex = blank(&s.key_regex),
            SettingField::KeyPrefix => out.key_prefix = blank(&s.key_prefix),
            SettingField::ProjectKeys => {
                out.project_keys = s.project_keys.clone().unwrap_or_default()
            }
            SettingField::SmartCommits => {
                out.smart_commits = s.smart_commits.unwrap_or(out.smart_commits)
            }
            SettingField::DevelopmentPanel => {
                out.development_panel = s.development_panel.unwrap_or(out.development_panel)
            }
        }
    }
    Resolved { settings: out, sources }
}
