//! The registry of outbox work: every kind tether writes, its name in the `outbox.kind`
//! column, and its payload type, (de)serialised here and nowhere else. One exception: a
//! dev event's `dev.event` and `dev.devinfo` rows are written by the database's
//! `dev_events_work` trigger (the webhook intake's commit is one statement); tether-store's
//! tests compare what it writes with [`DevEventWork`] and [`DevInfoWork`].
//!
//! A new job adds a variant to [`OutboxKind`] (with its name in [`OutboxKind::as_str`] and
//! [`OutboxKind::ALL`]), its payload type with an [`OutboxWork`] impl, and a handler in
//! `tether-sync`. Names and payload JSON are stored, so they never change once released:
//! workers of different versions share one database.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::outbox::{NewOutboxItem, OutboxItem};

/// Every kind of work tether puts in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutboxKind {
    /// A flag, segment or environment change ([`Event`]), written in the change's
    /// transaction and fanned out to the outgoing webhooks whose filter matches.
    Event,
    /// One delivery of one event to one outgoing webhook ([`WebhookDelivery`]).
    WebhookDelivery,
    /// Bring one flag's state on one Jira site up to date ([`JiraSyncWork`]).
    JiraFlagSync,
    /// Rewrite one issue's `tether.flags` property on one Jira site ([`PropertyWork`]).
    JiraIssueProperty,
    /// Act on the issues one stored dev event mentions ([`DevEventWork`]).
    DevEvent,
    /// Send one stored dev event to Jira Cloud's Development panel ([`DevInfoWork`]).
    DevInfo,
    /// Scan one local repository for new commits ([`DevScanWork`]).
    DevScan,
    /// Make the Jira issue a person asked for a finding ([`DevFindingWork`]).
    DevFindingIssue,
}

impl OutboxKind {
    pub const ALL: [OutboxKind; 8] = [
        OutboxKind::Event,
        OutboxKind::WebhookDelivery,
        OutboxKind::JiraFlagSync,
        OutboxKind::JiraIssueProperty,
        OutboxKind::DevEvent,
        OutboxKind::DevInfo,
        OutboxKind::DevScan,
        OutboxKind::DevFindingIssue,
    ];

    /// The name stored in `outbox.kind`.
    pub const fn as_str(self) -> &'static str {
        match self {
            OutboxKind::Event => "event",
            OutboxKind::WebhookDelivery => "webhook.delivery",
            OutboxKind::JiraFlagSync => "jira.flag.sync",
            OutboxKind::JiraIssueProperty => "jira.issue.property",
            OutboxKind::DevEvent => "dev.event",
            OutboxKind::DevInfo => "dev.devinfo",
            OutboxKind::DevScan => "dev.scan",
            OutboxKind::DevFindingIssue => "dev.finding.issue",
        }
    }

    /// The kind a stored name stands for; `None` for a kind this build does not know
    /// (written by a newer version, or by a test).
    pub fn parse(name: &str) -> Option<OutboxKind> {
        OutboxKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for OutboxKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outbox kind of a change event; its payload is an [`Event`].
pub const EVENT_KIND: &str = OutboxKind::Event.as_str();
/// The outbox kind of one delivery of one event to one webhook.
pub const DELIVERY_KIND: &str = OutboxKind::WebhookDelivery.as_str();
/// Outbox kind: bring one flag's state on one Jira site up to date.
pub const JIRA_SYNC_KIND: &str = OutboxKind::JiraFlagSync.as_str();
/// Outbox kind: rewrite one issue's `tether.flags` property on one site.
pub const PROPERTY_KIND: &str = OutboxKind::JiraIssueProperty.as_str();

/// Why a claimed row's payload cannot be read as the work of its kind.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("outbox row {id} is of kind {found:?}, not {expected}")]
    WrongKind { id: i64, expected: OutboxKind, found: String },
    #[error("outbox row {id} ({kind}) does not parse")]
    Malformed {
        id: i64,
        kind: OutboxKind,
        #[source]
        source: serde_json::Error,
    },
}

/// The payload type of one outbox kind.
pub trait OutboxWork: Serialize + DeserializeOwned {
    const KIND: OutboxKind;

    /// The row to enqueue for this work.
    fn to_item(&self) -> NewOutboxItem {
        NewOutboxItem {
            kind: Self::KIND.as_str().to_owned(),
            payload: serde_json::to_string(self).expect("outbox payloads serialise"),
        }
    }

    /// The work a claimed row describes.
    fn from_item(item: &OutboxItem) -> Result<Self, PayloadError> {
        if item.kind != Self::KIND.as_str() {
            return Err(PayloadError::WrongKind {
                id: item.id,
                expected: Self::KIND,
                found: item.kind.clone(),
            });
        }
        serde_json::from_str(&item.payload).map_err(|source| PayloadError::Malformed {
            id: item.id,
            kind: Self::KIND,
            source,
        })
    }
}

/// A change, as recorded in the outbox ([`OutboxKind::Event`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// `flag.created`, `flag.updated`, `flag.deleted`, `flag.config.updated`,
    /// `segment.created`, `segment.updated`, `environment.created`,
    /// `environment.updated`, `environment.deleted`.
    pub event: String,
    pub project: String,
    pub environment: Option<String>,
    pub flag: Option<String>,
    pub segment: Option<String>,
    pub actor: String,
    pub at: i64,
    /// For configuration changes: whether the flag is now on in that environment.
    pub on: Option<bool>,
}

