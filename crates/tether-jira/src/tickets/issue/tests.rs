//! Reading issues: sprint values of both deployments, embedded lists whole or cut short,
//! custom fields named from the catalogue.

use serde_json::{Value, json};

use super::*;
use crate::tickets::wire::{FieldInfo, FieldSchema, RawIssue};

fn field(id: &str, name: &str, kind: &str, custom: Option<&str>) -> FieldInfo {
    FieldInfo {
        id: id.into(),
        name: name.into(),
        custom: id.starts_with("customfield_"),
        schema: Some(FieldSchema {
            kind: Some(kind.into()),
            custom: custom.map(str::to_owned),
            custom_id: None,
        }),
    }
}

fn catalog() -> FieldCatalog {
    FieldCatalog::new(&[
        field("summary", "Summary", "string", None),
        field("customfield_10020", "Sprint", "array", Some(SPRINT_FIELD_TYPE)),
        field("customfield_10014", "Epic Link", "any", Some(EPIC_LINK_FIELD_TYPE)),
        field("customfield_10016", "Story point estimate", "number", Some(STORY_POINTS_FIELD_TYPE)),
        field(
            "customfield_10026",
            "Story Points",
            "number",
            Some("com.atlassian.jira.plugin.system.customfieldtypes:float"),
        ),
        field(
            "customfield_10050",
            "Team",
            "string",
            Some("com.atlassian.jira.plugin.system.customfieldtypes:textfield"),
        ),
    ])
}

#[test]
fn sprint_values_of_both_deployments() {
    let dc = "com.atlassian.greenhopper.service.sprint.Sprint@1f2e3d4d[id=7,rapidViewId=3,state=CLOSED,name=Sprint 7, the last,startDate=2024-01-01T09:00:00.000+01:00,endDate=2024-01-15T09:00:00.000+01:00,completeDate=<null>,activatedDate=<null>,sequence=7,goal=,autoStartStop=false,synced=false]";
    /// id, name, state, board, start.
    type Want = Option<(i64, &'static str, Option<&'static str>, Option<i64>, Option<i64>)>;
    let cases: Vec<(Value, Want)> = vec![
        (
            json!({"id": 5, "name": "S5", "state": "active", "boardId": 2, "startDate": "2024-01-01T00:00:00.000Z"}),
            Some((5, "S5", Some("active"), Some(2), Some(1_704_067_200_000))),
        ),
        (
            json!(dc),
            Some((7, "Sprint 7, the last", Some("closed"), Some(3), Some(1_704_096_000_000))),
        ),
        (json!("Sprint@1[id=x,name=broken]"), None),
        (json!("no brackets"), None),
        (json!({"name": "no id"}), None),
        (json!(42), None),
    ];
    for (value, want) in cases {
        let got = SprintRef::read(&value)
            .map(|s| (s.id, s.name.clone(), s.state.clone(), s.board_id, s.start_ms));
        let want = want.map(|(id, n, st, b, t)| (id, n.to_owned(), st.map(str::to_owned), b, t));
        assert_eq!(got, want, "{value}");
    }
    let parsed = SprintRef::read(&json!(dc)).unwrap();
    assert_eq!((parsed.complete_ms, parsed.goal), (None, None));
}

/// An issue as Jira's answer carries it (read from text, as the client reads answers).
fn raw(fields: Value, changelog: Option<Value>) -> RawIssue {
    let issue = json!({"id": "10001", "key": "DEMO-1", "fields": fields, "changelog": changelog});
    serde_json::from_str(&issue.to_string()).unwrap()
}

