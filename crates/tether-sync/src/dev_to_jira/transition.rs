//! Moving issues: closing words that reach the default branch (automatic: the first
//! transition into the done category; custom: the configured ids in order, stopping at the
//! first that fails), and Smart Commits' `#<transition>`. Skipped when the issue already
//! has a resolution. Fields the transition screen requires are filled from Jira's
//! transition metadata (`expand=transitions.fields`): the resolution "Done" (or "Fixed",
//! else the first offered), any other required field with offered values its first one.
//!
//! A transition is never repeated after an ambiguous failure (a 500, no answer): the
//! ledger says `unknown`. A claim whose worker died before any answer is settled by the
//! issue itself: resolved means it happened.

use serde_json::{Map, Value, json};
use tether_jira::{Error, Transition};
use tether_refs::{IssueKey, TransitionMatch, match_transition};
use tether_store::dev::{Claim, LedgerKey, LedgerState, Transitions};

use super::actions::{Halt, Run, Step, ledger, transient};
use super::plan::Entity;
use super::report::{ActionReport, Outcome};

/// Which transitions to apply.
#[derive(Debug, Clone)]
pub(crate) enum Wanted {
    /// Closing words: the repository's setting.
    Close(Transitions),
    /// `#<name>` of a Smart Commit.
    Named(String),
}

impl Run<'_> {
    /// Applies `wanted` to `key` once for this entity (`action` names it in the ledger).
    pub(crate) async fn transition(
        &mut self,
        e: &Entity,
        key: &IssueKey,
        action: &str,
        label: &str,
        wanted: Wanted,
    ) -> Step {
        let k = ledger(self.site_id, key.as_str(), e, action);
        match self.store.ledger_claim(k).await? {
            Claim::Won => {}
            Claim::Held(entry) => match entry.state {
                LedgerState::Done => {
                    return Ok(ActionReport::new(label, Outcome::AlreadyDone, entry.detail));
                }
                LedgerState::Started => {
                    let age = self.store.clock().now_ms() - entry.updated_at;
                    let hold = i64::try_from(self.hold.as_millis()).unwrap_or(i64::MAX);
                    if age < hold {
                        return Err(Halt::Retry {
                            error: format!("{label}: an earlier attempt may still be in flight"),
                            retry_after: Some(std::time::Duration::from_millis(
                                (hold - age).max(1) as u64,
                            )),
                        });
                    }
                    // Its worker died before an answer: the issue says whether it happened.
                    if matches!(wanted, Wanted::Close(_)) && self.resolution(key).await?.is_some() {
                        let detail = "found resolved after an interrupted attempt";
                        self.store.ledger_settle(k, LedgerState::Done, detail).await?;
                        return Ok(ActionReport::new(label, Outcome::Done, detail));
                    }
                    if !self.store.ledger_reclaim(k, entry.updated_at).await? {
                        return Err(Halt::Retry {
                            error: format!("{label}: another worker took it over"),
                            retry_after: None,
                        });
                    }
                }
                LedgerState::Failed | LedgerState::Skipped | LedgerState::Unknown => {
                    let detail = format!("{} before: {}", entry.state.as_str(), entry.detail);
                    return Ok(ActionReport::new(label, Outcome::Skipped, detail));
                }
            },
        }
        let result = self.apply(k, key, label, wanted).await;
        if let Err(Halt::Retry { .. }) = &result {
            // Nothing was applied (see `apply`): the next attempt starts afresh.
            self.store.ledger_release(k).await?;
        }
        result
    }

    /// The resolution of `key`, if it has one.
    async fn resolution(&self, key: &IssueKey) -> Result<Option<String>, Halt> {
        match self.client.issue(key.as_str(), &["resolution", "status"], &[]).await {
            Ok(issue) => Ok(issue.fields.resolution.map(|r| r.name)),
            Err(err) => match transient(&err) {
                Some(halt) => Err(halt),
                // Not readable: the attempt that follows says why.
                None => Ok(None),
            },
        }
    }

    /// Applies what is wanted, settling the claim `k`; a `Halt::Retry` only while nothing
    /// has been applied.
    async fn apply(&self, k: LedgerKey<'_>, key: &IssueKey, label: &str, wanted: Wanted) -> Step {
        let settle = |state: LedgerState, outcome: Outcome, detail: String| async move {
            self.store.ledger_settle(k, state, &detail).await?;
            Ok::<ActionReport, Halt>(ActionReport::new(label, outcome, detail))
        };
        let issue = match self.client.issue(key.as_str(), &["resolution", "status"], &[]).await {
            Ok(i) => i,
            Err(err) => {
                if let Some(halt) = transient(&err) {
                    return Err(halt);
                }
                return settle(LedgerState::Failed, Outcome::Failed, err.to_string()).await;
            }
        };
        let status = issue.fields.status.as_ref().map(|s| s.name.clone()).unwrap_or_default();
        if let (Wanted::Close(_), Some(r)) = (&wanted, &issue.fields.resolution) {
            let detail = format!("already resolved ({}, status {status})", r.name);
            return settle(LedgerState::Skipped, Outcome::Skipped, detail).await;
        }
        let ids: Vec<Option<String>> = match &wanted {
            Wanted::Close(Transitions::Off) => {
                return settle(
                    LedgerState::Skipped,
                    Outcome::Skipped,
                    "transitions are off".into(),
                )
                .await;
            }
            Wanted::Close(Transitions::Automatic) => vec![None],
            Wanted::Close(Transitions::Custom(ids)) => ids.iter().cloned().map(Some).collect(),
            Wanted::Named(_) => vec![None],
        };
        let mut applied: Vec<String> = Vec::new();
        for wanted_id in ids {
            let available = match self.client.transitions(key.as_str()).await {
                Ok(t) => t,
                Err(err) => {
                    if applied.is_empty()
                        && let Some(halt) = transient(&err)
                    {
                        return Err(halt);
                    }
                    let detail = stopped(&applied, &err.to_string());
                    return settle(LedgerState::Failed, Outcome::Failed, detail).await;
                }
            };
            let chosen = match choose(&available, wanted_id.as_deref(), &wanted, &status) {
                Ok(t) => t,
                Err(why) => {
                    let detail = stopped(&applied, &why);
                    return settle(LedgerState::Failed, Outcome::Failed, detail).await;
                }
            };
            let fields = match screen_fields(chosen) {
                Ok(f) => f,
                Err(why) => {
                    let detail = stopped(&applied, &why);
                    return settle(LedgerState::Failed, Outcome::Failed, detail).await;
                }
            };
            let name = target_name(chosen);
            match self.client.transition(key.as_str(), &chosen.id, fields).await {
                Ok(()) => applied.push(name),
                Err(err) if err.may_have_applied() => {
                    let detail = stopped(&applied, &format!("{name}: {err} (not repeated)"));
                    return settle(LedgerState::Unknown, Outcome::Unknown, detail).await;
                }
                Err(err) => {
                    if applied.is_empty()
                        && let Some(halt) = transient(&err)
                    {
                        return Err(halt);
                    }
                    let detail = stopped(&applied, &format!("{name}: {}", jira_words(&err)));
                    return settle(LedgerState::Failed, Outcome::Failed, detail).await;
                }
            }
        }
        settle(LedgerState::Done, Outcome::Done, applied.join(", then ")).await
    }
}

