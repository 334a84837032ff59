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
    /// Only the default rule, serving one variation: 100 when it is not the off variation,
    /// else 0.
    Percentage(f64),
    /// Only the default rule, a percentage rollout: each variation's share in the rollout's
    /// order, the percent (0–100, up to 3 decimals) served something other than the off
    /// variation, and the off variation's name (Split's "default treatment").
    Split { shares: Vec<(String, f64)>, percentage: f64, default_treatment: String },
    /// Targeting rules (individual targets count as one), the default rule serving one
    /// variation.
    Rules(usize),
    /// Targeting rules, and a percentage rollout in the default rule (the percent served
    /// something other than the off variation).
    RulesAndRollout { rules: usize, percentage: f64 },
}

impl RolloutView {
    /// In words, the same on every surface: the Feature Flags API's text, remote-link titles
    /// and tether's pages. `30% true · 70% false, default treatment false`, `3 rules`,
    /// `1 rule + 25% rollout`.
    pub fn describe(&self) -> String {
        let rules = |n: usize| if n == 1 { "1 rule".to_owned() } else { format!("{n} rules") };
        match self {
            RolloutView::Percentage(p) => format!("{}%", trim_number(*p)),
            RolloutView::Split { shares, default_treatment, .. } => {
                let shares: Vec<String> =
                    shares.iter().map(|(name, p)| format!("{}% {name}", trim_number(*p))).collect();
                format!("{}, default treatment {default_treatment}", shares.join(" · "))
            }
            RolloutView::Rules(n) => rules(*n),
            RolloutView::RulesAndRollout { rules: n, percentage } => {
                format!("{} + {}% rollout", rules(*n), trim_number(*percentage))
            }
        }
    }

    /// The percent served something other than the off variation, when only the default rule
    /// is in use.
    pub fn percentage(&self) -> Option<f64> {
        match self {
            RolloutView::Percentage(p) | RolloutView::Split { percentage: p, .. } => Some(*p),
            RolloutView::Rules(_) | RolloutView::RulesAndRollout { .. } => None,
        }
    }
}

fn trim_number(p: f64) -> String {
    let s = format!("{p:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn percent(weight: u32) -> f64 {
    f64::from(weight) * 100.0 / f64::from(TOTAL_WEIGHT)
}

/// The rollout of one environment's configuration; `name` gives a variation's name by key.
pub fn rollout(config: &EnvConfig, name: &dyn Fn(&str) -> String) -> RolloutView {
    let rules = config.rules.len() + usize::from(!config.targets.is_empty());
    let not_off: u32 = match &config.default_rule {
        Serve::Variation(v) if *v == config.off_variation => 0,
        Serve::Variation(_) => TOTAL_WEIGHT,
        Serve::Rollout(r) => r
            .variations
            .iter()
            .filter(|w| w.variation != config.off_variation)
            .map(|w| w.weight)
            .sum(),
    };
    match (&config.default_rule, rules) {
        (Serve::Rollout(_), n) if n > 0 => {
            RolloutView::RulesAndRollout { rules: n, percentage: percent(not_off) }
        }
        (_, n) if n > 0 => RolloutView::Rules(n),
        (Serve::Rollout(r), _) => RolloutView::Split {
            shares: r
                .variations
                .iter()
                .filter(|w| w.weight > 0)
                .map(|w| (name(&w.variation), percent(w.weight)))
                .collect(),
            percentage: percent(not_off),
            default_treatment: name(&config.off_variation),
        },
        (Serve::Variation(_), _) => RolloutView::Percentage(percent(not_off)),
    }
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
        let name = |key: &str| {
            state
                .flag
                .variations
                .iter()
                .find(|v| v.key == key)
                .map_or_else(|| key.to_owned(), |v| v.name.clone())
        };
        let off_name = name(&cfg.config.off_variation);
        environments.push(EnvView {
            key: env.key.clone(),
            name: env.name.clone(),
            kind: env.kind.as_str().to_owned(),
            enabled: cfg.config.on,
            default_value: off_name,
            rollout: rollout(&cfg.config, &name),
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
    let fully_rolled_out = primary.enabled && primary.rollout.percentage() == Some(100.0);
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

    fn names(key: &str) -> String {
        key.replace("on", "true").replace("off", "false")
    }

    #[test]
    fn the_default_rule_alone_shows_each_share_and_the_default_treatment() {
        // (default rule, rollout, words)
        let cases = [
            (Serve::variation("on"), RolloutView::Percentage(100.0), "100%"),
            (Serve::variation("off"), RolloutView::Percentage(0.0), "0%"),
            (
                split(30_000),
                split_view(30.0, 70.0),
                "30% true · 70% false, default treatment false",
            ),
            (
                split(12_345),
                split_view(12.345, 87.655),
                "12.345% true · 87.655% false, default treatment false",
            ),
        ];
        for (serve, want, words) in cases {
            let got = rollout(&config(serve), &names);
            assert_eq!(got, want);
            assert_eq!(got.describe(), words);
        }
    }

    fn split_view(on: f64, off: f64) -> RolloutView {
        RolloutView::Split {
            shares: vec![("true".into(), on), ("false".into(), off)],
            percentage: on,
            default_treatment: "false".into(),
        }
    }

    fn rule(id: &str) -> Rule {
        Rule {
            id: id.into(),
            description: String::new(),
            clauses: vec![],
            serve: Serve::variation("on"),
        }
    }

    #[test]
    fn rules_and_targets_count_as_rules_and_a_rollout_beside_them_is_named() {
        let target = Target { variation: "on".into(), keys: vec!["u1".into()] };
        // (targets, rules, default rule, words)
        let cases: Vec<(bool, usize, Serve, &str)> = vec![
            (true, 0, Serve::variation("on"), "1 rule"),
            (true, 2, Serve::variation("off"), "3 rules"),
            (false, 1, split(25_000), "1 rule + 25% rollout"),
            (true, 2, split(50_000), "3 rules + 50% rollout"),
        ];
        for (targets, rules, serve, words) in cases {
            let mut c = config(serve);
            if targets {
                c.targets.push(target.clone());
            }
            c.rules = (0..rules).map(|i| rule(&i.to_string())).collect();
            let got = rollout(&c, &names).describe();
            // Regression: a rule beside a rollout once read "rollout 1 rule".
            assert_eq!(got, words);
            assert!(!got.contains("rollout 1"), "{got}");
        }
    }
}
