//! What processing a dev event found and did, as the per-event delivery log shows it: the
//! entities it carried, the keys each mentioned, and per issue each action with its outcome
//! and why. Stored as JSON on the event (`dev_events.report`), read back by the server.

use serde::{Deserialize, Serialize};

/// One event's log entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventReport {
    /// What the event was (`push to main`, `merge request !7 merged`).
    pub summary: String,
    /// What was left aside and why, and other remarks.
    #[serde(default)]
    pub notes: Vec<String>,
    #[serde(default)]
    pub entities: Vec<EntityReport>,
    /// Why the event could not be processed at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One commit or merge request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityReport {
    /// `commit abc1234`, `merge request !7`.
    pub entity: String,
    pub title: String,
    pub url: String,
    /// Every key it mentions.
    pub keys: Vec<String>,
    /// The keys its closing words close.
    #[serde(default)]
    pub closes: Vec<String>,
    /// Its Smart Commit commands as written.
    #[serde(default)]
    pub commands: Vec<String>,
    /// Smart Commit commands that cannot be carried out as written, with why.
    #[serde(default)]
    pub ignored: Vec<String>,
    #[serde(default)]
    pub issues: Vec<IssueReport>,
}

/// What was done on one issue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueReport {
    pub key: String,
    pub actions: Vec<ActionReport>,
}

/// One action's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionReport {
    /// `remote link`, `comment`, `transition`, `#comment`, `#time`, `#<transition>`.
    pub action: String,
    pub outcome: Outcome,
    /// Ids, the transition applied, or why it failed or was skipped.
    #[serde(default)]
    pub detail: String,
}

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Done,
    /// An earlier event (a replay, a re-push, another branch) did it.
    AlreadyDone,
    Skipped,
    Failed,
    /// Jira's answer left it unknown whether it happened; not repeated.
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::AlreadyDone => "already done",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
        }
    }
}

impl EventReport {
    /// Whether something failed for good.
    pub fn failed(&self) -> bool {
        self.error.is_some()
            || self
                .entities
                .iter()
                .flat_map(|e| &e.issues)
                .flat_map(|i| &i.actions)
                .any(|a| a.outcome == Outcome::Failed)
    }

    /// The report as stored.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a report serialises")
    }

    /// A stored report; `None` when it does not read.
    pub fn from_json(s: &str) -> Option<EventReport> {
        serde_json::from_str(s).ok()
    }
}

impl ActionReport {
    pub fn new(action: impl Into<String>, outcome: Outcome, detail: impl Into<String>) -> Self {
        ActionReport { action: action.into(), outcome, detail: detail.into() }
    }
}