/// What was applied before a stop, and why it stopped.
fn stopped(applied: &[String], why: &str) -> String {
    if applied.is_empty() {
        why.to_owned()
    } else {
        format!("applied {}, then stopped: {why}", applied.join(", then "))
    }
}

/// `Done (id 31 → Done)`.
fn target_name(t: &Transition) -> String {
    let to = t.to.as_ref().map(|s| s.name.as_str()).unwrap_or("?");
    format!("{} (id {} → {to})", t.name, t.id)
}

fn jira_words(err: &Error) -> String {
    let messages = err.messages();
    if messages.is_empty() { err.to_string() } else { messages.join("; ") }
}

/// The transition to apply now.
fn choose<'t>(
    available: &'t [Transition],
    id: Option<&str>,
    wanted: &Wanted,
    status: &str,
) -> Result<&'t Transition, String> {
    let names = || available.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ");
    if let Some(id) = id {
        return available.iter().find(|t| t.id == id).ok_or_else(|| {
            format!(
                "transition {id} is not available from status {status} (available: {})",
                names()
            )
        });
    }
    match wanted {
        Wanted::Named(name) => {
            match match_transition(name, available.iter().map(|t| t.name.as_str())) {
                TransitionMatch::Unique(i) => Ok(&available[i]),
                TransitionMatch::Ambiguous(is) => {
                    let which: Vec<&str> = is.iter().map(|&i| available[i].name.as_str()).collect();
                    Err(format!(
                        "#{name} matches {}: write more of the name (hyphens for spaces)",
                        which.join(", ")
                    ))
                }
                TransitionMatch::NoMatch => Err(format!(
                    "no transition named #{name} from status {status} (available: {})",
                    names()
                )),
            }
        }
        Wanted::Close(_) => {
            available.iter().find(|t| t.target_category() == Some("done")).ok_or_else(|| {
                format!(
                    "no transition into a done status from status {status} (available: {})",
                    names()
                )
            })
        }
    }
}

/// The values of the fields the transition's screen requires.
fn screen_fields(t: &Transition) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for (id, meta) in t.fields.iter().filter(|(_, f)| f.required) {
        let allowed = meta.allowed_values.as_deref().unwrap_or_default();
        let pick = if id == "resolution" {
            ["Done", "Fixed"]
                .iter()
                .find_map(|n| allowed.iter().find(|v| v["name"].as_str() == Some(n)))
                .or_else(|| allowed.first())
        } else {
            allowed.first()
        };
        let Some(value) = pick else {
            let name = meta.name.as_deref().unwrap_or(id);
            return Err(format!(
                "the transition screen of {} requires {name}, which tether cannot fill \
                 (no values offered); use a transition without that field",
                t.name
            ));
        };
        let chosen = match (value.get("id"), value.get("name")) {
            (Some(id), _) => json!({"id": id}),
            (None, Some(name)) => json!({"name": name}),
            (None, None) => value.clone(),
        };
        out.insert(id.clone(), chosen);
    }
    Ok(out)
}
