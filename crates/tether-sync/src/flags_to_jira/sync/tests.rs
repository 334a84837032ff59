//! The pure parts of delivery: titles, timestamps, waits.

use std::time::Duration;

use super::*;
use crate::jira::document::{EnvView, FlagView, RolloutView};

fn env(name: &str, enabled: bool, rollout: RolloutView) -> EnvView {
    EnvView {
        key: name.to_lowercase(),
        name: name.into(),
        kind: "production".into(),
        enabled,
        default_value: "Off".into(),
        rollout,
        url: String::new(),
        last_saved: 0,
    }
}

fn view(primary: EnvView, archived: bool) -> FlagView {
    FlagView {
        project: "shop".into(),
        key: "checkout".into(),
        name: "New checkout".into(),
        url: "https://tether.test/flags/shop/checkout".into(),
        issue_keys: vec!["sand-1".into(), "SAND-1".into(), " SAND-2 ".into()],
        environments: vec![primary.clone()],
        primary,
        last_saved: 1_714_557_600_123,
        fully_rolled_out: false,
        archived,
    }
}

#[test]
fn remote_link_titles_carry_name_state_and_rollout() {
    let check = |primary: EnvView, archived: bool, expected: &str| {
        assert_eq!(remote_link_title(&view(primary, archived)), expected);
    };
    use RolloutView::{Percentage, Rules};
    check(
        env("Production", true, Percentage(30.0)),
        false,
        "Flag \"New checkout\": on in Production, 30%",
    );
    check(
        env("Production", true, Percentage(12.5)),
        false,
        "Flag \"New checkout\": on in Production, 12.5%",
    );
    check(
        env("Production", true, Rules(1)),
        false,
        "Flag \"New checkout\": on in Production, 1 rule",
    );
    check(
        env("Production", false, Percentage(100.0)),
        false,
        "Flag \"New checkout\": off in Production",
    );
    check(env("EU", true, Rules(2)), true, "Flag \"New checkout\" (archived): on in EU, 2 rules");
    let split = RolloutView::Split {
        shares: vec![("true".into(), 30.0), ("false".into(), 70.0)],
        percentage: 30.0,
        default_treatment: "false".into(),
    };
    check(
        env("Production", true, split),
        false,
        "Flag \"New checkout\": on in Production, 30% true · 70% false, default treatment false",
    );
    check(
        env("Production", true, RolloutView::RulesAndRollout { rules: 1, percentage: 25.0 }),
        false,
        "Flag \"New checkout\": on in Production, 1 rule + 25% rollout",
    );
}

#[test]
fn documents_use_normalised_keys_and_rfc3339_times() {
    let doc = feature_flag(&view(env("Production", true, RolloutView::Rules(2)), false), 7);
    assert_eq!(doc.id, "shop~checkout");
    assert_eq!(doc.issue_keys, ["SAND-1", "SAND-2"]);
    assert_eq!(doc.update_sequence_id, 7);
    assert_eq!(doc.summary.last_updated, "2024-05-01T10:00:00.123Z");
    assert_eq!(doc.summary.status.rollout, Some(Rollout::Rules(2)));
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
}

#[test]
fn waits_honour_retry_after_and_outlast_a_request_without_answer() {
    let s = Duration::from_secs;
    let check = |e: Error, expected: Option<Duration>| assert_eq!(wait_after(&e, s(30)), expected);
    check(Error::RateLimited { retry_after: Some(s(7)) }, Some(s(7)));
    check(Error::Unavailable { status: 503, retry_after: None }, None);
    check(Error::Transport("timed out".into()), Some(s(30)));
    let kind = |e: Error| FailureKind::of(&e);
    assert_eq!(kind(Error::Unauthorized { denied_reason: None }), FailureKind::Permanent);
    assert_eq!(kind(Error::BadRequest { status: 413, messages: vec![] }), FailureKind::Permanent);
    assert_eq!(
        kind(Error::Unavailable { status: 502, retry_after: Some(s(2)) }),
        FailureKind::Transient { retry_after: Some(s(2)) }
    );
}