#[test]
fn a_cloud_issue_reads_whole() {
    let fields = json!({
        "summary": "Pay by card",
        "description": {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Card payments."}]}]},
        "issuetype": {"id": "10002", "name": "Sub-task", "subtask": true, "hierarchyLevel": -1},
        "status": {"id": "3", "name": "In Progress", "statusCategory": {"id": 4, "key": "indeterminate"}},
        "priority": {"id": "3", "name": "Medium"},
        "resolution": null,
        "created": "2024-01-31T10:15:00.000+0000",
        "updated": "2024-02-01T10:15:00.000+0100",
        "labels": ["pay", "card"],
        "components": [{"id": "1", "name": "Checkout"}],
        "fixVersions": [{"id": "9", "name": "1.2"}],
        "parent": {"id": "10000", "key": "DEMO-0"},
        "project": {"id": "10000", "key": "DEMO"},
        "assignee": {"accountId": "abc", "displayName": "Ana"},
        "customfield_10020": [{"id": 5, "name": "S5", "state": "closed", "boardId": 2}],
        "customfield_10016": 3.0,
        "customfield_10050": "Payments",
        "customfield_10099": null,
        "comment": {"total": 2, "maxResults": 1, "comments": [{"id": "1", "body": "x"}]},
        "worklog": {"total": 1, "worklogs": [{"id": "7", "timeSpentSeconds": 60}]},
    });
    let changelog =
        json!({"total": 1, "histories": [{"id": "100", "items": [{"field": "status"}]}]});
    let t = Ticket::read(raw(fields, Some(changelog)), &catalog());
    assert_eq!(
        (t.id.as_str(), t.key.as_str(), t.summary.as_str()),
        ("10001", "DEMO-1", "Pay by card")
    );
    assert_eq!(t.description_text.as_deref(), Some("Card payments."));
    assert_eq!(
        t.issue_type.as_ref().map(|i| (i.subtask, i.hierarchy_level)),
        Some((true, Some(-1)))
    );
    assert_eq!(
        t.status.as_ref().and_then(|s| s.status_category.as_ref()).map(|c| c.key.as_str()),
        Some("indeterminate")
    );
    assert_eq!(t.resolution, None);
    assert_eq!((t.created_ms, t.updated_ms), (Some(1_706_696_100_000), Some(1_706_778_900_000)));
    assert_eq!(
        (t.labels.len(), t.components.clone(), t.fix_versions.clone()),
        (2, vec!["Checkout".to_owned()], vec!["1.2".to_owned()])
    );
    assert_eq!((t.parent_key.as_deref(), t.project_id.as_deref()), (Some("DEMO-0"), Some("10000")));
    assert_eq!(t.sprints.iter().map(|s| s.id).collect::<Vec<_>>(), [5]);
    assert_eq!(t.story_points, Some(3.0));
    assert_eq!(
        t.custom.get("customfield_10050"),
        Some(&json!({"name": "Team", "value": "Payments"}))
    );
    assert!(!t.custom.contains_key("customfield_10099"), "empty custom fields are left out");
    let kept: Map<String, Value> = serde_json::from_str(&t.fields).unwrap();
    assert!(!kept.contains_key("comment") && !kept.contains_key("worklog"));
    assert_eq!(
        kept.get("customfield_10099"),
        Some(&Value::Null),
        "fields stay as Jira returned them"
    );
    assert_eq!(kept.get("customfield_10016"), Some(&json!(3.0)));
    assert_eq!(kept.len(), 18, "every field but comment and worklog");
    assert_eq!((t.comments.items.len(), t.comments.complete), (1, false));
    assert_eq!((t.worklogs.items.len(), t.worklogs.complete), (1, true));
    assert_eq!((t.changelog.items.len(), t.changelog.complete), (1, true));
}

/// Jira's text, not a value read and written again: a number beyond what a float holds
/// exactly, escapes and spacing stay as sent.
#[test]
fn fields_are_kept_as_the_text_jira_sent() {
    let text = concat!(
        r#"{"id": "10001", "key": "DEMO-1", "fields": {"#,
        r#""summary": "Caf\u00e9 \/ bar", "customfield_10100": 12345678901234567890123, "#,
        r#""customfield_10101": 1.50, "comment": {"total": 0, "comments": []}, "#,
        r#""description": {"type": "doc", "version": 1, "content": []}}}"#
    );
    let raw: RawIssue = serde_json::from_str(text).unwrap();
    let t = Ticket::read(raw, &catalog());
    assert_eq!(t.summary, "Café / bar");
    assert_eq!(
        t.fields,
        concat!(
            r#"{"customfield_10100":12345678901234567890123,"customfield_10101":1.50,"#,
            r#""description":{"type": "doc", "version": 1, "content": []},"#,
            r#""summary":"Caf\u00e9 \/ bar"}"#
        )
    );
    assert_eq!(
        t.description_raw.as_deref(),
        Some(r#"{"type": "doc", "version": 1, "content": []}"#)
    );
}

#[test]
fn a_data_center_issue_reads_whole() {
    let fields = json!({
        "summary": "Bulk picking",
        "description": "*Bold* and [a link|http://x.test]",
        "issuetype": {"id": "1", "name": "Bug", "subtask": false},
        "customfield_10014": "WH-1",
        "customfield_10026": 5,
        "assignee": {"name": "ana", "key": "JIRAUSER10100"},
    });
    let t = Ticket::read(raw(fields, None), &catalog());
    assert_eq!(t.description_text.as_deref(), Some("Bold and a link"));
    assert_eq!(t.description_raw.as_deref(), Some(r#""*Bold* and [a link|http://x.test]""#));
    assert_eq!(t.epic_key.as_deref(), Some("WH-1"));
    assert_eq!(t.story_points, Some(5.0));
    assert_eq!(t.assignee.as_ref().and_then(user_id), Some("JIRAUSER10100"));
    // Nothing embedded: nothing is known to be whole.
    assert!(!t.comments.complete && !t.worklogs.complete && !t.changelog.complete);
}

#[test]
fn a_truncated_changelog_is_not_whole() {
    let changelog = json!({"startAt": 0, "maxResults": 1, "total": 3, "histories": [{"id": "1"}]});
    let t = Ticket::read(raw(json!({}), Some(changelog)), &catalog());
    assert_eq!((t.changelog.items.len(), t.changelog.complete), (1, false));
}
