//! What Jira is shown of a flag, computed once from its stored state.
//!
//! Rules (also in the README):
//! - the summary is the primary tracked environment; one detail per tracked environment,
//!   with its type;
//! - `enabled` is the environment's on/off; `defaultValue` is the off variation's name;
//! - the rollout is a percentage when only the default rule is in use (no individual
//!   targets, no rules): the share of contexts the default rule serves a variation other
//!   than the off variation (100 or 0 for a single variation, the rollout's weights
//!   otherwise); with targets or rules it is the number of rules (targets count as one);
//! - a flag is *fully rolled out* when it is on in the primary environment and serves
//!   100%; a flag tagged `archived` counts as archived; either resolves its remote links.

use serde::{Deserialize, Serialize};
use tether_flags::{EnvConfig, Serve, TOTAL_WEIGHT};
use tether_store::{FlagState, Project, ProjectJira};

/// A flag as Jira shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagView {
    pub project: String,
    pub key: String,
    pub name: String,
    /// The flag's page in tether's UI.
    pub url: String,
    pub issue_keys: Vec<String>,
    /// The primary tracked environment.
    pub primary: EnvView,
    /// Every tracked environment, in the project's order (the primary among them).
    pub environments: Vec<EnvView>,
    /// The newest save of the flag or of a tracked environment's configuration (epoch ms).
    pub last_saved: i64,
    pub fully_rolled_out: bool,
    pub archived: bool,
}

/// One tracked environment of a flag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvView {
    pub key: String,
    pub name: String,
    /// `development`, `testing`, `staging` or `production`.
    pub kind: String,
    pub enabled: bool,
    /// The off variation's name (what is served when the flag is off).
    pub default_value: String,
    pub rollout: RolloutView,
    /// The flag's page on this environment's tab.
    pub url: String,
    pub last_saved: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutView {
    /// Percent (0–100, up to 3 decimals) served something other than the off variation.
    Percentage(f64),
    /// Targeting rules in use (individual targets count as one).
    Rules(usize),
}

impl RolloutView {
    /// In words, for remote-link titles and tether's pages.
    pub fn describe(&self) -> String {
        match self {
            RolloutView::Percentage(p) => format!("{}%", trim_number(*p)),
            RolloutView::Rules(1) => "1 rule".into(),
            RolloutView::Rules(n) => format!("{n} rules"),
        }
    }
}

fn trim_number(p: f64) -> String {
    let s = format!("{p:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The rollout of one environment's configuration.
pub fn rollout(config: &EnvConfig) -> RolloutView {
    let rules = config.rules.len() + usize::from(!config.targets.is_empty());
    if rules > 0 {
        return RolloutView::Rules(rules);
    }
    let share = match &config.default_rule {
        Serve::Variation(v) if *v == config.off_variation => 0,
        Serve::Variation(_) => TOTAL_WEIGHT,
        Serve::Rollout(r) => r
            .variations
            .iter()
            .filter(|w| w.variation != config.off_variation)
            .map(|w| w.weight)
            .sum(),
    };
    RolloutView::Percentage(f64::from(share) * 100.0 / f64::from(TOTAL_WEIGHT))
}

/// Where a flag's page is in tether's UI.
pub fn flag_url(public_url: &str, project: &str, flag: &str) -> String {
    format!("{}/flags/{project}/{flag}", public_url.trim_end_matches('/'))
}

/// The remote link's `globalId` for a flag (the same on every issue it is linked to).
pub fn remote_link_global_id(project: &str, flag: &str) -> String {
    format!("tether:flag:{project}/{flag}")
}

/// The view of a flag for Jira; `None` when none of its tracked environments exist.
pub fn flag_view(
    state: &FlagState,
    project: &Project,
    tracking: &ProjectJira,
    public_url: &str,
) -> Option<FlagView> {
    let url = flag_url(public_url, &project.key, &state.flag.key);
    let mut environments = Vec::new();
    for env in &project.environments {
        if !tracking.tracked.contains(&env.key) {
            continue;
        }
        let Some(cfg) = state.environments.iter().find(|c| c.env == env.key) else { continue };
        let off_name = state
            .flag
            .variations
            .iter()
            .find(|v| v.key == cfg.config.off_variation)
            .map_or_else(|| cfg.config.off_variation.clone(), |v| v.name.clone());
        environments.push(EnvView {
            key: env.key.clone(),
            name: env.name.clone(),
            kind: env.kind.as_str().to_owned(),
            enabled: cfg.config.on,
            default_value: off_name,
            rollout: rollout(&cfg.config),
            url: format!("{url}?env={}", env.key),
            last_saved: cfg.updated_at,
        });
    }
    let primary = environments
        .iter()
        .find(|e| e.key == tracking.primary_env)
        .or_else(|| environments.first())?
        .clone();
    let last_saved =
        environments.iter().map(|e| e.last_saved).chain([state.updated_at]).max().unwrap_or(0);
    let fully_rolled_out = primary.enabled && primary.rollout == RolloutView::Percentage(100.0);
    Some(FlagView {
        project: project.key.clone(),
        key: state.flag.key.clone(),
        name: state.flag.name.clone(),
        url,
        issue_keys: state.flag.jira_issues().to_vec(),
        primary,
        environments,
        last_saved,
        fully_rolled_out,
        archived: state.flag.tags.iter().any(|t| t == "archived"),
    })
}

#[cfg(test)]
mod tests {
    use tether_flags::{Rollout, Rule, Target, WeightedVariation};

    use super::*;

    fn config(default_rule: Serve) -> EnvConfig {
        EnvConfig {
            on: true,
            off_variation: "off".into(),
            targets: vec![],
            rules: vec![],
            default_rule,
        }
    }

    fn split(on: u32) -> Serve {
        Serve::Rollout(Rollout {
            variations: vec![
                WeightedVariation { variation: "on".into(), weight: on },
                WeightedVariation { variation: "off".into(), weight: TOTAL_WEIGHT - on },
            ],
            bucket_by: None,
            salt: "s".into(),
        })
    }

    #[test]
    fn rollout_is_the_share_not_served_the_off_variation() {
        assert_eq!(rollout(&config(Serve::variation("on"))), RolloutView::Percentage(100.0));
        assert_eq!(rollout(&config(Serve::variation("off"))), RolloutView::Percentage(0.0));
        assert_eq!(rollout(&config(split(30_000))), RolloutView::Percentage(30.0));
        assert_eq!(rollout(&config(split(12_345))), RolloutView::Percentage(12.345));
        assert_eq!(RolloutView::Percentage(12.345).describe(), "12.345%");
        assert_eq!(RolloutView::Percentage(30.0).describe(), "30%");
    }

    #[test]
    fn rules_and_targets_count_as_rules() {
        let mut c = config(split(50_000));
        c.targets.push(Target { variation: "on".into(), keys: vec!["u1".into()] });
        assert_eq!(rollout(&c), RolloutView::Rules(1));
        c.rules.push(Rule {
            id: "a".into(),
            description: String::new(),
            clauses: vec![],
            serve: Serve::variation("on"),
        });
        c.rules.push(Rule {
            id: "b".into(),
            description: String::new(),
            clauses: vec![],
            serve: Serve::variation("on"),
        });
        assert_eq!(rollout(&c), RolloutView::Rules(3));
        assert_eq!(RolloutView::Rules(3).describe(), "3 rules");
    }
}