impl OutboxWork for Event {
    const KIND: OutboxKind = OutboxKind::Event;
}

/// One delivery of one event to one outgoing webhook ([`OutboxKind::WebhookDelivery`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    pub webhook_id: i64,
    /// The event's outbox id: the delivery id subscribers de-duplicate on.
    pub event_id: i64,
    pub event: Event,
}

impl OutboxWork for WebhookDelivery {
    const KIND: OutboxKind = OutboxKind::WebhookDelivery;
}

/// Bring one flag's state on one Jira site up to date ([`OutboxKind::JiraFlagSync`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JiraSyncWork {
    pub site_id: i64,
    pub project: String,
    pub flag: String,
}

impl OutboxWork for JiraSyncWork {
    const KIND: OutboxKind = OutboxKind::JiraFlagSync;
}

/// Rewrite one issue's `tether.flags` property on one site ([`OutboxKind::JiraIssueProperty`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyWork {
    pub site_id: i64,
    pub issue: String,
}

impl OutboxWork for PropertyWork {
    const KIND: OutboxKind = OutboxKind::JiraIssueProperty;
}

/// Act on the issues one stored dev event mentions ([`OutboxKind::DevEvent`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevEventWork {
    pub event_id: i64,
}

impl OutboxWork for DevEventWork {
    const KIND: OutboxKind = OutboxKind::DevEvent;
}

/// Send one stored dev event to the Development Information API ([`OutboxKind::DevInfo`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevInfoWork {
    pub event_id: i64,
}

impl OutboxWork for DevInfoWork {
    const KIND: OutboxKind = OutboxKind::DevInfo;
}

/// Scan one local repository ([`OutboxKind::DevScan`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevScanWork {
    pub repository_id: i64,
}

impl OutboxWork for DevScanWork {
    const KIND: OutboxKind = OutboxKind::DevScan;
}

/// Make a Jira issue for a finding ([`OutboxKind::DevFindingIssue`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevFindingWork {
    pub finding_id: i64,
    pub site_id: i64,
    pub project: String,
    /// The issue type's name, as create metadata gives it.
    pub issue_type: String,
}

impl OutboxWork for DevFindingWork {
    const KIND: OutboxKind = OutboxKind::DevFindingIssue;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_stored_name() {
        for kind in OutboxKind::ALL {
            assert_eq!(OutboxKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(OutboxKind::parse("test.deliver"), None);
    }

    /// The stored names and payloads of released kinds never change: rows written by one
    /// version are read by the next.
    #[test]
    fn stored_names_and_payloads_stay_as_released() {
        let check = |item: NewOutboxItem, kind: &str, payload: &str| {
            assert_eq!((item.kind.as_str(), item.payload.as_str()), (kind, payload));
        };
        let event = Event {
            event: "flag.created".into(),
            project: "shop".into(),
            environment: None,
            flag: Some("checkout".into()),
            segment: None,
            actor: "alice".into(),
            at: 5,
            on: None,
        };
        check(
            event.to_item(),
            "event",
            r#"{"event":"flag.created","project":"shop","environment":null,"flag":"checkout","segment":null,"actor":"alice","at":5,"on":null}"#,
        );
        let delivery = WebhookDelivery { webhook_id: 2, event_id: 9, event: event.clone() };
        assert!(
            delivery.to_item().payload.starts_with(r#"{"webhook_id":2,"event_id":9,"event":{"#)
        );
        assert_eq!(delivery.to_item().kind, "webhook.delivery");
        let sync = JiraSyncWork { site_id: 1, project: "shop".into(), flag: "checkout".into() };
        check(
            sync.to_item(),
            "jira.flag.sync",
            r#"{"site_id":1,"project":"shop","flag":"checkout"}"#,
        );
        let property = PropertyWork { site_id: 1, issue: "SAND-1".into() };
        check(property.to_item(), "jira.issue.property", r#"{"site_id":1,"issue":"SAND-1"}"#);
        check(DevEventWork { event_id: 3 }.to_item(), "dev.event", r#"{"event_id":3}"#);
        check(DevInfoWork { event_id: 3 }.to_item(), "dev.devinfo", r#"{"event_id":3}"#);
        check(DevScanWork { repository_id: 2 }.to_item(), "dev.scan", r#"{"repository_id":2}"#);
    }

    #[test]
    fn a_row_of_another_kind_or_a_damaged_payload_is_refused() {
        let row = |kind: &str, payload: &str| OutboxItem {
            id: 7,
            kind: kind.into(),
            payload: payload.into(),
            attempts: 1,
            created_at: 0,
        };
        let good = row("jira.issue.property", r#"{"site_id":1,"issue":"SAND-1"}"#);
        assert_eq!(
            PropertyWork::from_item(&good).unwrap(),
            PropertyWork { site_id: 1, issue: "SAND-1".into() }
        );
        assert!(matches!(
            JiraSyncWork::from_item(&good),
            Err(PayloadError::WrongKind { id: 7, expected: OutboxKind::JiraFlagSync, .. })
        ));
        assert!(matches!(
            PropertyWork::from_item(&row("jira.issue.property", "{")),
            Err(PayloadError::Malformed { id: 7, .. })
        ));
    }
}
